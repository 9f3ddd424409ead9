//! Dialing: the loop that keeps a connection with every device to reach (the engine's membership answer),
//! with a backoff per device, and dialing an inviter for a redemption. Where a device can be reached the
//! dialer asks one thing, an [`AddressLookup`].

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
/// How long the inviting device has to answer a redemption before the other devices the code names are
/// dialed too: the device that issued the invite serves it whenever it is there.
const OTHER_DEVICES_AFTER: Duration = Duration::from_secs(2);

/// Where a device can be reached: the one question the dialer asks.
pub trait AddressLookup: Send + Sync {
    /// Addresses to try for `device`, best first.
    fn resolve(&self, device: &DeviceId) -> Vec<SocketAddr>;
}

/// The addresses the store caches: from invites, `Addresses` entries, LAN probes and past connections.
struct CachedAddresses(Arc<Engine>);

impl AddressLookup for CachedAddresses {
    fn resolve(&self, device: &DeviceId) -> Vec<SocketAddr> {
        self.0.addresses_of(device).unwrap_or_else(|e| {
            log::warn!("reading addresses of {}: {e}", device.short());
            Vec::new()
        })
    }
}

pub(super) struct Dialer {
    lookup: Box<dyn AddressLookup>,
    /// Devices being dialed now.
    dialing: Mutex<HashSet<DeviceId>>,
    /// When each device may be dialed again, and the wait after the next failure.
    backoff: Mutex<HashMap<DeviceId, (Instant, Duration)>>,
    wake: Notify,
}

impl Dialer {
    pub fn new(engine: &Arc<Engine>) -> Dialer {
        Dialer {
            lookup: Box::new(CachedAddresses(engine.clone())),
            dialing: Mutex::new(HashSet::new()),
            backoff: Mutex::new(HashMap::new()),
            wake: Notify::new(),
        }
    }

    /// Look again now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Dial `device` at the next look, whatever its backoff.
    pub fn forgive(&self, device: &DeviceId) {
        lock(&self.backoff).remove(device);
        self.wake();
    }

    /// Marks `device` as being dialed (by a redemption); returns false if it was.
    pub fn claim(&self, device: DeviceId) -> bool {
        lock(&self.dialing).insert(device)
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

/// A handshake with `peer` (pinned to its id) at the first of `addrs` that answers.
pub(super) async fn connect(
    net: &Net,
    peer: DeviceId,
    addrs: &[SocketAddr],
) -> Result<quinn::Connection> {
    let config = tls::client_config(&net.engine.signer, Some(peer.0)).map_err(net_err)?;
    let mut last = Error::Network("no address known".into());
    for addr in addrs {
        let attempt = async {
            let connecting = net
                .endpoint
                .connect_with(config.clone(), *addr, "clearchat")
                .map_err(net_err)?;
            connecting.await.map_err(net_err)
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, attempt).await {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(e)) => last = e,
            Err(_) => last = Error::Network(format!("{addr} did not answer")),
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
        if connected.contains(&peer) || lock(&net.dialer.dialing).contains(&peer) {
            continue;
        }
        let addrs = net.dialer.lookup.resolve(&peer);
        if addrs.is_empty() {
            continue;
        }
        let due = lock(&net.dialer.backoff)
            .get(&peer)
            .map(|(at, _)| *at)
            .unwrap_or(now);
        if due > now {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        net.dialer.claim(peer);
        let net2 = net.clone();
        net.spawn(async move {
            let result = match connect(&net2, peer, &addrs).await {
                Ok(quic) => match quic.open_bi().await {
                    Ok((send, recv)) => {
                        net2.dialer.release(&peer);
                        lock(&net2.dialer.backoff).remove(&peer);
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
                        driver::drive(net2.clone(), opened).await
                    }
                    Err(e) => Err(net_err(e)),
                },
                Err(e) => Err(e),
            };
            net2.dialer.release(&peer);
            if let Err(e) = result {
                log::debug!("connection to {} ended: {e}", peer.short());
            }
            net2.dialer.back_off(peer);
            net2.dialer.wake();
        });
    }
    next
}
