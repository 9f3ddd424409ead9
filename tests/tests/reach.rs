//! Prototypes for issue 11 (reach), kept as tests: what the Mainline DHT crate, the port-mapping crates and
//! quinn do across the lab's NATs (tests/src/netlab.rs). Each prints its timings (run with --nocapture);
//! each asserts only what it claims works. Needs root; without it each says SKIPPED.

use clearchat_scenarios::netlab::{Host, Lab, Nat, Router, RouterPlan};
use mainline::{Dht, MutableItem, SigningKey};
use std::net::{IpAddr, Ipv4Addr};
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
