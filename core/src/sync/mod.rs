//! Replication as pure state machines, like quinn-proto beneath quinn: no sockets, no clock, no tokio, no
//! store. `offers` decides which spaces a connection opens (the Hello exchange and the stranger rule);
//! `session` replicates the open spaces (Have, Entries, acknowledgements, announcements). The device's logs
//! are read through the [`Logs`] trait; writes are outputs: [`Session::handle_entries`] hands the batch
//! to the driver, which stores it and reports back with [`Session::handle_applied`].

mod offers;
mod session;

pub use offers::{Ended, Hello, Offerable, Offers, MAX_INTRODUCTIONS, MAX_OFFERS};
pub use session::{PeerHas, Session};

use crate::ids::{DeviceId, Hash, SpaceId};
use crate::log::{EntryError, EntryKeys, Received};
use serde::{Deserialize, Serialize};

/// Most entries in one `Entries` frame.
pub const BATCH_ENTRIES: usize = 512;
/// Most bytes of entries in one `Entries` frame.
pub const BATCH_BYTES: usize = 1 << 20;
/// Most entries a received `Entries` frame may hold (more is malformed: the frame is refused before
/// its list is built).
pub const MAX_BATCH_ENTRIES: usize = 1024;
/// Most heads a received `Have` may list (logs of one space).
pub const MAX_HEADS: usize = 4096;

/// (author, seq, hash) of a log's newest entry.
pub type Head = (DeviceId, u64, Hash);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SyncFrame {
    /// The sender's log heads in `space`; `full` lists them all, otherwise only those that moved.
    Have {
        space: SpaceId,
        #[serde(deserialize_with = "crate::ids::bounded::<_, _, MAX_HEADS>")]
        heads: Vec<Head>,
        full: bool,
    },
    /// Encoded entries, each log's in ascending seq.
    Entries {
        space: SpaceId,
        #[serde(with = "byte_strings")]
        entries: Vec<Vec<u8>>,
    },
}

impl SyncFrame {
    /// The space the frame is about.
    pub fn space(&self) -> SpaceId {
        match self {
            SyncFrame::Have { space, .. } | SyncFrame::Entries { space, .. } => *space,
        }
    }
}

/// A list of byte strings, each encoded as one byte string: the same bytes on the wire as a list of
/// `u8` lists, without serde visiting every byte.
pub(crate) mod byte_strings {
    use serde::{Deserializer, Serializer};
    use serde_bytes::{ByteBuf, Bytes};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|b| Bytes::new(b)))
    }

    /// At most [`super::MAX_BATCH_ENTRIES`]: the count is checked before the list is built.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let list = crate::ids::bounded::<_, ByteBuf, { super::MAX_BATCH_ENTRIES }>(d)?;
        Ok(list.into_iter().map(ByteBuf::into_vec).collect())
    }
}

/// A received entry as the replica gets it: decoded and hashed, or why it could not be.
pub type Incoming = Result<Received, EntryError>;

/// Decodes and hashes a batch, and opens the bodies it has `keys` for (this device's keys of the
/// batch's space; empty to leave opening to the replica). Pure CPU work that needs no store: a driver
/// may run it on another task, while the previous batch is being stored, and hand the result to
/// [`Session::handle_entries`].
pub fn decode_entries(raws: Vec<Vec<u8>>, keys: &EntryKeys) -> Vec<Incoming> {
    raws.into_iter()
        .map(|raw| {
            let mut received = Received::decode(raw)?;
            received.open_ahead(keys);
            Ok(received)
        })
        .collect()
}

/// What storing a batch did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// New heads of the logs that grew.
    pub heads: Vec<Head>,
    /// Membership of the space changed: refused entries may now be acceptable.
    pub membership_changed: bool,
    /// Entries stored.
    pub stored: usize,
    /// Entries refused (bad signature, chain, non-member, gap).
    pub refused: usize,
    /// This device received a new key of the space: entries sealed with it can be opened now.
    pub new_keys: bool,
}

/// A batch of the peer's entries for the driver to store; its result goes back through
/// [`Session::handle_applied`].
#[derive(Debug)]
pub struct StoreBatch {
    pub space: SpaceId,
    pub entries: Vec<Incoming>,
}

/// A device's logs, as the state machines read them. An error is a local fault (the store failed), never a
/// judgement of the peer: the driver ends the connection and reports it.
pub trait Logs {
    fn heads(&mut self, space: &SpaceId) -> crate::Result<Vec<Head>>;
    /// The newest entry of one log, if we hold any.
    fn head(&mut self, space: &SpaceId, author: &DeviceId) -> crate::Result<Option<Head>>;
    /// Whether `author` may write in `space` (its root, or a member, current or removed): the only logs a
    /// session keeps state for.
    fn is_author(&mut self, space: &SpaceId, author: &DeviceId) -> crate::Result<bool>;
    fn entries_after(
        &mut self,
        space: &SpaceId,
        author: &DeviceId,
        after: u64,
        limit: usize,
    ) -> crate::Result<Vec<Vec<u8>>>;
}

/// Why a frame could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("peer sent a frame for a space it has not proven")]
    UnknownSpace,
    #[error("peer sent an empty or oversized batch")]
    BadBatch,
    /// Our own store failed: nothing the peer did.
    #[error("local fault: {0}")]
    Local(#[from] crate::Error),
}

impl SyncError {
    /// Whether the peer broke the protocol (rather than our store failing).
    pub fn is_peer_fault(&self) -> bool {
        !matches!(self, SyncError::Local(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `byte_strings` changes how serde walks the entries, not the bytes on the wire.
    #[test]
    fn entries_encode_as_plain_lists_of_bytes() {
        #[derive(Serialize, Deserialize)]
        enum Plain {
            Have,
            Entries {
                space: SpaceId,
                entries: Vec<Vec<u8>>,
            },
        }
        let entries = vec![vec![], vec![0, 1, 255], vec![7; 300]];
        let space = SpaceId([9; 32]);
        let ours = postcard::to_allocvec(&SyncFrame::Entries {
            space,
            entries: entries.clone(),
        })
        .unwrap();
        let plain = postcard::to_allocvec(&Plain::Entries {
            space,
            entries: entries.clone(),
        })
        .unwrap();
        assert_eq!(ours, plain);
        let back: SyncFrame = postcard::from_bytes(&plain).unwrap();
        assert_eq!(back, SyncFrame::Entries { space, entries });
        let _ = Plain::Have;
    }
}
