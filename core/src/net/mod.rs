//! The network edge: the quinn endpoint, dialing and accepting, the connection manager (one
//! connection per pair of devices), invite redemption over the wire, and the driver that runs a
//! `sync::Session` over a connection's stream. The only module that touches sockets.

pub mod beacon;
pub mod frame;
pub mod tls;

use crate::client::{blocking, lock, Inner};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, SpaceId};
use crate::invite::{self, InviteCode};
use crate::log::EntryKeys;
use crate::replica::entry_keys_of;
use crate::space::{Role, SpaceKind, SpaceState};
use crate::store;
use crate::sync::{decode_entries, Incoming, Session, SyncError, SyncEvent, SyncFrame};
use frame::{read_frame, write_frame, Frame, Refusal};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;

const EXPORTER_LABEL: &[u8] = b"clearchat/1 exporter";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Incoming frames a connection may queue before we judge the peer abusive.
const MAX_QUEUED_FRAMES: usize = 4096;

/// What the client tells running connections.
#[derive(Clone, Debug)]
pub enum Cmd {
    /// A log grew locally (written here or received elsewhere).
    Grown(SpaceId, DeviceId, u64),
    /// Membership of a space changed: ask the peer to offer again what we refused.
    Resend(SpaceId),
    /// My set of spaces changed: exchange offers again.
    Reoffer,
}

struct ConnEntry {
    id: u64,
    dialed_by_me: bool,
    quic: quinn::Connection,
    cmds: mpsc::UnboundedSender<Cmd>,
}

pub struct Net {
    pub endpoint: quinn::Endpoint,
    pub addrs: Vec<SocketAddr>,
    conns: Mutex<HashMap<DeviceId, ConnEntry>>,
    dialing: Mutex<HashSet<DeviceId>>,
    backoff: Mutex<HashMap<DeviceId, (Instant, Duration)>>,
    tasks: Mutex<JoinSet<()>>,
    wake: Notify,
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

impl Net {
    pub(crate) async fn start(inner: Arc<Inner>) -> Result<Arc<Net>> {
        let server = tls::server_config(&inner.signer).map_err(net_err)?;
        let mut listen = inner.config.listen;
        let saved_port = blocking(|| store::meta_get(&lock(&inner.store).conn, "port"))?
            .and_then(|p| <[u8; 2]>::try_from(p).ok())
            .map(u16::from_be_bytes);
        if listen.port() == 0 {
            if let Some(port) = saved_port {
                listen.set_port(port);
            }
        }
        let endpoint = match quinn::Endpoint::server(server.clone(), listen) {
            Ok(ep) => ep,
            Err(_) if saved_port.is_some() && inner.config.listen.port() == 0 => {
                quinn::Endpoint::server(server, inner.config.listen).map_err(net_err)?
            }
            Err(e) => return Err(net_err(e)),
        };
        let bound = endpoint.local_addr().map_err(net_err)?;
        blocking(|| {
            store::meta_set(
                &lock(&inner.store).conn,
                "port",
                &bound.port().to_be_bytes(),
            )
        })?;
        let addrs = publishable(bound);
        blocking(|| {
            let store = lock(&inner.store);
            for addr in &addrs {
                store::peer_addr_add(&store.conn, &inner.me, addr, crate::ids::now_ms() / 1000)?;
            }
            Ok::<_, Error>(())
        })?;
        log::info!("device {} listening on {bound}", inner.me.short());
        Ok(Arc::new(Net {
            endpoint,
            addrs,
            conns: Mutex::new(HashMap::new()),
            dialing: Mutex::new(HashSet::new()),
            backoff: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
            wake: Notify::new(),
            next_conn: AtomicU64::new(1),
        }))
    }

    pub(crate) fn spawn_tasks(self: &Arc<Self>, inner: Arc<Inner>) {
        let mut tasks = lock(&self.tasks);
        tasks.spawn(accept_loop(inner.clone(), self.clone()));
        tasks.spawn(dial_loop(inner.clone(), self.clone()));
        if inner.config.lan_discovery {
            tasks.spawn(beacon_loop(inner, self.clone()));
        }
    }

    fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
        lock(&self.tasks).spawn(fut);
    }

    pub fn wake_dialer(&self) {
        self.wake.notify_one();
    }

    pub fn broadcast(&self, cmd: Cmd) {
        for conn in lock(&self.conns).values() {
            let _ = conn.cmds.send(cmd.clone());
        }
    }

    /// Closes the endpoint and every connection, and stops every task.
    pub fn shutdown(&self) {
        self.endpoint.close(0u32.into(), b"stopped");
        lock(&self.tasks).abort_all();
        lock(&self.conns).clear();
    }

    pub async fn wait_closed(&self) {
        // Close frames are already sent; give them a moment to leave, not the full drain period.
        let _ = tokio::time::timeout(Duration::from_millis(200), self.endpoint.wait_idle()).await;
    }

    pub fn connected(&self) -> Vec<DeviceId> {
        lock(&self.conns).keys().copied().collect()
    }

    /// Registers a connection; of two connections between the same devices, both sides keep the one
    /// dialed by the smaller device id (or the newer one if both were dialed the same way).
    fn register(&self, me: DeviceId, peer: DeviceId, entry: ConnEntry) -> bool {
        let mut conns = lock(&self.conns);
        if let Some(old) = conns.get(&peer) {
            let canonical_dialer_is_me = me < peer;
            let old_canonical = old.dialed_by_me == canonical_dialer_is_me;
            let new_canonical = entry.dialed_by_me == canonical_dialer_is_me;
            if old_canonical && !new_canonical && old.quic.close_reason().is_none() {
                return false;
            }
            old.quic.close(0u32.into(), b"duplicate");
        }
        conns.insert(peer, entry);
        true
    }

    fn unregister(&self, peer: &DeviceId, id: u64) -> bool {
        let mut conns = lock(&self.conns);
        if conns.get(peer).is_some_and(|c| c.id == id) {
            conns.remove(peer);
        }
        !conns.contains_key(peer)
    }
}

async fn connect(
    inner: &Inner,
    net: &Net,
    peer: DeviceId,
    addrs: &[SocketAddr],
) -> Result<quinn::Connection> {
    let config = tls::client_config(&inner.signer, Some(peer.0)).map_err(net_err)?;
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

/// How long the inviting device has to answer a redemption before the other devices the code names are
/// dialed too: the device that issued the invite serves it whenever it is there.
const OTHER_DEVICES_AFTER: Duration = Duration::from_secs(2);

/// Dials the inviting device, and after [`OTHER_DEVICES_AFTER`] also the inviter's other devices the code
/// names; the first handshake wins (each is pinned to its device id) and the other attempts are dropped.
async fn connect_to_inviter(
    inner: &Arc<Inner>,
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
        let (inner, net) = (inner.clone(), net.clone());
        attempts.spawn(async move {
            tokio::time::sleep(after).await;
            let quic = connect(&inner, &net, device, &addrs).await?;
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

fn exporter(quic: &quinn::Connection) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    quic.export_keying_material(&mut out, EXPORTER_LABEL, b"")
        .map_err(|_| net_err("no keying material"))?;
    Ok(out)
}

async fn accept_loop(inner: Arc<Inner>, net: Arc<Net>) {
    while let Some(incoming) = net.endpoint.accept().await {
        let (inner, net2) = (inner.clone(), net.clone());
        net.spawn(async move {
            if let Err(e) = accept_one(inner, net2, incoming).await {
                log::debug!("incoming connection ended: {e}");
            }
        });
    }
}

async fn accept_one(inner: Arc<Inner>, net: Arc<Net>, incoming: quinn::Incoming) -> Result<()> {
    let quic = tokio::time::timeout(HANDSHAKE_TIMEOUT, incoming)
        .await
        .map_err(net_err)?
        .map_err(net_err)?;
    let peer = tls::peer_device_id(&quic)
        .map(DeviceId)
        .ok_or_else(|| net_err("peer has no device key"))?;
    let (mut send, mut recv) = tokio::time::timeout(HANDSHAKE_TIMEOUT, quic.accept_bi())
        .await
        .map_err(net_err)?
        .map_err(net_err)?;
    let mut first = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_frame(&mut recv))
        .await
        .map_err(net_err)?
        .map_err(net_err)?;
    if let Frame::Redeem {
        invite_id,
        proof,
        device_name,
        person,
        ..
    } = first
    {
        let ex = exporter(&quic)?;
        let reply = match blocking(|| {
            inner.serve_redeem(peer, invite_id, proof, &ex, &device_name, person)
        }) {
            Ok(welcome) => Frame::Welcome(welcome),
            Err(reason) => Frame::Refused { reason },
        };
        write_frame(&mut send, &reply).await.map_err(net_err)?;
        if matches!(reply, Frame::Refused { .. }) {
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_secs(2), quic.closed()).await;
            return Ok(());
        }
        first = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_frame(&mut recv))
            .await
            .map_err(net_err)?
            .map_err(net_err)?;
    }
    drive(
        inner,
        net,
        quic,
        peer,
        Role::Acceptor,
        send,
        recv,
        Some(first),
    )
    .await
}

