//! The `peers` table: the addresses each device was seen at, and when a device was last connected.

use super::{meta_get, meta_set, Meta};
use crate::error::Result;
use crate::ids::{DeviceId, Now};
use rusqlite::{params, Connection};
use std::net::SocketAddr;

pub fn peer_addr_add(c: &Connection, device: &DeviceId, addr: &SocketAddr, now: Now) -> Result<()> {
    c.prepare_cached("INSERT OR REPLACE INTO peers (device, addr, seen_at) VALUES (?, ?, ?)")?
        .execute(params![device.0, addr.to_string(), now.secs() as i64])?;
    Ok(())
}

/// When a device was last connected to us (seconds since the epoch).
pub fn peer_last_seen(c: &Connection, device: &DeviceId) -> Result<Option<u64>> {
    let seen = meta_get(c, Meta::Seen(*device))?;
    Ok(seen.and_then(|v| v.try_into().ok()).map(u64::from_be_bytes))
}

pub fn peer_seen(c: &Connection, device: &DeviceId, now: Now) -> Result<()> {
    meta_set(c, Meta::Seen(*device), &now.secs().to_be_bytes())
}

/// Known addresses of a device, most recently seen first.
pub fn peer_addrs(c: &Connection, device: &DeviceId) -> Result<Vec<SocketAddr>> {
    let mut stmt =
        c.prepare_cached("SELECT addr FROM peers WHERE device = ? ORDER BY seen_at DESC LIMIT 8")?;
    let rows = stmt.query_map([device.0], |r| r.get::<_, String>(0))?;
    Ok(rows.filter_map(|a| a.ok()?.parse().ok()).collect())
}
