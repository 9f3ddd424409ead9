//! My devices (the members of my home space): name, whether online and how reached, revoked, last seen.

use super::{Diffs, Edit, ListHandle, Shell, Source};
use crate::chat::{self, Device, Event};
use crate::engine::Engine;
use crate::error::Result;
use crate::ids::{DeviceId, Now};
use std::sync::Arc;
use tokio::sync::watch;

/// An observable list of my devices, in the order they joined; clones share one task.
#[derive(Clone)]
pub struct DeviceList {
    list: ListHandle<Device>,
}

impl DeviceList {
    pub(crate) fn start(
        engine: Arc<Engine>,
        shell: watch::Receiver<Shell>,
        runtime: &tokio::runtime::Handle,
    ) -> DeviceList {
        DeviceList {
            list: ListHandle::start(engine, Devices, shell, runtime),
        }
    }

    pub async fn items(&self) -> Result<Vec<Device>> {
        self.list.items().await
    }

    pub async fn subscribe(&self) -> Result<(Vec<Device>, Diffs<Device>)> {
        self.list.subscribe().await
    }
}

struct Devices;

impl Source for Devices {
    type Item = Device;
    type Key = DeviceId;

    fn key(item: &Device) -> DeviceId {
        item.id
    }

    fn note(&mut self, event: &Event) -> bool {
        !matches!(
            event,
            Event::MessageAdded { .. }
                | Event::MessageStateChanged { .. }
                | Event::ReadUpTo { .. }
                | Event::InviteRedeemed { .. }
        )
    }

    fn load(&mut self, engine: &Engine, list: &mut Edit<'_, Device>) -> Result<()> {
        let c = engine.store.read()?;
        let devices = chat::devices(&c, &engine.home(), &engine.me, &engine.reach(), Now::read())?;
        list.replace(devices, Self::key);
        Ok(())
    }
}
