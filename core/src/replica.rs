//! A device's copy of its spaces: accepts entries by the chain and membership rules, appends its own,
//! and applies what each entry says to the store's views (members, messages, invites, ...), all in
//! one transaction per batch. Both the sync state machine and local writes go through here, so a
//! local entry and a received one have exactly the same effects.

use crate::chat::{Event, MessageState};
use crate::error::Result;
use crate::ids::{now_ms, DeviceId, Hash, MessageKey, PersonId, SpaceId};
use crate::invite::Purpose;
use crate::log::{check_chain, Body, Entry, EntryKeys, Received};
use crate::space::{may_author, SpaceKind, SpaceState};
use crate::store::{self, InviteRow, SpaceRow};
use crate::sync::{Applied, Head, Incoming, Replica as SyncReplica};
use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// Longest message text, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// What a batch changed beyond the events, for the client to act on.
#[derive(Debug, Default, Clone)]
pub struct Effects {
    /// Home or membership changed: the client should reconcile (join spaces, add my devices, ...).
    pub reconcile: bool,
    /// Spaces joined, left or closed: connections should re-offer.
    pub spaces_changed: bool,
    /// Logs that grew: (space, author, seq).
    pub grown: Vec<(SpaceId, DeviceId, u64)>,
    /// Membership changed in these spaces.
    pub membership: Vec<SpaceId>,
    /// New peer addresses were learned: the dialer should look again.
    pub addresses: bool,
}

pub struct Replica<'a> {
    pub conn: &'a Connection,
    pub me: DeviceId,
    pub person: PersonId,
    pub events: Vec<Event>,
    pub effects: Effects,
    /// Counts entries that may have changed membership or space state.
    changes: u64,
    /// Person names per space, for message events; cleared by `Hello`.
    names: std::collections::HashMap<(SpaceId, PersonId), String>,
    /// My read marker per space, for message events; cleared by `Read`.
    my_read: std::collections::HashMap<SpaceId, Option<MessageKey>>,
    signer: Option<&'a SigningKey>,
}

impl<'a> Replica<'a> {
    /// Lets this replica open keys sealed to its device.
    pub fn with_signer(mut self, signer: &'a SigningKey) -> Self {
        self.signer = Some(signer);
        self
    }

    fn open_sealed(
        &self,
        sealed: &crate::space::SealedKey,
        space: &SpaceId,
    ) -> Option<crate::space::SpaceKey> {
        crate::space::SpaceKey::open_sealed(sealed, self.signer?, space)
    }

    pub fn new(conn: &'a Connection, me: DeviceId, person: PersonId) -> Self {
        Replica {
            conn,
            me,
            person,
            events: Vec::new(),
            changes: 0,
            names: Default::default(),
            my_read: Default::default(),
            signer: None,
            effects: Effects::default(),
        }
    }

