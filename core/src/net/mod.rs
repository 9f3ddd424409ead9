//! The network edge, and the only module that touches sockets: the quinn endpoint with raw-public-key TLS
//! (`tls`), the frame codec (`frame`), the dialer (`dialer`) and where it gets addresses (`discovery`: the
//! store's cache, the Mainline DHT in `dht` with its records in `rendezvous`), the driver of each connection
//! (`driver`), hole punching (`punch`'s decisions, `birthday`'s sockets and probes), invite redemption
//! over the wire (`redeem`) and LAN discovery (`lan`, `beacon`). It listens
//! on IPv6 and IPv4 (one dual-stack socket where the host has IPv6) and publishes its local addresses and
//! its public one (as peers observe it, or as the DHT reports its IP). Told that the network changed
//! ([`Net::network_changed`]: the shell knows, nothing here polls), it reads its addresses again, maps its
//! port on the new router (`portmap`), republishes and redials.
//! It makes no protocol decision: the offer exchange and replication are `sync`'s state machines, the
//! redemption rules `invite::redeem`'s, the membership answers `space::membership`'s through the engine.
//! One connection per pair of devices; of two, both sides keep the one the smaller device id dialed.

mod away;
pub(crate) mod beacon;
mod birthday;
pub mod close;
mod coordination;
mod dht;
mod dialer;
mod discovery;
mod driver;
pub mod frame;
mod lan;
mod nat;
mod portmap;
mod punch;
mod rate_limit;
mod redeem;
pub mod rendezvous;
pub mod tls;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ids::{DeviceId, Now};
use crate::lock;
use crate::secret::SecretStore;
use dialer::Dialer;
use discovery::Discovery;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

const EXPORTER_LABEL: &[u8] = b"clearchat/1 exporter";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a router's mapping is waited on to be deleted (it expires by itself anyway).
const DELETE_WAIT: Duration = Duration::from_secs(5);

/// Where and how a client goes online.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen. Port 0 picks a port once and keeps it across restarts.
    pub listen: SocketAddr,
    /// Announce and listen for LAN beacons.
    pub lan_discovery: bool,
    /// The UDP port of LAN beacons.
    pub lan_port: u16,
    /// Meet devices through the Mainline DHT (publish my addresses, look up the unreachable).
    pub dht: bool,
    /// The DHT's bootstrap nodes (`host:port`); empty: the crate's well-known public ones.
    pub dht_bootstrap: Vec<String>,
    /// How many times faster than real time the DHT's lookup schedule runs: 1, except to measure hours
    /// of it in minutes.
    pub dht_time_scale: u32,
    /// Ask the home router (PCP, then NAT-PMP, then UPnP-IGD with the `upnp` feature) to map the listening
    /// port, and publish the mapped address.
    pub port_mapping: bool,
    /// The home router's address, where the shell knows it and the core cannot read the route table
    /// (Android 10+, iOS): the router asked for a mapping. None: the default route's next hop, else a
    /// guess (see [`Net::network_changed`]).
    pub gateway: Option<IpAddr>,
    /// The phone's keystore, which seals the device's secret key in the store (none: the key is kept in
    /// the owner-only store file, as on a laptop). Used when the client opens, not by the network.
    pub secret_store: Option<Arc<dyn SecretStore>>,
}

impl Default for Config {
    /// Dual-stack on every interface (IPv4 only where the host has no IPv6), LAN beacons, the public DHT.
    fn default() -> Self {
        Config {
            listen: SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
            lan_discovery: true,
            lan_port: beacon::BEACON_PORT,
            dht: true,
            dht_bootstrap: Vec::new(),
            dht_time_scale: 1,
            port_mapping: true,
            gateway: None,
            secret_store: None,
        }
    }
}

impl Config {
    /// Loopback only, no beacons, no DHT, no port mapping: what tests and the demo use.
    pub fn loopback() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            lan_discovery: false,
            dht: false,
            port_mapping: false,
            ..Config::default()
        }
    }
}

