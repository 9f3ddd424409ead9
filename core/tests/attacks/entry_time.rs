//! Item 11: entry time. A buddy dates a message ten years ahead (it would sit below every later message,
//! for ever) and then writes one that goes back in time within her own log. Times increase within a log (an
//! entry that goes back is refused: honest devices write max(now, last + 1)), and what a message shows as
//! its time is bound to a skew window from the receiver's clock.

use crate::rogue::{now_ms, Rogue};
use clearchat_core::testing::{self, entries::Body};
use clearchat_testkit::{amy_and_betty_alone, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_increase_in_a_log_and_the_future_is_bounded() {
    let (laptop, betty) = amy_and_betty_alone().await;
    betty.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&betty.client);
    let space = rogue.buddy_spaces()[0];
    let key = rogue.space(&space).keys.last().unwrap().clone();
    let ten_years = now_ms() + 10 * 365 * 24 * 3600 * 1000;
    let message = |text: &str| Body::Message {
        text: text.into(),
        reply_to: None,
    };
    rogue.next_with(&space, &key, ten_years, &message("from the future"));
    let future_seq = rogue.head(&space).seq;
    rogue.next_with(&space, &key, ten_years - 1000, &message("back in time"));
    let mut conn = rogue.connect(&laptop.client).await;
    conn.hello_all(&rogue).await.expect("the laptop answers");
    conn.entries(space, rogue.log(&space)).await;
    assert!(conn.acked(space, rogue.device(), future_seq).await);
    wait_until("the laptop shows the first", || async {
        laptop
            .texts("Betty")
            .await
            .contains(&"from the future".to_string())
    })
    .await;
    let shown = laptop.messages("Betty").await;
    let future = shown.iter().find(|m| m.text == "from the future").unwrap();
    assert!(
        future.sent_at <= now_ms() + 10 * 60 * 1000,
        "a message shows a time {} ms ahead",
        future.sent_at - now_ms()
    );
    let (held, _, _) = testing::head(&laptop.client, &space, &rogue.device()).unwrap();
    assert_eq!(
        held, future_seq,
        "the entry that goes back in time was taken"
    );
    assert!(!shown.iter().any(|m| m.text == "back in time"));
}
