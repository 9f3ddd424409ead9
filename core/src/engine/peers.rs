//! What the network asks of the engine, and all it asks: a read-only view of the logs for each connection,
//! the membership answers (which spaces to open with a peer, whom to dial), addresses, storing a peer's
//! batch, what a peer acknowledged, and who is connected.

use super::{Command, Engine, Subscription};
use crate::chat::{Event, Reach};
use crate::error::Result;
use crate::ids::{DeviceId, Now, SpaceId};
use crate::lock;
use crate::log::EntryKeys;
use crate::replica::{entry_keys_of, introduces, StoredLogs};
use crate::space::membership::{self, Roster};
use crate::space::{Member, SpaceKey, SpaceKind, SpaceState};
use crate::store::{self, Delivery, Meta, SpaceRow};
use crate::sync::{Applied, PeerHas, StoreBatch, MAX_INTRODUCTIONS};
use rusqlite::Connection;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;

/// Who is connected now, and how the others are reached as the network last found.
#[derive(Default)]
pub(super) struct Presence {
    online: HashSet<DeviceId>,
    reach: HashMap<DeviceId, Reach>,
    /// The network stopped and has not listened since: what its last tasks report as they end (a
    /// connection's end, a failed dial) is no news.
    stopped: bool,
}

impl Presence {
    /// How each device is reached: a connected one directly.
    fn reach(&self) -> HashMap<DeviceId, Reach> {
        let mut reach = self.reach.clone();
        for device in &self.online {
            reach.insert(*device, Reach::Direct);
        }
        reach
    }

    fn of(&self, device: &DeviceId) -> Reach {
        match self.online.contains(device) {
            true => Reach::Direct,
            false => Reach::of(device, &self.reach),
        }
    }
}

/// A connection's own read-only view of the store.
pub struct LogReader {
    conn: Connection,
}

impl LogReader {
    /// The logs, as the sync session reads them.
    pub fn logs(&self) -> StoredLogs<'_> {
        StoredLogs(&self.conn)
    }

    /// This device's entry keys of `space`, to open entries ahead of storing them.
    pub fn entry_keys(&self, space: &SpaceId) -> Result<Option<EntryKeys>> {
        Ok(store::space_get(&self.conn, space)?.map(|row| entry_keys_of(&row)))
    }
}

/// Each space with its members, as the membership questions take them.
fn rosters(c: &Connection) -> Result<Vec<(SpaceRow, Vec<Member>)>> {
    store::spaces(c)?
        .into_iter()
        .map(|space| {
            let members = store::members(c, &space.id)?
                .into_iter()
                .map(|(m, _)| m)
                .collect();
            Ok((space, members))
        })
        .collect()
}

fn roster<'a>(space: &SpaceRow, members: &'a [Member]) -> Roster<'a> {
    Roster {
        root: space.root,
        closed: space.state == SpaceState::Closed,
        members,
    }
}

impl Engine {
    pub fn log_reader(&self) -> Result<LogReader> {
        Ok(LogReader {
            conn: self.store.reader()?,
        })
    }

    /// The commands for the network, from now on.
    pub fn subscribe_commands(&self) -> Subscription<Command> {
        self.commands.subscribe()
    }

    /// The spaces I offer on a connection with `peer`, each with every key of it that still counts, newest
    /// first (a member that missed a rotation proves an older one, syncs and receives the rotation).
    /// `introductions` are those the peer showed (see `replica::introduces`); `vouched` is the space of
    /// the invite this device redeemed from the peer on this connection, if it did.
    pub fn offerable(
        &self,
        peer: &DeviceId,
        introductions: &[Vec<u8>],
        vouched: Option<SpaceId>,
    ) -> Result<Vec<crate::sync::Offerable>> {
        let c = self.store.read()?;
        let mut out = Vec::new();
        let spaces = rosters(&c)?;
        // A current device of my own person is vouched for in every space I hold: my spaces reach me through
        // my home, from my devices, and a device linked before a buddy was added may not have seen the entry
        // that made its sibling a member of that buddy's space yet (nor the sibling its own introduction).
        let home = self.home();
        let my_device = spaces.iter().any(|(space, members)| {
            space.id == home && members.iter().any(|m| m.device == *peer && m.is_current())
        });
        for (space, members) in spaces {
            let mut shown = my_device || vouched == Some(space.id);
            for raw in introductions.iter().take(MAX_INTRODUCTIONS) {
                if shown {
                    break;
                }
                shown = introduces(&c, &space, peer, raw)?;
            }
            if membership::open_with(&self.me, peer, &roster(&space, &members), shown) {
                out.push((space.id, space.counted_keys()));
            }
        }
        Ok(out)
    }

