//! A Mainline DHT testnet for reach scenarios: server-mode nodes in the lab's internet namespace.

use crate::netlab::Router;
use mainline::Dht;
use std::net::Ipv4Addr;

/// A DHT testnet in the internet namespace: `count` server-mode nodes, each on an address of its own (the
/// crate keeps one node per IP among the closest nodes it stores at, as the real network would look).
/// Returns the nodes (dropping them stops them) and the bootstrap list a device is configured with.
///
/// No node is started with `no_bootstrap`: such a node adds whoever asks it `find_node` to its routing table
/// (so that a first node can fill up), and would hand a NATed client its own public address as a node to
/// query, a hairpin that goes unanswered and holds every query for a full request timeout. So the first node
/// is pointed at the second's address, and each later node at all the earlier ones. Each node is told its
/// public IP, so its id is BEP 42-secure for it from the start: lookups return only secure nodes, and a node
/// that had to learn its IP from votes first would be left out of them for a while.
pub async fn dht_testnet(internet: &Router, count: usize) -> (Vec<Dht>, Vec<String>) {
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
                    .public_ip(*ip)
                    .port(6881)
                    // The crate's 2 s default is short for a loaded 2-core machine running several labs.
                    .request_timeout(std::time::Duration::from_secs(5))
                    .build()
                    .expect("testnet node");
                nodes.push(node);
            }
            // Each call is a fresh `find_node` of the node's own id: under load a first one can time out,
            // so ask again until a deadline rather than fail the scenario on one lost answer.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            for node in &nodes[1..] {
                while !node.clone().as_async().bootstrapped().await {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "testnet node bootstrapped within 60 s"
                    );
                }
            }
            (nodes, addrs)
        })
        .await
}

/// [`dht_testnet`] of 8 nodes, for a test that is not async itself.
pub fn dht_testnet_of_8(internet: &Router) -> (Vec<Dht>, Vec<String>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(dht_testnet(internet, 8))
}
