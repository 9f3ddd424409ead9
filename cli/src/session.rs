//! An open device with its event pump, and the one place that executes [`Request`]s on it (for subcommands
//! run directly and for the control socket). Names and id prefixes are resolved here, before the core is called.

use crate::control::{self, Access};
use crate::error::{Error, Result};
use crate::resolve;
use crate::wire::{
    buddy_views, DeviceView, InviteView, Joined, MeView, MessageView, Redemption, Request, Response,
};
use clearchat_core::{BuddyId, Client, Config, DeviceId, Event, Me, Redeemed};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How long `join` waits for the first sync after the code is redeemed.
const FIRST_SYNC: Duration = Duration::from_secs(15);

/// An open device with its event pump: what `run`, the UI and direct commands all hold.
pub struct Session {
    pub client: Client,
    redeemed: watch::Sender<Vec<Redemption>>,
    /// Devices that went offline since the session opened.
    gone: watch::Sender<Vec<DeviceId>>,
}

/// Whether `dir` holds a device already.
pub fn has_device(dir: &Path) -> bool {
    dir.join("clearchat.db").exists()
}

/// Creates the device of `dir`, named `device`, of the person `person` (None for a device to be linked).
pub async fn create_device(dir: &Path, device: &str, person: Option<&str>) -> Result<Me> {
    let exists = || Error::DeviceExists {
        dir: dir.display().to_string(),
    };
    if has_device(dir) {
        return Err(exists());
    }
    let Access::Direct(_lock) = control::acquire(dir).await? else {
        return Err(exists());
    };
    let client = Client::open_with(dir, device, Config::default())?;
    if let Some(person) = person {
        client.set_person_name(person).await?;
    }
    Ok(client.me()?)
}

impl Session {
    /// Opens the existing device in `dir`; events go to the returned receiver, in order.
    pub fn open(
        dir: &Path,
        config: Config,
    ) -> Result<(Arc<Session>, mpsc::UnboundedReceiver<Event>)> {
        if !has_device(dir) {
            return Err(Error::no_device(dir));
        }
        let client = Client::open_with(dir, "device", config)?;
        Ok(Self::wrap(client))
    }

    /// Wraps an open client: subscribes to its events and keeps the redemptions.
    fn wrap(client: Client) -> (Arc<Session>, mpsc::UnboundedReceiver<Event>) {
        let mut sub = client.subscribe();
        let (redeemed, _) = watch::channel(Vec::new());
        let (gone, _) = watch::channel(Vec::new());
        let session = Arc::new(Session {
            client,
            redeemed,
            gone,
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let weak = Arc::downgrade(&session);
        tokio::spawn(async move {
            while let Some(event) = sub.next().await {
                if let Event::InviteRedeemed { label, by_device } = &event {
                    let Some(session) = weak.upgrade() else { break };
                    session.redeemed.send_modify(|v| {
                        v.push(Redemption {
                            label: label.clone(),
                            by_device: *by_device,
                        })
                    });
                }
                if let Event::PeerOffline { device_id } = &event {
                    let Some(session) = weak.upgrade() else { break };
                    session.gone.send_modify(|v| v.push(*device_id));
                }
                let _ = tx.send(event);
            }
        });
        (session, rx)
    }

    /// Runs one request.
    pub async fn execute(&self, req: Request) -> Result<Response> {
        let c = &self.client;
        Ok(match req {
            Request::Me => Response::Me(MeView::new(c.me()?, &c.listen_addrs())),
            Request::Link => {
                let seq = self.redeemed.borrow().len();
                Response::Invite(InviteView::new(c.create_link_invite().await?, seq))
            }
            Request::Invite { name } => {
                let seq = self.redeemed.borrow().len();
                Response::Invite(InviteView::new(c.create_buddy_invite(&name).await?, seq))
            }
            Request::WaitRedeemed { after } => {
                let mut rx = self.redeemed.subscribe();
                let list = rx
                    .wait_for(|v| v.len() > after)
                    .await
                    .map_err(|_| Error::Closed)?;
                Response::Redeemed(list[after].clone())
            }
            Request::Join { code } => {
                let redeemed = c.redeem(code.trim()).await?;
                self.wait_first_sync(&redeemed).await;
                Response::Joined(Joined::from(redeemed))
            }
            Request::Buddies => Response::Buddies(buddy_views(c.buddies().await?)),
            Request::Send { buddy, text } => {
                let buddy = self.buddy(&buddy).await?;
                Response::Sent(c.send(&buddy, &text).await?.into())
            }
            Request::Messages { buddy, limit } => {
                let buddy = self.buddy(&buddy).await?;
                let list = c.conversation(&buddy, None, limit).await?;
                Response::Messages(list.into_iter().map(MessageView::from).collect())
            }
            Request::Devices => Response::Devices(
                c.devices()
                    .await?
                    .into_iter()
                    .filter(|d| !d.revoked)
                    .map(DeviceView::from)
                    .collect(),
            ),
            Request::RemoveBuddy { buddy } => {
                let buddy = self.buddy(&buddy).await?;
                c.remove_buddy(&buddy).await?;
                Response::Done
            }
            Request::Unlink { device } => {
                let device = self.device(&device).await?;
                if device == c.me()?.device_id {
                    return Err(Error::UnlinkSelf);
                }
                c.revoke_device(&device).await?;
                Response::Done
            }
        })
    }

    /// The buddy a person means by `wanted` (see [`resolve`]).
    async fn buddy(&self, wanted: &str) -> Result<BuddyId> {
        resolve::buddy(&self.client.buddies().await?, wanted)
    }

    /// The device of mine a person means by `wanted`.
    async fn device(&self, wanted: &str) -> Result<DeviceId> {
        resolve::device(&self.client.devices().await?, wanted)
    }

    /// Waits (with a deadline) until `device` has been connected and went offline again.
    pub async fn wait_gone(&self, device: &DeviceId, deadline: Duration) {
        let mut rx = self.gone.subscribe();
        let _ = tokio::time::timeout(deadline, rx.wait_for(|v| v.contains(device))).await;
    }

    /// After a redeem: waits (with a deadline) until the first sync shows its result here.
    async fn wait_first_sync(&self, redeemed: &Redeemed) {
        let deadline = tokio::time::Instant::now() + FIRST_SYNC;
        while tokio::time::Instant::now() < deadline {
            let done = match redeemed {
                Redeemed::Linked { .. } => self
                    .client
                    .devices()
                    .await
                    .map(|d| d.len() >= 2)
                    .unwrap_or(false),
                Redeemed::Buddy { buddy_id, .. } => self
                    .client
                    .buddies()
                    .await
                    .map(|b| b.iter().any(|b| &b.id == buddy_id))
                    .unwrap_or(false),
            };
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