    /// The entries that made me a member of `spaces`, for a peer that may not know me yet.
    pub fn introductions(&self, spaces: &[crate::sync::Offerable]) -> Result<Vec<Vec<u8>>> {
        let c = self.store.read()?;
        let mut out = Vec::new();
        for (space, _) in spaces {
            out.extend(store::meta_get(&c, Meta::Introduction(*space))?);
        }
        Ok(out)
    }

    /// The devices to keep a connection with.
    pub fn dial_targets(&self) -> Result<Vec<DeviceId>> {
        let c = self.store.read()?;
        let spaces = rosters(&c)?;
        let targets = membership::dial_targets(
            &self.me,
            spaces.iter().map(|(space, members)| roster(space, members)),
        );
        Ok(targets.into_iter().collect())
    }

    /// Whether `coordinator` may pass "dial me now" between `asker` and `target`, by the spaces I hold
    /// (`membership::may_coordinate`).
    pub fn may_coordinate(
        &self,
        coordinator: &DeviceId,
        asker: &DeviceId,
        target: &DeviceId,
    ) -> Result<bool> {
        let c = self.store.read()?;
        let spaces = rosters(&c)?;
        Ok(membership::may_coordinate(
            coordinator,
            asker,
            target,
            spaces.iter().map(|(space, members)| roster(space, members)),
        ))
    }

    /// The addresses a device is known at (from invites, `Addresses` entries and past connections), most
    /// recently seen first.
    pub fn addresses_of(&self, device: &DeviceId) -> Result<Vec<SocketAddr>> {
        store::peer_addrs(&*self.store.read()?, device)
    }

    /// `device` was reached at `addr`.
    pub fn learned_address(&self, device: &DeviceId, addr: &SocketAddr, now: Now) -> Result<()> {
        self.store
            .write(|c| store::peer_addr_add(c, device, addr, now))?;
        self.commands.send(&[Command::Dial]);
        Ok(())
    }

    /// The keys LAN beacons are tagged with and recognized by: the current key of every space not closed
    /// (a removed device holds none of them once its removal rotated the keys).
    pub fn beacon_keys(&self) -> Result<Vec<SpaceKey>> {
        Ok(store::spaces(&*self.store.read()?)?
            .into_iter()
            .filter(|s| s.state != SpaceState::Closed)
            .map(|s| s.current_key().clone())
            .collect())
    }

    /// The UDP port the network listened on last.
    pub fn saved_port(&self) -> Result<Option<u16>> {
        Ok(store::meta_get(&*self.store.read()?, Meta::Port)?
            .and_then(|p| <[u8; 2]>::try_from(p).ok())
            .map(u16::from_be_bytes))
    }

    /// The network listens at `addrs` (on `port`): remember them, and publish them to my spaces.
    pub fn listening_at(&self, port: u16, addrs: Vec<SocketAddr>, now: Now) -> Result<()> {
        self.store.write(|c| {
            store::meta_set(c, Meta::Port, &port.to_be_bytes())?;
            for addr in &addrs {
                store::peer_addr_add(c, &self.me, addr, now)?;
            }
            Ok(())
        })?;
        *lock(&self.listening) = addrs;
        lock(&self.presence).stopped = false;
        Ok(())
    }

    /// Where I can be reached now, best first (the address my router maps for me and my public one before
    /// the local ones): what invites carry and a space I join is told.
    pub fn reachable_at(&self, addrs: Vec<SocketAddr>) {
        *lock(&self.listening) = addrs;
    }

    /// The spaces I publish a DHT record in, each with its current key: those not closed that hold a
    /// current member device other than me (nobody else would look).
    pub fn rendezvous_spaces(&self) -> Result<Vec<(SpaceId, SpaceKey)>> {
        let c = self.store.read()?;
        Ok(rosters(&c)?
            .into_iter()
            .filter(|(space, members)| {
                space.state != SpaceState::Closed
                    && members
                        .iter()
                        .any(|m| m.device == self.me && m.removed_after.is_none())
                    && members
                        .iter()
                        .any(|m| m.device != self.me && m.removed_after.is_none())
            })
            .map(|(space, _)| (space.id, space.current_key().clone()))
            .collect())
    }

