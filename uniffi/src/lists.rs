//! The core's observable lists for the host: a view object per list (`BuddyListView`, `TimelineView`,
//! `DeviceListView`) whose `subscribe(listener)` delivers batches of diffs on a delivery thread of the
//! subscription, never on the core's workers. The first batch is a `Reset` with the items at subscription,
//! so a host applies every batch to an empty list and is never off by one. The queue is the core's bounded
//! outbox: a host that falls behind gets one `Reset` with the whole list instead of what it missed (see
//! `clearchat_core::OUTBOX`). And the core's notification decisions, on a thread of their own.

use crate::errors::{buddy_id, Result};
use crate::listeners::lock;
use crate::records::{Buddy, Device, Message};
use clearchat_core as core;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Declares the host's diff enum for one item record, and its translation from the core's.
macro_rules! list_diff {
    ($(#[$doc:meta])* $name:ident, $item:ty, $core:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, uniffi::Enum)]
        pub enum $name {
            Append { values: Vec<$item> },
            PushFront { value: $item },
            PushBack { value: $item },
            Insert { index: u32, value: $item },
            Set { index: u32, value: $item },
            Remove { index: u32 },
            Truncate { length: u32 },
            Clear,
            Reset { values: Vec<$item> },
        }

        impl From<core::VectorDiff<$core>> for $name {
            fn from(d: core::VectorDiff<$core>) -> Self {
                let all = |v: Vec<$core>| v.into_iter().map(Into::into).collect();
                match d {
                    core::VectorDiff::Append { values } => Self::Append { values: all(values) },
                    core::VectorDiff::PushFront { value } => Self::PushFront { value: value.into() },
                    core::VectorDiff::PushBack { value } => Self::PushBack { value: value.into() },
                    core::VectorDiff::Insert { index, value } => Self::Insert {
                        index: index as u32,
                        value: value.into(),
                    },
                    core::VectorDiff::Set { index, value } => Self::Set {
                        index: index as u32,
                        value: value.into(),
                    },
                    core::VectorDiff::Remove { index } => Self::Remove { index: index as u32 },
                    core::VectorDiff::Truncate { length } => Self::Truncate { length: length as u32 },
                    core::VectorDiff::Clear => Self::Clear,
                    core::VectorDiff::Reset { values } => Self::Reset { values: all(values) },
                }
            }
        }
    };
}

list_diff!(
    /// A change to the buddy list.
    BuddyListDiff,
    Buddy,
    core::Buddy
);
list_diff!(
    /// A change to a conversation window.
    MessageListDiff,
    Message,
    core::Message
);
list_diff!(
    /// A change to the device list.
    DeviceListDiff,
    Device,
    core::Device
);

#[uniffi::export(with_foreign)]
pub trait BuddyListListener: Send + Sync {
    fn on_diffs(&self, diffs: Vec<BuddyListDiff>);
}

#[uniffi::export(with_foreign)]
pub trait TimelineListener: Send + Sync {
    fn on_diffs(&self, diffs: Vec<MessageListDiff>);
}

#[uniffi::export(with_foreign)]
pub trait DeviceListListener: Send + Sync {
    fn on_diffs(&self, diffs: Vec<DeviceListDiff>);
}

/// Stops a list subscription on `cancel()`, or when closed or dropped by the host.
#[derive(uniffi::Object)]
pub struct ListSubscription {
    state: Arc<Mutex<Stop>>,
}

#[derive(Default)]
struct Stop {
    cancelled: bool,
    close: Option<Box<dyn FnOnce() + Send>>,
}

#[uniffi::export]
impl ListSubscription {
    pub fn cancel(&self) {
        let close = {
            let mut stop = lock(&self.state);
            stop.cancelled = true;
            stop.close.take()
        };
        if let Some(close) = close {
            close();
        }
    }
}

impl Drop for ListSubscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Subscribes on a delivery thread and hands `deliver` the items as a `Reset`, then every batch, in order, until
/// cancelled (whatever `deliver` holds lives as long).
fn deliver_list<T, D>(
    subscribe: impl Future<Output = core::Result<(Vec<T>, core::Diffs<T>)>> + Send + 'static,
    deliver: impl Fn(Vec<D>) + Send + 'static,
) -> Arc<ListSubscription>
where
    T: Send + 'static,
    D: From<core::VectorDiff<T>>,
{
    let state = Arc::new(Mutex::new(Stop::default()));
    let shared = state.clone();
    let started = std::thread::Builder::new()
        .name("clearchat-lists".into())
        .spawn(move || {
            let (items, mut diffs) = match core::runtime().block_on(subscribe) {
                Ok(subscribed) => subscribed,
                Err(e) => return log::warn!("subscribing to a list: {e}"),
            };
            {
                let mut stop = lock(&shared);
                if stop.cancelled {
                    return;
                }
                let closer = diffs.closer();
                stop.close = Some(Box::new(move || closer.close()));
            }
            deliver(vec![core::VectorDiff::Reset { values: items }.into()]);
            while let Some(batch) = core::runtime().block_on(diffs.next()) {
                deliver(batch.into_iter().map(Into::into).collect());
            }
        });
    if let Err(e) = started {
        log::error!("no list delivery thread, nothing will be delivered: {e}");
    }
    Arc::new(ListSubscription { state })
}

/// The buddy list, most recently active first.
#[derive(uniffi::Object)]
pub struct BuddyListView {
    pub(crate) inner: core::BuddyList,
}

#[uniffi::export]
impl BuddyListView {
    pub async fn items(&self) -> Result<Vec<Buddy>> {
        let list = self.inner.clone();
        let items = core::runtime().spawn(async move { list.items().await });
        Ok(joined(items.await)?.into_iter().map(Into::into).collect())
    }

    pub fn subscribe(&self, listener: Arc<dyn BuddyListListener>) -> Arc<ListSubscription> {
        let (list, keep) = (self.inner.clone(), self.inner.clone());
        // The subscription keeps the list's task running, even once the host lets go of this view.
        deliver_list(async move { list.subscribe().await }, move |d| {
            let _list = &keep;
            listener.on_diffs(d)
        })
    }
}

/// A window of one conversation, oldest first, newest at the end.
#[derive(uniffi::Object)]
pub struct TimelineView {
    pub(crate) inner: core::Timeline,
}

#[uniffi::export]
impl TimelineView {
    pub fn buddy_id(&self) -> String {
        self.inner.buddy().to_string()
    }

    pub async fn items(&self) -> Result<Vec<Message>> {
        let list = self.inner.clone();
        let items = core::runtime().spawn(async move { list.items().await });
        Ok(joined(items.await)?.into_iter().map(Into::into).collect())
    }

    /// Adds up to `n` older messages at the front; whether still older ones exist.
    pub async fn paginate_backwards(&self, n: u32) -> Result<bool> {
        let list = self.inner.clone();
        let more = core::runtime().spawn(async move { list.paginate_backwards(n).await });
        Ok(joined(more.await)?)
    }

    pub fn subscribe(&self, listener: Arc<dyn TimelineListener>) -> Arc<ListSubscription> {
        let (list, keep) = (self.inner.clone(), self.inner.clone());
        // The subscription keeps the list's task running, even once the host lets go of this view.
        deliver_list(async move { list.subscribe().await }, move |d| {
            let _list = &keep;
            listener.on_diffs(d)
        })
    }
}

/// My devices.
#[derive(uniffi::Object)]
pub struct DeviceListView {
    pub(crate) inner: core::DeviceList,
}

#[uniffi::export]
impl DeviceListView {
    pub async fn items(&self) -> Result<Vec<Device>> {
        let list = self.inner.clone();
        let items = core::runtime().spawn(async move { list.items().await });
        Ok(joined(items.await)?.into_iter().map(Into::into).collect())
    }

    pub fn subscribe(&self, listener: Arc<dyn DeviceListListener>) -> Arc<ListSubscription> {
        let (list, keep) = (self.inner.clone(), self.inner.clone());
        // The subscription keeps the list's task running, even once the host lets go of this view.
        deliver_list(async move { list.subscribe().await }, move |d| {
            let _list = &keep;
            listener.on_diffs(d)
        })
    }
}

fn joined<T>(r: std::result::Result<core::Result<T>, tokio::task::JoinError>) -> core::Result<T> {
    r.map_err(|e| core::Error::Storage(format!("internal task failed: {e}")))?
}

/// What the core decided deserves a notification, or that one should be taken down.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum NotificationEvent {
    /// New messages from a buddy, oldest first (at most 25, the newest).
    Show {
        buddy_id: String,
        buddy_name: String,
        messages: Vec<Message>,
    },
    /// The conversation was read on one of my devices, or the buddy `removed`.
    Cancel { buddy_id: String, removed: bool },
}

