//! The chat view the shells render: buddies, conversations, messages with their delivery states,
//! devices, and the events that tell a shell what changed. Read-only queries over the store.

use crate::error::Result;
use crate::ids::{DeviceId, MessageKey, PersonId, SpaceId};
use crate::space::{SpaceKind, SpaceState};
use crate::store;
use rusqlite::Connection;
use std::collections::HashSet;

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
    fn parse(text: &str) -> Self {
        match text {
            "pending" => MessageState::Pending,
            "sent" => MessageState::Sent,
            "read" => MessageState::Read,
            _ => MessageState::Delivered,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// `<author device hex>-<seq>`: stable on every device.
    pub id: String,
    /// The author's person name.
    pub from: String,
    pub from_me: bool,
    /// The author device's id.
    pub device_id: String,
    pub text: String,
    /// Milliseconds since the Unix epoch, by the author's clock.
    pub sent_at: u64,
    /// For my messages: how far they got. For others': `Delivered`, or `Read` once I read them.
    pub state: MessageState,
    pub reply_to: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Buddy {
    /// The id of the buddy space we share.
    pub id: String,
    pub name: String,
    /// A device of the buddy is connected now.
    pub online: bool,
    pub unread: u64,
    pub last_message: Option<Message>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub person: String,
    pub me: bool,
    pub online: bool,
    pub revoked: bool,
    /// When this device was last connected to us, in seconds since the epoch (now, if online).
    pub last_seen: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Me {
    pub device_id: String,
    pub device_name: String,
    pub person_id: String,
    pub person_name: String,
}

/// What changed, in the order it happened on this device.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    MessageAdded {
        buddy_id: String,
        message: Message,
    },
    MessageStateChanged {
        buddy_id: String,
        message_id: String,
        state: MessageState,
    },
    /// A read marker moved: the buddy's (`by_me` false: my messages up to it are read) or mine.
    ReadUpTo {
        buddy_id: String,
        by_me: bool,
        up_to: String,
    },
    BuddyAdded {
        buddy_id: String,
        name: String,
    },
    BuddyRemoved {
        buddy_id: String,
    },
    DeviceLinked {
        device_id: String,
        name: String,
    },
    DeviceRevoked {
        device_id: String,
    },
    PeerOnline {
        device_id: String,
    },
    PeerOffline {
        device_id: String,
    },
    /// Entries received from a peer in one space, so far in this connection.
    SyncProgress {
        space_id: String,
        received: u64,
    },
    InviteRedeemed {
        label: String,
        by_device: String,
    },
    ForkDetected {
        device_id: String,
        seq: u64,
    },
}

/// The other person in a buddy space: (person, name).
pub fn buddy_person(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
) -> Result<Option<(PersonId, String)>> {
    Ok(store::persons(c, space)?.into_iter().find(|(p, _)| p != me))
}

/// One message as shown to `me`.
pub fn message_view(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
    key: MessageKey,
) -> Result<Option<Message>> {
    let Some(row) = store::message_get(c, space, &key.author, key.seq)? else {
        return Ok(None);
    };
    let members = store::members(c, space)?;
    let persons = store::persons(c, space)?;
    Ok(Some(render(
        row,
        me,
        &members,
        &persons,
        read_markers(c, space, me)?,
    )))
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
    members: &[(crate::space::Member, String)],
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
    let stored = MessageState::parse(&row.state);
    let state = if marker.is_some_and(|m| m >= row.key) {
        MessageState::Read
    } else {
        stored
    };
    Message {
        id: row.key.id(),
        from,
        from_me,
        device_id: row.key.author.to_hex(),
        text: row.text,
        sent_at: row.key.time,
        state,
        reply_to: row.reply_to.map(|(a, s)| format!("{}-{}", a.to_hex(), s)),
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
    let members = store::members(c, space)?;
    let persons = store::persons(c, space)?;
    let markers = read_markers(c, space, me)?;
    Ok(rows
        .into_iter()
        .map(|r| render(r, me, &members, &persons, markers))
        .collect())
}

/// Active buddy spaces with their buddy's name; spaces whose buddy has not said hello yet are left out.
pub fn buddies(c: &Connection, me: &PersonId, online: &HashSet<DeviceId>) -> Result<Vec<Buddy>> {
    let mut out = Vec::new();
    for space in store::spaces(c)? {
        if space.kind != SpaceKind::Buddy || space.state != SpaceState::Active {
            continue;
        }
        let Some((person, name)) = buddy_person(c, &space.id, me)? else {
            continue;
        };
        let members = store::members(c, &space.id)?;
        let is_online = members.iter().any(|(m, _)| {
            m.person == person && m.removed_after.is_none() && online.contains(&m.device)
        });
        let last = store::last_message(c, &space.id)?;
        let last_message = match last {
            Some(row) => conversation(c, &space.id, me, None, 1)?
                .pop()
                .filter(|m| m.id == row.key.id()),
            None => None,
        };
        out.push(Buddy {
            id: space.id.to_hex(),
            name,
            online: is_online,
            unread: store::unread_count(c, &space.id, me)?,
            last_message,
        });
    }
    Ok(out)
}

/// The devices of my home space.
pub fn devices(
    c: &Connection,
    home: &SpaceId,
    me: &DeviceId,
    online: &HashSet<DeviceId>,
) -> Result<Vec<Device>> {
    let persons = store::persons(c, home)?;
    Ok(store::members(c, home)?
        .into_iter()
        .map(|(m, name)| Device {
            id: m.device.to_hex(),
            name,
            person: persons
                .iter()
                .find(|(p, _)| *p == m.person)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            me: m.device == *me,
            online: m.device == *me || online.contains(&m.device),
            revoked: m.removed_after.is_some(),
            last_seen: if m.device == *me || online.contains(&m.device) {
                Some(crate::ids::now_ms() / 1000)
            } else {
                store::peer_last_seen(c, &m.device).ok().flatten()
            },
        })
        .collect())
}
