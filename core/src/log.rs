//! Entries of the per-device logs: the body types, sealing (XChaCha20-Poly1305 under the space's entry
//! key, header as associated data), signing (Ed25519 by the author), hashing and chain checks.

use crate::ids::{DeviceId, Hash, MessageKey, PersonId, SpaceId};
use crate::invite::{InviteSecret, Purpose};
use crate::space::{Rotation, SealedKey, SpaceKey, SpaceKind};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// Version byte in front of every encoded entry.
pub const ENTRY_VERSION: u8 = 1;
/// The largest encoded entry we accept.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;

/// The largest seq, and the largest time or expiry, an entry may carry: SQLite stores them as signed
/// 64-bit integers, so anything above this is refused at decode (headers) or has no effect (bodies).
pub const MAX_INT: u64 = i64::MAX as u64;

/// What an entry says, once opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// Any space: `device`, of `person`, is a member from now on.
    MemberAdded {
        device: DeviceId,
        person: PersonId,
        name: String,
    },
    /// Any space: `device` is no longer a member; its entries count up to `last_seq`. The rotation is
    /// the space's new key, for the remaining members.
    MemberRemoved {
        device: DeviceId,
        last_seq: u64,
        rotation: Option<Rotation>,
    },
    /// Any space: a person's display name.
    Hello { person: PersonId, name: String },
    /// Any space: where the author can be reached.
    Addresses { addrs: Vec<SocketAddr> },
    /// Home: a device's new display name.
    DeviceRenamed { device: DeviceId, name: String },
    /// Home: the device is unlinked; its home log counts up to `last_seq` (its head as the revoking
    /// device held it), on every device whatever it already received of that log.
    DeviceRevoked {
        device: DeviceId,
        last_seq: u64,
        rotation: Option<Rotation>,
    },
    /// Home: this person is in another space; every device of the person joins it.
    SpaceJoined {
        kind: SpaceKind,
        key: SpaceKey,
        root: DeviceId,
        label: String,
    },
    /// Home: this person left that space.
    SpaceLeft { space: SpaceId },
    /// Home: an invite that any device of the person may serve once.
    InviteIssued {
        id: [u8; 16],
        secret: InviteSecret,
        purpose: Purpose,
        label: String,
        expires_at: u64,
    },
    /// Home: the invite was used; every device refuses it from now on.
    InviteRedeemed { id: [u8; 16], by: DeviceId },
    /// Buddy: a chat message.
    Message {
        text: String,
        reply_to: Option<(DeviceId, u64)>,
    },
    /// Buddy: the author's person has read everything up to this message.
    Read { up_to: MessageKey },
    /// Buddy: the author's person removed the buddy; the space ends.
    Left,
    /// Any space: earlier keys sealed to a device added later. It establishes no key: only the rotation
    /// of a removal does. Like `MemberAdded` and `MemberRemoved`, always sealed under the space's first
    /// key, so every member can read it.
    KeysSealed { keys: Vec<SealedKey> },
}

impl Body {
    /// Whether every seq, time and expiry the body names is at most [`MAX_INT`]. A body out of range is
    /// stored with its entry but has no effect.
    pub fn in_range(&self) -> bool {
        match self {
            Body::MemberRemoved {
                last_seq, rotation, ..
            }
            | Body::DeviceRevoked {
                last_seq, rotation, ..
            } => *last_seq <= MAX_INT && rotation.as_ref().is_none_or(|r| r.epoch <= MAX_INT),
            Body::InviteIssued { expires_at, .. } => *expires_at <= MAX_INT,
            Body::Message {
                reply_to: Some((_, seq)),
                ..
            } => *seq <= MAX_INT,
            Body::Read { up_to } => up_to.seq <= MAX_INT && up_to.time <= MAX_INT,
            _ => true,
        }
    }
}

/// An entry as it travels and as it is stored: header, sealed body and signature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub space: SpaceId,
    pub author: DeviceId,
    pub seq: u64,
    pub prev: Hash,
    pub time: u64,
    /// Which of the space's keys sealed the body.
    pub key_id: [u8; 8],
    pub nonce: [u8; 24],
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub sig: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    #[error("entry is malformed")]
    Malformed,
    #[error("entry is too large")]
    TooLarge,
    #[error("entry signature does not verify")]
    BadSignature,
    #[error("entry body does not open with the space key")]
    BadSeal,
    #[error("entry body could not be sealed")]
    Seal,
}

#[derive(Serialize)]
struct Header<'a> {
    version: u8,
    space: &'a SpaceId,
    author: &'a DeviceId,
    seq: u64,
    prev: &'a Hash,
    time: u64,
    key_id: &'a [u8; 8],
}