    /// Appends an entry to my own log of `space` and applies it. Returns (seq, time).
    pub fn append(
        &mut self,
        signer: &SigningKey,
        space: &SpaceRow,
        body: &Body,
    ) -> Result<(u64, u64)> {
        let tx = store::begin(self.conn)?;
        let (seq, prev) = store::head(self.conn, &space.id, &self.me)?;
        let last_time =
            match store::entries_after(self.conn, &space.id, &self.me, seq.saturating_sub(1), 1)?
                .first()
            {
                Some(raw) if seq > 0 => Entry::decode(raw).map(|e| e.time).unwrap_or(0),
                _ => 0,
            };
        let time = now_ms().max(last_time + 1);
        // Membership and key deliveries travel under the first key, so a member that lacks later keys
        // (a device added after a rotation) can still read who belongs and receive the keys.
        let key = match body {
            Body::KeysSealed { .. } | Body::MemberAdded { .. } | Body::MemberRemoved { .. } => {
                &space.key
            }
            _ => space.current_key(),
        };
        let entry = Entry::create(space.id, key, signer, seq + 1, prev, time, body);
        let raw = entry.encode();
        store::entry_insert(
            self.conn,
            &space.id,
            &self.me,
            entry.seq,
            &entry.hash(),
            &raw,
        )?;
        self.apply_body(space, &entry, body.clone(), Some(self.person))?;
        tx.commit()?;
        self.effects.grown.push((space.id, self.me, entry.seq));
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
        // Repeat while progress is made: an author may become a member through another log of this batch.
        loop {
            let mut progress = false;
            for (author, log) in logs.iter_mut() {
                if log.is_empty() {
                    continue;
                }
                let taken = self.receive_log(&space, author, log)?;
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
        let mut heads: BTreeMap<DeviceId, (u64, Hash)> = BTreeMap::new();
        for (s, author, seq) in &self.effects.grown {
            if s == space_id {
                heads.insert(*author, (*seq, Hash([0; 32])));
                applied.stored += 1;
            }
        }
        for (author, (seq, hash)) in heads.iter_mut() {
            if let Some(h) = store::entry_hash(self.conn, space_id, author, *seq)? {
                *hash = h;
            }
            applied.heads.push((*author, *seq, *hash));
        }
        Ok(applied)
    }

    /// Accepts the acceptable prefix of one author's entries; returns how many were consumed
    /// (accepted, or dropped as duplicates / kept as fork evidence).
    fn receive_log(
        &mut self,
        space: &SpaceRow,
        author: &DeviceId,
        log: &[Received],
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
                        device_id: author.to_hex(),
                        seq: e.seq,
                    });
                }
            }
            consumed += 1;
        }
        let rest = &log[consumed..];
        // The contiguous run that continues the log, checked as a chain with the last signature.
        let run = rest
            .iter()
            .enumerate()
            .take_while(|(i, r)| r.entry.seq == head_seq + 1 + *i as u64)
            .count();
        if run == 0 {
            return Ok(consumed);
        }
        let mut run = &rest[..run];
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
        run = &run[..allowed];
        if check_chain(head_seq, head_hash, run).is_err() {
            log::debug!(
                "refused a batch of {} from {}: chain or signature",
                run.len(),
                author.short()
            );
            return Ok(consumed);
        }
        // Membership or the space's state may change inside the run; re-read them only when they did.
        let mut member = store::member(self.conn, &space.id, author)?;
        let mut space_now = space.clone();
        let mut seen_changes = self.changes;
        let mut entry_keys = entry_keys_of(&space_now);
        for received in run {
            let entry = &received.entry;
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
            let opened = match (key, &received.body) {
                (Some(_), Some(body)) => Some(Ok(body.clone())),
                (Some((_, k)), None) => Some(entry.open_with(k)),
                (None, _) => None,
            };
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
            self.effects.grown.push((space.id, *author, entry.seq));
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
        reply_to: Option<(DeviceId, u64)>,
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
            device_id: key.author.to_hex(),
            text,
            sent_at: key.time,
            state: if read { MessageState::Read } else { state },
            reply_to: reply_to.map(|(a, s)| format!("{}-{}", a.to_hex(), s)),
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

    /// What an accepted entry means for the views.
    fn apply_body(
        &mut self,
        space: &SpaceRow,
        entry: &Entry,
        body: Body,
        author_person: Option<PersonId>,
    ) -> Result<()> {
        if !matches!(
            body,
            Body::Message { .. }
                | Body::Read { .. }
                | Body::Addresses { .. }
                | Body::InviteIssued { .. }
        ) {
            self.changes += 1;
        }
        let c = self.conn;
        let author = entry.author;
        let home = space.kind == SpaceKind::Home;
        // Once closing, only a `Left` from the other side still matters.
        if space.state == SpaceState::Closing && author != self.me && !matches!(body, Body::Left) {
            return Ok(());
        }
        match body {
            Body::MemberAdded {
                device,
                person,
                name,
            } => {
                // The root introduces itself; afterwards only members (already checked) add others.
                if store::member_add(c, &space.id, &device, &person, &name)? {
                    self.effects.membership.push(space.id);
                    self.effects.reconcile = true;
                    if home && device != self.me && author != device {
                        self.events.push(Event::DeviceLinked {
                            device_id: device.to_hex(),
                            name,
                        });
                    }
                }
            }
            Body::MemberRemoved { device, last_seq } => {
                // A person removes only their own devices.
                if author_person.is_some()
                    && self.person_of(&space.id, &device)? == author_person
                    && store::member_remove(c, &space.id, &device, last_seq)?
                {
                    self.effects.membership.push(space.id);
                    self.effects.reconcile = true;
                }
            }
            Body::Hello { person, name } => {
                if author_person == Some(person)
                    || author == self.me
                    || (author == space.root && author_person.is_none())
                {
                    let known = store::persons(c, &space.id)?
                        .iter()
                        .any(|(p, _)| *p == person);
                    store::person_set_name(c, &space.id, &person, &name)?;
                    self.names.remove(&(space.id, person));
                    if space.kind == SpaceKind::Buddy && person != self.person && !known {
                        self.events.push(Event::BuddyAdded {
                            buddy_id: space.id.to_hex(),
                            name,
                        });
                    }
                }
            }
            Body::Addresses { addrs } => {
                for addr in addrs.iter().take(8) {
                    store::peer_addr_add(c, &author, addr, entry.time / 1000)?;
                }
                self.effects.addresses |= author != self.me;
            }
            Body::DeviceRenamed { device, name } if home => {
                store::member_rename(c, &space.id, &device, &name)?
            }
            Body::DeviceRevoked { device, last_seq } if home => {
                if store::member_remove(c, &space.id, &device, last_seq)? {
                    self.effects.membership.push(space.id);
                    self.effects.reconcile = true;
                    self.events.push(Event::DeviceRevoked {
                        device_id: device.to_hex(),
                    });
                }
            }
            Body::SpaceJoined {
                kind,
                key,
                root,
                label,
            } if home => {
                // Another device's `SpaceLeft` may arrive before the `SpaceJoined` it answers: a space
                // once left is not joined again.
                let left_before = store::meta_get(c, &left_marker(&key.space_id()))?.is_some();
                if kind != SpaceKind::Home
                    && !left_before
                    && store::space_insert(c, &key, kind, root, &label, now_ms())?
                {
                    self.effects.reconcile = true;
                    self.effects.spaces_changed = true;
                }
            }
            Body::SpaceLeft { space: left } if home => {
                store::meta_set(c, &left_marker(&left), b"1")?;
                if let Some(row) = store::space_get(c, &left)? {
                    let mine_closing = row.state == SpaceState::Closing && author == self.me;
                    if row.state != SpaceState::Closed && !mine_closing {
                        store::space_set_state(c, &left, SpaceState::Closed, None)?;
                        self.effects.spaces_changed = true;
                        self.events.push(Event::BuddyRemoved {
                            buddy_id: left.to_hex(),
                        });
                    }
                }
            }
            Body::InviteIssued {
                id,
                secret,
                purpose,
                label,
                expires_at,
            } if home => {
                let purpose = match purpose {
                    Purpose::Link => "link",
                    Purpose::Buddy => "buddy",
                };
                store::invite_insert(
                    c,
                    &InviteRow {
                        id,
                        secret,
                        purpose: purpose.into(),
                        label,
                        expires_at,
                        redeemed_by: None,
                    },
                )?;
            }
            Body::InviteRedeemed { id, by } if home => {
                store::invite_redeemed(c, &id, &by)?;
                let label = store::invite_get(c, &id)?
                    .map(|i| i.label)
                    .unwrap_or_default();
                self.events.push(Event::InviteRedeemed {
                    label,
                    by_device: by.to_hex(),
                });
            }
            Body::Message { text, reply_to } if !home => {
                if text.is_empty() || text.len() > MAX_MESSAGE_BYTES {
                    return Ok(());
                }
                let key = MessageKey {
                    time: entry.time,
                    author,
                    seq: entry.seq,
                };
                let state = if author == self.me {
                    MessageState::Pending
                } else if author_person == Some(self.person) {
                    MessageState::Sent
                } else {
                    MessageState::Delivered
                };
                store::message_insert(c, &space.id, &key, &text, reply_to, state.as_str())?;
                let message =
                    self.message_added(space, key, text, reply_to, author_person, state)?;
                self.events.push(Event::MessageAdded {
                    buddy_id: space.id.to_hex(),
                    message,
                });
            }
            Body::Read { up_to } if !home => {
                if let Some(person) = author_person {
                    if store::read_marker_raise(c, &space.id, &person, &up_to)? {
                        self.my_read.remove(&space.id);
                        self.events.push(Event::ReadUpTo {
                            buddy_id: space.id.to_hex(),
                            by_me: person == self.person,
                            up_to: up_to.id(),
                        });
                    }
                }
            }
            Body::Left if !home => {
                if author_person.is_some() && author_person != Some(self.person) {
                    store::space_set_state(c, &space.id, SpaceState::Closed, None)?;
                    self.effects.spaces_changed = true;
                    self.effects.reconcile = true;
                    self.events.push(Event::BuddyRemoved {
                        buddy_id: space.id.to_hex(),
                    });
                }
            }
            Body::KeysSealed { keys } => {
                let me = self.me;
                for sealed in keys.iter().filter(|k| k.device == me) {
                    let Some(key) = self.open_sealed(sealed, &space.id) else {
                        continue;
                    };
                    if store::space_key_add(c, &space.id, &key)? {
                        self.open_waiting(&space.id, &key)?;
                    }
                }
            }
            other => log::debug!("ignored a {} body out of place", body_name(&other)),
        }
        Ok(())
    }
}

