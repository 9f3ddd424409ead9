//! The test kit: devices in temp dirs on loopback, waiting for conditions with a deadline (never a fixed
//! sleep), linking a device and adding a buddy, and the story's cast (Amy's laptop and phone, Betty). Used
//! by the scenario tests, the benchmarks and `clearchat demo`. Seeding and looking into stores is
//! `clearchat_core::testing`.

use clearchat_core::{BuddyId, Client, Config, Error, Message};
use std::future::Future;
use std::time::{Duration, Instant};

pub use clearchat_core::testing;

/// How long a scenario step may take on a loaded 2-core machine before it counts as failed.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A device: a client on loopback and the temp dir that holds its data.
pub struct Device {
    pub client: Client,
    pub dir: tempfile::TempDir,
    pub name: String,
}

impl Device {
    /// A new device on loopback named `name`, whose person is named `person`.
    pub async fn create(name: &str, person: &str) -> Result<Device, Error> {
        let dir = tempfile::Builder::new().prefix("clearchat-").tempdir()?;
        let client = Client::open_with(dir.path(), name, Config::loopback())?;
        client.set_person_name(person).await?;
        Ok(Device {
            client,
            dir,
            name: name.to_string(),
        })
    }

    /// [`Device::create`], for tests: panics if the device cannot be made.
    pub async fn new(name: &str, person: &str) -> Device {
        Device::create(name, person).await.expect("a new device")
    }

    /// Closes the client and opens the same data dir again (stopped).
    pub async fn reopen(self) -> Device {
        let Device { client, dir, name } = self;
        client.stop().await.expect("stop");
        drop(client);
        let client =
            Client::open_with(dir.path(), &name, Config::loopback()).expect("reopen client");
        Device { client, dir, name }
    }

    /// Stops the client and removes its data.
    pub async fn close(self) {
        let _ = self.client.stop().await;
    }

    /// The buddy this device lists under `name`, if it lists one.
    pub async fn buddy(&self, name: &str) -> Option<BuddyId> {
        let buddies = self.client.buddies().await.ok()?;
        buddies.into_iter().find(|b| b.name == name).map(|b| b.id)
    }

    /// The buddy this device lists under `name`; panics if it lists none.
    pub async fn buddy_id(&self, name: &str) -> BuddyId {
        match self.buddy(name).await {
            Some(id) => id,
            None => panic!("{} lists no buddy {name}", self.name),
        }
    }

    /// Sends `text` to the buddy listed under `name`.
    pub async fn send(&self, buddy: &str, text: &str) -> Result<Message, Error> {
        let Some(id) = self.buddy(buddy).await else {
            return Err(Error::UnknownBuddy(buddy.to_string()));
        };
        self.client.send(&id, text).await
    }

    /// The conversation with the buddy listed under `name` (empty if there is none).
    pub async fn messages(&self, buddy: &str) -> Vec<Message> {
        let Some(id) = self.buddy(buddy).await else {
            return Vec::new();
        };
        self.client
            .conversation(&id, None, 1000)
            .await
            .unwrap_or_default()
    }

    pub async fn texts(&self, buddy: &str) -> Vec<String> {
        self.messages(buddy)
            .await
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    /// Whether this device lists the buddy `name` (and, if `online`, as online).
    pub async fn lists(&self, name: &str, online: bool) -> bool {
        self.client
            .buddies()
            .await
            .is_ok_and(|b| b.iter().any(|b| b.name == name && (b.online || !online)))
    }
}

/// Polls `condition`, at first often and then every 100 ms, until it holds (true) or `deadline` passes
/// (false).
pub async fn poll<F, Fut>(deadline: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if condition().await {
            return true;
        }
        if start.elapsed() > deadline {
            return false;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Polls `condition` every `every` until it holds (true) or `deadline` passes (false): for measures that
/// need the moment a condition starts to hold.
pub async fn poll_every<F, Fut>(deadline: Duration, every: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if condition().await {
            return true;
        }
        if start.elapsed() > deadline {
            return false;
        }
        tokio::time::sleep(every).await;
    }
}

/// Polls `condition` until it holds; panics with `what` after [`DEADLINE`].
pub async fn wait_until<F, Fut>(what: &str, condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    if !poll(DEADLINE, condition).await {
        panic!("timed out after {DEADLINE:?} waiting for: {what}");
    }
}

/// A new device named `name`, linked to `to` (started) by a link code.
pub async fn link_new_device(to: &Device, name: &str) -> Device {
    let person = to.client.me().expect("me").person_name;
    let device = Device::new(name, &person).await;
    let link = to.client.create_link_invite().await.expect("link invite");
    device.client.redeem(&link.code).await.expect("redeem link");
    device
}

/// `joiner` redeems a buddy code of `inviter` (started), labelled `label`; returns the new buddy's id.
pub async fn add_buddy(inviter: &Device, joiner: &Device, label: &str) -> BuddyId {
    let invite = inviter
        .client
        .create_buddy_invite(label)
        .await
        .expect("buddy invite");
    match joiner.client.redeem(&invite.code).await.expect("redeem") {
        clearchat_core::Redeemed::Buddy { buddy_id, .. } => buddy_id,
        other => panic!("a buddy code redeemed as {other:?}"),
    }
}

/// Waits until `device` lists `buddy` (and, if `online`, as online).
pub async fn wait_lists(device: &Device, buddy: &str, online: bool) {
    wait_until(&format!("{} lists {buddy}", device.name), || {
        device.lists(buddy, online)
    })
    .await;
}

/// Amy's laptop (started) and Betty, buddies, each listing the other online.
pub async fn amy_and_betty_alone() -> (Device, Device) {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.expect("start");
    let betty = Device::new("Betty phone", "Betty").await;
    add_buddy(&laptop, &betty, "Betty").await;
    wait_lists(&laptop, "Betty", true).await;
    wait_lists(&betty, "Amy", true).await;
    (laptop, betty)
}

/// Amy (laptop + phone) and Betty, linked and buddies, all online.
pub async fn amy_and_betty() -> (Device, Device, Device) {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.expect("start");
    let phone = link_new_device(&laptop, "Amy phone").await;
    let betty = Device::new("Betty phone", "Betty").await;
    add_buddy(&laptop, &betty, "Betty").await;
    for (device, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        wait_lists(device, buddy, true).await;
    }
    (laptop, phone, betty)
}
