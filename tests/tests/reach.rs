//! Prototypes for issue 11 (reach), kept as tests: what the Mainline DHT crate, the port-mapping crates and
//! quinn do across the lab's NATs (tests/src/netlab.rs). Each prints its timings (run with --nocapture);
//! each asserts only what it claims works. Needs root; without it each says SKIPPED.

use clearchat_scenarios::netlab::{
    datagram_arrives, Host, Lab, Nat, Ns, NsTask, Router, RouterPlan,
};
use clearchat_scenarios::testnet::dht_testnet;
use mainline::{Dht, MutableItem, SigningKey};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU16;
use std::time::{Duration, Instant};

/// How long a step may take on a loaded machine before it counts as failed.
const STEP: Duration = Duration::from_secs(30);

/// What a device behind a NAT saw of the DHT.
#[derive(Debug)]
struct DhtReport {
    bootstrap: Duration,
    op: Duration,
    public: Option<std::net::SocketAddrV4>,
    firewalled: bool,
    server_mode: bool,
    value: Option<Vec<u8>>,
    stored_at: u32,
    idle_wakeups_per_s: u64,
    thread_gone_after_drop: bool,
}

/// The ids of this process's threads named `name` (as /proc shows it, cut to 15 bytes).
fn threads_named(name: &str) -> Vec<u32> {
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim_end() == name)
        })
        .filter_map(|t| t.file_name().to_str()?.parse().ok())
        .collect()
}

