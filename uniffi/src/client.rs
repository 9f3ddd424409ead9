//! The client object the host holds: every method forwards to `clearchat_core::Client`, translating ids
//! from their text form and results into records.

use crate::errors::{buddy_id, device_id, message_id, Result};
use crate::listeners::{EventListener, SubscriptionHandle};
use crate::lists::{
    deliver_notifications, visible, BuddyListView, DeviceListView, ListSubscription,
    NotificationListener, TimelineView,
};
use crate::records::{Buddy, Device, Invite, Me, Message, Redeemed};
use crate::secret::{self, SecretStore};
use clearchat_core as core;
use std::sync::Arc;

/// One long-lived client per data dir.
#[derive(uniffi::Object)]
pub struct ClearchatClient {
    pub(crate) inner: core::Client,
}

impl ClearchatClient {
    fn open_config(
        data_dir: String,
        device_name: String,
        config: core::Config,
        secret_store: Arc<dyn SecretStore>,
    ) -> Result<Arc<Self>> {
        let config = core::Config {
            secret_store: Some(secret::into_core(secret_store)),
            ..config
        };
        Ok(Arc::new(Self {
            inner: core::Client::open_with(data_dir, &device_name, config)?,
        }))
    }
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

    /// Opens (or creates) the device in `data_dir` with its key sealed by the phone's keystore: a store
    /// copied from another phone fails with `DeviceKeyUnavailable` and is left as it is. Listens on all
    /// interfaces and uses LAN discovery.
    #[uniffi::constructor]
    pub fn open_with_secret_store(
        data_dir: String,
        device_name: String,
        secret_store: Arc<dyn SecretStore>,
    ) -> Result<Arc<Self>> {
        Self::open_config(data_dir, device_name, core::Config::default(), secret_store)
    }

    /// [`ClearchatClient::open_with_secret_store`] on loopback only, without LAN discovery (tests).
    #[uniffi::constructor]
    pub fn open_loopback_with_secret_store(
        data_dir: String,
        device_name: String,
        secret_store: Arc<dyn SecretStore>,
    ) -> Result<Arc<Self>> {
        Self::open_config(
            data_dir,
            device_name,
            core::Config::loopback(),
            secret_store,
        )
    }

    pub async fn start(&self) -> Result<()> {
        Ok(self.inner.start().await?)
    }

    pub async fn stop(&self) -> Result<()> {
        Ok(self.inner.stop().await?)
    }

    /// The network changed (another Wi-Fi, mobile data, new addresses): re-map the port on the new router,
    /// republish and redial, without a restart. `gateway`: the default route's gateway where the platform
    /// tells it (Android's LinkProperties), e.g. "192.168.1.1"; nil: the core guesses.
    pub async fn network_changed(&self, gateway: Option<String>) -> Result<()> {
        let gateway = gateway.as_deref().map(crate::errors::gateway).transpose()?;
        Ok(self.inner.network_changed(gateway).await?)
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

    pub async fn redeem(&self, code: String) -> Result<Redeemed> {
        Ok(self.inner.redeem(&code).await?.into())
    }

    pub async fn buddies(&self) -> Result<Vec<Buddy>> {
        let buddies = self.inner.buddies().await?;
        Ok(buddies.into_iter().map(Into::into).collect())
    }

    /// A page of the conversation with `buddy` (a buddy id), oldest first, before message id `before`.
    pub async fn conversation(
        &self,
        buddy: String,
        before: Option<String>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let buddy = buddy_id(&buddy)?;
        let before = before.as_deref().map(message_id).transpose()?;
        let page = self.inner.conversation(&buddy, before, limit).await?;
        Ok(page.into_iter().map(Into::into).collect())
    }

    pub async fn send(&self, buddy: String, text: String) -> Result<Message> {
        Ok(self.inner.send(&buddy_id(&buddy)?, &text).await?.into())
    }

    pub async fn mark_read(&self, buddy: String, up_to: Option<String>) -> Result<()> {
        let up_to = up_to.as_deref().map(message_id).transpose()?;
        Ok(self.inner.mark_read(&buddy_id(&buddy)?, up_to).await?)
    }

    pub async fn devices(&self) -> Result<Vec<Device>> {
        let devices = self.inner.devices().await?;
        Ok(devices.into_iter().map(Into::into).collect())
    }

    pub async fn remove_buddy(&self, buddy: String) -> Result<()> {
        Ok(self.inner.remove_buddy(&buddy_id(&buddy)?).await?)
    }

    pub async fn revoke_device(&self, device: String) -> Result<()> {
        Ok(self.inner.revoke_device(&device_id(&device)?).await?)
    }

    /// Delivers every event from now on to `listener`, in order, from a thread of this subscription, until
    /// the handle is closed or dropped (see `listeners` for what happens when the host falls behind).
    pub fn subscribe(&self, listener: Arc<dyn EventListener>) -> Arc<SubscriptionHandle> {
        SubscriptionHandle::start(self.inner.subscribe(), listener)
    }

    /// The buddy list, observable (a list of its own per call).
    pub fn buddy_list(&self) -> Arc<BuddyListView> {
        Arc::new(BuddyListView {
            inner: self.inner.buddy_list(),
        })
    }

    /// A window of the conversation with `buddy`, starting with its newest `initial` messages.
    pub fn timeline(&self, buddy: String, initial: u32) -> Result<Arc<TimelineView>> {
        let inner = self.inner.timeline(&buddy_id(&buddy)?, initial)?;
        Ok(Arc::new(TimelineView { inner }))
    }

    /// My devices, observable.
    pub fn device_list(&self) -> Arc<DeviceListView> {
        Arc::new(DeviceListView {
            inner: self.inner.device_list(),
        })
    }

    /// Whether the app is in the foreground: only then is what is on screen marked read.
    pub fn set_foreground(&self, foreground: bool) {
        self.inner.set_foreground(foreground)
    }

    /// The conversation on screen (a buddy id), or None.
    pub fn set_visible_conversation(&self, buddy: Option<String>) -> Result<()> {
        self.inner.set_visible_conversation(visible(buddy)?);
        Ok(())
    }

    /// The core's notification decisions from now on, on a thread of this subscription.
    pub fn notifications(&self, listener: Arc<dyn NotificationListener>) -> Arc<ListSubscription> {
        deliver_notifications(self.inner.notifications(), listener)
    }
}
