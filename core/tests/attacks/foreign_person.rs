//! Item 3: a buddy adds a device under *my* person. Betty's device introduces a device X "of Amy" into
//! their buddy space; X then speaks as Amy (its message would show as hers), moves Amy's read marker and
//! removes Amy's laptop from her own conversation. A device is introduced under a person only by a
//! device of that same person.

use crate::rogue::{now_ms, Rogue};
use clearchat_core::testing::{
    self,
    entries::{Body, MessageKey},
};
use clearchat_testkit::{amy_and_betty_alone, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buddy_cannot_add_a_device_under_my_person() {
    let (laptop, betty) = amy_and_betty_alone().await;
    let amy = laptop.client.me().unwrap();
    betty.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&betty.client);
    let space = rogue.buddy_spaces()[0];
    let mut x = Rogue::fresh();
    x.spaces = rogue.spaces.clone();

    rogue.next(
        &space,
        &Body::MemberAdded {
            device: x.device(),
            person: amy.person_id,
            name: "Amy's other laptop".into(),
        },
    );
    x.next(
        &space,
        &Body::Message {
            text: "I am Amy".into(),
            reply_to: None,
        },
    );
    let read = MessageKey {
        time: now_ms() + 60_000,
        author: x.device(),
        seq: 1,
    };
    x.next(&space, &Body::Read { up_to: read });
    x.next(
        &space,
        &Body::MemberRemoved {
            device: amy.device_id,
            last_seq: 0,
            rotation: None,
        },
    );
    let mut conn = rogue.connect(&laptop.client).await;
    conn.hello_all(&rogue).await.expect("the laptop answers");
    let mut all = rogue.log(&space);
    all.extend(x.log(&space));
    conn.entries(space, all).await;
    assert!(
        conn.acked(space, rogue.device(), rogue.head(&space).seq)
            .await
    );
    // Whatever the laptop made of X's entries, it has had the time to: it acknowledged Betty's log, and
    // X's log travelled in the same batch.
    wait_until("the laptop settles", || async {
        testing::head(&laptop.client, &space, &rogue.device())
            .unwrap()
            .0
            == rogue.head(&space).seq
    })
    .await;

    let listed = testing::member(&laptop.client, &space, &x.device());
    assert!(
        listed.is_none_or(|(person, _)| person != amy.person_id),
        "the laptop lists Betty's device X under Amy: {listed:?}"
    );
    let texts = laptop.messages("Betty").await;
    assert!(
        texts.iter().all(|m| !(m.text == "I am Amy" && m.from_me)),
        "X's message shows as Amy's own"
    );
    let me_there = testing::member(&laptop.client, &space, &amy.device_id);
    assert!(
        me_there.is_some_and(|(_, cut)| cut.is_none()),
        "X removed Amy's laptop from her own conversation: {me_there:?}"
    );
    // Amy still talks to Betty's real device.
    laptop.send("Betty", "still mine").await.unwrap();
}
