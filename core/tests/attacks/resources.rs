//! Item 7: one frame, one connection or a crowd of handshakes must not exhaust a device's memory. The
//! attacker here is a stranger (a fresh key that proves no space): it must cost us almost nothing. (The
//! test that measures memory is in `core/tests/soak.rs`, a process of its own.)

use clearchat_core::testing::{
    self,
    wire::{client_config, dial_as_stranger, Frame},
};
use clearchat_testkit::{amy_and_betty_alone, wait_until, Device};
use ed25519_dalek::SigningKey;

/// The future's output if it is ready at once.
async fn now<F: std::future::Future>(f: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        r = f => Some(r),
        _ = std::future::ready(()) => None,
    }
}

/// The decoder itself bounds every list before it allocates: an `Entries` frame of more entries than a
/// batch may hold is malformed, whoever sends it.
#[test]
fn a_frame_of_more_entries_than_a_batch_is_malformed() {
    let frame = crate::rogue::empty_entries_frame([0x5a; 32], 1025);
    assert!(Frame::decode(&frame[4..]).is_err());
    let frame = crate::rogue::empty_entries_frame([0x5a; 32], 3);
    assert!(Frame::decode(&frame[4..]).is_ok());
}

/// The transport offers what the protocol uses and nothing more: one bidirectional stream (the
/// dialer's), no unidirectional streams, no datagrams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transport_allows_one_stream_and_no_datagrams() {
    let amy = Device::new("Amy", "Amy").await;
    amy.client.start().await.unwrap();
    let (_endpoint, conn) = dial_as_stranger(&amy.client).await;
    assert_eq!(conn.max_datagram_size(), None, "datagrams are off");
    assert!(
        now(conn.open_uni()).await.is_none(),
        "no unidirectional stream"
    );
    let first = now(conn.open_bi()).await;
    assert!(first.is_some(), "the one bidirectional stream");
    assert!(
        now(conn.open_bi()).await.is_none(),
        "a second one is refused"
    );
}

/// Strangers that complete handshakes and then say nothing hold a place among the unproven connections
/// until their time runs out: beyond 64 at once, new connections are refused, and a buddy connects again
/// as soon as the crowd has gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_silent_strangers_is_refused_beyond_the_limit_and_leaves_no_trace() {
    let (amy, betty) = amy_and_betty_alone().await;
    let mut crowd = Vec::new();
    let mut refused = 0;
    for _ in 0..96 {
        let stranger = SigningKey::generate(&mut rand::thread_rng());
        let me = amy.client.me().unwrap().device_id;
        let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
        endpoint.set_default_client_config(client_config(&stranger, Some(me.0)).unwrap());
        let addr = amy.client.listen_addrs()[0];
        match endpoint.connect(addr, "clearchat").unwrap().await {
            Ok(conn) => crowd.push((endpoint, conn)),
            Err(_) => refused += 1,
        }
    }
    assert!(refused > 0, "all 96 silent strangers were let in");
    assert!(crowd.len() <= 64 + 8, "{} were let in", crowd.len());
    // Amy closes every one of them (they proved nothing in time), and still talks to Betty.
    for (_endpoint, conn) in &crowd {
        conn.closed().await;
    }
    amy.send("Betty", "after the crowd").await.unwrap();
    wait_until("Betty gets it", || async {
        betty
            .texts("Amy")
            .await
            .contains(&"after the crowd".to_string())
    })
    .await;
}

/// Under a crowd of handshakes from strangers, a connection beyond the first few unproven ones must first
/// prove its address with a QUIC Retry (so spoofed sources cannot make Amy run handshakes). Observed on
/// Amy's side (her count of Retries sent), with real clients. Betty, coming back while the crowd holds
/// its places, goes through a Retry like anyone (Amy knows no address of hers, so Betty dials) and chats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_handshakes_is_answered_with_retry_and_a_buddy_still_gets_in() {
    let (amy, betty) = amy_and_betty_alone().await;
    betty.client.stop().await.unwrap();
    testing::forget_addresses(&amy.client).unwrap();
    assert_eq!(
        testing::retries_sent(&amy.client),
        0,
        "no Retry without a crowd"
    );
    // 24 strangers handshake at once, then say nothing: they hold places among the unproven.
    let mut dials = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let stranger = SigningKey::generate(&mut rand::thread_rng());
        let me = amy.client.me().unwrap().device_id;
        let addr = amy.client.listen_addrs()[0];
        dials.spawn(async move {
            let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
            endpoint.set_default_client_config(client_config(&stranger, Some(me.0)).unwrap());
            let conn = endpoint.connect(addr, "clearchat").unwrap().await;
            (endpoint, conn)
        });
    }
    let crowd = dials.join_all().await;
    let handshaken = crowd.iter().filter(|(_, conn)| conn.is_ok()).count();
    let retries = testing::retries_sent(&amy.client);
    assert!(
        retries >= 8,
        "only {retries} Retries for 24 strangers handshaking at once ({handshaken} got in)"
    );
    assert_eq!(
        handshaken, 24,
        "a Retry is answered, then the handshake goes on"
    );
    betty.client.start().await.unwrap();
    betty.send("Amy", "through the crowd").await.unwrap();
    wait_until("Amy gets Betty's message", || async {
        amy.texts("Betty")
            .await
            .contains(&"through the crowd".to_string())
    })
    .await;
    assert!(
        testing::retries_sent(&amy.client) > retries,
        "Betty got in without a Retry while the crowd was there"
    );
    drop(crowd);
}
