//! Memory: the RSS of a client holding N messages (opened, started, one page read), in a child process.

use crate::children::Child;
use crate::report::{ratio, Report};
use crate::Opts;
use clearchat_testkit::Device;

pub async fn bench_memory(o: &Opts, rep: &mut Report, phone: &Device, n: usize) {
    println!("memory: RSS of a client holding {n} messages (child process)");
    let dir = phone.dir.path().to_str().unwrap().to_string();
    let child = tokio::task::block_in_place(|| {
        let mut c = Child::spawn(&["rss", &dir]);
        let l = c.line();
        (c, l)
    });
    let parts: Vec<u64> = child
        .1
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    drop(child.0);
    if let [before, after, hwm, held] = parts[..] {
        rep.row(
            o.command("memory"),
            &format!("memory: RSS of a client holding {held} msgs (opened, started, 1 page)"),
            format!(
                "{:.1} MB (peak {:.1} MB)",
                after as f64 / 1024.0,
                hwm as f64 / 1024.0
            ),
            format!(
                "{:.1} MB (same process before open)",
                before as f64 / 1024.0
            ),
            ratio(after as f64, before as f64),
            "<= 30 MB",
        );
    } else {
        rep.note(format!("memory: child said {:?}", child.1));
    }
}
