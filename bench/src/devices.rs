//! The devices the measures use (from the test kit), and what several measures share: pairs of buddies,
//! linked phones, texts of a given size, and timing messages from a send to the event on the other side.

use crate::report::ms;
use clearchat_core::{BuddyId, Client, Event, Subscription};
use clearchat_testkit::{add_buddy, poll_every, Device};
use std::time::{Duration, Instant};

/// How long any setup step may take before the bench gives up.
pub const DEADLINE: Duration = Duration::from_secs(120);

fn debug() -> bool {
    std::env::var_os("BENCH_DEBUG").is_some()
}

/// Stops and removes devices concurrently (a stop() can wait for its endpoint to go idle).
pub async fn close_all(devices: Vec<Device>) {
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|d| tokio::spawn(d.close()))
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

/// Amy's laptop (started) and Betty (started), buddies, each seeing the other online.
pub async fn pair() -> (Device, Device) {
    let t = Instant::now();
    let amy = Device::new("Amy laptop", "Amy").await;
    amy.client.start().await.expect("start");
    let betty = Device::new("Betty phone", "Betty").await;
    add_buddy(&amy, &betty, "Betty").await;
    let ok = poll_every(DEADLINE, Duration::from_millis(5), || async {
        amy.lists("Betty", true).await && betty.lists("Amy", true).await
    })
    .await;
    assert!(ok, "Amy and Betty did not see each other online");
    if debug() {
        println!("    [pair ready {}]", ms(t.elapsed()));
    }
    (amy, betty)
}

/// Links a new device of Amy to `laptop`; returns it started.
pub async fn link(laptop: &Client, name: &str) -> Device {
    let phone = Device::new(name, "Amy").await;
    let code = laptop.create_link_invite().await.expect("link invite").code;
    phone.client.redeem(&code).await.expect("redeem link");
    phone
}

pub fn text_of_size(i: usize, size: usize) -> String {
    let mut t = format!("{i:07} ");
    while t.len() < size {
        t.push_str("the quick brown fox jumps over the lazy dog ");
    }
    t.truncate(size);
    t
}

async fn next_message(sub: &mut Subscription, text: &str, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, sub.next()).await {
            Ok(Some(Event::MessageAdded { message, .. })) if message.text == text => return true,
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return false,
        }
    }
}

/// Sequential latencies: `from` sends to `buddy`, timed until the MessageAdded event on `first` (and on all
/// of `others` too, for the second vector). Returns (to first, to all, lost).
pub async fn latencies(
    from: &Client,
    buddy: &BuddyId,
    first: &Client,
    others: &[&Client],
    n: usize,
    warm: usize,
    size: usize,
) -> (Vec<Duration>, Vec<Duration>, usize) {
    let mut sub = first.subscribe();
    let mut subs: Vec<_> = others.iter().map(|c| c.subscribe()).collect();
    let (mut to_first, mut to_all, mut lost) = (Vec::new(), Vec::new(), 0);
    for i in 0..warm + n {
        let text = text_of_size(i, size);
        let t0 = Instant::now();
        from.send(buddy, &text).await.expect("send");
        if !next_message(&mut sub, &text, Duration::from_secs(10)).await {
            lost += 1;
            continue;
        }
        let t1 = t0.elapsed();
        let mut all_ok = true;
        for s in subs.iter_mut() {
            all_ok &= next_message(s, &text, Duration::from_secs(10)).await;
        }
        let t2 = t0.elapsed();
        if i >= warm {
            to_first.push(t1);
            if all_ok {
                to_all.push(t2);
            }
        }
    }
    (to_first, to_all, lost)
}