/// Voluntary plus involuntary context switches of thread `tid`: how often it woke.
fn wakeups(tid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap_or_default();
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches"))
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

const DHT_THREAD: &str = "Mainline Dht ac";

/// On `host`: a DHT client bootstrapped from `bootstrap` only; puts `put` (if given) under (key, salt),
/// else resolves (key, salt). The client is dropped at the end, which stops its thread.
async fn dht_client(
    host: &Host,
    bootstrap: Vec<String>,
    key: [u8; 32],
    salt: &'static [u8],
    put: Option<Vec<u8>>,
) -> DhtReport {
    host.ns
        .run(move || async move {
            let before = threads_named(DHT_THREAD);
            let start = Instant::now();
            let dht = Dht::builder()
                .bootstrap(&bootstrap)
                .build()
                .expect("dht client")
                .as_async();
            assert!(dht.bootstrapped().await, "bootstrapped from the testnet");
            let bootstrap = start.elapsed();
            let start = Instant::now();
            let signer = SigningKey::from_bytes(&key);
            let (value, stored_at) = match put {
                Some(value) => {
                    let item = MutableItem::new(signer, &value, 1, Some(salt));
                    let outcome = dht.put_mutable(item, None).await.expect("put");
                    (None, outcome.stored_at)
                }
                None => {
                    let public = signer.verifying_key().to_bytes();
                    let item = dht.get_mutable_most_recent(&public, Some(salt)).await;
                    (item.map(|i| i.value().to_vec()), 0)
                }
            };
            let op = start.elapsed();
            let info = dht.info().await;
            let mine: Vec<u32> = threads_named(DHT_THREAD)
                .into_iter()
                .filter(|t| !before.contains(t))
                .collect();
            let [thread] = mine[..] else {
                panic!("one new DHT thread, not {mine:?}")
            };
            let woke = wakeups(thread);
            tokio::time::sleep(Duration::from_secs(1)).await;
            let idle_wakeups_per_s = wakeups(thread) - woke;
            drop(dht);
            let gone = Instant::now();
            while threads_named(DHT_THREAD).contains(&thread) && gone.elapsed() < STEP {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            DhtReport {
                idle_wakeups_per_s,
                thread_gone_after_drop: !threads_named(DHT_THREAD).contains(&thread),
                bootstrap,
                op,
                public: info.public_address(),
                firewalled: info.firewalled(),
                server_mode: info.server_mode(),
                value,
                stored_at,
            }
        })
        .await
}

#[tokio::test]
async fn a_record_put_behind_one_nat_resolves_behind_a_carrier_nat() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let (testnet, bootstrap) = dht_testnet(&internet, 8).await;
    let t0 = Instant::now();
    let home = internet.home("home", RouterPlan::nat(Nat::Masquerade));
    let laptop = home.host("laptop");
    let carrier = internet.carrier("cgn");
    let home2 = carrier.home("home2", RouterPlan::nat(Nat::Masquerade));
    let phone = home2.host("phone");
    let key = [7u8; 32];
    let salt: &'static [u8] = b"epoch 493000 device 1";
    let value = b"sealed addresses".to_vec();

    home.take_counts();
    let put = tokio::time::timeout(
        STEP,
        dht_client(&laptop, bootstrap.clone(), key, salt, Some(value.clone())),
    )
    .await
    .expect("put in time");
    let put_packets = home.take_counts();
    eprintln!(
        "put: bootstrap {:?}, put {:?}, stored at {} nodes, idle wake-ups {}/s; packets out/in through \
         the home router for the session: {put_packets:?}; {put:?}",
        put.bootstrap, put.op, put.stored_at, put.idle_wakeups_per_s
    );
    assert!(put.stored_at > 0, "some node stored the record");
    assert_eq!(
        put.public.map(|a| IpAddr::V4(*a.ip())),
        Some(IpAddr::V4(home.wan_ipv4().unwrap())),
        "the DHT tells the laptop its public address"
    );
    assert!(
        put.firewalled && !put.server_mode,
        "behind NAT: a client, not a server"
    );
    assert!(
        put.thread_gone_after_drop,
        "dropping the client stops its thread: the DHT can be off"
    );
    assert!(
        put.idle_wakeups_per_s >= 5,
        "the crate's thread polls its socket (50 ms read timeout) even when idle: {} wake-ups in 1 s",
        put.idle_wakeups_per_s
    );

    home2.take_counts();
    let get = tokio::time::timeout(STEP, dht_client(&phone, bootstrap, key, salt, None))
        .await
        .expect("get in time");
    let get_packets = home2.take_counts();
    eprintln!(
        "get: bootstrap {:?}, get {:?}; packets out/in through the phone's home router for the \
         session: {get_packets:?}; {get:?}",
        get.bootstrap, get.op
    );
    assert_eq!(
        get.value.as_deref(),
        Some(&value[..]),
        "the phone resolves the laptop's record"
    );
    assert_eq!(
        get.public.map(|a| IpAddr::V4(*a.ip())),
        Some(IpAddr::V4(carrier.wan_ipv4().unwrap())),
        "behind two NATs the DHT reports the carrier's address"
    );
    eprintln!("total from the first client's start: {:?}", t0.elapsed());
    drop(testnet);
}

/// miniupnpd's configuration for a home router of the lab: UPnP-IGD, NAT-PMP and PCP on the LAN bridge, its
/// rules in a table of our own, secure mode (a LAN host maps only to itself).
fn miniupnpd_conf(router: &Router) -> String {
    let (wan, lan) = Router::interfaces();
    let lan_ip = router.lan_ipv4().expect("IPv4 LAN");
    format!(
        "ext_ifname={wan}
listening_ip={lan}
http_port=0
enable_upnp=yes
enable_natpmp=yes
secure_mode=yes
system_uptime=yes
notify_interval=60
clean_ruleset_interval=600
uuid=3d3cec3a-8cf0-11e0-98ee-001a6b5b4b0c
upnp_table_name=rxupnp
upnp_nat_table_name=rxupnp
upnp_forward_chain=forward
upnp_nat_chain=prerouting
upnp_nat_postrouting_chain=postrouting
allow 1024-65535 {lan_ip}/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
",
    )
}

/// The chains miniupnpd fills (it adds rules, it does not create its table): DNAT in prerouting, the
/// matching accept in forward (our own forward chain also accepts anything DNATed).
const MINIUPNPD_TABLES: &str = "table inet rxupnp {
  chain forward { type filter hook forward priority filter; policy accept; }
  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }
}
";

