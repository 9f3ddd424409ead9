//! Identifiers shared by every module: device, person and space ids, entry hashes, message keys.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! byte_id {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Lowercase hex, the form used in the API, the CLI and logs.
            pub fn to_hex(&self) -> String {
                hex(&self.0)
            }
            /// Parses the full lowercase or uppercase hex form.
            pub fn from_hex(text: &str) -> Option<Self> {
                let bytes = unhex(text)?;
                Some(Self(bytes.try_into().ok()?))
            }
            /// The first eight hex digits: enough for humans, never used for lookups alone.
            pub fn short(&self) -> String {
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
    };
}

byte_id!(
    /// A device: its Ed25519 public key.
    DeviceId,
    32
);
byte_id!(
    /// A person: 16 random bytes chosen by the person's first device, shared by all of them.
    PersonId,
    16
);
byte_id!(
    /// A space, derived from its space key (HKDF, label `clearchat space id`).
    SpaceId,
    32
);
byte_id!(
    /// SHA-256 of an encoded entry.
    Hash,
    32
);

/// Where a message sits in a conversation: sender's time, then author, then seq.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageKey {
    pub time: u64,
    pub author: DeviceId,
    pub seq: u64,
}

impl MessageKey {
    /// The message id shown to shells: `<author hex>-<seq>`.
    pub fn id(&self) -> String {
        format!("{}-{}", self.author.to_hex(), self.seq)
    }
}

/// Parses a message id made by [`MessageKey::id`] into (author, seq).
pub fn parse_message_id(id: &str) -> Option<(DeviceId, u64)> {
    let (author, seq) = id.split_once('-')?;
    Some((DeviceId::from_hex(author)?, seq.parse().ok()?))
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

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
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
        assert_eq!(parse_message_id(&key.id()), Some((id, 9)));
        assert_eq!(parse_message_id("nope"), None);
    }
}
