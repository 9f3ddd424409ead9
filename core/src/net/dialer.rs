//! Dialing: the loop that keeps a connection with every device to reach (the engine's membership answer),
//! with a backoff per device, and dialing an inviter for a redemption. Where a device can be reached the
//! dialer asks one thing, its discoveries ([`Discovery`]); a device none of them can reach is told to the
//! engine as unreachable.

use super::discovery::{Cached, Discovery};
use super::{driver, net_err, tls, Net, HANDSHAKE_TIMEOUT};
use crate::engine::{Command, Engine};
use crate::error::{Error, Result};
use crate::ids::DeviceId;
use crate::invite::InviteCode;
use crate::lock;
use crate::space::Role;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinSet;

const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// A dial not done after this long makes the device count as unreachable for discovery (the DHT looks
/// it up while the dial goes on).
const SLOW_DIAL: Duration = Duration::from_millis(1500);
/// The delay between dialing one address of a device and the next.
const STAGGER: Duration = Duration::from_millis(250);
/// How long the inviting device has to answer a redemption before the other devices the code names are
/// dialed too: the device that issued the invite serves it whenever it is there.
const OTHER_DEVICES_AFTER: Duration = Duration::from_secs(2);

pub(super) struct Dialer {
    discoveries: Vec<Arc<dyn Discovery>>,
    /// Devices being dialed now, each with what tells its dial that new addresses were found (the dial
    /// then starts over with them rather than wait out the old ones).
    dialing: Mutex<HashMap<DeviceId, Arc<Notify>>>,
    /// When each device may be dialed again, and the wait after the next failure.
    backoff: Mutex<HashMap<DeviceId, (Instant, Duration)>>,
    wake: Notify,
}

impl Dialer {
    /// A dialer asking the store's cache, then `more`.
    pub fn new(engine: &Arc<Engine>, more: Vec<Arc<dyn Discovery>>) -> Dialer {
        let mut discoveries: Vec<Arc<dyn Discovery>> = vec![Arc::new(Cached(engine.clone()))];
        discoveries.extend(more);
        Dialer {
            discoveries,
            dialing: Mutex::new(HashMap::new()),
            backoff: Mutex::new(HashMap::new()),
            wake: Notify::new(),
        }
    }

    /// Tells every discovery my addresses.
    pub fn publish(&self, mine: &[SocketAddr]) {
        for discovery in &self.discoveries {
            discovery.publish(mine);
        }
    }

    /// Addresses to try for `device`, best first, from every discovery.
    fn resolve(&self, device: &DeviceId, unreachable: bool) -> Vec<SocketAddr> {
        let mut out: Vec<SocketAddr> = Vec::new();
        for discovery in &self.discoveries {
            for addr in discovery.resolve(device, unreachable) {
                if !out.contains(&addr) {
                    out.push(addr);
                }
            }
        }
        out
    }

    /// A connection with `device` is up (dialed or accepted): no backoff, nothing more to look for.
    pub fn reached(&self, device: &DeviceId) {
        lock(&self.backoff).remove(device);
        for discovery in &self.discoveries {
            discovery.reached(device);
        }
    }

    /// Whether a dial of `device` failed since it was last connected.
    fn failed(&self, device: &DeviceId) -> bool {
        lock(&self.backoff).contains_key(device)
    }

    /// Look again now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Dial `device` at the next look, whatever its backoff.
    pub fn forgive(&self, device: &DeviceId) {
        lock(&self.backoff).remove(device);
        if let Some(found) = lock(&self.dialing).get(device) {
            found.notify_one();
        }
        self.wake();
    }

    /// Marks `device` as being dialed (by a redemption); returns false if it was.
    pub fn claim(&self, device: DeviceId) -> bool {
        self.claim_notified(device).is_some()
    }

    /// Marks `device` as being dialed; returns what tells that new addresses were found, or None if it
    /// was being dialed already.
    fn claim_notified(&self, device: DeviceId) -> Option<Arc<Notify>> {
        let mut dialing = lock(&self.dialing);
        if dialing.contains_key(&device) {
            return None;
        }
        let found = Arc::new(Notify::new());
        dialing.insert(device, found.clone());
        Some(found)
    }

    pub fn release(&self, device: &DeviceId) {
        lock(&self.dialing).remove(device);
    }

    /// After a dial of `device` ended: wait longer before the next.
    fn back_off(&self, device: DeviceId) {
        let mut backoff = lock(&self.backoff);
        let wait = backoff
            .get(&device)
            .map(|(_, d)| (*d * 2).min(BACKOFF_MAX))
            .unwrap_or(BACKOFF_MIN);
        backoff.insert(device, (Instant::now() + wait, wait));
    }
}

/// A handshake with `peer` (pinned to its id) at the first of `addrs` that answers: each address is tried
/// [`STAGGER`] after the one before it without waiting for it to fail, so a stale address costs a moment,
/// not a handshake timeout.
pub(super) async fn connect(
    net: &Net,
    peer: DeviceId,
    addrs: &[SocketAddr],
) -> Result<quinn::Connection> {
    let config = tls::client_config(&net.engine.signer, Some(peer.0)).map_err(net_err)?;
    let mut attempts = JoinSet::new();
    for (i, addr) in addrs.iter().copied().enumerate() {
        let (endpoint, config) = (net.endpoint.clone(), config.clone());
        attempts.spawn(async move {
            tokio::time::sleep(STAGGER * i as u32).await;
            let attempt = async {
                let connecting = endpoint
                    .connect_with(config, addr, "clearchat")
                    .map_err(net_err)?;
                connecting.await.map_err(net_err)
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, attempt).await {
                Ok(result) => result,
                Err(_) => Err(Error::Network(format!("{addr} did not answer"))),
            }
        });
    }
    let mut last = Error::Network("no address known".into());
    while let Some(done) = attempts.join_next().await {
        match done {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(e)) => last = e,
            Err(e) => last = net_err(e),
        }
    }
    Err(last)
}