async fn dial_loop(inner: Arc<Inner>, net: Arc<Net>) {
    loop {
        let next_retry = dial_due(&inner, &net);
        match next_retry {
            Some(at) => {
                tokio::select! {
                    _ = net.wake.notified() => {}
                    _ = tokio::time::sleep_until(at.into()) => {}
                }
            }
            None => net.wake.notified().await,
        }
    }
}

/// Dials every known, unconnected member device whose backoff has passed; returns when to look again.
fn dial_due(inner: &Arc<Inner>, net: &Arc<Net>) -> Option<Instant> {
    let targets = match blocking(|| dial_targets(inner)) {
        Ok(t) => t,
        Err(e) => {
            log::warn!("listing peers: {e}");
            return None;
        }
    };
    let now = Instant::now();
    let mut next: Option<Instant> = None;
    let connected: HashSet<DeviceId> = net.connected().into_iter().collect();
    for (peer, addrs) in targets {
        if connected.contains(&peer) || addrs.is_empty() || lock(&net.dialing).contains(&peer) {
            continue;
        }
        let due = lock(&net.backoff)
            .get(&peer)
            .map(|(at, _)| *at)
            .unwrap_or(now);
        if due > now {
            next = Some(next.map_or(due, |n| n.min(due)));
            continue;
        }
        lock(&net.dialing).insert(peer);
        let (inner, net2) = (inner.clone(), net.clone());
        net.spawn(async move {
            let result = match connect(&inner, &net2, peer, &addrs).await {
                Ok(quic) => match quic.open_bi().await {
                    Ok((send, recv)) => {
                        lock(&net2.dialing).remove(&peer);
                        lock(&net2.backoff).remove(&peer);
                        drive(
                            inner,
                            net2.clone(),
                            quic,
                            peer,
                            Role::Dialer,
                            send,
                            recv,
                            None,
                        )
                        .await
                    }
                    Err(e) => Err(net_err(e)),
                },
                Err(e) => Err(e),
            };
            lock(&net2.dialing).remove(&peer);
            if let Err(e) = result {
                log::debug!("connection to {} ended: {e}", peer.short());
            }
            let mut backoff = lock(&net2.backoff);
            let wait = backoff
                .get(&peer)
                .map(|(_, d)| (*d * 2).min(BACKOFF_MAX))
                .unwrap_or(BACKOFF_MIN);
            backoff.insert(peer, (Instant::now() + wait, wait));
            drop(backoff);
            net2.wake_dialer();
        });
    }
    next
}

