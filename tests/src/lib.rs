//! Helpers for scenario tests: devices in temp dirs on loopback, and waiting for conditions with a deadline.

pub mod cli;
pub mod netlab;

use clearchat_core::{Client, Config, Message};
use std::future::Future;
use std::time::{Duration, Instant};

/// How long a scenario step may take on a loaded 2-core machine before it counts as failed.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A device: a client and the temp dir that holds its data.
pub struct Device {
    pub client: Client,
    pub dir: tempfile::TempDir,
    pub name: String,
}

impl Device {
    /// A new device on loopback, named `name`; `person` names its person too.
    pub async fn new(name: &str, person: &str) -> Device {
        let dir = tempfile::tempdir().expect("temp dir");
        let client = Client::open_with(dir.path(), name, Config::loopback()).expect("open client");
        client.set_person_name(person).await.expect("person name");
        Device {
            client,
            dir,
            name: name.to_string(),
        }
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

    pub async fn texts(&self, buddy: &str) -> Vec<String> {
        self.messages(buddy)
            .await
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    pub async fn messages(&self, buddy: &str) -> Vec<Message> {
        self.client
            .conversation(buddy, None, 1000)
            .await
            .unwrap_or_default()
    }
}

/// Polls `condition` until it holds or `DEADLINE` passes; panics with `what` on timeout.
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if condition().await {
            return;
        }
        if start.elapsed() > DEADLINE {
            panic!("timed out after {:?} waiting for: {what}", DEADLINE);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// A new device named `name`, linked to `to` (started) by a link code.
pub async fn link_new_device(to: &Device, name: &str) -> Device {
    let person = to.client.me().unwrap().person_name;
    let device = Device::new(name, &person).await;
    let link = to.client.create_link_invite().await.unwrap();
    device.client.redeem(&link.code).await.unwrap();
    device
}

/// Waits until `device` lists `buddy` (and, if `online`, as online).
pub async fn wait_lists(device: &Device, buddy: &str, online: bool) {
    wait_until(&format!("{} lists {buddy}", device.name), || async {
        device
            .client
            .buddies()
            .await
            .unwrap()
            .iter()
            .any(|b| b.name == buddy && (b.online || !online))
    })
    .await;
}

/// Amy (laptop + phone) and Betty, linked and buddies, all online.
pub async fn amy_and_betty() -> (Device, Device, Device) {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let phone = link_new_device(&laptop, "Amy phone").await;
    let betty = Device::new("Betty phone", "Betty").await;
    let invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    betty.client.redeem(&invite.code).await.unwrap();
    for (device, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        wait_lists(device, buddy, true).await;
    }
    (laptop, phone, betty)
}
