//! A bus: every subscriber gets every message sent after it subscribed, in order, on its own unbounded
//! channel, so sending never waits for a subscriber. Dropping a [`Subscription`] unsubscribes it. The engine
//! has two: events for the API's subscribers, and commands for the network's tasks.

use crate::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::mpsc;

pub struct Bus<T> {
    subscribers: Arc<Subscribers<T>>,
}

struct Subscribers<T> {
    list: Mutex<Vec<(u64, mpsc::UnboundedSender<T>)>>,
    next: AtomicU64,
}

impl<T: Clone> Bus<T> {
    pub fn new() -> Bus<T> {
        Bus {
            subscribers: Arc::new(Subscribers {
                list: Mutex::new(Vec::new()),
                next: AtomicU64::new(1),
            }),
        }
    }

    pub fn subscribe(&self) -> Subscription<T> {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self.subscribers.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.subscribers.list).push((id, tx));
        Subscription {
            id,
            rx,
            bus: Arc::downgrade(&self.subscribers),
        }
    }

    /// Sends each message to every subscriber, in order; forgets subscribers that are gone.
    pub fn send(&self, messages: &[T]) {
        if messages.is_empty() {
            return;
        }
        let mut list = lock(&self.subscribers.list);
        list.retain(|(_, tx)| messages.iter().all(|m| tx.send(m.clone()).is_ok()));
    }
}

/// An ordered stream of a bus's messages; dropping it stops delivery.
pub struct Subscription<T> {
    id: u64,
    rx: mpsc::UnboundedReceiver<T>,
    bus: Weak<Subscribers<T>>,
}

impl<T> Subscription<T> {
    /// The next message, or None once the bus is gone.
    pub async fn next(&mut self) -> Option<T> {
        self.rx.recv().await
    }

    /// The next message if one is waiting.
    pub fn try_next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        if let Some(bus) = self.bus.upgrade() {
            lock(&bus.list).retain(|(id, _)| *id != self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_get_what_is_sent_after_they_subscribe_in_order() {
        let bus = Bus::new();
        bus.send(&[0]);
        let mut a = bus.subscribe();
        let b = bus.subscribe();
        bus.send(&[1, 2]);
        drop(b);
        bus.send(&[3]);
        assert_eq!(
            std::iter::from_fn(|| a.try_next()).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(lock(&bus.subscribers.list).len(), 1, "b unsubscribed");
        drop(bus);
        assert_eq!(a.try_next(), None);
    }
}
