//! Idle: wake-ups (context switches of all threads) per minute of a child process holding a client that is
//! started with a buddy connected, started alone, or started then stopped, against a bare child.

use crate::children::idle_child;
use crate::devices::pair;
use crate::report::Report;
use crate::Opts;
use clearchat_testkit::Device;
use std::time::Duration;

pub async fn bench_idle(o: &Opts, rep: &mut Report) {
    println!("idle: wake-ups (context switches of all threads) per minute, child processes");
    let window = Duration::from_secs(o.pick(2, 10));
    // Full mode settles past tokio's 10 s keep-alive of idle blocking-pool threads, whose exit is start-up cost.
    let settle = Duration::from_secs(o.pick(1, 11));
    let (amy, betty) = pair().await;
    amy.send("Betty", "hello").await.unwrap();
    amy.client.stop().await.unwrap();
    let Device { client, dir, .. } = amy;
    drop(client);
    let path = dir.path().to_str().unwrap().to_string();
    let alone = tempfile::Builder::new()
        .prefix("clearchat-bench-")
        .tempdir()
        .unwrap();
    let alone_path = alone.path().to_str().unwrap().to_string();
    let (base, bt) = idle_child("-", "none", settle, window).await;
    let (conn, ct) = idle_child(&path, "started", settle, window).await;
    let (solo, st) = idle_child(&alone_path, "started", settle, window).await;
    let (stopped, pt) = idle_child(&path, "stopped", settle, window).await;
    let w = |x: f64| format!("{:.0}/min (raw {x:.0})", (x - base).max(0.0));
    let lim = format!("{base:.0}/min (bare process, {bt} thread)");
    rep.row(
        o.command("idle"),
        &format!("idle: started, 1 buddy device connected ({ct} threads)"),
        w(conn),
        lim.clone(),
        "-".into(),
        "keep-alive only (6/min per conn)",
    );
    rep.row(
        o.command("idle"),
        &format!("idle: started, no peers ({st} threads)"),
        w(solo),
        lim.clone(),
        "-".into(),
        "0",
    );
    rep.row(
        o.command("idle"),
        &format!("idle: started then stopped ({pt} threads)"),
        w(stopped),
        lim,
        "-".into(),
        "0",
    );
    rep.note(format!("idle: voluntary+involuntary context switches of a child process, all threads including exited ones \
                      (getrusage RUSAGE_SELF, sampled by the child on request), over {window:?} after {settle:?} settling, minus a bare child \
                      sampled the same way; a context switch counts each time a thread sleeps or \
                      is preempted, so this is an upper bound on wake-ups. Betty stays started in the bench process."));
    betty.close().await;
    drop(dir);
    drop(alone);
}