/// Dials the inviting device, and after [`OTHER_DEVICES_AFTER`] also the inviter's other devices the code
/// names; the first handshake wins (each is pinned to its device id) and the other attempts are dropped.
pub(super) async fn connect_to_inviter(
    net: &Arc<Net>,
    code: &InviteCode,
) -> Result<(DeviceId, quinn::Connection)> {
    let mut candidates = vec![(DeviceId(code.inviter), code.addrs.clone(), Duration::ZERO)];
    candidates.extend(
        code.others
            .iter()
            .map(|(d, a)| (DeviceId(*d), vec![*a], OTHER_DEVICES_AFTER)),
    );
    let mut attempts = JoinSet::new();
    for (device, addrs, after) in candidates {
        let net = net.clone();
        attempts.spawn(async move {
            tokio::time::sleep(after).await;
            let quic = connect(&net, device, &addrs).await?;
            Ok::<_, Error>((device, quic))
        });
    }
    let mut last = Error::Network("the code names no address".into());
    while let Some(done) = attempts.join_next().await {
        match done {
            Ok(Ok(found)) => return Ok(found),
            Ok(Err(e)) => last = e,
            Err(e) => last = net_err(e),
        }
    }
    Err(Error::InviterUnreachable {
        reason: last.to_string(),
    })
}

/// Drives a connection I dialed to `peer` (pinned to it) until it ends: opens the stream, and from
/// then on `peer` counts as reached (and, if `claimed` by this dial, no longer as being dialed).
pub(super) async fn drive_dialed(
    net: &Arc<Net>,
    peer: DeviceId,
    quic: quinn::Connection,
    claimed: bool,
) -> Result<()> {
    let (send, recv) = quic.open_bi().await.map_err(net_err)?;
    if claimed {
        net.dialer.release(&peer);
    }
    net.dialer.reached(&peer);
    let opened = driver::Opened {
        quic,
        peer,
        role: Role::Dialer,
        send,
        recv,
        first: None,
        admission: None,
        vouched: None,
    };
    driver::drive(net.clone(), opened).await
}

/// Keeps dialing: when woken, when the engine says devices or addresses changed, and when a backoff ends.
pub(super) async fn dial_loop(net: Arc<Net>) {
    let mut commands = net.engine.subscribe_commands();
    loop {
        let next_retry = dial_due(&net);
        let retry = async {
            match next_retry {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(retry);
        loop {
            tokio::select! {
                _ = net.dialer.wake.notified() => break,
                _ = &mut retry => break,
                command = commands.next() => match command {
                    Some(Command::Dial) => break,
                    Some(Command::Reoffer) => net.spaces_changed(),
                    Some(_) => {}
                    None => return,
                },
            }
        }
    }
}

/// Dials every device to reach that is not connected, has addresses and whose backoff has passed;
/// returns when to look again.
fn dial_due(net: &Arc<Net>) -> Option<Instant> {
    let targets = match net.engine.dial_targets() {
        Ok(t) => t,
        Err(e) => {
            log::warn!("listing peers: {e}");
            return None;
        }
    };
    let now = Instant::now();
    let mut next: Option<Instant> = None;
    let connected: HashSet<DeviceId> = net.connected().into_iter().collect();
    for peer in targets {
        if connected.contains(&peer) || lock(&net.dialer.dialing).contains_key(&peer) {
            continue;
        }
        let failed = net.dialer.failed(&peer);
        let mut addrs = net.dialer.resolve(&peer, failed);
        if addrs.is_empty() {
            // Nothing to try: unreachable until a discovery finds it (which wakes us).
            addrs = net.dialer.resolve(&peer, true);
            if addrs.is_empty() {
                net.engine.unreachable(&peer);
                net.ask_punch(&peer);
                continue;
            }
        }
        let due = lock(&net.dialer.backoff)
            .get(&peer)
            .map(|(at, _)| *at)
            .unwrap_or(now);
        if due > now {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        let Some(found) = net.dialer.claim_notified(peer) else {
            continue;
        };
        let net2 = net.clone();
        net.spawn(async move {
            let connecting = connect(&net2, peer, &addrs);
            tokio::pin!(connecting);
            let slow = tokio::time::sleep(SLOW_DIAL);
            tokio::pin!(slow);
            let mut asked = false;
            let connected = loop {
                tokio::select! {
                    connected = &mut connecting => break connected,
                    _ = &mut slow, if !asked => {
                        // Not answering yet: as good as unreachable for the discoveries that must ask.
                        asked = true;
                        if !net2.connected().contains(&peer) {
                            let _ = net2.dialer.resolve(&peer, true);
                            net2.ask_punch(&peer);
                        }
                    }
                    _ = found.notified() => {
                        // Found elsewhere meanwhile: start over with the new addresses, at once. What
                        // was tried so far did not answer in time: not reachable, as far as we know.
                        if asked && !net2.connected().contains(&peer) {
                            net2.engine.unreachable(&peer);
                        }
                        net2.dialer.release(&peer);
                        net2.dialer.wake();
                        return;
                    }
                }
            };
            let result = match connected {
                Ok(quic) => drive_dialed(&net2, peer, quic, true).await,
                Err(e) => Err(e),
            };
            net2.dialer.release(&peer);
            if let Err(e) = result {
                log::debug!("connection to {} ended: {e}", peer.short());
            }
            if !net2.connected().contains(&peer) {
                net2.engine.unreachable(&peer);
            }
            net2.dialer.back_off(peer);
            net2.dialer.wake();
        });
    }
    next
}
