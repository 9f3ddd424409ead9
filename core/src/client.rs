//! The one facade: `Client` opens a data dir, goes online and offline, and serves the async API of
//! DESIGN.md section 6 (typed ids throughout) plus an ordered event stream. It holds nothing but the
//! engine, the network while it runs, and the runtime both run on; every call forwards to one of them.

use crate::chat::{Buddy, Device, Event, Me, Message};
use crate::engine::{self, Engine};
use crate::error::{Error, Result};
use crate::ids::{BuddyId, DeviceId, MessageId, Now};
use crate::invite::{self, Invite, InviteCode, Purpose, Redeemed};
use crate::lists::{BuddyList, DeviceList, Notifications, Shell, Timeline};
use crate::lock;
use crate::net::{Config, Net};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

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

/// An ordered stream of a client's events; dropping it stops delivery.
pub type Subscription = engine::Subscription<Event>;

/// One long-lived client per data dir.
pub struct Client {
    inner: Arc<Shared>,
}

struct Shared {
    engine: Arc<Engine>,
    /// How to go online; the gateway follows what the shell last said ([`Client::network_changed`]).
    config: Mutex<Config>,
    net: Mutex<Option<Arc<Net>>>,
    /// Held while going online, so that two starts make one network.
    starting: tokio::sync::Mutex<()>,
    /// What the person sees, as the shell tells it; the lists and the notifications watch it.
    shell: tokio::sync::watch::Sender<Shell>,
}

impl Shared {
    async fn ensure_started(&self) -> Result<Arc<Net>> {
        let _starting = self.starting.lock().await;
        if let Some(net) = lock(&self.net).clone() {
            return Ok(net);
        }
        let config = lock(&self.config).clone();
        let net = Net::start(self.engine.clone(), &config).await?;
        *lock(&self.net) = Some(net.clone());
        Ok(net)
    }

    /// See [`Client::network_changed`].
    async fn network_changed(&self, gateway: Option<IpAddr>) -> Result<()> {
        let _starting = self.starting.lock().await;
        lock(&self.config).gateway = gateway;
        let net = lock(&self.net).clone();
        match net {
            Some(net) => net.network_changed(gateway),
            None => Ok(()),
        }
    }

    async fn stop(&self) {
        let _starting = self.starting.lock().await;
        let net = lock(&self.net).take();
        if let Some(net) = net {
            net.shutdown();
            net.wait_closed().await;
        }
    }

    async fn redeem(&self, code: InviteCode) -> Result<Redeemed> {
        let engine = self.engine.clone();
        crate::blocking(|| engine.check_code(&code, Now::read()))?;
        let net = self.ensure_started().await?;
        let joining = net.redeem(&code).await?;
        let welcome = joining.welcome.clone();
        let redeemed =
            crate::blocking(|| engine.accept_welcome(welcome, code.purpose, Now::read()))?;
        net.keep(joining);
        Ok(redeemed)
    }
}

async fn on_runtime<T: Send + 'static>(
    f: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    runtime()
        .spawn(f)
        .await
        .map_err(|e| Error::Storage(format!("internal task failed: {e}")))?
}

impl Client {
    /// Opens (or creates) the device in `data_dir`. `device_name` names a new device; an existing one keeps
    /// its name. Listens on every interface and uses LAN discovery once started.
    pub fn open(data_dir: impl AsRef<Path>, device_name: &str) -> Result<Client> {
        Self::open_with(data_dir, device_name, Config::default())
    }