#[tokio::test]
async fn port_mappings_from_miniupnpd_let_the_internet_in_until_deleted() {
    let Some(lab) = Lab::new() else { return };
    if std::process::Command::new("miniupnpd")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: miniupnpd is not installed (apt-get install miniupnpd-nftables)");
        return;
    }
    let internet = lab.internet();
    let home = internet.home("home", RouterPlan::nat(Nat::Masquerade));
    let laptop = home.host("laptop");
    let stranger = internet.host("stranger");
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("miniupnpd.conf");
    std::fs::write(&conf, miniupnpd_conf(&home)).unwrap();
    home.ns().nft(MINIUPNPD_TABLES);
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let daemon = lab.spawn(
        home.ns()
            .command("miniupnpd")
            .args(["-d", "-f"])
            .arg(&conf)
            .arg("-P")
            .arg(dir.path().join("pid"))
            .stdout(log.try_clone().unwrap())
            .stderr(log),
    );
    let log_text = || std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
    let public = home.wan_ipv4().unwrap();
    let gateway = home.lan_ipv4().unwrap();
    let laptop_ip = laptop.ipv4.unwrap();
    let start = Instant::now();
    while !log_text().contains("Listening for NAT-PMP") {
        assert!(
            start.elapsed() < STEP,
            "miniupnpd did not start:\n{}",
            log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("miniupnpd up in {:?}:\n{}", start.elapsed(), log_text());

    let sender = SocketAddr::new(stranger.ip(), 9000);
    // After a delete, a new flow is what must not get in: conntrack keeps a flow that already passed (the
    // router forgets the rule, not the flows it let in).
    let new_flow = SocketAddr::new(stranger.ip(), 9001);
    let (s, l) = (&stranger.ns, &laptop.ns);

    // PCP (crab_nat tries PCP first, then NAT-PMP): map the laptop's port 7000, renew, delete.
    let (mut pcp, took) = laptop
        .ns
        .run(move || async move {
            let start = Instant::now();
            let mapping = crab_nat::PortMapping::new(
                gateway.into(),
                laptop_ip.into(),
                crab_nat::InternetProtocol::Udp,
                NonZeroU16::new(7000).unwrap(),
                crab_nat::PortMappingOptions {
                    lifetime_seconds: Some(120),
                    ..Default::default()
                },
            )
            .await;
            (mapping, start.elapsed())
        })
        .await;
    let pcp_ok = pcp.as_ref().map(|m| m.mapping_type());
    assert!(
        matches!(pcp_ok, Ok(crab_nat::PortMappingType::Pcp { external_ip, .. }) if external_ip == IpAddr::V4(public)),
        "a PCP mapping that names the public address: {pcp_ok:?}\n{}",
        log_text()
    );
    let mapping = pcp.as_mut().unwrap();
    eprintln!(
        "PCP: mapped {laptop_ip}:7000 -> {public}:{} for {} s in {took:?}",
        mapping.external_port(),
        mapping.lifetime()
    );
    let listen = SocketAddr::new(laptop_ip.into(), 7000);
    let outside = SocketAddr::new(public.into(), mapping.external_port().get());
    assert!(
        datagram_arrives(s, sender, l, listen, None, outside).await,
        "through the PCP mapping, the internet reaches the laptop"
    );
    let mapping = pcp.unwrap();
    let (renewed, deleted) = laptop
        .ns
        .run(move || async move {
            let mut mapping = mapping;
            let renewed = mapping.renew().await.map(|()| mapping.lifetime());
            (renewed, mapping.try_drop().await.map_err(|(e, _)| e))
        })
        .await;
    assert!(
        renewed.is_ok() && deleted.is_ok(),
        "renew {renewed:?}, delete {deleted:?}"
    );
    assert!(
        !datagram_arrives(s, new_flow, l, listen, None, outside).await,
        "a deleted mapping lets no new flow in"
    );

    // NAT-PMP, asked for explicitly: the same with the older protocol, on port 7001.
    let natpmp = laptop
        .ns
        .run(move || async move {
            let address = crab_nat::natpmp::external_address(gateway.into(), None).await;
            let mapping = crab_nat::natpmp::port_mapping(
                gateway.into(),
                crab_nat::InternetProtocol::Udp,
                NonZeroU16::new(7001).unwrap(),
                crab_nat::PortMappingOptions {
                    lifetime_seconds: Some(120),
                    ..Default::default()
                },
            )
            .await;
            (address, mapping)
        })
        .await;
    assert_eq!(
        natpmp.0.ok(),
        Some(public),
        "NAT-PMP tells the public address"
    );
    let mapping = natpmp.1.expect("NAT-PMP mapping");
    let outside = SocketAddr::new(public.into(), mapping.external_port().get());
    let listen = SocketAddr::new(laptop_ip.into(), 7001);
    assert!(
        datagram_arrives(s, sender, l, listen, None, outside).await,
        "through NAT-PMP"
    );
    laptop
        .ns
        .run(move || async move { mapping.try_drop().await.map_err(|(e, _)| e) })
        .await
        .expect("NAT-PMP delete");
    assert!(!datagram_arrives(s, new_flow, l, listen, None, outside).await);

    // UPnP-IGD (SSDP on the LAN, then SOAP over HTTP): port 7002.
    let (upnp, took) = laptop
        .ns
        .run(move || async move {
            let start = Instant::now();
            let mut options = igd_next::SearchOptions::default();
            options.bind_addr = SocketAddr::new(laptop_ip.into(), 0);
            options.timeout = Some(Duration::from_secs(5));
            let gateway = igd_next::aio::tokio::search_gateway(options)
                .await
                .expect("UPnP gateway found");
            let found = start.elapsed();
            let external = gateway.get_external_ip().await.expect("external ip");
            let local = SocketAddr::new(laptop_ip.into(), 7002);
            let udp = igd_next::PortMappingProtocol::UDP;
            gateway
                .add_port(udp, 7002, local, 120, "clearchat")
                .await
                .expect("UPnP mapping");
            ((gateway, external), (found, start.elapsed()))
        })
        .await;
    eprintln!(
        "UPnP: gateway found in {:?}, mapping made after {:?}",
        took.0, took.1
    );
    assert_eq!(upnp.1, IpAddr::V4(public), "UPnP tells the public address");
    let listen = SocketAddr::new(laptop_ip.into(), 7002);
    let outside = SocketAddr::new(public.into(), 7002);
    assert!(
        datagram_arrives(s, sender, l, listen, None, outside).await,
        "through UPnP"
    );
    let gateway = upnp.0;
    laptop
        .ns
        .run(move || async move {
            // Renewing a UPnP lease is adding the same mapping again.
            let udp = igd_next::PortMappingProtocol::UDP;
            let local = SocketAddr::new(laptop_ip.into(), 7002);
            gateway
                .add_port(udp, 7002, local, 120, "clearchat")
                .await
                .expect("renew");
            gateway.remove_port(udp, 7002).await.expect("UPnP delete")
        })
        .await;
    assert!(!datagram_arrives(s, new_flow, l, listen, None, outside).await);
    assert!(
        !home
            .ns()
            .nft_cmd(&["list", "table", "inet", "rxupnp"])
            .contains("dnat"),
        "miniupnpd removed every rule it added"
    );
    let _ = lab.kill(daemon);
}

// ---- Hole punching with quinn: one endpoint per device serves and dials, as net does today. ----

use clearchat_core::testing::wire as tls;
use ed25519_dalek::SigningKey as DeviceKey;

fn device_key() -> DeviceKey {
    DeviceKey::generate(&mut rand::rngs::OsRng)
}

/// An address observer on the internet side: a QUIC endpoint that tells every device that connects the
/// address it sees it come from (as a peer's observed-address frame will), on a uni stream.
fn quic_observer(internet: &Router) -> (SocketAddr, [u8; 32], NsTask<()>) {
    let addr = SocketAddr::new(internet.add_ipv4().into(), 4433);
    quic_observer_at(internet.ns(), addr)
}

/// The observer on a public host's IPv6 address.
fn quic_observer_on(host: &Host) -> (SocketAddr, [u8; 32], NsTask<()>) {
    quic_observer_at(&host.ns, SocketAddr::new(host.ipv6.unwrap().into(), 4433))
}

fn quic_observer_at(ns: &Ns, addr: SocketAddr) -> (SocketAddr, [u8; 32], NsTask<()>) {
    let key = device_key();
    let id = key.verifying_key().to_bytes();
    let task = ns.spawn(move || async move {
        let endpoint = quinn::Endpoint::server(tls::server_config(&key).unwrap(), addr).unwrap();
        while let Some(incoming) = endpoint.accept().await {
            tokio::spawn(async move {
                let Ok(conn) = incoming.await else { return };
                if let Ok(mut send) = conn.open_uni().await {
                    let _ = send
                        .write_all(conn.remote_address().to_string().as_bytes())
                        .await;
                    let _ = send.finish();
                }
                let _ = conn.closed().await;
            });
        }
    });
    (addr, id, task)
}

/// Asks the observer, from `endpoint`'s own socket, which public address that socket maps to.
async fn observed_quic(
    endpoint: &quinn::Endpoint,
    key: &DeviceKey,
    observer: (SocketAddr, [u8; 32]),
) -> SocketAddr {
    let config = tls::client_config(key, Some(observer.1)).unwrap();
    let conn = endpoint
        .connect_with(config, observer.0, "clearchat")
        .unwrap()
        .await
        .expect("observer reachable");
    let mut recv = conn.accept_uni().await.expect("observation");
    let text = recv.read_to_end(64).await.expect("observation text");
    conn.close(0u32.into(), b"thanks");
    std::str::from_utf8(&text).unwrap().parse().unwrap()
}

/// What one side of a punch saw.
#[derive(Debug)]
struct PunchSide {
    observed: SocketAddr,
    /// The connection this side dialed: how long it took, or why it failed.
    dialed: Result<Duration, String>,
    /// The connection this side accepted from the peer (pinned to nothing: its id is checked).
    accepted: Result<Duration, String>,
}

/// Everything one side of a punch needs from the test, and the channels it answers on.
struct PunchPlan {
    key: DeviceKey,
    peer: [u8; 32],
    observer: (SocketAddr, [u8; 32]),
    limit: Duration,
    observed: tokio::sync::oneshot::Sender<SocketAddr>,
    go: tokio::sync::oneshot::Receiver<(SocketAddr, Duration)>,
    report: tokio::sync::oneshot::Sender<PunchSide>,
    done: tokio::sync::watch::Receiver<bool>,
}

/// One side: learn my public address, then (after the given delay) dial the peer's from my serving endpoint
/// while accepting from it; report; keep both connections until the test says done.
async fn punch_side(wildcard: SocketAddr, plan: PunchPlan) {
    let PunchPlan {
        key,
        peer,
        observer,
        limit,
        observed,
        go,
        report,
        mut done,
    } = plan;
    let endpoint = quinn::Endpoint::server(tls::server_config(&key).unwrap(), wildcard).unwrap();
    let me = observed_quic(&endpoint, &key, observer).await;
    let _ = observed.send(me);
    let Ok((peer_addr, delay)) = go.await else {
        return;
    };
    tokio::time::sleep(delay).await;
    let start = Instant::now();
    let config = tls::client_config(&key, Some(peer)).unwrap();
    let dial = async {
        let connecting = endpoint
            .connect_with(config, peer_addr, "clearchat")
            .map_err(|e| e.to_string())?;
        match tokio::time::timeout(limit, connecting).await {
            Ok(Ok(conn)) => Ok((start.elapsed(), conn)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no handshake in {limit:?}")),
        }
    };
    let accept = async {
        let incoming = tokio::time::timeout(limit, endpoint.accept())
            .await
            .map_err(|_| format!("nothing came in {limit:?}"))?
            .ok_or("endpoint closed")?;
        let conn = tokio::time::timeout(limit, incoming)
            .await
            .map_err(|_| "incoming handshake stalled".to_string())?
            .map_err(|e| e.to_string())?;
        if tls::peer_device_id(&conn) != Some(peer) {
            return Err("accepted someone else".to_string());
        }
        Ok((start.elapsed(), conn))
    };
    let (dialed, accepted) = tokio::join!(dial, accept);
    let _ = report.send(PunchSide {
        observed: me,
        dialed: dialed.as_ref().map(|(t, _)| *t).map_err(Clone::clone),
        accepted: accepted.as_ref().map(|(t, _)| *t).map_err(Clone::clone),
    });
    let _ = done.wait_for(|d| *d).await;
    endpoint.close(0u32.into(), b"done");
}

/// Devices `a` and `b` learn their public addresses from the observer, then dial each other's at about the
/// same time (b `stagger` after a), each from its one serving endpoint, each handshake given `limit`.
async fn punch(
    a: &Host,
    b: &Host,
    observer: (SocketAddr, [u8; 32]),
    stagger: Duration,
    limit: Duration,
) -> (PunchSide, PunchSide) {
    let (ka, kb) = (device_key(), device_key());
    let (ida, idb) = (ka.verifying_key().to_bytes(), kb.verifying_key().to_bytes());
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mut sides = Vec::new();
    for (host, key, peer) in [(a, ka, idb), (b, kb, ida)] {
        let (observed, seen) = tokio::sync::oneshot::channel();
        let (go, start) = tokio::sync::oneshot::channel();
        let (report, reported) = tokio::sync::oneshot::channel();
        let plan = PunchPlan {
            key,
            peer,
            observer,
            limit,
            observed,
            go: start,
            report,
            done: done_rx.clone(),
        };
        let wildcard: SocketAddr = if host.ipv4.is_some() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        }
        .parse()
        .unwrap();
        let task = host.ns.spawn(move || punch_side(wildcard, plan));
        sides.push((task, seen, go, reported));
    }
    let [(task_b, seen_b, go_b, reported_b), (task_a, seen_a, go_a, reported_a)] =
        [sides.pop().unwrap(), sides.pop().unwrap()];
    let (pa, pb) = (
        seen_a.await.expect("a observed"),
        seen_b.await.expect("b observed"),
    );
    let _ = go_a.send((pb, Duration::ZERO));
    let _ = go_b.send((pa, stagger));
    let reports = (
        reported_a.await.expect("a reports"),
        reported_b.await.expect("b reports"),
    );
    let _ = done_tx.send(true);
    task_a.join().await;
    task_b.join().await;
    reports
}

/// The lab's punch setup: an observer on the internet, two homes with the given plans, a device in each.
fn two_homes(lab: &Lab, a: RouterPlan, b: RouterPlan) -> (Router, Vec<Router>, Host, Host) {
    let internet = lab.internet();
    let (home_a, home_b) = (internet.home("homea", a), internet.home("homeb", b));
    let (da, db) = (home_a.host("deva"), home_b.host("devb"));
    (internet, vec![home_a, home_b], da, db)
}

const LIMIT: Duration = Duration::from_secs(8);

#[tokio::test]
async fn hole_punching_connects_two_devices_behind_port_keeping_nats_both_ways() {
    let Some(lab) = Lab::new() else { return };
    let plan = RouterPlan::nat(Nat::Masquerade);
    let (internet, homes, a, b) = two_homes(&lab, plan, plan);
    let (addr, id, _observer) = quic_observer(&internet);
    // b starts 300 ms late: a's first Initial reaches b's NAT before b has sent anything, and is dropped.
    let (ra, rb) = punch(&a, &b, (addr, id), Duration::from_millis(300), LIMIT).await;
    eprintln!("masquerade x masquerade:\n  a {ra:?}\n  b {rb:?}");
    assert_eq!(ra.observed.ip(), IpAddr::V4(homes[0].wan_ipv4().unwrap()));
    assert!(ra.dialed.is_ok() && rb.dialed.is_ok(), "both dials come up");
    assert!(
        ra.accepted.is_ok() && rb.accepted.is_ok(),
        "and both accepts: two connections per pair"
    );
}

#[tokio::test]
async fn hole_punching_over_ipv6_through_two_stateful_firewalls() {
    let Some(lab) = Lab::new() else { return };
    let plan = RouterPlan::ipv6_only();
    let (internet, _homes, a, b) = two_homes(&lab, plan, plan);
    let observer_host = internet.host("observer");
    let (_, id, _observer) = quic_observer_on(&observer_host);
    let addr = SocketAddr::new(observer_host.ipv6.unwrap().into(), 4433);
    let (ra, rb) = punch(&a, &b, (addr, id), Duration::from_millis(300), LIMIT).await;
    eprintln!("ipv6 firewall x ipv6 firewall:\n  a {ra:?}\n  b {rb:?}");
    assert_eq!(
        ra.observed.ip(),
        IpAddr::V6(a.ipv6.unwrap()),
        "no NAT on IPv6"
    );
    assert!(ra.dialed.is_ok() && rb.dialed.is_ok(), "both dials come up");
}

#[tokio::test]
async fn hole_punching_fails_between_symmetric_nats() {
    let Some(lab) = Lab::new() else { return };
    let plan = RouterPlan::nat(Nat::Random);
    let (internet, _homes, a, b) = two_homes(&lab, plan, plan);
    let (addr, id, _observer) = quic_observer(&internet);
    let (ra, rb) = punch(
        &a,
        &b,
        (addr, id),
        Duration::from_millis(300),
        Duration::from_secs(4),
    )
    .await;
    eprintln!("random x random:\n  a {ra:?}\n  b {rb:?}");
    assert!(
        ra.dialed.is_err() && rb.dialed.is_err() && ra.accepted.is_err() && rb.accepted.is_err()
    );
}

#[tokio::test]
async fn hole_punching_between_a_symmetric_and_a_port_keeping_nat() {
    let Some(lab) = Lab::new() else { return };
    let (internet, _homes, a, b) = two_homes(
        &lab,
        RouterPlan::nat(Nat::Random),
        RouterPlan::nat(Nat::Masquerade),
    );
    let (addr, id, _observer) = quic_observer(&internet);
    let (ra, rb) = punch(
        &a,
        &b,
        (addr, id),
        Duration::from_millis(300),
        Duration::from_secs(4),
    )
    .await;
    eprintln!("random x masquerade:\n  a {ra:?}\n  b {rb:?}");
    // The port-keeping side's NAT filters by address and port: a's packets come from a port b never sent
    // to, and b's go to the port a showed the observer, not the one a's NAT picked for b. So no direct
    // path: this pair needs a port mapping on b's router, or a relay through a member.
    assert!(
        ra.dialed.is_err() && rb.dialed.is_err() && ra.accepted.is_err() && rb.accepted.is_err()
    );
}

#[tokio::test]
async fn hole_punching_from_behind_a_carrier_nat_to_a_home_nat() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let home = internet.home("home", RouterPlan::nat(Nat::Masquerade));
    let carrier = internet.carrier("cgn");
    let phone_home = carrier.home("phonehome", RouterPlan::nat(Nat::Masquerade));
    let (laptop, phone) = (home.host("laptop"), phone_home.host("phone"));
    let (addr, id, _observer) = quic_observer(&internet);
    let (ra, rb) = punch(&laptop, &phone, (addr, id), Duration::ZERO, LIMIT).await;
    eprintln!(
        "masquerade x carrier(masquerade x masquerade), started together:\n  a {ra:?}\n  b {rb:?}"
    );
    assert_eq!(rb.observed.ip(), IpAddr::V4(carrier.wan_ipv4().unwrap()));
    assert!(
        ra.dialed.is_ok() && rb.dialed.is_ok(),
        "both dials come up through two levels of NAT"
    );
}
