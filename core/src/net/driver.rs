//! The driver of one established connection: accepts it, runs the offer exchange (`sync::Offers`) and then
//! the replication session (`sync::Session`) over the connection's one stream, until either side ends it.
//! The driver owns everything of its connection: the session, the offers, a read-only view of the store
//! (reads take no lock), and a reader task that decodes and opens incoming entries while the previous
//! batch is being stored. Writes go to the engine.
//!
//! What a peer can make us hold is bounded: frames are read one at a time and their lists are bounded
//! before they are built (`frame`), the reader task starts only once the peer proved a space (a stranger
//! gets one frame read, then the door), entries are decoded only for spaces open on the connection, and
//! the frames waiting for the driver are bounded in bytes: when they fill the budget the reader stops
//! reading, and QUIC's flow control (two batches per connection, `tls`) holds the peer back.

use super::frame::{read_frame, read_frame_within, write_frame, Frame, MAX_OPENING_FRAME_BYTES};
use super::{close, exporter, net_err, redeem, tls, Net, HANDSHAKE_TIMEOUT};
use crate::engine::{Command, LogReader, Subscription};
use crate::error::Result;
use crate::ids::{DeviceId, Now, SpaceId};
use crate::lock;
use crate::log::EntryKeys;
use crate::space::Role;
use crate::sync::{
    decode_entries, Ended, Hello, Incoming, Offerable, Offers, Session, SyncError, SyncFrame,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// What the frames waiting for the driver of one connection may cost, in bytes (see [`Queued::cost`]).
const MAX_QUEUED_BYTES: usize = 8 << 20;
/// A write that has not completed in this long means the peer stopped reading: the connection ends.
const WRITE_STALL: Duration = Duration::from_secs(60);
/// Frames sent in a row before incoming frames are looked at again.
const SEND_BURST: usize = 8;
/// The least delay of relay announcements, and the spread added to it per connection.
const RELAY_DELAY: Duration = Duration::from_millis(20);
const RELAY_JITTER: Duration = Duration::from_millis(20);
/// Batches up to this many entries are stored on the connection's own task when the writer is free (live
/// messages); larger ones (catch-up) on a thread handed the task's worker, so the runtime keeps running.
const INLINE_BATCH: usize = 16;

/// A connection with its stream open, ready to drive.
pub(super) struct Opened {
    pub quic: quinn::Connection,
    pub peer: DeviceId,
    pub role: Role,
    pub send: quinn::SendStream,
    pub recv: quinn::RecvStream,
    /// The acceptor's first frame, already read.
    pub first: Option<Frame>,
    /// An accepted connection's place among the unproven ones, given back once it proved a space.
    pub admission: Option<OwnedSemaphorePermit>,
    /// The space of the invite this device redeemed from the peer on this connection: the peer served
    /// it, so it is a member there even if this device does not know it yet.
    pub vouched: Option<SpaceId>,
}

/// Incoming connections that have not yet proven a space (handshaking, or before their first Hello was
/// judged): more are refused.
const MAX_UNPROVEN: usize = 64;
/// Above this many unproven connections, a new one must first prove its address with a QUIC Retry, so
/// that spoofed sources cannot make us run handshakes.
const RETRY_ABOVE: usize = 8;

pub(super) async fn accept_loop(net: Arc<Net>) {
    let unproven = Arc::new(Semaphore::new(MAX_UNPROVEN));
    while let Some(incoming) = net.endpoint.accept().await {
        let busy = MAX_UNPROVEN - unproven.available_permits();
        if busy >= RETRY_ABOVE && !incoming.remote_address_validated() {
            match incoming.retry() {
                Ok(()) => {
                    net.retries
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(e) => e.into_incoming().ignore(),
            }
            continue;
        }
        let Ok(admission) = unproven.clone().try_acquire_owned() else {
            log::debug!("refused a connection: {MAX_UNPROVEN} are still unproven");
            incoming.refuse();
            continue;
        };
        let net2 = net.clone();
        net.spawn(async move {
            if let Err(e) = accept_one(net2, incoming, admission).await {
                log::debug!("incoming connection ended: {e}");
            }
        });
    }
}

async fn accept_one(
    net: Arc<Net>,
    incoming: quinn::Incoming,
    admission: OwnedSemaphorePermit,
) -> Result<()> {
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
    let mut first = read_first(&mut recv).await?;
    if let Some(request) = first.clone().into_redeem() {
        if !redeem::serve(&net, &quic, peer, request, &mut send).await? {
            return Ok(());
        }
        first = read_first(&mut recv).await?;
    }
    let opened = Opened {
        quic,
        peer,
        role: Role::Acceptor,
        send,
        recv,
        first: Some(first),
        admission: Some(admission),
        vouched: None,
    };
    drive(net, opened).await
}

async fn read_first(recv: &mut quinn::RecvStream) -> Result<Frame> {
    tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        read_frame_within(recv, MAX_OPENING_FRAME_BYTES),
    )
    .await
    .map_err(net_err)?
    .map_err(net_err)
}

/// What the reader task hands the driver: frames, with sync entries of open spaces already decoded,
/// hashed and opened, so that this work overlaps with storing the previous batch.
enum Inbound {
    Frame(Frame),
    Entries(SpaceId, Vec<Incoming>),
}

/// A frame waiting for the driver, holding its share of the connection's byte budget until handled.
struct Queued {
    inbound: Inbound,
    _budget: OwnedSemaphorePermit,
}

impl Queued {
    /// What a frame costs while it waits: its entries' bytes twice (raw, and decoded or opened) and a
    /// decode result each, or the size of the frame for the rest.
    fn cost(frame: &Frame) -> usize {
        const OVERHEAD: usize = std::mem::size_of::<Incoming>() + 64;
        match frame {
            Frame::Sync(SyncFrame::Entries { entries, .. }) => entries
                .iter()
                .map(|e| 2 * e.len() + OVERHEAD)
                .sum::<usize>(),
            Frame::Sync(SyncFrame::Have { heads, .. }) => 64 + heads.len() * 80,
            Frame::Hello { offers, .. } => 64 + offers.len() * 32,
            _ => 1024,
        }
        .min(MAX_QUEUED_BYTES)
    }
}

/// This device's entry keys of each space open on the connection, shared with its reader task so that it
/// can open entries. Refreshed when spaces open and after each stored batch (a batch may bring a new key);
/// an entry the reader could not open is opened by the replica.
type OpeningKeys = Arc<Mutex<HashMap<SpaceId, Arc<EntryKeys>>>>;

async fn read_loop(
    mut recv: quinn::RecvStream,
    frames: mpsc::UnboundedSender<Queued>,
    keys: OpeningKeys,
    budget: Arc<Semaphore>,
) {
    loop {
        match read_frame(&mut recv).await {
            Ok(frame) => {
                // Waits while the frames already queued fill the budget: the peer is held back by flow
                // control meanwhile.
                let cost = Queued::cost(&frame) as u32;
                let Ok(permit) = budget.clone().acquire_many_owned(cost).await else {
                    return;
                };
                let inbound = match frame {
                    Frame::Sync(SyncFrame::Entries { space, entries }) => {
                        // Only spaces open on the connection are decoded; the driver drops the rest.
                        match lock(&keys).get(&space).cloned() {
                            Some(keys) => Inbound::Entries(space, decode_entries(entries, &keys)),
                            None => {
                                Inbound::Frame(Frame::Sync(SyncFrame::Entries { space, entries }))
                            }
                        }
                    }
                    frame => Inbound::Frame(frame),
                };
                let queued = Queued {
                    inbound,
                    _budget: permit,
                };
                if frames.send(queued).is_err() {
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

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How long a connection waits before announcing entries of other authors it relays (see `Session`): long
/// enough for the direct pushes of a message's author to arrive first, short for a chat, and different per
/// connection so that of two devices that both got an entry usually only one announces it to the other.
fn relay_delay() -> Duration {
    RELAY_DELAY + Duration::from_millis(rand::random::<u64>() % RELAY_JITTER.as_millis() as u64)
}

/// One connection's state, owned by its driver task.
struct Conn {
    net: Arc<Net>,
    quic: quinn::Connection,
    peer: DeviceId,
    send: quinn::SendStream,
    offers: Offers,
    session: Session,
    reader: LogReader,
    frames: mpsc::UnboundedReceiver<Queued>,
    keys: OpeningKeys,
    /// Entries received from the peer on this connection, per space.
    received: HashMap<SpaceId, u64>,
    /// The introductions of the peer's last Hello, and the space the peer vouched for (see `Opened`).
    peer_introductions: Vec<Vec<u8>>,
    vouched: Option<SpaceId>,
    /// Frames others give this connection to send (see `Net::send_to`).
    outbox: mpsc::Receiver<Frame>,
}

/// Runs one established connection until it closes.
pub(super) async fn drive(net: Arc<Net>, opened: Opened) -> Result<()> {
    let Opened {
        quic,
        peer,
        role,
        send,
        recv,
        first,
        admission,
        vouched,
    } = opened;
    let reader = net.engine.log_reader()?;
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let keys = OpeningKeys::default();
    let (outbox_tx, outbox) = mpsc::channel(super::OUTBOX);
    let mut recv = recv;
    let mut conn = Conn {
        offers: Offers::new(role, exporter(&quic)?),
        session: Session::new(net.engine.me).with_relay_delay(relay_delay()),
        net,
        quic,
        peer,
        send,
        reader,
        frames,
        keys: keys.clone(),
        received: HashMap::new(),
        peer_introductions: Vec::new(),
        vouched,
        outbox,
    };
    conn.open(role, first, &mut recv).await?;
    drop(admission);
    // The peer proved a space: only now are its frames read ahead.
    let budget = Arc::new(Semaphore::new(MAX_QUEUED_BYTES));
    let _reader_task = AbortOnDrop(tokio::spawn(read_loop(recv, frames_tx, keys, budget)));
    // Subscribed before the spaces' heads are read, so that no log grows unseen in between.
    let mut commands = conn.net.engine.subscribe_commands();
    let Some(conn_id) = conn
        .net
        .register(peer, &conn.quic, role == Role::Dialer, outbox_tx)
    else {
        conn.quic.close(close::NORMAL, b"duplicate");
        return Ok(());
    };
    let engine = conn.net.engine.clone();
    let remote = super::rendezvous::canonical(conn.quic.remote_address());
    crate::blocking(|| engine.peer_connected(&peer, &remote, Now::read()))?;
    conn.net.dialer.reached(&peer);
    log::info!(
        "{} connected to {} ({role:?})",
        engine.me.short(),
        peer.short()
    );
    // Where we see the peer come from: it learns its public address from this.
    let observed = Frame::Observed { addr: remote };
    let result = match conn.write(&observed).await {
        Ok(()) => conn.run(&mut commands).await,
        Err(e) => Err(e),
    };
    let last = conn.net.unregister(&peer, conn_id);
    if let Err(e) = crate::blocking(|| engine.peer_disconnected(&peer, last, Now::read())) {
        log::warn!("recording that {} left: {e}", peer.short());
    }
    conn.net.dialer.wake();
    result
}

impl Conn {
    async fn write(&mut self, frame: &Frame) -> Result<()> {
        match tokio::time::timeout(WRITE_STALL, write_frame(&mut self.send, frame)).await {
            Ok(written) => written.map_err(net_err),
            Err(_) => {
                self.quic.close(close::NORMAL, b"stalled");
                Err(net_err("the peer stopped reading"))
            }
        }
    }

    /// The spaces I would open with the peer, given what it showed (see `Engine::offerable`).
    fn mine(&self) -> Result<Vec<Offerable>> {
        self.net
            .engine
            .offerable(&self.peer, &self.peer_introductions, self.vouched)
    }

    /// Sends a Hello with the entries that made me a member of the spaces it offers.
    async fn write_hello(&mut self, mut hello: Hello, mine: &[Offerable]) -> Result<()> {
        hello.introductions = self.net.engine.introductions(mine)?;
        self.write(&Frame::hello(hello)).await
    }

    /// Ends the connection for a failed frame: the peer's fault or ours.
    fn fault(&self, e: SyncError) -> crate::Error {
        if e.is_peer_fault() {
            self.quic.close(close::PROTOCOL, b"protocol");
        } else {
            log::error!("sync with {} stopped: {e}", self.peer.short());
            self.quic.close(close::LOCAL_FAULT, b"");
        }
        net_err(e)
    }

    /// Ends the connection as the offer exchange says.
    fn ended(&self, ended: Ended) -> crate::Error {
        let code = match ended {
            Ended::Stranger | Ended::NothingShared => close::NOT_SHARED,
            Ended::NoLongerShared => close::NORMAL,
        };
        self.quic.close(code, b"");
        net_err(match ended {
            Ended::Stranger => "stranger",
            Ended::NothingShared | Ended::NoLongerShared => "no shared space",
        })
    }

    /// The opening exchange: the dialer offers first; the acceptor answers only a peer that proved a space.
    async fn open(
        &mut self,
        role: Role,
        first: Option<Frame>,
        recv: &mut quinn::RecvStream,
    ) -> Result<()> {
        let theirs = match role {
            Role::Dialer => {
                let mine = self.mine()?;
                let hello = self.offers.hello(&mine, true);
                self.write_hello(hello, &mine).await?;
                match read_first(recv).await? {
                    Frame::Hello {
                        offers,
                        reply,
                        introductions,
                    } => Hello {
                        offers,
                        reply,
                        introductions,
                    },
                    _ => return Err(net_err("peer did not answer our offers")),
                }
            }
            Role::Acceptor => match first {
                Some(Frame::Hello {
                    offers,
                    reply,
                    introductions,
                }) => Hello {
                    offers,
                    reply,
                    introductions,
                },
                _ => {
                    self.quic.close(close::NOT_SHARED, b"");
                    return Err(net_err("peer opened with an unexpected frame"));
                }
            },
        };
        // What the peer showed decides which of my spaces it may open (not only what it proved).
        self.peer_introductions = theirs.introductions.clone();
        let mine = self.mine()?;
        match self.offers.handle_hello(&theirs, &mine) {
            Ok(Some(answer)) => self.write_hello(answer, &mine).await,
            Ok(None) => Ok(()),
            Err(ended) => Err(self.ended(ended)),
        }
    }

    async fn run(&mut self, commands: &mut Subscription<Command>) -> Result<()> {
        self.open_spaces()?;
        loop {
            // Send what is due, a bounded amount at a time so incoming frames are not starved.
            let mut more = false;
            for sent in 0.. {
                let now = Instant::now();
                if !self.session.wants_to_send(now) {
                    break;
                }
                let frame = self
                    .session
                    .poll_transmit(&mut self.reader.logs(), now)
                    .map_err(|e| self.fault(e))?;
                let Some(frame) = frame else { break };
                self.write(&Frame::Sync(frame)).await?;
                if sent + 1 >= SEND_BURST {
                    more = true;
                    break;
                }
            }
            let timeout = self.session.poll_timeout();
            let due = async {
                match timeout {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                queued = self.frames.recv() => match queued {
                    Some(queued) => {
                        if !self.handle(queued.inbound).await? {
                            return Ok(());
                        }
                    }
                    None => return Ok(()),
                },
                command = commands.next() => match command {
                    Some(command) => self.command(command).await?,
                    None => return Ok(()),
                },
                Some(frame) = self.outbox.recv() => self.write(&frame).await?,
                _ = std::future::ready(()), if more => {}
                _ = due => {}
            }
        }
    }

    /// Handles one incoming frame; false when the connection is to end quietly.
    async fn handle(&mut self, inbound: Inbound) -> Result<bool> {
        match inbound {
            Inbound::Frame(Frame::Hello {
                offers,
                reply,
                introductions,
            }) => {
                self.peer_introductions = introductions;
                let mine = self.mine()?;
                let theirs = Hello {
                    offers,
                    reply,
                    introductions: Vec::new(),
                };
                match self.offers.handle_hello(&theirs, &mine) {
                    Ok(answer) => {
                        if let Some(answer) = answer {
                            self.write_hello(answer, &mine).await?;
                        }
                        self.open_spaces()?;
                    }
                    Err(ended) => {
                        let _ = self.ended(ended);
                        return Ok(false);
                    }
                }
            }
            Inbound::Frame(Frame::Sync(SyncFrame::Have { space, heads, full }))
                if self.session.has_space(&space) =>
            {
                let has = self
                    .session
                    .handle_have(space, heads, full, &mut self.reader.logs(), Instant::now())
                    .map_err(|e| self.fault(e))?;
                // Only what the peer holds of my own logs beyond what is delivered changes anything here
                // (message states): the store is not reached, nor a thread handed off, for the rest.
                let (engine, peer) = (self.net.engine.clone(), self.peer);
                if engine.peer_has_news(&has) {
                    crate::blocking(|| engine.peer_has(&peer, &has))?;
                }
            }
            Inbound::Entries(space, entries) if self.session.has_space(&space) => {
                self.store(space, entries)?;
            }
            // Entries the reader left undecoded: their space was not open when they arrived.
            Inbound::Frame(Frame::Sync(SyncFrame::Entries { space, entries }))
                if self.session.has_space(&space) =>
            {
                let keys = lock(&self.keys).get(&space).cloned().unwrap_or_default();
                self.store(space, decode_entries(entries, &keys))?;
            }
            Inbound::Frame(Frame::Observed { addr }) => self.net.observed(&self.peer, addr),
            Inbound::Frame(Frame::PunchAsk { device, addrs, nat }) => {
                let seen_at = super::rendezvous::canonical(self.quic.remote_address());
                self.net
                    .punch_asked(&self.peer, (seen_at, nat), device, &addrs);
            }
            Inbound::Frame(Frame::DialMeNow { device, addrs, nat }) => {
                self.net.dial_me_now(&self.peer, device, &addrs, nat)
            }
            Inbound::Frame(Frame::Sync(_)) | Inbound::Entries(..) => {
                log::debug!("ignored a frame for a space not open on this connection");
            }
            Inbound::Frame(_) => {
                self.quic.close(close::PROTOCOL, b"protocol");
                return Err(net_err("unexpected frame"));
            }
        }
        Ok(true)
    }

    /// Stores a batch of the peer's entries and tells the session what it did.
    fn store(&mut self, space: SpaceId, entries: Vec<Incoming>) -> Result<()> {
        let batch = self
            .session
            .handle_entries(space, entries)
            .map_err(|e| self.fault(e))?;
        let engine = self.net.engine.clone();
        let now = Now::read();
        let stored = match batch.entries.len() <= INLINE_BATCH {
            true => engine.try_store_batch(batch, now),
            false => Err(batch),
        };
        let applied = stored
            .unwrap_or_else(|batch| crate::blocking(|| engine.store_batch(batch, now)))
            .map_err(|e| self.fault(SyncError::Local(e)))?;
        self.session
            .handle_applied(&space, &applied, &mut self.reader.logs())
            .map_err(|e| self.fault(e))?;
        if applied.new_keys {
            self.refresh_keys(&space)?;
            self.net.spaces_changed();
        }
        for (author, ..) in &applied.heads {
            engine.relayed(author, &self.peer);
        }
        if applied.stored > 0 {
            let total = self.received.entry(space).or_insert(0);
            *total += applied.stored as u64;
            engine.sync_progress(space, *total);
        }
        Ok(())
    }

    async fn command(&mut self, command: Command) -> Result<()> {
        match command {
            Command::Grown(space, head) => self.session.local_head(&space, head, Instant::now()),
            Command::Resend(space) => self
                .session
                .resend_have(&space, &mut self.reader.logs())
                .map_err(|e| self.fault(e))?,
            Command::Reoffer => {
                let mine = self.mine()?;
                let hello = self.offers.hello(&mine, true);
                self.write_hello(hello, &mine).await?;
                self.open_spaces()?;
            }
            Command::Dial => {}
        }
        Ok(())
    }

    /// Opens the spaces both sides now offer and closes those no longer shared.
    fn open_spaces(&mut self) -> Result<()> {
        let shared = self.offers.shared();
        let stale: Vec<SpaceId> = self
            .session
            .spaces()
            .filter(|s| !shared.contains(s))
            .copied()
            .collect();
        for space in stale {
            self.session.close_space(&space);
            lock(&self.keys).remove(&space);
        }
        for space in &shared {
            self.session
                .open_space(*space, &mut self.reader.logs())
                .map_err(|e| self.fault(e))?;
            self.refresh_keys(space)?;
        }
        Ok(())
    }

    fn refresh_keys(&self, space: &SpaceId) -> Result<()> {
        if let Some(keys) = self.reader.entry_keys(space)? {
            lock(&self.keys).insert(*space, Arc::new(keys));
        }
        Ok(())
    }
}
