//! What scenario tests and benchmarks need beyond the API: making expired invites, looking into a store,
//! seeding one, and the wire codec for a rogue peer built on our own frames. Not part of the API; nothing
//! here is used by the engine.

use crate::error::{Error, Result};
use crate::ids::{BuddyId, DeviceId, MessageId, MessageKey, Now, PersonId, SpaceId};
use crate::invite::{self, Invite, InviteCode, Purpose};
use crate::log::{Body, Entry};
use crate::replica::Replica;
use crate::space::SpaceKind;
use crate::store::{self, Delivery};
use crate::Client;
use ed25519_dalek::SigningKey;
use rusqlite::{params, Connection, OptionalExtension};

pub mod fuzz;

/// The frames and TLS configurations of the wire, for tests that act as a peer and for raw QUIC limits.
pub mod wire {
    pub use crate::net::beacon::Beacon;
    pub use crate::net::close;
    pub use crate::net::frame::{read_frame, write_frame, Frame, FrameError};
    pub use crate::net::tls::{client_config, peer_device_id, server_config};
    pub use crate::space::Role;
    pub use crate::sync::SyncFrame;

    /// Whether the TLS verifiers accept `device` as a peer's raw public key.
    pub fn accepts_tls_key(device: &[u8; 32]) -> Result<[u8; 32], rustls::Error> {
        crate::net::tls::check_peer_key(device)
    }

    /// Dials `target` as a stranger (a fresh device key that proves no space) from a client endpoint on
    /// loopback. The endpoint comes back with the connection: dropping it ends the connection.
    pub async fn dial_as_stranger(target: &crate::Client) -> (quinn::Endpoint, quinn::Connection) {
        let stranger = ed25519_dalek::SigningKey::generate(&mut rand::thread_rng());
        let me = target.me().expect("the target's identity").device_id;
        let mut endpoint = quinn::Endpoint::client(([127, 0, 0, 1], 0).into())
            .expect("a loopback client endpoint");
        endpoint
            .set_default_client_config(client_config(&stranger, Some(me.0)).expect("a TLS config"));
        let addr = target.listen_addrs()[0];
        let conn = endpoint
            .connect(addr, "clearchat")
            .expect("a dial")
            .await
            .expect("the stranger's handshake");
        (endpoint, conn)
    }

    /// The connection's TLS exporter value, which offers and redemption proofs are bound to.
    pub fn exporter(quic: &quinn::Connection) -> crate::Result<[u8; 32]> {
        crate::net::exporter(quic)
    }
}

/// The entry codec, for a rogue device that writes arbitrary signed entries.
pub mod entries {
    pub use crate::ids::{Hash, MessageKey};
    pub use crate::invite::{invite_id, redeem_proof, InviteSecret, Purpose};
    pub use crate::log::{Body, Entry, EntryError};
    pub use crate::space::{SealedKey, SpaceKey, SpaceKind};
}

/// A device's own identity as its store holds it: its signing key and its person. For tests that act as
/// that device (a stolen phone) with a rogue peer.
pub fn identity(client: &Client) -> Result<(SigningKey, PersonId)> {
    Ok((client.engine().signer.clone(), client.engine().person()))
}

/// A space as `client` holds it, for a rogue peer: id, kind, root and every key it holds, oldest first.
#[derive(Clone, Debug)]
pub struct HeldSpace {
    pub id: SpaceId,
    pub kind: SpaceKind,
    pub root: DeviceId,
    pub keys: Vec<crate::space::SpaceKey>,
}

/// Every space `client` holds.
pub fn spaces(client: &Client) -> Result<Vec<HeldSpace>> {
    read(client, |c| {
        Ok(store::spaces(c)?
            .into_iter()
            .map(|s| HeldSpace {
                id: s.id,
                kind: s.kind,
                root: s.root,
                keys: s.keys,
            })
            .collect())
    })
}

/// The head of `author`'s log in `space` as `client` holds it: (seq, hash, time); zeros when empty.
pub fn head(
    client: &Client,
    space: &SpaceId,
    author: &DeviceId,
) -> Result<(u64, crate::ids::Hash, u64)> {
    read(client, |c| {
        let (seq, hash) = store::head(c, space, author)?;
        let time = match seq {
            0 => 0,
            _ => store::entries_after(c, space, author, seq - 1, 1)?
                .first()
                .and_then(|raw| Entry::decode(raw).ok())
                .map_or(0, |e| e.time),
        };
        Ok((seq, hash, time))
    })
}

/// Every entry of `author`'s log in `space` that `client` holds, encoded, in seq order.
pub fn log_entries(client: &Client, space: &SpaceId, author: &DeviceId) -> Result<Vec<Vec<u8>>> {
    read(client, |c| {
        store::entries_after(c, space, author, 0, usize::MAX >> 1)
    })
}

