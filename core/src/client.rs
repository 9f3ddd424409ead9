//! The one facade: `Client` opens a data dir, owns the device identity, runs the network on the core's
//! tokio runtime, and serves the async API of DESIGN.md section 6 plus an ordered event stream.
//! Every write goes through a [`Replica`]; after it, `after` fans the effects out (events to
//! subscribers, new heads to connections, reconciliation of home and buddy spaces).

use crate::chat::{self, Buddy, Device, Event, Me, Message};
use crate::error::{Error, Result};
use crate::ids::{now_ms, parse_message_id, DeviceId, MessageKey, PersonId, SpaceId};
use crate::invite::{self, InviteCode, Purpose, QrMatrix};
use crate::log::Body;
use crate::net::frame::{Refusal, Welcome};
use crate::net::{Cmd, Net};
use crate::replica::{Effects, Replica, MAX_MESSAGE_BYTES};
use crate::space::{SpaceKey, SpaceKind, SpaceState};
use crate::store::{self, SpaceRow, Store};
use ed25519_dalek::SigningKey;
use rand::RngCore;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use tokio::sync::mpsc;

/// The core's one tokio runtime, shared by every client in the process.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("clearchat")
            .enable_all()
            .build()
            .expect("the clearchat runtime starts")
    })
}

/// Runs a blocking store operation without stalling the async workers.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

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
            lan_port: crate::net::beacon::BEACON_PORT,
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

/// An invite to show: the text code, the URI for the QR code, and the QR matrix itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Invite {
    pub code: String,
    pub uri: String,
    pub qr: QrMatrix,
    pub purpose: Purpose,
    pub expires_at: u64,
}

/// What a redeemed code did.
#[derive(Clone, Debug, PartialEq)]
pub enum Redeemed {
    /// This device is now a device of `person_name`.
    Linked { person_name: String },
    /// A new buddy space with the inviter.
    Buddy { buddy_id: String, name: String },
}

pub(crate) struct Identity {
    pub person: PersonId,
    pub home: SpaceId,
}

pub(crate) struct Inner {
    pub dir: PathBuf,
    pub store: Mutex<Store>,
    pub signer: SigningKey,
    pub me: DeviceId,
    pub identity: Mutex<Identity>,
    pub config: Config,
    pub net: Mutex<Option<Arc<Net>>>,
    pub online: Mutex<HashSet<DeviceId>>,
    subscribers: Mutex<Vec<(u64, mpsc::UnboundedSender<Event>)>>,
    next_subscriber: std::sync::atomic::AtomicU64,
}

/// One long-lived client per data dir.
pub struct Client {
    inner: Arc<Inner>,
}

/// An ordered stream of events; dropping it stops delivery.
pub struct Subscription {
    id: u64,
    rx: mpsc::UnboundedReceiver<Event>,
    inner: Weak<Inner>,
}

impl Subscription {
    /// The next event, or None once the client is gone.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }
    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            lock(&inner.subscribers).retain(|(id, _)| *id != self.id);
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn on_runtime<T: Send + 'static>(
    f: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    runtime()
        .spawn(f)
        .await
        .map_err(|e| Error::Storage(format!("internal task failed: {e}")))?
}

fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(Error::InvalidName {
            reason: "a name has 1 to 64 characters and no control characters".into(),
        });
    }
    Ok(name.to_string())
}

impl Client {
    /// Opens (or creates) the device in `data_dir`. `device_name` names a new device; an existing one keeps its name.
    pub fn open(data_dir: impl AsRef<Path>, device_name: &str) -> Result<Client> {
        Self::open_with(data_dir, device_name, Config::default())
    }

