//! Rendezvous on the Mainline DHT, the I/O half (the records and their checks are `rendezvous`'s, when to
//! look whom up is `away`'s): one task that takes jobs (publish my addresses; a round of lookups of the
//! devices due in it), starts a DHT client node for them, and drops it a few seconds after the last job,
//! so that no DHT thread or socket exists while nothing is asked.
//! Publishing happens when my addresses or spaces change and once per epoch (the keys change every hour);
//! a device is looked up only when it is needed and unreachable, in rounds that take every device due
//! (one node session and one bootstrap for all of them), on the schedule of [`AwaySchedule`], which also
//! says which epochs' slots are still worth reading.

use super::away::AwaySchedule;
use super::discovery::Discovery;
use super::rendezvous::{self, epoch, until_next_epoch, DropCounts, Rendezvous};
use super::Net;
use crate::ids::{DeviceId, Now, SpaceId};
use crate::lock;
use futures_lite::StreamExt;
use mainline::{Dht, MutableItem, SigningKey};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// How long the node stays up after its last job.
const LINGER: Duration = Duration::from_secs(5);
/// The most a bootstrap, a put or a lookup may take.
const STEP: Duration = Duration::from_secs(15);
/// Records looked at per lookup, at most (a flood of answers costs no more than this).
const MAX_ITEMS_PER_LOOKUP: usize = 32;
/// Jobs waiting, at most; more are dropped (a later trigger asks again).
const MAX_JOBS: usize = 64;

enum Job {
    Publish,
    /// Look these devices up, together.
    Round(Vec<DeviceId>),
}

/// The time the lookup schedule runs on: the monotonic clock, or (to measure hours of it in minutes) that
/// clock sped up `scale` times. Only the schedule runs on it; a node session, its linger and the
/// epochs keep real time.
struct Clock {
    origin: Instant,
    scale: u32,
}

impl Clock {
    fn now(&self) -> Instant {
        self.origin + self.origin.elapsed() * self.scale
    }

    /// The real time until schedule time `at`.
    fn until(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.now()) / self.scale
    }
}

/// The DHT as a [`Discovery`]: what the dialer and the network hold.
pub(super) struct DhtDiscovery {
    jobs: mpsc::Sender<Job>,
    /// My addresses, as last published.
    mine: Mutex<Vec<SocketAddr>>,
    /// The devices looked for since they were last reached, and when each is due.
    away: Mutex<AwaySchedule>,
    clock: Clock,
    /// Told when a device is newly away (a round is due at once).
    wake: Notify,
    pub dropped: DropCounts,
}

impl DhtDiscovery {
    /// The discovery and the receiving end of its jobs, for [`run`]; its lookup schedule runs `scale`
    /// times faster than real time (1: real time; more is for measuring).
    pub fn new(scale: u32) -> (Arc<DhtDiscovery>, JobQueue) {
        let (jobs, rx) = mpsc::channel(MAX_JOBS);
        let origin = Instant::now();
        let dht = Arc::new(DhtDiscovery {
            jobs,
            mine: Mutex::new(Vec::new()),
            away: Mutex::new(AwaySchedule::new(origin)),
            clock: Clock {
                origin,
                scale: scale.max(1),
            },
            wake: Notify::new(),
            dropped: DropCounts::default(),
        });
        (dht, JobQueue(rx))
    }

    /// The spaces or their keys changed: publish where they now say.
    pub fn republish(&self) {
        let _ = self.jobs.try_send(Job::Publish);
    }

