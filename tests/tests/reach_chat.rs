//! Reach end to end: `clearchat run` processes in the lab's namespaces (tests/src/netlab.rs), with nothing
//! in common but a Mainline DHT testnet to bootstrap from, chat across NATs. Needs root; without it each
//! test says SKIPPED. Timings are printed (run with --nocapture), never asserted.

use clearchat_scenarios::cli::{bin, clearchat, ok, RunGuard};
use clearchat_scenarios::miniupnpd::Miniupnpd;
use clearchat_scenarios::netlab::{Host, Lab, Nat, RouterPlan};
use clearchat_scenarios::testnet::dht_testnet_of_8;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one step may take on a loaded machine before it counts as failed.
const STEP: Duration = Duration::from_secs(40);

/// `clearchat --data-dir DIR run --listen LISTEN --json` inside `host`'s namespace, meeting others through
/// the DHT testnet `bootstrap`.
/// Port mapping is off: these scenarios' routers offer none (see [`run_mapping_in`]).
fn run_in(host: &Host, dir: &Path, listen: &str, bootstrap: &[String]) -> RunGuard {
    let mut command = host.ns.command(bin());
    command.env("CLEARCHAT_PORT_MAPPING", "off");
    run_command(command, dir, listen, bootstrap)
}

/// [`run_in`] with port mapping on.
fn run_mapping_in(host: &Host, dir: &Path, listen: &str, bootstrap: &[String]) -> RunGuard {
    run_command(host.ns.command(bin()), dir, listen, bootstrap)
}

fn run_command(mut command: Command, dir: &Path, listen: &str, bootstrap: &[String]) -> RunGuard {
    command
        .env("CLEARCHAT_DHT", bootstrap.join(","))
        .env(
            "RUST_LOG",
            "clearchat_core=info,clearchat_core::net::portmap=debug",
        )
        .arg("--data-dir")
        .arg(dir)
        .args(["run", "--listen", listen, "--json"]);
    RunGuard::spawn(command)
}

/// Polls `condition` (which runs `clearchat` commands) until it holds or `STEP` passes; returns how long
/// it took.
fn wait(what: &str, condition: impl FnMut() -> bool) -> Duration {
    wait_up_to(STEP, what, condition)
}