    pub fn open_with(
        data_dir: impl AsRef<Path>,
        device_name: &str,
        config: Config,
    ) -> Result<Client> {
        let dir = data_dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        let store = Store::open(&dir.join("clearchat.db"))?;
        let c = &store.conn;
        let (signer, identity) = match store::meta_get(c, "device_secret")? {
            Some(secret) => {
                let secret: [u8; 32] = secret
                    .try_into()
                    .map_err(|_| Error::Storage("device key is damaged".into()))?;
                let person = store::meta_get(c, "person")?
                    .and_then(|p| p.try_into().ok())
                    .map(PersonId);
                let home = store::meta_get(c, "home")?
                    .and_then(|h| h.try_into().ok())
                    .map(SpaceId);
                let (Some(person), Some(home)) = (person, home) else {
                    return Err(Error::Storage("identity is incomplete".into()));
                };
                (SigningKey::from_bytes(&secret), Identity { person, home })
            }
            None => {
                let name = validate_name(device_name)?;
                let signer = SigningKey::generate(&mut rand::thread_rng());
                let mut person = [0u8; 16];
                rand::thread_rng().fill_bytes(&mut person);
                let person = PersonId(person);
                let me = DeviceId(signer.verifying_key().to_bytes());
                let home_key = SpaceKey::generate();
                let tx = store::begin(c)?;
                store::meta_set(c, "device_secret", signer.as_bytes())?;
                store::meta_set(c, "device_name", name.as_bytes())?;
                store::meta_set(c, "person", &person.0)?;
                store::meta_set(c, "home", &home_key.space_id().0)?;
                store::space_insert(c, &home_key, SpaceKind::Home, me, "home", now_ms())?;
                let home = store::space_get(c, &home_key.space_id())?.ok_or(Error::Closed)?;
                let mut replica = Replica::new(c, me, person);
                replica.append(
                    &signer,
                    &home,
                    &Body::MemberAdded {
                        device: me,
                        person,
                        name: name.clone(),
                    },
                )?;
                replica.append(&signer, &home, &Body::Hello { person, name })?;
                tx.commit()?;
                (
                    signer,
                    Identity {
                        person,
                        home: home.id,
                    },
                )
            }
        };
        let me = DeviceId(signer.verifying_key().to_bytes());
        log::info!("opened device {} in {}", me.short(), dir.display());
        Ok(Client {
            inner: Arc::new(Inner {
                dir,
                store: Mutex::new(store),
                signer,
                me,
                identity: Mutex::new(identity),
                config,
                net: Mutex::new(None),
                online: Mutex::new(HashSet::new()),
                subscribers: Mutex::new(Vec::new()),
                next_subscriber: Default::default(),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Goes online: listens, dials known devices, syncs. Idempotent.
    pub async fn start(&self) -> Result<()> {
        let inner = self.inner.clone();
        on_runtime(async move { inner.ensure_started().await.map(|_| ()) }).await
    }

    /// Goes offline: closes every connection and stops every timer.
    pub async fn stop(&self) -> Result<()> {
        let inner = self.inner.clone();
        on_runtime(async move {
            inner.stop().await;
            Ok(())
        })
        .await
    }

    pub fn is_started(&self) -> bool {
        lock(&self.inner.net).is_some()
    }

    /// Where this device listens, once started.
    pub fn listen_addrs(&self) -> Vec<SocketAddr> {
        lock(&self.inner.net)
            .as_ref()
            .map(|n| n.addrs.clone())
            .unwrap_or_default()
    }

    pub fn me(&self) -> Result<Me> {
        self.inner.me()
    }

    pub fn subscribe(&self) -> Subscription {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = self
            .inner
            .next_subscriber
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        lock(&self.inner.subscribers).push((id, tx));
        Subscription {
            id,
            rx,
            inner: Arc::downgrade(&self.inner),
        }
    }

    pub async fn set_person_name(&self, name: &str) -> Result<()> {
        let name = validate_name(name)?;
        self.blocking(move |inner| inner.set_person_name(&name))
            .await
    }

    pub async fn rename_device(&self, name: &str) -> Result<()> {
        let name = validate_name(name)?;
        self.blocking(move |inner| inner.rename_device(&name)).await
    }

    pub async fn create_link_invite(&self) -> Result<Invite> {
        self.blocking(|inner| inner.create_invite(Purpose::Link, "", invite::LINK_TTL_SECS))
            .await
    }

    pub async fn create_buddy_invite(&self, label: &str) -> Result<Invite> {
        let label = label.trim().chars().take(64).collect::<String>();
        self.blocking(move |inner| {
            inner.create_invite(Purpose::Buddy, &label, invite::BUDDY_TTL_SECS)
        })
        .await
    }

    /// An invite with a chosen lifetime (0 makes one that is already expired, for tests).
    pub async fn create_invite(
        &self,
        purpose: Purpose,
        label: &str,
        ttl_secs: u64,
    ) -> Result<Invite> {
        let label = label.trim().chars().take(64).collect::<String>();
        self.blocking(move |inner| inner.create_invite(purpose, &label, ttl_secs))
            .await
    }

    /// Redeems a link or buddy code (told by the code). Goes online if needed.
    pub async fn redeem(&self, code: &str) -> Result<Redeemed> {
        let inner = self.inner.clone();
        let code = code.to_string();
        on_runtime(async move { crate::net::redeem(inner, &code).await }).await
    }

    pub async fn buddies(&self) -> Result<Vec<Buddy>> {
        self.blocking(|inner| inner.buddies()).await
    }

    /// A page of the conversation with `buddy` (id or name), oldest first, before message id `before`.
    pub async fn conversation(
        &self,
        buddy: &str,
        before: Option<String>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let buddy = buddy.to_string();
        self.blocking(move |inner| inner.conversation(&buddy, before.as_deref(), limit as usize))
            .await
    }

    pub async fn send(&self, buddy: &str, text: &str) -> Result<Message> {
        let (buddy, text) = (buddy.to_string(), text.to_string());
        self.blocking(move |inner| inner.send(&buddy, &text)).await
    }

    /// Marks everything up to message `up_to` (or the newest, if None) as read.
    pub async fn mark_read(&self, buddy: &str, up_to: Option<String>) -> Result<()> {
        let buddy = buddy.to_string();
        self.blocking(move |inner| inner.mark_read(&buddy, up_to.as_deref()))
            .await
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.blocking(|inner| inner.devices()).await
    }

    pub async fn remove_buddy(&self, buddy: &str) -> Result<()> {
        let buddy = buddy.to_string();
        self.blocking(move |inner| inner.remove_buddy(&buddy)).await
    }

    pub async fn revoke_device(&self, device: &str) -> Result<()> {
        let device = device.to_string();
        self.blocking(move |inner| inner.revoke_device(&device))
            .await
    }

    /// Counts for diagnostics and benchmarks: (entries, forks).
    pub fn stats(&self) -> Result<(u64, u64)> {
        let store = lock(&self.inner.store);
        Ok((
            store::entry_count(&store.conn)?,
            store::fork_count(&store.conn)?,
        ))
    }

    /// The raw store connection, for tests and benchmarks that inspect or seed it.
    pub fn with_store<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        f(&lock(&self.inner.store).conn)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        runtime()
            .spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| Error::Storage(format!("internal task failed: {e}")))?
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(net) = lock(&self.inner.net).take() {
            net.shutdown();
        }
    }
}

impl Inner {
    pub fn person(&self) -> PersonId {
        lock(&self.identity).person
    }

    pub fn home(&self) -> SpaceId {
        lock(&self.identity).home
    }

    pub async fn ensure_started(self: &Arc<Self>) -> Result<Arc<Net>> {
        if let Some(net) = lock(&self.net).clone() {
            return Ok(net);
        }
        let net = Net::start(self.clone()).await?;
        let mut slot = lock(&self.net);
        if let Some(existing) = slot.clone() {
            net.shutdown();
            return Ok(existing);
        }
        *slot = Some(net.clone());
        drop(slot);
        net.spawn_tasks(self.clone());
        self.publish_addresses(&net.addrs)?;
        Ok(net)
    }

    pub async fn stop(&self) {
        let net = lock(&self.net).take();
        if let Some(net) = net {
            net.shutdown();
            net.wait_closed().await;
        }
        lock(&self.online).clear();
    }

    pub fn emit(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let mut subs = lock(&self.subscribers);
        subs.retain(|(_, tx)| events.iter().all(|e| tx.send(e.clone()).is_ok()));
    }

    pub fn broadcast(&self, cmd: Cmd) {
        if let Some(net) = lock(&self.net).as_ref() {
            net.broadcast(cmd);
        }
    }

    /// Runs `f` on a replica over the store, then fans out what it did.
    pub fn with_replica<T>(&self, f: impl FnOnce(&mut Replica) -> Result<T>) -> Result<T> {
        let (result, events, effects) = blocking(|| {
            let store = lock(&self.store);
            let mut replica =
                Replica::new(&store.conn, self.me, self.person()).with_signer(&self.signer);
            let result = f(&mut replica);
            (
                result,
                std::mem::take(&mut replica.events),
                std::mem::take(&mut replica.effects),
            )
        });
        self.after(events, effects);
        result
    }

    fn after(&self, events: Vec<Event>, effects: Effects) {
        self.emit(events);
        for (space, author, seq) in &effects.grown {
            self.broadcast(Cmd::Grown(*space, *author, *seq));
        }
        for space in &effects.membership {
            self.broadcast(Cmd::Resend(*space));
        }
        if effects.spaces_changed || !effects.membership.is_empty() {
            self.broadcast(Cmd::Reoffer);
        }
        if effects.spaces_changed || !effects.membership.is_empty() || effects.addresses {
            if let Some(net) = lock(&self.net).as_ref() {
                net.wake_dialer();
            }
        }
        if effects.reconcile {
            if let Err(e) = self.reconcile() {
                log::warn!("reconciling spaces: {e}");
            }
        }
    }

    fn space(&self, id: &SpaceId) -> Result<SpaceRow> {
        store::space_get(&lock(&self.store).conn, id)?.ok_or(Error::Closed)
    }

    /// Appends `body` to my log of `space`.
    pub fn append(&self, space: &SpaceId, body: Body) -> Result<(u64, u64)> {
        let row = self.space(space)?;
        self.with_replica(|r| r.append(&self.signer, &row, &body))
    }

    /// A fresh key for `space`, sealed to every remaining member device but `removed`.
    fn new_key_for_members(
        &self,
        c: &rusqlite::Connection,
        space: &SpaceId,
        removed: &DeviceId,
    ) -> Result<Body> {
        let key = SpaceKey::generate();
        let keys = store::members(c, space)?
            .into_iter()
            .filter(|(m, _)| m.removed_after.is_none() && m.device != *removed)
            .filter_map(|(m, _)| key.seal_to(&m.device, space))
            .collect();
        Ok(Body::KeysSealed { keys })
    }

    /// Keeps my spaces consistent with my home space: my devices are members of every buddy space I am
    /// in, revoked ones are removed, spaces my buddy left are recorded as left in my home.
    fn reconcile(&self) -> Result<()> {
        let me = self.me;
        let person = self.person();
        let home = self.home();
        let mut todo: Vec<(SpaceId, Body)> = Vec::new();
        {
            let store = lock(&self.store);
            let c = &store.conn;
            let home_members = store::members(c, &home)?;
            for space in store::spaces(c)? {
                if space.kind == SpaceKind::Home {
                    continue;
                }
                if space.state == SpaceState::Closed {
                    // A space closed by my buddy's Left: tell my other devices through home once.
                    let noted = store::meta_get(c, &format!("left:{}", space.id))?.is_some();
                    if !noted {
                        todo.push((home, Body::SpaceLeft { space: space.id }));
                    }
                    continue;
                }
                if space.state != SpaceState::Active {
                    continue;
                }
                let members = store::members(c, &space.id)?;
                let i_am_member = members
                    .iter()
                    .any(|(m, _)| m.device == me && m.removed_after.is_none());
                if !i_am_member {
                    continue;
                }
                for (device, name) in &home_members {
                    let in_space = members.iter().find(|(m, _)| m.device == device.device);
                    match (device.removed_after, in_space) {
                        (None, None) => {
                            todo.push((
                                space.id,
                                Body::MemberAdded {
                                    device: device.device,
                                    person,
                                    name: name.clone(),
                                },
                            ));
                            // A device added after a key rotation needs the later keys.
                            let later: Vec<_> = space.keys[1..]
                                .iter()
                                .filter_map(|k| k.seal_to(&device.device, &space.id))
                                .collect();
                            if !later.is_empty() {
                                todo.push((space.id, Body::KeysSealed { keys: later }));
                            }
                        }
                        (Some(_), Some((m, _))) if m.removed_after.is_none() => {
                            // The new key goes first: a buddy who learns of the removal already
                            // holds the key that keeps what it writes next from the removed device.
                            todo.push((
                                space.id,
                                self.new_key_for_members(c, &space.id, &device.device)?,
                            ));
                            let (last_seq, _) = store::head(c, &space.id, &device.device)?;
                            todo.push((
                                space.id,
                                Body::MemberRemoved {
                                    device: device.device,
                                    last_seq,
                                },
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
        for (space, body) in todo {
            if let Body::SpaceLeft { space: left } = &body {
                store::meta_set(&lock(&self.store).conn, &format!("left:{left}"), b"1")?;
            }
            self.append(&space, body)?;
        }
        Ok(())
    }

    pub fn me(&self) -> Result<Me> {
        let store = lock(&self.store);
        let c = &store.conn;
        let person = self.person();
        let home = self.home();
        let device_name = store::members(c, &home)?
            .into_iter()
            .find(|(m, _)| m.device == self.me)
            .map(|(_, n)| n)
            .or_else(|| {
                store::meta_get(c, "device_name")
                    .ok()
                    .flatten()
                    .and_then(|n| String::from_utf8(n).ok())
            })
            .unwrap_or_default();
        let person_name = store::persons(c, &home)?
            .into_iter()
            .find(|(p, _)| *p == person)
            .map(|(_, n)| n)
            .unwrap_or_default();
        Ok(Me {
            device_id: self.me.to_hex(),
            device_name,
            person_id: person.to_hex(),
            person_name,
        })
    }

    fn set_person_name(&self, name: &str) -> Result<()> {
        let person = self.person();
        for space in self.active_spaces()? {
            self.append(
                &space.id,
                Body::Hello {
                    person,
                    name: name.to_string(),
                },
            )?;
        }
        Ok(())
    }

    fn rename_device(&self, name: &str) -> Result<()> {
        store::meta_set(&lock(&self.store).conn, "device_name", name.as_bytes())?;
        self.append(
            &self.home(),
            Body::DeviceRenamed {
                device: self.me,
                name: name.to_string(),
            },
        )?;
        Ok(())
    }

    fn active_spaces(&self) -> Result<Vec<SpaceRow>> {
        Ok(store::spaces(&lock(&self.store).conn)?
            .into_iter()
            .filter(|s| s.state == SpaceState::Active)
            .collect())
    }

    /// The addresses an invite carries: the running endpoint's, or those it will listen on.
    fn invite_addrs(&self) -> Vec<SocketAddr> {
        if let Some(net) = lock(&self.net).as_ref() {
            return net.addrs.clone();
        }
        store::peer_addrs(&lock(&self.store).conn, &self.me).unwrap_or_default()
    }

    /// My other devices that can serve an invite of mine (they learn it from the home space), each
    /// with the address it was last seen at, most recently seen first.
    fn invite_other_devices(&self) -> Result<Vec<([u8; 32], SocketAddr)>> {
        let store = lock(&self.store);
        let c = &store.conn;
        let mut others: Vec<(u64, [u8; 32], SocketAddr)> = Vec::new();
        for (member, _) in store::members(c, &self.home())? {
            if member.device == self.me || member.removed_after.is_some() {
                continue;
            }
            if let Some(addr) = store::peer_addrs(c, &member.device)?.first() {
                let seen = store::peer_last_seen(c, &member.device)?.unwrap_or(0);
                others.push((seen, member.device.0, *addr));
            }
        }
        others.sort_by_key(|o| std::cmp::Reverse(o.0));
        Ok(others.into_iter().map(|(_, d, a)| (d, a)).collect())
    }

    fn create_invite(&self, purpose: Purpose, label: &str, ttl: u64) -> Result<Invite> {
        let mut secret = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut secret);
        let expires_at = now_ms() / 1000 + ttl;
        let body = Body::InviteIssued {
            id: invite::invite_id(&secret),
            secret,
            purpose,
            label: label.to_string(),
            expires_at,
        };
        self.append(&self.home(), body)?;
        let code = InviteCode {
            purpose,
            secret,
            inviter: self.me.0,
            addrs: self.invite_addrs(),
            others: self.invite_other_devices()?,
            expires_at,
        };
        Ok(Invite {
            code: code.to_text(),
            uri: code.to_uri(),
            qr: code.qr(),
            purpose,
            expires_at,
        })
    }

    /// Checks a code before going online: refuses what is certainly wrong without spending the invite.
    pub fn check_code(&self, code: &InviteCode) -> Result<()> {
        if code.expires_at <= now_ms() / 1000 {
            return Err(Error::InviteExpired);
        }
        let inviter = DeviceId(code.inviter);
        let store = lock(&self.store);
        let c = &store.conn;
        let home = self.home();
        let home_members = store::members(c, &home)?;
        if inviter == self.me {
            return Err(Error::OwnInvite);
        }
        if home_members.iter().any(|(m, _)| m.device == inviter) {
            return Err(if code.purpose == Purpose::Link {
                Error::AlreadyLinked
            } else {
                Error::OwnInvite
            });
        }
        let spaces = store::spaces(c)?;
        match code.purpose {
            Purpose::Buddy => {
                for space in spaces
                    .iter()
                    .filter(|s| s.kind == SpaceKind::Buddy && s.state == SpaceState::Active)
                {
                    if store::member(c, &space.id, &inviter)?.is_some() {
                        let name = chat::buddy_person(c, &space.id, &self.person())?
                            .map(|(_, n)| n)
                            .unwrap_or_default();
                        return Err(Error::AlreadyBuddies { name });
                    }
                }
            }
            Purpose::Link => {
                let has_buddies = spaces.iter().any(|s| s.kind == SpaceKind::Buddy);
                if has_buddies || home_members.len() > 1 {
                    return Err(Error::NotNew);
                }
            }
        }
        Ok(())
    }

    /// Inviter side: a joiner proved an invite secret. Records the redemption and answers.
    pub fn serve_redeem(
        &self,
        joiner: DeviceId,
        invite_id: [u8; 16],
        proof: [u8; 32],
        exporter: &[u8; 32],
        device_name: &str,
        joiner_person: PersonId,
    ) -> std::result::Result<Welcome, Refusal> {
        let invite = store::invite_get(&lock(&self.store).conn, &invite_id)
            .ok()
            .flatten()
            .ok_or(Refusal::Unknown)?;
        if !crate::space::ct_eq(&invite::redeem_proof(&invite.secret, exporter), &proof) {
            return Err(Refusal::Unknown);
        }
        if invite.redeemed_by.is_some_and(|by| by != joiner) {
            return Err(Refusal::AlreadyUsed);
        }
        if invite.expires_at <= now_ms() / 1000 {
            return Err(Refusal::Expired);
        }
        let device_name = validate_name(device_name).unwrap_or_else(|_| "device".into());
        let result = match invite.purpose.as_str() {
            "link" => self.welcome_device(joiner, &device_name),
            _ => self.welcome_buddy(joiner, joiner_person, &device_name, &invite.label),
        };
        let welcome = result.map_err(|e| {
            log::warn!("serving a redemption failed: {e}");
            Refusal::Unknown
        })?;
        if let Err(e) = self.append(
            &self.home(),
            Body::InviteRedeemed {
                id: invite_id,
                by: joiner,
            },
        ) {
            log::warn!("recording a redemption failed: {e}");
        }
        Ok(welcome)
    }

    fn my_person_name(&self) -> String {
        self.me().map(|m| m.person_name).unwrap_or_default()
    }

    fn welcome_device(&self, joiner: DeviceId, name: &str) -> Result<Welcome> {
        let home = self.space(&self.home())?;
        let person = self.person();
        if store::member(&lock(&self.store).conn, &home.id, &joiner)?.is_none() {
            self.append(
                &home.id,
                Body::MemberAdded {
                    device: joiner,
                    person,
                    name: name.to_string(),
                },
            )?;
        }
        Ok(Welcome {
            kind: SpaceKind::Home,
            later_keys: home.keys[1..].to_vec(),
            key: home.key,
            root: home.root,
            label: home.label,
            person,
            person_name: self.my_person_name(),
        })
    }

    fn welcome_buddy(
        &self,
        joiner: DeviceId,
        joiner_person: PersonId,
        name: &str,
        label: &str,
    ) -> Result<Welcome> {
        let person = self.person();
        let key = SpaceKey::generate();
        let device_name = self.me()?.device_name;
        store::space_insert(
            &lock(&self.store).conn,
            &key,
            SpaceKind::Buddy,
            self.me,
            label,
            now_ms(),
        )?;
        let id = key.space_id();
        self.append(
            &id,
            Body::MemberAdded {
                device: self.me,
                person,
                name: device_name,
            },
        )?;
        self.append(
            &id,
            Body::Hello {
                person,
                name: self.my_person_name(),
            },
        )?;
        self.append(
            &id,
            Body::MemberAdded {
                device: joiner,
                person: joiner_person,
                name: name.to_string(),
            },
        )?;
        self.append(
            &self.home(),
            Body::SpaceJoined {
                kind: SpaceKind::Buddy,
                key: key.clone(),
                root: self.me,
                label: label.to_string(),
            },
        )?;
        Ok(Welcome {
            kind: SpaceKind::Buddy,
            later_keys: Vec::new(),
            key,
            root: self.me,
            label: label.to_string(),
            person,
            person_name: self.my_person_name(),
        })
    }

    /// Joiner side: installs what the inviter sent.
    pub fn accept_welcome(&self, welcome: Welcome, purpose: Purpose) -> Result<Redeemed> {
        match (purpose, welcome.kind) {
            (Purpose::Link, SpaceKind::Home) => {
                let new_home = welcome.key.space_id();
                {
                    let store = lock(&self.store);
                    let c = &store.conn;
                    let tx = store::begin(c)?;
                    let old_home = self.home();
                    store::space_delete(c, &old_home)?;
                    store::space_insert(
                        c,
                        &welcome.key,
                        SpaceKind::Home,
                        welcome.root,
                        &welcome.label,
                        now_ms(),
                    )?;
                    for key in &welcome.later_keys {
                        store::space_key_add(c, &new_home, key)?;
                    }
                    // Known at once from the welcome; the inviter's Hello confirms it on sync.
                    store::person_set_name(c, &new_home, &welcome.person, &welcome.person_name)?;
                    store::meta_set(c, "person", &welcome.person.0)?;
                    store::meta_set(c, "home", &new_home.0)?;
                    tx.commit()?;
                }
                *lock(&self.identity) = Identity {
                    person: welcome.person,
                    home: new_home,
                };
                let addrs = lock(&self.net).as_ref().map(|net| net.addrs.clone());
                if let Some(addrs) = addrs {
                    self.append(&new_home, Body::Addresses { addrs })?;
                }
                Ok(Redeemed::Linked {
                    person_name: welcome.person_name,
                })
            }
            (Purpose::Buddy, SpaceKind::Buddy) => {
                let id = welcome.key.space_id();
                let person = self.person();
                store::space_insert(
                    &lock(&self.store).conn,
                    &welcome.key,
                    SpaceKind::Buddy,
                    welcome.root,
                    &welcome.label,
                    now_ms(),
                )?;
                // The buddy is listed at once under the name the inviter sent; its Hello confirms it on sync.
                store::person_set_name(
                    &lock(&self.store).conn,
                    &id,
                    &welcome.person,
                    &welcome.person_name,
                )?;
                self.emit(vec![Event::BuddyAdded {
                    buddy_id: id.to_hex(),
                    name: welcome.person_name.clone(),
                }]);
                self.append(
                    &id,
                    Body::Hello {
                        person,
                        name: self.my_person_name(),
                    },
                )?;
                let addrs = lock(&self.net).as_ref().map(|net| net.addrs.clone());
                if let Some(addrs) = addrs {
                    self.append(&id, Body::Addresses { addrs })?;
                }
                self.append(
                    &self.home(),
                    Body::SpaceJoined {
                        kind: SpaceKind::Buddy,
                        key: welcome.key,
                        root: welcome.root,
                        label: welcome.label,
                    },
                )?;
                Ok(Redeemed::Buddy {
                    buddy_id: id.to_hex(),
                    name: welcome.person_name,
                })
            }
            _ => Err(Error::Refused {
                reason: "the inviter answered with the wrong kind of space".into(),
            }),
        }
    }

    /// Publishes where I listen into every active space, if it changed.
    pub fn publish_addresses(&self, addrs: &[SocketAddr]) -> Result<()> {
        let encoded = addrs
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(",");
        for space in self.active_spaces()? {
            let key = format!("published:{}", space.id);
            let old = store::meta_get(&lock(&self.store).conn, &key)?;
            if old.as_deref() != Some(encoded.as_bytes()) {
                self.append(
                    &space.id,
                    Body::Addresses {
                        addrs: addrs.to_vec(),
                    },
                )?;
                store::meta_set(&lock(&self.store).conn, &key, encoded.as_bytes())?;
            }
        }
        Ok(())
    }

    /// Finds a buddy space by id, name or id prefix.
    fn buddy_space(&self, buddy: &str) -> Result<SpaceRow> {
        let store = lock(&self.store);
        let c = &store.conn;
        let person = self.person();
        let wanted = buddy.trim();
        let mut matches = Vec::new();
        for space in store::spaces(c)? {
            if space.kind != SpaceKind::Buddy || space.state != SpaceState::Active {
                continue;
            }
            let name = chat::buddy_person(c, &space.id, &person)?.map(|(_, n)| n);
            let hex = space.id.to_hex();
            if hex == wanted.to_lowercase() {
                return Ok(space);
            }
            if name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
                || (wanted.len() >= 4 && hex.starts_with(&wanted.to_lowercase()))
            {
                matches.push(space);
            }
        }
        match matches.len() {
            1 => Ok(matches.remove(0)),
            _ => Err(Error::UnknownBuddy(wanted.to_string())),
        }
    }

    fn buddies(&self) -> Result<Vec<Buddy>> {
        let online = lock(&self.online).clone();
        chat::buddies(&lock(&self.store).conn, &self.person(), &online)
    }

    fn message_key(&self, space: &SpaceId, id: &str) -> Result<MessageKey> {
        let (author, seq) =
            parse_message_id(id).ok_or_else(|| Error::UnknownMessage(id.to_string()))?;
        let row = store::message_get(&lock(&self.store).conn, space, &author, seq)?;
        row.map(|r| r.key)
            .ok_or_else(|| Error::UnknownMessage(id.to_string()))
    }

    fn conversation(
        &self,
        buddy: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let space = self.buddy_space(buddy)?;
        let before = before
            .map(|id| self.message_key(&space.id, id))
            .transpose()?;
        chat::conversation(
            &lock(&self.store).conn,
            &space.id,
            &self.person(),
            before,
            limit.min(1000),
        )
    }

    fn send(&self, buddy: &str, text: &str) -> Result<Message> {
        if text.trim().is_empty() || text.len() > MAX_MESSAGE_BYTES {
            return Err(Error::InvalidMessage {
                max: MAX_MESSAGE_BYTES,
            });
        }
        let space = self.buddy_space(buddy)?;
        let (seq, time) = self.append(
            &space.id,
            Body::Message {
                text: text.to_string(),
                reply_to: None,
            },
        )?;
        let key = MessageKey {
            time,
            author: self.me,
            seq,
        };
        chat::message_view(&lock(&self.store).conn, &space.id, &self.person(), key)?
            .ok_or_else(|| Error::Storage("the message was not stored".into()))
    }

    fn mark_read(&self, buddy: &str, up_to: Option<&str>) -> Result<()> {
        let space = self.buddy_space(buddy)?;
        let key = match up_to {
            Some(id) => self.message_key(&space.id, id)?,
            None => match store::last_message(&lock(&self.store).conn, &space.id)? {
                Some(row) => row.key,
                None => return Ok(()),
            },
        };
        let current = store::read_marker(&lock(&self.store).conn, &space.id, &self.person())?;
        if current.is_some_and(|c| c >= key) {
            return Ok(());
        }
        self.append(&space.id, Body::Read { up_to: key })?;
        Ok(())
    }

    fn devices(&self) -> Result<Vec<Device>> {
        let online = lock(&self.online).clone();
        chat::devices(&lock(&self.store).conn, &self.home(), &self.me, &online)
    }

    fn remove_buddy(&self, buddy: &str) -> Result<()> {
        let space = self.buddy_space(buddy)?;
        let (seq, _) = self.append(&space.id, Body::Left)?;
        store::space_set_state(
            &lock(&self.store).conn,
            &space.id,
            SpaceState::Closing,
            Some(seq),
        )?;
        store::meta_set(&lock(&self.store).conn, &format!("left:{}", space.id), b"1")?;
        self.append(&self.home(), Body::SpaceLeft { space: space.id })?;
        self.emit(vec![Event::BuddyRemoved {
            buddy_id: space.id.to_hex(),
        }]);
        self.broadcast(Cmd::Reoffer);
        Ok(())
    }

    fn revoke_device(&self, device: &str) -> Result<()> {
        let home = self.home();
        let members = store::members(&lock(&self.store).conn, &home)?;
        let wanted = device.trim().to_lowercase();
        let found: Vec<_> = members
            .iter()
            .filter(|(m, name)| {
                m.removed_after.is_none()
                    && (m.device.to_hex().starts_with(&wanted)
                        || name.eq_ignore_ascii_case(device.trim()))
            })
            .collect();
        let [(member, _)] = found.as_slice() else {
            return Err(Error::UnknownDevice(device.to_string()));
        };
        if member.device == self.me
            || wanted.len() < 4
                && !found
                    .iter()
                    .any(|(_, n)| n.eq_ignore_ascii_case(device.trim()))
        {
            return Err(Error::UnknownDevice(device.to_string()));
        }
        // The new key first, as in buddy spaces (see `reconcile`).
        let rekey = self.new_key_for_members(&lock(&self.store).conn, &home, &member.device)?;
        self.append(&home, rekey)?;
        let (last_seq, _) = store::head(&lock(&self.store).conn, &home, &member.device)?;
        self.append(
            &home,
            Body::DeviceRevoked {
                device: member.device,
                last_seq,
            },
        )?;
        Ok(())
    }

    /// A peer acknowledged `author`'s log up to `seq`: move my messages along and finish closing spaces.
    pub fn peer_has(
        &self,
        space: &SpaceId,
        peer: &DeviceId,
        author: &DeviceId,
        seq: u64,
    ) -> Result<()> {
        if *author != self.me {
            return Ok(());
        }
        let mut events = Vec::new();
        {
            let store = lock(&self.store);
            let c = &store.conn;
            let Some(row) = store::space_get(c, space)? else {
                return Ok(());
            };
            if row.kind != SpaceKind::Buddy {
                return Ok(());
            }
            let peer_person = store::member(c, space, peer)?.map(|m| m.person);
            let buddy_device = peer_person.is_some_and(|p| p != self.person());
            let state = if buddy_device { "delivered" } else { "sent" };
            for key in store::messages_raise_state(c, space, author, seq, state)? {
                let state = if buddy_device {
                    chat::MessageState::Delivered
                } else {
                    chat::MessageState::Sent
                };
                events.push(Event::MessageStateChanged {
                    buddy_id: space.to_hex(),
                    message_id: key.id(),
                    state,
                });
            }
            if row.state == SpaceState::Closing
                && buddy_device
                && row.left_seq.is_some_and(|l| seq >= l)
            {
                store::space_set_state(c, space, SpaceState::Closed, None)?;
            }
        }
        self.emit(events);
        Ok(())
    }
}
