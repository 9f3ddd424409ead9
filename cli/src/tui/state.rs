//! What the terminal UI shows and how it changes: [`State`] and the pure [`update`], which takes one
//! [`Input`] (a key, a paste, a core event, a finished task) and returns the [`Effect`]s to run (calls into the
//! core, which come back as inputs). No terminal, no client, no clock: unit-tested in `tests.rs`. Keys and
//! pastes are handled in `keys`, core events and finished tasks in `events`.

use super::conversation::Conversation;
use super::{events, keys};
use clearchat_core::{
    Buddy, BuddyId, Device, DeviceId, Event, Invite, Me, Message, MessageId, Redeemed,
};
use ratatui::crossterm::event::KeyEvent;

#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    /// A bracketed paste: the pasted text in one piece.
    Paste(String),
    /// An event of the core.
    Event(Event),
    /// A task finished.
    Done(Done),
}

/// What a finished task brings back; errors are sentences for the person.
#[derive(Debug)]
pub enum Done {
    Me(Result<Me, String>),
    Buddies(Result<Vec<Buddy>, String>),
    /// A page of `buddy`'s conversation: the newest, or (`older`) the one before the oldest shown.
    Page {
        buddy: BuddyId,
        older: bool,
        page: Result<Vec<Message>, String>,
    },
    Devices(Result<Vec<Device>, String>),
    Sent {
        buddy: BuddyId,
        text: String,
        result: Result<Message, String>,
    },
    Invite {
        ticket: u64,
        link: bool,
        result: Result<Invite, String>,
    },
    Redeemed {
        ticket: u64,
        code: String,
        result: Result<Redeemed, String>,
    },
    Unlinked {
        ticket: u64,
        name: String,
        result: Result<(), String>,
    },
    /// A call whose success shows through events (mark read) failed.
    Failed(String),
}

/// A call into the core the UI wants made; its result comes back as [`Input::Done`].
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    LoadMe,
    LoadBuddies,
    /// The newest page (`before` None) or the page before message `before`.
    LoadPage {
        buddy: BuddyId,
        before: Option<MessageId>,
    },
    LoadDevices,
    MarkRead {
        buddy: BuddyId,
    },
    Send {
        buddy: BuddyId,
        text: String,
    },
    CreateInvite {
        ticket: u64,
        link: bool,
    },
    Redeem {
        ticket: u64,
        code: String,
    },
    Unlink {
        ticket: u64,
        device: DeviceId,
        name: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Focus {
    Buddies,
    Input,
}

#[derive(Debug, PartialEq)]
pub enum Overlay {
    Qr {
        link: bool,
        rows: Vec<Vec<bool>>,
        code: String,
    },
    Paste {
        input: String,
        error: Option<String>,
    },
    Devices {
        list: Vec<Device>,
        selected: usize,
        confirm: bool,
    },
    Help,
}

/// A slow call the person waits for; the UI stays live meanwhile. Esc stops the waiting, not the call (the
/// core finishes or times it out): a late success is still told, a late failure is dropped.
#[derive(Debug, PartialEq)]
pub enum Work {
    Joining,
    Inviting { link: bool },
    Unlinking { name: String },
}

impl Work {
    pub fn label(&self) -> String {
        match self {
            Work::Joining => "joining…".into(),
            Work::Inviting { link: true } => "making a link code…".into(),
            Work::Inviting { link: false } => "making a buddy code…".into(),
            Work::Unlinking { name } => format!("unlinking {name}…"),
        }
    }
}

#[derive(Debug, PartialEq)]
pub struct Working {
    pub ticket: u64,
    pub work: Work,
}

/// The line at the top: the last thing worth saying.
#[derive(Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    /// Background news (online, catching up) that anything else replaces and that replaces nothing else.
    pub quiet: bool,
}

#[derive(Debug)]
pub struct State {
    pub me: Option<Me>,
    pub buddies: Vec<Buddy>,
    /// Index into `buddies`.
    pub selected: usize,
    /// The selected buddy's conversation.
    pub conversation: Conversation,
    pub input: String,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub status: Status,
    pub working: Option<Working>,
    pub quit: bool,
    next_ticket: u64,
    buddies_loading: bool,
    /// The buddy list changed while it was loading: load it again.
    buddies_stale: bool,
}