    /// The current keys of the spaces not closed in which `device` and I are both current members: where
    /// its DHT records are.
    pub fn rendezvous_keys_of(&self, device: &DeviceId) -> Result<Vec<SpaceKey>> {
        let c = self.store.read()?;
        let current = |members: &[Member], d: &DeviceId| {
            members
                .iter()
                .any(|m| m.device == *d && m.removed_after.is_none())
        };
        Ok(rosters(&c)?
            .into_iter()
            .filter(|(space, members)| {
                space.state != SpaceState::Closed
                    && current(members, &self.me)
                    && current(members, device)
            })
            .map(|(space, _)| space.current_key().clone())
            .collect())
    }

    /// How each device is reached now (devices absent: [`Reach::Unknown`]).
    pub fn reach(&self) -> HashMap<DeviceId, Reach> {
        lock(&self.presence).reach()
    }

    /// Changes who is connected or how devices are reached, then tells what that changed: devices that came
    /// online or went offline, and each device whose [`Reach`] is not what it was. Told holding the
    /// presence, so that changes are told in the order they were made.
    fn change_presence(&self, change: impl FnOnce(&mut Presence)) {
        let mut presence = lock(&self.presence);
        if presence.stopped {
            return;
        }
        let (online, reach) = (presence.online.clone(), presence.reach());
        change(&mut presence);
        let now = presence.reach();
        let mut events: Vec<Event> = Vec::new();
        for device in presence.online.difference(&online) {
            events.push(Event::PeerOnline { device_id: *device });
        }
        for device in online.difference(&presence.online) {
            events.push(Event::PeerOffline { device_id: *device });
        }
        let devices: BTreeSet<&DeviceId> = reach.keys().chain(now.keys()).collect();
        for device in devices {
            let new = Reach::of(device, &now);
            if Reach::of(device, &reach) != new {
                events.push(Event::ReachChanged {
                    device_id: *device,
                    reach: new,
                });
            }
        }
        self.events.send(&events);
    }

    /// Dialing `device` failed, or nothing says where it is: unreachable, unless its logs reach us
    /// through a device connected to both.
    pub fn unreachable(&self, device: &DeviceId) {
        self.change_presence(|p| {
            let entry = p.reach.entry(*device).or_insert(Reach::Unknown);
            if matches!(entry, Reach::Unknown | Reach::Direct) {
                *entry = Reach::Unreachable;
            }
        });
    }

    /// Entries of `author`'s logs (signed by it) just arrived from `via`: while `author` is not connected
    /// itself, it reaches us through `via`.
    pub fn relayed(&self, author: &DeviceId, via: &DeviceId) {
        if author == via || *author == self.me {
            return;
        }
        let known = |p: &Presence| p.online.contains(author) || p.of(author) == Reach::Via(*via);
        // Most batches come through the same device as the last: nothing to change or tell.
        if known(&lock(&self.presence)) {
            return;
        }
        self.change_presence(|p| {
            if !p.online.contains(author) {
                p.reach.insert(*author, Reach::Via(*via));
            }
        });
    }

    /// The network stopped: nothing is connected or listening, and nothing is known of how to reach anyone.
    pub fn went_offline(&self) {
        lock(&self.listening).clear();
        self.change_presence(|p| {
            *p = Presence {
                stopped: true,
                ..Presence::default()
            }
        });
    }

    /// A connection with `peer`, from `addr`, is open.
    pub fn peer_connected(&self, peer: &DeviceId, addr: &SocketAddr, now: Now) -> Result<()> {
        self.store.write(|c| {
            store::peer_addr_add(c, peer, addr, now)?;
            store::peer_seen(c, peer, now)
        })?;
        self.change_presence(|p| {
            p.reach.insert(*peer, Reach::Direct);
            p.online.insert(*peer);
        });
        Ok(())
    }

    /// A connection with `peer` ended; `last` if no other connection with it remains.
    pub fn peer_disconnected(&self, peer: &DeviceId, last: bool, now: Now) -> Result<()> {
        self.store.write(|c| store::peer_seen(c, peer, now))?;
        if last {
            // It, and whatever came through it, is unreachable until a dial or a relay says otherwise.
            self.change_presence(|p| {
                p.online.remove(peer);
                p.reach.insert(*peer, Reach::Unreachable);
                for r in p.reach.values_mut() {
                    if *r == Reach::Via(*peer) {
                        *r = Reach::Unreachable;
                    }
                }
            });
        }
        Ok(())
    }

