//! Item 5: the newest key was decided by local arrival order and `KeysSealed` was taken from any member. A
//! phone about to be unlinked plants a key of its own (sealed to every member); Betty happens to receive it
//! after the laptop's real rotation, and would then seal what she writes under the planted key, which the
//! unlinked phone holds. The current key must be the same on every device, whatever the arrival order.

use crate::rogue::Rogue;
use clearchat_core::testing::{
    self,
    entries::{Body, Entry, SpaceKey},
};
use clearchat_testkit::{amy_and_betty, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_key_never_becomes_current() {
    let (laptop, phone, betty) = amy_and_betty().await;
    let (laptop_id, phone_id) = (
        laptop.client.me().unwrap().device_id,
        phone.client.me().unwrap().device_id,
    );
    let betty_id = betty.client.me().unwrap().device_id;
    betty.client.stop().await.unwrap();
    phone.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&phone.client);
    let space = rogue.buddy_spaces()[0];
    let first = rogue.space(&space).keys[0].clone();

    // The phone plants its key, sealed to everyone; the laptop takes it in.
    let planted = SpaceKey::generate();
    let keys = [laptop_id, phone_id, betty_id]
        .iter()
        .map(|d| planted.seal_to(d, &space).unwrap())
        .collect();
    rogue.next(&space, &Body::KeysSealed { keys });
    let mut conn = rogue.connect(&laptop.client).await;
    conn.hello_all(&rogue).await.expect("the laptop answers");
    conn.entries(space, rogue.log(&space)).await;
    assert!(conn.acked(space, phone_id, rogue.head(&space).seq).await);
    drop(conn);

    // Amy unlinks the phone; the laptop rotates. Then the laptop goes away before Betty comes back.
    laptop.client.revoke_device(&phone_id).await.unwrap();
    wait_until(
        "the laptop removes the phone from the buddy space",
        || async {
            testing::member(&laptop.client, &space, &phone_id).is_some_and(|(_, cut)| cut.is_some())
        },
    )
    .await;
    let laptop_log = testing::log_entries(&laptop.client, &space, &laptop_id).unwrap();
    laptop.client.stop().await.unwrap();

    // Betty hears it all from the phone, in the worst order: the laptop's log up to (not including) its
    // MemberRemoved, then the phone's log with the planted key, then the removal.
    let removal_at = laptop_log
        .iter()
        .position(|raw| {
            Entry::decode(raw)
                .ok()
                .and_then(|e| e.open(&first).ok())
                .is_some_and(|b| matches!(b, Body::MemberRemoved { .. }))
        })
        .expect("the laptop's removal of the phone");
    betty.client.start().await.unwrap();
    let mut conn = rogue.connect(&betty.client).await;
    conn.hello_all(&rogue).await.expect("Betty answers");
    conn.entries(space, laptop_log[..removal_at].to_vec()).await;
    assert!(conn.acked(space, laptop_id, removal_at as u64).await);
    conn.entries(space, rogue.log(&space)).await;
    assert!(conn.acked(space, phone_id, rogue.head(&space).seq).await);
    conn.entries(space, laptop_log[removal_at..].to_vec()).await;
    wait_until("Betty removes the phone", || async {
        testing::lists_as_removed(&betty.client, &phone_id)
    })
    .await;
    drop(conn);

    let buddy = betty.buddy_id("Amy").await;
    betty.client.send(&buddy, "for Amy only").await.unwrap();
    let sealed_with = testing::newest_entry_key_id(&betty.client, &buddy, &betty_id).unwrap();
    assert_ne!(
        sealed_with,
        planted.key_id(),
        "Betty sealed her message under the key the unlinked phone planted"
    );
    assert_ne!(sealed_with, first.key_id(), "Betty uses the rotated key");
}
