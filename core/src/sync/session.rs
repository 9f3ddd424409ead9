//! One connection's replication state, covering every space the two devices opened. Frames in, frames
//! out; reads through [`Logs`], writes handed to the driver as a [`StoreBatch`].
//!
//! Per space: both sides send `Have` (their log heads, `full`); each then streams, lazily and in
//! batches, the entries the other lacks; the receiver answers every batch with a partial `Have` (an
//! acknowledgement). New local entries are pushed as soon as the driver reports them. When a batch
//! changed membership, the receiver sends a `full` Have again so that entries it had to refuse
//! (their author was not yet a member) are offered once more.

use super::{
    Applied, Head, Incoming, Logs, StoreBatch, SyncError, SyncFrame, BATCH_BYTES, BATCH_ENTRIES,
    MAX_BATCH_ENTRIES,
};
use crate::ids::{DeviceId, Hash, SpaceId};

/// Full `Have`s a peer may send per space in a burst, and how often one more is honoured after that.
/// Each makes us stream whatever it says the peer lacks; beyond the rate, the newest waits its turn.
const FULL_HAVE_BURST: u32 = 3;
const FULL_HAVE_EVERY: Duration = Duration::from_secs(10);
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// The peer holds `author`'s log of `space` up to `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerHas {
    pub space: SpaceId,
    pub author: DeviceId,
    pub seq: u64,
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
    /// The hash of each local head the driver reported, so that an announcement needs no read.
    local_hash: HashMap<DeviceId, (u64, Hash)>,
    /// When the heads of other authors' logs that grew here are to be announced (None: at once).
    relay_due: Option<Instant>,
    /// Set once the peer's first Have arrived: until then we do not know what it lacks.
    peer_ready: bool,
    /// The peer sent entries we refused since our last full Have: a membership change may admit them.
    refused: bool,
    /// The rate of the peer's full Haves.
    full_haves: FullHaves,
}

/// A token bucket of the peer's full `Have`s in one space, and the newest one waiting for a token.
struct FullHaves {
    tokens: u32,
    /// When the bucket was last refilled (None: never used).
    since: Option<Instant>,
    waiting: Option<Vec<Head>>,
}

impl Default for FullHaves {
    fn default() -> Self {
        FullHaves {
            tokens: FULL_HAVE_BURST,
            since: None,
            waiting: None,
        }
    }
}

impl FullHaves {
    fn refill(&mut self, now: Instant) {
        let since = *self.since.get_or_insert(now);
        let earned =
            (now.saturating_duration_since(since).as_millis() / FULL_HAVE_EVERY.as_millis()) as u32;
        if earned > 0 {
            self.tokens = (self.tokens + earned).min(FULL_HAVE_BURST);
            self.since = Some(since + FULL_HAVE_EVERY * earned);
        }
    }

    /// Takes a token at `now`, if one is left.
    fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        let took = self.tokens > 0;
        self.tokens -= took as u32;
        took
    }

    /// When the waiting full Have may be honoured.
    fn due(&self) -> Option<Instant> {
        self.waiting.as_ref()?;
        match (self.tokens, self.since) {
            (0, Some(since)) => Some(since + FULL_HAVE_EVERY),
            (_, since) => since,
        }
    }
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

    /// Heads of other authors' logs that are ahead of the peer and not yet announced to it.
    fn to_announce(&self) -> impl Iterator<Item = (DeviceId, u64)> + '_ {
        self.ahead()
            .filter(|(author, head)| self.announced.get(author) < Some(head))
    }

    fn relay_is_due(&self, now: Instant) -> bool {
        self.relay_due.is_none_or(|due| due <= now)
    }
}

/// One connection's replication state. Our own entries are pushed as soon as they are written; other
/// authors' entries we relay are first announced (a partial `Have`) and sent only if the peer's answer
/// shows it lacks them. In a space where every device reaches every other, each entry then travels
/// once per device instead of once per pair of devices.
///
/// Announcements wait for the session's relay delay: a peer that shows meanwhile that it holds the entries
/// (its own announcement, most often: it got them from their author too) is not told, and the heads that
/// grow meanwhile go out in one announcement. With a delay that differs per connection, of two devices
/// that both got an entry from its author usually only one announces it to the other.
pub struct Session {
    me: DeviceId,
    spaces: BTreeMap<SpaceId, SpaceSync>,
    outbox: VecDeque<SyncFrame>,
    relay_delay: Duration,
}

