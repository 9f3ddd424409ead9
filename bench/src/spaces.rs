//! Growth: message latency in a space of k devices (Amy's k-1 linked devices and Betty), from Betty to Amy's
//! laptop and to all of Amy's devices, against a raw quinn echo.

use crate::devices::{close_all, latencies, link, pair, DEADLINE};
use crate::limits::{monotonic, quinn_echo};
use crate::report::{median, ms, ratio, Report};
use crate::Opts;
use clearchat_core::{testing, Client};
use clearchat_testkit::poll_every;
use std::time::Duration;

pub async fn bench_space_latency(o: &Opts, rep: &mut Report, wire: usize) {
    println!("growth: message latency in a space of k devices");
    let n = o.pick(50, 200);
    let echo = median(&quinn_echo(wire.max(64), 200, 20).await);
    for k in o.pick(vec![2usize, 8], vec![2, 8, 32]) {
        let (amy, betty) = pair().await;
        let mut phones = Vec::new();
        for i in 0..k - 2 {
            phones.push(link(&amy.client, &format!("Amy device {i}")).await);
        }
        // Wait until Betty's space holds every device and every device of Amy lists Betty online.
        let ok = poll_every(DEADLINE, Duration::from_millis(20), || async {
            if testing::buddy_space_members(&betty.client) < k as u64 {
                return false;
            }
            for p in &phones {
                if !p.lists("Betty", true).await {
                    return false;
                }
            }
            true
        })
        .await;
        if !ok {
            rep.note(format!(
                "space of {k}: not all devices joined within {DEADLINE:?}"
            ));
        }
        let others: Vec<&Client> = phones.iter().map(|p| &p.client).collect();
        let window = monotonic();
        let to_amy = betty.buddy_id("Amy").await;
        let (first, all, lost) =
            latencies(&betty.client, &to_amy, &amy.client, &others, n, 5, 100).await;
        println!(
            "    space of {k}: window, CLOCK_MONOTONIC: {window:.3},{:.3}",
            monotonic()
        );
        rep.row(
            o.command("spaces"),
            &format!("growth: latency p50 in a space of {k} devices (to Amy's laptop)"),
            ms(median(&first)),
            ms(echo),
            ratio(median(&first).as_secs_f64(), echo.as_secs_f64()),
            "<= 1 ms",
        );
        if k > 2 {
            rep.row(
                o.command("spaces"),
                &format!(
                    "growth: latency p50 in a space of {k} devices (to all {} of Amy's)",
                    k - 1
                ),
                ms(median(&all)),
                ms(echo),
                ratio(median(&all).as_secs_f64(), echo.as_secs_f64()),
                "-",
            );
        }
        if lost > 0 {
            rep.note(format!(
                "space of {k}: {lost} of {n} messages got no event on the laptop within 10 s"
            ));
        }
        phones.push(amy);
        phones.push(betty);
        close_all(phones).await;
    }
}
