//! A device's copy of its spaces: accepts entries by the chain and membership rules (here), appends its
//! own, and applies what each entry says to the store's views (`apply`: members, messages, invites, ...),
//! all in one transaction per batch. Both the sync state machine and local writes go through here, so a
//! local entry and a received one have exactly the same effects.

mod apply;

use crate::chat::{Event, MessageState};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, Hash, MessageKey, Now, PersonId, SpaceId};
use crate::log::{check_chain, Body, Entry, EntryKeys, Received};
use crate::space::membership::may_author;
use crate::space::SpaceState;
use crate::store::{self, SpaceRow};
use crate::sync::{Applied, Head, Incoming, Logs};
use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use std::collections::{BTreeMap, HashMap};

/// Longest message text, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// How far ahead of this device's clock a message may show its time: a later time shows as this.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

/// What a batch changed beyond the events, for the client to act on.
#[derive(Debug, Default, Clone)]
pub struct Effects {
    /// Home or membership changed: the client should reconcile (join spaces, add my devices, ...).
    pub reconcile: bool,
    /// Spaces joined, left or closed: connections should re-offer.
    pub spaces_changed: bool,
    /// Logs that grew, each entry by entry: (space, (author, seq, hash)).
    pub grown: Vec<(SpaceId, Head)>,
    /// Membership changed in these spaces.
    pub membership: Vec<SpaceId>,
    /// New peer addresses were learned: the dialer should look again.
    pub addresses: bool,
    /// Spaces of which this device received a new key.
    pub new_keys: Vec<SpaceId>,
}

/// The store as one device sees it, for the length of one transaction (or one batch).
pub struct Replica<'a> {
    pub conn: &'a Connection,
    /// This device's key: it signs what the replica appends and opens keys sealed to this device.
    signer: &'a SigningKey,
    pub me: DeviceId,
    pub person: PersonId,
    /// When this happens: the time of appended entries, and when spaces are joined and peers seen.
    pub now: Now,
    pub events: Vec<Event>,
    pub effects: Effects,
    /// Counts entries that may have changed membership or space state.
    changes: u64,
    /// Person names per space, for message events; cleared by `Hello`.
    names: HashMap<(SpaceId, PersonId), String>,
    /// My read marker per space, for message events; cleared by `Read`.
    my_read: HashMap<SpaceId, Option<MessageKey>>,
}

impl<'a> Replica<'a> {
    /// The replica of the device whose key is `signer`, of person `person`, over `conn`, at `now`.
    pub fn new(conn: &'a Connection, signer: &'a SigningKey, person: PersonId, now: Now) -> Self {
        Replica {
            conn,
            signer,
            me: DeviceId(signer.verifying_key().to_bytes()),
            person,
            now,
            events: Vec::new(),
            changes: 0,
            names: Default::default(),
            my_read: Default::default(),
            effects: Effects::default(),
        }
    }

    /// Appends `body` to my log of the space `space` names, and applies it. Returns (seq, time).
    pub fn append_to(&mut self, space: &SpaceId, body: &Body) -> Result<(u64, u64)> {
        let row = store::space_get(self.conn, space)?.ok_or(Error::Closed)?;
        self.append(&row, body)
    }

    /// Appends `body` to my log of `space` and applies it. Returns (seq, time).
    pub fn append(&mut self, space: &SpaceRow, body: &Body) -> Result<(u64, u64)> {
        let tx = store::begin(self.conn)?;
        let (seq, prev) = store::head(self.conn, &space.id, &self.me)?;
        let last_time =
            match store::entries_after(self.conn, &space.id, &self.me, seq.saturating_sub(1), 1)?
                .first()
            {
                Some(raw) if seq > 0 => Entry::decode(raw).map(|e| e.time).unwrap_or(0),
                _ => 0,
            };
        let time = self.now.ms().max(last_time + 1);
        // Membership and key deliveries travel under the first key, so a member that lacks later keys
        // (a device added after a rotation) can still read who belongs and receive the keys.
        let key = match body {
            Body::KeysSealed { .. }
            | Body::MemberAdded { .. }
            | Body::MemberRemoved { .. }
            | Body::DeviceRevoked { .. } => &space.key,
            _ => space.current_key(),
        };
        let entry = Entry::create(space.id, key, self.signer, seq + 1, prev, time, body)
            .map_err(|e| Error::Storage(format!("cannot write an entry: {e}")))?;
        let raw = entry.encode();
        let hash = entry.hash();
        store::entry_insert(self.conn, &space.id, &self.me, entry.seq, &hash, &raw)?;
        self.apply_body(space, &entry, body.clone(), Some(self.person))?;
        tx.commit()?;
        self.effects
            .grown
            .push((space.id, (self.me, entry.seq, hash)));
        Ok((entry.seq, time))
    }