struct ConnEntry {
    id: u64,
    dialed_by_me: bool,
    quic: quinn::Connection,
    /// Frames others give the connection's driver to send (punch coordination), at most [`OUTBOX`].
    outbox: tokio::sync::mpsc::Sender<frame::Frame>,
    /// What the peer said of its NAT in its last `PunchAsk`.
    nat: frame::Nat,
}

/// How many frames from others may wait for one connection's driver; more are dropped.
const OUTBOX: usize = 8;

/// A running network: created by [`Net::start`], stopped by [`Net::shutdown`].
pub struct Net {
    engine: Arc<Engine>,
    endpoint: quinn::Endpoint,
    /// The endpoint's own socket (a clone of its descriptor), to send birthday probes from: never read.
    probe_socket: std::net::UdpSocket,
    /// Where the endpoint is bound, and whether for both families.
    bound: SocketAddr,
    dual_stack: bool,
    /// My local addresses to publish (read again on a network change).
    addrs: Mutex<Vec<SocketAddr>>,
    conns: Mutex<HashMap<DeviceId, ConnEntry>>,
    dialer: Dialer,
    /// The DHT, if configured.
    dht: Option<Arc<dht::DhtDiscovery>>,
    /// My public address as last learnt (a peer's observation, or the DHT's IP with my port), and whether
    /// a peer observed it (which beats the DHT's guess).
    public: Mutex<Option<(SocketAddr, bool)>>,
    /// The public address my router maps to my port, while it does (`portmap`).
    mapped: Mutex<Option<SocketAddr>>,
    /// The router's mapping in force, deleted on stop and on a network change.
    mapping: portmap::Slot,
    /// Whether to map the port, on which router (the shell's hint), and the task that keeps the mapping
    /// (aborted on a network change).
    port_mapping: bool,
    gateway: Mutex<Option<IpAddr>>,
    mapping_task: Mutex<Option<tokio::task::AbortHandle>>,
    /// When the network last changed (what a DHT node started before then says of my IP is stale).
    network_changed_at: Mutex<Option<Instant>>,
    /// Hole-punch coordination: what I asked, what I was asked and told, rate-limited (`punch`).
    punch: Mutex<punch::Punches>,
    /// How my NAT maps my port, as my peers' `Observed` frames tell.
    nat: Mutex<nat::Mapping>,
    tasks: Mutex<JoinSet<()>>,
    next_conn: AtomicU64,
    /// QUIC Retries sent to incoming connections (`driver::accept_loop`), for diagnostics and tests.
    retries: AtomicU64,
}

fn net_err(e: impl std::fmt::Display) -> Error {
    Error::Network(e.to_string())
}

/// The addresses to publish for a bound socket: itself, or for a wildcard bind, loopback plus the
/// host's interface addresses (for a dual-stack bind, IPv4 ones and global or unique-local IPv6 ones;
/// never link-local, which needs a scope no peer can know).
fn publishable(bound: SocketAddr, dual_stack: bool) -> Vec<SocketAddr> {
    if !bound.ip().is_unspecified() {
        return vec![bound];
    }
    let mut out = vec![SocketAddr::from(([127, 0, 0, 1], bound.port()))];
    if let Ok(ifaces) = if_addrs::get_if_addrs() {
        for iface in ifaces {
            let ip = iface.ip();
            let family = match ip {
                IpAddr::V4(_) => bound.is_ipv4() || dual_stack,
                IpAddr::V6(_) => bound.is_ipv6(),
            };
            let addr = SocketAddr::new(ip, bound.port());
            if family && !ip.is_loopback() && rendezvous::dialable(&addr) {
                out.push(addr);
            }
        }
    }
    out.truncate(rendezvous::MAX_ADDRS);
    out
}

