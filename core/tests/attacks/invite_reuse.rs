//! Item 6: invite reuse. The same joiner redeems one buddy code again (its first answer may have been
//! lost, or it is trying its luck): it must get the same buddy space back, not a second one.

use crate::rogue::Rogue;
use clearchat_core::testing;
use clearchat_core::testing::{
    entries::{invite_id, redeem_proof},
    wire::Frame,
};
use clearchat_core::{Buddy, Event, InviteCode, Redeemed};
use clearchat_testkit::{link_new_device, wait_lists, wait_until, Device};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_joiner_redeeming_again_gets_the_same_space() {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let betty = Device::new("Betty phone", "Betty").await;
    let invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    let Redeemed::Buddy { buddy_id, .. } = betty.client.redeem(&invite.code).await.unwrap() else {
        panic!("a buddy code")
    };
    betty.client.stop().await.unwrap();
    let rogue = Rogue::steal(&betty.client);
    let code = InviteCode::parse(&invite.code).unwrap();
    for _ in 0..2 {
        let mut conn = rogue.connect(&laptop.client).await;
        let proof = redeem_proof(&code.secret, &conn.exporter);
        conn.send(&Frame::Redeem {
            invite_id: invite_id(&code.secret),
            proof,
            device_name: "Betty phone".into(),
            person: rogue.person,
            person_name: "Betty".into(),
        })
        .await;
        match conn.recv().await {
            Ok(Frame::Welcome(welcome)) => assert_eq!(
                welcome.key.space_id(),
                buddy_id.space(),
                "a second redemption made a second buddy space"
            ),
            Ok(Frame::Refused { .. }) => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let buddy_spaces = clearchat_core::testing::spaces(&laptop.client)
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == clearchat_core::testing::entries::SpaceKind::Buddy)
        .count();
    assert_eq!(buddy_spaces, 1, "the laptop holds one buddy space");
}

/// One buddy code redeemed by two different joiners, at two devices of the inviter that had not synced
/// yet: when those devices sync, both learn of both joiners and show it to Amy (an event, and each of the
/// two buddies naming the other in the buddy list); removing one of them clears the other's mark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_use_across_devices_is_detected_when_they_sync() {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let phone = link_new_device(&laptop, "Amy phone").await;
    let mut events = [laptop.client.subscribe(), phone.client.subscribe()];
    let invite = laptop.client.create_buddy_invite("Betty").await.unwrap();
    let code = InviteCode::parse(&invite.code).unwrap();
    wait_until("the phone holds the invite", || async {
        testing::holds_invite(&phone.client, &code)
    })
    .await;
    phone.client.stop().await.unwrap();
    let betty = Device::new("Betty phone", "Betty").await;
    let Redeemed::Buddy {
        buddy_id: with_betty,
        ..
    } = betty.client.redeem(&invite.code).await.unwrap()
    else {
        panic!("a buddy code")
    };
    // (Each inviter lists its joiner, so it has the joiner's hello, before it goes.)
    wait_lists(&laptop, "Betty", false).await;
    laptop.client.stop().await.unwrap();
    phone.client.start().await.unwrap();
    let carol = Device::new("Carol phone", "Carol").await;
    // The same code as Carol got it, pointing at the phone (any device of Amy's serves it).
    let mut at_phone = code.clone();
    at_phone.inviter = phone.client.me().unwrap().device_id.0;
    at_phone.addrs = phone.client.listen_addrs();
    at_phone.others = Vec::new();
    let Redeemed::Buddy {
        buddy_id: with_carol,
        ..
    } = carol
        .client
        .redeem(&at_phone.to_text())
        .await
        .expect("the phone serves the code it has not seen used")
    else {
        panic!("a buddy code")
    };
    wait_lists(&phone, "Carol", false).await;
    laptop.client.start().await.unwrap();
    let (betty_id, carol_id) = (
        betty.client.me().unwrap().device_id,
        carol.client.me().unwrap().device_id,
    );
    for (who, device) in [("laptop", &laptop), ("phone", &phone)] {
        wait_until(&format!("the {who} knows both joiners"), || async {
            let mut joiners = testing::invite_joiners(&device.client, &code);
            joiners.sort();
            let mut both = vec![betty_id, carol_id];
            both.sort();
            joiners == both
        })
        .await;
    }
    // Shown to Amy on both devices: an event naming both buddies, and each buddy naming the other.
    let mut both = [with_betty, with_carol];
    both.sort();
    for ((who, device), events) in [("laptop", &laptop), ("phone", &phone)]
        .into_iter()
        .zip(events.iter_mut())
    {
        wait_until(
            &format!("the {who} lists each buddy as sharing a code"),
            || async {
                let marks = |list: Vec<Buddy>| {
                    let mark = |id| list.iter().find(|b| b.id == id).map(|b| b.shares_code_with);
                    mark(with_betty) == Some(Some(with_carol))
                        && mark(with_carol) == Some(Some(with_betty))
                };
                marks(device.client.buddies().await.unwrap())
                    && marks(device.client.buddy_list().items().await.unwrap())
            },
        )
        .await;
        let mut told = None;
        while let Some(event) = events.try_next() {
            if let Event::InviteUsedTwice { buddies } = event {
                let mut buddies = buddies;
                buddies.sort();
                told = Some(buddies);
            }
        }
        assert_eq!(told, Some(both), "the {who} told Amy of the double use");
    }
    // Amy removes the one she did not invite: Betty's mark goes, on both devices.
    laptop.client.remove_buddy(&with_carol).await.unwrap();
    for (who, device) in [("laptop", &laptop), ("phone", &phone)] {
        wait_until(&format!("the {who} no longer marks Betty"), || async {
            let unmarked = |list: Vec<Buddy>| {
                list.iter()
                    .any(|b| b.id == with_betty && b.shares_code_with.is_none())
            };
            unmarked(device.client.buddies().await.unwrap())
                && unmarked(device.client.buddy_list().items().await.unwrap())
        })
        .await;
    }
}
