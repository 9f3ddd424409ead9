//! The requests every front end makes of a device (subcommands, control socket, UI) and the one place that
//! executes them on an open `Session`; results are JSON values in the shapes the `--json` outputs promise.

use clearchat_core::{Buddy, Client, Config, Device, Event, Invite, Me, Message, Redeemed};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How long `join` waits for the first sync after the code is redeemed.
const FIRST_SYNC: Duration = Duration::from_secs(15);

/// One request, as sent over the control socket (one JSON line).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    Me,
    Link,
    Invite {
        name: String,
    },
    /// Waits until more than `after` invites were redeemed since the holder started; returns redemption `after`.
    WaitRedeemed {
        after: usize,
    },
    Join {
        code: String,
    },
    Buddies,
    Send {
        buddy: String,
        text: String,
    },
    Messages {
        buddy: String,
        limit: u32,
    },
    Devices,
    RemoveBuddy {
        buddy: String,
    },
    Unlink {
        device: String,
    },
}

/// A redeemed invite, as told by `Event::InviteRedeemed`.
#[derive(Clone, Debug)]
pub struct Redemption {
    pub label: String,
    pub by_device: String,
}

/// An open device with its event pump: what `run`, the UI and direct commands all hold.
pub struct Session {
    pub client: Client,
    redeemed: watch::Sender<Vec<Redemption>>,
    /// Devices that went offline since the session opened.
    gone: watch::Sender<Vec<String>>,
}

/// Whether `dir` holds a device already.
pub fn has_device(dir: &Path) -> bool {
    dir.join("clearchat.db").exists()
}

/// A sentence for the user from any core error.
pub fn sentence(e: clearchat_core::Error) -> String {
    e.to_string()
}

impl Session {
    /// Opens the existing device in `dir`; events go to the returned receiver, in order.
    pub fn open(
        dir: &Path,
        config: Config,
    ) -> Result<(Arc<Session>, mpsc::UnboundedReceiver<Event>), String> {
        if !has_device(dir) {
            return Err(format!(
                "there is no device in {}; create one with `clearchat init --name DEVICE --person NAME`",
                dir.display()
            ));
        }
        let client = Client::open_with(dir, "device", config).map_err(sentence)?;
        Ok(Self::wrap(client))
    }

