//! The language of the control socket (`DIR/control.sock`): one JSON [`Request`] line in, one [`Reply`] line
//! out, and the records of the replies, which are also what every `--json` listing prints; and the lines of
//! `run --json`. Records hold the core's typed ids, which JSON shows as their hex text (`<author>-<seq>` for a
//! message).

use crate::error::{Error, Result};
use clearchat_core::{
    Buddy, BuddyId, Device, DeviceId, Event, Invite, Me, Message, MessageId, MessageState,
    PersonId, Reach, Redeemed, SpaceId,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One request of a front end (subcommand, control socket) to the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    Me,
    Link,
    Invite {
        name: String,
    },
    /// Waits until more than `after` invites were redeemed since the holder started; returns redemption `after`.
    WaitRedeemed {
        after: usize,
    },
    Join {
        code: String,
    },
    Buddies,
    /// `buddy` is what the person typed: an id, a name or an id prefix.
    Send {
        buddy: String,
        text: String,
    },
    Messages {
        buddy: String,
        limit: u32,
    },
    Devices,
    RemoveBuddy {
        buddy: String,
    },
    Unlink {
        device: String,
    },
}

/// The answer line: `{"ok": RESPONSE}` or `{"error": "one sentence"}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<T> {
    Ok(T),
    Error(String),
}

/// What a request returns; on the wire only its content (the request tells which variant it is).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    Me(MeView),
    /// For `Link` and `Invite`.
    Invite(InviteView),
    Redeemed(Redemption),
    Joined(Joined),
    Buddies(Vec<BuddyView>),
    Sent(MessageView),
    Messages(Vec<MessageView>),
    Devices(Vec<DeviceView>),
    /// `null`: for `RemoveBuddy` and `Unlink`.
    Done,
}

impl Response {
    /// Reads the reply line a holder sent to `request`.
    pub fn read(request: &Request, line: &str) -> Result<Response> {
        fn read<T: DeserializeOwned>(line: &str, wrap: fn(T) -> Response) -> Result<Response> {
            if line.trim().is_empty() {
                return Err(Error::HolderClosed);
            }
            match serde_json::from_str::<Reply<T>>(line) {
                Ok(Reply::Ok(value)) => Ok(wrap(value)),
                Ok(Reply::Error(sentence)) => Err(Error::Holder(sentence)),
                Err(e) => Err(Error::BadReply {
                    reason: e.to_string(),
                }),
            }
        }
        match request {
            Request::Me => read(line, Response::Me),
            Request::Link | Request::Invite { .. } => read(line, Response::Invite),
            Request::WaitRedeemed { .. } => read(line, Response::Redeemed),
            Request::Join { .. } => read(line, Response::Joined),
            Request::Buddies => read(line, Response::Buddies),
            Request::Send { .. } => read(line, Response::Sent),
            Request::Messages { .. } => read(line, Response::Messages),
            Request::Devices => read(line, Response::Devices),
            Request::RemoveBuddy { .. } | Request::Unlink { .. } => read(line, |()| Response::Done),
        }
    }

