//! Item 4, the rest: a removed device learns nothing new about where the members of its old spaces are.
//! Amy's phone is stolen and unlinked; the thief keeps every key the phone held. LAN beacons of Amy's
//! laptop and of Betty must carry no tag the thief can recognize, and whatever the thief dials with (the
//! phone's key or a brand-new one) it must get no offer it can check. A member that merely missed the
//! rotation (it was offline) must still open the space with an up-to-date member and catch up.

use crate::rogue::{stolen_and_unlinked, Rogue};
use clearchat_core::testing::{
    self,
    entries::SpaceKey,
    wire::{Beacon, Frame, Role},
};
use clearchat_testkit::{amy_and_betty, wait_until};

/// Every key the thief holds, of every space of the stolen phone.
fn all_keys(rogue: &Rogue) -> Vec<SpaceKey> {
    rogue.spaces.iter().flat_map(|s| s.keys.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlinked_phone_recognizes_no_beacon_of_its_old_spaces() {
    let (laptop, betty, stolen) = stolen_and_unlinked().await;
    let thief_keys = all_keys(&stolen);
    let now = rogue_now_secs();
    for (who, device) in [("the laptop", &laptop), ("Betty", &betty)] {
        let keys = testing::beacon_keys(&device.client).unwrap();
        assert!(!keys.is_empty(), "{who} announces its spaces");
        let beacon = Beacon::for_spaces([9; 8], 4000, &keys, now);
        let heard = Beacon::decode(&beacon.encode()).unwrap();
        assert!(
            heard.matches(&thief_keys, now).is_empty(),
            "the unlinked phone recognizes {}/{} tag(s) in {who}'s beacon",
            heard.matches(&thief_keys, now).len(),
            keys.len()
        );
        // And a beacon made by the thief with the old keys is not taken for a member's.
        let fake = Beacon::for_spaces([8; 8], 4001, &thief_keys, now);
        assert!(
            fake.matches(&keys, now).is_empty(),
            "{who} recognizes a beacon tagged with the unlinked phone's keys"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlinked_phone_can_check_no_offer_it_receives() {
    let (laptop, betty, stolen) = stolen_and_unlinked().await;
    let thief_keys = all_keys(&stolen);
    let mut fresh = Rogue::fresh();
    fresh.spaces = stolen.spaces.clone();
    for (who, target) in [("the laptop", &laptop), ("Betty", &betty)] {
        for (how, dialer) in [("the phone's key", &stolen), ("a fresh key", &fresh)] {
            let mut conn = dialer.connect(&target.client).await;
            let answer = conn.hello(&thief_keys).await;
            let Some(Frame::Hello { offers, .. }) = answer else {
                continue; // no answer at all: nothing to check
            };
            let checkable = thief_keys
                .iter()
                .filter(|k| offers.contains(&k.offer(&conn.exporter, Role::Acceptor)))
                .count();
            assert_eq!(
                checkable, 0,
                "{who} answered the thief dialing with {how} with offers it can check"
            );
        }
    }
}

/// The other side: Betty was offline through the unlink and holds only the old key. She still opens the
/// buddy space with the laptop (whichever side dials) and receives the rotation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_one_rotation_behind_opens_the_space_and_catches_up() {
    let (laptop, phone, betty) = amy_and_betty().await;
    let phone_id = phone.client.me().unwrap().device_id;
    phone.client.stop().await.unwrap();
    betty.client.stop().await.unwrap();
    laptop.client.revoke_device(&phone_id).await.unwrap();
    let (_, laptop_keys) = testing::buddy_key_ids(&laptop.client).unwrap();
    assert!(laptop_keys.len() > 1, "the laptop rotated");
    assert!(!testing::lists_as_removed(&betty.client, &phone_id));
    betty.client.start().await.unwrap();
    wait_until("Betty gets the rotation from the laptop", || async {
        testing::lists_as_removed(&betty.client, &phone_id)
    })
    .await;
    let buddy = betty.buddy_id("Amy").await;
    let betty_id = betty.client.me().unwrap().device_id;
    betty.client.send(&buddy, "after the unlink").await.unwrap();
    assert_eq!(
        testing::newest_entry_key_id(&betty.client, &buddy, &betty_id).unwrap(),
        *laptop_keys.last().unwrap(),
        "Betty seals under the rotated key"
    );
    wait_until("the laptop shows Betty's message", || async {
        laptop
            .texts("Betty")
            .await
            .contains(&"after the unlink".to_string())
    })
    .await;
}

fn rogue_now_secs() -> u64 {
    crate::rogue::now_ms() / 1000
}
