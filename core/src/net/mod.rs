//! The network edge, and the only module that touches sockets: the quinn endpoint with raw-public-key TLS
//! (`tls`), the frame codec (`frame`), the dialer and where it gets addresses (`dialer`), the driver of each
//! connection (`driver`), invite redemption over the wire (`redeem`) and LAN discovery (`lan`, `beacon`).
//! It makes no protocol decision: the offer exchange and replication are `sync`'s state machines, the
//! redemption rules `invite::redeem`'s, the membership answers `space::membership`'s through the engine.
//! One connection per pair of devices; of two, both sides keep the one the smaller device id dialed.

mod beacon;
pub mod close;
mod dialer;
mod driver;
pub mod frame;
mod lan;
mod redeem;
pub mod tls;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ids::{DeviceId, Now};
use crate::lock;
use dialer::Dialer;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;

const EXPORTER_LABEL: &[u8] = b"clearchat/1 exporter";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how a client goes online.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen. Port 0 picks a port once and keeps it across restarts.
    pub listen: SocketAddr,
    /// Announce and listen for LAN beacons.
    pub lan_discovery: bool,
    /// The UDP port of LAN beacons.
    pub lan_port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 0)),
            lan_discovery: true,
            lan_port: beacon::BEACON_PORT,
        }
    }
}

impl Config {
    /// Loopback only, no beacons: what tests and the demo use.
    pub fn loopback() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            lan_discovery: false,
            ..Config::default()
        }
    }
}

struct ConnEntry {
    id: u64,
    dialed_by_me: bool,
    quic: quinn::Connection,
}

/// A running network: created by [`Net::start`], stopped by [`Net::shutdown`].
pub struct Net {
    engine: Arc<Engine>,
    endpoint: quinn::Endpoint,
    addrs: Vec<SocketAddr>,
    conns: Mutex<HashMap<DeviceId, ConnEntry>>,
    dialer: Dialer,
    tasks: Mutex<JoinSet<()>>,
    next_conn: AtomicU64,
}

fn net_err(e: impl std::fmt::Display) -> Error {
    Error::Network(e.to_string())
}

/// The addresses to publish for a bound socket: itself, or for a wildcard bind, loopback plus the
/// host's interface addresses.
fn publishable(bound: SocketAddr) -> Vec<SocketAddr> {
    if !bound.ip().is_unspecified() {
        return vec![bound];
    }
    let mut out = vec![SocketAddr::from(([127, 0, 0, 1], bound.port()))];
    if let Ok(ifaces) = if_addrs::get_if_addrs() {
        for iface in ifaces {
            let ip = iface.ip();
            if !ip.is_loopback() && ip.is_ipv4() == bound.is_ipv4() {
                out.push(SocketAddr::new(ip, bound.port()));
            }
        }
    }
    out.truncate(8);
    out
}

/// The connection's exporter value: what offers and redemption proofs are bound to.
pub(crate) fn exporter(quic: &quinn::Connection) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    quic.export_keying_material(&mut out, EXPORTER_LABEL, b"")
        .map_err(|_| net_err("no keying material"))?;
    Ok(out)
}

impl Net {
    /// Binds the endpoint, publishes where it listens, and starts accepting, dialing and (if configured)
    /// LAN discovery.
    pub async fn start(engine: Arc<Engine>, config: &Config) -> Result<Arc<Net>> {
        let server = tls::server_config(&engine.signer).map_err(net_err)?;
        let mut listen = config.listen;
        let saved_port = engine.saved_port()?;
        if listen.port() == 0 {
            if let Some(port) = saved_port {
                listen.set_port(port);
            }
        }
        let endpoint = match quinn::Endpoint::server(server.clone(), listen) {
            Ok(ep) => ep,
            Err(_) if saved_port.is_some() && config.listen.port() == 0 => {
                quinn::Endpoint::server(server, config.listen).map_err(net_err)?
            }
            Err(e) => return Err(net_err(e)),
        };
        let bound = endpoint.local_addr().map_err(net_err)?;
        let addrs = publishable(bound);
        log::info!("device {} listening on {bound}", engine.me.short());
        let net = Arc::new(Net {
            dialer: Dialer::new(&engine),
            engine,
            endpoint,
            addrs,
            conns: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
            next_conn: AtomicU64::new(1),
        });
        let engine = net.engine.clone();
        let (port, addrs) = (bound.port(), net.addrs.clone());
        crate::blocking(|| engine.listening_at(port, addrs, Now::read()))?;
        net.spawn(driver::accept_loop(net.clone()));
        net.spawn(dialer::dial_loop(net.clone()));
        if config.lan_discovery {
            net.spawn(lan::beacon_loop(net.clone(), config.lan_port));
        }
        Ok(net)
    }

    /// Where this device listens.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
        lock(&self.tasks).spawn(fut);
    }

    /// Closes the endpoint and every connection, and stops every task.
    pub fn shutdown(&self) {
        self.endpoint.close(close::NORMAL, b"stopped");
        lock(&self.tasks).abort_all();
        lock(&self.conns).clear();
        self.engine.went_offline();
    }

    pub async fn wait_closed(&self) {
        // Close frames are already sent; give them a moment to leave, not the full drain period.
        let _ = tokio::time::timeout(Duration::from_millis(200), self.endpoint.wait_idle()).await;
    }

    /// Devices connected now.
    fn connected(&self) -> Vec<DeviceId> {
        lock(&self.conns).keys().copied().collect()
    }

    /// Registers a connection; of two connections between the same devices, both sides keep the one
    /// dialed by the smaller device id (or the newer one if both were dialed the same way).
    fn register(
        &self,
        peer: DeviceId,
        quic: &quinn::Connection,
        dialed_by_me: bool,
    ) -> Option<u64> {
        let mut conns = lock(&self.conns);
        if let Some(old) = conns.get(&peer) {
            let canonical_dialer_is_me = self.engine.me < peer;
            let old_canonical = old.dialed_by_me == canonical_dialer_is_me;
            let new_canonical = dialed_by_me == canonical_dialer_is_me;
            if old_canonical && !new_canonical && old.quic.close_reason().is_none() {
                return None;
            }
            old.quic.close(close::NORMAL, b"duplicate");
        }
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let entry = ConnEntry {
            id,
            dialed_by_me,
            quic: quic.clone(),
        };
        conns.insert(peer, entry);
        Some(id)
    }

    /// Forgets connection `id` with `peer`; true if no connection with `peer` remains.
    fn unregister(&self, peer: &DeviceId, id: u64) -> bool {
        let mut conns = lock(&self.conns);
        if conns.get(peer).is_some_and(|c| c.id == id) {
            conns.remove(peer);
        }
        !conns.contains_key(peer)
    }
}