    /// The error for a response of the wrong kind (a holder of another version).
    pub fn unexpected(&self) -> Error {
        Error::BadReply {
            reason: "a reply of the wrong kind".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeView {
    pub device_id: DeviceId,
    pub device_name: String,
    pub person_id: PersonId,
    pub person_name: String,
    /// The addresses this device listens on.
    pub listen: Vec<String>,
}

impl MeView {
    pub fn new(me: Me, listen: &[std::net::SocketAddr]) -> MeView {
        MeView {
            device_id: me.device_id,
            device_name: me.device_name,
            person_id: me.person_id,
            person_name: me.person_name,
            listen: listen.iter().map(ToString::to_string).collect(),
        }
    }
}

/// An invite to show: the text code, the QR payload and its matrix, and how many invites were redeemed before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteView {
    pub code: String,
    pub uri: String,
    /// Rows of modules, `true` dark, no quiet zone.
    pub qr: Vec<Vec<bool>>,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
    /// For `WaitRedeemed { after }`.
    pub redeemed_before: usize,
}

impl InviteView {
    pub fn new(invite: Invite, redeemed_before: usize) -> InviteView {
        InviteView {
            qr: qr_rows(&invite),
            code: invite.code,
            uri: invite.uri,
            expires_at: invite.expires_at,
            redeemed_before,
        }
    }
}

/// The invite's QR matrix as rows.
pub fn qr_rows(invite: &Invite) -> Vec<Vec<bool>> {
    invite
        .qr
        .modules
        .chunks((invite.qr.width as usize).max(1))
        .map(<[bool]>::to_vec)
        .collect()
}

/// A redeemed invite, as told by `Event::InviteRedeemed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Redemption {
    pub label: String,
    pub by_device: DeviceId,
}

/// What `join` did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Joined {
    Linked { person_name: String },
    Buddy { buddy_id: BuddyId, name: String },
}

