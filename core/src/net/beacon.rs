//! LAN discovery: a started client broadcasts a small UDP beacon now and then, and listens for others'.
//! A beacon carries only rotating tags derived from space keys (and the QUIC port), so a stranger on the
//! LAN learns nothing it can link to a person or a space. A device that recognizes a tag probes the sender
//! (a QUIC handshake that tells its device id), records the address, and lets the dialer connect.

use crate::ids::Now;
use crate::space::SpaceKey;
use rand::RngCore;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// The UDP port beacons are sent to.
pub const BEACON_PORT: u16 = 47_474;
/// How often a started client announces itself.
pub const BEACON_INTERVAL: Duration = Duration::from_secs(20);
/// Tags rotate every bucket.
pub const BUCKET_SECS: u64 = 300;
const MAGIC: &[u8; 4] = b"CCB1";
const MAX_TAGS: usize = 64;

/// One beacon: who sent it (a random instance id, to skip our own), where its QUIC endpoint listens, tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beacon {
    pub instance: [u8; 8],
    pub quic_port: u16,
    pub tags: Vec<[u8; 16]>,
}

/// The time bucket of tags at `now`.
pub fn bucket(now: Now) -> u64 {
    now.secs() / BUCKET_SECS
}

pub fn new_instance() -> [u8; 8] {
    let mut id = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut id);
    id
}

impl Beacon {
    pub fn for_spaces(instance: [u8; 8], quic_port: u16, keys: &[SpaceKey], bucket: u64) -> Beacon {
        let tags = keys
            .iter()
            .take(MAX_TAGS)
            .map(|k| k.beacon_tag(bucket))
            .collect();
        Beacon {
            instance,
            quic_port,
            tags,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(15 + self.tags.len() * 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.instance);
        out.extend_from_slice(&self.quic_port.to_be_bytes());
        out.push(self.tags.len() as u8);
        for tag in &self.tags {
            out.extend_from_slice(tag);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Beacon> {
        let rest = bytes.strip_prefix(MAGIC)?;
        if rest.len() < 11 {
            return None;
        }
        let instance: [u8; 8] = rest[..8].try_into().ok()?;
        let quic_port = u16::from_be_bytes([rest[8], rest[9]]);
        let count = rest[10] as usize;
        let tags_bytes = &rest[11..];
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
            tags,
        })
    }

    /// The keys among `keys` whose tag (this bucket or a neighbour, for clock skew) the beacon carries.
    pub fn matches<'k>(&self, keys: &'k [SpaceKey], bucket: u64) -> Vec<&'k SpaceKey> {
        keys.iter()
            .filter(|k| {
                [bucket.saturating_sub(1), bucket, bucket + 1]
                    .iter()
                    .any(|b| self.tags.contains(&k.beacon_tag(*b)))
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
    fn beacons_round_trip_and_match_only_their_spaces() {
        let (a, b) = (SpaceKey::generate(), SpaceKey::generate());
        let beacon = Beacon::for_spaces([1; 8], 4000, std::slice::from_ref(&a), 10);
        let decoded = Beacon::decode(&beacon.encode()).unwrap();
        assert_eq!(decoded, beacon);
        let keys = [a.clone(), b];
        assert_eq!(decoded.matches(&keys, 10), vec![&a]);
        assert_eq!(
            decoded.matches(&keys, 11),
            vec![&a],
            "a neighbouring bucket still matches"
        );
        assert!(decoded.matches(&keys, 12).is_empty(), "tags rotate");
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
        let mut port = genuine.clone();
        port.quic_port = 6666;
        assert!(port.matches(&keys, 10).is_empty(), "an edited port matched");
        let mut instance = genuine.clone();
        instance.instance = [2; 8];
        assert!(instance.matches(&keys, 10).is_empty(), "an edited instance matched");
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
