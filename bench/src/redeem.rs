//! Redeeming: a link code and a buddy code, from redeem() to the first sync (the new device lists the
//! buddy), against one QUIC handshake.

use crate::devices::{close_all, pair, DEADLINE};
use crate::limits::quic_handshakes;
use crate::report::{median, ms, ratio, Report};
use crate::Opts;
use clearchat_testkit::{poll_every, Device};
use std::time::{Duration, Instant};

pub async fn bench_redeem(o: &Opts, rep: &mut Report) {
    println!("redeem: redeem() to first sync, against one QUIC handshake");
    let m = o.pick(3, 10);
    let (mut link_ret, mut link_sync, mut buddy_ret, mut buddy_sync) =
        (vec![], vec![], vec![], vec![]);
    for i in 0..m {
        // Link: a new phone of Amy, first sync = it lists Betty.
        let (amy, betty) = pair().await;
        let phone = Device::new("Amy phone", "Amy").await;
        let code = amy.client.create_link_invite().await.unwrap().code;
        let t0 = Instant::now();
        phone.client.redeem(&code).await.expect("redeem link");
        link_ret.push(t0.elapsed());
        let ok = poll_every(DEADLINE, Duration::from_millis(1), || {
            phone.lists("Betty", false)
        })
        .await;
        if ok {
            link_sync.push(t0.elapsed());
        }
        // Buddy: a new person, first sync = they list Amy.
        let carl = Device::new("Carl phone", "Carl").await;
        let code = amy
            .client
            .create_buddy_invite(&format!("Carl {i}"))
            .await
            .unwrap()
            .code;
        let t0 = Instant::now();
        carl.client.redeem(&code).await.expect("redeem buddy");
        buddy_ret.push(t0.elapsed());
        let ok = poll_every(DEADLINE, Duration::from_millis(1), || {
            carl.lists("Amy", false)
        })
        .await;
        if ok {
            buddy_sync.push(t0.elapsed());
        }
        close_all(vec![phone, carl, amy, betty]).await;
    }
    let hs = median(&quic_handshakes(o.pick(10, 30)).await);
    let r = |d: &[Duration]| ratio(median(d).as_secs_f64(), hs.as_secs_f64());
    rep.row(
        o.command("redeem"),
        &format!("link: redeem() to first sync (lists buddy), median of {m}"),
        ms(median(&link_sync)),
        format!("{} (1 QUIC handshake)", ms(hs)),
        r(&link_sync),
        "<= 300 ms",
    );
    rep.row(
        o.command("redeem"),
        "link: redeem() returns",
        ms(median(&link_ret)),
        ms(hs),
        r(&link_ret),
        "-",
    );
    rep.row(
        o.command("redeem"),
        "buddy: redeem() to first sync (lists Amy)",
        ms(median(&buddy_sync)),
        ms(hs),
        r(&buddy_sync),
        "<= 300 ms",
    );
    rep.row(
        o.command("redeem"),
        "buddy: redeem() returns",
        ms(median(&buddy_ret)),
        ms(hs),
        r(&buddy_ret),
        "-",
    );
}