    /// Applies a batch received from a peer. Never panics on peer input; refused entries are counted.
    pub fn receive(&mut self, space_id: &SpaceId, entries: Vec<Incoming>) -> Result<Applied> {
        let mut applied = Applied::default();
        let Some(space) = store::space_get(self.conn, space_id)? else {
            applied.refused = entries.len();
            return Ok(applied);
        };
        if space.state == SpaceState::Closed {
            applied.refused = entries.len();
            return Ok(applied);
        }
        // Group by author, each log in seq order.
        let mut logs: BTreeMap<DeviceId, Vec<Received>> = BTreeMap::new();
        for incoming in entries {
            match incoming {
                Ok(r) if r.entry.space == *space_id => {
                    logs.entry(r.entry.author).or_default().push(r)
                }
                _ => applied.refused += 1,
            }
        }
        for log in logs.values_mut() {
            log.sort_by_key(|r| r.entry.seq);
            log.dedup_by_key(|r| r.entry.seq);
        }
        let tx = store::begin(self.conn)?;
        let before = self.effects.membership.len();
        let grown_before = self.effects.grown.len();
        // Repeat while progress is made: an author may become a member through another log of this batch.
        loop {
            let mut progress = false;
            for (author, log) in logs.iter_mut() {
                if log.is_empty() {
                    continue;
                }
                let taken = self.receive_log(&space, author, log.as_mut_slice())?;
                if taken > 0 {
                    progress = true;
                    log.drain(..taken);
                }
            }
            if !progress {
                break;
            }
        }
        applied.refused += logs.values().map(Vec::len).sum::<usize>();
        tx.commit()?;
        applied.membership_changed = self.effects.membership.len() > before;
        applied.new_keys = self.effects.new_keys.contains(space_id);
        let mut heads: BTreeMap<DeviceId, (u64, Hash)> = BTreeMap::new();
        for (s, (author, seq, hash)) in &self.effects.grown[grown_before..] {
            if s == space_id {
                let head = heads.entry(*author).or_insert((*seq, *hash));
                if *seq >= head.0 {
                    *head = (*seq, *hash);
                }
                applied.stored += 1;
            }
        }
        applied.heads = heads
            .into_iter()
            .map(|(author, (seq, hash))| (author, seq, hash))
            .collect();
        Ok(applied)
    }

