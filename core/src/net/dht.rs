//! Rendezvous on the Mainline DHT, the I/O half (the records and their checks are `rendezvous`'s): one task
//! that takes jobs (publish my addresses; resolve a device), starts a DHT client node for them, and drops
//! it a few seconds after the last job, so that no DHT thread or socket exists while nothing is asked.
//! Publishing happens when my addresses or spaces change and once per epoch (the keys change every hour);
//! a device is resolved only when it is needed and unreachable, again after a wait that doubles from
//! [`RESOLVE_BACKOFF_MIN`] to [`RESOLVE_BACKOFF_MAX`] while it stays unreachable.

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
use tokio::sync::mpsc;

/// How long the node stays up after its last job.
const LINGER: Duration = Duration::from_secs(5);
/// The most a bootstrap, a put or a lookup may take.
const STEP: Duration = Duration::from_secs(15);
/// The wait before looking up an unreachable device again, at first and at most.
const RESOLVE_BACKOFF_MIN: Duration = Duration::from_secs(2);
const RESOLVE_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// Records looked at per lookup, at most (a flood of answers costs no more than this).
const MAX_ITEMS_PER_LOOKUP: usize = 32;
/// Jobs waiting, at most; more are dropped (a later trigger asks again).
const MAX_JOBS: usize = 64;

enum Job {
    Publish,
    Resolve(DeviceId),
}

/// The DHT as a [`Discovery`]: what the dialer and the network hold.
pub(super) struct DhtDiscovery {
    jobs: mpsc::Sender<Job>,
    /// My addresses, as last published.
    mine: Mutex<Vec<SocketAddr>>,
    /// Per device looked up since it was last reached: when it may be looked up again, and the wait after.
    looked_up: Mutex<HashMap<DeviceId, (Instant, Duration)>>,
    pub dropped: DropCounts,
}

impl DhtDiscovery {
    /// The discovery and the receiving end of its jobs, for [`run`].
    pub fn new() -> (Arc<DhtDiscovery>, JobQueue) {
        let (jobs, rx) = mpsc::channel(MAX_JOBS);
        let dht = Arc::new(DhtDiscovery {
            jobs,
            mine: Mutex::new(Vec::new()),
            looked_up: Mutex::new(HashMap::new()),
            dropped: DropCounts::default(),
        });
        (dht, JobQueue(rx))
    }

    /// The spaces or their keys changed: publish where they now say.
    pub fn republish(&self) {
        let _ = self.jobs.try_send(Job::Publish);
    }

    /// After a lookup of `device`: look again when its backoff ends, unless it is reached by then (a dial
    /// of stale addresses may take a handshake timeout; this does not wait for it).
    fn retry_later(self: &Arc<Self>, net: &Net, device: DeviceId) {
        let Some((due, _)) = lock(&self.looked_up).get(&device).copied() else {
            return;
        };
        let dht = self.clone();
        net.spawn(async move {
            tokio::time::sleep_until(due.into()).await;
            // Reached meanwhile (which forgets the device here): nothing more to look for.
            if lock(&dht.looked_up).contains_key(&device) {
                let _ = dht.resolve(&device, true);
            }
        });
    }
}

impl Discovery for DhtDiscovery {
    fn reached(&self, device: &DeviceId) {
        lock(&self.looked_up).remove(device);
    }

    fn publish(&self, mine: &[SocketAddr]) {
        *lock(&self.mine) = mine.to_vec();
        self.republish();
    }

    fn resolve(&self, device: &DeviceId, unreachable: bool) -> Vec<SocketAddr> {
        if unreachable {
            let mut looked_up = lock(&self.looked_up);
            let now = Instant::now();
            let (due, wait) = looked_up
                .get(device)
                .copied()
                .unwrap_or((now, RESOLVE_BACKOFF_MIN));
            if due <= now && self.jobs.try_send(Job::Resolve(*device)).is_ok() {
                looked_up.insert(*device, (now + wait, (wait * 2).min(RESOLVE_BACKOFF_MAX)));
            }
        }
        // What a lookup finds goes to the store and wakes the dialer; nothing is known here now.
        Vec::new()
    }
}

pub(super) struct JobQueue(mpsc::Receiver<Job>);

/// Takes jobs until the network stops; runs a node only while there are jobs.
pub(super) async fn run(
    net: Weak<Net>,
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
        };
        // What this node's peers say of my IP holds for the network it started on.
        let started = Instant::now();
        let Some(node) = start_node(&bootstrap).await else {
            continue;
        };
        let mut job = Some(first);
        while let Some(next) = job.take() {
            let Some(net) = net.upgrade() else { return };
            match next {
                Job::Publish => publish(&net, &dht, &node, &mut published).await,
                Job::Resolve(device) => resolve(&net, &dht, &node, device).await,
            }
            // What the DHT's nodes saw of us: my public IP (a NAT's), once they agree on one.
            if let Some(public) = node.info().await.public_address() {
                net.dht_saw_public_ip(IpAddr::V4(*public.ip()), started);
            }
            drop(net);
            job = match tokio::time::timeout(LINGER, jobs.recv()).await {
                Ok(Some(job)) => Some(job),
                Ok(None) => return,
                Err(_) => None,
            };
        }
        log::debug!("DHT node stopped: no more jobs");
    }
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

/// Looks `device` up in every space we share with it, this epoch and the one before; what opens goes to the
/// store as its addresses, and the dialer tries them at once.
async fn resolve(
    net: &Arc<Net>,
    dht: &Arc<DhtDiscovery>,
    node: &mainline::async_dht::AsyncDht,
    device: DeviceId,
) {
    if net.connected().contains(&device) {
        // Reached since the job was queued: nothing to look for.
        dht.reached(&device);
        return;
    }
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
    let mut best: Option<(i64, Vec<SocketAddr>)> = None;
    for e in [epoch(now), epoch(now).saturating_sub(1)] {
        for key in &keys {
            let slot = Rendezvous::new(key, e, &device);
            let mut items = node.get_mutable(&slot.public_key(), Some(&slot.salt), None);
            let deadline = tokio::time::Instant::now() + STEP;
            for _ in 0..MAX_ITEMS_PER_LOOKUP {
                let Ok(Some(item)) = tokio::time::timeout_at(deadline, items.next()).await else {
                    break;
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
        if best.is_some() {
            break;
        }
    }
    let Some((_, addrs)) = best else {
        log::info!("{} has no record in the DHT", device.short());
        dht.retry_later(net, device);
        return;
    };
    // The record may predate the device's latest move: look again while it stays unreachable.
    dht.retry_later(net, device);
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
