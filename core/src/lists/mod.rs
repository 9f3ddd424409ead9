//! The state the screens show, as observable lists that stream diffs (DESIGN.md section 6): the buddy list,
//! a window of each conversation, my devices. Each list is owned by one task; its handle and its
//! subscribers message it. The task is fed by the engine's events, which it takes only as hints of what may
//! have changed: it drains a burst of them, reads what they touched back from the store once, and tells its
//! subscribers the difference between its items and what it read (`diff`). So a list is always one the store
//! held, a burst of a 100k-message catch-up costs one read, and a subscriber starts from the task's own items
//! (`observable`), which no batch it gets afterwards repeats or misses.
//!
//! The same task also does what depends on what the person sees: the shell says whether the app is in the
//! foreground and which conversation is on screen (`Shell`), a conversation window on screen marks read what
//! it shows, and `notify` decides what deserves a notification.

mod buddies;
mod devices;
mod diff;
mod notify;
mod observable;
mod timeline;

pub use buddies::{buddy_order, BuddyList};
pub use devices::DeviceList;
pub use diff::{apply_batch, OutOfBounds, VectorDiff};
pub use notify::{notification_for, Notification, Notifications, MAX_LINES};
pub use observable::{Diffs, DiffsCloser, OUTBOX};
pub use timeline::{Timeline, MAX_WINDOW};

use crate::chat::Event;
use crate::engine::{Engine, Subscription};
use crate::error::{Error, Result};
use crate::ids::BuddyId;
use observable::{Edit, Observable};
use std::hash::Hash;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// What the person sees, as the shell tells it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shell {
    /// The app is in the foreground (its window shows, the screen is on).
    pub foreground: bool,
    /// The conversation on screen, if one is.
    pub visible: Option<BuddyId>,
}

impl Shell {
    /// Whether the conversation with `buddy` is on screen in front of the person now.
    pub fn shows(&self, buddy: &BuddyId) -> bool {
        self.foreground && self.visible.as_ref() == Some(buddy)
    }
}

/// One list's content: what it reads from the store, and what of the engine's events concern it.
pub(crate) trait Source: Send + 'static {
    type Item: Clone + PartialEq + Send + Sync + 'static;
    type Key: Eq + Hash;

    fn key(item: &Self::Item) -> Self::Key;

    /// Takes note of an event; true if the list may have changed with it.
    fn note(&mut self, event: &Event) -> bool;

    /// Makes `list` what the store holds now, given what was noted since the last load. On an error, what
    /// it changed before stays changed (and is told).
    fn load(&mut self, engine: &Engine, list: &mut Edit<'_, Self::Item>) -> Result<()>;

    /// After each load or change of what the person sees: what follows from the list being on screen.
    fn shown(&mut self, _engine: &Engine, _items: &[Self::Item], _shell: &Shell) {}

    /// Widens the list by up to `n` older items; whether still older ones exist.
    fn paginate(&mut self, _engine: &Engine, _items: &[Self::Item], _n: usize) -> Result<bool> {
        Ok(false)
    }
}

enum Request<T> {
    Subscribe(oneshot::Sender<(Vec<T>, Diffs<T>)>),
    Items(oneshot::Sender<Vec<T>>),
    Paginate(usize, oneshot::Sender<Result<bool>>),
}

/// The handle of one list's task; the task ends when the last handle is dropped, and its streams then end.
pub(crate) struct ListHandle<T> {
    requests: mpsc::Sender<Request<T>>,
}

impl<T> Clone for ListHandle<T> {
    fn clone(&self) -> Self {
        ListHandle {
            requests: self.requests.clone(),
        }
    }
}

fn gone() -> Error {
    Error::Storage("the list has stopped".into())
}