    /// Returns once a round of lookups is due.
    async fn round_due(&self) {
        loop {
            let due = lock(&self.away).poll_due();
            let Some(due) = due else {
                self.wake.notified().await;
                continue;
            };
            let wait = self.clock.until(due);
            if wait.is_zero() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// The round due now, without the devices connected meanwhile.
    fn take_round(&self, net: &Net) -> Job {
        let mut devices = lock(&self.away).poll_round(self.clock.now());
        let connected = net.connected();
        devices.retain(|d| {
            let reached = connected.contains(d);
            if reached {
                self.reached(d);
            }
            !reached
        });
        Job::Round(devices)
    }
}

impl Discovery for DhtDiscovery {
    fn reached(&self, device: &DeviceId) {
        lock(&self.away).handle_reached(device);
    }

    fn publish(&self, mine: &[SocketAddr]) {
        *lock(&self.mine) = mine.to_vec();
        self.republish();
    }

    fn resolve(&self, device: &DeviceId, unreachable: bool) -> Vec<SocketAddr> {
        if unreachable && lock(&self.away).handle_unreachable(*device, self.clock.now()) {
            self.wake.notify_one();
        }
        // What a lookup finds goes to the store and wakes the dialer; nothing is known here now.
        Vec::new()
    }
}

pub(super) struct JobQueue(mpsc::Receiver<Job>);

/// Takes jobs until the network stops; runs a node only while there are jobs.
pub(super) async fn run(
    weak: Weak<Net>,
    dht: Arc<DhtDiscovery>,
    queue: JobQueue,
    bootstrap: Vec<String>,
) {
    let JobQueue(mut jobs) = queue;
    // What each space's record says now: (key id, epoch, addresses).
    let mut published: HashMap<SpaceId, ([u8; 8], u64, Vec<SocketAddr>)> = HashMap::new();
    loop {
        let next_epoch = (!published.is_empty())
            .then(|| Duration::from_secs(until_next_epoch(Now::read().secs()) + 1));
        let first = tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => job,
                None => return,
            },
            _ = sleep_or_never(next_epoch) => Job::Publish,
            _ = dht.round_due() => match weak.upgrade() {
                Some(net) => dht.take_round(&net),
                None => return,
            },
        };
        if matches!(&first, Job::Round(devices) if devices.is_empty()) {
            continue;
        }
        // What this node's peers say of my IP holds for the network it started on.
        let started = Instant::now();
        let Some(node) = start_node(&bootstrap).await else {
            // (A round not held is not held again: its devices are due again later, on their schedule.)
            // The jobs queued meanwhile would start a node that fails the same way (say, on a network
            // without IPv4: the mainline crate speaks only IPv4), one after the other: a later trigger
            // asks again instead.
            let dropped = drop_queued(&mut jobs);
            if dropped > 0 {
                log::info!("dropped {dropped} queued DHT jobs after the failed start");
            }
            continue;
        };
        let mut job = Some(first);
        let mut rounds = 0;
        while let Some(next) = job.take() {
            let Some(net) = weak.upgrade() else { return };
            match next {
                Job::Publish => publish(&net, &dht, &node, &mut published).await,
                Job::Round(devices) if devices.is_empty() => {}
                Job::Round(devices) => {
                    rounds += 1;
                    round(&net, &dht, &node, devices).await;
                }
            }
            // What the DHT's nodes saw of us: my public IP (a NAT's), once they agree on one.
            if let Some(public) = node.info().await.public_address() {
                net.dht_saw_public_ip(IpAddr::V4(*public.ip()), started);
            }
            drop(net);
            job = tokio::select! {
                job = jobs.recv() => match job {
                    Some(job) => Some(job),
                    None => return,
                },
                _ = dht.round_due() => match weak.upgrade() {
                    Some(net) => Some(dht.take_round(&net)),
                    None => return,
                },
                _ = tokio::time::sleep(LINGER) => None,
            };
        }
        log::info!("DHT node stopped after {rounds} lookup rounds: no more jobs");
    }
}

/// Empties `jobs` of what is queued now; returns how many there were.
fn drop_queued(jobs: &mut mpsc::Receiver<Job>) -> usize {
    std::iter::from_fn(|| jobs.try_recv().ok()).count()
}

async fn sleep_or_never(after: Option<Duration>) {
    match after {
        Some(after) => tokio::time::sleep(after).await,
        None => std::future::pending().await,
    }
}

async fn start_node(bootstrap: &[String]) -> Option<mainline::async_dht::AsyncDht> {
    let mut builder = Dht::builder();
    if !bootstrap.is_empty() {
        builder.bootstrap(bootstrap);
    }
    let node = match builder.build() {
        Ok(node) => node.as_async(),
        Err(e) => {
            log::info!("the DHT is unavailable: {e}");
            return None;
        }
    };
    match tokio::time::timeout(STEP, node.bootstrapped()).await {
        Ok(true) => Some(node),
        _ => {
            log::info!("the DHT did not bootstrap");
            None
        }
    }
}

/// Puts my record in every space that needs one (new, its key rotated, my addresses changed, a new epoch).
async fn publish(
    net: &Arc<Net>,
    dht: &DhtDiscovery,
    node: &mainline::async_dht::AsyncDht,
    published: &mut HashMap<SpaceId, ([u8; 8], u64, Vec<SocketAddr>)>,
) {
    let engine = net.engine.clone();
    let spaces = match crate::blocking(|| engine.rendezvous_spaces()) {
        Ok(spaces) => spaces,
        Err(e) => {
            log::warn!("listing spaces for the DHT: {e}");
            return;
        }
    };
    let mine: Vec<SocketAddr> = lock(&dht.mine)
        .iter()
        .copied()
        .filter(rendezvous::dialable)
        .collect();
    published.retain(|space, _| spaces.iter().any(|(s, _)| s == space));
    if mine.is_empty() {
        return;
    }
    let now = Now::read().secs();
    let mut puts = tokio::task::JoinSet::new();
    for (space, key) in spaces {
        let state = (key.key_id(), epoch(now), mine.clone());
        if published.get(&space) == Some(&state) {
            continue;
        }
        let slot = Rendezvous::new(&key, epoch(now), &engine.me);
        let Some(value) = slot.seal(&engine.signer, &mine, now) else {
            continue;
        };
        let item = MutableItem::new(
            SigningKey::from_bytes(&slot.signing_seed),
            &value,
            now as i64,
            Some(&slot.salt),
        );
        let node = node.clone();
        puts.spawn(async move {
            let put = tokio::time::timeout(STEP, node.put_mutable(item, None)).await;
            (space, state, put)
        });
    }
    while let Some(done) = puts.join_next().await {
        let Ok((space, state, put)) = done else {
            continue;
        };
        match put {
            Ok(Ok(outcome)) => {
                log::debug!(
                    "published my record of {} at {} nodes",
                    space.short(),
                    outcome.stored_at
                );
                published.insert(space, state);
            }
            Ok(Err(e)) => log::debug!("publishing my record of {}: {e}", space.short()),
            Err(_) => log::debug!("publishing my record of {}: timed out", space.short()),
        }
    }
}

