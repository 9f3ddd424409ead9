//! The subcommands: each one reaches the device (through the holder's control socket, or directly when nothing
//! holds the data dir), makes its requests, and prints the result for people or, with `--json`, for scripts.

use crate::args::Command;
use crate::control::{self, Access};
use crate::render;
use crate::session::{self, Request, Session};
use clearchat_core::{Client, Config};
use serde_json::Value;
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
    async fn reach(dir: &Path, online: bool) -> Result<Device, String> {
        match control::acquire(dir).await? {
            Access::Remote(sock) => Ok(Device::Remote(sock)),
            Access::Direct(lock) => {
                let (session, _events) = Session::open(dir, Config::default())?;
                if online {
                    session.client.start().await.map_err(session::sentence)?;
                }
                Ok(Device::Direct {
                    session,
                    online,
                    _lock: lock,
                })
            }
        }
    }

    async fn call(&self, req: Request) -> Result<Value, String> {
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

/// Runs one subcommand (all but `run`, `demo` and the UI) on the data dir `dir`.
pub async fn execute(dir: &Path, command: Command) -> Result<(), String> {
    match command {
        Command::Init { name, person } => init(dir, &name, person.as_deref()).await,
        Command::Run { listen, json } => crate::run::run(dir, listen, json).await,
        Command::Demo => crate::demo::run().await,
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
            let v = result?;
            match v["kind"].as_str() {
                Some("linked") => println!(
                    "this device is now linked: a device of {}",
                    v["person_name"].as_str().unwrap_or("")
                ),
                _ => println!(
                    "{} is now your buddy",
                    v["name"].as_str().unwrap_or("your buddy")
                ),
            }
            Ok(())
        }
        Command::Buddies { json } => {
            let v = one(dir, Request::Buddies).await?;
            print(json, &v, render::buddies_human);
            Ok(())
        }
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
            let v = one(dir, Request::Messages { buddy, limit }).await?;
            print(json, &v, render::messages_human);
            Ok(())
        }
        Command::Devices { json } => {
            let v = one(dir, Request::Devices).await?;
            print(json, &v, render::devices_human);
            Ok(())
        }
        Command::RemoveBuddy { buddy } => one(dir, Request::RemoveBuddy { buddy }).await.map(drop),
        Command::Unlink { device } => one(dir, Request::Unlink { device }).await.map(drop),
    }
}

/// One request on an offline device.
async fn one(dir: &Path, req: Request) -> Result<Value, String> {
    let device = Device::reach(dir, false).await?;
    let result = device.call(req).await;
    device.close().await;
    result
}

fn print(json: bool, v: &Value, human: fn(&Value) -> String) {
    if json {
        println!("{v}");
    } else {
        print!("{}", human(v));
    }
}

async fn init(dir: &Path, name: &str, person: Option<&str>) -> Result<(), String> {
    if session::has_device(dir) {
        return Err(format!("there is already a device in {}", dir.display()));
    }
    let Access::Direct(_lock) = control::acquire(dir).await? else {
        return Err(format!("there is already a device in {}", dir.display()));
    };
    let client = Client::open_with(dir, name, Config::default()).map_err(session::sentence)?;
    if let Some(person) = person {
        client
            .set_person_name(person)
            .await
            .map_err(session::sentence)?;
    }
    let me = client.me().map_err(session::sentence)?;
    println!(
        "created device {} ({}) in {}",
        me.device_name,
        render::short(&me.device_id.to_string()),
        dir.display()
    );
    Ok(())
}

async fn invite(device: &Device, req: Request, wait: bool, code_only: bool) -> Result<(), String> {
    let link = matches!(req, Request::Link);
    let v = device.call(req).await?;
    let code = v["code"].as_str().unwrap_or_default();
    if code_only {
        println!("{code}");
    } else {
        render::print_qr(&session::qr_rows(&v));
        println!();
        if link {
            println!("Scan this with your other device, or run `clearchat join CODE` there. CODE:");
        } else {
            println!(
                "Let your buddy scan this, or run `clearchat join CODE` on their device. CODE:"
            );
        }
        println!("{code}");
    }
    let _ = std::io::stdout().flush();
    if wait {
        let after = v["redeemed_before"].as_u64().unwrap_or(0) as usize;
        let r = device.call(Request::WaitRedeemed { after }).await?;
        let by = r["by_device"].as_str().unwrap_or_default();
        if let Device::Direct { session, .. } = device {
            // Stay online until the redeemer has finished its first sync and left.
            session
                .wait_gone(by, std::time::Duration::from_secs(10))
                .await;
        }
        println!("redeemed by device {}", render::short(by));
    }
    Ok(())
}

/// The listen address of `run`: loopback ones turn LAN discovery off.
pub fn run_config(listen: Option<SocketAddr>) -> Config {
    match listen {
        Some(addr) => Config {
            listen: addr,
            lan_discovery: !addr.ip().is_loopback(),
            ..Config::default()
        },
        None => Config::default(),
    }
}