/// Polls `condition` until it holds (returns how long that took) or `deadline` passes (None).
fn wait_for(deadline: Duration, mut condition: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while !condition() {
        if start.elapsed() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(start.elapsed())
}

/// [`wait`] with another deadline.
fn wait_up_to(deadline: Duration, what: &str, mut condition: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

/// Whether `dir`'s conversation with `buddy` shows `text` (false while `buddy` is not known yet).
fn shows(dir: &Path, buddy: &str, text: &str) -> bool {
    let out = clearchat(dir, &["messages", buddy, "--json"]);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains(text)
}

/// How `dir` reaches `buddy`, as `buddies --json` says.
fn reach_of(dir: &Path, buddy: &str) -> String {
    let out = ok(dir, &["buddies", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&out).expect("buddies JSON");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|b| b["name"] == buddy)
        .map(|b| b["reach"].to_string())
        .unwrap_or_default()
}

#[test]
fn a_phone_behind_a_carrier_nat_reaches_a_public_laptop_and_finds_it_again_through_the_dht() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let (testnet, bootstrap) = dht_testnet_of_8(&internet);
    let laptop_host = internet.host("laptop");
    let carrier = internet.carrier("cgn");
    let phone_home = carrier.home("home", RouterPlan::nat(Nat::Masquerade));
    let phone_host = phone_home.host("phone");

    let root = tempfile::tempdir().expect("tempdir");
    let (laptop, phone) = (root.path().join("laptop"), root.path().join("phone"));
    ok(
        &laptop,
        &["init", "--name", "Amy laptop", "--person", "Amy"],
    );
    ok(
        &phone,
        &["init", "--name", "Betty phone", "--person", "Betty"],
    );

    let laptop_run = run_in(&laptop_host, &laptop, "[::]:4100", &bootstrap);
    let code = ok(&laptop, &["invite", "--name", "Betty", "--code-only"]);
    let started = Instant::now();
    let phone_run = run_in(&phone_host, &phone, "[::]:4100", &bootstrap);
    ok(&phone, &["join", code.trim()]);
    ok(&phone, &["send", "Amy", "hello from the phone"]);
    wait("the laptop gets the phone's message", || {
        shows(&laptop, "Betty", "hello from the phone")
    });
    let first = started.elapsed();
    ok(&laptop, &["send", "Betty", "hello from the laptop"]);
    wait("the phone gets the laptop's message", || {
        shows(&phone, "Amy", "hello from the laptop")
    });
    wait("the phone says the laptop is direct", || {
        reach_of(&phone, "Amy") == "\"direct\""
    });
    eprintln!("first message delivered {first:?} after the phone started");

    // The laptop comes back on another port: its invite, its `Addresses` entries and the phone's cache
    // all name the old one, the phone's carrier NAT lets nothing in from the laptop, and there is no LAN
    // in common. Only the laptop's DHT record can tell the phone where it is now.
    laptop_run.terminate_cleanly(&laptop);
    let moved = Instant::now();
    let laptop_run = run_in(&laptop_host, &laptop, "[::]:4200", &bootstrap);
    ok(&laptop, &["send", "Betty", "I moved"]);
    let found = wait(
        "the phone finds the laptop again and gets its message",
        || shows(&phone, "Amy", "I moved"),
    );
    eprintln!(
        "after the laptop moved: its message reached the phone {:?} after its restart",
        moved.elapsed().max(found)
    );
    ok(&phone, &["send", "Amy", "found you"]);
    wait("the laptop gets the phone's answer", || {
        shows(&laptop, "Betty", "found you")
    });
    assert_eq!(reach_of(&phone, "Amy"), "\"direct\"");
    drop((laptop_run, phone_run));
    drop(testnet);
}

#[test]
fn a_phone_behind_a_carrier_nat_reaches_a_laptop_through_the_port_its_home_router_mapped() {
    phone_reaches_laptop_through_a_mapping(Mapper::Pcp);
}

#[test]
fn a_phone_behind_a_carrier_nat_reaches_a_laptop_through_the_port_its_router_mapped_by_upnp() {
    phone_reaches_laptop_through_a_mapping(Mapper::UpnpOnly);
}

/// What the laptop's home router answers when asked for a port mapping.
#[derive(Clone, Copy, Debug)]
enum Mapper {
    /// PCP and NAT-PMP (and UPnP-IGD).
    Pcp,
    /// UPnP-IGD only: the laptop's PCP and NAT-PMP questions go unanswered, and its SSDP search finds
    /// the router.
    UpnpOnly,
}

/// The laptop's router keeps ports and maps as `mapper` says; the phone sits behind a carrier NAT and a
/// home router that picks a fresh port per destination, so no dial of the laptop's toward the phone
/// opens a way in for the phone (as with two such routers, which do not connect): the phone gets in
/// only through the mapped port, and the mapping is gone once the laptop stops.
fn phone_reaches_laptop_through_a_mapping(mapper: Mapper) {
    let Some(lab) = Lab::new() else { return };
    if !Miniupnpd::installed() {
        eprintln!("SKIPPED: miniupnpd is not installed (apt-get install miniupnpd-nftables)");
        return;
    }
    let internet = lab.internet();
    let (testnet, bootstrap) = dht_testnet_of_8(&internet);
    let laptop_home = internet.home("laptophome", RouterPlan::nat(Nat::Masquerade));
    let carrier = internet.carrier("cgn");
    let phone_home = carrier.home("phonehome", RouterPlan::nat(Nat::Random));
    let (laptop_host, phone_host) = (laptop_home.host("laptop"), phone_home.host("phone"));
    let root = tempfile::tempdir().expect("tempdir");
    let router_dir = root.path().join("router");
    std::fs::create_dir(&router_dir).expect("router dir");
    let router = match mapper {
        Mapper::Pcp => Miniupnpd::start(&lab, &laptop_home, &router_dir, STEP),
        Mapper::UpnpOnly => Miniupnpd::start_upnp_only(&lab, &laptop_home, &router_dir, STEP),
    };
    let (laptop, phone) = paired_on_loopback(root.path());

    let laptop_ip = laptop_host.ipv4.expect("IPv4");
    let rule = format!("dnat ip to {laptop_ip}:4100");
    let started = Instant::now();
    let laptop_run = run_mapping_in(&laptop_host, &laptop, "[::]:4100", &bootstrap);
    let mapped = wait(
        &format!("the laptop's router maps its port ({mapper:?})"),
        || router.rules().contains(&rule),
    );
    eprintln!(
        "{mapper:?}: mapped {mapped:?} after the laptop started:\n{}",
        router.rules()
    );
    let phone_run = run_in(&phone_host, &phone, "[::]:4100", &bootstrap);
    ok(&phone, &["send", "Amy", "through the mapped port"]);
    let first = wait("the laptop gets the phone's message", || {
        shows(&laptop, "Betty", "through the mapped port")
    });
    eprintln!(
        "{mapper:?}: first message delivered {:?} after the laptop started ({first:?} after the phone sent it)",
        started.elapsed()
    );
    ok(&laptop, &["send", "Betty", "and back"]);
    wait("the phone gets the laptop's answer", || {
        shows(&phone, "Amy", "and back")
    });
    assert_eq!(reach_of(&phone, "Amy"), "\"direct\"");
    assert_eq!(reach_of(&laptop, "Betty"), "\"direct\"");

    laptop_run.terminate_cleanly(&laptop);
    wait("the laptop deleted its mapping on stop", || {
        !router.rules().contains("dnat")
    });
    drop(phone_run);
    drop(testnet);
}

#[test]
fn a_laptop_carried_to_another_home_maps_its_port_on_the_new_router_and_the_phone_reaches_it_again()
{
    let Some(lab) = Lab::new() else { return };
    if !Miniupnpd::installed() {
        eprintln!("SKIPPED: miniupnpd is not installed (apt-get install miniupnpd-nftables)");
        return;
    }
    let internet = lab.internet();
    let (testnet, bootstrap) = dht_testnet_of_8(&internet);
    // As in the PCP scenario: the phone behind a carrier NAT and a port-changing home router gets in only
    // through a port the laptop's router mapped. Both homes run miniupnpd and hand out the same LAN
    // (192.168.1.0/24, the router at .1): after the move the laptop has the same address and gateway on a
    // new link, the hardest case for noticing the change.
    let first_home = internet.home("home1", RouterPlan::nat(Nat::Masquerade));
    let second_home = internet.home("home2", RouterPlan::nat(Nat::Masquerade));
    let carrier = internet.carrier("cgn");
    let phone_home = carrier.home("phonehome", RouterPlan::nat(Nat::Random));
    let (laptop_host, phone_host) = (first_home.host("laptop"), phone_home.host("phone"));
    let root = tempfile::tempdir().expect("tempdir");
    let routers = [&first_home, &second_home].map(|home| {
        let dir = root.path().join(home.ns().name());
        std::fs::create_dir(&dir).expect("router dir");
        Miniupnpd::start(&lab, home, &dir, STEP)
    });
    let (laptop, phone) = paired_on_loopback(root.path());

    let rule = format!("dnat ip to {}:4100", laptop_host.ipv4.expect("IPv4"));
    let laptop_run = run_mapping_in(&laptop_host, &laptop, "[::]:4100", &bootstrap);
    wait("the first router maps the laptop's port", || {
        routers[0].rules().contains(&rule)
    });
    let phone_run = run_in(&phone_host, &phone, "[::]:4100", &bootstrap);
    ok(&phone, &["send", "Amy", "at your first home"]);
    wait("the laptop gets the phone's message", || {
        shows(&laptop, "Betty", "at your first home")
    });
    wait("the phone says the laptop is direct", || {
        reach_of(&phone, "Amy") == "\"direct\""
    });

    // The same `clearchat run` process throughout: it notices the new link itself.
    let moved = Instant::now();
    let laptop_host = laptop_host.move_to(&second_home);
    let rule = format!("dnat ip to {}:4100", laptop_host.ipv4.expect("IPv4"));
    let remapped = wait("the second router maps the laptop's port", || {
        routers[1].rules().contains(&rule)
    });
    eprintln!("moved: the new router mapped the port {remapped:?} after the move");
    ok(&laptop, &["send", "Betty", "at my second home"]);
    // The phone's connection to the old mapping goes silent and is given up at the idle timeout (30 s);
    // then the phone looks the laptop up in the DHT and dials the new mapping.
    wait_up_to(
        STEP * 2,
        "the phone gets the laptop's message from its second home",
        || shows(&phone, "Amy", "at my second home"),
    );
    eprintln!(
        "moved: the laptop's message reached the phone {:?} after the move",
        moved.elapsed()
    );
    ok(&phone, &["send", "Amy", "found you again"]);
    wait("the laptop gets the phone's answer", || {
        shows(&laptop, "Betty", "found you again")
    });
    assert_eq!(reach_of(&phone, "Amy"), "\"direct\"");
    assert_eq!(reach_of(&laptop, "Betty"), "\"direct\"");
    laptop_run.terminate_cleanly(&laptop);
    wait("the laptop deleted its new mapping on stop", || {
        !routers[1].rules().contains("dnat")
    });
    drop(phone_run);
    drop(testnet);
}

/// Two devices made buddies on this machine's loopback (so every address they know of each other is a
/// loopback one, useless in the lab), then started behind two home NATs.
fn paired_on_loopback(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (amy, betty) = (root.join("amy"), root.join("betty"));
    ok(&amy, &["init", "--name", "Amy laptop", "--person", "Amy"]);
    ok(
        &betty,
        &["init", "--name", "Betty laptop", "--person", "Betty"],
    );
    let (amy_run, betty_run) = (RunGuard::start(&amy), RunGuard::start(&betty));
    let code = ok(&amy, &["invite", "--name", "Betty", "--code-only"]);
    ok(&betty, &["join", code.trim()]);
    ok(&betty, &["send", "Amy", "paired"]);
    wait("Amy gets Betty's first message", || {
        shows(&amy, "Betty", "paired")
    });
    amy_run.terminate_cleanly(&amy);
    betty_run.terminate_cleanly(&betty);
    (amy, betty)
}

/// The threads of process `pid` named like the mainline crate's DHT thread.
fn dht_threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.trim_end().starts_with("Mainline Dht"))
        })
        .count()
}

/// Two buddies, paired on loopback, started behind two home routers of `plan`: they must meet through
/// the DHT and connect directly. Returns the lab's pieces for more steps.
fn meet_behind(plan: RouterPlan, what: &str) -> Option<MetBehind> {
    meet_behind_capturing(plan, what, None)
}