/// Announces this device on the LAN and probes devices whose beacons carry a tag of one of my spaces.
async fn beacon_loop(inner: Arc<Inner>, net: Arc<Net>) {
    let port = inner.config.lan_port;
    let socket = match beacon::bind(port).and_then(tokio::net::UdpSocket::from_std) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("LAN discovery is off: cannot bind UDP port {port}: {e}");
            return;
        }
    };
    let instance = beacon::new_instance();
    let quic_port = net.addrs.first().map(|a| a.port()).unwrap_or(0);
    let mut ticker = tokio::time::interval(beacon::BEACON_INTERVAL);
    // When each address was last probed; a failed probe forgets it, so the next beacon probes again.
    let probed: Arc<Mutex<HashMap<SocketAddr, Instant>>> = Default::default();
    let mut buf = vec![0u8; 2048];
    let live_keys = |inner: &Inner| -> Vec<crate::space::SpaceKey> {
        blocking(|| store::spaces(&lock(&inner.store).conn))
            .map(|spaces| {
                spaces
                    .into_iter()
                    .filter(|s| s.state != SpaceState::Closed)
                    .map(|s| s.key)
                    .collect()
            })
            .unwrap_or_default()
    };
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let keys = live_keys(&inner);
                let bytes = beacon::Beacon::for_spaces(instance, quic_port, &keys, beacon::bucket_now()).encode();
                for dest in beacon::destinations(port) {
                    let _ = socket.send_to(&bytes, dest).await;
                }
            }
            received = socket.recv_from(&mut buf) => {
                let Ok((n, src)) = received else { continue };
                let Some(heard) = beacon::Beacon::decode(&buf[..n]) else { continue };
                if heard.instance == instance {
                    continue;
                }
                let keys = live_keys(&inner);
                if heard.matches(&keys, beacon::bucket_now()).is_empty() {
                    continue;
                }
                let addr = SocketAddr::new(src.ip(), heard.quic_port);
                {
                    let mut probed = lock(&probed);
                    if probed.get(&addr).is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
                        continue;
                    }
                    probed.insert(addr, Instant::now());
                }
                // Answer at once so the other side need not wait for our next beacon.
                let ours = beacon::Beacon::for_spaces(instance, quic_port, &keys, beacon::bucket_now()).encode();
                let _ = socket.send_to(&ours, src).await;
                let (inner2, net2, probed2) = (inner.clone(), net.clone(), probed.clone());
                net.spawn(async move {
                    if !probe(&inner2, &net2, addr).await {
                        lock(&probed2).remove(&addr);
                    }
                });
            }
        }
    }
}

/// Learns which device listens at `addr` (a handshake tells its key), and records the address if it is a
/// member of one of my spaces. Returns false if no handshake completed.
async fn probe(inner: &Inner, net: &Net, addr: SocketAddr) -> bool {
    let Ok(config) = tls::client_config(&inner.signer, None) else {
        return false;
    };
    let Ok(connecting) = net.endpoint.connect_with(config, addr, "clearchat") else {
        return false;
    };
    let Ok(Ok(quic)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting).await else {
        log::debug!("LAN probe of {addr}: no handshake");
        return false;
    };
    let peer = tls::peer_device_id(&quic).map(DeviceId);
    quic.close(0u32.into(), b"probe");
    let Some(peer) = peer.filter(|p| *p != inner.me) else {
        return true;
    };
    let known = blocking(|| dial_targets(inner))
        .map(|t| t.iter().any(|(d, _)| *d == peer))
        .unwrap_or(false);
    if known {
        log::info!("found {} on the LAN at {addr}", peer.short());
        let _ = blocking(|| {
            store::peer_addr_add(
                &lock(&inner.store).conn,
                &peer,
                &addr,
                crate::ids::now_ms() / 1000,
            )
        });
        lock(&net.backoff).remove(&peer);
        net.wake_dialer();
    }
    true
}

/// Member devices of my live spaces, with their known addresses.
fn dial_targets(inner: &Inner) -> Result<Vec<(DeviceId, Vec<SocketAddr>)>> {
    let store = lock(&inner.store);
    let c = &store.conn;
    let mut devices = HashSet::new();
    for space in store::spaces(c)? {
        if space.state == SpaceState::Closed {
            continue;
        }
        for (m, _) in store::members(c, &space.id)? {
            if m.removed_after.is_none() && m.device != inner.me {
                devices.insert(m.device);
            }
        }
        if space.root != inner.me {
            devices.insert(space.root);
        }
    }
    devices
        .into_iter()
        .map(|d| Ok((d, store::peer_addrs(c, &d)?)))
        .collect()
}

