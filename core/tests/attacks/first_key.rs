//! Item 4: the first key is a permanent capability. A thief who unlinked nothing but holds the space keys of
//! Amy's stolen (and since unlinked) phone dials Betty with a brand-new device key: proving the key must
//! not be enough to open the space; only a current member device (or one that shows the signed entry that
//! made it a member) may open it.

use crate::rogue::{stolen_and_unlinked, Rogue};
use clearchat_core::testing;
use clearchat_testkit::{amy_and_betty_alone, link_new_device, wait_lists, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_key_with_an_old_space_key_opens_nothing() {
    let (laptop, betty, stolen) = stolen_and_unlinked().await;

    let mut thief = Rogue::fresh();
    thief.spaces = stolen.spaces.clone();
    for (who, target) in [("Betty", &betty), ("the laptop", &laptop)] {
        let mut conn = thief.connect(&target.client).await;
        let answer = conn.hello_all(&thief).await;
        let opened = answer
            .as_ref()
            .map(|a| conn.opened(a, &thief))
            .unwrap_or_default();
        assert!(
            opened.is_empty(),
            "{who} opened {} space(s) with a device key she never heard of",
            opened.len()
        );
    }
    // And the unlinked phone itself is refused everywhere.
    for target in [&betty, &laptop] {
        let mut conn = stolen.connect(&target.client).await;
        let answer = conn.hello_all(&stolen).await;
        assert!(answer.is_none_or(|a| conn.opened(&a, &stolen).is_empty()));
    }
}

/// The other side of the rule: a phone linked a moment ago, that Betty has not heard of, shows her the
/// signed entry that made it a member, and they sync while the laptop that linked it is offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_phone_syncs_with_betty_while_the_laptop_is_away() {
    let (laptop, betty) = amy_and_betty_alone().await;
    betty.client.stop().await.unwrap();
    let phone = link_new_device(&laptop, "Amy phone").await;
    let phone_id = phone.client.me().unwrap().device_id;
    wait_lists(&phone, "Betty", false).await;
    let buddy = phone.buddy_id("Betty").await;
    wait_until(
        "the phone holds the laptop's MemberAdded of itself",
        || async { testing::member(&phone.client, &buddy.space(), &phone_id).is_some() },
    )
    .await;
    laptop.client.stop().await.unwrap();
    betty.client.start().await.unwrap();
    assert!(testing::member(&betty.client, &buddy.space(), &phone_id).is_none());
    phone
        .send("Betty", "hello from the new phone")
        .await
        .unwrap();
    wait_until("Betty gets the new phone's message", || async {
        betty
            .texts("Amy")
            .await
            .contains(&"hello from the new phone".to_string())
    })
    .await;
    betty.send("Amy", "hi phone").await.unwrap();
    wait_until("the phone gets Betty's answer", || async {
        phone.texts("Betty").await.contains(&"hi phone".to_string())
    })
    .await;
}