/// Binds the endpoint's socket: for an IPv6 wildcard, one socket for both families (`IPV6_V6ONLY` off);
/// where the host has no IPv6, the IPv4 wildcard on the same port. Returns the socket and whether it
/// is dual-stack.
fn bind(listen: SocketAddr) -> std::io::Result<(std::net::UdpSocket, bool)> {
    use socket2::{Domain, Protocol, Socket, Type};
    if listen.is_ipv6() && listen.ip().is_unspecified() {
        let dual = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP)).and_then(|s| {
            s.set_only_v6(false)?;
            s.bind(&listen.into())?;
            Ok(s)
        });
        match dual {
            Ok(s) => return Ok((s.into(), true)),
            Err(e) if e.kind() != std::io::ErrorKind::AddrInUse => {
                log::info!("no IPv6 here ({e}): listening on IPv4 only");
                let v4 = SocketAddr::from(([0, 0, 0, 0], listen.port()));
                return Ok((std::net::UdpSocket::bind(v4)?, false));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((std::net::UdpSocket::bind(listen)?, false))
}

/// The endpoint, a clone of its socket (to send probes from) and whether it is dual-stack.
fn endpoint(
    server: quinn::ServerConfig,
    listen: SocketAddr,
) -> std::io::Result<(quinn::Endpoint, std::net::UdpSocket, bool)> {
    let (socket, dual_stack) = bind(listen)?;
    let probe_socket = socket.try_clone()?;
    let runtime = quinn::default_runtime()
        .ok_or_else(|| std::io::Error::other("no async runtime for the endpoint"))?;
    let endpoint = quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        Some(server),
        socket,
        runtime,
    )?;
    Ok((endpoint, probe_socket, dual_stack))
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
        let (endpoint, probe_socket, dual_stack) = match endpoint(server.clone(), listen) {
            Ok(ep) => ep,
            Err(_) if saved_port.is_some() && config.listen.port() == 0 => {
                endpoint(server, config.listen).map_err(net_err)?
            }
            Err(e) => return Err(net_err(e)),
        };
        let bound = endpoint.local_addr().map_err(net_err)?;
        let addrs = publishable(bound, dual_stack);
        log::info!("device {} listening on {bound}", engine.me.short());
        let (dht, jobs) = match config.dht {
            true => {
                let (dht, jobs) = dht::DhtDiscovery::new(config.dht_time_scale);
                (Some(dht), Some(jobs))
            }
            false => (None, None),
        };
        let more: Vec<Arc<dyn Discovery>> = dht
            .iter()
            .map(|d| d.clone() as Arc<dyn Discovery>)
            .collect();
        let net = Arc::new(Net {
            dialer: Dialer::new(&engine, more),
            engine,
            endpoint,
            probe_socket,
            nat: Mutex::new(nat::Mapping::new(bound.port())),
            bound,
            dual_stack,
            addrs: Mutex::new(addrs),
            conns: Mutex::new(HashMap::new()),
            dht,
            public: Mutex::new(None),
            mapped: Mutex::new(None),
            mapping: portmap::Slot::default(),
            port_mapping: config.port_mapping,
            gateway: Mutex::new(config.gateway),
            mapping_task: Mutex::new(None),
            network_changed_at: Mutex::new(None),
            punch: Mutex::new(punch::Punches::default()),
            tasks: Mutex::new(JoinSet::new()),
            next_conn: AtomicU64::new(1),
            retries: AtomicU64::new(0),
        });
        let engine = net.engine.clone();
        let (port, addrs) = (bound.port(), net.addrs());
        crate::blocking(|| engine.listening_at(port, addrs, Now::read()))?;
        if let (Some(dht), Some(jobs)) = (net.dht.clone(), jobs) {
            let bootstrap = config.dht_bootstrap.clone();
            net.spawn(dht::run(Arc::downgrade(&net), dht, jobs, bootstrap));
        }
        net.map_port(false);
        net.publish();
        net.spawn(driver::accept_loop(net.clone()));
        net.spawn(dialer::dial_loop(net.clone()));
        if config.lan_discovery {
            net.spawn(lan::beacon_loop(net.clone(), config.lan_port));
        }
        Ok(net)
    }

    /// Where this device listens: its local addresses.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        lock(&self.addrs).clone()
    }

    /// The UDP port the endpoint listens on.
    fn port(&self) -> u16 {
        self.bound.port()
    }

    /// Starts the task that maps my port on the router (if configured), after deleting the mapping of
    /// the router before (`delete_old`, on a network change: best effort, it may be out of reach).
    fn map_port(self: &Arc<Self>, delete_old: bool) {
        if let Some(old) = lock(&self.mapping_task).take() {
            old.abort();
        }
        if !self.port_mapping {
            return;
        }
        let (net, slot, port) = (Arc::downgrade(self), self.mapping.clone(), self.port());
        let hint = *lock(&self.gateway);
        let local: Vec<IpAddr> = self.addrs().iter().map(|a| a.ip()).collect();
        let task = self.spawn(async move {
            if delete_old {
                let _ = tokio::time::timeout(DELETE_WAIT, portmap::delete(&slot)).await;
            }
            portmap::run(net, slot, port, hint, local).await;
        });
        *lock(&self.mapping_task) = Some(task);
    }

    /// The network changed (another Wi-Fi, mobile data, new addresses; `gateway`: the new router, where
    /// the shell knows it): read my addresses again, forget the public ones and the NAT kind of the
    /// network before, drop the old port mapping and map on the new router, republish (`Addresses`
    /// entries and DHT records), and dial at once every device not connected. Connections stay: QUIC keeps those that survive the
    /// move (a dialed one migrates) and gives up the others at the idle timeout.
    pub fn network_changed(self: &Arc<Self>, gateway: Option<IpAddr>) -> Result<()> {
        let addrs = publishable(self.bound, self.dual_stack);
        log::info!("the network changed: my addresses are now {addrs:?}");
        *lock(&self.addrs) = addrs.clone();
        *lock(&self.gateway) = gateway;
        *lock(&self.network_changed_at) = Some(Instant::now());
        lock(&self.public).take();
        lock(&self.mapped).take();
        // The new network's NAT is learnt afresh from what peers observe.
        *lock(&self.nat) = nat::Mapping::new(self.port());
        let (engine, port) = (self.engine.clone(), self.port());
        crate::blocking(|| engine.listening_at(port, addrs, Now::read()))?;
        self.map_port(true);
        self.publish();
        let targets = self.engine.dial_targets()?;
        let connected = self.connected();
        for peer in targets.iter().filter(|p| !connected.contains(p)) {
            self.dialer.forgive(peer);
        }
        self.dialer.wake();
        Ok(())
    }

    /// How many incoming connections were asked to prove their address with a QUIC Retry.
    pub fn retries_sent(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// My addresses to publish: the local ones, after the one my router maps for me and my public one
    /// when I know them.
    fn mine(&self) -> Vec<SocketAddr> {
        let mut out: Vec<SocketAddr> = lock(&self.mapped).iter().copied().collect();
        let public = lock(&self.public).map(|(a, _)| a);
        for addr in public.iter().chain(&self.addrs()) {
            if !out.contains(addr) {
                out.push(*addr);
            }
        }
        out.truncate(rendezvous::MAX_ADDRS);
        out
    }

    /// Tells every discovery, and the invites I make, where I am now.
    fn publish(&self) {
        let mine = self.mine();
        self.engine.reachable_at(mine.clone());
        self.dialer.publish(&mine);
    }

    /// My spaces or their keys changed: my DHT records follow.
    fn spaces_changed(&self) {
        if let Some(dht) = &self.dht {
            dht.republish();
        }
    }

    /// A member device tells us where it sees us coming from: if that is a public address, it is my
    /// public address (published when it changes), and its port says whether my NAT keeps or changes
    /// ports (`nat::Mapping`, for punching).
    fn observed(&self, by: &DeviceId, addr: SocketAddr) {
        let addr = rendezvous::canonical(addr);
        if !rendezvous::public(&addr) {
            return;
        }
        let nat = addr.is_ipv4().then(|| {
            let mut nat = lock(&self.nat);
            let before = nat.nat();
            nat.handle_observed(*by, addr.port());
            (nat.nat() != before).then_some(nat.nat())
        });
        if let Some(nat) = nat.flatten() {
            log::info!("{} sees me at {addr}: my NAT is {nat:?}", by.short());
        }
        if self.addrs().contains(&addr) {
            return;
        }
        {
            let mut public = lock(&self.public);
            if *public == Some((addr, true)) {
                return;
            }
            *public = Some((addr, true));
        }
        log::info!("{} sees me at {addr}: publishing it", by.short());
        self.publish();
    }

    /// The DHT reported my public IP: with my QUIC port, my public address (right behind a NAT that keeps
    /// ports) unless a peer observed one with the same IP; a different IP means my router was renumbered
    /// since that observation, and the DHT's session is the fresher report. A report of a node started
    /// (at `node_started`) before the network last changed is of the network before: dropped.
    fn dht_saw_public_ip(&self, ip: IpAddr, node_started: Instant) {
        if lock(&self.network_changed_at).is_some_and(|changed| changed > node_started) {
            return;
        }
        let addr = SocketAddr::new(ip, self.port());
        if !rendezvous::public(&addr) || self.addrs().contains(&addr) {
            return;
        }
        {
            let mut public = lock(&self.public);
            if public.is_some_and(|(known, _)| known.ip() == ip) {
                return;
            }
            *public = Some((addr, false));
        }
        log::info!("the DHT sees my IP {ip}: publishing {addr}");
        self.publish();
    }

    /// My router maps `addr` to my port now (`None`: no longer): published when it changes, if public.
    fn mapped(&self, addr: Option<SocketAddr>) {
        let addr = addr.map(rendezvous::canonical).filter(rendezvous::public);
        if std::mem::replace(&mut *lock(&self.mapped), addr) == addr {
            return;
        }
        match addr {
            Some(addr) => log::info!("my router maps {addr} to my port: publishing it"),
            None => log::info!("my router's port mapping is gone"),
        }
        self.publish();
    }

    fn spawn(
        &self,
        fut: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        let mut tasks = lock(&self.tasks);
        // A finished task's entry stays in the set until joined: reap them, so dials and DHT retries of
        // a long-running device do not pile up.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(fut)
    }

    /// Closes the endpoint and every connection, and stops every task.
    pub fn shutdown(&self) {
        self.endpoint.close(close::NORMAL, b"stopped");
        lock(&self.tasks).abort_all();
        // Connections of punching sockets are on endpoints of their own.
        for conn in lock(&self.conns).drain().map(|(_, c)| c) {
            conn.quic.close(close::NORMAL, b"stopped");
        }
        self.engine.went_offline();
    }

    pub async fn wait_closed(&self) {
        // The keeping task is aborted: delete the router's mapping (a bounded wait, it expires anyway).
        let _ = tokio::time::timeout(DELETE_WAIT, portmap::delete(&self.mapping)).await;
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
        outbox: tokio::sync::mpsc::Sender<frame::Frame>,
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
            outbox,
            nat: frame::Nat::Unknown,
        };
        conns.insert(peer, entry);
        Some(id)
    }

    /// Hands `frame` to the driver of the connection with `peer`; false if there is none or its outbox
    /// is full.
    fn send_to(&self, peer: &DeviceId, frame: frame::Frame) -> bool {
        lock(&self.conns)
            .get(peer)
            .is_some_and(|c| c.outbox.try_send(frame).is_ok())
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
