//! Paging: a conversation page of 50, newest and deep in the history, from N stored messages.

use crate::devices::{pair, text_of_size};
use crate::report::{median, ms, Report};
use crate::Opts;
use clearchat_core::testing;
use std::time::Instant;

pub async fn bench_paging(o: &Opts, rep: &mut Report) {
    let n = o.pick(100_000, 1_000_000);
    println!("paging: newest 50 of {n} stored messages");
    let (amy, betty) = pair().await;
    amy.client.stop().await.unwrap();
    betty.close().await;
    let to_betty = amy.buddy_id("Betty").await;
    let t0 = Instant::now();
    tokio::task::block_in_place(|| {
        testing::seed_message_rows(&amy.client, &to_betty, n, |i| text_of_size(i, 60))
    })
    .expect("seeding");
    let seeding = t0.elapsed();
    let mut v = Vec::new();
    for _ in 0..o.pick(30, 100) {
        let t = Instant::now();
        let page = amy.client.conversation(&to_betty, None, 50).await.unwrap();
        v.push(t.elapsed());
        assert_eq!(page.len(), 50);
    }
    // And a page deep in the history, as when scrolling back.
    let before = testing::message_at(&amy.client, &to_betty, n as u64 / 2).expect("a message");
    let mut deep = Vec::new();
    for _ in 0..o.pick(30, 100) {
        let t = Instant::now();
        let page = amy
            .client
            .conversation(&to_betty, Some(before), 50)
            .await
            .unwrap();
        deep.push(t.elapsed());
        assert_eq!(page.len(), 50);
    }
    rep.row(
        o.command("paging"),
        &format!("paging: newest 50 of {n} stored, conversation() median"),
        ms(median(&v)),
        "-".into(),
        "-".into(),
        "<= 2 ms",
    );
    rep.row(
        o.command("paging"),
        "paging: 50 before a message in the middle",
        ms(median(&deep)),
        "-".into(),
        "-".into(),
        "<= 2 ms",
    );
    rep.note(format!("paging: seeded {n} rows straight into the messages table with clearchat_core::testing::seed_message_rows \
                      (no log entries; members are the real ones of an Amy/Betty buddy space), in {}; timed through \
                      Client::conversation on a stopped client.", ms(seeding)));
    amy.close().await;
}
