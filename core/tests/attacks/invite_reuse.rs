//! Item 6: invite reuse. The same joiner redeems one buddy code again (its first answer may have been
//! lost, or it is trying its luck): it must get the same buddy space back, not a second one.

use crate::rogue::Rogue;
use clearchat_core::testing::{
    entries::{invite_id, redeem_proof},
    wire::Frame,
};
use clearchat_core::{InviteCode, Redeemed};
use clearchat_testkit::Device;

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
