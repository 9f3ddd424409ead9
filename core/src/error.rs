//! The typed errors of the public API. Messages are plain sentences and never carry secrets.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid code: {reason}")]
    InvalidCode { reason: String },
    #[error("this invite has expired; ask for a new one")]
    InviteExpired,
    #[error("this invite was already used; ask for a new one")]
    InviteAlreadyUsed,
    #[error("this code is your own invite")]
    OwnInvite,
    #[error("you are already buddies with {name}")]
    AlreadyBuddies { name: String },
    #[error("this device is already linked to that person")]
    AlreadyLinked,
    #[error("this device already has buddies or linked devices; a device can only be linked while it is new")]
    NotNew,
    #[error("the inviting device could not be reached: {reason}")]
    InviterUnreachable { reason: String },
    #[error("the inviting device refused: {reason}")]
    Refused { reason: String },
    #[error("unknown buddy: {0}")]
    UnknownBuddy(String),
    #[error("unknown device: {0}")]
    UnknownDevice(String),
    #[error("unknown message: {0}")]
    UnknownMessage(String),
    #[error("a message must not be empty or longer than {max} bytes")]
    InvalidMessage { max: usize },
    #[error("invalid name: {reason}")]
    InvalidName { reason: String },
    #[error("this device was unlinked from its person")]
    Revoked,
    #[error("the client is closed")]
    Closed,
    /// The store's device key is sealed by a phone's keystore that cannot open it here: the store was
    /// copied or restored from another device (or the keystore lost its key). The store is left as it is.
    #[error("this device's key is held by the phone's keystore and could not be opened here ({reason}): this store was copied from another device, or the keystore lost its key")]
    DeviceKeyUnavailable { reason: String },
    /// The phone's keystore is locked (before the first unlock after a restart): try again once unlocked.
    #[error("the phone is locked: this device's key can be opened once it has been unlocked")]
    KeystoreLocked,
    #[error("storage error: {0}")]
    Storage(String),
    #[error("network error: {0}")]
    Network(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Storage(e.to_string())
    }
}
