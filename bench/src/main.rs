//! clearchat-bench: every budget of DESIGN.md section 7, each against a limit measured in the same run.
//!
//! `cargo run --release -p clearchat-bench -- [--quick] [--only a,b] [--build-ffi] [--write docs/PERFORMANCE.md]`
//!
//! Measures, one file each: latency, redeem, catchup (with growth and memory), spaces, idle, paging, busy
//! (paging while a catch-up is written), size. No thresholds are asserted: the tool prints figures, limits
//! and ratios (`report`), and a markdown table.

mod busy;
mod catchup;
mod children;
mod devices;
mod idle;
mod latency;
mod limits;
mod memory;
mod paging;
mod redeem;
mod report;
mod size;
mod spaces;

use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone)]
pub struct Opts {
    pub quick: bool,
    pub only: Option<Vec<String>>,
    pub write: Option<PathBuf>,
    pub build_ffi: bool,
}

impl Opts {
    pub fn wants(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|x| x == name))
    }
    pub fn pick<T>(&self, quick: T, full: T) -> T {
        if self.quick {
            quick
        } else {
            full
        }
    }
    pub fn command(&self, only: &str) -> String {
        format!(
            "cargo run --release -p clearchat-bench -- {}--only {only}",
            if self.quick { "--quick " } else { "" }
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return children::child_main(&args[1..]);
    }
    let mut o = Opts {
        quick: false,
        only: None,
        write: None,
        build_ffi: false,
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--build-ffi" => o.build_ffi = true,
            "--only" => o.only = it.next().map(|s| s.split(',').map(String::from).collect()),
            "--write" => o.write = it.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("clearchat-bench [--quick] [--only latency,redeem,catchup,growth,spaces,memory,idle,paging,busy,size] [--build-ffi] [--write FILE]");
                return;
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let mut rep = report::Report {
        rows: vec![],
        notes: vec![],
    };
    rt.block_on(async {
        let mut wire = 250;
        let mut lap = Instant::now();
        let mut section = move |name: &str| {
            println!("  [{name} took {:.1} s]", lap.elapsed().as_secs_f64());
            lap = Instant::now();
        };
        if o.wants("latency") {
            wire = latency::bench_latency(&o, &mut rep).await;
            section("latency");
        }
        if o.wants("redeem") {
            redeem::bench_redeem(&o, &mut rep).await;
            section("redeem");
        }
        if o.wants("catchup") || o.wants("growth") || o.wants("memory") {
            catchup::bench_catchup(&o, &mut rep).await;
            section("catchup");
        }
        if o.wants("growth") || o.wants("spaces") {
            spaces::bench_space_latency(&o, &mut rep, wire).await;
            section("space latency");
        }
        if o.wants("idle") {
            idle::bench_idle(&o, &mut rep).await;
            section("idle");
        }
        if o.wants("paging") {
            paging::bench_paging(&o, &mut rep).await;
            section("paging");
        }
        if o.wants("busy") {
            busy::bench_busy(&o, &mut rep).await;
            section("busy");
        }
    });
    if o.wants("size") {
        size::bench_size(&o, &mut rep);
    }
    drop(rt);
    let table = report::markdown(&o, &rep, start.elapsed());
    println!("\n{table}");
    if let Some(p) = &o.write {
        report::write_doc(p, &table);
    }
}