/// (key id, entry key) of every key of a space, derived once per batch.
/// Meta key recording that my person left a space, whichever log said so first.
fn left_marker(space: &SpaceId) -> String {
    format!("space-left:{space}")
}

/// This device's entry keys of a space, by key id.
pub fn entry_keys_of(space: &SpaceRow) -> EntryKeys {
    space
        .keys
        .iter()
        .map(|k| (k.key_id(), k.entry_key()))
        .collect()
}

fn body_name(body: &Body) -> &'static str {
    match body {
        Body::MemberAdded { .. } => "MemberAdded",
        Body::MemberRemoved { .. } => "MemberRemoved",
        Body::Hello { .. } => "Hello",
        Body::Addresses { .. } => "Addresses",
        Body::DeviceRenamed { .. } => "DeviceRenamed",
        Body::DeviceRevoked { .. } => "DeviceRevoked",
        Body::SpaceJoined { .. } => "SpaceJoined",
        Body::SpaceLeft { .. } => "SpaceLeft",
        Body::InviteIssued { .. } => "InviteIssued",
        Body::InviteRedeemed { .. } => "InviteRedeemed",
        Body::Message { .. } => "Message",
        Body::Read { .. } => "Read",
        Body::Left => "Left",
        Body::KeysSealed { .. } => "KeysSealed",
    }
}

impl SyncReplica for Replica<'_> {
    fn heads(&mut self, space: &SpaceId) -> Vec<Head> {
        store::heads(self.conn, space).unwrap_or_else(|e| {
            log::error!("reading heads: {e}");
            Vec::new()
        })
    }

    fn head(&mut self, space: &SpaceId, author: &DeviceId) -> Option<Head> {
        match store::head(self.conn, space, author) {
            Ok((0, _)) => None,
            Ok((seq, hash)) => Some((*author, seq, hash)),
            Err(e) => {
                log::error!("reading a head: {e}");
                None
            }
        }
    }

    fn entries_after(
        &mut self,
        space: &SpaceId,
        author: &DeviceId,
        after: u64,
        limit: usize,
    ) -> Vec<Vec<u8>> {
        store::entries_after(self.conn, space, author, after, limit).unwrap_or_else(|e| {
            log::error!("reading entries: {e}");
            Vec::new()
        })
    }

    fn apply(&mut self, space: &SpaceId, entries: Vec<Incoming>) -> Applied {
        let count = entries.len();
        self.receive(space, entries).unwrap_or_else(|e| {
            log::error!("storing a batch: {e}");
            Applied {
                refused: count,
                ..Applied::default()
            }
        })
    }
}
