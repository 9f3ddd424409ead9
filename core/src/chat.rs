//! The chat view the shells render: buddies, conversations, messages with their delivery states,
//! devices, and the events that tell a shell what changed. Read-only queries over the store.

use crate::error::{Error, Result};
use crate::ids::{BuddyId, DeviceId, MessageId, MessageKey, Now, PersonId, SpaceId};
use crate::space::{Member, SpaceKind, SpaceState};
use crate::store::{self, Delivery, SpaceRow};
use rusqlite::Connection;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessageState {
    /// Written here, not yet acknowledged by any other device.
    Pending,
    /// Acknowledged by another device (of mine or of the buddy).
    Sent,
    /// Acknowledged by a device of the buddy.
    Delivered,
    /// The buddy read it.
    Read,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Sent => "sent",
            MessageState::Delivered => "delivered",
            MessageState::Read => "read",
        }
    }
}

impl From<Delivery> for MessageState {
    fn from(stored: Delivery) -> MessageState {
        match stored {
            Delivery::Pending => MessageState::Pending,
            Delivery::Sent => MessageState::Sent,
            Delivery::Delivered => MessageState::Delivered,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Stable on every device.
    pub id: MessageId,
    /// The author's person name.
    pub from: String,
    pub from_me: bool,
    /// The author device.
    pub device_id: DeviceId,
    pub text: String,
    /// Milliseconds since the Unix epoch, by the author's clock.
    pub sent_at: u64,
    /// For my messages: how far they got. For others': `Delivered`, or `Read` once I read them.
    pub state: MessageState,
    pub reply_to: Option<MessageId>,
}

/// How this device reaches another device right now: what a person reads next to a buddy or one of their own
/// devices. The net layer knows it; the lists and the screens show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Nothing known yet: we have not tried, or are still trying, since going online.
    Unknown,
    /// A live connection straight to the device.
    Direct,
    /// No direct connection; its logs reach us through this member device, which is connected to both.
    Via(DeviceId),
    /// Neither directly nor through any device we are connected to.
    Unreachable,
}

impl Reach {
    /// How `device` is reached, from what the network found (absent: unknown).
    pub fn of(device: &DeviceId, reach: &HashMap<DeviceId, Reach>) -> Reach {
        reach.get(device).copied().unwrap_or(Reach::Unknown)
    }

