//! LAN discovery: a started client broadcasts a small UDP beacon now and then, and listens for others'.
//! A beacon carries its sender's instance, QUIC port and time, and one tag per space: a MAC of those three
//! under the space's beacon key. So a stranger on the LAN learns nothing it can link to a person or a
//! space (the tags change with every beacon), and cannot edit a member's beacon to point members at an
//! address of its choosing; a beacon is valid only within [`WINDOW_SECS`] of the receiver's clock, and the
//! LAN loop drops a beacon it already acted on. A device that recognizes a tag probes the sender (a QUIC
//! handshake that tells its device id), records the address, and lets the dialer connect.

use crate::space::SpaceKey;
use rand::RngCore;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// The UDP port beacons are sent to.
pub const BEACON_PORT: u16 = 47_474;
/// How often a started client announces itself.
pub const BEACON_INTERVAL: Duration = Duration::from_secs(20);
/// How far a beacon's time may be from the receiver's clock.
pub const WINDOW_SECS: u64 = 60;
const MAGIC: &[u8; 4] = b"CCB2";
const MAX_TAGS: usize = 64;

/// One beacon: who sent it (a random instance id, to skip our own), where its QUIC endpoint listens, when
/// (unix seconds), and the tags of the sender's spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beacon {
    pub instance: [u8; 8],
    pub quic_port: u16,
    pub time: u64,
    pub tags: Vec<[u8; 16]>,
}

pub fn new_instance() -> [u8; 8] {
    let mut id = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut id);
    id
}

impl Beacon {
    /// The beacon of a device listening on `quic_port` with the spaces of `keys`, at `time` (unix seconds).
    pub fn for_spaces(instance: [u8; 8], quic_port: u16, keys: &[SpaceKey], time: u64) -> Beacon {
        let tags = keys
            .iter()
            .take(MAX_TAGS)
            .map(|k| k.beacon_tag(&instance, quic_port, time))
            .collect();
        Beacon {
            instance,
            quic_port,
            time,
            tags,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(23 + self.tags.len() * 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.instance);
        out.extend_from_slice(&self.quic_port.to_be_bytes());
        out.extend_from_slice(&self.time.to_be_bytes());
        out.push(self.tags.len() as u8);
        for tag in &self.tags {
            out.extend_from_slice(tag);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Beacon> {
        let rest = bytes.strip_prefix(MAGIC)?;
        if rest.len() < 19 {
            return None;
        }
        let instance: [u8; 8] = rest[..8].try_into().ok()?;
        let quic_port = u16::from_be_bytes([rest[8], rest[9]]);
        let time = u64::from_be_bytes(rest[10..18].try_into().ok()?);
        let count = rest[18] as usize;
        let tags_bytes = &rest[19..];
        if count > MAX_TAGS || tags_bytes.len() != count * 16 {
            return None;
        }
        let tags = tags_bytes
            .chunks_exact(16)
            .filter_map(|c| c.try_into().ok())
            .collect();
        Some(Beacon {
            instance,
            quic_port,
            time,
            tags,
        })
    }

    /// The keys among `keys` whose tag over this beacon's instance, port and time it carries, if its time
    /// is within [`WINDOW_SECS`] of `now` (unix seconds); none otherwise.
    pub fn matches<'k>(&self, keys: &'k [SpaceKey], now: u64) -> Vec<&'k SpaceKey> {
        if self.time.abs_diff(now) > WINDOW_SECS {
            return Vec::new();
        }
        keys.iter()
            .filter(|k| {
                let tag = k.beacon_tag(&self.instance, self.quic_port, self.time);
                self.tags.iter().any(|t| crate::space::ct_eq(t, &tag))
            })
            .collect()
    }
}

/// A UDP socket bound to the beacon port, shared with other clients on this host, allowed to broadcast.
pub fn bind(port: u16) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.set_broadcast(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
    Ok(socket.into())
}

/// Where beacons go: the limited broadcast address and the broadcast address of each IPv4 interface.
pub fn destinations(port: u16) -> Vec<SocketAddr> {
    let mut out = vec![SocketAddr::from((Ipv4Addr::BROADCAST, port))];
    if let Ok(ifaces) = if_addrs::get_if_addrs() {
        for iface in ifaces {
            if let if_addrs::IfAddr::V4(v4) = iface.addr {
                if let Some(b) = v4.broadcast {
                    out.push(SocketAddr::from((b, port)));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beacons_round_trip_and_match_only_their_spaces_within_the_window() {
        let (a, b) = (SpaceKey::generate(), SpaceKey::generate());
        let t = 1_800_000_000;
        let beacon = Beacon::for_spaces([1; 8], 4000, std::slice::from_ref(&a), t);
        let decoded = Beacon::decode(&beacon.encode()).unwrap();
        assert_eq!(decoded, beacon);
        let keys = [a.clone(), b];
        assert_eq!(decoded.matches(&keys, t), vec![&a]);
        assert_eq!(
            decoded.matches(&keys, t + WINDOW_SECS),
            vec![&a],
            "clock skew"
        );
        assert_eq!(
            decoded.matches(&keys, t - WINDOW_SECS),
            vec![&a],
            "clock skew"
        );
        assert!(
            decoded.matches(&keys, t + WINDOW_SECS + 1).is_empty(),
            "too old"
        );
        assert!(
            decoded.matches(&keys, t - WINDOW_SECS - 1).is_empty(),
            "from the future"
        );
        let later = Beacon::for_spaces([1; 8], 4000, std::slice::from_ref(&a), t + 20);
        assert_ne!(later.tags, beacon.tags, "tags change with every beacon");
        assert!(
            !beacon.encode().windows(32).any(|w| w == a.0),
            "no key in the clear"
        );
    }

    /// Issue 10 item 10: a stranger who captured a member's beacon resends it with its own port (or
    /// instance): members must not take it for the member's, or they would answer and probe the address
    /// the stranger chose.
    #[test]
    fn a_beacon_with_an_edited_port_or_instance_matches_nothing() {
        let key = SpaceKey::generate();
        let keys = [key.clone()];
        let genuine = Beacon::for_spaces([1; 8], 4000, &keys, 10);
        assert_eq!(genuine.matches(&keys, 10).len(), 1);
        let mut time = genuine.clone();
        time.time = 11;
        assert!(time.matches(&keys, 10).is_empty(), "an edited time matched");
        let mut port = genuine.clone();
        port.quic_port = 6666;
        assert!(port.matches(&keys, 10).is_empty(), "an edited port matched");
        let mut instance = genuine.clone();
        instance.instance = [2; 8];
        assert!(
            instance.matches(&keys, 10).is_empty(),
            "an edited instance matched"
        );
    }

    #[test]
    fn garbage_is_not_a_beacon() {
        assert!(Beacon::decode(b"").is_none());
        assert!(Beacon::decode(b"CCB1short").is_none());
        let mut bytes = Beacon::for_spaces([1; 8], 1, &[SpaceKey::generate()], 1).encode();
        bytes.push(0);
        assert!(Beacon::decode(&bytes).is_none());
        for n in 0..bytes.len() {
            let _ = Beacon::decode(&bytes[..n]);
        }
    }
}