impl Session {
    /// A session of device `me`, announcing relayed entries at once.
    pub fn new(me: DeviceId) -> Self {
        Session {
            me,
            spaces: BTreeMap::new(),
            outbox: VecDeque::new(),
            relay_delay: Duration::ZERO,
        }
    }

    /// Announces relayed entries `delay` after they grew here.
    pub fn with_relay_delay(mut self, delay: Duration) -> Self {
        self.relay_delay = delay;
        self
    }

    pub fn spaces(&self) -> impl Iterator<Item = &SpaceId> {
        self.spaces.keys()
    }

    pub fn has_space(&self, space: &SpaceId) -> bool {
        self.spaces.contains_key(space)
    }

    /// Starts syncing `space` with the peer (after both proved they hold its key).
    pub fn open_space(&mut self, space: SpaceId, logs: &mut impl Logs) -> Result<(), SyncError> {
        if self.spaces.contains_key(&space) {
            return Ok(());
        }
        let heads = logs.heads(&space)?;
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
        Ok(())
    }

    pub fn close_space(&mut self, space: &SpaceId) {
        self.spaces.remove(space);
        self.outbox.retain(|f| f.space() != *space);
    }

    /// The driver reports, at `now`, that a log of `space` grew here: `head` is its newest entry.
    pub fn local_head(&mut self, space: &SpaceId, head: Head, now: Instant) {
        let (author, seq, hash) = head;
        let Some(state) = self.spaces.get_mut(space) else {
            return;
        };
        let local = state.local.entry(author).or_insert(0);
        if seq >= *local {
            *local = seq;
            state.local_hash.insert(author, (seq, hash));
        }
        if author != self.me && state.relay_due.is_none() && state.to_announce().next().is_some() {
            state.relay_due = Some(now + self.relay_delay);
        }
    }

