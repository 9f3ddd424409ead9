//! When to look up the devices that are away (needed and unreachable) in the DHT, as pure logic (time
//! passed in). Lookups run in rounds, one DHT session each, and a round takes every device due in it, so
//! the schedule is made for devices to share rounds:
//! - a device that just dropped is looked up at once, then after 2 s, 4 s, 8 s, ... (the wait doubles up
//!   to [`CAP`]); such a device also joins any round held up to a quarter of its wait before it is due;
//! - a device at the cap is due on a 15-minute grid common to all devices (so all of them share rounds
//!   wherever each one's backoff started), and once away for [`LONG_AWAY`] on an hourly grid, which is a
//!   subset of the 15-minute one.
//!
//! A lookup reads a device's slots of this epoch and the one before; the one before is read once more
//! after it has closed ([`SETTLED_AFTER_SECS`] into this epoch), and no more this epoch: no honest device
//! writes there any more, and what it held is in the cache by then.
//!
//! A device is forgotten here once it is reached (the next drop starts again at once and fast).

use super::rendezvous::{epoch, EPOCH_SECS, FUTURE_SKEW_SECS};
use crate::ids::DeviceId;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The wait after a device's first lookup; it doubles after each.
pub const FIRST_WAIT: Duration = Duration::from_secs(2);
/// The most a device just away waits between lookups (and the grid of capped waits).
pub const CAP: Duration = Duration::from_secs(15 * 60);
/// After this long away, a device is looked up once per [`LONG_CAP`] only.
pub const LONG_AWAY: Duration = Duration::from_secs(24 * 3600);
/// The wait of a device away for long: one lookup per rendezvous epoch (its record's keys change hourly).
pub const LONG_CAP: Duration = Duration::from_secs(3600);
/// Devices looked up in one round, at most (the rest are due in the next one, at once).
pub const MAX_PER_ROUND: usize = 32;
/// How long into an epoch the slots of the one before may still be written (a device's clock behind by
/// the skew we accept, a put under way) and so are still worth reading again.
pub const SETTLED_AFTER_SECS: u64 = FUTURE_SKEW_SECS + 60;
/// Devices tracked, at most (membership bounds them; this bounds memory whatever it says).
pub const MAX_AWAY: usize = 4096;

#[derive(Clone, Debug)]
struct Away {
    /// Unreachable since (first told, not reached since).
    since: Instant,
    /// When its next lookup is due.
    due: Instant,
    /// How early it may join a round held before `due`.
    slack: Duration,
    /// The wait after its next lookup, below the cap.
    wait: Duration,
    /// The last closed epoch whose slots were read after it closed, and with which keys (key ids).
    settled: Option<(u64, Vec<[u8; 8]>)>,
}

/// The lookup schedule of the away devices.
#[derive(Debug)]
pub struct AwaySchedule {
    /// What the grids of capped waits count from.
    origin: Instant,
    away: HashMap<DeviceId, Away>,
}

impl AwaySchedule {
    /// A schedule whose grids count from `origin` (any instant; every device shares it).
    pub fn new(origin: Instant) -> Self {
        AwaySchedule {
            origin,
            away: HashMap::new(),
        }
    }

    /// `device` is needed and unreachable at `now`. A device not away yet is due at once; returns whether
    /// it was new (a round is due now).
    pub fn handle_unreachable(&mut self, device: DeviceId, now: Instant) -> bool {
        if self.away.contains_key(&device) || self.away.len() >= MAX_AWAY {
            return false;
        }
        let away = Away {
            since: now,
            due: now,
            slack: Duration::ZERO,
            wait: FIRST_WAIT,
            settled: None,
        };
        self.away.insert(device, away);
        true
    }

    /// A connection with `device` is up (or it is no longer looked for): forget it.
    pub fn handle_reached(&mut self, device: &DeviceId) {
        self.away.remove(device);
    }

    /// When the next round is due (the earliest due device's time), if any device is away.
    pub fn poll_due(&self) -> Option<Instant> {
        self.away.values().map(|a| a.due).min()
    }

    /// The round held at `now`: every device due by then (or within its slack), earliest first, at most
    /// [`MAX_PER_ROUND`]; each is given its next due time.
    pub fn poll_round(&mut self, now: Instant) -> Vec<DeviceId> {
        let mut due: Vec<(Instant, DeviceId)> = self
            .away
            .iter()
            .filter(|(_, a)| a.due - a.slack <= now)
            .map(|(d, a)| (a.due, *d))
            .collect();
        due.sort();
        due.truncate(MAX_PER_ROUND);
        for (_, device) in &due {
            if let Some(away) = self.away.get_mut(device) {
                next(self.origin, away, now);
            }
        }
        due.into_iter().map(|(_, d)| d).collect()
    }

    /// The epochs whose slots of `device` (under the space keys `keys`, by key id) are worth reading at
    /// `now_secs` (wall clock), newest first: this one, and the one before unless it was read after it
    /// closed with the same keys.
    pub fn epochs_to_read(&self, device: &DeviceId, keys: &[[u8; 8]], now_secs: u64) -> Vec<u64> {
        let this = epoch(now_secs);
        let before = this.saturating_sub(1);
        let settled = self
            .away
            .get(device)
            .and_then(|a| a.settled.as_ref())
            .is_some_and(|(e, read_with)| *e == before && read_with == keys);
        match settled || before == this {
            true => vec![this],
            false => vec![this, before],
        }
    }

