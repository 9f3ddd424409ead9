//! A conversation's timeline: a window of its messages, oldest first and newest at the end, with delivery
//! states and read markers folded in (my own messages show at once, pending). The window starts with the
//! newest messages, grows with every new one and with `paginate_backwards`, and never holds more than
//! [`MAX_WINDOW`]: past that the oldest leave it (a 100k-message conversation is never loaded whole). While
//! the window is on screen (the shell says so), what it shows of the buddy's messages is marked read.

use super::{Diffs, Edit, ListHandle, Shell, Source};
use crate::chat::{self, Event, Message};
use crate::engine::Engine;
use crate::error::Result;
use crate::ids::{BuddyId, MessageId, MessageKey, Now};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::watch;

/// The most messages a window holds.
pub const MAX_WINDOW: usize = 2000;

/// Above this many messages read back at once, the window is diffed whole rather than edited in place.
const MAX_EDITS: usize = 64;

/// Where `message` goes in a window ordered by message key: Ok if it replaces the one there.
fn place(items: &[Message], message: &Message) -> std::result::Result<usize, usize> {
    items.binary_search_by_key(&chat::message_key(message), chat::message_key)
}

/// An observable window of the conversation with one buddy; clones share one task.
#[derive(Clone)]
pub struct Timeline {
    buddy: BuddyId,
    list: ListHandle<Message>,
}

impl Timeline {
    /// Checks that `buddy` is one, then starts its window with the newest `initial` messages.
    pub(crate) fn start(
        engine: Arc<Engine>,
        buddy: BuddyId,
        initial: usize,
        shell: watch::Receiver<Shell>,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Timeline> {
        let space = chat::buddy_space(&*engine.store.read()?, &buddy)?.id;
        let source = Window {
            buddy,
            space,
            initial: initial.clamp(1, MAX_WINDOW),
            from: None,
            complete: false,
            touched: Touched::All,
        };
        Ok(Timeline {
            buddy,
            list: ListHandle::start(engine, source, shell, runtime),
        })
    }

    pub fn buddy(&self) -> BuddyId {
        self.buddy
    }

    /// The messages in the window now, oldest first.
    pub async fn items(&self) -> Result<Vec<Message>> {
        self.list.items().await
    }

    /// The window now and every batch of changes from then on.
    pub async fn subscribe(&self) -> Result<(Vec<Message>, Diffs<Message>)> {
        self.list.subscribe().await
    }

    /// Adds up to `n` older messages at the front of the window; whether still older ones exist. (When it
    /// returns, the batch with them has been given to every subscriber.)
    pub async fn paginate_backwards(&self, n: u32) -> Result<bool> {
        self.list.paginate(n as usize).await
    }
}

struct Window {
    buddy: BuddyId,
    space: crate::ids::SpaceId,
    initial: usize,
    /// The oldest message in the window, once it holds one.
    from: Option<MessageKey>,
    /// The window starts with the conversation's first message: one that arrives late with an older time (from
    /// a device whose log came later) belongs in it.
    complete: bool,
    touched: Touched,
}

/// What the events since the last load may have changed.
enum Touched {
    Nothing,
    /// These messages were added or changed their state: only they are read again.
    Messages(BTreeSet<MessageId>),
    /// Read markers, names or the window's extent changed: the whole window is read again.
    All,
}

impl Window {
    fn has_older(&self, engine: &Engine) -> Result<bool> {
        let Some(from) = self.from else {
            return Ok(false);
        };
        let c = engine.store.read()?;
        Ok(!crate::store::messages_page(&c, &self.space, Some(from), 1)?.is_empty())
    }
}

impl Source for Window {
    type Item = Message;
    type Key = MessageId;

    fn key(item: &Message) -> MessageId {
        item.id
    }

