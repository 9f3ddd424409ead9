//! What each accepted entry does to the views: members, persons, addresses, spaces joined and left,
//! invites, messages, read markers, keys.

use super::{Replica, MAX_CLOCK_SKEW_MS, MAX_MESSAGE_BYTES};
use crate::chat::Event;
use crate::error::Result;
use crate::ids::{DeviceId, MessageId, MessageKey, Now, PersonId};
use crate::invite::redeem::{self, Issued};
use crate::log::{Body, Entry};
use crate::space::{membership, Member, Rotation, SealedKey, SpaceKey, SpaceKind, SpaceState};
use crate::store::{self, Delivery, SpaceRow};

impl Replica<'_> {
    /// What an accepted entry means for the views.
    pub(super) fn apply_body(
        &mut self,
        space: &SpaceRow,
        entry: &Entry,
        body: Body,
        author_person: Option<PersonId>,
    ) -> Result<()> {
        if !body.in_range() {
            log::debug!("ignored a {} body out of range", body_name(&body));
            return Ok(());
        }
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
                let members: Vec<Member> = store::members(c, &space.id)?
                    .into_iter()
                    .map(|(m, _)| m)
                    .collect();
                let binds_joiner = space.kind == SpaceKind::Buddy;
                if !crate::space::strong_key(&device) {
                    log::debug!("ignored a MemberAdded of a weak key");
                    return Ok(());
                }
                if !membership::may_introduce(
                    space.root,
                    author,
                    author_person,
                    device,
                    person,
                    &members,
                    binds_joiner,
                ) {
                    log::debug!(
                        "ignored {} introducing {} under another person",
                        author.short(),
                        device.short()
                    );
                    return Ok(());
                }
                if device == self.me && author != self.me {
                    store::meta_set(c, store::Meta::Introduction(space.id), &entry.encode())?;
                }
                if store::member_add(c, &space.id, &device, &person, &name)? {
                    self.effects.membership.push(space.id);
                    self.effects.reconcile = true;
                    if home && device != self.me && author != device {
                        self.events.push(Event::DeviceLinked {
                            device_id: device,
                            name,
                        });
                    }
                    if space.kind == SpaceKind::Buddy {
                        self.note_shared_code(c, &device)?;
                    }
                }
            }
            // A device's removal of itself is ignored: only another device of its person removes it, so a
            // stolen device can neither weaken nor pre-empt its real removal.
            Body::MemberRemoved { device, .. } | Body::DeviceRevoked { device, .. }
                if device == author =>
            {
                log::debug!("ignored a removal of {} by itself", author.short());
            }
            Body::MemberRemoved {
                device,
                last_seq,
                rotation,
            } => {
                let target = store::member(c, &space.id, &device)?;
                if membership::may_remove(author_person, target.as_ref()) {
                    self.remove_member(space, target, last_seq)?;
                    self.rotate(space, author, rotation)?;
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
                            buddy_id: space.id.into(),
                            name,
                        });
                    }
                }
            }
            Body::Addresses { addrs } => {
                for addr in addrs.iter().take(8) {
                    store::peer_addr_add(c, &author, addr, Now(entry.time))?;
                }
                self.effects.addresses |= author != self.me;
            }
            Body::DeviceRenamed { device, name } if home => {
                store::member_rename(c, &space.id, &device, &name)?
            }
            Body::DeviceRevoked {
                device,
                last_seq,
                rotation,
            } if home => {
                // Every member of a home space is a device of its one person.
                let target = store::member(c, &space.id, &device)?;
                if membership::may_remove(author_person, target.as_ref()) {
                    if self.remove_member(space, target, last_seq)? {
                        self.events.push(Event::DeviceRevoked { device_id: device });
                    }
                    self.rotate(space, author, rotation)?;
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
                if kind != SpaceKind::Home
                    && !store::space_left(c, &key.space_id())?
                    && store::space_insert(c, &key, kind, root, &label, self.now)?
                {
                    self.effects.reconcile = true;
                    self.effects.spaces_changed = true;
                }
            }
            Body::SpaceLeft { space: left } if home => {
                store::space_left_add(c, &left)?;
                if let Some(row) = store::space_get(c, &left)? {
                    let mine_closing = row.state == SpaceState::Closing && author == self.me;
                    if row.state != SpaceState::Closed && !mine_closing {
                        store::space_set_state(c, &left, SpaceState::Closed, None)?;
                        self.effects.spaces_changed = true;
                        self.events.push(Event::BuddyRemoved {
                            buddy_id: left.into(),
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
                // Capped whoever wrote it: a device cannot make an invite outlive its purpose's lifetime
                // (counted from when it was written, or from now if it claims a later time).
                let issued_at = (entry.time / 1000).min(self.now.secs());
                let expires_at = redeem::capped_expiry(purpose, expires_at, issued_at);
                store::invite_insert(
                    c,
                    &Issued {
                        id,
                        secret: secret.0,
                        purpose,
                        label,
                        expires_at,
                        issuer: Some(author),
                        redeemed_by: None,
                    },
                )?;
            }
            Body::InviteRedeemed { id, by } if home => {
                if store::invite_redeemed(c, &id, &by)? {
                    log::warn!(
                        "an invite was redeemed twice, by {} too, before my devices synced",
                        by.short()
                    );
                    self.note_shared_code(c, &by)?;
                }
                let label = store::invite_get(c, &id)?
                    .map(|i| i.label)
                    .unwrap_or_default();
                self.events.push(Event::InviteRedeemed {
                    label,
                    by_device: by,
                });
            }
            Body::Message { text, reply_to } if !home => {
                if text.is_empty() || text.len() > MAX_MESSAGE_BYTES {
                    return Ok(());
                }
                // Shown no later than a little ahead of my clock, whatever time the author claims.
                let key = MessageKey {
                    time: entry.time.min(self.now.ms() + MAX_CLOCK_SKEW_MS),
                    author,
                    seq: entry.seq,
                };
                let state = if author == self.me {
                    Delivery::Pending
                } else if author_person == Some(self.person) {
                    Delivery::Sent
                } else {
                    Delivery::Delivered
                };
                let reply_to = reply_to.map(|(author, seq)| MessageId { author, seq });
                store::message_insert(c, &space.id, &key, &text, reply_to, state)?;
                let message =
                    self.message_added(space, key, text, reply_to, author_person, state.into())?;
                self.events.push(Event::MessageAdded {
                    buddy_id: space.id.into(),
                    message,
                });
            }
            Body::Read { up_to } if !home => {
                if let Some(person) = author_person {
                    if store::read_marker_raise(c, &space.id, &person, &up_to)? {
                        self.my_read.remove(&space.id);
                        self.events.push(Event::ReadUpTo {
                            buddy_id: space.id.into(),
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
                        buddy_id: space.id.into(),
                    });
                }
            }
            // Earlier keys for a device added later: held for opening, established only by a rotation.
            Body::KeysSealed { keys } => self.hold_keys(space, &keys, None)?,
            other => log::debug!("ignored a {} body out of place", body_name(&other)),
        }
        Ok(())
    }

    /// The rotation of a removal that counted: records the epoch of its key (the same on every device) and
    /// holds the key if it is sealed to me.
    fn rotate(
        &mut self,
        space: &SpaceRow,
        author: crate::ids::DeviceId,
        rotation: Option<Rotation>,
    ) -> Result<()> {
        let Some(rotation) = rotation else {
            return Ok(());
        };
        if rotation.epoch == 0 {
            return Ok(());
        }
        store::space_epoch_add(
            self.conn,
            &space.id,
            &rotation.key_id,
            rotation.epoch,
            &author,
        )?;
        self.hold_keys(space, &rotation.keys, Some(rotation.key_id))?;
        // The current key may have changed even if no key is new here (its epoch just arrived).
        self.effects.new_keys.push(space.id);
        self.changes += 1;
        Ok(())
    }

    /// Holds the keys of `sealed` that are sealed to me (only of key id `only`, if given) and opens the
    /// entries that waited for them.
    fn hold_keys(
        &mut self,
        space: &SpaceRow,
        sealed: &[SealedKey],
        only: Option<[u8; 8]>,
    ) -> Result<()> {
        let me = self.me;
        for sealed in sealed.iter().filter(|k| k.device == me) {
            let Some(key) = SpaceKey::open_sealed(sealed, self.signer, &space.id) else {
                continue;
            };
            if only.is_some_and(|id| id != key.key_id()) {
                continue;
            }
            if store::space_key_add(self.conn, &space.id, &key)? {
                self.effects.new_keys.push(space.id);
                self.open_waiting(&space.id, &key)?;
            }
        }
        Ok(())
    }

    /// Removes `target` from `space` after `last_seq`, by the membership rule (the earliest removal
    /// wins). Returns whether anything changed.
    fn remove_member(
        &mut self,
        space: &SpaceRow,
        target: Option<Member>,
        last_seq: u64,
    ) -> Result<bool> {
        let Some(target) = target else {
            return Ok(false);
        };
        let Some(cut) = membership::removal_after(target.removed_after, last_seq) else {
            return Ok(false);
        };
        store::member_set_removed(self.conn, &space.id, &target.device, cut)?;
        self.effects.membership.push(space.id);
        self.effects.reconcile = true;
        Ok(true)
    }
}
impl Replica<'_> {
    /// Tells the person when `device`, a joiner of an invite that two joiners redeemed, and the other
    /// joiner are now both known as buddies here (whichever of the entries that says so came last).
    fn note_shared_code(&mut self, c: &rusqlite::Connection, device: &DeviceId) -> Result<()> {
        if let Some([a, b]) = store::shared_code_of(c, device)? {
            log::warn!("two buddies joined with one invite code");
            self.events.push(Event::InviteUsedTwice {
                buddies: [a.into(), b.into()],
            });
        }
        Ok(())
    }
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