/// A digest of everything `client` holds about `space` that a peer could change: the space's row and keys,
/// its entries, forks, unopened entries, members, persons, messages and read markers.
pub fn space_digest(client: &Client, space: &SpaceId) -> Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    read(client, |c| {
        let mut digest = Sha256::new();
        for (table, key) in [
            ("spaces", "id"),
            ("space_keys", "space"),
            ("entries", "space"),
            ("forks", "space"),
            ("unopened", "space"),
            ("members", "space"),
            ("persons", "space"),
            ("messages", "space"),
            ("reads", "space"),
        ] {
            let mut stmt = c.prepare(&format!(
                "SELECT * FROM {table} WHERE {key} = ? ORDER BY 1, 2, 3"
            ))?;
            let columns = stmt.column_count();
            let mut rows = stmt.query(params![space.0])?;
            digest.update(table.as_bytes());
            while let Some(row) = rows.next()? {
                for i in 0..columns {
                    let value: rusqlite::types::Value = row.get(i)?;
                    digest.update(format!("{value:?}|").as_bytes());
                }
            }
        }
        Ok(digest.finalize().into())
    })
}

/// The member `device` of `space` as `client` holds it: (person, removed after), if it is listed.
pub fn member(
    client: &Client,
    space: &SpaceId,
    device: &DeviceId,
) -> Option<(PersonId, Option<u64>)> {
    read(client, |c| store::member(c, space, device))
        .ok()
        .flatten()
        .map(|m| (m.person, m.removed_after))
}

fn read<T>(client: &Client, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    f(&*client.engine().store.read()?)
}

/// How many incoming connections `client`'s network (while started) asked to prove their address with a
/// QUIC Retry.
pub fn retries_sent(client: &Client) -> u64 {
    client.net().map_or(0, |net| net.retries_sent())
}

/// The keys `client` tags its LAN beacons with (and recognizes others' by).
pub fn beacon_keys(client: &Client) -> Result<Vec<crate::space::SpaceKey>> {
    client.engine().beacon_keys()
}

/// An invite with a chosen lifetime (0: already expired).
pub async fn create_invite(
    client: &Client,
    purpose: Purpose,
    label: &str,
    ttl_secs: u64,
) -> Result<Invite> {
    client.create_invite(purpose, label, ttl_secs).await
}

/// Whether `client` holds the invite of `code` (learned from its home space).
pub fn holds_invite(client: &Client, code: &InviteCode) -> bool {
    let id = invite::invite_id(&code.secret);
    read(client, |c| store::invite_get(c, &id))
        .ok()
        .flatten()
        .is_some()
}

/// Who redeemed the invite of `code`, as `client` knows it.
pub fn invite_redeemed_by(client: &Client, code: &InviteCode) -> Option<DeviceId> {
    let id = invite::invite_id(&code.secret);
    read(client, |c| store::invite_get(c, &id))
        .ok()
        .flatten()
        .and_then(|i| i.redeemed_by)
}

/// The devices that redeemed the invite of `code`, as `client` knows them: one, or two when devices of
/// the inviter served it to different joiners before they synced.
pub fn invite_joiners(client: &Client, code: &InviteCode) -> Vec<DeviceId> {
    let id = invite::invite_id(&code.secret);
    read(client, |c| store::invite_joiners(c, &id)).unwrap_or_default()
}

/// Whether `client` knows an address of `device`.
pub fn knows_address_of(client: &Client, device: &DeviceId) -> bool {
    read(client, |c| store::peer_addrs(c, device)).is_ok_and(|a| !a.is_empty())
}

/// Forgets every address `client` learned (so that only discovery can find its peers again).
pub fn forget_addresses(client: &Client) -> Result<()> {
    client.engine().store.write(|c| {
        c.execute("DELETE FROM peers", [])?;
        Ok(())
    })
}

