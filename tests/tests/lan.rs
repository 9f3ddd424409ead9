//! LAN discovery across two network namespaces joined by a veth pair: two devices that know no address of
//! each other find each other by beacons alone and deliver a message. Needs root (ip netns); without it the
//! test says so and passes vacuously, which CI (root) never does.

use clearchat_scenarios::{wait_until, Device};
use std::process::{Child, Command, Stdio};

struct Namespaces(Vec<String>);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_find_each_other_on_the_lan_by_beacons_alone() {
    let tag = std::process::id() % 10_000;
    let (a, b) = (format!("cca{tag}"), format!("ccb{tag}"));
    if !ip(&["netns", "add", &a]) {
        eprintln!("SKIPPED: cannot create network namespaces here (needs root)");
        return;
    }
    let mut namespaces = Namespaces(vec![a.clone()]);
    assert!(ip(&["netns", "add", &b]));
    namespaces.0.push(b.clone());
    let (va, vb) = (format!("va{tag}"), format!("vb{tag}"));
    assert!(ip(&[
        "link", "add", &va, "netns", &a, "type", "veth", "peer", "name", &vb, "netns", &b
    ]));
    let subnet = 1 + tag % 250;
    for (ns, dev, host) in [(&a, &va, 1), (&b, &vb, 2)] {
        let addr = format!("10.254.{subnet}.{host}/24");
        assert!(ip(&[
            "-n", ns, "addr", "add", &addr, "brd", "+", "dev", dev
        ]));
        assert!(ip(&["-n", ns, "link", "set", dev, "up"]));
        assert!(ip(&["-n", ns, "link", "set", "lo", "up"]));
    }

    // Amy and Betty become buddies on loopback, then forget every address they learned.
    let amy = Device::new("Amy", "Amy").await;
    amy.client.start().await.unwrap();
    let betty = Device::new("Betty", "Betty").await;
    betty
        .client
        .redeem(&amy.client.create_buddy_invite("b").await.unwrap().code)
        .await
        .unwrap();
    wait_until("Betty lists Amy", || async {
        betty.client.buddies().await.unwrap().len() == 1
    })
    .await;
    wait_until("Amy lists Betty", || async {
        amy.client.buddies().await.unwrap().len() == 1
    })
    .await;
    let (amy_dir, betty_dir) = (amy.dir.path().to_path_buf(), betty.dir.path().to_path_buf());
    for d in [&amy, &betty] {
        d.client.stop().await.unwrap();
        clearchat_core::testing::forget_addresses(&d.client).unwrap();
    }
    drop((amy.client, betty.client));

    let peer = env!("CARGO_BIN_EXE_lan-peer");
    let port = (40_000 + tag % 20_000).to_string();
    let spawn = |ns: &str, dir: &std::path::Path, mode: &str, buddy: &str| {
        Kill(
            Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    ns,
                    peer,
                    dir.to_str().unwrap(),
                    &port,
                    mode,
                    buddy,
                    "hello over the LAN",
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn lan-peer"),
        )
    };
    let mut receiver = spawn(&a, &amy_dir, "expect", "Betty");
    let mut sender = spawn(&b, &betty_dir, "send", "Amy");
    let status = tokio::task::spawn_blocking(move || {
        // The receiver stays up until its stdin closes, so that the sender gets its acknowledgement.
        let s = sender.0.wait();
        drop(receiver.0.stdin.take());
        let r = receiver.0.wait();
        (r, s)
    })
    .await
    .unwrap();
    assert!(
        status.0.unwrap().success(),
        "Amy received the message over the LAN"
    );
    assert!(status.1.unwrap().success(), "Betty saw it delivered");
    drop(namespaces);
    drop((amy.dir, betty.dir));
}