impl From<core::Notification> for NotificationEvent {
    fn from(n: core::Notification) -> Self {
        match n {
            core::Notification::Message {
                buddy_id,
                buddy_name,
                messages,
            } => Self::Show {
                buddy_id: buddy_id.to_string(),
                buddy_name,
                messages: messages.into_iter().map(Into::into).collect(),
            },
            core::Notification::Cancel { buddy_id, removed } => Self::Cancel {
                buddy_id: buddy_id.to_string(),
                removed,
            },
        }
    }
}

#[uniffi::export(with_foreign)]
pub trait NotificationListener: Send + Sync {
    fn on_notification(&self, notification: NotificationEvent);
}

/// Delivers the core's notification decisions to `listener` on a thread of its own until cancelled.
pub(crate) fn deliver_notifications(
    mut notifications: core::Notifications,
    listener: Arc<dyn NotificationListener>,
) -> Arc<ListSubscription> {
    let state = Arc::new(Mutex::new(Stop::default()));
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    lock(&state).close = Some(Box::new(move || {
        let _ = stop_tx.send(());
    }));
    let started = std::thread::Builder::new()
        .name("clearchat-notify".into())
        .spawn(move || loop {
            let next = core::runtime().block_on(async {
                tokio::select! {
                    n = notifications.next() => n,
                    _ = &mut stop_rx => None,
                }
            });
            match next {
                Some(n) => listener.on_notification(n.into()),
                None => break,
            }
        });
    if let Err(e) = started {
        log::error!("no notification thread, nothing will be delivered: {e}");
    }
    Arc::new(ListSubscription { state })
}

