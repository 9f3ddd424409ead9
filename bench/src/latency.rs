//! Message latency: send() on one device to the MessageAdded event on its buddy's, over loopback QUIC,
//! against a raw quinn echo of an entry-sized message on a long-lived stream.

use crate::devices::{close_all, latencies, pair};
use crate::limits::quinn_echo;
use crate::report::{median, ms, pct, ratio, Report};
use crate::Opts;
use clearchat_core::testing;

pub async fn bench_latency(o: &Opts, rep: &mut Report) -> usize {
    println!("latency: send() on A to MessageAdded on B, loopback QUIC");
    let n = o.pick(200, 2000);
    let (amy, betty) = pair().await;
    let to_betty = amy.buddy_id("Betty").await;
    let (v, _, lost) = latencies(&amy.client, &to_betty, &betty.client, &[], n, 20, 100).await;
    let wire = testing::average_entry_bytes(&betty.client);
    // The same with the screens open on both ends: the buddy list and the conversation window subscribed, their
    // batches drained as a shell would apply them.
    let to_amy = betty.buddy_id("Amy").await;
    let mut open = Vec::new();
    for (device, buddy) in [(&amy, to_betty), (&betty, to_amy)] {
        let buddies = device.client.buddy_list();
        let window = device.client.timeline(&buddy, 50).expect("a window");
        let (_, mut b) = buddies.subscribe().await.expect("subscribed");
        let (_, mut w) = window.subscribe().await.expect("subscribed");
        open.push(tokio::spawn(async move {
            let _keep = (buddies, window);
            loop {
                tokio::select! {
                    batch = b.next() => if batch.is_none() { break },
                    batch = w.next() => if batch.is_none() { break },
                }
            }
        }));
    }
    let (with_lists, _, _) =
        latencies(&amy.client, &to_betty, &betty.client, &[], n, 20, 100).await;
    open.iter().for_each(|t| t.abort());
    close_all(vec![amy, betty]).await;
    let echo = quinn_echo(wire, n, 20).await;
    let (p50, p99, e50, e99) = (median(&v), pct(&v, 0.99), median(&echo), pct(&echo, 0.99));
    rep.row(
        o.command("latency"),
        &format!("message latency p50 ({n} msgs, 100 B text)"),
        ms(p50),
        format!("{} (quinn echo {wire} B)", ms(e50)),
        ratio(p50.as_secs_f64(), e50.as_secs_f64()),
        "<= 1 ms",
    );
    rep.row(
        o.command("latency"),
        "message latency p99",
        ms(p99),
        ms(e99),
        ratio(p99.as_secs_f64(), e99.as_secs_f64()),
        "<= 5 ms",
    );
    let p50_lists = median(&with_lists);
    rep.row(
        o.command("latency"),
        "message latency p50, screens open (buddy list + window on both ends)",
        ms(p50_lists),
        format!("{} (the same without)", ms(p50)),
        ratio(p50_lists.as_secs_f64(), p50.as_secs_f64()),
        "-",
    );
    if lost > 0 {
        rep.note(format!(
            "latency: {lost} of {n} messages got no event within 10 s"
        ));
    }
    wire
}
