//! The buddy list: every active buddy with name, whether online and how reached, unread count and last
//! message, the most recently active first.

use super::{Diffs, ListHandle, Shell, Source};
use crate::chat::{self, Buddy, Event};
use crate::engine::Engine;
use crate::error::Result;
use crate::ids::BuddyId;
use std::cmp::Ordering;
use std::collections::BTreeSet;
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
            items: Vec::new(),
            touched: Touched::All,
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
    /// As last loaded.
    items: Vec<Buddy>,
    touched: Touched,
}

impl Source for Buddies {
    type Item = Buddy;
    type Key = BuddyId;

    fn key(item: &Buddy) -> BuddyId {
        item.id
    }

    fn note(&mut self, event: &Event) -> bool {
        let buddy = match event {
            Event::MessageAdded { buddy_id, .. }
            | Event::MessageStateChanged { buddy_id, .. }
            | Event::ReadUpTo { buddy_id, .. }
            | Event::BuddyAdded { buddy_id, .. } => *buddy_id,
            // A buddy that shared an invite code with the one removed loses its mark.
            Event::BuddyRemoved { buddy_id }
                if !self
                    .items
                    .iter()
                    .any(|b| b.shares_code_with == Some(*buddy_id)) =>
            {
                *buddy_id
            }
            Event::InviteRedeemed { .. } => return false,
            // Who is online and how they are reached, names, membership, what a sync brought (a joining
            // device learns its home's members from it): read all again (a burst is read once).
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

    fn load(&mut self, engine: &Engine) -> Result<Vec<Buddy>> {
        let c = engine.store.read()?;
        let (me, reach) = (engine.person(), engine.reach());
        let mut items = match std::mem::replace(&mut self.touched, Touched::Nothing) {
            Touched::Nothing => return Ok(self.items.clone()),
            Touched::All => chat::buddies(&c, &me, &reach)?,
            Touched::Some(touched) => {
                let mut items: Vec<Buddy> = self
                    .items
                    .iter()
                    .filter(|b| !touched.contains(&b.id))
                    .cloned()
                    .collect();
                for id in &touched {
                    items.extend(chat::buddy(&c, id, &me, &reach)?);
                }
                items
            }
        };
        items.sort_by(buddy_order);
        self.items = items.clone();
        Ok(items)
    }
}
