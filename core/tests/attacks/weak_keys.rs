//! Item 13: Ed25519 keys of small order. With the identity point as public key, the signature (R = identity,
//! s = 0) verifies for every message under a lax check, so anyone could write that "device's" entries or
//! present it in TLS. Betty introduces such a device under her own person and forges its messages; and a
//! peer presents it as its TLS key. Both must be refused: verify_strict, and weak keys refused outright.

use crate::rogue::{now_ms, Rogue};
use clearchat_core::testing::{
    entries::{Body, Entry, Hash},
    wire::accepts_tls_key,
};
use clearchat_core::DeviceId;
use clearchat_testkit::amy_and_betty_alone;

/// The identity point, compressed: a public key of order 1.
const WEAK: [u8; 32] = {
    let mut k = [0u8; 32];
    k[0] = 1;
    k
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_order_key_is_no_member_and_signs_nothing() {
    let (laptop, betty) = amy_and_betty_alone().await;
    betty.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&betty.client);
    let space = rogue.buddy_spaces()[0];
    rogue.next(
        &space,
        &Body::MemberAdded {
            device: DeviceId(WEAK),
            person: rogue.person,
            name: "anyone".into(),
        },
    );
    let key = rogue.space(&space).keys.last().unwrap().clone();
    let mut forged_sig = [0u8; 64];
    forged_sig[0] = 1; // R = identity, s = 0
    let forged = Entry::create_with(
        space,
        &key,
        DeviceId(WEAK),
        1,
        Hash([0; 32]),
        now_ms(),
        &Body::Message {
            text: "written by anyone".into(),
            reply_to: None,
        },
        |_| forged_sig,
    )
    .unwrap();
    let mut conn = rogue.connect(&laptop.client).await;
    conn.hello_all(&rogue).await.expect("the laptop answers");
    let mut all = rogue.log(&space);
    all.push(forged.encode());
    conn.entries(space, all).await;
    assert!(
        conn.acked(space, rogue.device(), rogue.head(&space).seq)
            .await
    );
    // The rogue's own log was taken in; the forged one must not be.
    let texts = laptop.texts("Betty").await;
    assert!(
        !texts.contains(&"written by anyone".to_string()),
        "the laptop shows a message signed by nobody"
    );
    assert!(clearchat_core::testing::member(&laptop.client, &space, &DeviceId(WEAK)).is_none());
}

#[test]
fn tls_refuses_a_small_order_key() {
    // The certificate check both sides run on the peer's raw public key.
    assert!(accepts_tls_key(&honest()).is_ok());
    assert!(
        accepts_tls_key(&WEAK).is_err(),
        "the TLS verifier accepts a small-order key"
    );
}

fn honest() -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[9; 32])
        .verifying_key()
        .to_bytes()
}
