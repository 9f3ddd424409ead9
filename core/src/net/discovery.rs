//! Where devices are found: the one question the dialer asks ([`Discovery::resolve`]) and the one thing
//! the network tells when its addresses change ([`Discovery::publish`]). Implementations: the addresses the
//! store caches (`Cached`: from invites, `Addresses` entries, LAN probes, the DHT and past connections,
//! published as `Addresses` entries to my spaces) and the Mainline DHT (`dht::DhtDiscovery`). LAN beacons
//! (`lan`) find devices on their own schedule and record what they find in the same cache.

use crate::engine::Engine;
use crate::ids::{DeviceId, Now};
use std::net::SocketAddr;
use std::sync::Arc;

pub(super) trait Discovery: Send + Sync {
    /// My addresses are now `mine` (local ones and my public ones, best first): tell whom this source tells.
    fn publish(&self, mine: &[SocketAddr]);
    /// Addresses to try for `device` now, best first. `unreachable` says the device is needed and what is
    /// known failed or nothing is: a source that must ask the network starts asking then, and what it
    /// finds arrives through the store (which wakes the dialer).
    fn resolve(&self, device: &DeviceId, unreachable: bool) -> Vec<SocketAddr>;
    /// A connection with `device` is up: whatever this source was doing to find it can stop.
    fn reached(&self, _device: &DeviceId) {}
}

/// The addresses the store caches, and `Addresses` entries for publishing.
pub(super) struct Cached(pub Arc<Engine>);

impl Discovery for Cached {
    fn publish(&self, mine: &[SocketAddr]) {
        let engine = &self.0;
        if let Err(e) = crate::blocking(|| engine.publish_addresses(mine, Now::read())) {
            log::warn!("publishing my addresses: {e}");
        }
    }

    fn resolve(&self, device: &DeviceId, _unreachable: bool) -> Vec<SocketAddr> {
        self.0.addresses_of(device).unwrap_or_else(|e| {
            log::warn!("reading addresses of {}: {e}", device.short());
            Vec::new()
        })
    }
}