/// [`meet_behind`], capturing every DHT packet that crosses the internet (the testnet listens on 6881)
/// into `capture` with tcpdump, from before the testnet starts.
fn meet_behind_capturing(
    plan: RouterPlan,
    what: &str,
    capture: Option<&Path>,
) -> Option<MetBehind> {
    let lab = Lab::new()?;
    let internet = lab.internet();
    let tcpdump = capture.map(|path| {
        assert!(
            std::process::Command::new("tcpdump")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tcpdump is not installed (.ci/run installs it: apt-get install tcpdump)"
        );
        let mut command = internet.ns().command("tcpdump");
        command
            .args(["-i", "any", "-U", "-s", "0", "-w"])
            .arg(path)
            .arg("udp port 6881")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let pid = lab.spawn(&mut command);
        wait("tcpdump is capturing", || {
            std::fs::metadata(path).is_ok_and(|m| m.len() >= 24)
        });
        pid
    });
    let (testnet, bootstrap) = dht_testnet_of_8(&internet);
    let amy_home = internet.home("amyhome", plan);
    let betty_home = internet.home("bettyhome", plan);
    let (amy_host, betty_host) = (amy_home.host("amy"), betty_home.host("betty"));
    let root = tempfile::tempdir().expect("tempdir");
    let (amy, betty) = paired_on_loopback(root.path());

    let started = Instant::now();
    let amy_run = run_in(&amy_host, &amy, "[::]:0", &bootstrap);
    let betty_run = run_in(&betty_host, &betty, "[::]:0", &bootstrap);
    ok(&betty, &["send", "Amy", "across two NATs"]);
    let took = wait("Amy gets Betty's message across both NATs", || {
        shows(&amy, "Betty", "across two NATs")
    });
    eprintln!("{what}: first message {took:?} after both started");
    // Nobody else exists to carry it: the path is the two devices' own connection.
    assert_eq!(reach_of(&betty, "Amy"), "\"direct\"");
    assert_eq!(reach_of(&amy, "Betty"), "\"direct\"");
    ok(&amy, &["send", "Betty", "and back"]);
    wait("Betty gets Amy's answer", || {
        shows(&betty, "Amy", "and back")
    });
    eprintln!("{what}: both ways {:?}", started.elapsed());
    Some(MetBehind {
        tcpdump,
        amy_home,
        betty_home,
        amy,
        betty,
        amy_run,
        betty_run,
        _testnet: testnet,
        _root: root,
        _lab: lab,
    })
}

struct MetBehind {
    tcpdump: Option<u32>,
    amy_home: clearchat_scenarios::netlab::Router,
    betty_home: clearchat_scenarios::netlab::Router,
    amy: std::path::PathBuf,
    betty: std::path::PathBuf,
    amy_run: RunGuard,
    betty_run: RunGuard,
    // Dropped last, in this order: processes before the testnet, the lab after both.
    _testnet: Vec<mainline::Dht>,
    _root: tempfile::TempDir,
    _lab: Lab,
}

/// The bytes of a hex id, as `--json` prints ids.
fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// What must never appear in the DHT's traffic: each device's id, the buddy space's id (in binary and
/// hex), and each of the device's published ip:port (binary and text).
fn secrets_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let devices: serde_json::Value =
        serde_json::from_str(&ok(dir, &["devices", "--json"])).expect("devices JSON");
    let buddies: serde_json::Value =
        serde_json::from_str(&ok(dir, &["buddies", "--json"])).expect("buddies JSON");
    for id in devices
        .as_array()
        .into_iter()
        .flatten()
        .chain(buddies.as_array().into_iter().flatten())
        .filter_map(|v| v["id"].as_str())
    {
        out.push((format!("id {id}"), hex_bytes(id)));
        out.push((format!("id {id} as text"), id.as_bytes().to_vec()));
    }
    out
}

#[test]
fn two_devices_behind_port_keeping_nats_meet_through_the_dht_and_connect_directly() {
    let capture = tempfile::NamedTempFile::new().expect("capture file");
    let Some(met) = meet_behind_capturing(
        RouterPlan::nat(Nat::Masquerade),
        "two port-keeping NATs",
        Some(capture.path()),
    ) else {
        return;
    };
    // Idle: the DHT node is gone once its jobs are done (nothing wakes for the DHT between jobs).
    let idle = wait("no DHT thread left in either process once idle", || {
        dht_threads(met.amy_run.pid()) == 0 && dht_threads(met.betty_run.pid()) == 0
    });
    eprintln!("DHT threads gone {idle:?} after both ways");

    // Privacy: nothing of ours in the DHT's traffic, neither ids nor addresses, in binary or as text.
    let mut secrets = secrets_of(&met.amy);
    secrets.extend(secrets_of(&met.betty));
    for (run, home) in [
        (&met.amy_run, &met.amy_home),
        (&met.betty_run, &met.betty_home),
    ] {
        let started = run.lines().first().cloned().unwrap_or_default();
        let started: serde_json::Value = serde_json::from_str(&started).expect("started JSON");
        let mut addrs: Vec<std::net::SocketAddr> = started["listen"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str()?.parse().ok())
            .filter(|a: &std::net::SocketAddr| !a.ip().is_loopback())
            .collect();
        let port = addrs.first().map(|a| a.port()).expect("a listen address");
        addrs.push((home.wan_ipv4().expect("public IP"), port).into());
        for addr in addrs {
            secrets.push((format!("{addr} as text"), addr.to_string().into_bytes()));
            if let std::net::IpAddr::V4(ip) = addr.ip() {
                let mut binary = ip.octets().to_vec();
                binary.extend(addr.port().to_be_bytes());
                secrets.push((format!("{addr} in binary"), binary));
            }
        }
    }
    let lab = met._lab.clone();
    lab.kill(met.tcpdump.expect("capturing"));
    let captured = std::fs::read(capture.path()).expect("capture");
    eprintln!("captured {} bytes of DHT traffic", captured.len());
    assert!(
        captured.len() > 10_000,
        "the capture holds the session's DHT packets"
    );
    let router = met.amy_home.wan_ipv4().expect("public IP").octets();
    assert!(
        captured.windows(4).any(|w| w == router),
        "the scan finds what is there: Amy's router's address, in the packets' headers"
    );
    for (what, bytes) in &secrets {
        assert!(
            !captured.windows(bytes.len()).any(|w| w == &bytes[..]),
            "{what} appears in the DHT's traffic"
        );
    }
    eprintln!("none of {} ids and addresses appears in it", secrets.len());
    drop(met);
}

#[test]
fn after_amy_s_router_is_renumbered_betty_finds_her_again_through_the_dht() {
    let Some(met) = meet_behind(RouterPlan::nat(Nat::Masquerade), "before renumbering") else {
        return;
    };
    let renumbered = Instant::now();
    let new = met.amy_home.renumber();
    ok(&met.amy, &["send", "Betty", "from my new address"]);
    // The old connection goes silent (Betty's NAT drops what comes from Amy's new address) and is given
    // up at the idle timeout (30 s); then both look each other up and punch again.
    let took = wait_up_to(
        STEP * 2,
        "Betty gets Amy's message after the renumbering",
        || shows(&met.betty, "Amy", "from my new address"),
    );
    eprintln!("renumbered to {new}: Amy's message reached Betty {took:?} later");
    ok(&met.betty, &["send", "Amy", "found you"]);
    wait("Amy gets the answer", || {
        shows(&met.amy, "Betty", "found you")
    });
    eprintln!("renumbered: both ways {:?}", renumbered.elapsed());
    assert_eq!(reach_of(&met.betty, "Amy"), "\"direct\"");
    drop(met);
}

