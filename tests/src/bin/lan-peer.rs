//! A Clearchat device for the LAN test: opens a data dir with LAN discovery on, goes online, then either
//! sends a message or waits for one, and exits 0 when done (1 on timeout). Run inside a network namespace.
//!
//! usage: lan-peer DIR BEACON_PORT send BUDDY TEXT
//!        lan-peer DIR BEACON_PORT expect BUDDY TEXT

use clearchat_core::{Client, Config};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, port, mode, buddy, text] = args.as_slice() else {
        eprintln!("usage: lan-peer DIR BEACON_PORT send|expect BUDDY TEXT");
        std::process::exit(2);
    };
    // What the engine does goes to stderr, so a failed LAN test shows why.
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("clearchat_core=info"),
    )
    .format_target(false)
    .init();
    let config = Config {
        listen: "0.0.0.0:0".parse().expect("address"),
        lan_discovery: true,
        lan_port: port.parse().expect("port"),
        dht: false,
        port_mapping: false,
        ..Config::default()
    };
    let client = Client::open_with(dir, "lan peer", config).expect("open");
    client.start().await.expect("start");
    let deadline = Instant::now() + Duration::from_secs(90);
    // The buddy by name: its data dir already holds the buddy space.
    let buddy = client
        .buddies()
        .await
        .expect("buddies")
        .into_iter()
        .find(|b| b.name == *buddy)
        .map(|b| b.id)
        .expect("the buddy is listed");
    if mode == "send" {
        client.send(&buddy, text).await.expect("send");
    }
    loop {
        let done = match mode.as_str() {
            "send" => client
                .conversation(&buddy, None, 100)
                .await
                .map(|m| {
                    m.iter().any(|m| {
                        m.text == *text && m.state >= clearchat_core::MessageState::Delivered
                    })
                })
                .unwrap_or(false),
            _ => client
                .conversation(&buddy, None, 100)
                .await
                .map(|m| m.iter().any(|m| m.text == *text))
                .unwrap_or(false),
        };
        if done {
            println!("done");
            if mode != "send" {
                // Stay up until the test closes stdin: the sender is waiting for our acknowledgement.
                let _ = tokio::task::spawn_blocking(|| {
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())
                })
                .await;
            }
            client.stop().await.ok();
            std::process::exit(0);
        }
        if Instant::now() > deadline {
            eprintln!(
                "timed out; buddies: {:?}",
                client.buddies().await.map(|b| b
                    .iter()
                    .map(|b| (b.name.clone(), b.online))
                    .collect::<Vec<_>>())
            );
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