    /// Wraps an open client: subscribes to its events and keeps the redemptions.
    pub fn wrap(client: Client) -> (Arc<Session>, mpsc::UnboundedReceiver<Event>) {
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
                            by_device: by_device.clone(),
                        })
                    });
                }
                if let Event::PeerOffline { device_id } = &event {
                    let Some(session) = weak.upgrade() else { break };
                    session.gone.send_modify(|v| v.push(device_id.clone()));
                }
                let _ = tx.send(event);
            }
        });
        (session, rx)
    }

    /// Runs one request; errors are sentences for the user.
    pub async fn execute(&self, req: Request) -> Result<Value, String> {
        let c = &self.client;
        match req {
            Request::Me => {
                let me = c.me().map_err(sentence)?;
                Ok(me_json(&me, &c.listen_addrs()))
            }
            Request::Link => {
                let seq = self.redeemed.borrow().len();
                let invite = c.create_link_invite().await.map_err(sentence)?;
                Ok(invite_json(&invite, seq))
            }
            Request::Invite { name } => {
                let seq = self.redeemed.borrow().len();
                let invite = c.create_buddy_invite(&name).await.map_err(sentence)?;
                Ok(invite_json(&invite, seq))
            }
            Request::WaitRedeemed { after } => {
                let mut rx = self.redeemed.subscribe();
                let list = rx
                    .wait_for(|v| v.len() > after)
                    .await
                    .map_err(|_| "the device closed while waiting".to_string())?;
                Ok(redemption_json(&list[after]))
            }
            Request::Join { code } => {
                let redeemed = c.redeem(code.trim()).await.map_err(sentence)?;
                self.wait_first_sync(&redeemed).await;
                Ok(joined_json(&redeemed))
            }
            Request::Buddies => {
                let buddies = c.buddies().await.map_err(sentence)?;
                Ok(Value::Array(buddies.iter().map(buddy_json).collect()))
            }
            Request::Send { buddy, text } => {
                let m = c.send(&buddy, &text).await.map_err(sentence)?;
                Ok(message_json(&m))
            }
            Request::Messages { buddy, limit } => {
                let list = c
                    .conversation(&buddy, None, limit)
                    .await
                    .map_err(sentence)?;
                Ok(Value::Array(list.iter().map(message_json).collect()))
            }
            Request::Devices => {
                let devices = c.devices().await.map_err(sentence)?;
                Ok(Value::Array(
                    devices
                        .iter()
                        .filter(|d| !d.revoked)
                        .map(device_json)
                        .collect(),
                ))
            }
            Request::RemoveBuddy { buddy } => {
                c.remove_buddy(&buddy).await.map_err(sentence)?;
                Ok(Value::Null)
            }
            Request::Unlink { device } => {
                c.revoke_device(&device).await.map_err(sentence)?;
                Ok(Value::Null)
            }
        }
    }

    /// Waits (with a deadline) until `device` has been connected and went offline again.
    pub async fn wait_gone(&self, device: &str, deadline: Duration) {
        let mut rx = self.gone.subscribe();
        let _ =
            tokio::time::timeout(deadline, rx.wait_for(|v| v.iter().any(|d| d == device))).await;
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

pub fn me_json(me: &Me, listen: &[std::net::SocketAddr]) -> Value {
    json!({
        "device_id": me.device_id,
        "device_name": me.device_name,
        "person_id": me.person_id,
        "person_name": me.person_name,
        "listen": listen.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    })
}

pub fn redemption_json(r: &Redemption) -> Value {
    json!({"label": r.label, "by_device": r.by_device})
}

pub fn joined_json(redeemed: &Redeemed) -> Value {
    match redeemed {
        Redeemed::Linked { person_name } => {
            json!({"kind": "linked", "person_name": person_name})
        }
        Redeemed::Buddy { buddy_id, name } => {
            json!({"kind": "buddy", "buddy_id": buddy_id, "name": name})
        }
    }
}

pub fn buddy_json(b: &Buddy) -> Value {
    json!({
        "id": b.id,
        "name": b.name,
        "online": b.online,
        "unread": b.unread,
        "last_message": b.last_message.as_ref().map(message_json),
    })
}

pub fn device_json(d: &Device) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "person": d.person,
        "me": d.me,
        "online": d.online,
        "last_seen": d.last_seen,
    })
}

/// A message in the `messages --json` shape.
pub fn message_json(m: &Message) -> Value {
    json!({
        "id": m.id,
        "from": m.from,
        "device": m.device_id,
        "text": m.text,
        "sent_at": m.sent_at,
        "state": m.state.as_str(),
    })
}

/// An invite for the wire: the code, the URI, the QR rows ("1" dark, "0" light) and the redemption count so far.
pub fn invite_json(invite: &Invite, redeemed_before: usize) -> Value {
    let width = invite.qr.width as usize;
    let rows: Vec<String> = invite
        .qr
        .modules
        .chunks(width.max(1))
        .map(|row| row.iter().map(|&d| if d { '1' } else { '0' }).collect())
        .collect();
    json!({
        "code": invite.code,
        "uri": invite.uri,
        "qr": rows,
        "expires_at": invite.expires_at,
        "redeemed_before": redeemed_before,
    })
}

/// The QR matrix back from its rows.
pub fn qr_rows(invite: &Value) -> Vec<Vec<bool>> {
    invite["qr"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(Value::as_str)
                .map(|r| r.chars().map(|c| c == '1').collect())
                .collect()
        })
        .unwrap_or_default()
}