    /// Of two ways to reach a person, the better: direct, then through a device, then unknown, then
    /// unreachable.
    fn better(self, other: Reach) -> Reach {
        let rank = |r: &Reach| match r {
            Reach::Direct => 0,
            Reach::Via(_) => 1,
            Reach::Unknown => 2,
            Reach::Unreachable => 3,
        };
        if rank(&other) < rank(&self) {
            other
        } else {
            self
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Buddy {
    /// Named by the buddy space we share.
    pub id: BuddyId,
    pub name: String,
    /// A device of the buddy is connected now.
    pub online: bool,
    /// How the buddy's best-connected device is reached.
    pub reach: Reach,
    pub unread: u64,
    pub last_message: Option<Message>,
    /// The other buddy who joined with the same invite code (two of my devices each served it before
    /// they synced): one of the two is not who I invited. Cleared once either is removed.
    pub shares_code_with: Option<BuddyId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub id: DeviceId,
    pub name: String,
    pub person: String,
    pub me: bool,
    pub online: bool,
    /// How this device is reached (`Direct` for this device itself).
    pub reach: Reach,
    pub revoked: bool,
    /// When this device was last connected to us, in seconds since the epoch (now, if online).
    pub last_seen: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Me {
    pub device_id: DeviceId,
    pub device_name: String,
    pub person_id: PersonId,
    pub person_name: String,
}

/// What changed, in the order it happened on this device.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    MessageAdded {
        buddy_id: BuddyId,
        message: Message,
    },
    MessageStateChanged {
        buddy_id: BuddyId,
        message_id: MessageId,
        state: MessageState,
    },
    /// A read marker moved: the buddy's (`by_me` false: my messages up to it are read) or mine.
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
    /// How a device is reached (what [`Reach`] says of it) changed: it connected or its connection ended
    /// (with `PeerOnline`/`PeerOffline`), its logs began to reach us through another device or stopped,
    /// a dial failed, or the network stopped (`Unknown`).
    ReachChanged {
        device_id: DeviceId,
        reach: Reach,
    },
    /// Entries received from a peer in one space, so far in this connection.
    SyncProgress {
        space_id: SpaceId,
        received: u64,
    },
    InviteRedeemed {
        label: String,
        by_device: DeviceId,
    },
    /// One invite code was redeemed by two people, at two of my devices before they synced: both are my
    /// buddies now and one of them is not who I invited (see `Buddy::shares_code_with`).
    InviteUsedTwice {
        buddies: [BuddyId; 2],
    },
    ForkDetected {
        device_id: DeviceId,
        seq: u64,
    },
}

/// The active buddy space a buddy id names.
pub fn buddy_space(c: &Connection, buddy: &BuddyId) -> Result<SpaceRow> {
    store::space_get(c, &buddy.space())?
        .filter(|s| s.kind == SpaceKind::Buddy && s.state == SpaceState::Active)
        .ok_or_else(|| Error::UnknownBuddy(buddy.to_string()))
}

/// The other person in a buddy space: (person, name).
pub fn buddy_person(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
) -> Result<Option<(PersonId, String)>> {
    Ok(store::persons(c, space)?.into_iter().find(|(p, _)| p != me))
}

fn read_markers(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
) -> Result<(Option<MessageKey>, Option<MessageKey>)> {
    let theirs = match buddy_person(c, space, me)? {
        Some((p, _)) => store::read_marker(c, space, &p)?,
        None => None,
    };
    Ok((store::read_marker(c, space, me)?, theirs))
}

fn render(
    row: store::MessageRow,
    me: &PersonId,
    members: &[(Member, String)],
    persons: &[(PersonId, String)],
    (mine, theirs): (Option<MessageKey>, Option<MessageKey>),
) -> Message {
    let person = members
        .iter()
        .find(|(m, _)| m.device == row.key.author)
        .map(|(m, _)| m.person);
    let from_me = person == Some(*me);
    let from = person
        .and_then(|p| {
            persons
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, n)| n.clone())
        })
        .unwrap_or_default();
    let marker = if from_me { theirs } else { mine };
    let state = if marker.is_some_and(|m| m >= row.key) {
        MessageState::Read
    } else {
        row.state.into()
    };
    Message {
        id: row.key.id(),
        from,
        from_me,
        device_id: row.key.author,
        text: row.text,
        sent_at: row.key.time,
        state,
        reply_to: row.reply_to,
    }
}

/// A page of the conversation, oldest first, strictly before `before` when given.
pub fn conversation(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
    before: Option<MessageKey>,
    limit: usize,
) -> Result<Vec<Message>> {
    let rows = store::messages_page(c, space, before, limit)?;
    render_rows(c, space, me, rows)
}

/// The newest `limit` messages of the conversation at or after `from`, oldest first.
pub fn conversation_from(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
    from: MessageKey,
    limit: usize,
) -> Result<Vec<Message>> {
    let rows = store::messages_from(c, space, from, limit)?;
    render_rows(c, space, me, rows)
}

/// Stored messages of one conversation as the screens show them (author names, states with read markers).
pub fn render_rows(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
    rows: Vec<store::MessageRow>,
) -> Result<Vec<Message>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let members = store::members(c, space)?;
    let persons = store::persons(c, space)?;
    let markers = read_markers(c, space, me)?;
    Ok(rows
        .into_iter()
        .map(|r| render(r, me, &members, &persons, markers))
        .collect())
}

/// Where a message sits in its conversation.
pub fn message_key(message: &Message) -> MessageKey {
    MessageKey {
        time: message.sent_at,
        author: message.id.author,
        seq: message.id.seq,
    }
}