    /// Accepts the acceptable prefix of one author's entries; returns how many were consumed
    /// (accepted, or dropped as duplicates / kept as fork evidence).
    fn receive_log(
        &mut self,
        space: &SpaceRow,
        author: &DeviceId,
        log: &mut [Received],
    ) -> Result<usize> {
        let (head_seq, head_hash) = store::head(self.conn, &space.id, author)?;
        let mut consumed = 0;
        // Entries we already hold: identical ones are dropped, different ones are a fork.
        while let Some(r) = log.get(consumed).filter(|r| r.entry.seq <= head_seq) {
            let e = &r.entry;
            if let Some(held) = store::entry_hash(self.conn, &space.id, author, e.seq)? {
                if held != r.hash && e.verify_signature().is_ok() {
                    log::warn!(
                        "fork in log {} of space {}: seq {}",
                        author.short(),
                        space.id.short(),
                        e.seq
                    );
                    store::fork_insert(self.conn, &space.id, author, e.seq, &r.raw)?;
                    self.events.push(Event::ForkDetected {
                        device_id: *author,
                        seq: e.seq,
                    });
                }
            }
            consumed += 1;
        }
        let rest = &mut log[consumed..];
        // The contiguous run that continues the log, checked as a chain with the last signature.
        let run = rest
            .iter()
            .enumerate()
            .take_while(|(i, r)| r.entry.seq == head_seq + 1 + *i as u64)
            .count();
        if run == 0 {
            return Ok(consumed);
        }
        let run = &mut rest[..run];
        // Stop at the first entry the membership rule refuses.
        let allowed = {
            let member = store::member(self.conn, &space.id, author)?;
            run.iter()
                .take_while(|r| may_author(space.root, member.as_ref(), *author, r.entry.seq))
                .count()
        };
        if allowed == 0 {
            return Ok(consumed);
        }
        let run = &mut run[..allowed];
        if check_chain(head_seq, head_hash, run).is_err() {
            log::debug!(
                "refused a batch of {} from {}: chain or signature",
                run.len(),
                author.short()
            );
            return Ok(consumed);
        }
        // Times increase within a log (an honest author writes max(now, last + 1)): the run stops at the
        // first entry that does not.
        let mut last_time = match head_seq {
            0 => None,
            _ => store::entries_after(self.conn, &space.id, author, head_seq - 1, 1)?
                .first()
                .and_then(|raw| Entry::decode(raw).ok())
                .map(|e| e.time),
        };
        // Membership or the space's state may change inside the run; re-read them only when they did.
        let mut member = store::member(self.conn, &space.id, author)?;
        let mut space_now = space.clone();
        let mut seen_changes = self.changes;
        let mut entry_keys = entry_keys_of(&space_now);
        for received in run.iter_mut() {
            let entry = &received.entry;
            if last_time.is_some_and(|t| entry.time <= t) {
                log::debug!(
                    "refused entry {} of {}: its time goes back",
                    entry.seq,
                    author.short()
                );
                return Ok(consumed);
            }
            last_time = Some(entry.time);
            if self.changes != seen_changes {
                member = store::member(self.conn, &space.id, author)?;
                space_now = store::space_get(self.conn, &space.id)?.unwrap_or(space_now);
                entry_keys = entry_keys_of(&space_now);
                seen_changes = self.changes;
                if !may_author(space.root, member.as_ref(), *author, entry.seq) {
                    return Ok(consumed);
                }
            }
            // An entry sealed with a key we do not hold yet is kept (the chain and signature are
            // verified) and opened when the key arrives; one sealed with a known key must open.
            let key = entry_keys.iter().find(|(id, _)| *id == entry.key_id);
            let opened = match (key, received.body.take()) {
                (Some(_), Some(body)) => Some(Ok(body)),
                (Some((_, k)), None) => Some(received.open_with(k)),
                (None, _) => None,
            };
            let entry = &received.entry;
            let body = match opened {
                Some(Ok(body)) => Some(body),
                Some(Err(_)) => {
                    log::debug!(
                        "refused entry {} of {}: does not open",
                        entry.seq,
                        author.short()
                    );
                    return Ok(consumed);
                }
                None => None,
            };
            store::entry_insert(
                self.conn,
                &space.id,
                author,
                entry.seq,
                &received.hash,
                &received.raw,
            )?;
            match body {
                Some(body) => {
                    self.apply_body(&space_now, entry, body, member.as_ref().map(|m| m.person))?
                }
                None => {
                    store::unopened_add(self.conn, &space.id, author, entry.seq, &entry.key_id)?
                }
            }
            self.effects
                .grown
                .push((space.id, (*author, entry.seq, received.hash)));
            consumed += 1;
        }
        Ok(consumed)
    }

    /// Applies the entries that were waiting for `key`, in log order.
    fn open_waiting(&mut self, space_id: &SpaceId, key: &crate::space::SpaceKey) -> Result<()> {
        let Some(space) = store::space_get(self.conn, space_id)? else {
            return Ok(());
        };
        for (author, seq) in store::unopened_take(self.conn, space_id, &key.key_id())? {
            let Some(raw) = store::entries_after(self.conn, space_id, &author, seq - 1, 1)?.pop()
            else {
                continue;
            };
            let Ok(entry) = Entry::decode(&raw) else {
                continue;
            };
            if let Ok(body) = entry.open(key) {
                let person = self.person_of(space_id, &author)?;
                self.apply_body(&space, &entry, body, person)?;
            }
        }
        Ok(())
    }

