//! clearchat-ffi: the UniFFI face of `clearchat_core::Client` for Kotlin and Swift.
//!
//! This crate only translates: types into records and enums, errors into one typed error, listeners into
//! foreign traits with handles that stop delivery on close or drop. It holds no logic; every call
//! forwards to the core, whose one tokio runtime runs everything. UniFFI catches panics at the boundary.

use clearchat_core as core;
use std::sync::{Arc, Mutex, OnceLock};

uniffi::setup_scaffolding!("clearchat");

/// Version of the Clearchat core library (the workspace version).
#[uniffi::export]
pub fn core_version() -> String {
    core::version().to_string()
}

// ---------- errors ----------

/// Every failure, typed, with a human sentence in `description` (also the exception's message).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ClearchatError {
    #[error("{description}")]
    InvalidCode { reason: String, description: String },
    #[error("{description}")]
    InviteExpired { description: String },
    #[error("{description}")]
    InviteAlreadyUsed { description: String },
    #[error("{description}")]
    OwnInvite { description: String },
    #[error("{description}")]
    AlreadyBuddies { name: String, description: String },
    #[error("{description}")]
    AlreadyLinked { description: String },
    #[error("{description}")]
    NotNew { description: String },
    #[error("{description}")]
    InviterUnreachable { reason: String, description: String },
    #[error("{description}")]
    Refused { reason: String, description: String },
    #[error("{description}")]
    UnknownBuddy { buddy: String, description: String },
    #[error("{description}")]
    UnknownDevice { device: String, description: String },
    #[error("{description}")]
    UnknownMessage { id: String, description: String },
    #[error("{description}")]
    InvalidMessage { max: u32, description: String },
    #[error("{description}")]
    InvalidName { reason: String, description: String },
    #[error("{description}")]
    Revoked { description: String },
    #[error("{description}")]
    Closed { description: String },
    #[error("{description}")]
    Storage { reason: String, description: String },
    #[error("{description}")]
    Network { reason: String, description: String },
}

impl From<core::Error> for ClearchatError {
    fn from(e: core::Error) -> Self {
        use core::Error as E;
        let description = e.to_string();
        match e {
            E::InvalidCode { reason } => Self::InvalidCode {
                reason,
                description,
            },
            E::InviteExpired => Self::InviteExpired { description },
            E::InviteAlreadyUsed => Self::InviteAlreadyUsed { description },
            E::OwnInvite => Self::OwnInvite { description },
            E::AlreadyBuddies { name } => Self::AlreadyBuddies { name, description },
            E::AlreadyLinked => Self::AlreadyLinked { description },
            E::NotNew => Self::NotNew { description },
            E::InviterUnreachable { reason } => Self::InviterUnreachable {
                reason,
                description,
            },
            E::Refused { reason } => Self::Refused {
                reason,
                description,
            },
            E::UnknownBuddy(buddy) => Self::UnknownBuddy { buddy, description },
            E::UnknownDevice(device) => Self::UnknownDevice {
                device,
                description,
            },
            E::UnknownMessage(id) => Self::UnknownMessage { id, description },
            E::InvalidMessage { max } => Self::InvalidMessage {
                max: max as u32,
                description,
            },
            E::InvalidName { reason } => Self::InvalidName {
                reason,
                description,
            },
            E::Revoked => Self::Revoked { description },
            E::Closed => Self::Closed { description },
            E::Storage(reason) => Self::Storage {
                reason,
                description,
            },
            E::Network(reason) => Self::Network {
                reason,
                description,
            },
        }
    }
}

type Result<T> = std::result::Result<T, ClearchatError>;

// ---------- records ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MessageState {
    Pending,
    Sent,
    Delivered,
    Read,
}

