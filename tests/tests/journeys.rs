//! Longer journeys over real QUIC and SQLite: store-and-forward, restarts, removal.

use clearchat_core::{testing, BuddyId};
use clearchat_scenarios::{add_buddy, amy_and_betty, link_new_device, wait_until, Device};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_gets_messages_through_the_laptop_while_betty_sleeps() {
    let (laptop, phone, betty) = amy_and_betty().await;
    phone.client.stop().await.unwrap();
    for i in 0..100 {
        betty.send("Amy", &format!("note {i}")).await.unwrap();
    }
    wait_until("the laptop holds Betty's 100 notes", || async {
        laptop.texts("Betty").await.len() == 100
    })
    .await;
    betty.client.stop().await.unwrap();
    assert!(phone.texts("Betty").await.is_empty());
    phone.client.start().await.unwrap();
    wait_until("the phone gets all 100 from the laptop", || async {
        phone.texts("Betty").await.len() == 100
    })
    .await;
    let texts = phone.texts("Betty").await;
    assert_eq!(
        texts,
        (0..100).map(|i| format!("note {i}")).collect::<Vec<_>>()
    );
    // Betty's messages reached Amy: on Betty's side they are delivered once Betty is back.
    assert!(!betty
        .client
        .devices()
        .await
        .unwrap()
        .iter()
        .any(|d| d.online && !d.me));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_a_restart_and_sync_resumes() {
    let (laptop, phone, betty) = amy_and_betty().await;
    laptop.send("Betty", "before restart").await.unwrap();
    wait_until("Betty has it", || async {
        betty.texts("Amy").await.len() == 1
    })
    .await;
    let before = (
        laptop.messages("Betty").await,
        phone.client.devices().await.unwrap(),
        betty.client.buddies().await.unwrap(),
    );

    let laptop = laptop.reopen().await;
    let phone = phone.reopen().await;
    let betty = betty.reopen().await;
    assert_eq!(laptop.texts("Betty").await, vec!["before restart"]);
    assert_eq!(phone.client.devices().await.unwrap().len(), before.1.len());
    assert_eq!(
        betty
            .client
            .buddies()
            .await
            .unwrap()
            .iter()
            .map(|b| &b.name)
            .collect::<Vec<_>>(),
        vec!["Amy"]
    );
    assert_eq!(laptop.messages("Betty").await.len(), before.0.len());
    assert_eq!(before.2.len(), 1);

    for d in [&laptop, &phone, &betty] {
        d.client.start().await.unwrap();
    }
    betty.send("Amy", "after restart").await.unwrap();
    phone.send("Betty", "phone after restart").await.unwrap();
    for (device, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        wait_until(&format!("{} has 3 messages", device.name), || async {
            device.texts(buddy).await.len() == 3
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_buddy_stops_that_space_on_both_sides() {
    let (laptop, phone, betty) = amy_and_betty().await;
    laptop.send("Betty", "last words").await.unwrap();
    wait_until("Betty has it", || async {
        betty.texts("Amy").await.len() == 1
    })
    .await;
    let mut events = betty.client.subscribe();
    let (amy_at_betty, betty_at_phone) =
        (betty.buddy_id("Amy").await, phone.buddy_id("Betty").await);
    laptop
        .client
        .remove_buddy(&laptop.buddy_id("Betty").await)
        .await
        .unwrap();
    assert!(laptop.client.buddies().await.unwrap().is_empty());
    wait_until("Betty sees Amy gone", || async {
        betty.client.buddies().await.unwrap().is_empty()
    })
    .await;
    wait_until("Amy's phone sees Betty gone", || async {
        phone.client.buddies().await.unwrap().is_empty()
    })
    .await;
    let mut saw_removed = false;
    while let Some(e) = events.try_next() {
        saw_removed |= matches!(e, clearchat_core::Event::BuddyRemoved { .. });
    }
    assert!(saw_removed, "Betty's app was told");
    assert!(matches!(
        betty.client.send(&amy_at_betty, "hello?").await,
        Err(clearchat_core::Error::UnknownBuddy(_))
    ));
    assert!(matches!(
        phone.client.send(&betty_at_phone, "hello?").await,
        Err(clearchat_core::Error::UnknownBuddy(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlinked_phone_receives_nothing_new() {
    let (laptop, phone, betty) = amy_and_betty().await;
    betty.send("Amy", "before").await.unwrap();
    wait_until("the phone has the first message", || async {
        phone.texts("Betty").await.len() == 1
    })
    .await;
    let phone_id = phone.client.me().unwrap().device_id;
    laptop.client.revoke_device(&phone_id).await.unwrap();
    wait_until("Betty learns the phone was removed", || async {
        testing::lists_as_removed(&betty.client, &phone_id)
    })
    .await;
    wait_until("the laptop lists the phone as revoked", || async {
        laptop
            .client
            .devices()
            .await
            .unwrap()
            .iter()
            .any(|d| d.id == phone_id && d.revoked)
    })
    .await;
    betty.send("Amy", "after").await.unwrap();
    laptop
        .send("Betty", "after, from the laptop")
        .await
        .unwrap();
    wait_until("the laptop has both new messages", || async {
        laptop.texts("Betty").await.len() == 3
    })
    .await;
    // The phone may keep trying; once nobody talks to it any more, it must hold nothing new.
    wait_until("the phone is cut off from everyone", || async {
        phone
            .client
            .buddies()
            .await
            .unwrap()
            .iter()
            .all(|b| !b.online)
            && phone
                .client
                .devices()
                .await
                .unwrap()
                .iter()
                .all(|d| d.me || !d.online)
    })
    .await;
    assert_eq!(phone.texts("Betty").await, vec!["before"]);

    // The space key was rotated: what Betty wrote after the removal is sealed with a key the phone lacks.
    let keys_of = |d: &Device| testing::buddy_key_ids(&d.client).unwrap();
    let (space, phone_keys) = keys_of(&phone);
    let (_, betty_keys) = keys_of(&betty);
    assert_eq!(
        betty_keys.len(),
        phone_keys.len() + 1,
        "Betty holds one new key"
    );
    let betty_id = betty.client.me().unwrap().device_id;
    let last_key_id = testing::newest_entry_key_id(&betty.client, &space, &betty_id).unwrap();
    assert!(
        !phone_keys.contains(&last_key_id),
        "the phone cannot open Betty's new entries"
    );

    // A tablet linked later receives the new key and reads everything.
    let tablet = link_new_device(&laptop, "Amy tablet").await;
    wait_until("the tablet reads all three messages", || async {
        tablet.texts("Betty").await.len() == 3
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_states_read_markers_unread_counts_and_events() {
    use clearchat_core::{Event, MessageState};
    let (laptop, phone, betty) = amy_and_betty().await;
    let mut betty_events = betty.client.subscribe();
    let dropped = betty.client.subscribe();
    drop(dropped);

    // Pending while nobody is reachable, then delivered when Betty comes back.
    betty.client.stop().await.unwrap();
    phone.client.stop().await.unwrap();
    let sent = laptop.send("Betty", "are you there?").await.unwrap();
    assert_eq!(sent.state, MessageState::Pending);
    assert!(sent.from_me);
    betty.client.start().await.unwrap();
    wait_until("the laptop sees it delivered", || async {
        laptop
            .messages("Betty")
            .await
            .last()
            .is_some_and(|m| m.state == MessageState::Delivered)
    })
    .await;
    let buddy = betty.client.buddies().await.unwrap().remove(0);
    assert_eq!(
        (buddy.unread, buddy.last_message.map(|m| m.text)),
        (1, Some("are you there?".into()))
    );

    // Betty reads it: the laptop shows it read, and Betty's unread count drops.
    let amy = betty.buddy_id("Amy").await;
    betty.client.mark_read(&amy, None).await.unwrap();
    assert_eq!(betty.client.buddies().await.unwrap()[0].unread, 0);
    wait_until("the laptop sees it read", || async {
        laptop
            .messages("Betty")
            .await
            .last()
            .is_some_and(|m| m.state == MessageState::Read)
    })
    .await;
    // The phone, started again, catches up with the message and its read state.
    phone.client.start().await.unwrap();
    wait_until("the phone sees it read too", || async {
        phone
            .messages("Betty")
            .await
            .last()
            .is_some_and(|m| m.state == MessageState::Read && m.from_me)
    })
    .await;

    // Betty's subscription saw the message arrive; events come in order.
    let mut saw = Vec::new();
    while let Some(e) = betty_events.try_next() {
        if let Event::MessageAdded { message, .. } = e {
            saw.push(message.text);
        }
    }
    assert_eq!(saw, vec!["are you there?"]);
    // Paging: older pages before a message id.
    for i in 0..30 {
        laptop.send("Betty", &format!("p{i}")).await.unwrap();
    }
    let betty_id = laptop.buddy_id("Betty").await;
    let page = laptop
        .client
        .conversation(&betty_id, None, 10)
        .await
        .unwrap();
    assert_eq!(page.first().map(|m| m.text.as_str()), Some("p20"));
    let older = laptop
        .client
        .conversation(&betty_id, Some(page[0].id), 100)
        .await
        .unwrap();
    assert_eq!(older.len(), 21);
    assert_eq!(older.last().map(|m| m.text.as_str()), Some("p19"));
    assert!(matches!(
        laptop
            .client
            .conversation(&BuddyId([7; 32]), None, 10)
            .await,
        Err(clearchat_core::Error::UnknownBuddy(_))
    ));
    assert!(matches!(
        laptop.send("Betty", "  ").await,
        Err(clearchat_core::Error::InvalidMessage { .. })
    ));
}

/// Betty's tablet, linked before Betty adds Amy at her phone, lists Amy: it learns the buddy space from its home
/// and opens it with Betty's phone (which introduced it) or Amy's devices.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_linked_before_its_person_adds_a_buddy_lists_the_buddy() {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let betty = Device::new("Betty phone", "Betty").await;
    betty.client.start().await.unwrap();
    let tablet = link_new_device(&betty, "Betty tablet").await;
    add_buddy(&laptop, &betty, "Betty").await;
    wait_until("Betty's tablet lists Amy", || tablet.lists("Amy", false)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_change_keeps_the_conversation_going_without_a_restart() {
    let (laptop, betty) = clearchat_scenarios::amy_and_betty_alone().await;
    let before = laptop.client.listen_addrs();
    laptop.client.network_changed(None).await.unwrap();
    assert!(laptop.client.is_started());
    assert_eq!(
        laptop.client.listen_addrs(),
        before,
        "same port, same loopback"
    );
    laptop.send("Betty", "after the change").await.unwrap();
    betty.send("Amy", "heard you").await.unwrap();
    wait_until("Betty gets the laptop's message", || async {
        betty
            .texts("Amy")
            .await
            .contains(&"after the change".to_string())
    })
    .await;
    wait_until("the laptop gets Betty's answer", || async {
        laptop
            .texts("Betty")
            .await
            .contains(&"heard you".to_string())
    })
    .await;
    // Offline, a change only keeps the gateway for the next start.
    betty.client.stop().await.unwrap();
    let gateway = "192.168.1.1".parse().unwrap();
    betty.client.network_changed(Some(gateway)).await.unwrap();
    assert!(!betty.client.is_started());
    betty.client.start().await.unwrap();
    laptop.send("Betty", "welcome back").await.unwrap();
    wait_until("Betty gets the message after her restart", || async {
        betty
            .texts("Amy")
            .await
            .contains(&"welcome back".to_string())
    })
    .await;
}