    /// When the driver should call [`Session::poll_transmit`] again although nothing else happened (an
    /// announcement falls due), if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let relays = self
            .spaces
            .values()
            .filter(|s| s.peer_ready && s.to_announce().next().is_some())
            .filter_map(|s| s.relay_due);
        let full_haves = self.spaces.values().filter_map(|s| s.full_haves.due());
        relays.chain(full_haves).min()
    }

    /// Our membership view of `space` changed: if this peer sent entries we refused, ask it with a full
    /// `Have` to offer them again. A peer whose entries were all taken is not asked: a full `Have` makes
    /// it send again whatever was still in flight.
    pub fn resend_have(&mut self, space: &SpaceId, logs: &mut impl Logs) -> Result<(), SyncError> {
        if let Some(state) = self.spaces.get_mut(space).filter(|s| s.refused) {
            state.refused = false;
            let heads = logs.heads(space)?;
            self.outbox.push_back(SyncFrame::Have {
                space: *space,
                heads,
                full: true,
            });
        }
        Ok(())
    }

    /// The peer's `Have` at `now`: what it holds. Returns, per log it lists, how far the peer holds it.
    /// Logs that are no log of the space (an author that may not write in it) are ignored. A full `Have`
    /// beyond the rate of [`FULL_HAVE_BURST`] and [`FULL_HAVE_EVERY`] waits (the newest replacing an older
    /// one) and is honoured by [`Session::poll_transmit`] when its turn comes.
    pub fn handle_have(
        &mut self,
        space: SpaceId,
        heads: Vec<Head>,
        full: bool,
        logs: &mut impl Logs,
        now: Instant,
    ) -> Result<Vec<PeerHas>, SyncError> {
        let state = self.spaces.get_mut(&space).ok_or(SyncError::UnknownSpace)?;
        let mut heads = heads;
        let mut i = 0;
        while i < heads.len() {
            let author = heads[i].0;
            if state.local.contains_key(&author) || logs.is_author(&space, &author)? {
                i += 1;
            } else {
                heads.swap_remove(i);
            }
        }
        if full && !state.full_haves.take(now) {
            state.peer_ready = true;
            state.full_haves.waiting = Some(heads);
            return Ok(Vec::new());
        }
        self.apply_have(space, heads, full, logs)
    }

    /// A full Have that waited for its turn, if its turn has come at `now`.
    fn honour_waiting_have(&mut self, logs: &mut impl Logs, now: Instant) -> Result<(), SyncError> {
        let due: Vec<SpaceId> = self
            .spaces
            .iter()
            .filter(|(_, s)| s.full_haves.due().is_some_and(|at| at <= now))
            .map(|(space, _)| *space)
            .collect();
        for space in due {
            let Some(state) = self.spaces.get_mut(&space) else {
                continue;
            };
            if !state.full_haves.take(now) {
                continue;
            }
            if let Some(heads) = state.full_haves.waiting.take() {
                self.apply_have(space, heads, true, logs)?;
            }
        }
        Ok(())
    }

    fn apply_have(
        &mut self,
        space: SpaceId,
        heads: Vec<Head>,
        full: bool,
        logs: &mut impl Logs,
    ) -> Result<Vec<PeerHas>, SyncError> {
        let state = self.spaces.get_mut(&space).ok_or(SyncError::UnknownSpace)?;
        state.peer_ready = true;
        if full {
            state.full_haves.waiting = None;
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
            events.push(PeerHas { space, author, seq });
        }
        if full {
            // Everything the peer does not list, or lists behind us, it lacks.
            let ahead: Vec<DeviceId> = state.ahead().map(|(author, _)| author).collect();
            state.asked.extend(ahead);
        }
        if !lacking.is_empty() {
            // The peer announced entries we lack: our heads for those logs ask for the rest.
            let mut heads = Vec::with_capacity(lacking.len());
            for author in lacking {
                heads.push(
                    logs.head(&space, &author)?
                        .unwrap_or((author, 0, Hash([0; 32]))),
                );
            }
            self.outbox.push_back(SyncFrame::Have {
                space,
                heads,
                full: false,
            });
        }
        Ok(events)
    }

    /// The peer's `Entries`, already decoded (see [`super::decode_entries`]): checked here, stored by the
    /// driver, whose result comes back through [`Session::handle_applied`].
    pub fn handle_entries(
        &mut self,
        space: SpaceId,
        entries: Vec<Incoming>,
    ) -> Result<StoreBatch, SyncError> {
        if !self.spaces.contains_key(&space) {
            return Err(SyncError::UnknownSpace);
        }
        if entries.is_empty() || entries.len() > MAX_BATCH_ENTRIES {
            return Err(SyncError::BadBatch);
        }
        Ok(StoreBatch { space, entries })
    }

    /// What storing a batch of the peer's did: acknowledge it, or ask again for what was refused.
    pub fn handle_applied(
        &mut self,
        space: &SpaceId,
        applied: &Applied,
        logs: &mut impl Logs,
    ) -> Result<(), SyncError> {
        // The space may have closed while the batch was stored.
        let Some(state) = self.spaces.get_mut(space) else {
            return Ok(());
        };
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
            self.resend_have(space, logs)?;
        } else if !applied.heads.is_empty() {
            self.outbox.push_back(SyncFrame::Have {
                space: *space,
                heads: applied.heads.clone(),
                full: false,
            });
        }
        Ok(())
    }

    /// Whether [`Session::poll_transmit`] has anything to send at `now`; reads nothing, so a driver can
    /// skip reaching for the store when it has not.
    pub fn wants_to_send(&self, now: Instant) -> bool {
        !self.outbox.is_empty()
            || self
                .spaces
                .values()
                .any(|s| s.full_haves.due().is_some_and(|at| at <= now))
            || self.spaces.values().filter(|s| s.peer_ready).any(|state| {
                state.ahead().any(|(author, head)| {
                    author == self.me
                        || state.asked.contains(&author)
                        || (state.announced.get(&author) < Some(&head) && state.relay_is_due(now))
                })
            })
    }

    /// The next frame to send at `now`, if any: queued control frames first, then entries the peer lacks,
    /// then announcements that are due.
    pub fn poll_transmit(
        &mut self,
        logs: &mut impl Logs,
        now: Instant,
    ) -> Result<Option<SyncFrame>, SyncError> {
        self.honour_waiting_have(logs, now)?;
        if let Some(frame) = self.outbox.pop_front() {
            return Ok(Some(frame));
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
                // Announce the other authors' entries we hold and have not announced yet, once due.
                if !state.relay_is_due(now) {
                    continue;
                }
                let new: Vec<(DeviceId, u64)> = state.to_announce().collect();
                state.relay_due = None;
                if new.is_empty() {
                    continue;
                }
                let mut heads: Vec<Head> = Vec::with_capacity(new.len());
                for (author, seq) in &new {
                    match state.local_hash.get(author) {
                        Some((known, hash)) if known == seq => heads.push((*author, *seq, *hash)),
                        _ => heads.extend(logs.head(space, author)?),
                    }
                }
                for (author, head) in new {
                    state.announced.insert(author, head);
                }
                if heads.is_empty() {
                    continue;
                }
                return Ok(Some(SyncFrame::Have {
                    space: *space,
                    heads,
                    full: false,
                }));
            };
            let sent = state.sent(&author);
            let mut entries = logs.entries_after(space, &author, sent, BATCH_ENTRIES)?;
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
            return Ok(Some(SyncFrame::Entries {
                space: *space,
                entries,
            }));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logs held in memory: each author's head (entries are never asked for here).
    struct Heads(HashMap<DeviceId, u64>);

    impl Logs for Heads {
        fn heads(&mut self, _: &SpaceId) -> crate::Result<Vec<Head>> {
            Ok(self
                .0
                .iter()
                .map(|(a, s)| (*a, *s, Hash([0; 32])))
                .collect())
        }
        fn head(&mut self, _: &SpaceId, author: &DeviceId) -> crate::Result<Option<Head>> {
            Ok(self.0.get(author).map(|s| (*author, *s, Hash([0; 32]))))
        }
        fn is_author(&mut self, _: &SpaceId, author: &DeviceId) -> crate::Result<bool> {
            Ok(self.0.contains_key(author))
        }
        fn entries_after(
            &mut self,
            _: &SpaceId,
            author: &DeviceId,
            after: u64,
            limit: usize,
        ) -> crate::Result<Vec<Vec<u8>>> {
            let head = self.0.get(author).copied().unwrap_or(0);
            Ok((after + 1..=head)
                .take(limit)
                .map(|s| vec![s as u8])
                .collect())
        }
    }

    /// The entries frames `s` sends at `now` until it has nothing more to send.
    fn entries_sent(s: &mut Session, logs: &mut Heads, now: Instant) -> usize {
        let mut n = 0;
        while let Some(frame) = s.poll_transmit(logs, now).unwrap() {
            n += matches!(frame, SyncFrame::Entries { .. }) as usize;
        }
        n
    }

    /// Issue 10 item 9: `Have { full: true, heads: [] }` says "I hold nothing": resent in a loop it must
    /// not make us stream the whole space again each time.
    #[test]
    fn full_haves_in_a_loop_do_not_restream_the_space_each_time() {
        let (mut s, mut logs, space, _) = session(Duration::ZERO);
        let me = DeviceId([1; 32]);
        logs.0.insert(me, 100);
        s.local_head(&space, (me, 100, Hash([1; 32])), Instant::now());
        let now = Instant::now();
        assert_eq!(
            entries_sent(&mut s, &mut logs, now),
            1,
            "the peer lacked my log"
        );
        let mut restreamed = 0;
        for _ in 0..50 {
            s.handle_have(space, vec![], true, &mut logs, now).unwrap();
            restreamed += entries_sent(&mut s, &mut logs, now);
        }
        // Two logs (mine and Betty's) per re-stream; a burst of them, then one per interval.
        assert!(
            restreamed <= 2 * FULL_HAVE_BURST as usize,
            "the space was streamed {} more times",
            restreamed / 2
        );
        assert!(s.wants_to_send(now + FULL_HAVE_EVERY));
        assert!(s
            .poll_timeout()
            .is_some_and(|at| at <= now + FULL_HAVE_EVERY));
        let later = entries_sent(&mut s, &mut logs, now + FULL_HAVE_EVERY);
        assert_eq!(
            later, 2,
            "the newest waiting full Have is honoured in its turn"
        );
        assert_eq!(entries_sent(&mut s, &mut logs, now + FULL_HAVE_EVERY), 0);
    }

    /// Issue 10 item 9: authors that are no log of the space (invented by the peer) leave no trace in the
    /// session and get no answer.
    #[test]
    fn invented_authors_in_a_have_are_ignored() {
        let (mut s, mut logs, space, _) = session(Duration::ZERO);
        let now = Instant::now();
        let fake: Vec<Head> = (0..1000u32)
            .map(|i| {
                let mut id = [0xee; 32];
                id[..4].copy_from_slice(&i.to_be_bytes());
                (DeviceId(id), 5, Hash([0; 32]))
            })
            .collect();
        let has = s.handle_have(space, fake, false, &mut logs, now).unwrap();
        assert!(has.is_empty(), "{} invented authors reported", has.len());
        let mut answered = 0;
        while let Some(frame) = s.poll_transmit(&mut logs, now).unwrap() {
            if let SyncFrame::Have { heads, .. } = frame {
                answered += heads.len();
            }
        }
        assert_eq!(answered, 0, "we asked for {answered} invented logs");
    }

    /// A session of `me` over one space where the peer holds everything but what grows next.
    fn session(delay: Duration) -> (Session, Heads, SpaceId, DeviceId) {
        let (me, betty, space) = (DeviceId([1; 32]), DeviceId([2; 32]), SpaceId([9; 32]));
        let mut logs = Heads([(betty, 1)].into_iter().collect());
        let mut s = Session::new(me).with_relay_delay(delay);
        s.open_space(space, &mut logs).unwrap();
        s.handle_have(
            space,
            vec![(betty, 1, Hash([0; 32]))],
            true,
            &mut logs,
            Instant::now(),
        )
        .unwrap();
        let now = Instant::now();
        while s.poll_transmit(&mut logs, now).unwrap().is_some() {}
        (s, logs, space, betty)
    }

    #[test]
    fn a_relayed_entry_is_announced_once_its_delay_has_passed() {
        let delay = Duration::from_millis(10);
        let (mut s, mut logs, space, betty) = session(delay);
        let t0 = Instant::now();
        logs.0.insert(betty, 2);
        s.local_head(&space, (betty, 2, Hash([7; 32])), t0);
        assert!(!s.wants_to_send(t0));
        assert_eq!(s.poll_transmit(&mut logs, t0).unwrap(), None);
        assert_eq!(s.poll_timeout(), Some(t0 + delay));
        // Heads that grow meanwhile go out in the same announcement.
        logs.0.insert(betty, 3);
        s.local_head(&space, (betty, 3, Hash([8; 32])), t0 + delay / 2);
        assert_eq!(s.poll_timeout(), Some(t0 + delay));
        assert!(s.wants_to_send(t0 + delay));
        assert_eq!(
            s.poll_transmit(&mut logs, t0 + delay).unwrap(),
            Some(SyncFrame::Have {
                space,
                heads: vec![(betty, 3, Hash([8; 32]))],
                full: false,
            })
        );
        assert_eq!(s.poll_timeout(), None);
        assert!(!s.wants_to_send(t0 + delay * 10));
    }

    #[test]
    fn a_peer_that_shows_it_holds_the_entry_is_not_told() {
        let delay = Duration::from_millis(10);
        let (mut s, mut logs, space, betty) = session(delay);
        let t0 = Instant::now();
        logs.0.insert(betty, 2);
        s.local_head(&space, (betty, 2, Hash([7; 32])), t0);
        // The peer got it from Betty too, and announced it first.
        let has = s
            .handle_have(space, vec![(betty, 2, Hash([7; 32]))], false, &mut logs, t0)
            .unwrap();
        assert_eq!(has.len(), 1);
        assert_eq!(s.poll_transmit(&mut logs, t0 + delay).unwrap(), None);
        assert!(!s.wants_to_send(t0 + delay));
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn without_a_delay_relays_are_announced_at_once() {
        let (mut s, mut logs, space, betty) = session(Duration::ZERO);
        let t0 = Instant::now();
        logs.0.insert(betty, 2);
        s.local_head(&space, (betty, 2, Hash([7; 32])), t0);
        assert!(s.wants_to_send(t0));
        assert!(matches!(
            s.poll_transmit(&mut logs, t0).unwrap(),
            Some(SyncFrame::Have { full: false, .. })
        ));
    }
}
