//! A rate limit per key with a bounded table: at most so many events per key in each window, for at most
//! so many keys at a time (a table full of live keys refuses newcomers). What a peer can make us do, or hold,
//! is counted with it.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// At most `max` events per key in each `window`, for at most `capacity` keys at a time.
#[derive(Debug)]
pub struct RateLimit<K> {
    window: Duration,
    max: u32,
    capacity: usize,
    seen: HashMap<K, (Instant, u32)>,
}

impl<K: Eq + Hash + Copy> RateLimit<K> {
    pub fn new(window: Duration, max: u32, capacity: usize) -> Self {
        RateLimit {
            window,
            max,
            capacity,
            seen: HashMap::new(),
        }
    }

    /// Whether one more event of `key` at `now` is allowed (and if so, counts it).
    pub fn allow(&mut self, key: K, now: Instant) -> bool {
        self.take(key, 1, now) == 1
    }

    /// How many of `wanted` more events of `key` at `now` are allowed (those are counted).
    pub fn take(&mut self, key: K, wanted: u32, now: Instant) -> u32 {
        if wanted == 0 {
            return 0;
        }
        let window = self.window;
        let live = |(start, _): &(Instant, u32)| now.saturating_duration_since(*start) < window;
        if !self.seen.contains_key(&key) && self.seen.len() >= self.capacity {
            self.seen.retain(|_, v| live(v));
            if self.seen.len() >= self.capacity {
                return 0;
            }
        }
        let slot = self.seen.entry(key).or_insert((now, 0));
        if !live(slot) {
            *slot = (now, 0);
        }
        let granted = wanted.min(self.max.saturating_sub(slot.1));
        slot.1 += granted;
        granted
    }

    /// How many keys are tracked.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(10);

    #[test]
    fn a_rate_limit_grants_part_of_a_request() {
        let mut r = RateLimit::new(WINDOW, 5, 2);
        let t0 = Instant::now();
        assert_eq!(r.take(1u8, 3, t0), 3);
        assert_eq!(r.take(1u8, 3, t0), 2);
        assert_eq!(r.take(1u8, 3, t0), 0);
        assert!(!r.allow(1u8, t0));
        assert_eq!(r.take(1u8, 0, t0 + WINDOW), 0);
        assert_eq!(r.take(1u8, 9, t0 + WINDOW), 5);
    }
}