    pub fn open_with(
        data_dir: impl AsRef<Path>,
        device_name: &str,
        config: Config,
    ) -> Result<Client> {
        let secrets = config.secret_store.as_deref();
        let engine = Engine::open(data_dir.as_ref(), device_name, secrets, Now::read())?;
        Ok(Client {
            inner: Arc::new(Shared {
                engine: Arc::new(engine),
                config: Mutex::new(config),
                net: Mutex::new(None),
                starting: tokio::sync::Mutex::new(()),
                shell: tokio::sync::watch::Sender::new(Shell::default()),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.engine.dir
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

    /// The network changed (the shell heard it from the OS; the laptop's `clearchat run` watches its
    /// interfaces and gateway): if online, read my addresses again, drop the old port mapping and map on the
    /// new router, republish my addresses (`Addresses` entries and DHT records) and redial the devices not
    /// connected; no restart. `gateway` is the new router's address where the shell knows it (Android's
    /// LinkProperties): the core cannot read the route table there; without it, the core guesses the ".1"
    /// of each private /24 of mine. Kept for later starts too. Offline: only the gateway is kept.
    pub async fn network_changed(&self, gateway: Option<IpAddr>) -> Result<()> {
        let inner = self.inner.clone();
        on_runtime(async move { inner.network_changed(gateway).await }).await
    }

    pub fn is_started(&self) -> bool {
        lock(&self.inner.net).is_some()
    }

    /// Where this device listens, once started.
    pub fn listen_addrs(&self) -> Vec<SocketAddr> {
        lock(&self.inner.net)
            .as_ref()
            .map(|n| n.addrs())
            .unwrap_or_default()
    }

    pub fn me(&self) -> Result<Me> {
        self.inner.engine.me()
    }

    /// Every event from now on, in order.
    pub fn subscribe(&self) -> Subscription {
        self.inner.engine.events.subscribe()
    }

    pub async fn set_person_name(&self, name: &str) -> Result<()> {
        let name = engine::validate_name(name)?;
        self.blocking(move |e| e.set_person_name(&name, Now::read()))
            .await
    }

    pub async fn rename_device(&self, name: &str) -> Result<()> {
        let name = engine::validate_name(name)?;
        self.blocking(move |e| e.rename_device(&name, Now::read()))
            .await
    }

    pub async fn create_link_invite(&self) -> Result<Invite> {
        self.create_invite(Purpose::Link, "", invite::LINK_TTL_SECS)
            .await
    }

    pub async fn create_buddy_invite(&self, label: &str) -> Result<Invite> {
        self.create_invite(Purpose::Buddy, label, invite::BUDDY_TTL_SECS)
            .await
    }

    /// An invite with a chosen lifetime (the API gives the default ones; tests make expired ones).
    pub(crate) async fn create_invite(
        &self,
        purpose: Purpose,
        label: &str,
        ttl_secs: u64,
    ) -> Result<Invite> {
        let label = label.trim().chars().take(64).collect::<String>();
        self.blocking(move |e| e.create_invite(purpose, &label, ttl_secs, Now::read()))
            .await
    }

    /// Redeems a link or buddy code (told by the code). Goes online if needed.
    pub async fn redeem(&self, code: &str) -> Result<Redeemed> {
        let code =
            InviteCode::parse(code).map_err(|e| Error::InvalidCode { reason: e.reason() })?;
        let inner = self.inner.clone();
        on_runtime(async move { inner.redeem(code).await }).await
    }

    pub async fn buddies(&self) -> Result<Vec<Buddy>> {
        self.blocking(|e| e.buddies()).await
    }

    /// A page of the conversation with `buddy`, oldest first, before message `before` (or the newest).
    pub async fn conversation(
        &self,
        buddy: &BuddyId,
        before: Option<MessageId>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let buddy = *buddy;
        self.blocking(move |e| e.conversation(&buddy, before, limit as usize))
            .await
    }

    pub async fn send(&self, buddy: &BuddyId, text: &str) -> Result<Message> {
        let (buddy, text) = (*buddy, text.to_string());
        self.blocking(move |e| e.send(&buddy, &text, Now::read()))
            .await
    }

    /// Marks everything up to message `up_to` (or the newest, if None) as read.
    pub async fn mark_read(&self, buddy: &BuddyId, up_to: Option<MessageId>) -> Result<()> {
        let buddy = *buddy;
        self.blocking(move |e| e.mark_read(&buddy, up_to, Now::read()))
            .await
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.blocking(|e| e.devices(Now::read())).await
    }

    pub async fn remove_buddy(&self, buddy: &BuddyId) -> Result<()> {
        let buddy = *buddy;
        self.blocking(move |e| e.remove_buddy(&buddy, Now::read()))
            .await
    }

    /// Unlinks another device of mine.
    pub async fn revoke_device(&self, device: &DeviceId) -> Result<()> {
        let device = *device;
        self.blocking(move |e| e.revoke_device(&device, Now::read()))
            .await
    }

    /// The buddy list, observable (see `lists`). Each call starts a list of its own; clone it to share.
    pub fn buddy_list(&self) -> BuddyList {
        let engine = self.inner.engine.clone();
        BuddyList::start(engine, self.inner.shell.subscribe(), runtime().handle())
    }

    /// A window of the conversation with `buddy`, observable, starting with its newest `initial` messages.
    pub fn timeline(&self, buddy: &BuddyId, initial: u32) -> Result<Timeline> {
        let engine = self.inner.engine.clone();
        let shell = self.inner.shell.subscribe();
        Timeline::start(engine, *buddy, initial as usize, shell, runtime().handle())
    }

    /// My devices, observable.
    pub fn device_list(&self) -> DeviceList {
        let engine = self.inner.engine.clone();
        DeviceList::start(engine, self.inner.shell.subscribe(), runtime().handle())
    }

    /// What deserves a notification from now on, as the core decides it (see `lists::notify`).
    pub fn notifications(&self) -> Notifications {
        let engine = self.inner.engine.clone();
        Notifications::start(engine, self.inner.shell.subscribe(), runtime().handle())
    }

    /// The shell tells whether the app is in the foreground: only then is what is on screen marked read.
    pub fn set_foreground(&self, foreground: bool) {
        self.inner.shell.send_if_modified(|s| {
            let changed = s.foreground != foreground;
            s.foreground = foreground;
            changed
        });
    }

    /// The shell tells which conversation is on screen (None: none is).
    pub fn set_visible_conversation(&self, buddy: Option<BuddyId>) {
        self.inner.shell.send_if_modified(|s| {
            let changed = s.visible != buddy;
            s.visible = buddy;
            changed
        });
    }

    /// What the shell last told of what the person sees.
    pub fn shell(&self) -> Shell {
        self.inner.shell.borrow().clone()
    }

    /// Counts for diagnostics and benchmarks: (entries, forks).
    pub fn stats(&self) -> Result<(u64, u64)> {
        self.inner.engine.stats()
    }

    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.inner.engine
    }

    /// The network, while started.
    pub(crate) fn net(&self) -> Option<Arc<Net>> {
        lock(&self.inner.net).clone()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let engine = self.inner.engine.clone();
        runtime()
            .spawn_blocking(move || f(&engine))
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