impl Entry {
    /// Seals `body` with `key` and signs a new entry of `author`'s log in `space`.
    pub fn create(
        space: SpaceId,
        key: &SpaceKey,
        signer: &SigningKey,
        seq: u64,
        prev: Hash,
        time: u64,
        body: &Body,
    ) -> Result<Entry, EntryError> {
        let author = DeviceId(signer.verifying_key().to_bytes());
        Entry::create_with(space, key, author, seq, prev, time, body, |bytes| {
            signer.sign(bytes).to_bytes()
        })
    }

    /// Seals `body` with `key` as an entry of `author`'s log, signed by `sign` (given the signed bytes).
    #[allow(clippy::too_many_arguments)]
    pub fn create_with(
        space: SpaceId,
        key: &SpaceKey,
        author: DeviceId,
        seq: u64,
        prev: Hash,
        time: u64,
        body: &Body,
        sign: impl FnOnce(&[u8]) -> [u8; 64],
    ) -> Result<Entry, EntryError> {
        let key_id = key.key_id();
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let header = header_bytes(&space, &author, seq, &prev, time, &key_id);
        let plain = postcard::to_allocvec(body).map_err(|_| EntryError::Seal)?;
        let cipher = XChaCha20Poly1305::new((&key.entry_key()).into());
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &header,
                },
            )
            .map_err(|_| EntryError::Seal)?;
        let mut entry = Entry {
            space,
            author,
            seq,
            prev,
            time,
            key_id,
            nonce,
            sealed,
            sig: Vec::new(),
        };
        entry.sig = sign(&entry.signed_bytes()).to_vec();
        Ok(entry)
    }

    fn header(&self) -> Vec<u8> {
        header_bytes(
            &self.space,
            &self.author,
            self.seq,
            &self.prev,
            self.time,
            &self.key_id,
        )
    }

    /// What the author signs: header, nonce and sealed body.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.sealed);
        out
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![ENTRY_VERSION];
        // Fixed fields and byte strings of known length: postcard cannot fail on them.
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge);
        }
        match bytes.split_first() {
            Some((&ENTRY_VERSION, rest)) => {
                let (entry, tail): (Entry, _) =
                    postcard::take_from_bytes(rest).map_err(|_| EntryError::Malformed)?;
                if !tail.is_empty()
                    || entry.sig.len() != 64
                    || entry.seq == 0
                    || entry.seq > MAX_INT
                    || entry.time > MAX_INT
                {
                    return Err(EntryError::Malformed);
                }
                Ok(entry)
            }
            _ => Err(EntryError::Malformed),
        }
    }

    /// The hash the next entry of this log points back to.
    pub fn hash(&self) -> Hash {
        Hash(Sha256::digest(self.encode()).into())
    }

    pub fn verify_signature(&self) -> Result<(), EntryError> {
        let key = VerifyingKey::from_bytes(&self.author.0).map_err(|_| EntryError::BadSignature)?;
        if key.is_weak() {
            return Err(EntryError::BadSignature);
        }
        let sig: [u8; 64] = self
            .sig
            .as_slice()
            .try_into()
            .map_err(|_| EntryError::Malformed)?;
        key.verify_strict(&self.signed_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| EntryError::BadSignature)
    }

    pub fn open(&self, key: &SpaceKey) -> Result<Body, EntryError> {
        self.open_with(&key.entry_key())
    }

    /// Opens with an entry key derived beforehand (saves the derivation per entry in a batch).
    pub fn open_with(&self, entry_key: &[u8; 32]) -> Result<Body, EntryError> {
        self.open_with_header(entry_key, &self.header())
    }

    /// Opens with `header`, which must be this entry's header (see [`Received::header`]).
    fn open_with_header(&self, entry_key: &[u8; 32], header: &[u8]) -> Result<Body, EntryError> {
        let cipher = XChaCha20Poly1305::new(entry_key.into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&self.nonce),
                Payload {
                    msg: &self.sealed,
                    aad: header,
                },
            )
            .map_err(|_| EntryError::BadSeal)?;
        postcard::from_bytes(&plain).map_err(|_| EntryError::Malformed)
    }
}

fn header_bytes(
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
    prev: &Hash,
    time: u64,
    key_id: &[u8; 8],
) -> Vec<u8> {
    let header = Header {
        version: ENTRY_VERSION,
        space,
        author,
        seq,
        prev,
        time,
        key_id,
    };
    // Fixed-size fields only: postcard cannot fail on them.
    postcard::to_allocvec(&header).unwrap_or_default()
}

