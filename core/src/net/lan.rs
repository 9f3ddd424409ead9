//! LAN discovery: announce this device with beacons (`beacon`), and probe the devices whose beacons carry a
//! tag of one of my spaces: a handshake tells the device's id; a device to reach gets its address recorded
//! and is dialed.

use super::{beacon, close, tls, Net, HANDSHAKE_TIMEOUT};
use crate::ids::{DeviceId, Now};
use crate::lock;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a probed address is left alone.
const PROBE_AGAIN_AFTER: Duration = Duration::from_secs(60);

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
    let quic_port = net.addrs.first().map(|a| a.port()).unwrap_or(0);
    let mut ticker = tokio::time::interval(beacon::BEACON_INTERVAL);
    // When each address was last probed; a failed probe forgets it, so the next beacon probes again.
    let probed: Arc<Mutex<HashMap<SocketAddr, Instant>>> = Default::default();
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
                let bucket = beacon::bucket(Now::read());
                let bytes = beacon::Beacon::for_spaces(instance, quic_port, &keys, bucket).encode();
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
                let bucket = beacon::bucket(Now::read());
                if heard.matches(&keys, bucket).is_empty() {
                    continue;
                }
                let addr = SocketAddr::new(src.ip(), heard.quic_port);
                {
                    let mut probed = lock(&probed);
                    if probed.get(&addr).is_some_and(|at| at.elapsed() < PROBE_AGAIN_AFTER) {
                        continue;
                    }
                    probed.insert(addr, Instant::now());
                }
                // Answer at once so the other side need not wait for our next beacon.
                let ours = beacon::Beacon::for_spaces(instance, quic_port, &keys, bucket).encode();
                let _ = socket.send_to(&ours, src).await;
                let (net2, probed2) = (net.clone(), probed.clone());
                net.spawn(async move {
                    if !probe(&net2, addr).await {
                        lock(&probed2).remove(&addr);
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