/// Active buddy spaces with their buddy's name; spaces whose buddy has not said hello yet are left out.
pub fn buddies(
    c: &Connection,
    me: &PersonId,
    reach: &HashMap<DeviceId, Reach>,
) -> Result<Vec<Buddy>> {
    buddies_counted(c, me, reach, &mut count_unread(me))
}

/// How a buddy's unread count is had, given its space and the key of its newest message: counted afresh
/// ([`count_unread`]), or from what a list counted before (`lists::buddies`).
pub type CountUnread<'a> = dyn FnMut(&Connection, &SpaceId, Option<MessageKey>) -> Result<u64> + 'a;

/// Counts a buddy's unread messages afresh.
pub fn count_unread(
    me: &PersonId,
) -> impl FnMut(&Connection, &SpaceId, Option<MessageKey>) -> Result<u64> + '_ {
    move |c, space, _| store::unread_count(c, space, me)
}

/// [`buddies`], with the unread counts had by `unread`.
pub fn buddies_counted(
    c: &Connection,
    me: &PersonId,
    reach: &HashMap<DeviceId, Reach>,
    unread: &mut CountUnread<'_>,
) -> Result<Vec<Buddy>> {
    let mut out = Vec::new();
    for space in store::spaces(c)? {
        out.extend(buddy_in(c, &space, me, reach, unread)?);
    }
    Ok(out)
}

/// The buddy of one buddy space, if it is active and the buddy has said hello, with the unread count had by
/// `unread`.
pub fn buddy_counted(
    c: &Connection,
    buddy: &BuddyId,
    me: &PersonId,
    reach: &HashMap<DeviceId, Reach>,
    unread: &mut CountUnread<'_>,
) -> Result<Option<Buddy>> {
    match store::space_get(c, &buddy.space())? {
        Some(space) => buddy_in(c, &space, me, reach, unread),
        None => Ok(None),
    }
}

fn buddy_in(
    c: &Connection,
    space: &SpaceRow,
    me: &PersonId,
    reach: &HashMap<DeviceId, Reach>,
    unread: &mut CountUnread<'_>,
) -> Result<Option<Buddy>> {
    if space.kind != SpaceKind::Buddy || space.state != SpaceState::Active {
        return Ok(None);
    }
    let Some((person, name)) = buddy_person(c, &space.id, me)? else {
        return Ok(None);
    };
    let members = store::members(c, &space.id)?;
    // The buddy's best-reached device.
    let best = members
        .iter()
        .filter(|(m, _)| m.person == person && m.removed_after.is_none())
        .map(|(m, _)| Reach::of(&m.device, reach))
        .reduce(Reach::better)
        .unwrap_or(Reach::Unknown);
    let last_message = conversation(c, &space.id, me, None, 1)?.pop();
    Ok(Some(Buddy {
        id: space.id.into(),
        name,
        online: best == Reach::Direct,
        reach: best,
        unread: unread(c, &space.id, last_message.as_ref().map(message_key))?,
        last_message,
        shares_code_with: store::shares_code_with(c, &space.id)?.map(Into::into),
    }))
}

/// The devices of my home space; `now` is when the connected ones were last seen.
pub fn devices(
    c: &Connection,
    home: &SpaceId,
    me: &DeviceId,
    reach: &HashMap<DeviceId, Reach>,
    now: Now,
) -> Result<Vec<Device>> {
    let persons = store::persons(c, home)?;
    Ok(store::members(c, home)?
        .into_iter()
        .map(|(m, name)| Device {
            id: m.device,
            name,
            person: persons
                .iter()
                .find(|(p, _)| *p == m.person)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            me: m.device == *me,
            online: m.device == *me || Reach::of(&m.device, reach) == Reach::Direct,
            reach: match m.device == *me {
                true => Reach::Direct,
                false => Reach::of(&m.device, reach),
            },
            revoked: m.removed_after.is_some(),
            last_seen: if m.device == *me || Reach::of(&m.device, reach) == Reach::Direct {
                Some(now.secs())
            } else {
                store::peer_last_seen(c, &m.device).ok().flatten()
            },
        })
        .collect())
}
