//! Catch-up: a newly linked device receiving N messages that its laptop holds, against batched SQLite
//! inserts of the same rows. Also where the memory measure gets its client holding N messages.

use crate::devices::{close_all, pair, text_of_size};
use crate::limits::{monotonic, process_cpu, sqlite_batched};
use crate::memory;
use crate::report::{median, ms, ratio, Report};
use crate::Opts;
use clearchat_core::testing;
use clearchat_testkit::{poll_every, Device};
use std::time::{Duration, Instant};

/// Writes `n` real, signed messages of Betty (stopped) into Amy's store, as if Betty had sent them while
/// both were online. Returns how long it took.
pub async fn seed(amy: &Device, betty: &Device, n: usize) -> Duration {
    let to_betty = amy.buddy_id("Betty").await;
    let t0 = Instant::now();
    tokio::task::block_in_place(|| {
        testing::seed_entries_from(&amy.client, &to_betty, &betty.client, n, |i| {
            text_of_size(i, 60)
        })
    })
    .expect("seeding");
    t0.elapsed()
}

/// Catch-up of `n` messages to a newly linked phone. Returns (time to all n, sqlite limit, seeding time, kept
/// phone dir for the memory measure if asked).
pub async fn catch_up(
    n: usize,
    keep: bool,
) -> (
    Option<Duration>,
    Duration,
    Duration,
    u64,
    Option<(Device, Device)>,
) {
    let (amy, betty) = pair().await;
    betty.client.stop().await.unwrap();
    let seed = seed(&amy, &betty, n).await;
    let size = testing::average_entry_bytes(&amy.client);
    let phone = Device::new("Amy phone", "Amy").await;
    let code = amy.client.create_link_invite().await.unwrap().code;
    let deadline = Duration::from_secs(60).max(Duration::from_millis(n as u64 * 2));
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    phone.client.redeem(&code).await.expect("redeem link");
    // Entries travel in log order, so the newest message arrives last.
    let newest = testing::newest_message(&amy.client).expect("a message");
    let ok = poll_every(deadline, Duration::from_millis(2), || async {
        testing::holds_message(&phone.client, &newest)
    })
    .await;
    let took = t0.elapsed();
    let cpu = process_cpu() - cpu0;
    let got = testing::message_count(&phone.client);
    let ok = ok && got >= n as u64;
    // For profilers (`perf record -k CLOCK_MONOTONIC`, then `perf report --time START,END`).
    println!(
        "    catch-up window, CLOCK_MONOTONIC: {:.3},{:.3}",
        monotonic() - took.as_secs_f64(),
        monotonic()
    );
    let limit = tokio::task::block_in_place(|| sqlite_batched(n, size));
    println!(
        "    catch-up {n}: {} ({got} held, {:.2} s of CPU for both ends), sqlite {} for {size} B rows, seeding {}",
        ms(took),
        cpu,
        ms(limit),
        ms(seed)
    );
    betty.close().await;
    if keep {
        phone.client.stop().await.unwrap();
        return (ok.then_some(took), limit, seed, got, Some((phone, amy)));
    }
    close_all(vec![phone, amy]).await;
    (ok.then_some(took), limit, seed, got, None)
}

pub async fn bench_catchup(o: &Opts, rep: &mut Report) {
    println!("catch-up: newly linked device receiving N messages, against batched SQLite inserts");
    let sizes: Vec<usize> = if o.quick {
        vec![1_000, 2_000, 10_000]
    } else {
        vec![1_000, 10_000, 100_000, 1_000_000]
    };
    let main_n = o.pick(2_000, 100_000);
    let mem_n = o.pick(10_000, 100_000);
    let growth = o.wants("growth");
    for n in sizes {
        let is_main = n == main_n && o.wants("catchup");
        let is_growth = growth && n != 2_000;
        let is_mem = n == mem_n && o.wants("memory");
        if !(is_main || is_growth || is_mem) {
            continue;
        }
        // The budget's own measure is repeated (each time freshly seeded) and its median taken.
        let reps = if is_main { o.pick(1, 3) } else { 1 };
        let mut runs = Vec::new();
        for rep in 0..reps {
            runs.push(catch_up(n, is_mem && rep + 1 == reps).await);
        }
        let got = runs.iter().map(|r| r.3).min().unwrap_or(0);
        let took = runs
            .iter()
            .map(|r| r.0)
            .collect::<Option<Vec<Duration>>>()
            .map(|t| median(&t));
        let limit = median(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
        let seed = runs.last().map(|r| r.2).unwrap_or_default();
        let kept = runs.pop().and_then(|r| r.4);
        let (ours, r) = match took {
            Some(t) => (ms(t), ratio(t.as_secs_f64(), limit.as_secs_f64())),
            None => (format!("timeout ({got}/{n} held)"), "-".into()),
        };
        let limit_s = format!(
            "{} ({:.0}k rows/s)",
            ms(limit),
            n as f64 / limit.as_secs_f64() / 1e3
        );
        let rate = took
            .map(|t| format!(", {:.1}k msgs/s", n as f64 / t.as_secs_f64() / 1e3))
            .unwrap_or_default();
        if is_main {
            rep.row(
                o.command("catchup"),
                &format!("catch-up of {n} msgs to a new linked device, median of {reps}"),
                format!("{ours}{rate}"),
                limit_s.clone(),
                r.clone(),
                if n == 100_000 {
                    "<= 1 s"
                } else {
                    "<= 1 s per 100k"
                },
            );
        }
        if is_growth && !is_main {
            rep.row(
                o.command("growth"),
                &format!("growth: catch-up of {n} msgs"),
                format!("{ours}{rate}"),
                limit_s,
                r,
                "linear",
            );
        }
        let _ = seed;
        if let Some((phone, amy)) = kept {
            memory::bench_memory(o, rep, &phone, n).await;
            close_all(vec![phone, amy]).await;
        }
    }
    rep.note("catch-up seeding: real signed Betty->Amy message entries written into Amy's laptop store with \
              clearchat_core::testing::seed_entries_from, Betty's key, one transaction, Betty offline; then a new \
              phone redeems a link code and is timed from redeem() until it holds the newest message (a primary-key \
              lookup polled every 2 ms; entries travel in log order), then all N are counted. Both ends run in this \
              process on the same cores. The limit inserts N rows of the average entry size into an entries-shaped \
              table, 500 per transaction.".into());
}
