//! Item 2/5, the rest: only the device that unlinked a device writes its removal from the buddy spaces.
//! Amy's tablet was offline while her phone wrote to Betty; the laptop then unlinked the phone, cutting its
//! log where the laptop saw it. The tablet, catching up on home first, must not write a removal of its own:
//! its earlier cut would win and drop what the phone wrote before its unlink.

use crate::rogue::Rogue;
use clearchat_core::testing::{
    self,
    entries::{Body, Entry},
};
use clearchat_testkit::{amy_and_betty, link_new_device, wait_lists, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_sibling_does_not_cut_the_unlinked_phone_short() {
    let (laptop, phone, betty) = amy_and_betty().await;
    let tablet = link_new_device(&laptop, "Amy tablet").await;
    wait_lists(&tablet, "Betty", false).await;
    let (phone_id, tablet_id, laptop_id) = (
        phone.client.me().unwrap().device_id,
        tablet.client.me().unwrap().device_id,
        laptop.client.me().unwrap().device_id,
    );
    let buddy = laptop.buddy_id("Betty").await.space();
    tablet.client.stop().await.unwrap();
    phone.send("Betty", "before the unlink").await.unwrap();
    wait_until("the laptop holds the phone's message", || async {
        laptop
            .texts("Betty")
            .await
            .contains(&"before the unlink".to_string())
    })
    .await;
    phone.client.stop().await.unwrap();
    laptop.client.revoke_device(&phone_id).await.unwrap();
    wait_until(
        "the laptop removes the phone from the buddy space",
        || async {
            testing::member(&laptop.client, &buddy, &phone_id).is_some_and(|(_, cut)| cut.is_some())
        },
    )
    .await;
    let (_, laptop_cut) = testing::member(&laptop.client, &buddy, &phone_id).unwrap();
    betty.client.stop().await.unwrap();
    laptop.client.stop().await.unwrap();

    // The tablet hears the laptop's home log first (the laptop's device, taken over, speaks for it).
    let laptop_as_rogue = Rogue::steal(&laptop.client);
    let home = laptop_as_rogue.home();
    tablet.client.start().await.unwrap();
    let mut conn = laptop_as_rogue.connect(&tablet.client).await;
    conn.hello_all(&laptop_as_rogue)
        .await
        .expect("the tablet answers its sibling");
    conn.entries(home, laptop_as_rogue.log(&home)).await;
    assert!(
        conn.acked(home, laptop_id, laptop_as_rogue.head(&home).seq)
            .await
    );
    let first = laptop_as_rogue.space(&buddy).keys[0].clone();
    let own_removals = testing::log_entries(&tablet.client, &buddy, &tablet_id)
        .unwrap()
        .iter()
        .filter_map(|raw| Entry::decode(raw).ok()?.open(&first).ok())
        .filter(|body| matches!(body, Body::MemberRemoved { device, .. } if *device == phone_id))
        .count();
    assert_eq!(
        own_removals, 0,
        "the tablet wrote its own removal of the phone, with the head it had seen"
    );

    // Then the laptop's buddy log, with its removal: the tablet cuts the phone where the laptop did.
    conn.entries(buddy, laptop_as_rogue.log(&buddy)).await;
    wait_until(
        "the tablet removes the phone from the buddy space",
        || async {
            testing::member(&tablet.client, &buddy, &phone_id).is_some_and(|(_, cut)| cut.is_some())
        },
    )
    .await;
    let (_, tablet_cut) = testing::member(&tablet.client, &buddy, &phone_id).unwrap();
    assert_eq!(
        tablet_cut, laptop_cut,
        "the tablet cut the phone's log elsewhere than the laptop that unlinked it"
    );
}
