//! Attacks on a live client, one module per item of the security review (issue 10), each performed by
//! the rogue device of `rogue` against real clients over loopback QUIC with real SQLite stores.

mod entry_time;
mod first_key;
mod foreign_person;
mod invite_reuse;
mod keystore;
mod local;
mod planted_key;
mod removed_device;
mod resources;
mod revoker;
mod rogue;
mod secrets;
mod self_removal;
mod stale_invite;
mod weak_keys;

use clearchat_core::testing::entries::Body;
use clearchat_testkit::{amy_and_betty_alone, wait_until};
use rogue::Rogue;

/// The rogue speaks well enough to be believed: Betty's device, taken over, writes a message the
/// honest way and Amy's laptop shows it. (The attacks below rely on this.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rogue_is_heard_like_an_honest_device() {
    let (laptop, betty) = amy_and_betty_alone().await;
    betty.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&betty.client);
    let space = rogue.buddy_spaces()[0];
    let mut conn = rogue.connect(&laptop.client).await;
    let answer = conn.hello_all(&rogue).await.expect("Amy answers");
    assert_eq!(conn.opened(&answer, &rogue), vec![space]);
    let body = Body::Message {
        text: "from the rogue".into(),
        reply_to: None,
    };
    let entry = rogue.next(&space, &body);
    conn.entries(space, vec![entry]).await;
    assert!(
        conn.acked(space, rogue.device(), rogue.head(&space).seq)
            .await
    );
    wait_until("Amy shows the rogue's message", || async {
        laptop
            .texts("Betty")
            .await
            .contains(&"from the rogue".to_string())
    })
    .await;
}
