//! The host's listeners: events and log records, delivered from a thread of the bindings, never from the
//! core's workers, so a slow host callback (Android posts a notification inside one) cannot stall sync.
//!
//! Each subscription has a bounded queue and one delivery thread. A small task on the core's runtime
//! moves events from the core's subscription into the queue without ever waiting; the delivery thread
//! calls the host, one event at a time, in order. When the host falls [`EVENT_QUEUE`] events behind, the
//! oldest waiting event is dropped (and counted in a warning): the host's lists are reloaded from the client
//! on the events that follow, so dropping the oldest loses the least, and the core never waits or grows
//! without bound. Log records go the same way, through one queue for the process.

use crate::records::Event;
use clearchat_core as core;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// Events a subscription holds for a host that is busy; beyond, the oldest is dropped.
pub const EVENT_QUEUE: usize = 4096;
/// Log records held for a busy log sink.
const LOG_QUEUE: usize = 1024;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A bounded queue that drops its oldest item when full, and a delivery thread that hands items to `deliver`.
pub(crate) struct Delivery<T> {
    state: Mutex<Queue<T>>,
    ready: Condvar,
}

struct Queue<T> {
    items: VecDeque<T>,
    limit: usize,
    closed: bool,
    /// Dropped since the last warning.
    dropped: u64,
}

impl<T: Send + 'static> Delivery<T> {
    /// Starts the delivery thread, named `name`, which calls `deliver` for each item until closed. If the
    /// system gives no thread, the delivery is closed from the start (and says so in the log).
    pub fn start(
        name: &str,
        limit: usize,
        mut deliver: impl FnMut(T) + Send + 'static,
    ) -> Arc<Delivery<T>> {
        let delivery = Arc::new(Delivery {
            state: Mutex::new(Queue {
                items: VecDeque::new(),
                limit,
                closed: false,
                dropped: 0,
            }),
            ready: Condvar::new(),
        });
        let queue = delivery.clone();
        let started = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                while let Some(item) = queue.next() {
                    deliver(item);
                }
            });
        if let Err(e) = started {
            log::error!("no {name} thread, nothing will be delivered: {e}");
            delivery.close();
        }
        delivery
    }

    /// Queues an item; never waits. Returns false once closed.
    pub fn push(&self, item: T) -> bool {
        let mut queue = lock(&self.state);
        if queue.closed {
            return false;
        }
        if queue.items.len() >= queue.limit {
            queue.items.pop_front();
            queue.dropped += 1;
        }
        queue.items.push_back(item);
        drop(queue);
        self.ready.notify_one();
        true
    }

    /// Stops delivery: the thread ends after the item it is delivering, if any; waiting items are dropped.
    pub fn close(&self) {
        let mut queue = lock(&self.state);
        queue.closed = true;
        queue.items.clear();
        drop(queue);
        self.ready.notify_all();
    }

    /// The next item, waiting for one; None once closed.
    fn next(&self) -> Option<T> {
        loop {
            let mut queue = lock(&self.state);
            let dropped = std::mem::take(&mut queue.dropped);
            if dropped > 0 {
                // Logged without the lock: the log's own queue may be this one.
                drop(queue);
                log::warn!(
                    "the host fell behind: {dropped} waiting items were dropped, oldest first"
                );
                continue;
            }
            if queue.closed {
                return None;
            }
            if let Some(item) = queue.items.pop_front() {
                return Some(item);
            }
            drop(
                self.ready
                    .wait(queue)
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            );
        }
    }
}

/// Receives the client's events, in order, on a delivery thread of its subscription.
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    fn on_event(&self, event: Event);
}

/// Stops event delivery on `cancel()`, or when closed or dropped by the host.
#[derive(uniffi::Object)]
pub struct SubscriptionHandle {
    pump: Mutex<Option<tokio::task::JoinHandle<()>>>,
    delivery: Arc<Delivery<Event>>,
}

impl SubscriptionHandle {
    /// Delivers every event of `subscription` to `listener`.
    pub(crate) fn start(
        mut subscription: core::Subscription,
        listener: Arc<dyn EventListener>,
    ) -> Arc<SubscriptionHandle> {
        let delivery = Delivery::start("clearchat-events", EVENT_QUEUE, move |event| {
            listener.on_event(event)
        });
        let queue = delivery.clone();
        let pump = core::runtime().spawn(async move {
            while let Some(event) = subscription.next().await {
                if !queue.push(event.into()) {
                    break;
                }
            }
            queue.close();
        });
        Arc::new(SubscriptionHandle {
            pump: Mutex::new(Some(pump)),
            delivery,
        })
    }
}