    /// [`Engine::store_batch`] if the writer is free at once, without waiting for it; otherwise the batch
    /// comes back. A connection task stores a small batch so, on its own thread: handing a batch to another
    /// thread costs two thread switches, more than storing one message.
    pub fn try_store_batch(
        &self,
        batch: StoreBatch,
        now: Now,
    ) -> std::result::Result<Result<Applied>, StoreBatch> {
        let person = self.person();
        let mut waiting = Some(batch);
        let tried = self.store.try_write_then(
            |c| {
                let batch = waiting.take().ok_or(crate::Error::Closed)?;
                let mut replica = crate::replica::Replica::new(c, &self.signer, person, now);
                let applied = replica.receive(&batch.space, batch.entries)?;
                Ok((applied, replica.events, replica.effects))
            },
            |(_, events, effects)| self.tell(events, effects),
        );
        match tried {
            Ok(result) => Ok(result.map(|(applied, _, effects)| {
                if effects.reconcile {
                    self.reconcile_logged(now);
                }
                applied
            })),
            // The writer was busy: the closure never ran, so the batch is still waiting.
            Err(_) => match waiting {
                Some(batch) => Err(batch),
                None => Ok(Err(crate::Error::Closed)),
            },
        }
    }

    /// Stores a batch of a peer's entries (one transaction).
    pub fn store_batch(&self, batch: StoreBatch, now: Now) -> Result<Applied> {
        self.write(now, |r| r.receive(&batch.space, batch.entries))
    }

    /// Entries a peer received from this connection so far, in one space.
    pub fn sync_progress(&self, space: SpaceId, received: u64) {
        self.events.send(&[Event::SyncProgress {
            space_id: space,
            received,
        }]);
    }

    /// Whether [`Engine::peer_has`] could change anything: the peer holds some of my log beyond what is
    /// known delivered. Reads nothing.
    pub fn peer_has_news(&self, has: &[PeerHas]) -> bool {
        let delivered = lock(&self.delivered);
        has.iter().any(|h| {
            h.author == self.me && delivered.get(&h.space).is_none_or(|up_to| h.seq > *up_to)
        })
    }

    /// `peer` holds these logs up to these seqs: my messages it holds are sent (or delivered, if it is a
    /// device of the buddy), and a space I am closing closes once a buddy device holds my `Left`.
    pub fn peer_has(&self, peer: &DeviceId, has: &[PeerHas]) -> Result<()> {
        let mine: Vec<&PeerHas> = has.iter().filter(|h| h.author == self.me).collect();
        if mine.is_empty() {
            return Ok(());
        }
        let mut delivered_up_to: Vec<(SpaceId, u64)> = Vec::new();
        let person = self.person();
        self.store.write_then(
            |c| {
                let mut events = Vec::new();
                for has in mine {
                    let Some(space) = store::space_get(c, &has.space)? else {
                        continue;
                    };
                    if space.kind != SpaceKind::Buddy {
                        continue;
                    }
                    let peer_person = store::member(c, &space.id, peer)?.map(|m| m.person);
                    let buddy_device = peer_person.is_some_and(|p| p != person);
                    let state = if buddy_device {
                        Delivery::Delivered
                    } else {
                        Delivery::Sent
                    };
                    for key in
                        store::messages_raise_state(c, &space.id, &has.author, has.seq, state)?
                    {
                        events.push(Event::MessageStateChanged {
                            buddy_id: space.id.into(),
                            message_id: key.id(),
                            state: state.into(),
                        });
                    }
                    if space.state == SpaceState::Closing
                        && buddy_device
                        && space.left_seq.is_some_and(|l| has.seq >= l)
                    {
                        store::space_set_state(c, &space.id, SpaceState::Closed, None)?;
                    }
                    if buddy_device {
                        delivered_up_to.push((space.id, has.seq));
                    }
                }
                Ok(events)
            },
            |events| self.events.send(events),
        )?;
        let mut delivered = lock(&self.delivered);
        for (space, seq) in delivered_up_to {
            let up_to = delivered.entry(space).or_insert(0);
            *up_to = (*up_to).max(seq);
        }
        Ok(())
    }
}
