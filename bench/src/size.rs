//! Size: the stripped release cdylib of the bindings (x86_64 here; the budget is for arm64).

use crate::report::{Report, Row};
use crate::Opts;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn bench_size(o: &Opts, rep: &mut Report) {
    println!("size: stripped release cdylib of clearchat-ffi (x86_64)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    if o.build_ffi {
        let st = Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
            .args(["build", "--release", "-p", "clearchat-ffi"])
            .current_dir(&root)
            .status();
        println!("    cargo build --release -p clearchat-ffi: {st:?}");
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or(root.join("target"));
    let lib = target.join("release/libclearchat_ffi.so");
    let cmd = "cargo build --release -p clearchat-ffi && strip -o /tmp/ffi.so target/release/libclearchat_ffi.so && ls -l /tmp/ffi.so";
    if !lib.exists() {
        rep.note(format!(
            "size: {} is absent (build it with `cargo build --release -p clearchat-ffi`)",
            lib.display()
        ));
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("clearchat-bench-")
        .tempdir()
        .unwrap();
    let out = tmp.path().join("libclearchat_ffi.so");
    let ok = Command::new("strip")
        .arg("-o")
        .arg(&out)
        .arg(&lib)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let raw = std::fs::metadata(&lib).map(|m| m.len()).unwrap_or(0);
    let age = std::fs::metadata(&lib)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map(|d| d.as_secs() / 60)
        .unwrap_or(0);
    if !ok {
        rep.note("size: `strip` failed or is missing".into());
        return;
    }
    let stripped = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    rep.rows.push(Row {
        measure: "size: release cdylib clearchat-ffi, x86_64, stripped".into(),
        ours: format!("{:.2} MB", stripped as f64 / 1048576.0),
        limit: format!("{:.2} MB unstripped", raw as f64 / 1048576.0),
        ratio: "-".into(),
        budget: "<= 8 MB (arm64)".into(),
        command: cmd.into(),
    });
    println!(
        "  size: {:.2} MB stripped ({:.2} MB unstripped, built {age} min ago)",
        stripped as f64 / 1048576.0,
        raw as f64 / 1048576.0
    );
}
