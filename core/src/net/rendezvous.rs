//! The DHT rendezvous record, without I/O: the keys a device's record lives under (derived from a space's
//! current key, an hourly epoch and the device id), the sealed value (the device's addresses, signed by the
//! device and sealed with a key of the same derivation), and every check a record passes before any address
//! in it may be dialed. A DHT node sees a public key, a salt and ciphertext that change every epoch; only a
//! holder of the space's current key can find, open or write a record, and only the device itself can sign
//! one that opens.

use crate::ids::DeviceId;
use crate::space::{mac, SpaceKey};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ed25519_dalek::{Signer, VerifyingKey};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

/// A record's keys change every hour.
pub const EPOCH_SECS: u64 = 3600;
/// BEP 44 caps a value at 1000 bytes.
pub const MAX_RECORD_BYTES: usize = 1000;
/// Addresses in one record, at most.
pub const MAX_ADDRS: usize = 8;
/// A record signed longer ago than this is stale.
pub const STALE_AFTER_SECS: u64 = 2 * EPOCH_SECS + 300;
/// A record signed further in the future than this (clock skew) is refused too.
pub const FUTURE_SKEW_SECS: u64 = 300;
const NONCE_LEN: usize = 12;
const SIGNATURE_LEN: usize = 64;

/// The epoch of a time in seconds since the Unix epoch.
pub fn epoch(now_secs: u64) -> u64 {
    now_secs / EPOCH_SECS
}

/// The seconds from `now_secs` to the start of the next epoch.
pub fn until_next_epoch(now_secs: u64) -> u64 {
    EPOCH_SECS - now_secs % EPOCH_SECS
}

/// Where one device's record of one space and epoch lives, and the key that seals it.
pub struct Rendezvous {
    /// The BEP 44 signing key's seed: every member can derive it (and so write the slot); the value inside
    /// is signed by the device itself, which only it can do.
    pub signing_seed: [u8; 32],
    /// The BEP 44 salt: names the device's slot, unlinkable to its id without the space key.
    pub salt: [u8; 20],
    seal: [u8; 32],
}

impl Rendezvous {
    /// The slot of `device` in the space whose current key is `key`, in `epoch`.
    pub fn new(key: &SpaceKey, epoch: u64, device: &DeviceId) -> Rendezvous {
        let hk = Hkdf::<Sha256>::new(Some(b"clearchat rendezvous"), &key.0);
        let mut epoch_key = [0u8; 32];
        // 32 bytes is always a valid HKDF-SHA256 output length.
        let _ = hk.expand(&epoch.to_be_bytes(), &mut epoch_key);
        let mut salt = [0u8; 20];
        salt.copy_from_slice(&mac(&epoch_key, &[b"salt", &device.0])[..20]);
        Rendezvous {
            signing_seed: mac(&epoch_key, &[b"signing"]),
            salt,
            seal: mac(&epoch_key, &[b"seal", &device.0]),
        }
    }

    /// The BEP 44 public key of the slot (what a resolver asks the DHT for, with the salt).
    pub fn public_key(&self) -> [u8; 32] {
        ed25519_dalek::SigningKey::from_bytes(&self.signing_seed)
            .verifying_key()
            .to_bytes()
    }

    /// The record value: `addrs` (the dialable ones, at most [`MAX_ADDRS`]) at `now_secs`, signed by the
    /// device's key `signer`, sealed.
    pub fn seal(
        &self,
        signer: &ed25519_dalek::SigningKey,
        addrs: &[SocketAddr],
        now_secs: u64,
    ) -> Option<Vec<u8>> {
        let body = Body {
            time: now_secs,
            addrs: addrs
                .iter()
                .copied()
                .map(canonical)
                .filter(dialable)
                .take(MAX_ADDRS)
                .collect(),
        };
        let body = postcard::to_allocvec(&body).ok()?;
        let signature = signer.sign(&self.signed(&body)).to_bytes();
        let mut plain = signature.to_vec();
        plain.extend_from_slice(&body);
        let nonce: [u8; NONCE_LEN] = rand::random();
        let cipher = ChaCha20Poly1305::new((&self.seal).into());
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &self.salt,
                },
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        (out.len() <= MAX_RECORD_BYTES).then_some(out)
    }

    /// Opens a record found in this slot for `device` and checks everything: size, seal, the device's
    /// signature, age, and that every address is one we may dial. Returns the addresses, or why the
    /// record is dropped.
    pub fn open(
        &self,
        device: &DeviceId,
        value: &[u8],
        now_secs: u64,
    ) -> Result<Vec<SocketAddr>, Dropped> {
        if value.len() > MAX_RECORD_BYTES {
            return Err(Dropped::Oversized);
        }
        if value.len() < NONCE_LEN {
            return Err(Dropped::Unopenable);
        }
        let (nonce, sealed) = value.split_at(NONCE_LEN);
        let cipher = ChaCha20Poly1305::new((&self.seal).into());
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &self.salt,
                },
            )
            .map_err(|_| Dropped::Unopenable)?;
        if plain.len() < SIGNATURE_LEN {
            return Err(Dropped::Forged);
        }
        let (signature, body) = plain.split_at(SIGNATURE_LEN);
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| Dropped::Forged)?;
        let author = VerifyingKey::from_bytes(&device.0).map_err(|_| Dropped::Forged)?;
        author
            .verify_strict(&self.signed(body), &signature)
            .map_err(|_| Dropped::Forged)?;
        let body: Body = postcard::from_bytes(body).map_err(|_| Dropped::Unopenable)?;
        if body.time + STALE_AFTER_SECS < now_secs || body.time > now_secs + FUTURE_SKEW_SECS {
            return Err(Dropped::Stale);
        }
        if body.addrs.is_empty() || body.addrs.len() > MAX_ADDRS {
            return Err(Dropped::BadAddress);
        }
        let addrs: Vec<SocketAddr> = body.addrs.into_iter().map(canonical).collect();
        if !addrs.iter().all(dialable) {
            return Err(Dropped::BadAddress);
        }
        Ok(addrs)
    }

    /// What the device signs: a label, the slot (which binds space, epoch and device) and the body.
    fn signed(&self, body: &[u8]) -> Vec<u8> {
        let mut out = b"clearchat rendezvous record".to_vec();
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(body);
        out
    }
}