    fn note(&mut self, event: &Event) -> bool {
        let message = match event {
            Event::MessageAdded { buddy_id, message } if *buddy_id == self.buddy => message.id,
            Event::MessageStateChanged {
                buddy_id,
                message_id,
                ..
            } if *buddy_id == self.buddy => *message_id,
            Event::ReadUpTo { buddy_id, .. }
            | Event::BuddyRemoved { buddy_id }
            | Event::BuddyAdded { buddy_id, .. }
                if *buddy_id == self.buddy =>
            {
                self.touched = Touched::All;
                return true;
            }
            // Names and members (the author's name) are rare: read again.
            Event::DeviceLinked { .. } | Event::DeviceRevoked { .. } => {
                self.touched = Touched::All;
                return true;
            }
            _ => return false,
        };
        match &mut self.touched {
            Touched::All => {}
            Touched::Messages(ids) => {
                ids.insert(message);
            }
            Touched::Nothing => self.touched = Touched::Messages(BTreeSet::from([message])),
        }
        true
    }

    fn load(&mut self, engine: &Engine, list: &mut Edit<'_, Message>) -> Result<()> {
        let touched = std::mem::replace(&mut self.touched, Touched::Nothing);
        let c = engine.store.read()?;
        let me = engine.person();
        match (touched, self.from) {
            (Touched::Nothing, _) => return Ok(()),
            // A few messages on a window that holds some: read just them and put each in its place (the
            // common case, a message arriving, costs a row and a `PushBack`, not the window).
            (Touched::Messages(ids), Some(from)) => {
                let rows = ids
                    .iter()
                    .map(|id| crate::store::message_get(&c, &self.space, &id.author, id.seq))
                    .filter_map(|row| row.transpose())
                    .collect::<Result<Vec<_>>>()?;
                let messages = chat::render_rows(&c, &self.space, &me, rows)?
                    .into_iter()
                    // One older than a window that does not start at the first message: paging brings it.
                    .filter(|m| self.complete || chat::message_key(m) >= from);
                if ids.len() > MAX_EDITS {
                    // A catch-up's burst: one keyed diff of the window (a `Reset` when that is shorter).
                    let mut items = list.items().to_vec();
                    for message in messages {
                        match place(&items, &message) {
                            Ok(at) => items[at] = message,
                            Err(at) => items.insert(at, message),
                        }
                    }
                    let excess = items.len().saturating_sub(MAX_WINDOW);
                    items.drain(..excess);
                    list.replace(items, Self::key);
                } else {
                    for message in messages {
                        match place(list.items(), &message) {
                            Ok(at) => list.set(at, message),
                            Err(at) => list.insert(at, message),
                        }
                    }
                    for _ in MAX_WINDOW..list.items().len() {
                        list.remove(0);
                    }
                }
            }
            (_, Some(_)) if self.complete => {
                list.replace(
                    chat::conversation(&c, &self.space, &me, None, MAX_WINDOW)?,
                    Self::key,
                );
            }
            (_, Some(from)) => {
                list.replace(
                    chat::conversation_from(&c, &self.space, &me, from, MAX_WINDOW)?,
                    Self::key,
                );
            }
            (_, None) => {
                list.replace(
                    chat::conversation(&c, &self.space, &me, None, self.initial)?,
                    Self::key,
                );
            }
        }
        self.from = list.items().first().map(chat::message_key);
        drop(c);
        self.complete = !self.has_older(engine)?;
        Ok(())
    }

    fn shown(&mut self, engine: &Engine, items: &[Message], shell: &Shell) {
        if !shell.shows(&self.buddy) {
            return;
        }
        // The newest of the buddy's messages on screen, if it is not read yet.
        let Some(newest) = items.iter().rev().find(|m| !m.from_me) else {
            return;
        };
        if newest.state == crate::chat::MessageState::Read {
            return;
        }
        if let Err(e) = engine.mark_read(&self.buddy, Some(newest.id), Now::read()) {
            log::warn!("marking what is on screen read: {e}");
        }
    }

    fn paginate(&mut self, engine: &Engine, items: &[Message], n: usize) -> Result<bool> {
        let Some(from) = self.from else {
            return Ok(false);
        };
        let c = engine.store.read()?;
        let room = MAX_WINDOW.saturating_sub(items.len());
        let older = crate::store::messages_page(&c, &self.space, Some(from), n.min(room))?;
        if let Some(oldest) = older.first() {
            self.from = Some(oldest.key);
        }
        // The window's extent changed: read it whole.
        self.touched = Touched::All;
        drop(c);
        self.has_older(engine)
    }
}
