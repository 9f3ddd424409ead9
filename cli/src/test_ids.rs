//! Real typed ids for unit tests, made from short texts so that a test reads like the story it tells: the
//! device "me", buddy "b1", message 3 of device "b".

use clearchat_core::{BuddyId, DeviceId, MessageId, SpaceId};
use std::str::FromStr;

/// The bytes of `text`, then zeros.
fn bytes<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0; N];
    out[..text.len()].copy_from_slice(text.as_bytes());
    out
}

pub fn device(name: &str) -> DeviceId {
    DeviceId(bytes(name))
}

pub fn buddy(name: &str) -> BuddyId {
    BuddyId(bytes(name))
}

pub fn space(name: &str) -> SpaceId {
    SpaceId(bytes(name))
}

/// Message `seq` of device `author`.
pub fn message(author: &str, seq: u64) -> MessageId {
    MessageId {
        author: device(author),
        seq,
    }
}

/// The 32-byte id whose hex text is `prefix`, then zeros.
pub fn with_prefix<Id: FromStr>(prefix: &str) -> Id {
    let Ok(id) = format!("{prefix:0<64}").parse() else {
        panic!("{prefix} does not start a 32-byte id")
    };
    id
}