#[derive(Serialize, Deserialize)]
struct Body {
    /// When the device signed it, in seconds since the Unix epoch.
    time: u64,
    addrs: Vec<SocketAddr>,
}

/// Why a record found in the DHT was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    Oversized,
    /// Not sealed with this slot's key (garbage, another slot's record, a former key).
    Unopenable,
    /// Opens, but is not signed by the device.
    Forged,
    Stale,
    /// Lists no address, too many, or one we must not dial.
    BadAddress,
}

/// Records dropped, by reason; read by tests and diagnostics.
#[derive(Default, Debug)]
pub struct DropCounts {
    pub oversized: AtomicU64,
    pub unopenable: AtomicU64,
    pub forged: AtomicU64,
    pub stale: AtomicU64,
    pub bad_address: AtomicU64,
}

impl DropCounts {
    pub fn count(&self, why: Dropped) {
        let counter = match why {
            Dropped::Oversized => &self.oversized,
            Dropped::Unopenable => &self.unopenable,
            Dropped::Forged => &self.forged,
            Dropped::Stale => &self.stale,
            Dropped::BadAddress => &self.bad_address,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// An IPv4 address mapped into IPv6 (as a dual-stack socket reports it) as plain IPv4.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Whether an address learnt from afar (the DHT, a peer's observation) may be dialed: a unicast address
/// with a port, not loopback, not link-local, not unspecified, not multicast or broadcast.
pub fn dialable(addr: &SocketAddr) -> bool {
    if addr.port() == 0 {
        return false;
    }
    match addr.ip().to_canonical() {
        IpAddr::V4(ip) => {
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_link_local()
                || ip.is_multicast()
                || ip.is_broadcast()
                || ip.octets()[0] == 0)
        }
        IpAddr::V6(ip) => {
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_multicast()
                || (ip.segments()[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Whether an address is reachable from the internet at large (not private, shared or link-local): what
/// an observed address must be to be published as my public one.
pub fn public(addr: &SocketAddr) -> bool {
    if !dialable(addr) {
        return false;
    }
    match addr.ip().to_canonical() {
        IpAddr::V4(ip) => {
            let [a, b, ..] = ip.octets();
            !(ip.is_private() || (a == 100 && (64..128).contains(&b)))
        }
        // Unique local addresses (fc00::/7) stay on a site.
        IpAddr::V6(ip) => (ip.segments()[0] & 0xfe00) != 0xfc00,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> (ed25519_dalek::SigningKey, DeviceId) {
        let signer = ed25519_dalek::SigningKey::generate(&mut rand::thread_rng());
        let id = DeviceId(signer.verifying_key().to_bytes());
        (signer, id)
    }

    const NOW: u64 = 1_790_000_000;

    fn addrs() -> Vec<SocketAddr> {
        vec![
            "11.0.0.5:4000".parse().unwrap(),
            "[2a0a:cc::5]:4000".parse().unwrap(),
        ]
    }

    #[test]
    fn a_sealed_record_opens_for_its_slot_only() {
        let key = SpaceKey::generate();
        let (signer, me) = device();
        let slot = Rendezvous::new(&key, epoch(NOW), &me);
        let value = slot.seal(&signer, &addrs(), NOW).unwrap();
        assert!(value.len() <= MAX_RECORD_BYTES);
        assert_eq!(slot.open(&me, &value, NOW + 60), Ok(addrs()));
        // Another epoch, another space key (a rotation), another device: nothing opens, nothing links.
        let next = Rendezvous::new(&key, epoch(NOW) + 1, &me);
        assert_ne!(next.public_key(), slot.public_key());
        assert_ne!(next.salt, slot.salt);
        assert_eq!(next.open(&me, &value, NOW), Err(Dropped::Unopenable));
        let rotated = Rendezvous::new(&SpaceKey::generate(), epoch(NOW), &me);
        assert_eq!(rotated.open(&me, &value, NOW), Err(Dropped::Unopenable));
        let (_, other) = device();
        let theirs = Rendezvous::new(&key, epoch(NOW), &other);
        assert_eq!(
            theirs.public_key(),
            slot.public_key(),
            "one BEP 44 key per space"
        );
        assert_ne!(theirs.salt, slot.salt, "one slot per device");
        assert_eq!(theirs.open(&other, &value, NOW), Err(Dropped::Unopenable));
        // Nothing of ours in clear: the device id, the space id, the addresses' bytes.
        for secret in [&me.0[..], &key.space_id().0[..], &[11, 0, 0, 5][..]] {
            assert!(!value.windows(secret.len()).any(|w| w == secret));
        }
    }

    #[test]
    fn a_member_cannot_sign_for_another_device() {
        let key = SpaceKey::generate();
        let (_, victim) = device();
        let (mallory, _) = device();
        let slot = Rendezvous::new(&key, epoch(NOW), &victim);
        let forged = slot.seal(&mallory, &addrs(), NOW).unwrap();
        assert_eq!(slot.open(&victim, &forged, NOW), Err(Dropped::Forged));
    }

    #[test]
    fn stale_future_oversized_and_garbage_records_are_dropped() {
        let key = SpaceKey::generate();
        let (signer, me) = device();
        let slot = Rendezvous::new(&key, epoch(NOW), &me);
        let value = slot.seal(&signer, &addrs(), NOW).unwrap();
        assert_eq!(
            slot.open(&me, &value, NOW + STALE_AFTER_SECS + 1),
            Err(Dropped::Stale)
        );
        assert_eq!(
            slot.open(&me, &value, NOW - FUTURE_SKEW_SECS - 1),
            Err(Dropped::Stale)
        );
        assert_eq!(
            slot.open(&me, &vec![0; MAX_RECORD_BYTES + 1], NOW),
            Err(Dropped::Oversized)
        );
        for n in 0..value.len() {
            assert!(slot.open(&me, &value[..n], NOW).is_err());
            let mut flipped = value.clone();
            flipped[n] ^= 1;
            assert!(slot.open(&me, &flipped, NOW).is_err());
        }
        for _ in 0..200 {
            let len = rand::random::<usize>() % 1200;
            let junk: Vec<u8> = (0..len).map(|_| rand::random()).collect();
            assert!(slot.open(&me, &junk, NOW).is_err());
        }
    }

    #[test]
    fn addresses_we_must_not_dial_are_never_published_and_drop_a_record() {
        for bad in [
            "127.0.0.1:4000",
            "[::1]:4000",
            "169.254.1.1:4000",
            "[fe80::1]:4000",
            "224.0.0.251:4000",
            "[ff02::1]:4000",
            "0.0.0.0:4000",
            "[::]:4000",
            "255.255.255.255:4000",
            "11.0.0.5:0",
        ] {
            let bad: SocketAddr = bad.parse().unwrap();
            assert!(!dialable(&bad), "{bad}");
        }
        assert!(dialable(&"192.168.1.2:4000".parse().unwrap()));
        assert!(public(&"11.0.0.5:4000".parse().unwrap()));
        assert!(!public(&"100.64.0.2:4000".parse().unwrap()), "carrier NAT");
        assert!(!public(&"10.1.2.3:4000".parse().unwrap()));
        assert!(!public(&"[fd00::1]:4000".parse().unwrap()));
        assert!(public(&"[::ffff:11.0.0.5]:4000".parse().unwrap()));

        let key = SpaceKey::generate();
        let (signer, me) = device();
        let slot = Rendezvous::new(&key, epoch(NOW), &me);
        // Sealing filters them out.
        let mut mine = addrs();
        mine.push("127.0.0.1:4000".parse().unwrap());
        let value = slot.seal(&signer, &mine, NOW).unwrap();
        assert_eq!(slot.open(&me, &value, NOW), Ok(addrs()));
        // A record that lists one anyway (signed by the device, so built by hand) is dropped whole.
        let body = Body {
            time: NOW,
            addrs: vec![
                "11.0.0.5:4000".parse().unwrap(),
                "[::1]:4000".parse().unwrap(),
            ],
        };
        let body = postcard::to_allocvec(&body).unwrap();
        let mut plain = signer.sign(&slot.signed(&body)).to_bytes().to_vec();
        plain.extend_from_slice(&body);
        let cipher = ChaCha20Poly1305::new((&slot.seal).into());
        let nonce = [0u8; NONCE_LEN];
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &slot.salt,
                },
            )
            .unwrap();
        let mut value = nonce.to_vec();
        value.extend(sealed);
        assert_eq!(slot.open(&me, &value, NOW), Err(Dropped::BadAddress));
    }

    #[test]
    fn epochs() {
        assert_eq!(epoch(7199), 1);
        assert_eq!(until_next_epoch(7199), 1);
        assert_eq!(until_next_epoch(7200), EPOCH_SECS);
    }
}
