//! The chat operations of the API: what I am, names, buddies and conversations, sending and reading,
//! removing a buddy, unlinking a device, publishing my addresses. Each write is one transaction.

use super::Engine;
use crate::chat::{self, Buddy, Device, Event, Me, Message};
use crate::error::{Error, Result};
use crate::ids::{BuddyId, DeviceId, MessageId, MessageKey, Now, SpaceId};
use crate::log::Body;
use crate::replica::MAX_MESSAGE_BYTES;
use crate::space::{Rotation, SpaceKey, SpaceState};
use crate::store::{self, Meta};
use rusqlite::Connection;
use std::net::SocketAddr;

/// Most messages in one page of a conversation.
const MAX_PAGE: usize = 1000;

/// A display name: 1 to 64 bytes, no control characters, surrounding space trimmed.
pub fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(Error::InvalidName {
            reason: "a name has 1 to 64 characters and no control characters".into(),
        });
    }
    Ok(name.to_string())
}

impl Engine {
    pub fn me(&self) -> Result<Me> {
        let c = self.store.read()?;
        let (person, home) = (self.person(), self.home());
        let listed = store::members(&c, &home)?
            .into_iter()
            .find(|(m, _)| m.device == self.me)
            .map(|(_, name)| name);
        let device_name = match listed {
            Some(name) => name,
            None => store::meta_get(&c, Meta::DeviceName)?
                .and_then(|n| String::from_utf8(n).ok())
                .unwrap_or_default(),
        };
        let person_name = store::persons(&c, &home)?
            .into_iter()
            .find(|(p, _)| *p == person)
            .map(|(_, n)| n)
            .unwrap_or_default();
        Ok(Me {
            device_id: self.me,
            device_name,
            person_id: person,
            person_name,
        })
    }

    pub(crate) fn my_person_name(&self) -> String {
        self.me().map(|m| m.person_name).unwrap_or_default()
    }

    /// Tells every active space my person's name.
    pub fn set_person_name(&self, name: &str, now: Now) -> Result<()> {
        let person = self.person();
        self.write(now, |r| {
            for space in active_spaces(r.conn)? {
                let hello = Body::Hello {
                    person,
                    name: name.to_string(),
                };
                r.append_to(&space, &hello)?;
            }
            Ok(())
        })
    }

    pub fn rename_device(&self, name: &str, now: Now) -> Result<()> {
        let home = self.home();
        self.write(now, |r| {
            store::meta_set(r.conn, Meta::DeviceName, name.as_bytes())?;
            let body = Body::DeviceRenamed {
                device: self.me,
                name: name.to_string(),
            };
            r.append_to(&home, &body)?;
            Ok(())
        })
    }

    pub fn buddies(&self) -> Result<Vec<Buddy>> {
        chat::buddies(&*self.store.read()?, &self.person(), &self.reach())
    }

    pub fn devices(&self, now: Now) -> Result<Vec<Device>> {
        chat::devices(
            &*self.store.read()?,
            &self.home(),
            &self.me,
            &self.reach(),
            now,
        )
    }

    /// Up to `limit` messages with `buddy`, oldest first, strictly before message `before` if given.
    pub fn conversation(
        &self,
        buddy: &BuddyId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let c = self.store.read()?;
        let space = chat::buddy_space(&c, buddy)?;
        let before = before
            .map(|id| message_key(&c, &space.id, &id))
            .transpose()?;
        chat::conversation(&c, &space.id, &self.person(), before, limit.min(MAX_PAGE))
    }

    pub fn send(&self, buddy: &BuddyId, text: &str, now: Now) -> Result<Message> {
        if text.trim().is_empty() || text.len() > MAX_MESSAGE_BYTES {
            return Err(Error::InvalidMessage {
                max: MAX_MESSAGE_BYTES,
            });
        }
        let body = Body::Message {
            text: text.to_string(),
            reply_to: None,
        };
        self.write(now, |r| {
            let space = chat::buddy_space(r.conn, buddy)?;
            let (seq, _) = r.append(&space, &body)?;
            let id = MessageId {
                author: self.me,
                seq,
            };
            // The message as the replica told it, rather than read back.
            r.events
                .iter()
                .find_map(|e| match e {
                    Event::MessageAdded { message, .. } if message.id == id => {
                        Some(message.clone())
                    }
                    _ => None,
                })
                .ok_or_else(|| Error::Storage("the message was not stored".into()))
        })
    }