/// Looks `devices` up, all at once, in the node's session.
async fn round(
    net: &Arc<Net>,
    dht: &Arc<DhtDiscovery>,
    node: &mainline::async_dht::AsyncDht,
    devices: Vec<DeviceId>,
) {
    log::info!("looking up {} devices in one DHT round", devices.len());
    let mut lookups = tokio::task::JoinSet::new();
    for device in devices {
        let (net, dht, node) = (net.clone(), dht.clone(), node.clone());
        lookups.spawn(async move { resolve(&net, &dht, &node, device).await });
    }
    while lookups.join_next().await.is_some() {}
}

/// Looks `device` up in every space we share with it, this epoch and the one before; what opens goes to the
/// store as its addresses, and the dialer tries them at once.
async fn resolve(
    net: &Arc<Net>,
    dht: &Arc<DhtDiscovery>,
    node: &mainline::async_dht::AsyncDht,
    device: DeviceId,
) {
    let engine = net.engine.clone();
    let keys = match crate::blocking(|| engine.rendezvous_keys_of(&device)) {
        Ok(keys) => keys,
        Err(e) => {
            log::warn!("listing keys for the DHT: {e}");
            return;
        }
    };
    let now = Now::read().secs();
    let started = Instant::now();
    let key_ids: Vec<[u8; 8]> = keys.iter().map(|k| k.key_id()).collect();
    let epochs = lock(&dht.away).epochs_to_read(&device, &key_ids, now);
    let mut best: Option<(i64, Vec<SocketAddr>)> = None;
    for e in epochs {
        let mut complete = true;
        for key in &keys {
            let slot = Rendezvous::new(key, e, &device);
            let mut items = node.get_mutable(&slot.public_key(), Some(&slot.salt), None);
            let deadline = tokio::time::Instant::now() + STEP;
            for _ in 0..MAX_ITEMS_PER_LOOKUP {
                let item = match tokio::time::timeout_at(deadline, items.next()).await {
                    Ok(Some(item)) => item,
                    Ok(None) => break,
                    Err(_) => {
                        complete = false;
                        break;
                    }
                };
                match slot.open(&device, item.value(), now) {
                    Ok(addrs) if best.as_ref().is_none_or(|(seq, _)| item.seq() > *seq) => {
                        best = Some((item.seq(), addrs));
                    }
                    Ok(_) => {}
                    Err(why) => {
                        log::debug!("dropped a DHT record for {}: {why:?}", device.short());
                        dht.dropped.count(why);
                    }
                }
            }
        }
        if complete && e < epoch(now) {
            lock(&dht.away).handle_read(&device, e, &key_ids, now);
        }
        if best.is_some() {
            break;
        }
    }
    let Some((_, addrs)) = best else {
        log::info!("{} has no record in the DHT", device.short());
        return;
    };
    // (The record may predate the device's latest move: the schedule looks again while it stays away.)
    log::info!(
        "found {} in the DHT at {addrs:?} in {:?}",
        device.short(),
        started.elapsed()
    );
    let now = Now::read();
    for addr in addrs.iter().rev() {
        if let Err(e) = crate::blocking(|| engine.learned_address(&device, addr, now)) {
            log::warn!("recording a DHT address: {e}");
        }
    }
    net.dialer.forgive(&device);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_start_drops_the_jobs_queued_behind_it_and_later_ones_still_arrive() {
        let (dht, JobQueue(mut jobs)) = DhtDiscovery::new(1);
        for _ in 0..3 {
            dht.republish();
        }
        dht.publish(&[]);
        assert_eq!(drop_queued(&mut jobs), 4);
        assert_eq!(drop_queued(&mut jobs), 0);
        dht.republish();
        assert!(matches!(jobs.try_recv(), Ok(Job::Publish)));
    }
}
