//! LAN discovery: announce this device with beacons (`beacon`), and probe the devices whose beacons carry a
//! tag of one of my spaces: a handshake tells the device's id; a device to reach gets its address recorded
//! and is dialed. What the loop remembers (beacons acted on, addresses probed) is pruned and bounded.

use super::{beacon, close, tls, Net, HANDSHAKE_TIMEOUT};
use crate::ids::{DeviceId, Now};
use crate::lock;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a probed address is left alone.
const PROBE_AGAIN_AFTER: Duration = Duration::from_secs(60);
/// Most addresses remembered as probed, and beacons remembered as acted on (more are not acted on).
const MAX_REMEMBERED: usize = 256;

/// Keys remembered until a time, pruned whenever one is added, never more than [`MAX_REMEMBERED`].
struct Remembered<K> {
    until: HashMap<K, Instant>,
}

impl<K: std::hash::Hash + Eq> Remembered<K> {
    fn new() -> Self {
        Remembered {
            until: HashMap::new(),
        }
    }

    /// Remembers `key` for `keep` from `now`: true if it was not remembered already (and there was room).
    fn first(&mut self, key: K, now: Instant, keep: Duration) -> bool {
        self.until.retain(|_, until| *until > now);
        if self.until.contains_key(&key) || self.until.len() >= MAX_REMEMBERED {
            return false;
        }
        self.until.insert(key, now + keep);
        true
    }

    fn forget(&mut self, key: &K) {
        self.until.remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.until.len()
    }
}

/// Announces this device on the LAN and probes devices whose beacons carry a tag of one of my spaces.
pub(super) async fn beacon_loop(net: Arc<Net>, port: u16) {
    let socket = match beacon::bind(port).and_then(tokio::net::UdpSocket::from_std) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("LAN discovery is off: cannot bind UDP port {port}: {e}");
            return;
        }
    };
    let instance = beacon::new_instance();
    let quic_port = net.port();
    let mut ticker = tokio::time::interval(beacon::BEACON_INTERVAL);
    // The addresses probed lately; a failed probe forgets its address, so the next beacon probes again.
    let probed = Arc::new(Mutex::new(Remembered::<SocketAddr>::new()));
    // The beacons acted on, while they are valid: the same beacon resent (from anywhere) is dropped.
    let mut acted_on = Remembered::<([u8; 8], u64)>::new();
    let window = Duration::from_secs(2 * beacon::WINDOW_SECS + 1);
    let mut buf = vec![0u8; 2048];
    let live_keys = |net: &Net| {
        net.engine.beacon_keys().unwrap_or_else(|e| {
            log::warn!("reading space keys for beacons: {e}");
            Vec::new()
        })
    };
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let keys = live_keys(&net);
                let now = Now::read().secs();
                let bytes = beacon::Beacon::for_spaces(instance, quic_port, &keys, now).encode();
                for dest in beacon::destinations(port) {
                    let _ = socket.send_to(&bytes, dest).await;
                }
            }
            received = socket.recv_from(&mut buf) => {
                let Ok((n, src)) = received else { continue };
                let Some(heard) = beacon::Beacon::decode(&buf[..n]) else { continue };
                if heard.instance == instance {
                    continue;
                }
                let keys = live_keys(&net);
                let now = Now::read().secs();
                if heard.matches(&keys, now).is_empty()
                    || !acted_on.first((heard.instance, heard.time), Instant::now(), window)
                {
                    continue;
                }
                let addr = SocketAddr::new(src.ip(), heard.quic_port);
                if !lock(&probed).first(addr, Instant::now(), PROBE_AGAIN_AFTER) {
                    continue;
                }
                // Answer at once so the other side need not wait for our next beacon.
                let ours = beacon::Beacon::for_spaces(instance, quic_port, &keys, now).encode();
                let _ = socket.send_to(&ours, src).await;
                let (net2, probed2) = (net.clone(), probed.clone());
                net.spawn(async move {
                    if !probe(&net2, addr).await {
                        lock(&probed2).forget(&addr);
                    }
                });
            }
        }
    }
}

/// Learns which device listens at `addr` (a handshake tells its key), and records the address if it is a
/// device to reach. Returns false if no handshake completed.
async fn probe(net: &Net, addr: SocketAddr) -> bool {
    let Ok(config) = tls::client_config(&net.engine.signer, None) else {
        return false;
    };
    let Ok(connecting) = net.endpoint.connect_with(config, addr, "clearchat") else {
        return false;
    };
    let Ok(Ok(quic)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting).await else {
        log::debug!("LAN probe of {addr}: no handshake");
        return false;
    };
    let peer = tls::peer_device_id(&quic).map(DeviceId);
    quic.close(close::NORMAL, b"probe");
    let Some(peer) = peer.filter(|p| *p != net.engine.me) else {
        return true;
    };
    let known = net
        .engine
        .dial_targets()
        .map(|t| t.contains(&peer))
        .unwrap_or(false);
    if known {
        log::info!("found {} on the LAN at {addr}", peer.short());
        let engine = net.engine.clone();
        if let Err(e) = crate::blocking(|| engine.learned_address(&peer, &addr, Now::read())) {
            log::warn!("recording a LAN address: {e}");
        }
        net.dialer.forgive(&peer);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 10 item 10: what the LAN loop remembers is pruned as time passes and bounded, whatever a
    /// flood of beacons from many addresses makes it remember.
    #[test]
    fn remembered_addresses_are_pruned_and_bounded() {
        let mut probed = Remembered::new();
        let t0 = Instant::now();
        let keep = Duration::from_secs(60);
        let addr = |i: u32| SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 4000));
        assert!(probed.first(addr(1), t0, keep));
        assert!(!probed.first(addr(1), t0 + keep / 2, keep), "probed lately");
        for i in 2..2000 {
            probed.first(addr(i), t0, keep);
        }
        assert_eq!(probed.len(), MAX_REMEMBERED, "bounded");
        assert!(
            probed.first(addr(1), t0 + keep, keep),
            "pruned once its time passed"
        );
        assert_eq!(probed.len(), 1);
        probed.forget(&addr(1));
        assert!(probed.first(addr(1), t0 + keep, keep));
    }
}
