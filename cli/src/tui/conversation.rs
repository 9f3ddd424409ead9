//! The window of one conversation the UI shows: messages in the core's order (sender's time, author, seq),
//! kept up to date from events in place (a new message is inserted where it belongs, states and read markers
//! change the messages they name), pages of older messages merged in on scroll, and the scroll position.
//! Changes that arrive while the newest page is still on its way are kept and replayed onto it, since the page
//! may have been read from the store before them.

use clearchat_core::{BuddyId, DeviceId, Message, MessageId, MessageState};

/// How many messages one page from the core holds.
pub const PAGE: u32 = 50;

/// The core's order of a message: sender's time, then its id's author device and seq.
fn order(m: &Message) -> (u64, DeviceId, u64) {
    (m.sent_at, m.id.author, m.id.seq)
}

/// Whether `a` comes after `b` in a conversation.
pub fn is_after(a: &Message, b: &Message) -> bool {
    order(a) > order(b)
}

/// A change to messages that were not in the window yet.
#[derive(Debug, PartialEq)]
enum Early {
    State(MessageId, MessageState),
    Read { by_me: bool, up_to: MessageId },
}

#[derive(Debug, Default, PartialEq)]
pub struct Conversation {
    /// The buddy whose conversation this is.
    pub buddy: Option<BuddyId>,
    /// Oldest first.
    messages: Vec<Message>,
    /// The newest page has arrived.
    pub loaded: bool,
    /// Nothing older is left in the store.
    pub complete: bool,
    /// A page of older messages is on its way.
    pub loading_older: bool,
    /// How many messages at the bottom are scrolled out of view.
    pub scroll: usize,
    /// Changes that came before the newest page.
    early: Vec<Early>,
}

impl Conversation {
    /// An empty window for `buddy`, waiting for its newest page.
    pub fn of(buddy: Option<BuddyId>) -> Conversation {
        Conversation {
            buddy,
            ..Conversation::default()
        }
    }

    #[cfg(test)]
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The messages in view when `scroll` messages at the bottom are hidden.
    pub fn visible(&self) -> &[Message] {
        &self.messages[..self.messages.len() - self.scroll.min(self.messages.len())]
    }

    pub fn oldest_id(&self) -> Option<MessageId> {
        self.messages.first().map(|m| m.id)
    }

    /// Adds a message in its place, or merges it into the copy already here (states only rise).
    /// Returns whether it was new.
    pub fn insert(&mut self, message: Message) -> bool {
        if let Some(have) = self.messages.iter_mut().find(|m| m.id == message.id) {
            have.state = have.state.max(message.state);
            return false;
        }
        let at = self
            .messages
            .partition_point(|m| order(m) < order(&message));
        let at_end = at == self.messages.len();
        self.messages.insert(at, message);
        if at_end && self.scroll > 0 {
            // Keep what the person scrolled to in view.
            self.scroll += 1;
        }
        true
    }

    /// A page from the core: the newest (`older` false) or the one before the oldest here.
    pub fn merge_page(&mut self, page: Vec<Message>, older: bool) {
        let full = page.len() >= PAGE as usize;
        for m in page {
            self.insert(m);
        }
        if older {
            self.loading_older = false;
            self.complete = !full;
        } else {
            self.loaded = true;
            self.complete = self.complete || !full;
            for change in std::mem::take(&mut self.early) {
                match change {
                    Early::State(id, state) => self.set_state(id, state),
                    Early::Read { by_me, up_to } => self.read_up_to(by_me, up_to),
                };
            }
        }
    }

    /// A delivery state reached message `id`; returns whether that message is here.
    pub fn set_state(&mut self, id: MessageId, state: MessageState) -> bool {
        match self.messages.iter_mut().find(|m| m.id == id) {
            Some(m) => {
                m.state = m.state.max(state);
                true
            }
            None => {
                if !self.loaded {
                    self.early.push(Early::State(id, state));
                }
                false
            }
        }
    }

    /// A read marker moved to `up_to`: by me (the buddy's messages up to it are read) or by the buddy (mine
    /// are). Returns whether `up_to` is in the window. If it is not, nothing here changes: either it is older
    /// than the window, or its message has not arrived and will come with its state.
    pub fn read_up_to(&mut self, by_me: bool, up_to: MessageId) -> bool {
        let Some(end) = self.messages.iter().position(|m| m.id == up_to) else {
            if !self.loaded {
                self.early.push(Early::Read { by_me, up_to });
            }
            return false;
        };
        for m in &mut self.messages[..=end] {
            if m.from_me != by_me {
                m.state = MessageState::Read;
            }
        }
        true
    }

    /// How many of the buddy's messages come after `up_to`, if `up_to` is in the window.
    pub fn unread_after(&self, up_to: MessageId) -> Option<u64> {
        let at = self.messages.iter().position(|m| m.id == up_to)?;
        Some(
            self.messages[at + 1..]
                .iter()
                .filter(|m| !m.from_me)
                .count() as u64,
        )
    }

    /// Scrolls `by` messages towards older ones; returns whether an older page should be fetched.
    pub fn scroll_up(&mut self, by: usize) -> bool {
        self.scroll = (self.scroll + by).min(self.messages.len().saturating_sub(1));
        let near_top = self.scroll + by >= self.messages.len();
        if near_top && self.loaded && !self.complete && !self.loading_older {
            self.loading_older = true;
            return true;
        }
        false
    }

    pub fn scroll_down(&mut self, by: usize) {
        self.scroll = self.scroll.saturating_sub(by);
    }
}