impl From<core::MessageState> for MessageState {
    fn from(s: core::MessageState) -> Self {
        match s {
            core::MessageState::Pending => Self::Pending,
            core::MessageState::Sent => Self::Sent,
            core::MessageState::Delivered => Self::Delivered,
            core::MessageState::Read => Self::Read,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Message {
    pub id: String,
    pub from: String,
    pub from_me: bool,
    pub device_id: String,
    pub text: String,
    pub sent_at_ms: u64,
    pub state: MessageState,
    pub reply_to: Option<String>,
}

impl From<core::Message> for Message {
    fn from(m: core::Message) -> Self {
        Message {
            id: m.id,
            from: m.from,
            from_me: m.from_me,
            device_id: m.device_id,
            text: m.text,
            sent_at_ms: m.sent_at,
            state: m.state.into(),
            reply_to: m.reply_to,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Buddy {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub unread: u64,
    pub last_message: Option<Message>,
}

impl From<core::Buddy> for Buddy {
    fn from(b: core::Buddy) -> Self {
        Buddy {
            id: b.id,
            name: b.name,
            online: b.online,
            unread: b.unread,
            last_message: b.last_message.map(Into::into),
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub person: String,
    pub me: bool,
    pub online: bool,
    pub revoked: bool,
    pub last_seen_secs: Option<u64>,
}

impl From<core::Device> for Device {
    fn from(d: core::Device) -> Self {
        Device {
            id: d.id,
            name: d.name,
            person: d.person,
            me: d.me,
            online: d.online,
            revoked: d.revoked,
            last_seen_secs: d.last_seen,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Me {
    pub device_id: String,
    pub device_name: String,
    pub person_id: String,
    pub person_name: String,
}

impl From<core::Me> for Me {
    fn from(m: core::Me) -> Self {
        Me {
            device_id: m.device_id,
            device_name: m.device_name,
            person_id: m.person_id,
            person_name: m.person_name,
        }
    }
}

/// A QR code as a square of modules, row-major, `true` = dark, without the quiet zone.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QrCode {
    pub width: u32,
    pub modules: Vec<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum InvitePurpose {
    Link,
    Buddy,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Invite {
    pub code: String,
    pub uri: String,
    pub qr: QrCode,
    pub purpose: InvitePurpose,
    pub expires_at_secs: u64,
}

impl From<core::Invite> for Invite {
    fn from(i: core::Invite) -> Self {
        Invite {
            code: i.code,
            uri: i.uri,
            qr: QrCode {
                width: i.qr.width,
                modules: i.qr.modules,
            },
            purpose: match i.purpose {
                core::invite::Purpose::Link => InvitePurpose::Link,
                core::invite::Purpose::Buddy => InvitePurpose::Buddy,
            },
            expires_at_secs: i.expires_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Redeemed {
    Linked { person_name: String },
    Buddy { buddy_id: String, name: String },
}

impl From<core::Redeemed> for Redeemed {
    fn from(r: core::Redeemed) -> Self {
        match r {
            core::Redeemed::Linked { person_name } => Self::Linked { person_name },
            core::Redeemed::Buddy { buddy_id, name } => Self::Buddy { buddy_id, name },
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Event {
    MessageAdded {
        buddy_id: String,
        message: Message,
    },
    MessageStateChanged {
        buddy_id: String,
        message_id: String,
        state: MessageState,
    },
    ReadUpTo {
        buddy_id: String,
        by_me: bool,
        up_to: String,
    },
    BuddyAdded {
        buddy_id: String,
        name: String,
    },
    BuddyRemoved {
        buddy_id: String,
    },
    DeviceLinked {
        device_id: String,
        name: String,
    },
    DeviceRevoked {
        device_id: String,
    },
    PeerOnline {
        device_id: String,
    },
    PeerOffline {
        device_id: String,
    },
    SyncProgress {
        space_id: String,
        received: u64,
    },
    InviteRedeemed {
        label: String,
        by_device: String,
    },
    ForkDetected {
        device_id: String,
        seq: u64,
    },
}

impl From<core::Event> for Event {
    fn from(e: core::Event) -> Self {
        use core::Event as E;
        match e {
            E::MessageAdded { buddy_id, message } => Self::MessageAdded {
                buddy_id,
                message: message.into(),
            },
            E::MessageStateChanged {
                buddy_id,
                message_id,
                state,
            } => Self::MessageStateChanged {
                buddy_id,
                message_id,
                state: state.into(),
            },
            E::ReadUpTo {
                buddy_id,
                by_me,
                up_to,
            } => Self::ReadUpTo {
                buddy_id,
                by_me,
                up_to,
            },
            E::BuddyAdded { buddy_id, name } => Self::BuddyAdded { buddy_id, name },
            E::BuddyRemoved { buddy_id } => Self::BuddyRemoved { buddy_id },
            E::DeviceLinked { device_id, name } => Self::DeviceLinked { device_id, name },
            E::DeviceRevoked { device_id } => Self::DeviceRevoked { device_id },
            E::PeerOnline { device_id } => Self::PeerOnline { device_id },
            E::PeerOffline { device_id } => Self::PeerOffline { device_id },
            E::SyncProgress { space_id, received } => Self::SyncProgress { space_id, received },
            E::InviteRedeemed { label, by_device } => Self::InviteRedeemed { label, by_device },
            E::ForkDetected { device_id, seq } => Self::ForkDetected { device_id, seq },
        }
    }
}

// ---------- listeners ----------

/// Receives the client's events, in order, on a core thread.
#[uniffi::export(with_foreign)]
pub trait EventListener: Send + Sync {
    fn on_event(&self, event: Event);
}

/// Stops event delivery on `cancel()`, or when closed or dropped by the host.
#[derive(uniffi::Object)]
pub struct SubscriptionHandle {
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[uniffi::export]
impl SubscriptionHandle {
    pub fn cancel(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

impl Drop for SubscriptionHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Receives the core's log records.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

static LOG_SINK: OnceLock<Mutex<Option<Arc<dyn LogSink>>>> = OnceLock::new();

struct ForeignLogger;

impl log::Log for ForeignLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        let sink = LOG_SINK
            .get()
            .and_then(|s| s.lock().ok().and_then(|s| s.clone()));
        if let Some(sink) = sink {
            let level = match record.level() {
                log::Level::Error => LogLevel::Error,
                log::Level::Warn => LogLevel::Warn,
                log::Level::Info => LogLevel::Info,
                log::Level::Debug => LogLevel::Debug,
                log::Level::Trace => LogLevel::Trace,
            };
            sink.log(
                level,
                record.target().to_string(),
                record.args().to_string(),
            );
        }
    }
    fn flush(&self) {}
}

/// Installs (or replaces) the host's log sink; records at `max_level` and above reach it.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) {
    *LOG_SINK
        .get_or_init(|| Mutex::new(None))
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(sink);
    let _ = log::set_logger(&ForeignLogger);
    log::set_max_level(match max_level {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warn => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    });
}

// ---------- the client ----------

/// One long-lived client per data dir.
#[derive(uniffi::Object)]
pub struct ClearchatClient {
    inner: core::Client,
}

#[uniffi::export]
impl ClearchatClient {
    /// Opens (or creates) the device in `data_dir`; listens on all interfaces and uses LAN discovery.
    #[uniffi::constructor]
    pub fn open(data_dir: String, device_name: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            inner: core::Client::open(data_dir, &device_name)?,
        }))
    }

    /// Opens a device that listens on loopback only, without LAN discovery (tests, demos).
    #[uniffi::constructor]
    pub fn open_loopback(data_dir: String, device_name: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            inner: core::Client::open_with(data_dir, &device_name, core::Config::loopback())?,
        }))
    }

    pub async fn start(&self) -> Result<()> {
        Ok(self.inner.start().await?)
    }

    pub async fn stop(&self) -> Result<()> {
        Ok(self.inner.stop().await?)
    }

    pub fn me(&self) -> Result<Me> {
        Ok(self.inner.me()?.into())
    }

    pub async fn set_person_name(&self, name: String) -> Result<()> {
        Ok(self.inner.set_person_name(&name).await?)
    }

    pub async fn create_link_invite(&self) -> Result<Invite> {
        Ok(self.inner.create_link_invite().await?.into())
    }

    pub async fn create_buddy_invite(&self, label: String) -> Result<Invite> {
        Ok(self.inner.create_buddy_invite(&label).await?.into())
    }

    /// An invite with a chosen lifetime in seconds (0: already expired).
    pub async fn create_invite(
        &self,
        purpose: InvitePurpose,
        label: String,
        ttl_secs: u64,
    ) -> Result<Invite> {
        let purpose = match purpose {
            InvitePurpose::Link => core::invite::Purpose::Link,
            InvitePurpose::Buddy => core::invite::Purpose::Buddy,
        };
        Ok(self
            .inner
            .create_invite(purpose, &label, ttl_secs)
            .await?
            .into())
    }

    pub async fn redeem(&self, code: String) -> Result<Redeemed> {
        Ok(self.inner.redeem(&code).await?.into())
    }

    pub async fn buddies(&self) -> Result<Vec<Buddy>> {
        Ok(self
            .inner
            .buddies()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn conversation(
        &self,
        buddy: String,
        before: Option<String>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        Ok(self
            .inner
            .conversation(&buddy, before, limit)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn send(&self, buddy: String, text: String) -> Result<Message> {
        Ok(self.inner.send(&buddy, &text).await?.into())
    }

    pub async fn mark_read(&self, buddy: String, up_to: Option<String>) -> Result<()> {
        Ok(self.inner.mark_read(&buddy, up_to).await?)
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        Ok(self
            .inner
            .devices()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    pub async fn remove_buddy(&self, buddy: String) -> Result<()> {
        Ok(self.inner.remove_buddy(&buddy).await?)
    }

    pub async fn revoke_device(&self, device: String) -> Result<()> {
        Ok(self.inner.revoke_device(&device).await?)
    }

    /// Delivers every event from now on to `listener`, in order, until the handle is closed or dropped.
    pub fn subscribe(&self, listener: Arc<dyn EventListener>) -> Arc<SubscriptionHandle> {
        let mut subscription = self.inner.subscribe();
        let task = core::client::runtime().spawn(async move {
            while let Some(event) = subscription.next().await {
                listener.on_event(event.into());
            }
        });
        Arc::new(SubscriptionHandle {
            task: Mutex::new(Some(task)),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn core_version_matches_core() {
        assert_eq!(super::core_version(), clearchat_core::version());
    }

    #[test]
    fn errors_keep_their_reason_and_sentence() {
        let e: super::ClearchatError = clearchat_core::Error::InvalidCode {
            reason: "typo".into(),
        }
        .into();
        assert_eq!(e.to_string(), "invalid code: typo");
        assert!(
            matches!(e, super::ClearchatError::InvalidCode { ref reason, .. } if reason == "typo")
        );
    }
}
