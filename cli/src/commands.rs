//! The subcommands: each one reaches the device (through the holder's control socket, or directly when nothing
//! holds the data dir), makes its requests, and prints the result for people or, with `--json`, for scripts.

use crate::args::Command;
use crate::control::{self, Access};
use crate::error::{Error, Result};
use crate::render;
use crate::session::{self, Session};
use crate::wire::{InviteView, Joined, Request, Response};
use clearchat_core::Config;
use serde::Serialize;
use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The device of a data dir, reached one way or the other.
enum Device {
    Remote(PathBuf),
    Direct {
        session: Arc<Session>,
        online: bool,
        _lock: File,
    },
}

impl Device {
    /// Reaches the device in `dir`; a direct one goes online when `online` is set.
    async fn reach(dir: &Path, online: bool) -> Result<Device> {
        match control::acquire(dir).await? {
            Access::Remote(sock) => Ok(Device::Remote(sock)),
            Access::Direct(lock) => {
                let (session, _events) = Session::open(dir, run_config(None))?;
                if online {
                    session.client.start().await?;
                }
                Ok(Device::Direct {
                    session,
                    online,
                    _lock: lock,
                })
            }
        }
    }

    async fn call(&self, req: Request) -> Result<Response> {
        match self {
            Device::Remote(sock) => control::request(sock, &req).await,
            Device::Direct { session, .. } => session.execute(req).await,
        }
    }

    fn is_direct(&self) -> bool {
        matches!(self, Device::Direct { .. })
    }

    async fn close(self) {
        if let Device::Direct {
            session,
            online: true,
            ..
        } = self
        {
            let _ = session.client.stop().await;
        }
    }
}

/// Runs one subcommand (all but the UI) on the data dir `dir`.
pub async fn execute(dir: &Path, command: Command) -> Result<()> {
    match command {
        Command::Init { name, person } => init(dir, &name, person.as_deref()).await,
        Command::Run { listen, json } => crate::run::run(dir, listen, json).await,
        Command::Demo => crate::demo::run().await.map_err(Error::Demo),
        Command::Link { wait, code_only } => {
            let device = Device::reach(dir, wait).await?;
            let result = invite(&device, Request::Link, wait, code_only).await;
            device.close().await;
            result
        }
        Command::Invite {
            name,
            wait,
            code_only,
        } => {
            let device = Device::reach(dir, wait).await?;
            let req = Request::Invite {
                name: name.unwrap_or_default(),
            };
            let result = invite(&device, req, wait, code_only).await;
            device.close().await;
            result
        }
        Command::Join { code } => {
            let device = Device::reach(dir, true).await?;
            let result = device.call(Request::Join { code }).await;
            device.close().await;
            match result? {
                Response::Joined(Joined::Linked { person_name }) => {
                    println!("this device is now linked: a device of {person_name}")
                }
                Response::Joined(Joined::Buddy { name, .. }) => {
                    println!("{name} is now your buddy")
                }
                other => return Err(other.unexpected()),
            }
            Ok(())
        }
        Command::Buddies { json } => match one(dir, Request::Buddies).await? {
            Response::Buddies(list) => print(json, list.as_slice(), render::buddies_human),
            other => Err(other.unexpected()),
        },
        Command::Send { buddy, text } => {
            let device = Device::reach(dir, false).await?;
            let result = device.call(Request::Send { buddy, text }).await;
            let direct = device.is_direct();
            device.close().await;
            result?;
            if direct {
                eprintln!(
                    "clearchat: queued; it goes out with the next `clearchat run` (or the UI)"
                );
            }
            Ok(())
        }
        Command::Messages { buddy, limit, json } => {
            match one(dir, Request::Messages { buddy, limit }).await? {
                Response::Messages(list) => print(json, list.as_slice(), render::messages_human),
                other => Err(other.unexpected()),
            }
        }
        Command::Devices { json } => match one(dir, Request::Devices).await? {
            Response::Devices(list) => print(json, list.as_slice(), render::devices_human),
            other => Err(other.unexpected()),
        },
        Command::RemoveBuddy { buddy } => one(dir, Request::RemoveBuddy { buddy }).await.map(drop),
        Command::Unlink { device } => one(dir, Request::Unlink { device }).await.map(drop),
    }
}

