//! Child processes for the measures that need a process of their own (idle wake-ups, memory): spawning
//! this binary with `--child MODE`, talking to it over stdin/stdout, and what the child does.

use clearchat_core::{testing, Client, Config};
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Context switches of this whole process so far, exited threads included (getrusage), and its thread count.
fn own_ctx_switches() -> (u64, usize) {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let threads = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0);
    ((ru.ru_nvcsw + ru.ru_nivcsw) as u64, threads)
}

pub struct Child(
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
);

impl Child {
    /// Asks an idle child for its context switch count and thread count.
    pub fn sample(&mut self) -> (u64, usize) {
        let stdin = self.0.stdin.as_mut().unwrap();
        writeln!(stdin, "sample").unwrap();
        stdin.flush().unwrap();
        let l = self.line();
        let mut it = l.split_whitespace().map(|x| x.parse::<u64>().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0) as usize)
    }
}

impl Child {
    pub fn spawn(args: &[&str]) -> Child {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("--child")
            .args(args)
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn child");
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        Child(child, out)
    }
    pub fn line(&mut self) -> String {
        let mut s = String::new();
        self.1.read_line(&mut s).unwrap();
        s.trim().to_string()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wake-ups per minute of a child in `mode` over `window`, after `settle`.
pub async fn idle_child(dir: &str, mode: &str, settle: Duration, window: Duration) -> (f64, usize) {
    let mut child = Child::spawn(&["idle", dir, mode]);
    let ready = tokio::task::block_in_place(|| child.line());
    assert_eq!(ready, "ready", "idle child did not start");
    tokio::time::sleep(settle).await;
    let (a, _) = tokio::task::block_in_place(|| child.sample());
    tokio::time::sleep(window).await;
    let (b, threads) = tokio::task::block_in_place(|| child.sample());
    (
        b.saturating_sub(a) as f64 * 60.0 / window.as_secs_f64(),
        threads,
    )
}

fn vm_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

pub fn child_main(args: &[String]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.first().map(String::as_str) {
        Some("idle") => {
            let (dir, mode) = (&args[1], &args[2]);
            let client = (mode != "none").then(|| {
                let c = Client::open_with(dir, "idle", Config::loopback()).expect("open");
                rt.block_on(async {
                    c.start().await.expect("start");
                    if mode == "stopped" {
                        c.stop().await.expect("stop");
                    } else if !c.buddies().await.unwrap_or_default().is_empty() {
                        // Wait until connected to the buddy, so the window sees a connected client.
                        let t = Instant::now();
                        while t.elapsed() < Duration::from_secs(10)
                            && !c
                                .buddies()
                                .await
                                .unwrap_or_default()
                                .iter()
                                .any(|b| b.online)
                        {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                });
                c
            });
            println!("ready");
            std::io::stdout().flush().unwrap();
            // Sleep in a blocking read; each "sample" line answers with the counts (the same cost in every mode).
            for line in std::io::stdin().lock().lines() {
                if line.is_err() {
                    break;
                }
                let (n, threads) = own_ctx_switches();
                println!("{n} {threads}");
                std::io::stdout().flush().unwrap();
            }
            drop(client);
        }
        Some("rss") => {
            let dir = &args[1];
            let before = vm_kb("VmRSS:");
            let client = Client::open_with(dir, "rss", Config::loopback()).expect("open");
            let n = testing::message_count(&client);
            rt.block_on(async {
                client.start().await.expect("start");
                let buddies = client.buddies().await.expect("buddies");
                let betty = buddies.iter().find(|b| b.name == "Betty").expect("Betty");
                let page = client
                    .conversation(&betty.id, None, 50)
                    .await
                    .expect("page");
                assert_eq!(page.len(), 50);
                tokio::time::sleep(Duration::from_millis(500)).await;
            });
            println!("{before} {} {} {n}", vm_kb("VmRSS:"), vm_kb("VmHWM:"));
            std::io::stdout().flush().unwrap();
            rt.block_on(async { client.stop().await.ok() });
        }
        _ => panic!("unknown child mode"),
    }
}