#[test]
fn behind_ipv6_firewalls_and_symmetric_ipv4_nats_two_devices_punch_through_over_ipv6() {
    let plan = RouterPlan {
        ipv4: Some(Nat::Random),
        ipv6: true,
    };
    let Some(met) = meet_behind(plan, "IPv6 firewalls (IPv4 symmetric NATs)") else {
        return;
    };
    drop(met);
}

#[test]
fn behind_symmetric_nats_messages_wait_until_an_always_on_member_carries_them() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let (testnet, bootstrap) = dht_testnet_of_8(&internet);
    let amy_home = internet.home("amyhome", RouterPlan::nat(Nat::Random));
    let betty_home = internet.home("bettyhome", RouterPlan::nat(Nat::Random));
    let (amy_host, betty_host) = (amy_home.host("amy"), betty_home.host("betty"));
    let server_host = internet.host("server");

    // On loopback: Amy links an always-on server of hers, then Betty becomes her buddy.
    let root = tempfile::tempdir().expect("tempdir");
    let (amy, betty, server) = (
        root.path().join("amy"),
        root.path().join("betty"),
        root.path().join("server"),
    );
    ok(&amy, &["init", "--name", "Amy laptop", "--person", "Amy"]);
    ok(&server, &["init", "--name", "Amy server"]);
    ok(
        &betty,
        &["init", "--name", "Betty laptop", "--person", "Betty"],
    );
    {
        let runs = [&amy, &server, &betty].map(|d| RunGuard::start(d));
        let code = ok(&amy, &["link", "--code-only"]);
        ok(&server, &["join", code.trim()]);
        let code = ok(&amy, &["invite", "--name", "Betty", "--code-only"]);
        ok(&betty, &["join", code.trim()]);
        ok(&betty, &["send", "Amy", "paired"]);
        wait("the server holds the buddy space", || {
            shows(&server, "Betty", "paired")
        });
        for (run, dir) in runs.into_iter().zip([&amy, &server, &betty]) {
            run.terminate_cleanly(dir);
        }
    }

    // Behind two symmetric NATs, with the server off: no path at all.
    let amy_run = run_in(&amy_host, &amy, "[::]:0", &bootstrap);
    let betty_run = run_in(&betty_host, &betty, "[::]:0", &bootstrap);
    ok(&betty, &["send", "Amy", "while nothing reaches you"]);
    let unreachable = wait("Betty's status says Amy is not reachable", || {
        reach_of(&betty, "Amy") == "\"unreachable\""
    });
    eprintln!("Betty shows Amy unreachable {unreachable:?} after sending");
    let out = ok(&betty, &["buddies"]);
    assert!(
        out.contains("not reachable") && out.contains("always-on device"),
        "the status says so, and what helps: {out}"
    );
    assert!(!shows(&amy, "Betty", "while nothing reaches you"));

    // The server comes up on a public address: both find it through the DHT; it carries the logs.
    let appeared = Instant::now();
    let server_run = run_in(&server_host, &server, "[::]:0", &bootstrap);
    let took = wait(
        "Betty's waiting message reaches Amy through the server",
        || shows(&amy, "Betty", "while nothing reaches you"),
    );
    eprintln!("delivered through the server {took:?} after it started");
    ok(&amy, &["send", "Betty", "got it"]);
    wait("Amy's answer reaches Betty through the server", || {
        shows(&betty, "Amy", "got it")
    });
    let server_id = ok(&server, &["devices", "--json"]);
    let server_id: serde_json::Value = serde_json::from_str(&server_id).expect("devices JSON");
    let server_id = server_id
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["me"] == true)
        .map(|d| d["id"].as_str().unwrap_or_default().to_string())
        .expect("the server lists itself");
    wait("Amy sees Betty reached through her server", || {
        reach_of(&amy, "Betty") == format!("{{\"via\":\"{server_id}\"}}")
    });
    eprintln!("both ways through the server: {:?}", appeared.elapsed());
    drop((amy_run, betty_run, server_run));
    drop(testnet);
}

/// `clearchat run` in `host`'s namespace with the DHT and port mapping off (only the devices' own
/// connections and what they tell each other can find a path), its log in `log`.
fn run_without_dht_in(host: &Host, dir: &Path, listen: &str, log: &Path) -> RunGuard {
    let mut command = host.ns.command(bin());
    command
        .env("CLEARCHAT_PORT_MAPPING", "off")
        .env("CLEARCHAT_DHT", "off")
        .env("RUST_LOG", "clearchat_core=info")
        .stderr(std::fs::File::create(log).expect("log file"))
        .arg("--data-dir")
        .arg(dir)
        .args(["run", "--listen", listen, "--json"]);
    RunGuard::spawn(command)
}

/// Amy's laptop behind a port-keeping home NAT, Betty's laptop behind another (or, [`Betty::Symmetric`],
/// behind a carrier NAT and a home NAT that changes ports), and Amy's always-on server on a public address
/// that both joined through in the lab (so it is the one address either knows: no DHT, and the pairing
/// never happened on a network the two share).
struct TwoNatsAndAMember {
    amy_home: clearchat_scenarios::netlab::Router,
    amy: std::path::PathBuf,
    betty: std::path::PathBuf,
    server_id: String,
    logs: [std::path::PathBuf; 3],
    /// Amy's and Betty's laptops, their UDP packets counted from the start (see [`UdpCounts`]).
    hosts: [Host; 2],
    /// When the last of the three processes started.
    started: Instant,
    _runs: Vec<RunGuard>,
    _root: tempfile::TempDir,
    _lab: Lab,
}

/// Initializes, under `root`, Amy's laptop (not linked yet), Betty's laptop and Amy's always-on server
/// (her first device); returns their data dirs and log files, in that order.
fn member_and_laptops(root: &Path) -> ([std::path::PathBuf; 3], [std::path::PathBuf; 3]) {
    let [amy, betty, server] = ["amy", "betty", "server"].map(|d| root.join(d));
    let logs = ["amy.log", "betty.log", "server.log"].map(|l| root.join(l));
    ok(
        &server,
        &["init", "--name", "Amy server", "--person", "Amy"],
    );
    ok(&amy, &["init", "--name", "Amy laptop"]);
    ok(
        &betty,
        &["init", "--name", "Betty laptop", "--person", "Betty"],
    );
    ([amy, betty, server], logs)
}

/// The logs' texts, each under its path, for a failure's message.
fn logs_text(logs: &[std::path::PathBuf]) -> String {
    logs.iter()
        .map(|l| {
            let text = std::fs::read_to_string(l).unwrap_or_default();
            format!("--- {}\n{text}", l.display())
        })
        .collect()
}

/// Where Betty's laptop is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Betty {
    /// Behind a port-keeping home NAT, like Amy.
    PortKeeping,
    /// Behind a carrier NAT and a home `masquerade random`.
    Symmetric,
}