#[uniffi::export]
impl SubscriptionHandle {
    pub fn cancel(&self) {
        if let Some(pump) = lock(&self.pump).take() {
            pump.abort();
        }
        self.delivery.close();
    }
}

impl Drop for SubscriptionHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Receives the core's log records, on the bindings' log delivery thread.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

struct Record {
    level: LogLevel,
    target: String,
    message: String,
}

static LOG_SINK: Mutex<Option<Arc<dyn LogSink>>> = Mutex::new(None);
static LOG_DELIVERY: OnceLock<Arc<Delivery<Record>>> = OnceLock::new();

fn log_delivery() -> &'static Arc<Delivery<Record>> {
    LOG_DELIVERY.get_or_init(|| {
        Delivery::start("clearchat-log", LOG_QUEUE, |record: Record| {
            let sink = lock(&LOG_SINK).clone();
            if let Some(sink) = sink {
                sink.log(record.level, record.target, record.message);
            }
        })
    })
}

struct ForeignLogger;

impl log::Log for ForeignLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        let level = match record.level() {
            log::Level::Error => LogLevel::Error,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Info => LogLevel::Info,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Trace => LogLevel::Trace,
        };
        log_delivery().push(Record {
            level,
            target: record.target().to_string(),
            message: record.args().to_string(),
        });
    }
    fn flush(&self) {}
}

/// Installs (or replaces) the host's log sink; records at `max_level` and above reach it.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) {
    *lock(&LOG_SINK) = Some(sink);
    let _ = log::set_logger(&ForeignLogger);
    log::set_max_level(match max_level {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warn => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A host stuck in its callback holds up nothing: pushing never waits, the queue keeps the newest
    /// `limit` items, and once the host is back it gets them in order, after the one it was handling.
    #[test]
    fn a_stuck_host_loses_the_oldest_events_and_never_blocks_the_sender() {
        let limit = 16;
        let (delivered, got) = mpsc::channel();
        let (release, stuck) = mpsc::channel::<()>();
        let stuck = Mutex::new(stuck);
        let delivery = Delivery::start("test-events", limit, move |n: usize| {
            if n == 0 {
                let _ = stuck.lock().unwrap().recv();
            }
            delivered
                .send((n, std::thread::current().name().map(String::from)))
                .unwrap();
        });
        assert!(delivery.push(0));
        // Wait until the host is inside its callback for item 0.
        while lock(&delivery.state).items.len() == 1 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let total = 1000;
        for n in 1..=total {
            assert!(delivery.push(n), "pushing never fails while open");
        }
        assert_eq!(lock(&delivery.state).items.len(), limit);
        release.send(()).unwrap();
        let order: Vec<(usize, Option<String>)> = (0..=limit)
            .map(|_| got.recv_timeout(Duration::from_secs(30)).unwrap())
            .collect();
        let numbers: Vec<usize> = order.iter().map(|(n, _)| *n).collect();
        let mut want = vec![0];
        want.extend(total - limit + 1..=total);
        assert_eq!(numbers, want);
        assert!(order
            .iter()
            .all(|(_, thread)| thread.as_deref() == Some("test-events")));
        delivery.close();
        assert!(!delivery.push(1), "closed");
    }

    /// Events of a real client reach the listener on the subscription's own thread, not a core worker.
    #[test]
    fn events_of_a_client_arrive_on_the_delivery_thread() {
        struct Recorder(Mutex<mpsc::Sender<(Event, Option<String>)>>);
        impl EventListener for Recorder {
            fn on_event(&self, event: Event) {
                let thread = std::thread::current().name().map(String::from);
                let _ = lock(&self.0).send((event, thread));
            }
        }
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let amy = core::Client::open_with(dirs[0].path(), "Amy", core::Config::loopback()).unwrap();
        let betty =
            core::Client::open_with(dirs[1].path(), "Betty", core::Config::loopback()).unwrap();
        let (tx, rx) = mpsc::channel();
        let handle =
            SubscriptionHandle::start(betty.subscribe(), Arc::new(Recorder(Mutex::new(tx))));
        core::runtime().block_on(async {
            amy.start().await.unwrap();
            let invite = amy.create_buddy_invite("Betty").await.unwrap();
            betty.redeem(&invite.code).await.unwrap();
        });
        let (event, thread) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert!(matches!(event, Event::BuddyAdded { ref name, .. } if name == "Amy"));
        assert_eq!(thread.as_deref(), Some("clearchat-events"));
        handle.cancel();
        core::runtime().block_on(async {
            let _ = betty.stop().await;
            let _ = amy.stop().await;
        });
    }
}
