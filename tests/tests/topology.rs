//! Self-tests of the network lab (tests/src/netlab.rs): each NAT and firewall behaves as its name claims, so
//! the reach scenarios built on them test what they say. Needs root; without it each test says SKIPPED.
//!
//! The witness is a UDP observer on the internet side that answers with the source address it sees.

use clearchat_scenarios::netlab::{
    datagram_arrives, namespaces_tagged, observed_from, udp_observer, Host, Lab, Nat, RouterPlan,
};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;

/// From `host`, one socket asks two observers (two different destinations) what they see.
async fn two_observations(
    host: &Host,
    observers: [SocketAddr; 2],
) -> (SocketAddr, SocketAddr, SocketAddr) {
    host.ns
        .run(move || async move {
            let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            let local = socket.local_addr().unwrap();
            let a = observed_from(&socket, observers[0])
                .await
                .expect("observer 1 answers");
            let b = observed_from(&socket, observers[1])
                .await
                .expect("observer 2 answers");
            (local, a, b)
        })
        .await
}

#[tokio::test]
async fn masquerade_keeps_one_mapping_for_every_destination_and_drops_unsolicited_inbound() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let observers =
        [internet.add_ipv4(), internet.add_ipv4()].map(|ip| SocketAddr::new(ip.into(), 3478));
    let _o = observers.map(|a| udp_observer(internet.ns(), a));
    let home = internet.home("home", RouterPlan::nat(Nat::Masquerade));
    let laptop = home.host("laptop");
    let (local, a, b) = two_observations(&laptop, observers).await;
    let public = IpAddr::V4(home.wan_ipv4().unwrap());
    assert_eq!(
        a.ip(),
        public,
        "the observer sees the router's public address"
    );
    assert_eq!(
        a, b,
        "endpoint-independent mapping: same ip:port towards both destinations"
    );
    assert_eq!(
        a.port(),
        local.port(),
        "masquerade keeps the port when it is free"
    );

    // A stranger on the internet sending to the public ip:port reaches nobody behind the NAT: not with no
    // mapping, and not through a mapping made towards another ip:port (address- and port-dependent filtering,
    // which is why both sides of a hole punch must send). The check can fail: the same datagrams from the
    // ip:port the mapping was made towards do arrive.
    let stranger = internet.host("stranger");
    let stranger_at = SocketAddr::new(stranger.ip(), 3478);
    let listen = SocketAddr::new(laptop.ip(), 4000);
    let public_4000 = SocketAddr::new(public, 4000);
    let (s, l) = (&stranger.ns, &laptop.ns);
    assert!(
        !datagram_arrives(s, stranger_at, l, listen, None, public_4000).await,
        "unsolicited inbound is dropped"
    );
    let elsewhere = SocketAddr::new(stranger.ip(), 3479);
    assert!(
        !datagram_arrives(s, stranger_at, l, listen, Some(elsewhere), public_4000).await,
        "a mapping lets in only the ip:port it was made towards"
    );
    assert!(
        datagram_arrives(s, stranger_at, l, listen, Some(stranger_at), public_4000).await,
        "the ip:port the mapping was made towards gets through"
    );
    let tag = lab.tag().to_string();
    drop((lab, internet, home, laptop, stranger, _o));
    assert!(
        namespaces_tagged(&tag).is_empty(),
        "the lab removed its namespaces"
    );
}

#[tokio::test]
async fn masquerade_random_maps_each_destination_to_another_port() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let observers =
        [internet.add_ipv4(), internet.add_ipv4()].map(|ip| SocketAddr::new(ip.into(), 3478));
    let _o = observers.map(|a| udp_observer(internet.ns(), a));
    let home = internet.home("home", RouterPlan::nat(Nat::Random));
    let phone = home.host("phone");
    let (_, a, b) = two_observations(&phone, observers).await;
    assert_eq!(a.ip(), IpAddr::V4(home.wan_ipv4().unwrap()));
    assert_eq!(b.ip(), a.ip());
    assert_ne!(
        a.port(),
        b.port(),
        "symmetric: a new mapping per destination"
    );
}

#[tokio::test]
async fn carrier_grade_nat_hides_the_home_router_behind_a_second_address() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let observers =
        [internet.add_ipv4(), internet.add_ipv4()].map(|ip| SocketAddr::new(ip.into(), 3478));
    let _o = observers.map(|a| udp_observer(internet.ns(), a));
    let carrier = internet.carrier("cgn");
    let home = carrier.home("home", RouterPlan::nat(Nat::Masquerade));
    let phone = home.host("phone");
    let (local, a, b) = two_observations(&phone, observers).await;
    assert!(
        home.wan_ipv4().unwrap().octets()[..2] == [100, 64],
        "the home router's WAN is in 100.64/10"
    );
    assert_eq!(
        a.ip(),
        IpAddr::V4(carrier.wan_ipv4().unwrap()),
        "seen as the carrier's address"
    );
    assert_eq!(a, b, "both levels keep one mapping");
    assert_eq!(
        a.port(),
        local.port(),
        "both levels keep the port when free"
    );
}