/// Whether any space of `client` lists `device` as a removed member.
pub fn lists_as_removed(client: &Client, device: &DeviceId) -> bool {
    read(client, |c| {
        for space in store::spaces(c)? {
            if store::member(c, &space.id, device)?.is_some_and(|m| !m.is_current()) {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .unwrap_or(false)
}

/// The first buddy space of `client`, with the ids of the keys it holds for it, oldest first.
pub fn buddy_key_ids(client: &Client) -> Result<(BuddyId, Vec<[u8; 8]>)> {
    read(client, |c| {
        let space = store::spaces(c)?
            .into_iter()
            .find(|s| s.kind == SpaceKind::Buddy)
            .ok_or(Error::Closed)?;
        Ok((
            space.id.into(),
            space.keys.iter().map(|k| k.key_id()).collect(),
        ))
    })
}

/// The id of the key that sealed the newest entry of `author`'s log in `buddy`'s space, as `client` holds it.
pub fn newest_entry_key_id(client: &Client, buddy: &BuddyId, author: &DeviceId) -> Result<[u8; 8]> {
    read(client, |c| {
        let space = buddy.space();
        let (seq, _) = store::head(c, &space, author)?;
        let raw = store::entries_after(c, &space, author, seq.saturating_sub(1), 1)?;
        let raw = raw.first().ok_or(Error::Closed)?;
        let entry = Entry::decode(raw).map_err(|e| Error::Storage(e.to_string()))?;
        Ok(entry.key_id)
    })
}

/// How many current member devices the buddy spaces of `client` list, together.
pub fn buddy_space_members(client: &Client) -> u64 {
    read(client, |c| {
        let mut n = 0;
        for space in store::spaces(c)?
            .iter()
            .filter(|s| s.kind == SpaceKind::Buddy)
        {
            n += store::members(c, &space.id)?
                .iter()
                .filter(|(m, _)| m.is_current())
                .count() as u64;
        }
        Ok(n)
    })
    .unwrap_or(0)
}

/// A message held somewhere: its space and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub space: SpaceId,
    pub id: MessageId,
}

/// The newest message `client` holds, in any space.
pub fn newest_message(client: &Client) -> Option<Held> {
    read(client, |c| {
        Ok(c.query_row(
            "SELECT space, author, seq FROM messages ORDER BY time DESC, seq DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()?)
    })
    .ok()
    .flatten()
    .and_then(|(space, author, seq)| {
        Some(Held {
            space: SpaceId(space.try_into().ok()?),
            id: MessageId {
                author: DeviceId(author.try_into().ok()?),
                seq: seq as u64,
            },
        })
    })
}

/// Whether `client` holds this message: one primary-key lookup, cheap enough to poll during a catch-up.
pub fn holds_message(client: &Client, held: &Held) -> bool {
    read(client, |c| {
        Ok(store::message_get(c, &held.space, &held.id.author, held.id.seq)?.is_some())
    })
    .unwrap_or(false)
}

/// The messages `client` holds, in every space.
pub fn message_count(client: &Client) -> u64 {
    read(client, |c| {
        Ok(c.query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0))? as u64)
    })
    .unwrap_or(0)
}

/// The average size of the entries `client` holds, in bytes.
pub fn average_entry_bytes(client: &Client) -> usize {
    read(client, |c| {
        Ok(
            c.query_row("SELECT avg(length(raw)) FROM entries", [], |r| {
                r.get::<_, Option<f64>>(0)
            })?,
        )
    })
    .ok()
    .flatten()
    .unwrap_or(200.0) as usize
}

/// The id of the message at `index` in the conversation with `buddy`, counted from the oldest.
pub fn message_at(client: &Client, buddy: &BuddyId, index: u64) -> Option<MessageId> {
    read(client, |c| {
        Ok(c.query_row(
            "SELECT author, seq FROM messages WHERE space = ? ORDER BY time, author, seq LIMIT 1 OFFSET ?",
            params![buddy.space().0, index as i64],
            |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?)
    })
    .ok()
    .flatten()
    .and_then(|(author, seq)| {
        Some(MessageId {
            author: DeviceId(author.try_into().ok()?),
            seq: seq as u64,
        })
    })
}

/// Writes `n` rows straight into the messages table of `client`'s conversation with `buddy` (no log
/// entries; the authors are the space's real members, in turn), in one transaction, `text(i)` each.
pub fn seed_message_rows(
    client: &Client,
    buddy: &BuddyId,
    n: usize,
    text: impl Fn(usize) -> String,
) -> Result<()> {
    let space = buddy.space();
    client.engine().store.write(|c| {
        let authors: Vec<DeviceId> = store::members(c, &space)?
            .into_iter()
            .map(|(m, _)| m.device)
            .collect();
        if authors.is_empty() {
            return Err(Error::UnknownBuddy(buddy.to_string()));
        }
        let base = 1_600_000_000_000u64;
        for i in 0..n {
            let key = MessageKey {
                time: base + i as u64 * 10,
                author: authors[i % authors.len()],
                seq: 1000 + i as u64,
            };
            store::message_insert(c, &space, &key, &text(i), None, Delivery::Delivered)?;
        }
        Ok(())
    })
}

/// Writes `n` real, signed message entries of `author`'s device into `client`'s store, in its
/// conversation with `buddy`, in one transaction, as if `author` had sent them while both were online.
/// `author` must be stopped and stay silent afterwards (its log moved on elsewhere).
pub fn seed_entries_from(
    client: &Client,
    buddy: &BuddyId,
    author: &Client,
    n: usize,
    text: impl Fn(usize) -> String,
) -> Result<()> {
    let (signer, person) = identity(author)?;
    let now = Now::read();
    client.engine().store.write(|c| {
        let space = store::space_get(c, &buddy.space())?.ok_or(Error::Closed)?;
        let mut replica = Replica::new(c, &signer, person, now);
        for i in 0..n {
            let body = Body::Message {
                text: text(i),
                reply_to: None,
            };
            replica.append(&space, &body)?;
            if i % 4096 == 0 {
                replica.events.clear();
                replica.effects = Default::default();
            }
        }
        Ok(())
    })
}