impl TwoNatsAndAMember {
    /// Sets the lab up; with `blocked`, no packet passes between the two homes (until unblocked).
    fn new(blocked: bool) -> Option<TwoNatsAndAMember> {
        Self::with(blocked, Betty::PortKeeping)
    }

    fn with(blocked: bool, betty_at: Betty) -> Option<TwoNatsAndAMember> {
        let lab = Lab::new()?;
        let internet = lab.internet();
        let amy_home = internet.home("amyhome", RouterPlan::nat(Nat::Masquerade));
        let betty_home = match betty_at {
            Betty::PortKeeping => internet.home("bettyhome", RouterPlan::nat(Nat::Masquerade)),
            Betty::Symmetric => internet
                .carrier("cgn")
                .home("bettyhome", RouterPlan::nat(Nat::Random)),
        };
        let (amy_host, betty_host) = (amy_home.host("amy"), betty_home.host("betty"));
        UdpCounts::install(&amy_host);
        UdpCounts::install(&betty_host);
        let server_host = internet.host("server");
        if blocked {
            amy_home.block(betty_home.wan_ipv4());
        }
        let root = tempfile::tempdir().expect("tempdir");
        let ([amy, betty, server], logs) = member_and_laptops(root.path());
        let server_run = run_without_dht_in(&server_host, &server, "[::]:4300", &logs[2]);
        let amy_run = run_without_dht_in(&amy_host, &amy, "[::]:0", &logs[0]);
        let betty_run = run_without_dht_in(&betty_host, &betty, "[::]:0", &logs[1]);
        let started = Instant::now();
        let code = ok(&server, &["link", "--code-only"]);
        ok(&amy, &["join", code.trim()]);
        let code = ok(&server, &["invite", "--name", "Betty", "--code-only"]);
        ok(&betty, &["join", code.trim()]);
        let devices: serde_json::Value =
            serde_json::from_str(&ok(&server, &["devices", "--json"])).expect("devices JSON");
        let server_id = devices
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["me"] == true)
            .and_then(|d| d["id"].as_str())
            .expect("the server lists itself")
            .to_string();
        Some(TwoNatsAndAMember {
            amy_home,
            amy,
            betty,
            server_id,
            logs,
            hosts: [amy_host, betty_host],
            started,
            _runs: vec![server_run, amy_run, betty_run],
            _root: root,
            _lab: lab,
        })
    }

    fn via_server(&self) -> String {
        format!("{{\"via\":\"{}\"}}", self.server_id)
    }

    /// The three logs, for a failure's message.
    fn logs(&self) -> String {
        logs_text(&self.logs)
    }

    /// Whether `log` (0 Amy, 1 Betty, 2 the server) has a line containing `what`.
    fn logged(&self, log: usize, what: &str) -> bool {
        std::fs::read_to_string(&self.logs[log]).is_ok_and(|t| t.contains(what))
    }
}

#[test]
fn two_devices_behind_port_keeping_nats_punch_through_when_a_member_connected_to_both_says_dial_me_now(
) {
    let Some(lab) = TwoNatsAndAMember::new(false) else {
        return;
    };
    ok(&lab.betty, &["send", "Amy", "hello over the punched path"]);
    wait("Amy gets Betty's message", || {
        shows(&lab.amy, "Betty", "hello over the punched path")
    });
    let first = lab.started.elapsed();
    // Amy's view is the one that tells: Betty has one device, while Betty's buddy Amy counts as direct
    // as soon as any of Amy's devices is (the server is), as a buddy shows its best device.
    wait_up_to(STEP * 2, "Amy's laptop and Betty connect directly", || {
        reach_of(&lab.amy, "Betty") == "\"direct\""
    });
    let direct = lab.started.elapsed();
    ok(&lab.amy, &["send", "Betty", "and back, directly"]);
    wait("Betty gets Amy's answer", || {
        shows(&lab.betty, "Amy", "and back, directly")
    });
    eprintln!(
        "two port-keeping NATs + a member, no DHT: first message {first:?} after the three started, \
         both direct at {direct:?}"
    );
    if std::env::var_os("REACH_LOGS").is_some() {
        eprintln!("{}", lab.logs());
    }
    // An invite Amy makes now carries her public address (as the server observed it) first: a buddy on
    // another network dials it at once.
    let code = ok(&lab.amy, &["invite", "--name", "Carol", "--code-only"]);
    let code = clearchat_core::InviteCode::parse(code.trim()).expect("a valid code");
    let public = lab
        .amy_home
        .wan_ipv4()
        .expect("Amy's router has a public address");
    assert_eq!(
        code.addrs.first().map(|a| a.ip()),
        Some(public.into()),
        "the code's addresses {:?} start with Amy's public one",
        code.addrs
    );
    // The path came from the coordination: the server passed "dial me now" both ways, and a laptop acted
    // on it (nothing else tells either laptop to dial the other at the same moment).
    assert!(
        lab.logged(2, "dial each other now")
            && (lab.logged(0, "is dialing me") || lab.logged(1, "is dialing me")),
        "the server coordinated the punch:\n{}",
        lab.logs()
    );
    drop(lab);
}