/// The entry keys of a space that a device holds, by key id.
pub type EntryKeys = Vec<([u8; 8], [u8; 32])>;

/// An entry as received: decoded once, its canonical bytes kept, its hash computed once.
#[derive(Clone, Debug)]
pub struct Received {
    pub entry: Entry,
    pub raw: Vec<u8>,
    pub hash: Hash,
    /// The body, if it was already opened with one of this device's keys for the entry's space.
    pub body: Option<Body>,
}

impl Received {
    /// Decodes `raw`, which must be the canonical encoding (so every device computes the same hash).
    pub fn decode(raw: Vec<u8>) -> Result<Received, EntryError> {
        let entry = Entry::decode(&raw)?;
        if entry.encode() != raw {
            return Err(EntryError::Malformed);
        }
        let hash = Hash(Sha256::digest(&raw).into());
        Ok(Received {
            entry,
            raw,
            hash,
            body: None,
        })
    }

    /// Opens the body ahead of acceptance if `keys` (this device's keys of the entry's space) hold its
    /// key. Nothing is decided here: the replica still checks chain, signature and membership, and opens
    /// the body itself when this could not.
    pub fn open_ahead(&mut self, keys: &EntryKeys) {
        if let Some((_, key)) = keys.iter().find(|(id, _)| *id == self.entry.key_id) {
            self.body = self.open_with(key).ok();
        }
    }

    /// Opens the body with an entry key.
    pub fn open_with(&self, entry_key: &[u8; 32]) -> Result<Body, EntryError> {
        self.entry.open_with_header(entry_key, self.header())
    }

    /// The entry's header (what its seal authenticates), read from the canonical encoding instead of
    /// encoding it again: the version byte and the header's fields are encoded first, in the same order,
    /// and only the nonce, the sealed body and the signature follow.
    fn header(&self) -> &[u8] {
        fn varint_len(n: usize) -> usize {
            (usize::BITS - n.leading_zeros()).div_ceil(7).max(1) as usize
        }
        let e = &self.entry;
        let tail = e.nonce.len()
            + varint_len(e.sealed.len())
            + e.sealed.len()
            + varint_len(e.sig.len())
            + e.sig.len();
        &self.raw[..self.raw.len() - tail]
    }
}