/// Parses a buddy id the host gives for the visible conversation.
pub(crate) fn visible(buddy: Option<String>) -> Result<Option<core::BuddyId>> {
    buddy.as_deref().map(buddy_id).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    struct Recorder(Mutex<mpsc::Sender<(Vec<MessageListDiff>, Option<String>)>>);
    impl TimelineListener for Recorder {
        fn on_diffs(&self, diffs: Vec<MessageListDiff>) {
            let thread = std::thread::current().name().map(String::from);
            let _ = lock(&self.0).send((diffs, thread));
        }
    }

    struct Buddies(Mutex<mpsc::Sender<Vec<BuddyListDiff>>>);
    impl BuddyListListener for Buddies {
        fn on_diffs(&self, diffs: Vec<BuddyListDiff>) {
            let _ = lock(&self.0).send(diffs);
        }
    }

    struct Notified(Mutex<mpsc::Sender<NotificationEvent>>);
    impl NotificationListener for Notified {
        fn on_notification(&self, n: NotificationEvent) {
            let _ = lock(&self.0).send(n);
        }
    }

    fn apply(copy: &mut Vec<Message>, diffs: Vec<MessageListDiff>) {
        for d in diffs {
            match d {
                MessageListDiff::Append { mut values } => copy.append(&mut values),
                MessageListDiff::PushFront { value } => copy.insert(0, value),
                MessageListDiff::PushBack { value } => copy.push(value),
                MessageListDiff::Insert { index, value } => copy.insert(index as usize, value),
                MessageListDiff::Set { index, value } => copy[index as usize] = value,
                MessageListDiff::Remove { index } => {
                    copy.remove(index as usize);
                }
                MessageListDiff::Truncate { length } => copy.truncate(length as usize),
                MessageListDiff::Clear => copy.clear(),
                MessageListDiff::Reset { values } => *copy = values,
            }
        }
    }

    /// A host's timeline starts with a Reset, gets every batch on the list's delivery thread, and its copy
    /// ends equal to the window; Betty's message to Amy in the background is a notification for Amy, Amy's
    /// own is not, and a cancelled subscription delivers nothing more.
    #[test]
    fn a_hosts_copy_of_a_timeline_follows_the_core_on_the_delivery_thread() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let open = |d: &tempfile::TempDir, name| {
            crate::ClearchatClient::open_loopback(d.path().display().to_string(), name).unwrap()
        };
        let (amy, betty) = (open(&dirs[0], "Amy".into()), open(&dirs[1], "Betty".into()));
        core::runtime().block_on(async {
            amy.start().await.unwrap();
            let invite = amy.create_buddy_invite("Betty".into()).await.unwrap();
            betty.redeem(invite.code).await.unwrap();
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let buddy_of = |c: &crate::ClearchatClient| loop {
            let buddies = core::runtime().block_on(c.buddies()).unwrap();
            if let Some(b) = buddies.first() {
                break b.id.clone();
            }
            assert!(Instant::now() < deadline, "buddies listed");
            std::thread::sleep(Duration::from_millis(20));
        };
        let (amys_betty, bettys_amy) = (buddy_of(&amy), buddy_of(&betty));
        let timeline = amy.timeline(amys_betty.clone(), 10).unwrap();
        let (tx, rx) = mpsc::channel();
        let subscription = timeline.subscribe(Arc::new(Recorder(Mutex::new(tx))));
        let (ntx, nrx) = mpsc::channel();
        let notifications = amy.notifications(Arc::new(Notified(Mutex::new(ntx))));
        // The view is let go of at once: the subscription keeps the list going.
        let (btx, brx) = mpsc::channel();
        let buddies = amy
            .buddy_list()
            .subscribe(Arc::new(Buddies(Mutex::new(btx))));
        let (first, thread) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert!(matches!(first.as_slice(), [MessageListDiff::Reset { .. }]));
        assert_eq!(thread.as_deref(), Some("clearchat-lists"));
        let mut copy = Vec::new();
        apply(&mut copy, first);
        core::runtime().block_on(async {
            amy.send(amys_betty.clone(), "hi Betty".into())
                .await
                .unwrap();
            betty.send(bettys_amy, "hi Amy".into()).await.unwrap();
        });
        loop {
            let items = core::runtime().block_on(timeline.items()).unwrap();
            if items.len() == 2 && copy == items {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the copy follows: {copy:?} / {items:?}"
            );
            if let Ok((diffs, thread)) = rx.recv_timeout(Duration::from_millis(50)) {
                assert_eq!(thread.as_deref(), Some("clearchat-lists"));
                apply(&mut copy, diffs);
            }
        }
        match nrx.recv_timeout(Duration::from_secs(60)).unwrap() {
            NotificationEvent::Show {
                buddy_name,
                messages,
                ..
            } => {
                assert_eq!(buddy_name, "Betty");
                let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
                assert_eq!(texts, ["hi Amy"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            brx.recv_timeout(Duration::from_secs(60))
                .unwrap()
                .as_slice(),
            [BuddyListDiff::Reset { .. }]
        ));
        // Then the buddy's last message changes with the sends.
        let change = brx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert!(
            change
                .iter()
                .any(|d| matches!(d, BuddyListDiff::Set { .. })),
            "{change:?}"
        );
        buddies.cancel();
        subscription.cancel();
        notifications.cancel();
        core::runtime().block_on(async {
            let _ = betty.stop().await;
            let _ = amy.stop().await;
        });
    }
}
