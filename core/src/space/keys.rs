//! The space key and everything derived from it (HKDF with labels), keys sealed to one device, the proofs
//! of holding a key, and the kinds and states of spaces.

use crate::ids::{DeviceId, SpaceId};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpaceKind {
    /// One person's devices.
    Home,
    /// Two people.
    Buddy,
}

/// Where a space stands on this device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceState {
    Active,
    /// We left; the space is kept online only to hand our `Left` entry to the other person.
    Closing,
    /// Nothing more is synced or accepted.
    Closed,
}

/// The full-access secret of a space. Never logged, never sent in clear.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceKey(pub [u8; 32]);

impl std::fmt::Debug for SpaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpaceKey(..)")
    }
}

/// Proof direction, so that a proof can never be reflected back to its sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Dialer,
    Acceptor,
}

impl Role {
    /// The role of the other side of the connection.
    pub fn other(self) -> Role {
        match self {
            Role::Dialer => Role::Acceptor,
            Role::Acceptor => Role::Dialer,
        }
    }
}

impl SpaceKey {
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        SpaceKey(key)
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let hk = Hkdf::<Sha256>::new(None, &self.0);
        let mut out = [0u8; 32];
        // 32 bytes is always a valid HKDF-SHA256 output length.
        let _ = hk.expand(label.as_bytes(), &mut out);
        out
    }

    pub fn space_id(&self) -> SpaceId {
        SpaceId(self.derive("clearchat space id"))
    }
    pub fn entry_key(&self) -> [u8; 32] {
        self.derive("clearchat entry key")
    }
    pub fn proof_key(&self) -> [u8; 32] {
        self.derive("clearchat proof key")
    }
    pub fn beacon_key(&self) -> [u8; 32] {
        self.derive("clearchat beacon key")
    }
    /// Names this key in entry headers, so a receiver knows which of a space's keys sealed an entry.
    pub fn key_id(&self) -> [u8; 8] {
        let full = self.derive("clearchat key id");
        let mut id = [0u8; 8];
        id.copy_from_slice(&full[..8]);
        id
    }

    /// Seals this key to one device (X25519 on the device's Ed25519 key, then ChaCha20-Poly1305).
    pub fn seal_to(&self, device: &DeviceId, space: &SpaceId) -> Option<SealedKey> {
        let recipient = ed25519_dalek::VerifyingKey::from_bytes(&device.0)
            .ok()?
            .to_montgomery();
        let ephemeral = x25519_dalek::StaticSecret::random_from_rng(rand::thread_rng());
        let ephemeral_public = x25519_dalek::PublicKey::from(&ephemeral).to_bytes();
        let shared = ephemeral.diffie_hellman(&x25519_dalek::PublicKey::from(recipient.to_bytes()));
        let wrap = wrap_key(shared.as_bytes(), &ephemeral_public, device);
        let cipher = ChaCha20Poly1305::new((&wrap).into());
        let sealed = cipher
            .encrypt(
                &Nonce::default(),
                Payload {
                    msg: &self.0,
                    aad: &space.0,
                },
            )
            .ok()?;
        Some(SealedKey {
            device: *device,
            ephemeral: ephemeral_public,
            sealed,
        })
    }

    /// Opens a key sealed to this device.
    pub fn open_sealed(
        sealed: &SealedKey,
        signer: &ed25519_dalek::SigningKey,
        space: &SpaceId,
    ) -> Option<SpaceKey> {
        let secret = x25519_dalek::StaticSecret::from(signer.to_scalar_bytes());
        let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(sealed.ephemeral));
        let wrap = wrap_key(shared.as_bytes(), &sealed.ephemeral, &sealed.device);
        let cipher = ChaCha20Poly1305::new((&wrap).into());
        let plain = cipher
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: &sealed.sealed,
                    aad: &space.0,
                },
            )
            .ok()?;
        Some(SpaceKey(plain.try_into().ok()?))
    }

    /// The offer a device sends on one connection to prove it holds this key: a MAC over the
    /// connection's TLS exporter value and the sender's role. Unlinkable across connections.
    pub fn offer(&self, exporter: &[u8; 32], role: Role) -> [u8; 32] {
        mac(&self.proof_key(), &[b"offer", &[role as u8], exporter])
    }

    /// The tag a LAN beacon carries for this space in time bucket `bucket`.
    pub fn beacon_tag(&self, bucket: u64) -> [u8; 16] {
        let full = mac(&self.beacon_key(), &[b"beacon", &bucket.to_be_bytes()]);
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&full[..16]);
        tag
    }
}

/// A new space key that comes with a removal: its epoch (one above the highest the author knew), its key
/// id in clear so that every member can order keys even without holding this one, and the key sealed to
/// each remaining member. The current key of a space is the key of the highest epoch established by a
/// current member (ties: the smallest key id), the same on every device whatever the arrival order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub epoch: u64,
    pub key_id: [u8; 8],
    pub keys: Vec<SealedKey>,
}

/// A space key sealed to one device; the nonce is zero because every wrap key is used once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedKey {
    pub device: DeviceId,
    pub ephemeral: [u8; 32],
    pub sealed: Vec<u8>,
}

fn wrap_key(shared: &[u8; 32], ephemeral: &[u8; 32], device: &DeviceId) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(b"clearchat key wrap"), shared);
    let mut out = [0u8; 32];
    let mut info = ephemeral.to_vec();
    info.extend_from_slice(&device.0);
    let _ = hk.expand(&info, &mut out);
    out
}

/// Whether `device` is a usable Ed25519 public key: a valid point, not of small order (a weak key would let
/// a lax verifier accept one signature for every message).
pub fn strong_key(device: &DeviceId) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(&device.0).is_ok_and(|k| !k.is_weak())
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        m.update(part);
    }
    m.finalize().into_bytes().into()
}

/// Constant-time equality for proofs.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_differ_and_are_stable() {
        let key = SpaceKey([1; 32]);
        assert_eq!(key.space_id(), SpaceKey([1; 32]).space_id());
        let all = [
            key.space_id().0,
            key.entry_key(),
            key.proof_key(),
            key.beacon_key(),
        ];
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j]);
            }
        }
        assert!(!all.contains(&key.0));
    }

    #[test]
    fn offers_depend_on_connection_and_role() {
        let key = SpaceKey::generate();
        let a = key.offer(&[1; 32], Role::Dialer);
        assert_ne!(a, key.offer(&[2; 32], Role::Dialer));
        assert_ne!(a, key.offer(&[1; 32], Role::Acceptor));
        assert_ne!(a, SpaceKey::generate().offer(&[1; 32], Role::Dialer));
        assert_ne!(key.beacon_tag(1), key.beacon_tag(2));
    }

    #[test]
    fn keys_sealed_to_a_device_open_only_there() {
        let key = SpaceKey::generate();
        let space = SpaceId([5; 32]);
        let amy = ed25519_dalek::SigningKey::generate(&mut rand::thread_rng());
        let eve = ed25519_dalek::SigningKey::generate(&mut rand::thread_rng());
        let amy_id = DeviceId(amy.verifying_key().to_bytes());
        let sealed = key.seal_to(&amy_id, &space).unwrap();
        assert_eq!(
            SpaceKey::open_sealed(&sealed, &amy, &space),
            Some(key.clone())
        );
        assert_eq!(SpaceKey::open_sealed(&sealed, &eve, &space), None);
        assert_eq!(
            SpaceKey::open_sealed(&sealed, &amy, &SpaceId([6; 32])),
            None
        );
        assert_ne!(key.key_id(), SpaceKey::generate().key_id());
    }
}
