//! What the user types for a buddy or a device (a name, a full id, or an id prefix of 4 or more hex digits),
//! resolved to the typed id the core takes. The core names buddies and devices by id only.

use clearchat_core::{BuddyId, Client, DeviceId, Error};

/// The one buddy, or one other device of mine, that `wanted` names; the core's sentence otherwise.
pub async fn resolve<T: Resolvable>(client: &Client, wanted: &str) -> Result<T, String> {
    let wanted = wanted.trim();
    let lower = wanted.to_lowercase();
    let candidates = T::candidates(client).await?;
    if let Some((id, _)) = candidates.iter().find(|(id, _)| id.to_string() == lower) {
        return Ok(*id);
    }
    let named = |name: &str| name.eq_ignore_ascii_case(wanted);
    let found: Vec<&(T, String)> = candidates
        .iter()
        .filter(|(id, name)| {
            named(name) || (lower.len() >= 4 && id.to_string().starts_with(&lower))
        })
        .collect();
    match found.as_slice() {
        [(id, _)] => Ok(*id),
        _ => Err(T::unknown(wanted)),
    }
}

/// A kind of id the user may name.
pub trait Resolvable: Copy + ToString + Sized {
    /// Every id of this kind with its name.
    async fn candidates(client: &Client) -> Result<Vec<(Self, String)>, String>;
    fn unknown(wanted: &str) -> String;
}

impl Resolvable for BuddyId {
    async fn candidates(client: &Client) -> Result<Vec<(Self, String)>, String> {
        let buddies = client.buddies().await.map_err(|e| e.to_string())?;
        Ok(buddies.into_iter().map(|b| (b.id, b.name)).collect())
    }
    fn unknown(wanted: &str) -> String {
        Error::UnknownBuddy(wanted.to_string()).to_string()
    }
}

impl Resolvable for DeviceId {
    /// My other linked devices (this one cannot be unlinked from here).
    async fn candidates(client: &Client) -> Result<Vec<(Self, String)>, String> {
        let devices = client.devices().await.map_err(|e| e.to_string())?;
        Ok(devices
            .into_iter()
            .filter(|d| !d.revoked && !d.me)
            .map(|d| (d.id, d.name))
            .collect())
    }
    fn unknown(wanted: &str) -> String {
        Error::UnknownDevice(wanted.to_string()).to_string()
    }
}
