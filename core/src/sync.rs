//! Replication as a pure state machine, one `Session` per connection, covering every space the two
//! devices proved they share. Frames in, frames out; the device's logs are reached through the
//! [`Replica`] trait. No sockets, no clock, no tokio: the `net` module drives it.
//!
//! Per space: both sides send `Have` (their log heads, `full`); each then streams, lazily and in
//! batches, the entries the other lacks; the receiver answers every batch with a partial `Have` (an
//! acknowledgement). New local entries are pushed as soon as the driver reports them. When a batch
//! changed membership, the receiver sends a `full` Have again so that entries it had to refuse
//! (their author was not yet a member) are offered once more.

use crate::ids::{DeviceId, Hash, SpaceId};
use crate::log::{EntryError, EntryKeys, Received};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Most entries in one `Entries` frame.
pub const BATCH_ENTRIES: usize = 512;
/// Most bytes of entries in one `Entries` frame.
pub const BATCH_BYTES: usize = 1 << 20;

/// (author, seq, hash) of a log's newest entry.
pub type Head = (DeviceId, u64, Hash);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SyncFrame {
    /// The sender's log heads in `space`; `full` lists them all, otherwise only those that moved.
    Have {
        space: SpaceId,
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

/// A list of byte strings, each encoded as one byte string: the same bytes on the wire as a list of
/// `u8` lists, without serde visiting every byte.
mod byte_strings {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::{ByteBuf, Bytes};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|b| Bytes::new(b)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let list = Vec::<ByteBuf>::deserialize(d)?;
        Ok(list.into_iter().map(ByteBuf::into_vec).collect())
    }
}

/// A received entry as the replica gets it: decoded and hashed, or why it could not be.
pub type Incoming = Result<Received, EntryError>;

/// Decodes and hashes a batch, and opens the bodies it has `keys` for (this device's keys of the
/// batch's space; empty to leave opening to the replica). Pure CPU work that needs no replica: a driver
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

/// What applying a batch did.
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
}

/// A device's logs, as the state machine sees them.
pub trait Replica {
    fn heads(&mut self, space: &SpaceId) -> Vec<Head>;
    /// The newest entry of one log, if we hold any.
    fn head(&mut self, space: &SpaceId, author: &DeviceId) -> Option<Head>;
    fn entries_after(
        &mut self,
        space: &SpaceId,
        author: &DeviceId,
        after: u64,
        limit: usize,
    ) -> Vec<Vec<u8>>;
    fn apply(&mut self, space: &SpaceId, entries: Vec<Incoming>) -> Applied;
}

/// What the driver learns from a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncEvent {
    /// The peer holds `author`'s log of `space` up to `seq`.
    PeerHas {
        space: SpaceId,
        author: DeviceId,
        seq: u64,
    },
    /// Entries from the peer were stored.
    Stored { space: SpaceId, applied: Applied },
}

