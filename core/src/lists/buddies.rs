//! The buddy list: every active buddy with name, whether online and how reached, unread count and last
//! message, the most recently active first.

use super::{Diffs, Edit, ListHandle, Shell, Source};
use crate::chat::{self, Buddy, Event};
use crate::engine::Engine;
use crate::error::Result;
use crate::ids::{BuddyId, MessageKey, PersonId, SpaceId};
use crate::store;
use rusqlite::Connection;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::watch;

/// The order of the buddy list: the latest message first, then buddies without one by name (then id, so
/// the order is total).
pub fn buddy_order(a: &Buddy, b: &Buddy) -> Ordering {
    let time = |x: &Buddy| x.last_message.as_ref().map(|m| m.sent_at);
    time(b)
        .cmp(&time(a))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.id.cmp(&b.id))
}

/// An observable buddy list; clones share one task, which ends with the last of them.
#[derive(Clone)]
pub struct BuddyList {
    list: ListHandle<Buddy>,
}

impl BuddyList {
    pub(crate) fn start(
        engine: Arc<Engine>,
        shell: watch::Receiver<Shell>,
        runtime: &tokio::runtime::Handle,
    ) -> BuddyList {
        let source = Buddies {
            touched: Touched::All,
            counted: HashMap::new(),
        };
        BuddyList {
            list: ListHandle::start(engine, source, shell, runtime),
        }
    }

    /// The buddies now, in order.
    pub async fn items(&self) -> Result<Vec<Buddy>> {
        self.list.items().await
    }

    /// The buddies now and every batch of changes from then on.
    pub async fn subscribe(&self) -> Result<(Vec<Buddy>, Diffs<Buddy>)> {
        self.list.subscribe().await
    }
}

/// What the events since the last load may have changed.
enum Touched {
    Nothing,
    Some(BTreeSet<BuddyId>),
    All,
}

struct Buddies {
    touched: Touched,
    /// Per buddy, its unread messages as last counted, so that a new message costs counting only what came
    /// after those (a count over a long unread conversation is not redone for each message).
    counted: HashMap<BuddyId, Counted>,
}

/// `count` of the buddy's messages are after my read marker `marker` and at most `upto` (its newest then).
#[derive(Clone, Copy)]
struct Counted {
    marker: Option<MessageKey>,
    upto: MessageKey,
    count: u64,
}

/// A buddy's unread count: what was counted before plus the others' messages after it, or counted afresh
/// when my read marker moved or a message older than what was counted arrived since (see `note`).
fn count_unread(
    counted: &mut HashMap<BuddyId, Counted>,
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
    newest: Option<MessageKey>,
) -> Result<u64> {
    let buddy = BuddyId::from(*space);
    let Some(newest) = newest else {
        counted.remove(&buddy);
        return Ok(0);
    };
    let marker = store::read_marker(c, space, me)?;
    let count = match counted.get(&buddy) {
        Some(was) if was.marker == marker && was.upto <= newest => {
            was.count
                + store::unread_between(
                    c,
                    space,
                    me,
                    Some(marker.map_or(was.upto, |m| m.max(was.upto))),
                    Some(newest),
                )?
        }
        _ => store::unread_between(c, space, me, marker, Some(newest))?,
    };
    counted.insert(
        buddy,
        Counted {
            marker,
            upto: newest,
            count,
        },
    );
    Ok(count)
}

impl Source for Buddies {
    type Item = Buddy;
    type Key = BuddyId;

    fn key(item: &Buddy) -> BuddyId {
        item.id
    }

    fn note(&mut self, event: &Event) -> bool {
        match event {
            // Older than what was counted: count that buddy afresh.
            Event::MessageAdded { buddy_id, message }
                if self
                    .counted
                    .get(buddy_id)
                    .is_some_and(|was| chat::message_key(message) <= was.upto) =>
            {
                self.counted.remove(buddy_id);
            }
            // Whose messages count as the others' may have changed.
            Event::BuddyAdded { .. }
            | Event::BuddyRemoved { .. }
            | Event::DeviceLinked { .. }
            | Event::DeviceRevoked { .. } => self.counted.clear(),
            _ => {}
        }
        let buddy = match event {
            Event::MessageAdded { buddy_id, .. }
            | Event::MessageStateChanged { buddy_id, .. }
            | Event::ReadUpTo { buddy_id, .. }
            | Event::BuddyAdded { buddy_id, .. } => *buddy_id,
            Event::InviteRedeemed { .. } => return false,
            // Who is online and how they are reached, names, membership, what a sync brought (a joining
            // device learns its home's members from it), a removed buddy (another buddy that shared an
            // invite code with it loses its mark): read all again (a burst is read once).
            _ => {
                self.touched = Touched::All;
                return true;
            }
        };
        match &mut self.touched {
            Touched::All => {}
            Touched::Some(set) => {
                set.insert(buddy);
            }
            Touched::Nothing => self.touched = Touched::Some(BTreeSet::from([buddy])),
        }
        true
    }

    fn load(&mut self, engine: &Engine, list: &mut Edit<'_, Buddy>) -> Result<()> {
        let c = engine.store.read()?;
        let (me, reach) = (engine.person(), engine.reach());
        let counted = &mut self.counted;
        let mut unread = |c: &Connection, space: &SpaceId, newest: Option<MessageKey>| {
            count_unread(counted, c, space, &me, newest)
        };
        let mut items = match std::mem::replace(&mut self.touched, Touched::Nothing) {
            Touched::Nothing => return Ok(()),
            Touched::All => chat::buddies_counted(&c, &me, &reach, &mut unread)?,
            Touched::Some(touched) => {
                let mut items: Vec<Buddy> = list
                    .items()
                    .iter()
                    .filter(|b| !touched.contains(&b.id))
                    .cloned()
                    .collect();
                for id in &touched {
                    items.extend(chat::buddy_counted(&c, id, &me, &reach, &mut unread)?);
                }
                items
            }
        };
        items.sort_by(buddy_order);
        list.replace(items, Self::key);
        Ok(())
    }
}
