//! A conversation's timeline: a window of its messages, oldest first and newest at the end, with delivery
//! states and read markers folded in (my own messages show at once, pending). The window starts with the
//! newest messages, grows with every new one and with `paginate_backwards`, and never holds more than
//! [`MAX_WINDOW`]: past that the oldest leave it (a 100k-message conversation is never loaded whole). While
//! the window is on screen (the shell says so), what it shows of the buddy's messages is marked read.

use super::{Diffs, ListHandle, Shell, Source};
use crate::chat::{self, Event, Message};
use crate::engine::Engine;
use crate::error::Result;
use crate::ids::{BuddyId, MessageId, MessageKey, Now};
use std::sync::Arc;
use tokio::sync::watch;

/// The most messages a window holds.
pub const MAX_WINDOW: usize = 2000;

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
            len: 0,
            touched: true,
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
    /// Messages in the window as last loaded.
    len: usize,
    touched: bool,
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
        let touched = match event {
            Event::MessageAdded { buddy_id, .. }
            | Event::MessageStateChanged { buddy_id, .. }
            | Event::ReadUpTo { buddy_id, .. }
            | Event::BuddyRemoved { buddy_id }
            | Event::BuddyAdded { buddy_id, .. } => *buddy_id == self.buddy,
            // Names and members (the author's name) are rare: read again.
            Event::DeviceLinked { .. } | Event::DeviceRevoked { .. } => true,
            _ => false,
        };
        self.touched |= touched;
        touched
    }

    fn load(&mut self, engine: &Engine) -> Result<Vec<Message>> {
        self.touched = false;
        let c = engine.store.read()?;
        let me = engine.person();
        let items = match self.from {
            Some(from) => chat::conversation_from(&c, &self.space, &me, from, MAX_WINDOW)?,
            None => chat::conversation(&c, &self.space, &me, None, self.initial)?,
        };
        self.from = items.first().map(chat::message_key);
        self.len = items.len();
        Ok(items)
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

    fn paginate(&mut self, engine: &Engine, n: usize) -> Result<bool> {
        let Some(from) = self.from else {
            return Ok(false);
        };
        let c = engine.store.read()?;
        let room = MAX_WINDOW.saturating_sub(self.len);
        let older = crate::store::messages_page(&c, &self.space, Some(from), n.min(room))?;
        if let Some(oldest) = older.first() {
            self.from = Some(oldest.key);
        }
        drop(c);
        self.has_older(engine)
    }
}