impl SyncFrame {
    /// The space the frame is about.
    pub fn space(&self) -> SpaceId {
        match self {
            SyncFrame::Have { space, .. } | SyncFrame::Entries { space, .. } => *space,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SyncError {
    #[error("peer sent a frame for a space it has not proven")]
    UnknownSpace,
    #[error("peer sent an empty or oversized batch")]
    BadBatch,
}

#[derive(Default)]
struct SpaceSync {
    /// Our heads, kept current by the driver.
    local: HashMap<DeviceId, u64>,
    /// What we have sent or know the peer holds, per log.
    sent: HashMap<DeviceId, u64>,
    /// Logs of other authors that the peer showed it lacks: streamed like our own until it has them.
    asked: HashSet<DeviceId>,
    /// Heads of other authors' logs announced to the peer, so each head is announced once.
    announced: HashMap<DeviceId, u64>,
    /// Set once the peer's first Have arrived: until then we do not know what it lacks.
    peer_ready: bool,
    /// The peer sent entries we refused since our last full Have: a membership change may admit them.
    refused: bool,
}

impl SpaceSync {
    fn sent(&self, author: &DeviceId) -> u64 {
        self.sent.get(author).copied().unwrap_or(0)
    }

    /// Logs we hold further than the peer is known to.
    fn ahead(&self) -> impl Iterator<Item = (DeviceId, u64)> + '_ {
        self.local
            .iter()
            .filter(|(author, head)| **head > self.sent(author))
            .map(|(author, head)| (*author, *head))
    }
}

/// One connection's replication state. Our own entries are pushed as soon as they are written; other
/// authors' entries we relay are first announced (a partial `Have`) and sent only if the peer's answer
/// shows it lacks them. In a space where every device reaches every other, each entry then travels
/// once per device instead of once per pair of devices.
pub struct Session {
    me: DeviceId,
    spaces: BTreeMap<SpaceId, SpaceSync>,
    outbox: VecDeque<SyncFrame>,
}

impl Session {
    /// A session of device `me`.
    pub fn new(me: DeviceId) -> Self {
        Session {
            me,
            spaces: BTreeMap::new(),
            outbox: VecDeque::new(),
        }
    }

    pub fn spaces(&self) -> impl Iterator<Item = &SpaceId> {
        self.spaces.keys()
    }

    pub fn has_space(&self, space: &SpaceId) -> bool {
        self.spaces.contains_key(space)
    }

    /// Starts syncing `space` with the peer (after both proved they hold its key).
    pub fn open_space(&mut self, space: SpaceId, replica: &mut impl Replica) {
        if self.spaces.contains_key(&space) {
            return;
        }
        let heads = replica.heads(&space);
        let state = SpaceSync {
            local: heads.iter().map(|(a, s, _)| (*a, *s)).collect(),
            ..SpaceSync::default()
        };
        self.spaces.insert(space, state);
        self.outbox.push_back(SyncFrame::Have {
            space,
            heads,
            full: true,
        });
    }

    pub fn close_space(&mut self, space: &SpaceId) {
        self.spaces.remove(space);
        self.outbox.retain(|f| f.space() != *space);
    }

    /// The driver reports that our log `author` in `space` now reaches `seq`.
    pub fn local_head(&mut self, space: &SpaceId, author: DeviceId, seq: u64) {
        if let Some(state) = self.spaces.get_mut(space) {
            let head = state.local.entry(author).or_insert(0);
            *head = (*head).max(seq);
        }
    }

    /// Our membership view of `space` changed: if this peer sent entries we refused, ask it with a full
    /// `Have` to offer them again. A peer whose entries were all taken is not asked: a full `Have` makes
    /// it send again whatever was still in flight.
    pub fn resend_have(&mut self, space: &SpaceId, replica: &mut impl Replica) {
        if let Some(state) = self.spaces.get_mut(space).filter(|s| s.refused) {
            state.refused = false;
            let heads = replica.heads(space);
            self.outbox.push_back(SyncFrame::Have {
                space: *space,
                heads,
                full: true,
            });
        }
    }

    pub fn handle(
        &mut self,
        frame: SyncFrame,
        replica: &mut impl Replica,
    ) -> Result<Vec<SyncEvent>, SyncError> {
        match frame {
            SyncFrame::Have { space, heads, full } => {
                let state = self.spaces.get_mut(&space).ok_or(SyncError::UnknownSpace)?;
                state.peer_ready = true;
                if full {
                    state.sent.clear();
                    state.announced.clear();
                }
                let mut events = Vec::with_capacity(heads.len());
                let mut lacking = Vec::new();
                for (author, seq, _) in heads {
                    let sent = state.sent.entry(author).or_insert(0);
                    *sent = if full { seq } else { (*sent).max(seq) };
                    let local = state.local.get(&author).copied().unwrap_or(0);
                    if seq < local {
                        state.asked.insert(author);
                    } else if seq > local && !full {
                        lacking.push(author);
                    }
                    events.push(SyncEvent::PeerHas { space, author, seq });
                }
                if full {
                    // Everything the peer does not list, or lists behind us, it lacks.
                    let ahead: Vec<DeviceId> = state.ahead().map(|(author, _)| author).collect();
                    state.asked.extend(ahead);
                }
                if !lacking.is_empty() {
                    // The peer announced entries we lack: our heads for those logs ask for the rest.
                    let heads = lacking
                        .into_iter()
                        .map(|author| {
                            replica
                                .head(&space, &author)
                                .unwrap_or((author, 0, Hash([0; 32])))
                        })
                        .collect();
                    self.outbox.push_back(SyncFrame::Have {
                        space,
                        heads,
                        full: false,
                    });
                }
                Ok(events)
            }
            SyncFrame::Entries { space, entries } => {
                self.handle_entries(space, decode_entries(entries, &Vec::new()), replica)
            }
        }
    }

    /// Handles an `Entries` frame whose entries were already decoded (see [`decode_entries`]).
    pub fn handle_entries(
        &mut self,
        space: SpaceId,
        entries: Vec<Incoming>,
        replica: &mut impl Replica,
    ) -> Result<Vec<SyncEvent>, SyncError> {
        if !self.spaces.contains_key(&space) {
            return Err(SyncError::UnknownSpace);
        }
        if entries.is_empty() || entries.len() > BATCH_ENTRIES * 2 {
            return Err(SyncError::BadBatch);
        }
        let applied = replica.apply(&space, entries);
        let state = self.spaces.get_mut(&space).ok_or(SyncError::UnknownSpace)?;
        for (author, seq, _) in &applied.heads {
            let local = state.local.entry(*author).or_insert(0);
            *local = (*local).max(*seq);
            // The peer sent these: never echo them back.
            let sent = state.sent.entry(*author).or_insert(0);
            *sent = (*sent).max(*seq);
        }
        if applied.refused > 0 {
            state.refused = true;
        }
        if applied.membership_changed && state.refused {
            self.resend_have(&space, replica);
        } else if !applied.heads.is_empty() {
            self.outbox.push_back(SyncFrame::Have {
                space,
                heads: applied.heads.clone(),
                full: false,
            });
        }
        Ok(vec![SyncEvent::Stored { space, applied }])
    }

    /// Whether [`Session::poll_transmit`] has anything to send; needs no replica, so a driver can skip
    /// reaching for the store when it has not.
    pub fn wants_to_send(&self) -> bool {
        !self.outbox.is_empty()
            || self.spaces.values().filter(|s| s.peer_ready).any(|state| {
                state.ahead().any(|(author, head)| {
                    author == self.me
                        || state.asked.contains(&author)
                        || state.announced.get(&author) < Some(&head)
                })
            })
    }

    /// The next frame to send, if any: queued control frames first, then entries the peer lacks.
    pub fn poll_transmit(&mut self, replica: &mut impl Replica) -> Option<SyncFrame> {
        if let Some(frame) = self.outbox.pop_front() {
            return Some(frame);
        }
        let me = self.me;
        for (space, state) in self.spaces.iter_mut().filter(|(_, s)| s.peer_ready) {
            // The log with the fewest entries to go first: short logs carry membership (who may
            // write), and a long log sent before the entry that admits its author would be refused whole
            // and sent again.
            let due = state
                .ahead()
                .filter(|(author, _)| *author == me || state.asked.contains(author))
                .min_by_key(|(author, head)| (head - state.sent(author), *author));
            let Some((author, head)) = due else {
                // Announce the other authors' entries we hold and have not announced yet.
                let new: Vec<(DeviceId, u64)> = state
                    .ahead()
                    .filter(|(author, head)| state.announced.get(author) < Some(head))
                    .collect();
                if new.is_empty() {
                    continue;
                }
                let heads: Vec<Head> = new
                    .iter()
                    .filter_map(|(author, _)| replica.head(space, author))
                    .collect();
                for (author, head) in new {
                    state.announced.insert(author, head);
                }
                if heads.is_empty() {
                    continue;
                }
                return Some(SyncFrame::Have {
                    space: *space,
                    heads,
                    full: false,
                });
            };
            let sent = state.sent(&author);
            let mut entries = replica.entries_after(space, &author, sent, BATCH_ENTRIES);
            let mut bytes = 0;
            let keep = entries
                .iter()
                .take_while(|e| {
                    bytes += e.len();
                    bytes <= BATCH_BYTES
                })
                .count()
                .max(1);
            entries.truncate(keep);
            if entries.is_empty() {
                // Our view of the head was ahead of the store; forget it.
                state.local.insert(author, sent);
                continue;
            }
            state.sent.insert(author, sent + entries.len() as u64);
            if sent + entries.len() as u64 >= head {
                state.asked.remove(&author);
            }
            return Some(SyncFrame::Entries {
                space: *space,
                entries,
            });
        }
        None
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