/// One request on an offline device.
async fn one(dir: &Path, req: Request) -> Result<Response> {
    let device = Device::reach(dir, false).await?;
    let result = device.call(req).await;
    device.close().await;
    result
}

/// A listing as JSON (one document) or as lines for people.
fn print<T: Serialize + ?Sized>(json: bool, value: &T, human: fn(&T) -> String) -> Result<()> {
    if json {
        let text = serde_json::to_string(value).map_err(|e| Error::BadReply {
            reason: e.to_string(),
        })?;
        println!("{text}");
    } else {
        print!("{}", human(value));
    }
    Ok(())
}

async fn init(dir: &Path, name: &str, person: Option<&str>) -> Result<()> {
    let me = session::create_device(dir, name, person).await?;
    println!(
        "created device {} ({}) in {}",
        me.device_name,
        render::short(me.device_id),
        dir.display()
    );
    Ok(())
}

async fn invite(device: &Device, req: Request, wait: bool, code_only: bool) -> Result<()> {
    let link = matches!(req, Request::Link);
    let invite: InviteView = match device.call(req).await? {
        Response::Invite(invite) => invite,
        other => return Err(other.unexpected()),
    };
    if code_only {
        println!("{}", invite.code);
    } else {
        render::print_qr(&invite.qr);
        println!();
        if link {
            println!("Scan this with your other device, or run `clearchat join CODE` there. CODE:");
        } else {
            println!(
                "Let your buddy scan this, or run `clearchat join CODE` on their device. CODE:"
            );
        }
        println!("{}", invite.code);
    }
    let _ = std::io::stdout().flush();
    if wait {
        let after = invite.redeemed_before;
        let redemption = match device.call(Request::WaitRedeemed { after }).await? {
            Response::Redeemed(r) => r,
            other => return Err(other.unexpected()),
        };
        if let Device::Direct { session, .. } = device {
            // Stay online until the redeemer has finished its first sync and left.
            session
                .wait_gone(&redemption.by_device, std::time::Duration::from_secs(10))
                .await;
        }
        println!("redeemed by device {}", render::short(redemption.by_device));
    }
    Ok(())
}

/// The network of `run` and of a device going online directly: a loopback listen address turns LAN
/// discovery, the DHT and port mapping off; `CLEARCHAT_DHT` overrides the DHT, `CLEARCHAT_PORT_MAPPING=off`
/// turns port mapping off, `CLEARCHAT_DHT_TIME_SCALE` speeds the DHT's lookup schedule up (to measure).
pub fn run_config(listen: Option<SocketAddr>) -> Config {
    let mut config = match listen {
        Some(addr) => Config {
            listen: addr,
            lan_discovery: !addr.ip().is_loopback(),
            dht: !addr.ip().is_loopback(),
            port_mapping: !addr.ip().is_loopback(),
            ..Config::default()
        },
        None => Config::default(),
    };
    // `CLEARCHAT_DHT`: `off`, or the bootstrap nodes to use instead of the public ones (`host:port,...`).
    match std::env::var("CLEARCHAT_DHT").ok().as_deref() {
        Some("off") => config.dht = false,
        Some(nodes) if !nodes.is_empty() => {
            config.dht = true;
            config.dht_bootstrap = nodes.split(',').map(|n| n.trim().to_string()).collect();
        }
        _ => {}
    }
    // `CLEARCHAT_DHT_TIME_SCALE`: run the DHT's lookup schedule this many times faster (for measuring).
    if let Some(scale) = std::env::var("CLEARCHAT_DHT_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.dht_time_scale = scale;
    }
    if std::env::var("CLEARCHAT_PORT_MAPPING").is_ok_and(|v| v == "off") {
        config.port_mapping = false;
    }
    config
}
