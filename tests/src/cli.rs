//! Helpers for tests that drive the `clearchat` binary as a process.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::DEADLINE;

/// The `clearchat` binary: `CARGO_BIN_EXE_clearchat`, else next to this test's `deps` dir.
pub fn bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_clearchat") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join("clearchat");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p clearchat`",
        path.display()
    );
    path
}

/// Polls `condition` from a plain thread until it holds or `DEADLINE` passes.
pub fn wait_until_blocking(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `clearchat --data-dir DIR ARGS...` to completion.
pub fn clearchat(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run clearchat")
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = clearchat(dir, args);
    assert!(
        out.status.success(),
        "clearchat {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs a `--json` command that must succeed; returns its document.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    let text = ok(dir, args);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{args:?} printed {text:?}: {e}"))
}

/// The texts of the conversation with `buddy`, oldest first.
pub fn texts(dir: &Path, buddy: &str) -> Vec<String> {
    let v = json(dir, &["messages", buddy, "--limit", "1000", "--json"]);
    v.as_array()
        .expect("an array")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect()
}