#[test]
fn a_port_keeping_nat_and_a_symmetric_one_behind_a_carrier_nat_punch_through_by_the_birthday_paradox(
) {
    let Some(lab) = TwoNatsAndAMember::with(false, Betty::Symmetric) else {
        return;
    };
    ok(&lab.betty, &["send", "Amy", "hello from behind two NATs"]);
    wait("Amy gets Betty's message", || {
        shows(&lab.amy, "Betty", "hello from behind two NATs")
    });
    let first = lab.started.elapsed();
    // Amy's view tells (see above): Betty has one device.
    let direct = wait_for(STEP * 2, || reach_of(&lab.amy, "Betty") == "\"direct\"");
    assert!(
        direct.is_some(),
        "Amy's laptop and Betty connect directly:\n{}",
        lab.logs()
    );
    let direct = lab.started.elapsed();
    ok(&lab.amy, &["send", "Betty", "and back, directly"]);
    wait("Betty gets Amy's answer", || {
        shows(&lab.betty, "Amy", "and back, directly")
    });
    ok(&lab.betty, &["send", "Amy", "and again"]);
    wait("Amy gets Betty's second message", || {
        shows(&lab.amy, "Betty", "and again")
    });
    let log = |n: usize| std::fs::read_to_string(&lab.logs[n]).unwrap_or_default();
    let probed: usize = log(0)
        .lines()
        .filter_map(|l| l.split("probed ").nth(1))
        .filter_map(|l| l.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    let stopped: usize = log(0)
        .lines()
        .filter_map(|l| l.split(" probing of ").nth(1))
        .filter_map(|l| {
            l.split("after ")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    let punched = log(1)
        .lines()
        .find(|l| l.contains("punched through to"))
        .unwrap_or_default()
        .to_string();
    // Every UDP packet out of each laptop since it started (sync, keep-alives, dials, probes).
    let [amy_udp, betty_udp] = [&lab.hosts[0], &lab.hosts[1]].map(|h| UdpCounts(h).read()[2]);
    eprintln!(
        "port-keeping NAT vs carrier NAT + symmetric NAT, a member, no DHT: first message {first:?} \
         after the three started, direct at {direct:?}; Amy sent {} probes; UDP packets out: Amy \
         {amy_udp}, Betty {betty_udp}; Betty: {punched}",
        probed + stopped
    );
    if std::env::var_os("REACH_LOGS").is_some() {
        eprintln!("{}", lab.logs());
    }
    // The path came from the birthday punch: each side learnt its NAT from the server's observation, the
    // server passed both on, Amy probed Betty's IP and one of Betty's sockets got through.
    assert!(
        lab.logged(0, "my NAT is KeepsPorts")
            && lab.logged(1, "my NAT is ChangesPorts")
            && lab.logged(0, "from behind a NAT that changes ports: probing")
            && lab.logged(1, "punched through to"),
        "the birthday punch made the path:\n{}",
        lab.logs()
    );
    drop(lab);
}

#[test]
fn a_relayed_conversation_switches_to_the_direct_path_without_losing_or_repeating_a_message() {
    let Some(lab) = TwoNatsAndAMember::new(true) else {
        return;
    };
    // No direct path: the messages go through the server.
    ok(&lab.betty, &["send", "Amy", "through the server"]);
    wait("Amy gets Betty's message through the server", || {
        shows(&lab.amy, "Betty", "through the server")
    });
    ok(&lab.amy, &["send", "Betty", "through the server too"]);
    wait("Betty gets Amy's message through the server", || {
        shows(&lab.betty, "Amy", "through the server too")
    });
    // Amy's view tells (see the test above): Betty has one device.
    let mut seen = String::new();
    let reached = wait_for(STEP, || {
        seen = reach_of(&lab.amy, "Betty");
        seen == lab.via_server()
    });
    assert!(
        reached.is_some(),
        "Amy sees Betty reached through the server {}, not {seen}",
        lab.via_server(),
    );

    // A steady stream both ways while the path between the homes opens and the punch comes up.
    let unblocked = Instant::now();
    lab.amy_home.block(None);
    let mut sent = 0;
    let mut direct_at = None;
    let mut after_direct = 0;
    while after_direct < 10 {
        sent += 1;
        ok(&lab.amy, &["send", "Betty", &format!("amy {sent:03}")]);
        ok(&lab.betty, &["send", "Amy", &format!("betty {sent:03}")]);
        if direct_at.is_none() && reach_of(&lab.amy, "Betty") == "\"direct\"" {
            direct_at = Some((unblocked.elapsed(), sent));
        }
        if direct_at.is_some() {
            after_direct += 1;
        }
        assert!(
            unblocked.elapsed() < STEP * 3,
            "no direct path {:?} after the homes were unblocked:\n{}",
            unblocked.elapsed(),
            lab.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (took, switched_at) = direct_at.expect("direct");
    eprintln!(
        "relayed -> direct {took:?} after the unblocking, at message {switched_at} of {sent}"
    );
    assert!(
        switched_at > 1,
        "some messages went before the direct path was up"
    );
    let stream = |who: &str| {
        (1..=sent)
            .map(|n| format!("{who} {n:03}"))
            .collect::<Vec<_>>()
    };
    let received = |dir: &Path, buddy: &str, who: &str| {
        clearchat_scenarios::cli::texts(dir, buddy)
            .into_iter()
            .filter(|t| t.starts_with(who))
            .collect::<Vec<_>>()
    };
    wait("Betty has Amy's whole stream", || {
        received(&lab.betty, "Amy", "amy ").len() >= sent
    });
    wait("Amy has Betty's whole stream", || {
        received(&lab.amy, "Betty", "betty ").len() >= sent
    });
    // Exactly once each, in the order sent.
    assert_eq!(received(&lab.betty, "Amy", "amy "), stream("amy"));
    assert_eq!(received(&lab.amy, "Betty", "betty "), stream("betty"));
    assert_eq!(reach_of(&lab.amy, "Betty"), "\"direct\"");
    drop(lab);
}

/// Counts the UDP packets of a host's namespace with nftables counters: to and from the DHT's port
/// (every testnet node listens on 6881), and all of them.
struct UdpCounts<'a>(&'a Host);

/// Packets counted so far: (DHT out, DHT in, UDP out, UDP in).
type Counts = [u64; 4];

impl<'a> UdpCounts<'a> {
    fn install(host: &'a Host) -> UdpCounts<'a> {
        host.ns.nft(
            "table inet rcmeasure {
  counter dhtout {}
  counter dhtin {}
  counter udpout {}
  counter udpin {}
  chain out {
    type filter hook output priority 0; policy accept;
    udp dport 6881 counter name dhtout
    meta l4proto udp counter name udpout
  }
  chain in {
    type filter hook input priority 0; policy accept;
    udp sport 6881 counter name dhtin
    meta l4proto udp counter name udpin
  }
}
",
        );
        UdpCounts(host)
    }

    fn read(&self) -> Counts {
        ["dhtout", "dhtin", "udpout", "udpin"].map(|name| {
            let listed = self
                .0
                .ns
                .nft_cmd(&["list", "counter", "inet", "rcmeasure", name]);
            listed
                .split_whitespace()
                .skip_while(|w| *w != "packets")
                .nth(1)
                .and_then(|n| n.parse().ok())
                .expect("a packet count")
        })
    }
}

fn minus(a: Counts, b: Counts) -> Counts {
    [0, 1, 2, 3].map(|i| a[i] - b[i])
}

/// Context switches (voluntary and not) of each live thread of process `pid` so far, by thread id: each
/// time a thread slept or was preempted, an upper bound on its wake-ups.
fn context_switches(pid: u32) -> std::collections::HashMap<String, u64> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|t| {
            let status = std::fs::read_to_string(t.path().join("status")).ok()?;
            let switches = status
                .lines()
                .filter(|l| l.contains("ctxt_switches"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            Some((t.file_name().to_string_lossy().into_owned(), switches))
        })
        .collect()
}

/// The context switches between two samples of [`context_switches`] (a thread that exited in between
/// is not counted: an idle process starts and ends none).
fn switches_since(before: &std::collections::HashMap<String, u64>, pid: u32) -> u64 {
    context_switches(pid)
        .into_iter()
        .map(|(tid, n)| n - before.get(&tid).copied().unwrap_or(0).min(n))
        .sum()
}

/// How many lines of `log` contain `what`.
fn count_in(log: &Path, what: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(what))
        .count()
}

/// What an idle device costs with the DHT on, `buddies` buddies (each a device of its own), all on public
/// addresses: the DHT session it runs at start and once an hour (the epoch's republish; nothing else runs
/// while its buddies are connected), the packets and wake-ups of an idle window with its buddies connected
/// and of a device with no peer at all, and the lookups it runs once they are gone: over 40 s in real
/// time, then over two hours of its lookup schedule run 60 times faster (`CLEARCHAT_DHT_TIME_SCALE`: the
/// schedule's clock is sped up; DHT sessions, their 5 s linger and the epochs keep real time), from a
/// restart with the buddies still gone. Prints the figures of docs/PERFORMANCE.md; asserts that idle
/// means no DHT packet and, with no peer, no packet at all, and that the buddies gone share their rounds.
fn idle_dht_costs(buddies: usize) {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let (testnet, bootstrap) = dht_testnet_of_8(&internet);
    let (device_host, buddies_host, loner_host) = (
        internet.host("device"),
        internet.host("buddies"),
        internet.host("loner"),
    );
    let root = tempfile::tempdir().expect("tempdir");
    let (dee, loner) = (root.path().join("dee"), root.path().join("loner"));
    let log = root.path().join("dee.log");
    ok(&dee, &["init", "--name", "Dee laptop", "--person", "Dee"]);
    ok(
        &loner,
        &["init", "--name", "Lone laptop", "--person", "Lone"],
    );
    let mut dee_run = run_logged_in(&device_host, &dee, "[::]:4400", &bootstrap, &log);
    let mut runs = Vec::new();
    for n in 0..buddies {
        let dir = root.path().join(format!("buddy{n}"));
        let name = format!("Buddy{n}");
        ok(&dir, &["init", "--name", &name, "--person", &name]);
        let buddy_log = root.path().join(format!("buddy{n}.log"));
        runs.push((
            run_without_dht_in(&buddies_host, &dir, "[::]:0", &buddy_log),
            dir,
        ));
        let code = ok(&dee, &["invite", "--name", &name, "--code-only"]);
        ok(&runs[n].1, &["join", code.trim()]);
    }
    let all_direct = |dee: &Path| {
        let out = ok(dee, &["buddies", "--json"]);
        let list: serde_json::Value = serde_json::from_str(&out).expect("buddies JSON");
        let list = list.as_array().cloned().unwrap_or_default();
        list.len() == buddies && list.iter().all(|b| b["reach"] == "direct")
    };
    wait_up_to(STEP * 2, "Dee is connected to every buddy", || {
        all_direct(&dee)
    });

    // The session of a start: the same work as the hourly republish (one record per space).
    dee_run.terminate_cleanly(&dee);
    let counts = UdpCounts::install(&device_host);
    let before = counts.read();
    let started = Instant::now();
    let lookups_before = count_in(&log, "in the DHT");
    dee_run = run_logged_in(&device_host, &dee, "[::]:4400", &bootstrap, &log);
    wait_up_to(STEP * 2, "Dee is connected to every buddy again", || {
        all_direct(&dee)
    });
    wait_up_to(STEP * 2, "Dee's DHT session ends", || {
        dht_threads(dee_run.pid()) == 0
    });
    let publish = minus(counts.read(), before);
    let lookups = count_in(&log, "in the DHT") - lookups_before;
    eprintln!(
        "{buddies} buddies: start/republish session {:?}: DHT {} out, {} in ({lookups} lookups)",
        started.elapsed(),
        publish[0],
        publish[1]
    );

    // Idle with every buddy connected, and a device with no peer: 10 s each, side by side.
    let loner_counts = UdpCounts::install(&loner_host);
    let loner_run = run_logged_in(
        &loner_host,
        &loner,
        "[::]:4400",
        &bootstrap,
        &root.path().join("loner.log"),
    );
    wait("the loner's start is over", || {
        dht_threads(loner_run.pid()) == 0
    });
    std::thread::sleep(Duration::from_secs(1));
    let window = Duration::from_secs(10);
    let (dee_before, loner_before) = (counts.read(), loner_counts.read());
    let (dee_cs, loner_cs) = (
        context_switches(dee_run.pid()),
        context_switches(loner_run.pid()),
    );
    std::thread::sleep(window);
    let idle = minus(counts.read(), dee_before);
    let loner_idle = minus(loner_counts.read(), loner_before);
    let (dee_cs, loner_cs) = (
        switches_since(&dee_cs, dee_run.pid()),
        switches_since(&loner_cs, loner_run.pid()),
    );
    eprintln!(
        "{buddies} buddies connected, idle {window:?}: DHT {} out {} in; UDP {} out {} in; {dee_cs} \
         context switches. No peer: UDP {} out {} in; {loner_cs} context switches",
        idle[0], idle[1], idle[2], idle[3], loner_idle[2], loner_idle[3]
    );
    assert_eq!(
        (idle[0], idle[1]),
        (0, 0),
        "an idle device sends no DHT packet"
    );
    // (What it receives is others' doing: the other devices' LAN beacons cross this segment.)
    assert_eq!(loner_idle[2], 0, "a device with no peer sends nothing");

    // The buddies go away: Dee looks each up while it stays away (2 s, 4 s, ... up to 15 min apart).
    let before = counts.read();
    let lookups_before = count_in(&log, "in the DHT");
    let gone = Instant::now();
    for (run, dir) in runs {
        run.terminate_cleanly(&dir);
    }
    let watch = Duration::from_secs(40);
    std::thread::sleep(watch);
    let away = minus(counts.read(), before);
    let lookups = count_in(&log, "in the DHT") - lookups_before;
    eprintln!(
        "{buddies} buddies gone, {:?}: DHT {} out, {} in, {lookups} lookups ({:.1} packets per lookup)",
        gone.elapsed(),
        away[0],
        away[1],
        (away[0] + away[1]) as f64 / lookups.max(1) as f64
    );
    drop(loner_run);

    // Two hours of the schedule in two minutes: Dee starts again with its buddies still gone (the start
    // is also the hour's republish session, which the speed-up does not repeat).
    dee_run.terminate_cleanly(&dee);
    const SCALE: u32 = 60;
    let scaled_hour = Duration::from_secs(3600 / u64::from(SCALE));
    let mut command = device_host.ns.command(bin());
    command.env("CLEARCHAT_DHT_TIME_SCALE", SCALE.to_string());
    let marks = |log: &Path| {
        ["in the DHT", "in one DHT round", "DHT node stopped"].map(|what| count_in(log, what))
    };
    let (before, marks_before) = (counts.read(), marks(&log));
    let dee_run = run_logged_command(command, &dee, "[::]:4400", &bootstrap, &log);
    let started = Instant::now();
    let mut last = (before, marks_before);
    let mut hours = Vec::new();
    for hour in 1..=2u32 {
        std::thread::sleep(
            (started + scaled_hour * hour).saturating_duration_since(Instant::now()),
        );
        let now = (counts.read(), marks(&log));
        let packets = minus(now.0, last.0);
        let [lookups, rounds, sessions] = [0, 1, 2].map(|i| now.1[i] - last.1[i]);
        eprintln!(
            "{buddies} buddies gone, scaled hour {hour} (x{SCALE}, {scaled_hour:?} real): DHT {} out, \
             {} in; {lookups} lookups in {rounds} rounds, {sessions} sessions",
            packets[0], packets[1]
        );
        hours.push((packets, lookups, rounds));
        last = now;
    }
    // Every lookup of the second hour is in a round shared by all the buddies (on the 15-minute grid).
    let (_, lookups, rounds) = hours[1];
    assert!(rounds <= 5, "{rounds} rounds in the second hour");
    // (A round that starts just before the hour's end logs its lookups just after it: one may be short.)
    assert!(
        lookups + 1 >= rounds,
        "{lookups} lookups in {rounds} rounds"
    );
    drop(dee_run);
    drop(testnet);
}

/// [`run_in`] with its log in `log`.
fn run_logged_in(
    host: &Host,
    dir: &Path,
    listen: &str,
    bootstrap: &[String],
    log: &Path,
) -> RunGuard {
    run_logged_command(host.ns.command(bin()), dir, listen, bootstrap, log)
}

/// [`run_logged_in`] of a command made in the host's namespace.
fn run_logged_command(
    mut command: Command,
    dir: &Path,
    listen: &str,
    bootstrap: &[String],
    log: &Path,
) -> RunGuard {
    command
        .env("CLEARCHAT_PORT_MAPPING", "off")
        .env("CLEARCHAT_DHT", bootstrap.join(","))
        .env("RUST_LOG", "clearchat_core=info")
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("log file"),
        )
        .arg("--data-dir")
        .arg(dir)
        .args(["run", "--listen", listen, "--json"]);
    RunGuard::spawn(command)
}

#[test]
fn an_idle_device_with_one_buddy_sends_no_dht_packet_between_its_republishes() {
    idle_dht_costs(1);
}

#[test]
fn an_idle_device_with_twenty_buddies_sends_no_dht_packet_between_its_republishes() {
    idle_dht_costs(20);
}

/// Whether `host`'s namespace has any IPv4 address or route besides loopback (`ip -4` says).
fn has_ipv4(host: &Host) -> (bool, String) {
    let show = |args: &[&str]| {
        let out = host.ns.command("ip").args(args).output().expect("ip runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let addrs = show(&["-4", "-o", "addr", "show"]);
    let routes = show(&["-4", "route", "show", "table", "all"]);
    let any = addrs.lines().any(|l| !l.contains("127.0.0.1"))
        || routes
            .lines()
            .any(|l| !l.contains("127.") && !l.contains(" dev lo "));
    (any, format!("{addrs}{routes}"))
}

/// CPU time (user + system, in clock ticks) process `pid` has used so far.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
    stat.rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn ipv6_only_behind_stateful_firewalls_two_devices_punch_through_when_an_always_on_member_says_dial_me_now(
) {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    // The DHT testnet is IPv4 (the mainline crate speaks only IPv4): the laptops cannot reach it.
    let (testnet, bootstrap) = dht_testnet_of_8(&internet);
    let amy_home = internet.home("amyhome", RouterPlan::ipv6_only());
    let betty_home = internet.home("bettyhome", RouterPlan::ipv6_only());
    let (amy_host, betty_host) = (amy_home.host("amy"), betty_home.host("betty"));
    for host in [&amy_host, &betty_host] {
        assert!(host.ipv4.is_none() && host.ipv6.is_some());
        let (any, shown) = has_ipv4(host);
        assert!(
            !any,
            "an IPv6-only host has IPv4 besides loopback:\n{shown}"
        );
    }
    let server_host = internet.host("server");
    let server_v6 = server_host.ipv6.expect("the server has IPv6");

    // Pairing happens in the lab: the server's codes carry its lab addresses, the one way the laptops
    // can learn them (their DHT cannot work without IPv4; a loopback pairing would leave them none).
    let root = tempfile::tempdir().expect("tempdir");
    let ([amy, betty, server], logs) = member_and_laptops(root.path());
    let server_run = run_logged_in(&server_host, &server, "[::]:4300", &bootstrap, &logs[2]);
    let amy_run = run_logged_in(&amy_host, &amy, "[::]:0", &bootstrap, &logs[0]);
    let betty_run = run_logged_in(&betty_host, &betty, "[::]:0", &bootstrap, &logs[1]);
    let started = Instant::now();
    let all_logs = || logs_text(&logs);
    let code = ok(&server, &["link", "--code-only"]);
    let parsed = clearchat_core::InviteCode::parse(code.trim()).expect("a valid code");
    assert!(
        parsed.addrs.iter().any(|a| a.ip() == IpAddr::V6(server_v6)),
        "the server's code {:?} carries its IPv6 address {server_v6}",
        parsed.addrs
    );
    ok(&amy, &["join", code.trim()]);
    let code = ok(&server, &["invite", "--name", "Betty", "--code-only"]);
    ok(&betty, &["join", code.trim()]);
    let paired = started.elapsed();

    ok(&betty, &["send", "Amy", "hello, IPv6 only"]);
    wait("Amy gets Betty's message", || {
        shows(&amy, "Betty", "hello, IPv6 only")
    });
    let first = started.elapsed();
    // Amy's view tells: Betty has one device (Betty's view of Amy counts the server, direct anyway).
    let direct_after = wait_for(STEP * 2, || reach_of(&amy, "Betty") == "\"direct\"");
    assert!(
        direct_after.is_some(),
        "Amy's laptop and Betty never connected directly (Amy sees {}):\n{}",
        reach_of(&amy, "Betty"),
        all_logs()
    );
    let direct = started.elapsed();
    ok(&amy, &["send", "Betty", "and back, over IPv6"]);
    wait("Betty gets Amy's answer", || {
        shows(&betty, "Amy", "and back, over IPv6")
    });
    eprintln!(
        "IPv6 only (two firewalls) + a member, DHT on with an IPv4 bootstrap: paired {paired:?}, first \
         message {first:?}, Amy's laptop and Betty direct at {direct:?} after the three started"
    );
    // What each shows: the texts, both directions; the member's own view of Betty; the human status line.
    assert!(shows(&betty, "Amy", "hello, IPv6 only"));
    assert!(shows(&amy, "Betty", "and back, over IPv6"));
    assert_eq!(reach_of(&betty, "Amy"), "\"direct\"");
    assert_eq!(reach_of(&server, "Betty"), "\"direct\"");
    let status = ok(&amy, &["buddies"]);
    assert!(
        status.contains("Betty") && status.contains("[direct]"),
        "Amy's status: {status}"
    );
    // The path came from the coordination: the server passed "dial me now", a laptop acted on it.
    let logged = |i: usize, what: &str| count_in(&logs[i], what) > 0;
    assert!(
        logged(2, "dial each other now")
            && (logged(0, "is dialing me") || logged(1, "is dialing me")),
        "the server coordinated the punch:\n{}",
        all_logs()
    );

    // The laptops' DHT (IPv4 only, no IPv4 here) must neither crash, spin nor fill the log: over a
    // 5 s window each stays alive, uses little CPU and logs at most a few lines, and messages still pass.
    let window = Duration::from_secs(5);
    let pids = [amy_run.pid(), betty_run.pid()];
    let before = pids.map(cpu_ticks);
    let lines_before = [0, 1].map(|i| count_in(&logs[i], ""));
    std::thread::sleep(window); // a measuring window, not a wait for a condition
    for (i, pid) in pids.into_iter().enumerate() {
        assert!(
            std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "a laptop exited:\n{}",
            all_logs()
        );
        let ticks = cpu_ticks(pid) - before[i];
        let lines = count_in(&logs[i], "") - lines_before[i];
        let failed = count_in(&logs[i], "the DHT did not bootstrap");
        eprintln!(
            "{}: {ticks} CPU ticks and {lines} log lines in {window:?}, {} DHT thread(s), {failed} \
             failed DHT start(s) since it started",
            ["Amy", "Betty"][i],
            dht_threads(pid),
        );
        // Each failed start drops the jobs queued behind it: the triggers of the first seconds (joining,
        // learning my addresses) cost a start or two, not one each.
        assert!(
            (1..=2).contains(&failed),
            "laptop {i}: {failed} failed DHT starts:\n{}",
            all_logs()
        );
        assert!(ticks < 50, "laptop {i} spins: {ticks} ticks in {window:?}");
        assert!(
            lines < 10,
            "laptop {i} logs {lines} lines in {window:?}:\n{}",
            all_logs()
        );
    }
    ok(&betty, &["send", "Amy", "still here"]);
    wait("Amy gets Betty's later message", || {
        shows(&amy, "Betty", "still here")
    });
    if std::env::var_os("REACH_LOGS").is_some() {
        eprintln!("{}", all_logs());
    }
    drop((amy_run, betty_run, server_run));
    drop(testnet);
}
