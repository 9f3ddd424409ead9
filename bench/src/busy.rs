//! Paging while a catch-up is written: a conversation page of 50 read on a newly linked device while it
//! stores a catch-up of N messages (queries read from their own connections and never wait for the
//! writer), against the same page read once the device is idle.

use crate::catchup::seed;
use crate::devices::{close_all, pair, DEADLINE};
use crate::report::{median, ms, pct, ratio, Report};
use crate::Opts;
use clearchat_core::testing;
use clearchat_testkit::{poll_every, Device};
use std::time::{Duration, Instant};

/// Time between two page reads, so that reading does not take the cores from the catch-up.
const EVERY: Duration = Duration::from_millis(5);

pub async fn bench_busy(o: &Opts, rep: &mut Report) {
    let n = o.pick(20_000, 100_000);
    println!("busy: a page of 50 while a catch-up of {n} messages is written");
    let (amy, betty) = pair().await;
    betty.client.stop().await.unwrap();
    seed(&amy, &betty, n).await;
    let newest = testing::newest_message(&amy.client).expect("a message");
    let phone = Device::new("Amy phone", "Amy").await;
    let code = amy.client.create_link_invite().await.unwrap().code;
    phone.client.redeem(&code).await.expect("redeem link");
    // Betty is listed once her first entries are stored: the rest of her log is still to come.
    let listed = poll_every(DEADLINE, Duration::from_millis(1), || {
        phone.lists("Betty", false)
    })
    .await;
    assert!(listed, "the phone never listed Betty");
    let to_betty = phone.buddy_id("Betty").await;
    let mut busy = Vec::new();
    let mut held_at_first = None;
    while !testing::holds_message(&phone.client, &newest) {
        let t = Instant::now();
        let page = phone
            .client
            .conversation(&to_betty, None, 50)
            .await
            .unwrap();
        let took = t.elapsed();
        // Counted only if the catch-up was still being written when the page came back.
        if !testing::holds_message(&phone.client, &newest) {
            busy.push(took);
            held_at_first.get_or_insert(testing::message_count(&phone.client));
            assert!(!page.is_empty());
        }
        tokio::time::sleep(EVERY).await;
    }
    let mut idle = Vec::new();
    for _ in 0..o.pick(30, 100) {
        let t = Instant::now();
        let page = phone
            .client
            .conversation(&to_betty, None, 50)
            .await
            .unwrap();
        idle.push(t.elapsed());
        assert_eq!(page.len(), 50);
    }
    let (b50, i50) = (median(&busy), median(&idle));
    rep.row(
        o.command("busy"),
        &format!(
            "paging while a catch-up of {n} is written: page of 50, median of {}",
            busy.len()
        ),
        ms(b50),
        format!("{} (same page, idle)", ms(i50)),
        ratio(b50.as_secs_f64(), i50.as_secs_f64()),
        "<= 1 ms",
    );
    rep.row(
        o.command("busy"),
        "paging while a catch-up is written: p99",
        ms(pct(&busy, 0.99)),
        ms(pct(&idle, 0.99)),
        ratio(
            pct(&busy, 0.99).as_secs_f64(),
            pct(&idle, 0.99).as_secs_f64(),
        ),
        "-",
    );
    rep.note(format!(
        "busy: {n} real messages of Betty seeded on Amy's laptop; a new phone redeems a link code, and from the moment \
         it lists Betty (it held {} messages at the first page counted) until it holds the newest message, it reads \
         the newest page of 50 through Client::conversation every {} ms; a page counts if the catch-up was still \
         being written when it came back. The limit is the same page read once the phone is idle.",
        held_at_first.unwrap_or(0),
        EVERY.as_millis()
    ));
    close_all(vec![phone, amy, betty]).await;
}
