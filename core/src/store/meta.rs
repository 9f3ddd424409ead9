//! The `meta` table: this device's identity and small settings, under the keys of [`Meta`] only.

use crate::error::Result;
use crate::ids::{DeviceId, SpaceId};
use rusqlite::{params, Connection, OptionalExtension};

/// Every key of the `meta` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meta {
    /// This device's Ed25519 secret key (the store is the device's secret), where no keystore seals it.
    DeviceSecret,
    /// This device's Ed25519 secret key sealed by the phone's keystore (see `crate::secret` for the
    /// layout); a store holds this or [`Meta::DeviceSecret`], never both.
    DeviceSecretSealed,
    /// This device's name, as given when it was created or renamed.
    DeviceName,
    /// My person id.
    Person,
    /// My home space id.
    Home,
    /// The UDP port the device listened on last (port 0 picks one once and keeps it).
    Port,
    /// The addresses last published into a space.
    Published(SpaceId),
    /// When a device was last connected to us (u64 BE, unix seconds).
    Seen(DeviceId),
    /// The encoded entry that made this device a member of a space (written by another device), shown to
    /// peers that may not know this device yet.
    Introduction(SpaceId),
}

impl Meta {
    fn key(&self) -> String {
        match self {
            Meta::DeviceSecret => "device_secret".into(),
            Meta::DeviceSecretSealed => "device_secret_sealed".into(),
            Meta::DeviceName => "device_name".into(),
            Meta::Person => "person".into(),
            Meta::Home => "home".into(),
            Meta::Port => "port".into(),
            Meta::Published(space) => format!("published:{space}"),
            Meta::Seen(device) => format!("seen:{device}"),
            Meta::Introduction(space) => format!("introduction:{space}"),
        }
    }
}

pub fn meta_get(c: &Connection, key: Meta) -> Result<Option<Vec<u8>>> {
    let mut stmt = c.prepare_cached("SELECT value FROM meta WHERE key = ?")?;
    Ok(stmt.query_row([key.key()], |r| r.get(0)).optional()?)
}

pub fn meta_set(c: &Connection, key: Meta, value: &[u8]) -> Result<()> {
    c.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")?
        .execute(params![key.key(), value])?;
    Ok(())
}

pub fn meta_delete(c: &Connection, key: Meta) -> Result<()> {
    c.prepare_cached("DELETE FROM meta WHERE key = ?")?
        .execute([key.key()])?;
    Ok(())
}