/// Checks that `batch` (one author, ascending seq) continues a log whose head is `(head_seq, head_hash)`.
/// The hash chain ties every entry to the last one, so only the last signature needs checking for the
/// whole batch to be authentic.
pub fn check_chain(head_seq: u64, head_hash: Hash, batch: &[Received]) -> Result<(), EntryError> {
    let mut expect_prev = head_hash;
    for (expect_seq, r) in (head_seq + 1..).zip(batch) {
        if r.entry.seq != expect_seq || r.entry.prev != expect_prev {
            return Err(EntryError::Malformed);
        }
        expect_prev = r.hash;
    }
    match batch.last() {
        Some(last) => last.entry.verify_signature(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> SigningKey {
        SigningKey::generate(&mut rand::thread_rng())
    }

    fn chain(key: &SpaceKey, s: &SigningKey, n: u64) -> Vec<Entry> {
        let mut prev = Hash([0; 32]);
        (1..=n)
            .map(|seq| {
                let body = Body::Message {
                    text: format!("m{seq}"),
                    reply_to: None,
                };
                let e = Entry::create(key.space_id(), key, s, seq, prev, seq * 10, &body).unwrap();
                prev = e.hash();
                e
            })
            .collect()
    }

    #[test]
    fn seal_sign_round_trip() {
        let key = SpaceKey::generate();
        let s = signer();
        let e = &chain(&key, &s, 1)[0];
        let decoded = Entry::decode(&e.encode()).unwrap();
        assert_eq!(&decoded, e);
        decoded.verify_signature().unwrap();
        assert_eq!(
            decoded.open(&key).unwrap(),
            Body::Message {
                text: "m1".into(),
                reply_to: None
            }
        );
        assert_eq!(
            decoded.open(&SpaceKey::generate()),
            Err(EntryError::BadSeal)
        );
    }

    /// The header read from a received entry's bytes is the one its seal was made with.
    #[test]
    fn the_header_is_the_prefix_of_the_encoding() {
        let s = signer();
        for (seq, time, len) in [
            (1, 0, 0),
            (127, 128, 100),
            (300, 1 << 40, 200),
            (MAX_INT, MAX_INT, 20_000),
        ] {
            let key = SpaceKey::generate();
            let body = Body::Message {
                text: "x".repeat(len),
                reply_to: None,
            };
            let e =
                Entry::create(key.space_id(), &key, &s, seq, Hash([3; 32]), time, &body).unwrap();
            let received = Received::decode(e.encode()).unwrap();
            assert_eq!(
                received.header(),
                e.header().as_slice(),
                "seq {seq}, {len} bytes"
            );
            assert_eq!(received.open_with(&key.entry_key()).unwrap(), body);
        }
    }

    /// Seqs and times above what SQLite stores as a signed integer are refused, never wrapped.
    #[test]
    fn seqs_and_times_past_i64_are_malformed() {
        let key = SpaceKey::generate();
        let s = signer();
        let body = Body::Left;
        for (seq, time) in [(MAX_INT + 1, 1), (u64::MAX, 1), (1, MAX_INT + 1)] {
            let e =
                Entry::create(key.space_id(), &key, &s, seq, Hash([0; 32]), time, &body).unwrap();
            assert_eq!(Entry::decode(&e.encode()), Err(EntryError::Malformed));
        }
        let removal = |last_seq| Body::MemberRemoved {
            device: DeviceId([1; 32]),
            last_seq,
            rotation: None,
        };
        assert!(removal(MAX_INT).in_range());
        assert!(!removal(MAX_INT + 1).in_range());
    }

    /// An author key of small order (here the identity point) makes the signature (R = identity, s = 0)
    /// valid for every message under a lax check: the strict check refuses it.
    #[test]
    fn a_weak_author_key_signs_nothing() {
        let key = SpaceKey::generate();
        let mut weak = [0u8; 32];
        weak[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        let e = Entry::create_with(
            key.space_id(),
            &key,
            DeviceId(weak),
            1,
            Hash([0; 32]),
            1,
            &Body::Left,
            |_| sig,
        )
        .unwrap();
        assert_eq!(e.verify_signature(), Err(EntryError::BadSignature));
    }

    #[test]
    fn tampering_is_detected() {
        let key = SpaceKey::generate();
        let e = chain(&key, &signer(), 1).remove(0);
        let mut t = e.clone();
        t.time += 1;
        assert_eq!(t.verify_signature(), Err(EntryError::BadSignature));
        assert_eq!(t.open(&key), Err(EntryError::BadSeal));
        let mut t = e.clone();
        t.sealed[0] ^= 1;
        assert_eq!(t.verify_signature(), Err(EntryError::BadSignature));
        let mut t = e.clone();
        t.author = DeviceId(signer().verifying_key().to_bytes());
        assert_eq!(t.verify_signature(), Err(EntryError::BadSignature));
    }

    fn received(entries: &[Entry]) -> Vec<Received> {
        entries
            .iter()
            .map(|e| Received::decode(e.encode()).unwrap())
            .collect()
    }

    #[test]
    fn chain_checks() {
        let key = SpaceKey::generate();
        let s = signer();
        let entries = chain(&key, &s, 5);
        let check = |head_seq, head_hash, batch: &[Entry]| {
            check_chain(head_seq, head_hash, &received(batch))
        };
        assert!(
            Received::decode([entries[0].encode(), vec![0]].concat()).is_err(),
            "trailing bytes"
        );
        check(0, Hash([0; 32]), &entries).unwrap();
        check(2, entries[1].hash(), &entries[2..]).unwrap();
        assert!(check(0, Hash([0; 32]), &entries[1..]).is_err());
        let mut broken = entries.clone();
        broken[2].time = 1;
        assert!(check(0, Hash([0; 32]), &broken).is_err());
        let mut forged = entries.clone();
        forged[4].sig = vec![0; 64];
        assert!(check(0, Hash([0; 32]), &forged).is_err());
    }

    #[test]
    fn decode_never_panics_on_garbage() {
        let mut rng = rand::thread_rng();
        let good = chain(&SpaceKey::generate(), &signer(), 1)[0].encode();
        for i in 0..2000 {
            let mut bytes = if i % 2 == 0 {
                good.clone()
            } else {
                let mut b = vec![0u8; (rng.next_u32() % 300) as usize];
                rng.fill_bytes(&mut b);
                b
            };
            if !bytes.is_empty() {
                let at = rng.next_u32() as usize % bytes.len();
                bytes[at] ^= 1 << (rng.next_u32() % 8);
                bytes.truncate(bytes.len() - (rng.next_u32() as usize % 3).min(bytes.len()));
            }
            let _ = Entry::decode(&bytes).map(|e| e.verify_signature());
        }
    }
}
