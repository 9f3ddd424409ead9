//! The records and enums the host sees: the core's, with ids as their text form (lowercase hex; a message
//! id is `<author hex>-<seq>`), which the client's methods parse back.

use clearchat_core as core;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MessageState {
    Pending,
    Sent,
    Delivered,
    Read,
}

impl From<core::MessageState> for MessageState {
    fn from(s: core::MessageState) -> Self {
        match s {
            core::MessageState::Pending => Self::Pending,
            core::MessageState::Sent => Self::Sent,
            core::MessageState::Delivered => Self::Delivered,
            core::MessageState::Read => Self::Read,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Message {
    pub id: String,
    pub from: String,
    pub from_me: bool,
    pub device_id: String,
    pub text: String,
    pub sent_at_ms: u64,
    pub state: MessageState,
    pub reply_to: Option<String>,
}

impl From<core::Message> for Message {
    fn from(m: core::Message) -> Self {
        Message {
            id: m.id.to_string(),
            from: m.from,
            from_me: m.from_me,
            device_id: m.device_id.to_string(),
            text: m.text,
            sent_at_ms: m.sent_at,
            state: m.state.into(),
            reply_to: m.reply_to.map(|r| r.to_string()),
        }
    }
}

/// How a device is reached; `Via` names the member device (hex id) that carries its logs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Reach {
    Unknown,
    Direct,
    Via { device_id: String },
    Unreachable,
}

impl From<core::Reach> for Reach {
    fn from(r: core::Reach) -> Self {
        match r {
            core::Reach::Unknown => Self::Unknown,
            core::Reach::Direct => Self::Direct,
            core::Reach::Via(d) => Self::Via {
                device_id: d.to_string(),
            },
            core::Reach::Unreachable => Self::Unreachable,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Buddy {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub reach: Reach,
    pub unread: u64,
    pub last_message: Option<Message>,
    /// The other buddy who joined with the same invite code: one of the two is not who was invited.
    pub shares_code_with: Option<String>,
}

impl From<core::Buddy> for Buddy {
    fn from(b: core::Buddy) -> Self {
        Buddy {
            id: b.id.to_string(),
            name: b.name,
            online: b.online,
            reach: b.reach.into(),
            unread: b.unread,
            last_message: b.last_message.map(Into::into),
            shares_code_with: b.shares_code_with.map(|id| id.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub person: String,
    pub me: bool,
    pub online: bool,
    pub reach: Reach,
    pub revoked: bool,
    pub last_seen_secs: Option<u64>,
}

impl From<core::Device> for Device {
    fn from(d: core::Device) -> Self {
        Device {
            id: d.id.to_string(),
            name: d.name,
            person: d.person,
            me: d.me,
            online: d.online,
            reach: d.reach.into(),
            revoked: d.revoked,
            last_seen_secs: d.last_seen,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Me {
    pub device_id: String,
    pub device_name: String,
    pub person_id: String,
    pub person_name: String,
}

impl From<core::Me> for Me {
    fn from(m: core::Me) -> Self {
        Me {
            device_id: m.device_id.to_string(),
            device_name: m.device_name,
            person_id: m.person_id.to_string(),
            person_name: m.person_name,
        }
    }
}

/// A QR code as a square of modules, row-major, `true` = dark, without the quiet zone.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QrCode {
    pub width: u32,
    pub modules: Vec<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum InvitePurpose {
    Link,
    Buddy,
}

impl From<core::Purpose> for InvitePurpose {
    fn from(p: core::Purpose) -> Self {
        match p {
            core::Purpose::Link => Self::Link,
            core::Purpose::Buddy => Self::Buddy,
        }
    }
}

impl From<InvitePurpose> for core::Purpose {
    fn from(p: InvitePurpose) -> Self {
        match p {
            InvitePurpose::Link => Self::Link,
            InvitePurpose::Buddy => Self::Buddy,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Invite {
    pub code: String,
    pub uri: String,
    pub qr: QrCode,
    pub purpose: InvitePurpose,
    pub expires_at_secs: u64,
}

impl From<core::Invite> for Invite {
    fn from(i: core::Invite) -> Self {
        Invite {
            code: i.code,
            uri: i.uri,
            qr: QrCode {
                width: i.qr.width,
                modules: i.qr.modules,
            },
            purpose: i.purpose.into(),
            expires_at_secs: i.expires_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Redeemed {
    Linked { person_name: String },
    Buddy { buddy_id: String, name: String },
}

impl From<core::Redeemed> for Redeemed {
    fn from(r: core::Redeemed) -> Self {
        match r {
            core::Redeemed::Linked { person_name } => Self::Linked { person_name },
            core::Redeemed::Buddy { buddy_id, name } => Self::Buddy {
                buddy_id: buddy_id.to_string(),
                name,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
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
    /// How a device is reached changed (with `PeerOnline`/`PeerOffline`, or on its own).
    ReachChanged {
        device_id: String,
        reach: Reach,
    },
    SyncProgress {
        space_id: String,
        received: u64,
    },
    InviteRedeemed {
        label: String,
        by_device: String,
    },
    /// One invite code was redeemed by two people (two buddy ids): remove the one not invited.
    InviteUsedTwice {
        buddies: Vec<String>,
    },
    ForkDetected {
        device_id: String,
        seq: u64,
    },
}

impl From<core::Event> for Event {
    fn from(e: core::Event) -> Self {
        use core::Event as E;
        match e {
            E::MessageAdded { buddy_id, message } => Self::MessageAdded {
                buddy_id: buddy_id.to_string(),
                message: message.into(),
            },
            E::MessageStateChanged {
                buddy_id,
                message_id,
                state,
            } => Self::MessageStateChanged {
                buddy_id: buddy_id.to_string(),
                message_id: message_id.to_string(),
                state: state.into(),
            },
            E::ReadUpTo {
                buddy_id,
                by_me,
                up_to,
            } => Self::ReadUpTo {
                buddy_id: buddy_id.to_string(),
                by_me,
                up_to: up_to.to_string(),
            },
            E::BuddyAdded { buddy_id, name } => Self::BuddyAdded {
                buddy_id: buddy_id.to_string(),
                name,
            },
            E::BuddyRemoved { buddy_id } => Self::BuddyRemoved {
                buddy_id: buddy_id.to_string(),
            },
            E::DeviceLinked { device_id, name } => Self::DeviceLinked {
                device_id: device_id.to_string(),
                name,
            },
            E::DeviceRevoked { device_id } => Self::DeviceRevoked {
                device_id: device_id.to_string(),
            },
            E::PeerOnline { device_id } => Self::PeerOnline {
                device_id: device_id.to_string(),
            },
            E::PeerOffline { device_id } => Self::PeerOffline {
                device_id: device_id.to_string(),
            },
            E::ReachChanged { device_id, reach } => Self::ReachChanged {
                device_id: device_id.to_string(),
                reach: reach.into(),
            },
            E::SyncProgress { space_id, received } => Self::SyncProgress {
                space_id: space_id.to_string(),
                received,
            },
            E::InviteRedeemed { label, by_device } => Self::InviteRedeemed {
                label,
                by_device: by_device.to_string(),
            },
            E::InviteUsedTwice { buddies } => Self::InviteUsedTwice {
                buddies: buddies.iter().map(ToString::to_string).collect(),
            },
            E::ForkDetected { device_id, seq } => Self::ForkDetected {
                device_id: device_id.to_string(),
                seq,
            },
        }
    }
}
