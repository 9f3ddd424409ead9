//! Identifiers shared by every module: device, person, space and buddy ids, message ids, entry hashes,
//! message keys, and the moment (`Now`) that the edge reads from the clock and passes down.
//!
//! In human-readable formats (JSON) every id serializes as its text form (lowercase hex, `<hex>-<seq>` for a
//! message); in binary formats (postcard, the wire) as its bytes, exactly as a plain byte array would.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A text that is not the id it should be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}: {text:?}")]
pub struct ParseIdError {
    pub kind: &'static str,
    pub text: String,
}

macro_rules! byte_id {
    ($(#[$doc:meta])* $name:ident, $len:expr, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Lowercase hex, the form used in the API, the CLI and logs.
            pub fn to_hex(self) -> String {
                hex(&self.0)
            }
            /// Parses the full lowercase or uppercase hex form.
            pub fn from_hex(text: &str) -> Option<Self> {
                let bytes = unhex(text)?;
                Some(Self(bytes.try_into().ok()?))
            }
            /// The first eight hex digits: enough for humans, never used for lookups alone.
            pub fn short(self) -> String {
                hex(&self.0[..4])
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(text: &str) -> Result<Self, ParseIdError> {
                Self::from_hex(text.trim()).ok_or_else(|| ParseIdError {
                    kind: $kind,
                    text: text.to_string(),
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&self.to_hex())
                } else {
                    // What a derived newtype of the array gives: the wire format predates this impl.
                    s.serialize_newtype_struct(stringify!($name), &self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let text = String::deserialize(d)?;
                    text.parse().map_err(serde::de::Error::custom)
                } else {
                    #[derive(Deserialize)]
                    struct Raw([u8; $len]);
                    Raw::deserialize(d).map(|raw| Self(raw.0))
                }
            }
        }
    };
}

byte_id!(
    /// A device: its Ed25519 public key.
    DeviceId,
    32,
    "device id"
);
byte_id!(
    /// A person: 16 random bytes chosen by the person's first device, shared by all of them.
    PersonId,
    16,
    "person id"
);
byte_id!(
    /// A space, derived from its space key (HKDF, label `clearchat space id`).
    SpaceId,
    32,
    "space id"
);
byte_id!(
    /// A buddy, named by the id of the buddy space shared with them.
    BuddyId,
    32,
    "buddy id"
);
byte_id!(
    /// SHA-256 of an encoded entry.
    Hash,
    32,
    "hash"
);

impl BuddyId {
    /// The buddy space this buddy is named by.
    pub fn space(&self) -> SpaceId {
        SpaceId(self.0)
    }
}

impl From<SpaceId> for BuddyId {
    fn from(space: SpaceId) -> BuddyId {
        BuddyId(space.0)
    }
}

/// A message: its author device and the seq of the entry that carries it. Stable on every device;
/// its text form is `<author hex>-<seq>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    pub author: DeviceId,
    pub seq: u64,
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.author, self.seq)
    }
}

impl FromStr for MessageId {
    type Err = ParseIdError;
    fn from_str(text: &str) -> Result<Self, ParseIdError> {
        let bad = || ParseIdError {
            kind: "message id",
            text: text.to_string(),
        };
        let (author, seq) = text.trim().split_once('-').ok_or_else(bad)?;
        Ok(MessageId {
            author: DeviceId::from_hex(author).ok_or_else(bad)?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for MessageId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            (self.author, self.seq).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for MessageId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            let (author, seq) = <(DeviceId, u64)>::deserialize(d)?;
            Ok(MessageId { author, seq })
        }
    }
}

/// Where a message sits in a conversation: sender's time, then author, then seq.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageKey {
    pub time: u64,
    pub author: DeviceId,
    pub seq: u64,
}

impl MessageKey {
    /// The id of the message at this key.
    pub fn id(&self) -> MessageId {
        MessageId {
            author: self.author,
            seq: self.seq,
        }
    }
}

/// A moment, in milliseconds since the Unix epoch. The edge (client, engine, net) reads the clock once per
/// operation with [`Now::read`]; everything below takes it as an argument, so it can be tested at any time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Now(pub u64);

impl Now {
    /// The system clock (0 if it reads before 1970).
    pub fn read() -> Now {
        Now(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0))
    }
    pub fn ms(self) -> u64 {
        self.0
    }
    /// Whole seconds: the unit of invite expiry and of when a peer was seen.
    pub fn secs(self) -> u64 {
        self.0 / 1000
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Lists decoded from a peer's bytes, bounded before anything is allocated: a list that claims more than
/// `N` elements is malformed, whatever the frame's size (a one-byte element would otherwise cost a heap
/// object each). For `#[serde(deserialize_with = "crate::ids::bounded::<_, _, N>")]`.
pub(crate) fn bounded<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_seq(BoundedSeq::<T, N>(std::marker::PhantomData))
}

/// The visitor of [`bounded`]; with `T` = `serde_bytes::ByteBuf`, lists of byte strings.
pub(crate) struct BoundedSeq<T, const N: usize>(pub std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for BoundedSeq<T, N> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of at most {N} elements")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let claimed = seq.size_hint().unwrap_or(0);
        if claimed > N {
            return Err(serde::de::Error::invalid_length(claimed, &self));
        }
        let mut out = Vec::with_capacity(claimed);
        while let Some(item) = seq.next_element()? {
            if out.len() == N {
                return Err(serde::de::Error::invalid_length(N + 1, &self));
            }
            out.push(item);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects_garbage() {
        let id = DeviceId([7; 32]);
        assert_eq!(DeviceId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(DeviceId::from_hex("zz"), None);
        assert_eq!(DeviceId::from_hex("abc"), None);
        let key = MessageKey {
            time: 1,
            author: id,
            seq: 9,
        };
        let text = key.id().to_string();
        assert_eq!(text, format!("{}-9", id.to_hex()));
        assert_eq!(text.parse::<MessageId>(), Ok(key.id()));
        assert!("nope".parse::<MessageId>().is_err());
        assert!(format!("{id}-x").parse::<MessageId>().is_err());
        assert_eq!(id.to_hex().parse::<DeviceId>(), Ok(id));
        assert!("12".parse::<BuddyId>().is_err());
    }

    /// Binary encodings are those of plain byte arrays (the wire format does not change); JSON shows text.
    #[test]
    fn ids_serialize_as_bytes_on_the_wire_and_as_text_in_json() {
        let id = DeviceId([0xab; 32]);
        assert_eq!(
            postcard::to_allocvec(&id).unwrap(),
            postcard::to_allocvec(&[0xabu8; 32]).unwrap()
        );
        let person = PersonId([3; 16]);
        assert_eq!(
            postcard::to_allocvec(&person).unwrap(),
            postcard::to_allocvec(&[3u8; 16]).unwrap()
        );
        let back: DeviceId = postcard::from_bytes(&postcard::to_allocvec(&id).unwrap()).unwrap();
        assert_eq!(back, id);
        let message = MessageId { author: id, seq: 4 };
        let json = serde_json::to_string(&(id, message)).unwrap();
        assert_eq!(json, format!("[\"{id}\",\"{id}-4\"]"));
        let parsed: (DeviceId, MessageId) = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, (id, message));
    }

    #[test]
    fn now_in_seconds() {
        assert_eq!(Now(12_999).secs(), 12);
        assert!(Now::read() > Now(1_600_000_000_000));
    }
}