/// The spaces I offer on a connection with `peer`: live ones where the peer is not a removed member.
/// Offers prove the space's first key, which every member holds, so a member that has not yet received a
/// later key can still sync and receive it; removed members are kept out by membership, and later keys
/// keep what they miss unreadable to them.
fn offerable(inner: &Inner, peer: &DeviceId) -> Result<Vec<(SpaceId, crate::space::SpaceKey)>> {
    let store = lock(&inner.store);
    let c = &store.conn;
    let mut out = Vec::new();
    for space in store::spaces(c)? {
        if space.state == SpaceState::Closed {
            continue;
        }
        let removed = store::member(c, &space.id, peer)?.is_some_and(|m| m.removed_after.is_some());
        let me_removed =
            store::member(c, &space.id, &inner.me)?.is_some_and(|m| m.removed_after.is_some());
        if !removed && !me_removed {
            out.push((space.id, space.key));
        }
    }
    Ok(out)
}

/// The offer state of one connection.
struct Offers {
    role: Role,
    exporter: [u8; 32],
    /// Spaces named in the last Hello we sent.
    sent: HashSet<SpaceId>,
    /// Spaces the peer proved in its last Hello.
    peer: HashSet<SpaceId>,
}

impl Offers {
    fn peer_role(&self) -> Role {
        match self.role {
            Role::Dialer => Role::Acceptor,
            Role::Acceptor => Role::Dialer,
        }
    }

    /// Builds our Hello and remembers what it offered.
    fn hello(&mut self, inner: &Inner, peer: &DeviceId, reply: bool) -> Result<Frame> {
        let spaces = blocking(|| offerable(inner, peer))?;
        self.sent = spaces.iter().map(|(id, _)| *id).collect();
        let offers = spaces
            .iter()
            .map(|(_, key)| key.offer(&self.exporter, self.role))
            .collect();
        Ok(Frame::Hello { offers, reply })
    }

    /// Reads the peer's Hello: which of my spaces it proved.
    fn receive(&mut self, inner: &Inner, peer: &DeviceId, offers: &[[u8; 32]]) -> Result<()> {
        let spaces = blocking(|| offerable(inner, peer))?;
        let peer_role = self.peer_role();
        self.peer = spaces
            .into_iter()
            .filter(|(_, key)| {
                let expected = key.offer(&self.exporter, peer_role);
                offers
                    .iter()
                    .take(4096)
                    .any(|o| crate::space::ct_eq(o, &expected))
            })
            .map(|(id, _)| id)
            .collect();
        Ok(())
    }

    fn shared(&self) -> HashSet<SpaceId> {
        self.sent.intersection(&self.peer).copied().collect()
    }
}

