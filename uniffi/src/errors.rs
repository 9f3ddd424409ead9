//! The one typed error of the bindings, translated from the core's.

use clearchat_core as core;

/// Every failure, typed, with a human sentence in `description` (also the exception's message).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ClearchatError {
    #[error("{description}")]
    InvalidCode { reason: String, description: String },
    #[error("{description}")]
    InviteExpired { description: String },
    #[error("{description}")]
    InviteAlreadyUsed { description: String },
    #[error("{description}")]
    OwnInvite { description: String },
    #[error("{description}")]
    AlreadyBuddies { name: String, description: String },
    #[error("{description}")]
    AlreadyLinked { description: String },
    #[error("{description}")]
    NotNew { description: String },
    #[error("{description}")]
    InviterUnreachable { reason: String, description: String },
    #[error("{description}")]
    Refused { reason: String, description: String },
    #[error("{description}")]
    UnknownBuddy { buddy: String, description: String },
    #[error("{description}")]
    UnknownDevice { device: String, description: String },
    #[error("{description}")]
    UnknownMessage { id: String, description: String },
    #[error("{description}")]
    InvalidMessage { max: u32, description: String },
    #[error("{description}")]
    InvalidName { reason: String, description: String },
    #[error("{description}")]
    Revoked { description: String },
    #[error("{description}")]
    Closed { description: String },
    #[error("{description}")]
    DeviceKeyUnavailable { reason: String, description: String },
    #[error("{description}")]
    KeystoreLocked { description: String },
    #[error("{description}")]
    Storage { reason: String, description: String },
    #[error("{description}")]
    Network { reason: String, description: String },
}

impl From<core::Error> for ClearchatError {
    fn from(e: core::Error) -> Self {
        use core::Error as E;
        let description = e.to_string();
        match e {
            E::InvalidCode { reason } => Self::InvalidCode {
                reason,
                description,
            },
            E::InviteExpired => Self::InviteExpired { description },
            E::InviteAlreadyUsed => Self::InviteAlreadyUsed { description },
            E::OwnInvite => Self::OwnInvite { description },
            E::AlreadyBuddies { name } => Self::AlreadyBuddies { name, description },
            E::AlreadyLinked => Self::AlreadyLinked { description },
            E::NotNew => Self::NotNew { description },
            E::InviterUnreachable { reason } => Self::InviterUnreachable {
                reason,
                description,
            },
            E::Refused { reason } => Self::Refused {
                reason,
                description,
            },
            E::UnknownBuddy(buddy) => Self::UnknownBuddy { buddy, description },
            E::UnknownDevice(device) => Self::UnknownDevice {
                device,
                description,
            },
            E::UnknownMessage(id) => Self::UnknownMessage { id, description },
            E::InvalidMessage { max } => Self::InvalidMessage {
                max: max as u32,
                description,
            },
            E::InvalidName { reason } => Self::InvalidName {
                reason,
                description,
            },
            E::Revoked => Self::Revoked { description },
            E::Closed => Self::Closed { description },
            E::DeviceKeyUnavailable { reason } => Self::DeviceKeyUnavailable {
                reason,
                description,
            },
            E::KeystoreLocked => Self::KeystoreLocked { description },
            E::Storage(reason) => Self::Storage {
                reason,
                description,
            },
            E::Network(reason) => Self::Network {
                reason,
                description,
            },
        }
    }
}

pub type Result<T> = std::result::Result<T, ClearchatError>;

/// The buddy an id string names: anything else is an unknown buddy.
pub fn buddy_id(text: &str) -> Result<core::BuddyId> {
    text.parse()
        .map_err(|_| core::Error::UnknownBuddy(text.to_string()).into())
}

/// The device an id string names: anything else is an unknown device.
pub fn device_id(text: &str) -> Result<core::DeviceId> {
    text.parse()
        .map_err(|_| core::Error::UnknownDevice(text.to_string()).into())
}

/// The message an id string names: anything else is an unknown message.
pub fn message_id(text: &str) -> Result<core::MessageId> {
    text.parse()
        .map_err(|_| core::Error::UnknownMessage(text.to_string()).into())
}

/// The router address a shell names (`"192.168.1.1"`): anything else is a network error.
pub fn gateway(text: &str) -> Result<std::net::IpAddr> {
    text.parse()
        .map_err(|_| core::Error::Network(format!("not an IP address: {text}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_reason_and_sentence() {
        let e: ClearchatError = core::Error::InvalidCode {
            reason: "typo".into(),
        }
        .into();
        assert_eq!(e.to_string(), "invalid code: typo");
        assert!(matches!(e, ClearchatError::InvalidCode { ref reason, .. } if reason == "typo"));
    }

    #[test]
    fn an_id_that_does_not_parse_is_unknown() {
        assert!(matches!(
            buddy_id("Betty"),
            Err(ClearchatError::UnknownBuddy { ref buddy, .. }) if buddy == "Betty"
        ));
        assert!(matches!(
            device_id("ab"),
            Err(ClearchatError::UnknownDevice { .. })
        ));
        assert!(matches!(
            message_id("x-1"),
            Err(ClearchatError::UnknownMessage { .. })
        ));
        let id = core::DeviceId([3; 32]);
        assert_eq!(device_id(&id.to_string()).unwrap(), id);
    }
}