impl From<Redeemed> for Joined {
    fn from(r: Redeemed) -> Joined {
        match r {
            Redeemed::Linked { person_name } => Joined::Linked { person_name },
            Redeemed::Buddy { buddy_id, name } => Joined::Buddy { buddy_id, name },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuddyView {
    pub id: BuddyId,
    pub name: String,
    pub online: bool,
    #[serde(default = "unknown_reach")]
    pub reach: ReachView,
    pub unread: u64,
    pub last_message: Option<MessageView>,
    /// The other buddy who joined with the same invite code (see [`buddy_views`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares_code_with: Option<BuddyId>,
    /// A warning for people, when there is one (the shared code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The buddy list as the CLI shows it: a buddy that shares an invite code with another carries a warning
/// naming both.
pub fn buddy_views(list: Vec<Buddy>) -> Vec<BuddyView> {
    let name_of = |id: BuddyId| {
        list.iter()
            .find(|b| b.id == id)
            .map_or_else(|| id.to_string(), |b| b.name.clone())
    };
    let warnings: Vec<Option<String>> = list
        .iter()
        .map(|b| {
            b.shares_code_with.map(|other| {
                format!(
                    "{} and {} joined with the same invite code: remove the one you did not invite",
                    b.name,
                    name_of(other)
                )
            })
        })
        .collect();
    list.into_iter()
        .zip(warnings)
        .map(|(b, warning)| BuddyView {
            warning,
            ..BuddyView::from(b)
        })
        .collect()
}

impl From<Buddy> for BuddyView {
    fn from(b: Buddy) -> BuddyView {
        BuddyView {
            id: b.id,
            name: b.name,
            online: b.online,
            reach: b.reach.into(),
            unread: b.unread,
            last_message: b.last_message.map(MessageView::from),
            shares_code_with: b.shares_code_with,
            warning: None,
        }
    }
}

/// How a device is reached (see `clearchat_core::Reach`); in JSON `"direct"`, `{"via": "<device hex>"}`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReachView {
    Unknown,
    Direct,
    Via(DeviceId),
    Unreachable,
}

impl From<Reach> for ReachView {
    fn from(r: Reach) -> ReachView {
        match r {
            Reach::Unknown => ReachView::Unknown,
            Reach::Direct => ReachView::Direct,
            Reach::Via(d) => ReachView::Via(d),
            Reach::Unreachable => ReachView::Unreachable,
        }
    }
}

/// How far a message got (see `MessageState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Pending,
    Sent,
    Delivered,
    Read,
}

impl From<MessageState> for State {
    fn from(s: MessageState) -> State {
        match s {
            MessageState::Pending => State::Pending,
            MessageState::Sent => State::Sent,
            MessageState::Delivered => State::Delivered,
            MessageState::Read => State::Read,
        }
    }
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sent => "sent",
            State::Delivered => "delivered",
            State::Read => "read",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    /// The author's person name.
    pub from: String,
    /// The author device's id.
    pub device: DeviceId,
    pub text: String,
    /// Milliseconds since the Unix epoch, by the author's clock.
    pub sent_at: u64,
    pub state: State,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> MessageView {
        MessageView {
            id: m.id,
            from: m.from,
            device: m.device_id,
            text: m.text,
            sent_at: m.sent_at,
            state: m.state.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: DeviceId,
    pub name: String,
    pub person: String,
    pub me: bool,
    pub online: bool,
    #[serde(default = "unknown_reach")]
    pub reach: ReachView,
    /// Seconds since the Unix epoch.
    pub last_seen: Option<u64>,
}

fn unknown_reach() -> ReachView {
    ReachView::Unknown
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> DeviceView {
        DeviceView {
            id: d.id,
            name: d.name,
            person: d.person,
            me: d.me,
            online: d.online,
            reach: d.reach.into(),
            last_seen: d.last_seen,
        }
    }
}

/// One line of `run --json`: what the device did, or an event of the core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventLine {
    Started {
        device_id: DeviceId,
        device_name: String,
        person_name: String,
        listen: Vec<String>,
    },
    Stopped,
    MessageAdded {
        buddy_id: BuddyId,
        message: MessageView,
    },
    MessageState {
        buddy_id: BuddyId,
        message_id: MessageId,
        state: State,
    },
    ReadUpTo {
        buddy_id: BuddyId,
        by_me: bool,
        up_to: MessageId,
    },
    BuddyAdded {
        buddy_id: BuddyId,
        name: String,
    },
    BuddyRemoved {
        buddy_id: BuddyId,
    },
    DeviceLinked {
        device_id: DeviceId,
        name: String,
    },
    DeviceRevoked {
        device_id: DeviceId,
    },
    PeerOnline {
        device_id: DeviceId,
    },
    PeerOffline {
        device_id: DeviceId,
    },
    ReachChanged {
        device_id: DeviceId,
        reach: ReachView,
    },
    SyncProgress {
        space_id: SpaceId,
        received: u64,
    },
    InviteRedeemed {
        label: String,
        by_device: DeviceId,
    },
    ForkDetected {
        device_id: DeviceId,
        seq: u64,
    },
    InviteUsedTwice {
        buddies: [BuddyId; 2],
    },
}

impl From<Event> for EventLine {
    fn from(e: Event) -> EventLine {
        match e {
            Event::MessageAdded { buddy_id, message } => EventLine::MessageAdded {
                buddy_id,
                message: message.into(),
            },
            Event::MessageStateChanged {
                buddy_id,
                message_id,
                state,
            } => EventLine::MessageState {
                buddy_id,
                message_id,
                state: state.into(),
            },
            Event::ReadUpTo {
                buddy_id,
                by_me,
                up_to,
            } => EventLine::ReadUpTo {
                buddy_id,
                by_me,
                up_to,
            },
            Event::BuddyAdded { buddy_id, name } => EventLine::BuddyAdded { buddy_id, name },
            Event::BuddyRemoved { buddy_id } => EventLine::BuddyRemoved { buddy_id },
            Event::DeviceLinked { device_id, name } => EventLine::DeviceLinked { device_id, name },
            Event::DeviceRevoked { device_id } => EventLine::DeviceRevoked { device_id },
            Event::PeerOnline { device_id } => EventLine::PeerOnline { device_id },
            Event::PeerOffline { device_id } => EventLine::PeerOffline { device_id },
            Event::ReachChanged { device_id, reach } => EventLine::ReachChanged {
                device_id,
                reach: reach.into(),
            },
            Event::SyncProgress { space_id, received } => {
                EventLine::SyncProgress { space_id, received }
            }
            Event::InviteRedeemed { label, by_device } => {
                EventLine::InviteRedeemed { label, by_device }
            }
            Event::ForkDetected { device_id, seq } => EventLine::ForkDetected { device_id, seq },
            Event::InviteUsedTwice { buddies } => EventLine::InviteUsedTwice { buddies },
        }
    }
}