#[tokio::test]
async fn ipv6_firewall_lets_answers_in_and_drops_unsolicited_inbound() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let observer_host = internet.host("observer");
    let observer = SocketAddr::new(IpAddr::V6(observer_host.ipv6.unwrap()), 3478);
    let _o = udp_observer(&observer_host.ns, observer);
    let home = internet.home("home6", RouterPlan::ipv6_only());
    let laptop = home.host("laptop");
    assert!(laptop.ipv4.is_none(), "IPv6 only");
    let v6 = laptop.ipv6.unwrap();
    let seen = laptop
        .ns
        .run(move || async move {
            let socket = UdpSocket::bind("[::]:0").await.unwrap();
            (
                socket.local_addr().unwrap().port(),
                observed_from(&socket, observer).await,
            )
        })
        .await;
    assert_eq!(
        seen.1,
        Some(SocketAddr::new(IpAddr::V6(v6), seen.0)),
        "no NAT: seen as itself"
    );
    let listen = SocketAddr::new(IpAddr::V6(v6), 4000);
    let (o, l) = (&observer_host.ns, &laptop.ns);
    let sender = SocketAddr::new(observer.ip(), 4001);
    assert!(
        !datagram_arrives(o, sender, l, listen, None, listen).await,
        "unsolicited inbound IPv6 is dropped by the firewall"
    );
    assert!(
        datagram_arrives(o, sender, l, listen, Some(sender), listen).await,
        "once the host has sent to it, the same peer gets through"
    );
}

#[tokio::test]
async fn a_renumbered_router_is_seen_at_its_new_address() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let observer = SocketAddr::new(internet.add_ipv4().into(), 3478);
    let _o = udp_observer(internet.ns(), observer);
    let home = internet.home("home", RouterPlan::nat(Nat::Masquerade));
    let laptop = home.host("laptop");
    let ask = || {
        laptop.ns.run(move || async move {
            let socket = UdpSocket::bind("0.0.0.0:5000").await.unwrap();
            observed_from(&socket, observer)
                .await
                .expect("observer answers")
        })
    };
    let before = ask().await;
    let old = home.wan_ipv4().unwrap();
    assert_eq!(before.ip(), IpAddr::V4(old));
    let new = home.renumber();
    assert_ne!(new, old);
    let after = ask().await;
    assert_eq!(
        after.ip(),
        IpAddr::V4(new),
        "the same flow now leaves from the new address"
    );
}

#[tokio::test]
async fn loss_drops_about_the_share_asked_for() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let observer = SocketAddr::new(internet.add_ipv4().into(), 3478);
    let _o = udp_observer(internet.ns(), observer);
    let home = internet.home("home", RouterPlan::nat(Nat::Masquerade));
    let laptop = home.host("laptop");
    home.set_loss(30);
    // A probe and its answer each cross the router: an exchange survives with probability 0.7^2 = 0.49.
    let answered = laptop
        .ns
        .run(move || async move {
            let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            for _ in 0..400 {
                socket.send_to(b"?", observer).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let mut answered = 0;
            let mut buf = [0u8; 64];
            while let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(500), socket.recv_from(&mut buf)).await
            {
                answered += 1;
            }
            answered
        })
        .await;
    // Binomial(400, 0.49): mean 196, sd 10; the bounds are 6 sd away.
    assert!(
        (136..=256).contains(&answered),
        "{answered} of 400 answered"
    );
    home.set_loss(0);
}

#[tokio::test]
async fn sockets_made_after_setns_stay_in_the_namespace() {
    let Some(lab) = Lab::new() else { return };
    let internet = lab.internet();
    let host = internet.host("solo");
    let ip = host.ip();
    // The host's address exists only in its namespace: binding it proves where the socket lives, also for
    // a socket made by a task spawned later on that runtime and by a thread started from it.
    let (task_bound, thread_bound) = host
        .ns
        .run(move || async move {
            let task = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                UdpSocket::bind(SocketAddr::new(ip, 0)).await.is_ok()
            })
            .await
            .unwrap();
            let thread = std::thread::spawn(move || {
                std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
            })
            .join()
            .unwrap();
            (task, thread)
        })
        .await;
    assert!(task_bound && thread_bound);
    assert!(
        std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_err(),
        "the test's own thread is still in the root namespace"
    );
}

#[test]
fn a_panicking_test_leaves_no_namespace_behind() {
    let Some(lab) = Lab::new() else { return };
    let tag = lab.tag().to_string();
    let inside = tag.clone();
    let outcome = std::panic::catch_unwind(move || {
        let internet = lab.internet();
        let home = internet.home("home", RouterPlan::nat(Nat::Masquerade));
        let _laptop = home.host("laptop");
        let _sleeper = lab.spawn(home.ns().command("sleep").arg("600"));
        assert_eq!(namespaces_tagged(&inside).len(), 3);
        panic!("a test fails with its lab up");
    });
    assert!(outcome.is_err());
    assert!(
        namespaces_tagged(&tag).is_empty(),
        "the unwinding dropped the lab"
    );
}
