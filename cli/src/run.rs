//! `clearchat run`: holds the data dir, stays online, serves the control socket, prints one line per event,
//! tells the core when the network changes (`netwatch`), and goes offline cleanly on SIGINT or SIGTERM.

use crate::commands::run_config;
use crate::control::{self, Holder};
use crate::error::{Error, Result};
use crate::netwatch::{self, Snapshot, Watch};
use crate::render;
use crate::session::{self, Session};
use crate::wire::EventLine;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use tokio::signal::unix::{signal, SignalKind};

pub async fn run(dir: &Path, listen: Option<SocketAddr>, json_out: bool) -> Result<()> {
    // The engine's log on stderr, only when asked for with `RUST_LOG` (e.g. `clearchat_core=info`).
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("off"))
        .try_init();
    if !session::has_device(dir) {
        return Err(Error::no_device(dir));
    }
    let (holder, listener) = Holder::take(dir).await?;
    let (session, mut events) = Session::open(dir, run_config(listen))?;
    session.client.start().await?;
    let me = session.client.me()?;
    let addrs: Vec<String> = session
        .client
        .listen_addrs()
        .iter()
        .map(|a| a.to_string())
        .collect();
    let mut out = std::io::stdout();
    // A closed stdout must not stop (or crash) the device.
    if json_out {
        let started = EventLine::Started {
            device_id: me.device_id,
            device_name: me.device_name.clone(),
            person_name: me.person_name.clone(),
            listen: addrs.clone(),
        };
        let _ = writeln!(out, "{}", json_line(&started));
    } else {
        let _ = writeln!(
            out,
            "{} ({} of {}) is online on {}; Ctrl-C to stop",
            me.device_name,
            render::short(me.device_id),
            me.person_name,
            addrs.join(", ")
        );
    }
    let _ = out.flush();
    let server = tokio::spawn(control::serve(listener, session.clone()));
    let mut term = signal(SignalKind::terminate()).map_err(Error::io("listen for SIGTERM"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(Error::io("listen for SIGINT"))?;
    let mut watch = Watch::default();
    watch.handle_look(Snapshot::read());
    let mut looks = tokio::time::interval(netwatch::EVERY);
    looks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                let line = if json_out {
                    json_line(&EventLine::from(event))
                } else {
                    render::event_human(&event)
                };
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            _ = looks.tick() => {
                // A look costs two reads of the kernel's tables, well under a millisecond.
                if watch.handle_look(Snapshot::read()) {
                    if let Err(e) = session.client.network_changed(None).await {
                        log::warn!("after a network change: {e}");
                    }
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    server.abort();
    session.client.stop().await?;
    drop(holder);
    let _ = if json_out {
        writeln!(out, "{}", json_line(&EventLine::Stopped))
    } else {
        writeln!(out, "offline")
    };
    let _ = out.flush();
    Ok(())
}

/// One compact JSON line (a record of plain strings and numbers always serializes).
fn json_line(line: &EventLine) -> String {
    serde_json::to_string(line).unwrap_or_default()
}
