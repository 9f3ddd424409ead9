//! The items of one list and its subscribers, owned by the list's task. A subscriber starts from the items as
//! they are when the task takes its subscription and then gets every batch of changes made after, in order,
//! through a bounded outbox: a subscriber [`OUTBOX`] batches behind gets one `Reset` with the whole list in
//! place of what waits, so the task never waits for it and its copy is right again after one batch.
//!
//! A list's source changes the items through an [`Edit`], which records each change as the diff subscribers
//! get: a message arriving is one `PushBack` made in place, not a copy of the window and a keyed diff of it.

use super::diff::{diff, VectorDiff};
use crate::lock;
use std::collections::VecDeque;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Batches a subscriber may leave waiting before they are replaced by one `Reset`.
pub const OUTBOX: usize = 64;

pub(crate) struct Observable<T> {
    items: Vec<T>,
    subscribers: Vec<Arc<Outbox<T>>>,
}

struct Outbox<T> {
    state: Mutex<Waiting<T>>,
    ready: Notify,
}

struct Waiting<T> {
    batches: VecDeque<Vec<VectorDiff<T>>>,
    /// The stream was dropped (by the subscriber) or the list ended (by the task).
    closed: bool,
}

impl<T: Clone + PartialEq> Observable<T> {
    pub fn new() -> Observable<T> {
        Observable {
            items: Vec::new(),
            subscribers: Vec::new(),
        }
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The current items and a stream of every change from now on.
    pub fn subscribe(&mut self) -> (Vec<T>, Diffs<T>) {
        let outbox = Arc::new(Outbox {
            state: Mutex::new(Waiting {
                batches: VecDeque::new(),
                closed: false,
            }),
            ready: Notify::new(),
        });
        self.subscribers.push(outbox.clone());
        (self.items.clone(), Diffs { outbox })
    }

    /// Makes the list `new`, telling subscribers the changes (items matched by `key`). Returns whether
    /// anything changed.
    #[cfg(test)]
    pub fn replace<K: Eq + Hash>(&mut self, new: Vec<T>, key: impl Fn(&T) -> K) -> bool {
        self.edit(|e| {
            e.replace(new, key);
            !e.batch.is_empty()
        })
    }

    /// Lets `f` change the items through an [`Edit`], then tells subscribers what it changed (nothing if
    /// nothing did).
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut Edit<'_, T>) -> R) -> R {
        let mut edit = Edit {
            items: &mut self.items,
            batch: Vec::new(),
        };
        let value = f(&mut edit);
        let batch = edit.batch;
        if !batch.is_empty() {
            self.tell(batch);
        }
        value
    }

    fn tell(&mut self, batch: Vec<VectorDiff<T>>) {
        self.subscribers.retain(|outbox| {
            let mut waiting = lock(&outbox.state);
            if waiting.closed {
                return false;
            }
            if waiting.batches.len() >= OUTBOX {
                waiting.batches.clear();
                waiting.batches.push_back(vec![VectorDiff::Reset {
                    values: self.items.clone(),
                }]);
            } else {
                waiting.batches.push_back(batch.clone());
            }
            drop(waiting);
            outbox.ready.notify_one();
            true
        });
    }

    #[cfg(test)]
    pub fn has_subscribers(&mut self) -> bool {
        self.subscribers.retain(|o| !lock(&o.state).closed);
        !self.subscribers.is_empty()
    }
}

/// The items of a list while its source changes them; each change is recorded as a diff.
pub(crate) struct Edit<'a, T> {
    items: &'a mut Vec<T>,
    batch: Vec<VectorDiff<T>>,
}

impl<T: Clone + PartialEq> Edit<'_, T> {
    pub fn items(&self) -> &[T] {
        self.items
    }

    /// Makes the item at `index` `value` (a change only if it differs).
    pub fn set(&mut self, index: usize, value: T) {
        if self.items[index] != value {
            self.items[index] = value.clone();
            self.batch.push(VectorDiff::Set { index, value });
        }
    }

    /// Inserts `value` at `index` (at most the length).
    pub fn insert(&mut self, index: usize, value: T) {
        self.items.insert(index, value.clone());
        self.batch.push(match index {
            i if i + 1 == self.items.len() => VectorDiff::PushBack { value },
            0 => VectorDiff::PushFront { value },
            _ => VectorDiff::Insert { index, value },
        });
    }

    /// Removes the item at `index`.
    pub fn remove(&mut self, index: usize) {
        self.items.remove(index);
        self.batch.push(VectorDiff::Remove { index });
    }

    /// Makes the items `new`, as the keyed diff of the two (see `diff`).
    pub fn replace<K: Eq + Hash>(&mut self, new: Vec<T>, key: impl Fn(&T) -> K) {
        self.batch.extend(diff(self.items, &new, key));
        *self.items = new;
    }
}

impl<T> Drop for Observable<T> {
    /// The list ended: its streams end once they have given what waits.
    fn drop(&mut self) {
        for outbox in &self.subscribers {
            lock(&outbox.state).closed = true;
            outbox.ready.notify_one();
        }
    }
}

/// The batches of changes of one subscription, in order; dropping it unsubscribes.
pub struct Diffs<T> {
    outbox: Arc<Outbox<T>>,
}

impl<T> Diffs<T> {
    /// The next batch, waiting for one; None once the list has ended (or [`Diffs::close`] was called).
    pub async fn next(&mut self) -> Option<Vec<VectorDiff<T>>> {
        loop {
            if let Some(batch) = self.try_next() {
                return Some(batch);
            }
            if lock(&self.outbox.state).closed {
                return None;
            }
            self.outbox.ready.notified().await;
        }
    }

    /// The next batch if one waits.
    pub fn try_next(&mut self) -> Option<Vec<VectorDiff<T>>> {
        lock(&self.outbox.state).batches.pop_front()
    }

    /// A handle that ends this stream from elsewhere (a host cancelling while a thread waits in `next`).
    pub fn closer(&self) -> DiffsCloser<T> {
        DiffsCloser {
            outbox: self.outbox.clone(),
        }
    }
}

impl<T> Drop for Diffs<T> {
    fn drop(&mut self) {
        self.closer().close();
    }
}

/// Ends a [`Diffs`] stream: what waits is dropped and its `next` returns None.
pub struct DiffsCloser<T> {
    outbox: Arc<Outbox<T>>,
}

impl<T> DiffsCloser<T> {
    pub fn close(&self) {
        let mut waiting = lock(&self.outbox.state);
        waiting.closed = true;
        waiting.batches.clear();
        drop(waiting);
        self.outbox.ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_that_falls_behind_gets_one_reset_with_the_whole_list() {
        let mut list = Observable::new();
        let (start, mut behind) = list.subscribe();
        assert!(start.is_empty());
        for n in 0..(OUTBOX as u32 * 2) {
            let mut next = list.items().to_vec();
            next.push(n);
            assert!(list.replace(next, |x| *x));
        }
        let (snapshot, mut fresh) = list.subscribe();
        let mut copy = start;
        let mut batches = 0;
        while let Some(batch) = behind.try_next() {
            super::super::diff::apply_batch(&mut copy, batch).unwrap();
            batches += 1;
        }
        assert!(batches <= OUTBOX, "bounded: {batches}");
        assert_eq!(copy, list.items());
        assert_eq!(snapshot, list.items());
        assert!(fresh.try_next().is_none(), "no change after the snapshot");
        drop(behind);
        assert!(list.has_subscribers());
        drop(fresh);
        assert!(!list.has_subscribers());
    }
}
