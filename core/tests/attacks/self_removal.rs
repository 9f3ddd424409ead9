//! Item 2: a stolen phone tries to make its own removal a no-op, by removing itself "after seq u64::MAX"
//! in every space (a removal entry about itself, with a seq that wraps to -1 in SQLite) before its owner
//! unlinks it. Its owner must still be able to unlink it, the cut must be where the phone really was, and
//! the buddy space must rotate its key.

use crate::rogue::Rogue;
use clearchat_core::testing::{self, entries::Body};
use clearchat_testkit::{amy_and_betty, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_phone_cannot_defuse_its_own_removal() {
    let (laptop, phone, betty) = amy_and_betty().await;
    let phone_id = phone.client.me().unwrap().device_id;
    phone.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&phone.client);
    let (home, buddy) = (rogue.home(), rogue.buddy_spaces()[0]);
    let mut conn = rogue.connect(&laptop.client).await;
    let answer = conn.hello_all(&rogue).await.expect("the laptop answers");
    assert_eq!(conn.opened(&answer, &rogue).len(), 2);

    // The buddy space first, then home (whose revocation would make the laptop cut the phone's buddy
    // log at once).
    let removed = rogue.next(
        &buddy,
        &Body::MemberRemoved {
            device: phone_id,
            last_seq: u64::MAX,
            rotation: None,
        },
    );
    let _ = removed;
    conn.entries(buddy, rogue.log(&buddy)).await;
    let buddy_head = rogue.head(&buddy).seq;
    assert!(conn.acked(buddy, phone_id, buddy_head).await);
    let revoked = rogue.next(
        &home,
        &Body::DeviceRevoked {
            device: phone_id,
            last_seq: u64::MAX,
            rotation: None,
        },
    );
    let _ = revoked;
    conn.entries(home, rogue.log(&home)).await;
    let home_head = rogue.head(&home).seq;
    // The laptop takes the entries in (they are validly signed continuations of the phone's logs).
    wait_until("the laptop holds the phone's entries", || async {
        testing::head(&laptop.client, &home, &phone_id).unwrap().0 == home_head
            && testing::head(&laptop.client, &buddy, &phone_id).unwrap().0 == buddy_head
    })
    .await;
    drop(conn);

    // Amy unlinks the phone from her laptop.
    laptop
        .client
        .revoke_device(&phone_id)
        .await
        .expect("Amy can unlink her stolen phone");
    for (who, device) in [("laptop", &laptop), ("Betty", &betty)] {
        wait_until(
            &format!("{who} cuts the phone's buddy log where it was"),
            || async {
                testing::member(&device.client, &buddy, &phone_id)
                    .is_some_and(|(_, cut)| cut.is_some_and(|c| c <= buddy_head))
            },
        )
        .await;
    }
    let (_, keys) = testing::buddy_key_ids(&laptop.client).unwrap();
    assert!(keys.len() >= 2, "the buddy space rotated its key");
    let cut = testing::member(&laptop.client, &home, &phone_id).and_then(|(_, c)| c);
    assert!(
        cut.is_some_and(|c| c <= home_head),
        "home cuts the phone at its head, not {cut:?}"
    );
}
