//! Prototypes for issue 11 (reach), kept as tests: what the Mainline DHT crate, the port-mapping crates and
//! quinn do across the lab's NATs (tests/src/netlab.rs). Each prints its timings (run with --nocapture);
//! each asserts only what it claims works. Needs root; without it each says SKIPPED.

use clearchat_scenarios::netlab::{datagram_arrives, Host, Lab, Nat, Router, RouterPlan};
use mainline::{Dht, MutableItem, SigningKey};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU16;
use std::time::{Duration, Instant};

/// How long a step may take on a loaded machine before it counts as failed.
const STEP: Duration = Duration::from_secs(30);

/// A DHT testnet in the internet namespace: `count` server-mode nodes, each on an address of its own (the
/// crate keeps one node per IP among the closest nodes it stores at, as the real network would look).
/// Returns the nodes (dropping them stops them) and the bootstrap list a device is configured with.
///
/// No node is started with `no_bootstrap`: such a node adds whoever asks it `find_node` to its routing table
/// (so that a first node can fill up), and would hand a NATed client its own public address as a node to
/// query, a hairpin that goes unanswered and holds every query for a full request timeout. So the first node
/// is pointed at the second's address, and each later node at all the earlier ones.
async fn dht_testnet(internet: &Router, count: usize) -> (Vec<Dht>, Vec<String>) {
    let ips: Vec<Ipv4Addr> = (0..count).map(|_| internet.add_ipv4()).collect();
    let addrs: Vec<String> = ips.iter().map(|ip| format!("{ip}:6881")).collect();
    internet
        .ns()
        .run(move || async move {
            let mut nodes = Vec::new();
            for (i, ip) in ips.iter().enumerate() {
                let bootstrap = if i == 0 { &addrs[1..2] } else { &addrs[..i] };
                let node = Dht::builder()
                    .server_mode()
                    .bootstrap(bootstrap)
                    .bind_address(*ip)
                    .port(6881)
                    .build()
                    .expect("testnet node");
                nodes.push(node);
            }
            for node in &nodes[1..] {
                assert!(
                    node.clone().as_async().bootstrapped().await,
                    "testnet node bootstrapped"
                );
            }
            (nodes, addrs)
        })
        .await
}

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