impl State {
    /// The state before anything is loaded, and what to load.
    pub fn new() -> (State, Vec<Effect>) {
        let state = State {
            me: None,
            buddies: Vec::new(),
            selected: 0,
            conversation: Conversation::default(),
            input: String::new(),
            focus: Focus::Buddies,
            overlay: None,
            status: Status {
                text: "online".into(),
                error: false,
                quiet: true,
            },
            working: None,
            quit: false,
            next_ticket: 1,
            buddies_loading: true,
            buddies_stale: false,
        };
        (state, vec![Effect::LoadMe, Effect::LoadBuddies])
    }

    pub fn buddy(&self) -> Option<&Buddy> {
        self.buddies.get(self.selected)
    }

    pub(super) fn say(&mut self, text: impl Into<String>) {
        self.status = Status {
            text: text.into(),
            error: false,
            quiet: false,
        };
    }

    pub(super) fn warn(&mut self, text: impl Into<String>) {
        self.status = Status {
            text: text.into(),
            error: true,
            quiet: false,
        };
    }

    /// Background news: shown only over other background news.
    pub(super) fn note(&mut self, text: impl Into<String>) {
        if self.status.quiet {
            self.status.text = text.into();
        }
    }

    /// Starts slow work unless some is under way; returns its ticket.
    pub(super) fn begin(&mut self, work: Work) -> Option<u64> {
        if let Some(w) = &self.working {
            let text = format!("still {} (Esc stops waiting)", w.work.label());
            self.warn(text);
            return None;
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.working = Some(Working { ticket, work });
        Some(ticket)
    }

    /// Ends the work of `ticket`; false if it was cancelled or is not the current one.
    pub(super) fn finish(&mut self, ticket: u64) -> bool {
        if self.working.as_ref().is_some_and(|w| w.ticket == ticket) {
            self.working = None;
            return true;
        }
        false
    }

    pub(super) fn load_buddies(&mut self, effects: &mut Vec<Effect>) {
        if self.buddies_loading {
            self.buddies_stale = true;
        } else {
            self.buddies_loading = true;
            effects.push(Effect::LoadBuddies);
        }
    }

    /// A load of the buddy list finished; loads again if the list changed meanwhile.
    pub(super) fn buddies_arrived(&mut self, ok: bool, effects: &mut Vec<Effect>) {
        self.buddies_loading = false;
        if std::mem::take(&mut self.buddies_stale) && ok {
            self.load_buddies(effects);
        }
    }

    /// Shows buddy `index` (clamped); loads its conversation when it is another one.
    pub(super) fn select(&mut self, index: usize, effects: &mut Vec<Effect>) {
        self.selected = index.min(self.buddies.len().saturating_sub(1));
        let id = self.buddy().map(|b| b.id);
        if id == self.conversation.buddy {
            return;
        }
        self.conversation = Conversation::of(id);
        if let Some(buddy) = id {
            effects.push(Effect::LoadPage {
                buddy,
                before: None,
            });
            self.mark_read(effects);
        }
    }

    /// The shown buddy's messages are read: tell the core if anything was unread.
    pub(super) fn mark_read(&mut self, effects: &mut Vec<Effect>) {
        if let Some(b) = self.buddies.get_mut(self.selected) {
            if b.unread > 0 {
                b.unread = 0;
                effects.push(Effect::MarkRead { buddy: b.id });
            }
        }
    }
}

/// Applies one input; returns the calls to make.
pub fn update(state: &mut State, input: Input) -> Vec<Effect> {
    let mut effects = Vec::new();
    match input {
        Input::Key(key) => keys::on_key(state, key, &mut effects),
        Input::Paste(text) => keys::on_paste(state, &text),
        Input::Event(event) => events::on_event(state, event, &mut effects),
        Input::Done(done) => events::on_done(state, done, &mut effects),
    }
    effects
}