    /// The event view of a message just stored, built without re-reading it.
    fn message_added(
        &mut self,
        space: &SpaceRow,
        key: MessageKey,
        text: String,
        reply_to: Option<crate::ids::MessageId>,
        author_person: Option<PersonId>,
        state: MessageState,
    ) -> Result<crate::chat::Message> {
        let from = match author_person {
            Some(p) => match self.names.get(&(space.id, p)) {
                Some(name) => name.clone(),
                None => {
                    let persons = store::persons(self.conn, &space.id)?;
                    let name = persons
                        .into_iter()
                        .find(|(q, _)| *q == p)
                        .map(|(_, n)| n)
                        .unwrap_or_default();
                    self.names.insert((space.id, p), name.clone());
                    name
                }
            },
            None => String::new(),
        };
        let from_me = author_person == Some(self.person);
        let read = !from_me && self.my_read_marker(&space.id)?.is_some_and(|m| m >= key);
        Ok(crate::chat::Message {
            id: key.id(),
            from,
            from_me,
            device_id: key.author,
            text,
            sent_at: key.time,
            state: if read { MessageState::Read } else { state },
            reply_to,
        })
    }

    fn my_read_marker(&mut self, space: &SpaceId) -> Result<Option<MessageKey>> {
        if let Some(marker) = self.my_read.get(space) {
            return Ok(*marker);
        }
        let marker = store::read_marker(self.conn, space, &self.person)?;
        self.my_read.insert(*space, marker);
        Ok(marker)
    }

    fn person_of(&self, space: &SpaceId, device: &DeviceId) -> Result<Option<PersonId>> {
        Ok(store::member(self.conn, space, device)?.map(|m| m.person))
    }
}

/// Whether `raw` introduces `peer` into `space`: an entry of that space, signed by a current member I know
/// (or the root), sealed under the space's first key, whose body is `MemberAdded` of exactly `peer` under
/// a person its author may introduce it under. What a peer I have not heard of yet shows to open a space.
pub fn introduces(c: &Connection, space: &SpaceRow, peer: &DeviceId, raw: &[u8]) -> Result<bool> {
    let Ok(entry) = Entry::decode(raw) else {
        return Ok(false);
    };
    if entry.space != space.id || entry.author == *peer || entry.verify_signature().is_err() {
        return Ok(false);
    }
    let members: Vec<crate::space::Member> = store::members(c, &space.id)?
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let author = members.iter().find(|m| m.device == entry.author);
    if !may_author(space.root, author, entry.author, entry.seq)
        || author.is_some_and(|m| !m.is_current())
    {
        return Ok(false);
    }
    if members.iter().any(|m| m.device == *peer) {
        // Listed already: the list decides (a removed device stays removed).
        return Ok(false);
    }
    Ok(match entry.open(&space.key) {
        Ok(Body::MemberAdded { device, person, .. }) => {
            device == *peer
                && crate::space::membership::may_introduce(
                    space.root,
                    entry.author,
                    author.map(|m| m.person),
                    device,
                    person,
                    &members,
                    space.kind == crate::space::SpaceKind::Buddy,
                )
        }
        _ => false,
    })
}

/// A device's logs in the store, as the sync state machines read them (any connection: a connection
/// task's own reader, or the writer inside a transaction).
pub struct StoredLogs<'a>(pub &'a Connection);

impl Logs for StoredLogs<'_> {
    fn heads(&mut self, space: &SpaceId) -> Result<Vec<Head>> {
        store::heads(self.0, space)
    }

    fn head(&mut self, space: &SpaceId, author: &DeviceId) -> Result<Option<Head>> {
        Ok(match store::head(self.0, space, author)? {
            (0, _) => None,
            (seq, hash) => Some((*author, seq, hash)),
        })
    }

    fn entries_after(
        &mut self,
        space: &SpaceId,
        author: &DeviceId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>> {
        store::entries_after(self.0, space, author, after, limit)
    }
}

/// This device's entry keys of a space, by key id.
pub fn entry_keys_of(space: &SpaceRow) -> EntryKeys {
    space
        .keys
        .iter()
        .map(|k| (k.key_id(), k.entry_key()))
        .collect()
}

#[cfg(test)]
mod sync_props;
#[cfg(test)]
mod tests;