    /// Marks everything with `buddy` up to message `up_to` (or the newest, if None) as read.
    pub fn mark_read(&self, buddy: &BuddyId, up_to: Option<MessageId>, now: Now) -> Result<()> {
        let person = self.person();
        self.write(now, |r| {
            let space = chat::buddy_space(r.conn, buddy)?;
            let key = match up_to {
                Some(id) => message_key(r.conn, &space.id, &id)?,
                None => match store::last_message(r.conn, &space.id)? {
                    Some(row) => row.key,
                    None => return Ok(()),
                },
            };
            let current = store::read_marker(r.conn, &space.id, &person)?;
            if current.is_some_and(|c| c >= key) {
                return Ok(());
            }
            r.append(&space, &Body::Read { up_to: key })?;
            Ok(())
        })
    }

    /// Leaves the buddy space: `Left` there, `SpaceLeft` in my home. The space stays open, closing, until a
    /// device of the buddy has the `Left` entry.
    pub fn remove_buddy(&self, buddy: &BuddyId, now: Now) -> Result<()> {
        let home = self.home();
        self.write(now, |r| {
            let space = chat::buddy_space(r.conn, buddy)?;
            let (seq, _) = r.append(&space, &Body::Left)?;
            store::space_set_state(r.conn, &space.id, SpaceState::Closing, Some(seq))?;
            r.append_to(&home, &Body::SpaceLeft { space: space.id })?;
            r.events.push(Event::BuddyRemoved { buddy_id: *buddy });
            r.effects.spaces_changed = true;
            Ok(())
        })
    }

    /// Unlinks one of my other devices: `DeviceRevoked` with a fresh home key for the others.
    pub fn revoke_device(&self, device: &DeviceId, now: Now) -> Result<()> {
        let home = self.home();
        let unknown = || Error::UnknownDevice(device.to_string());
        if *device == self.me {
            return Err(unknown());
        }
        self.write(now, |r| {
            let member = store::member(r.conn, &home, device)?.ok_or_else(unknown)?;
            if !member.is_current() {
                return Err(unknown());
            }
            let rotation = Some(rotation_for_members(r.conn, &home, device)?);
            let (last_seq, _) = store::head(r.conn, &home, device)?;
            let revoked = Body::DeviceRevoked {
                device: *device,
                last_seq,
                rotation,
            };
            r.append_to(&home, &revoked)?;
            Ok(())
        })
    }

    /// Publishes where I listen into every active space where it changed.
    pub fn publish_addresses(&self, addrs: &[SocketAddr], now: Now) -> Result<()> {
        let encoded = addrs
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(",");
        self.write(now, |r| {
            for space in active_spaces(r.conn)? {
                let published = store::meta_get(r.conn, Meta::Published(space))?;
                if published.as_deref() != Some(encoded.as_bytes()) {
                    let body = Body::Addresses {
                        addrs: addrs.to_vec(),
                    };
                    r.append_to(&space, &body)?;
                    store::meta_set(r.conn, Meta::Published(space), encoded.as_bytes())?;
                }
            }
            Ok(())
        })
    }

    /// Counts for diagnostics: (entries, forks).
    pub fn stats(&self) -> Result<(u64, u64)> {
        let c = self.store.read()?;
        Ok((store::entry_count(&c)?, store::fork_count(&c)?))
    }
}

/// The active spaces, in the order they were joined.
pub(super) fn active_spaces(c: &Connection) -> Result<Vec<SpaceId>> {
    Ok(store::spaces(c)?
        .into_iter()
        .filter(|s| s.state == SpaceState::Active)
        .map(|s| s.id)
        .collect())
}

/// Where message `id` sits in `space`.
fn message_key(c: &Connection, space: &SpaceId, id: &MessageId) -> Result<MessageKey> {
    store::message_get(c, space, &id.author, id.seq)?
        .map(|row| row.key)
        .ok_or_else(|| Error::UnknownMessage(id.to_string()))
}

/// A fresh key for `space` at the next epoch, sealed to every current member device but `removed`.
pub(super) fn rotation_for_members(
    c: &Connection,
    space: &SpaceId,
    removed: &DeviceId,
) -> Result<Rotation> {
    let key = SpaceKey::generate();
    let keys = store::members(c, space)?
        .into_iter()
        .filter(|(m, _)| m.is_current() && m.device != *removed)
        .filter_map(|(m, _)| key.seal_to(&m.device, space))
        .collect();
    Ok(Rotation {
        epoch: store::space_max_epoch(c, space)? + 1,
        key_id: key.key_id(),
        keys,
    })
}