/// Runs one established connection until it closes.
#[allow(clippy::too_many_arguments)]
async fn drive(
    inner: Arc<Inner>,
    net: Arc<Net>,
    quic: quinn::Connection,
    peer: DeviceId,
    role: Role,
    mut send: quinn::SendStream,
    recv: quinn::RecvStream,
    first: Option<Frame>,
) -> Result<()> {
    let mut offers = Offers {
        role,
        exporter: exporter(&quic)?,
        sent: HashSet::new(),
        peer: HashSet::new(),
    };
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let keys = OpeningKeys::default();
    let reader = tokio::spawn(read_loop(recv, frames_tx, keys.clone()));
    let mut inbox = Inbox { frames, keys };
    let _reader_guard = AbortOnDrop(reader);
    // The opening exchange: the dialer offers first; the acceptor answers only a peer that proved a space.
    match role {
        Role::Dialer => {
            let hello = offers.hello(&inner, &peer, true)?;
            write_frame(&mut send, &hello).await.map_err(net_err)?;
            let reply = tokio::time::timeout(HANDSHAKE_TIMEOUT, inbox.frames.recv())
                .await
                .map_err(net_err)?;
            match reply {
                Some(Inbound::Frame(Frame::Hello { offers: theirs, .. })) => {
                    offers.receive(&inner, &peer, &theirs)?
                }
                _ => return Err(net_err("peer did not answer our offers")),
            }
        }
        Role::Acceptor => {
            let Some(Frame::Hello { offers: theirs, .. }) = first else {
                quic.close(1u32.into(), b"");
                return Err(net_err("peer opened with an unexpected frame"));
            };
            offers.receive(&inner, &peer, &theirs)?;
            if offers.peer.is_empty() {
                // A stranger: it learns nothing, not even that we hold any space.
                quic.close(1u32.into(), b"");
                return Err(net_err("stranger"));
            }
            let hello = offers.hello(&inner, &peer, false)?;
            write_frame(&mut send, &hello).await.map_err(net_err)?;
        }
    }
    if offers.shared().is_empty() {
        quic.close(1u32.into(), b"");
        return Err(net_err("no shared space"));
    }
    let (cmd_tx, mut cmds) = mpsc::unbounded_channel();
    let conn_id = net.next_conn.fetch_add(1, Ordering::Relaxed);
    let entry = ConnEntry {
        id: conn_id,
        dialed_by_me: role == Role::Dialer,
        quic: quic.clone(),
        cmds: cmd_tx,
    };
    if !net.register(inner.me, peer, entry) {
        quic.close(0u32.into(), b"duplicate");
        return Ok(());
    }
    let remote = quic.remote_address();
    let _ = blocking(|| {
        store::peer_addr_add(
            &lock(&inner.store).conn,
            &peer,
            &remote,
            crate::ids::now_ms() / 1000,
        )
    });
    let _ =
        blocking(|| store::peer_seen(&lock(&inner.store).conn, &peer, crate::ids::now_ms() / 1000));
    let newly_online = lock(&inner.online).insert(peer);
    if newly_online {
        inner.emit(vec![crate::chat::Event::PeerOnline {
            device_id: peer.to_hex(),
        }]);
    }
    log::info!(
        "{} connected to {} ({:?})",
        inner.me.short(),
        peer.short(),
        role
    );
    let result = run_session(
        &inner,
        &quic,
        peer,
        &mut offers,
        &mut send,
        &mut inbox,
        &mut cmds,
    )
    .await;
    let _ =
        blocking(|| store::peer_seen(&lock(&inner.store).conn, &peer, crate::ids::now_ms() / 1000));
    if net.unregister(&peer, conn_id) && lock(&inner.online).remove(&peer) {
        inner.emit(vec![crate::chat::Event::PeerOffline {
            device_id: peer.to_hex(),
        }]);
    }
    net.wake_dialer();
    result
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the reader task hands the session: frames, with sync entries already decoded, hashed and
/// opened, so that this work overlaps with storing the previous batch instead of holding up the store.
enum Inbound {
    Frame(Frame),
    Entries(SpaceId, Vec<Incoming>),
}

/// This device's entry keys of each space open on a connection, shared with the connection's reader
/// task so that it can open entries. Refreshed when spaces open and after each stored batch (a batch
/// may bring a new key); an entry the reader could not open is opened by the replica.
type OpeningKeys = Arc<Mutex<HashMap<SpaceId, Arc<EntryKeys>>>>;

/// The session's side of the reader task.
struct Inbox {
    frames: mpsc::UnboundedReceiver<Inbound>,
    keys: OpeningKeys,
}

impl Inbox {
    fn refresh_keys(&self, c: &rusqlite::Connection, space: &SpaceId) -> Result<()> {
        if let Some(row) = store::space_get(c, space)? {
            lock(&self.keys).insert(*space, Arc::new(entry_keys_of(&row)));
        }
        Ok(())
    }
}

async fn read_loop(
    mut recv: quinn::RecvStream,
    frames: mpsc::UnboundedSender<Inbound>,
    keys: OpeningKeys,
) {
    loop {
        match read_frame(&mut recv).await {
            Ok(frame) => {
                let inbound = match frame {
                    Frame::Sync(SyncFrame::Entries { space, entries }) => {
                        let keys = lock(&keys).get(&space).cloned().unwrap_or_default();
                        Inbound::Entries(space, decode_entries(entries, &keys))
                    }
                    frame => Inbound::Frame(frame),
                };
                if frames.send(inbound).is_err() {
                    return;
                }
            }
            Err(e) => {
                log::debug!("reading frames: {e}");
                return;
            }
        }
    }
}

async fn run_session(
    inner: &Arc<Inner>,
    quic: &quinn::Connection,
    peer: DeviceId,
    offers: &mut Offers,
    send: &mut quinn::SendStream,
    inbox: &mut Inbox,
    cmds: &mut mpsc::UnboundedReceiver<Cmd>,
) -> Result<()> {
    let mut session = Session::new(inner.me);
    let mut received: HashMap<SpaceId, u64> = HashMap::new();
    sync_open_spaces(inner, &mut session, offers, inbox)?;
    loop {
        // Send what is due, a bounded amount at a time so incoming frames are not starved.
        let mut more = false;
        for i in 0.. {
            if !session.wants_to_send() {
                break;
            }
            let frame = inner.with_replica(|r| Ok(session.poll_transmit(r)))?;
            let Some(frame) = frame else { break };
            write_frame(send, &Frame::Sync(frame))
                .await
                .map_err(net_err)?;
            if i >= 8 {
                more = true;
                break;
            }
        }
        if inbox.frames.len() > MAX_QUEUED_FRAMES {
            quic.close(2u32.into(), b"flood");
            return Err(net_err("peer flooded us"));
        }
        tokio::select! {
            biased;
            frame = inbox.frames.recv() => {
                let Some(frame) = frame else { return Ok(()) };
                match frame {
                    Inbound::Frame(Frame::Hello { offers: theirs, reply }) => {
                        offers.receive(inner, &peer, &theirs)?;
                        if reply {
                            let hello = offers.hello(inner, &peer, false)?;
                            write_frame(send, &hello).await.map_err(net_err)?;
                        }
                        if offers.shared().is_empty() {
                            quic.close(0u32.into(), b"");
                            return Ok(());
                        }
                        sync_open_spaces(inner, &mut session, offers, inbox)?;
                    }
                    Inbound::Frame(Frame::Sync(sync)) if session.has_space(&sync.space()) => {
                        let events = inner.with_replica(|r| Ok(session.handle(sync, r)))?;
                        on_sync_events(inner, quic, &peer, events, &mut received)?;
                    }
                    Inbound::Entries(space, entries) if session.has_space(&space) => {
                        let events = inner.with_replica(|r| {
                            let events = session.handle_entries(space, entries, r);
                            inbox.refresh_keys(r.conn, &space)?;
                            Ok(events)
                        })?;
                        on_sync_events(inner, quic, &peer, events, &mut received)?;
                    }
                    Inbound::Frame(Frame::Sync(_)) | Inbound::Entries(..) => {
                        log::debug!("ignored a frame for a space not open on this connection");
                    }
                    _ => {
                        quic.close(3u32.into(), b"protocol");
                        return Err(net_err("unexpected frame"));
                    }
                }
            }
            cmd = cmds.recv() => {
                let Some(cmd) = cmd else { return Ok(()) };
                match cmd {
                    Cmd::Grown(space, author, seq) => session.local_head(&space, author, seq),
                    Cmd::Resend(space) => inner.with_replica(|r| { session.resend_have(&space, r); Ok(()) })?,
                    Cmd::Reoffer => {
                        let hello = offers.hello(inner, &peer, true)?;
                        write_frame(send, &hello).await.map_err(net_err)?;
                        sync_open_spaces(inner, &mut session, offers, inbox)?;
                    }
                }
            }
            _ = std::future::ready(()), if more => {}
        }
    }
}

/// Opens the spaces both sides now offer and closes those no longer shared.
fn sync_open_spaces(
    inner: &Inner,
    session: &mut Session,
    offers: &Offers,
    inbox: &Inbox,
) -> Result<()> {
    let shared = offers.shared();
    let stale: Vec<SpaceId> = session
        .spaces()
        .filter(|s| !shared.contains(s))
        .copied()
        .collect();
    for space in stale {
        session.close_space(&space);
    }
    inner.with_replica(|r| {
        for space in &shared {
            session.open_space(*space, r);
            inbox.refresh_keys(r.conn, space)?;
        }
        Ok(())
    })
}

/// Acts on what the session learned from a frame; a protocol error closes the connection.
fn on_sync_events(
    inner: &Inner,
    quic: &quinn::Connection,
    peer: &DeviceId,
    events: std::result::Result<Vec<SyncEvent>, SyncError>,
    received: &mut HashMap<SpaceId, u64>,
) -> Result<()> {
    let events = events.map_err(|e| {
        quic.close(3u32.into(), b"protocol");
        net_err(e)
    })?;
    for event in events {
        match event {
            SyncEvent::PeerHas { space, author, seq } => {
                inner.peer_has(&space, peer, &author, seq)?
            }
            SyncEvent::Stored { space, applied } => {
                if applied.stored > 0 {
                    let total = received.entry(space).or_insert(0);
                    *total += applied.stored as u64;
                    inner.emit(vec![crate::chat::Event::SyncProgress {
                        space_id: space.to_hex(),
                        received: *total,
                    }]);
                }
            }
        }
    }
    Ok(())
}

/// Joiner side of an invite: dial the inviter, prove the secret, install what it sends, then keep the
/// connection as an ordinary sync connection.
pub(crate) async fn redeem(inner: Arc<Inner>, text: &str) -> Result<crate::client::Redeemed> {
    let code = InviteCode::parse(text).map_err(|e| Error::InvalidCode { reason: e.reason() })?;
    blocking(|| inner.check_code(&code))?;
    let net = inner.ensure_started().await?;
    let (inviter, quic) = connect_to_inviter(&inner, &net, &code).await?;
    let (mut send, mut recv) = quic.open_bi().await.map_err(net_err)?;
    let me = inner.me()?;
    let frame = Frame::Redeem {
        invite_id: invite::invite_id(&code.secret),
        proof: invite::redeem_proof(&code.secret, &exporter(&quic)?),
        device_name: me.device_name,
        person: inner.person(),
        person_name: me.person_name,
    };
    write_frame(&mut send, &frame).await.map_err(net_err)?;
    let reply = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_frame(&mut recv))
        .await
        .map_err(|_| Error::InviterUnreachable {
            reason: "the inviter did not answer".into(),
        })?
        .map_err(|e| Error::InviterUnreachable {
            reason: e.to_string(),
        })?;
    let welcome = match reply {
        Frame::Welcome(w) => w,
        Frame::Refused { reason } => {
            quic.close(0u32.into(), b"");
            return Err(match reason {
                Refusal::Expired => Error::InviteExpired,
                Refusal::AlreadyUsed => Error::InviteAlreadyUsed,
                Refusal::WrongPurpose => Error::Refused {
                    reason: "the code is for something else".into(),
                },
                Refusal::Unknown => Error::Refused {
                    reason: "the inviting device does not know this invite".into(),
                },
            });
        }
        _ => {
            return Err(Error::Refused {
                reason: "the inviter answered with something unexpected".into(),
            })
        }
    };
    if welcome.kind == SpaceKind::Home && code.purpose != invite::Purpose::Link {
        return Err(Error::Refused {
            reason: "the inviter answered with the wrong kind of space".into(),
        });
    }
    let redeemed = blocking(|| inner.accept_welcome(welcome, code.purpose))?;
    let _ = blocking(|| {
        store::peer_addr_add(
            &lock(&inner.store).conn,
            &inviter,
            &quic.remote_address(),
            crate::ids::now_ms() / 1000,
        )
    });
    let (inner2, net2) = (inner.clone(), net.clone());
    lock(&net.dialing).insert(inviter);
    net.spawn(async move {
        if let Err(e) = drive(
            inner2,
            net2.clone(),
            quic,
            inviter,
            Role::Dialer,
            send,
            recv,
            None,
        )
        .await
        {
            log::debug!("connection to inviter ended: {e}");
        }
        lock(&net2.dialing).remove(&inviter);
        net2.wake_dialer();
    });
    net.wake_dialer();
    Ok(redeemed)
}
