//! Item 1: invites outlive revocation. A stolen phone records a link invite with a far expiry in Amy's
//! home, is unlinked, and then a fresh device of the thief redeems that invite at Amy's laptop: it would
//! become Amy's device and read what Betty writes after the unlink. An invite records its issuing device
//! and dies with it; its expiry is capped; a removed device is never welcomed back.

use crate::rogue::{now_ms, Rogue};
use clearchat_core::testing::{
    self,
    entries::{invite_id, redeem_proof, Body, InviteSecret, Purpose},
    wire::Frame,
};
use clearchat_core::{Error, InviteCode};
use clearchat_testkit::{amy_and_betty, wait_until, Device};

fn link_code(laptop: &Device, secret: [u8; 16], expires_at: u64) -> InviteCode {
    InviteCode {
        purpose: Purpose::Link,
        secret,
        inviter: laptop.client.me().unwrap().device_id.0,
        addrs: laptop.client.listen_addrs(),
        others: Vec::new(),
        expires_at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_of_an_unlinked_device_is_void() {
    let (laptop, phone, _betty) = amy_and_betty().await;
    let phone_id = phone.client.me().unwrap().device_id;
    phone.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&phone.client);
    let home = rogue.home();
    let ten_years = now_ms() / 1000 + 10 * 365 * 24 * 3600;
    let secret = [7u8; 16];
    rogue.next(
        &home,
        &Body::InviteIssued {
            id: invite_id(&secret),
            secret: InviteSecret(secret),
            purpose: Purpose::Link,
            label: String::new(),
            expires_at: ten_years,
        },
    );
    let mut conn = rogue.connect(&laptop.client).await;
    conn.hello_all(&rogue).await.expect("the laptop answers");
    conn.entries(home, rogue.log(&home)).await;
    let code = link_code(&laptop, secret, ten_years);
    wait_until("the laptop records the phone's invites", || async {
        testing::holds_invite(&laptop.client, &code)
    })
    .await;
    drop(conn);

    laptop.client.revoke_device(&phone_id).await.unwrap();
    let thief = Device::new("thief", "Amy").await;
    let redeemed = thief.client.redeem(&code.to_text()).await;
    assert!(
        matches!(redeemed, Err(Error::Refused { .. } | Error::InviteExpired)),
        "the unlinked phone's invite let a new device in: {redeemed:?}"
    );
    assert!(thief.client.buddies().await.unwrap().is_empty());
    thief.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_is_never_welcomed_back() {
    let (laptop, phone, _betty) = amy_and_betty().await;
    let phone_id = phone.client.me().unwrap().device_id;
    phone.client.stop().await.unwrap();
    let rogue = Rogue::steal(&phone.client);
    laptop.client.revoke_device(&phone_id).await.unwrap();
    // The thief has the phone and reads a link code over Amy's shoulder.
    let link = laptop.client.create_link_invite().await.unwrap();
    let code = InviteCode::parse(&link.code).unwrap();
    let mut conn = rogue.connect(&laptop.client).await;
    let proof = redeem_proof(&code.secret, &conn.exporter);
    conn.send(&Frame::Redeem {
        invite_id: invite_id(&code.secret),
        proof,
        device_name: "Amy phone".into(),
        person: rogue.person,
        person_name: "Amy".into(),
    })
    .await;
    let answer = conn.recv().await;
    assert!(
        !matches!(answer, Ok(Frame::Welcome(_))),
        "the unlinked phone was welcomed back: {answer:?}"
    );
    assert!(testing::lists_as_removed(&laptop.client, &phone_id));
}