    /// `device`'s slots of epoch `read` under `keys` were read to the end at `now_secs`.
    pub fn handle_read(&mut self, device: &DeviceId, read: u64, keys: &[[u8; 8]], now_secs: u64) {
        let closed = (read + 1)
            .saturating_mul(EPOCH_SECS)
            .saturating_add(SETTLED_AFTER_SECS);
        if let Some(away) = self.away.get_mut(device) {
            if now_secs >= closed {
                away.settled = Some((read, keys.to_vec()));
            }
        }
    }
}

/// `away` looked up at `now`: when next (grids count from `origin`).
fn next(origin: Instant, away: &mut Away, now: Instant) {
    let long = now.saturating_duration_since(away.since) >= LONG_AWAY;
    let wait = if long { LONG_CAP } else { away.wait.min(CAP) };
    let (due, slack) = if wait >= CAP {
        // The first grid point at least half a wait away: exactly one wait once on the grid.
        (on_grid(origin, now + wait / 2, wait), Duration::ZERO)
    } else {
        (now + wait, wait / 4)
    };
    away.due = due;
    away.slack = slack;
    away.wait = (away.wait * 2).min(CAP);
}

/// The first instant at or after `at` that is a whole number of `grid` after `origin`.
fn on_grid(origin: Instant, at: Instant, grid: Duration) -> Instant {
    let since = at.saturating_duration_since(origin).as_millis();
    let grid_ms = grid.as_millis().max(1);
    let steps = since.div_ceil(grid_ms);
    let ms = u64::try_from(steps * grid_ms).unwrap_or(u64::MAX);
    origin + Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u16) -> DeviceId {
        let mut d = [0u8; 32];
        d[..2].copy_from_slice(&n.to_be_bytes());
        DeviceId(d)
    }

    /// Runs the schedule from `start` to `end`, holding each round when it is due (a round takes no
    /// time); returns the round times and the devices of each.
    fn simulate(
        s: &mut AwaySchedule,
        until: Instant,
        mut arrivals: Vec<(Instant, DeviceId)>,
    ) -> Vec<(Instant, Vec<DeviceId>)> {
        arrivals.sort();
        let mut arrivals = arrivals.into_iter().peekable();
        let mut rounds = Vec::new();
        loop {
            let next_round = s.poll_due();
            let next_arrival = arrivals.peek().map(|(at, _)| *at);
            let now = match (next_round, next_arrival) {
                (Some(r), Some(a)) if a < r => a,
                (None, Some(a)) => a,
                (Some(r), _) => r,
                (None, None) => break,
            };
            if now >= until {
                break;
            }
            if next_arrival == Some(now) {
                let (at, device) = arrivals.next().unwrap();
                s.handle_unreachable(device, at);
                continue;
            }
            rounds.push((now, s.poll_round(now)));
        }
        rounds
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_device_that_just_dropped_is_looked_up_at_once_then_after_2_4_8_s() {
        let t0 = Instant::now();
        let mut s = AwaySchedule::new(t0);
        assert!(s.handle_unreachable(id(1), t0 + secs(7)));
        assert!(!s.handle_unreachable(id(1), t0 + secs(8)), "already away");
        let rounds = simulate(&mut s, t0 + secs(40), Vec::new());
        let at: Vec<u64> = rounds.iter().map(|(at, _)| (*at - t0).as_secs()).collect();
        assert_eq!(at, [7, 9, 13, 21, 37]);
        // Reached: forgotten; the next drop is looked up at once again.
        s.handle_reached(&id(1));
        assert_eq!(s.poll_due(), None);
        assert!(s.handle_unreachable(id(1), t0 + secs(100)));
        assert_eq!(s.poll_due(), Some(t0 + secs(100)));
    }

    #[test]
    fn the_wait_stops_at_15_minutes_then_at_an_hour_after_a_day_away() {
        let t0 = Instant::now();
        let mut s = AwaySchedule::new(t0);
        let rounds = simulate(
            &mut s,
            t0 + LONG_AWAY + secs(6 * 3600),
            vec![(t0 + secs(5), id(1))],
        );
        let gaps: Vec<Duration> = rounds.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert!(gaps.iter().all(|g| *g <= LONG_CAP + CAP));
        let in_hour = |h: u64| {
            let (from, to) = (t0 + secs(h * 3600), t0 + secs((h + 1) * 3600));
            rounds
                .iter()
                .filter(|(at, _)| *at >= from && *at < to)
                .count()
        };
        // 0, 2, 6, ... 1022 s, then the 15-minute grid.
        assert_eq!(in_hour(0), 12);
        assert_eq!(in_hour(1), 4);
        assert_eq!(in_hour(23), 4);
        assert_eq!(in_hour(25), 1);
        assert_eq!(in_hour(29), 1);
    }

    #[test]
    fn devices_that_went_away_at_different_times_share_their_rounds() {
        let t0 = Instant::now();
        let mut s = AwaySchedule::new(t0);
        // Twenty devices, dropping over 12 s (as when a house's network goes down and they time out).
        let arrivals = (0..20u16)
            .map(|n| (t0 + Duration::from_millis(600 * u64::from(n)), id(n)))
            .collect();
        let rounds = simulate(&mut s, t0 + secs(30 * 3600), arrivals);
        let in_hour = |h: u64| {
            let (from, to) = (t0 + secs(h * 3600), t0 + secs((h + 1) * 3600));
            let hour: Vec<_> = rounds
                .iter()
                .filter(|(at, _)| *at >= from && *at < to)
                .collect();
            let lookups: usize = hour.iter().map(|(_, d)| d.len()).sum();
            (hour.len(), lookups)
        };
        let (first_rounds, first_lookups) = in_hour(0);
        // Each device's own schedule would be 12 rounds of its own in the first hour (240 in all).
        assert!(
            first_rounds <= 40,
            "{first_rounds} rounds in the first hour"
        );
        assert!(first_lookups <= 12 * 20, "{first_lookups}");
        // Then every device at the cap shares the grid's rounds.
        assert_eq!(in_hour(1), (4, 80));
        assert_eq!(in_hour(23), (4, 80));
        assert_eq!(in_hour(25), (1, 20));
        eprintln!(
            "20 devices: first hour {first_rounds} rounds {first_lookups} lookups; hours 2-24: \
             {:?} (rounds, lookups) per hour; after a day: {:?}",
            in_hour(1),
            in_hour(25)
        );
    }

    #[test]
    fn a_device_just_dropped_keeps_its_fast_lookups_among_long_away_ones() {
        let t0 = Instant::now();
        let mut s = AwaySchedule::new(t0);
        for n in 0..5 {
            s.handle_unreachable(id(n), t0);
        }
        let later = t0 + LONG_AWAY + secs(1800);
        let rounds = simulate(&mut s, later, vec![(later - secs(1), id(9))]);
        let of_long = |rounds: &[(Instant, Vec<DeviceId>)]| {
            rounds
                .iter()
                .filter(|(_, d)| d.contains(&id(0)))
                .map(|(at, d)| (*at, d.len()))
                .collect::<Vec<_>>()
        };
        assert!(of_long(&rounds).iter().all(|(_, n)| *n == 5), "they share");
        let rounds = simulate(&mut s, later + secs(3600), Vec::new());
        let of_new: Vec<u64> = rounds
            .iter()
            .filter(|(_, d)| d.contains(&id(9)))
            .map(|(at, _)| (*at - later).as_secs())
            .take(4)
            .collect();
        // It dropped at later - 1 s and was looked up then (in the simulate call above): then 2, 4, 8 s on.
        assert_eq!(of_new, [1, 5, 13, 29]);
        // The long-away ones: one round in the hour, on the hourly grid, which the new one joins.
        let long = of_long(&rounds);
        assert_eq!(long.len(), 1);
        assert_eq!(long[0].1, 6);
        assert_eq!((long[0].0 - t0).as_secs() % 3600, 0);
    }

    #[test]
    fn the_epoch_before_is_read_until_it_has_settled_then_not_again_this_epoch() {
        let t0 = Instant::now();
        let mut s = AwaySchedule::new(t0);
        let keys = [[1u8; 8]];
        let start = 500_000 * EPOCH_SECS;
        s.handle_unreachable(id(1), t0);
        let both = vec![500_000, 499_999];
        assert_eq!(s.epochs_to_read(&id(1), &keys, start + 10), both);
        // Read just after the epoch began: not settled yet (a late put may still land).
        s.handle_read(&id(1), 499_999, &keys, start + 10);
        assert_eq!(s.epochs_to_read(&id(1), &keys, start + 200), both);
        s.handle_read(&id(1), 499_999, &keys, start + SETTLED_AFTER_SECS);
        assert_eq!(s.epochs_to_read(&id(1), &keys, start + 900), vec![500_000]);
        // Another key (a rotation, a new space in common) reads it again; so does the next epoch.
        assert_eq!(s.epochs_to_read(&id(1), &[[2u8; 8]], start + 900), both);
        assert_eq!(
            s.epochs_to_read(&id(1), &keys, start + EPOCH_SECS),
            vec![500_001, 500_000]
        );
        // A device not away (reached meanwhile) gets both.
        s.handle_reached(&id(1));
        assert_eq!(s.epochs_to_read(&id(1), &keys, start + 900), both);
    }

    #[test]
    fn a_round_takes_at_most_its_share_and_memory_is_bounded() {
        let t0 = Instant::now();
        let mut s = AwaySchedule::new(t0);
        for n in 0..(MAX_AWAY as u16 + 10) {
            s.handle_unreachable(id(n), t0);
        }
        assert_eq!(s.away.len(), MAX_AWAY);
        assert_eq!(s.poll_round(t0).len(), MAX_PER_ROUND);
        assert_eq!(s.poll_due(), Some(t0), "the rest are due at once");
    }
}