impl<T: Send + 'static> ListHandle<T> {
    /// Starts the task of `source` on the core's runtime. The engine's events are subscribed to before the
    /// first load, so nothing committed after that load goes unnoticed.
    pub fn start<S: Source<Item = T>>(
        engine: Arc<Engine>,
        source: S,
        shell: watch::Receiver<Shell>,
        runtime: &tokio::runtime::Handle,
    ) -> ListHandle<T> {
        let (requests, rx) = mpsc::channel(16);
        let events = engine.events.subscribe();
        runtime.spawn(run(engine, source, rx, shell, events));
        ListHandle { requests }
    }

    async fn ask<R>(&self, make: impl FnOnce(oneshot::Sender<R>) -> Request<T>) -> Result<R> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(make(tx)).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    pub async fn subscribe(&self) -> Result<(Vec<T>, Diffs<T>)> {
        self.ask(Request::Subscribe).await
    }

    pub async fn items(&self) -> Result<Vec<T>> {
        self.ask(Request::Items).await
    }

    pub async fn paginate(&self, n: usize) -> Result<bool> {
        self.ask(|tx| Request::Paginate(n, tx)).await?
    }
}

/// A list task's state: its source and its items with their subscribers.
struct Owned<S: Source> {
    source: S,
    list: Observable<S::Item>,
}

impl<S: Source> Owned<S> {
    /// Loads the source into the list; a failed read keeps the items as they were (and says so in the log).
    fn reload(&mut self, engine: &Engine, shell: &Shell) {
        let source = &mut self.source;
        if let Err(e) = self.list.edit(|list| source.load(engine, list)) {
            log::warn!("reading a list: {e}");
        }
        self.source.shown(engine, self.list.items(), shell);
    }
}

/// Runs `f` on the runtime's blocking pool, so that store reads leave the async workers to the network (on a
/// worker, even through `block_in_place`, they held up the connections' tasks: message latency with the screens
/// open was several times what it is without). None if `f` did not finish (the runtime is going away).
async fn off_workers<S: Source, T: Send + 'static>(
    engine: &Arc<Engine>,
    mut owned: Owned<S>,
    f: impl FnOnce(&Engine, &mut Owned<S>) -> T + Send + 'static,
) -> Option<(Owned<S>, T)> {
    let engine = engine.clone();
    match tokio::task::spawn_blocking(move || {
        let value = f(&engine, &mut owned);
        (owned, value)
    })
    .await
    {
        Ok(done) => Some(done),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}

async fn run<S: Source>(
    engine: Arc<Engine>,
    source: S,
    mut requests: mpsc::Receiver<Request<S::Item>>,
    mut shell: watch::Receiver<Shell>,
    mut events: Subscription<Event>,
) {
    let owned = Owned {
        source,
        list: Observable::new(),
    };
    let seen = shell.borrow_and_update().clone();
    let Some((mut owned, ())) = off_workers(&engine, owned, move |e, o| o.reload(e, &seen)).await
    else {
        return;
    };
    let mut shell_open = true;
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                None => break,
                Some(Request::Subscribe(reply)) => {
                    let _ = reply.send(owned.list.subscribe());
                }
                Some(Request::Items(reply)) => {
                    let _ = reply.send(owned.list.items().to_vec());
                }
                Some(Request::Paginate(n, reply)) => {
                    let seen = shell.borrow().clone();
                    let Some((back, more)) = off_workers(&engine, owned, move |e, o| {
                        let more = o.source.paginate(e, o.list.items(), n);
                        o.reload(e, &seen);
                        more
                    })
                    .await else {
                        return;
                    };
                    owned = back;
                    let _ = reply.send(more);
                }
            },
            event = events.next() => {
                let Some(event) = event else { break };
                // A burst is read back once.
                let mut touched = owned.source.note(&event);
                while let Some(event) = events.try_next() {
                    touched |= owned.source.note(&event);
                }
                if touched {
                    // What the person sees now, even if the change of it waits in the other branch.
                    let seen = shell.borrow().clone();
                    let Some((back, ())) = off_workers(&engine, owned, move |e, o| o.reload(e, &seen)).await else {
                        return;
                    };
                    owned = back;
                }
            }
            changed = shell.changed(), if shell_open => {
                if changed.is_err() {
                    shell_open = false;
                    continue;
                }
                let seen = shell.borrow_and_update().clone();
                let Some((back, ())) = off_workers(&engine, owned, move |e, o| {
                    o.source.shown(e, o.list.items(), &seen)
                })
                .await else {
                    return;
                };
                owned = back;
            }
        }
    }
}
