//! Helpers for tests that drive the `clearchat` binary as a process.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
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
        .env("CLEARCHAT_DHT", "off")
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

/// Initializes the story's three data dirs under `root`: Amy's laptop (first device of Amy), Amy's phone
/// (not linked yet) and Betty's phone. Returns their paths in that order.
pub fn init_story_devices(root: &Path) -> [PathBuf; 3] {
    let [laptop, phone, betty] = ["laptop", "phone", "betty"].map(|d| root.join(d));
    ok(
        &laptop,
        &["init", "--name", "Amy laptop", "--person", "Amy"],
    );
    ok(&phone, &["init", "--name", "Amy phone"]);
    ok(
        &betty,
        &["init", "--name", "Betty phone", "--person", "Betty"],
    );
    [laptop, phone, betty]
}

/// A `clearchat run` process, killed on drop; its stdout lines are collected.
pub struct RunGuard {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl RunGuard {
    pub fn start(dir: &Path) -> RunGuard {
        let mut command = Command::new(bin());
        command
            .env("CLEARCHAT_DHT", "off")
            .arg("--data-dir")
            .arg(dir)
            .args(["run", "--listen", "127.0.0.1:0", "--json"]);
        RunGuard::spawn(command)
    }

    /// Starts a prepared `clearchat ... run --json` command (for example aimed at a network namespace)
    /// and waits until it says it started.
    pub fn spawn(mut command: Command) -> RunGuard {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start clearchat run");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let guard = RunGuard { child, lines };
        wait_until_blocking("`run` says it started", || {
            guard
                .lines
                .lock()
                .unwrap()
                .first()
                .is_some_and(|l| l.contains("\"started\""))
        });
        guard
    }

    /// `kill -9`: no chance to clean up.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: the process goes offline, removes its socket and exits 0.
    pub fn terminate_cleanly(mut self, dir: &Path) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(start.elapsed() < DEADLINE, "run did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "run exits 0 on SIGTERM: {status}");
        assert!(!dir.join("control.sock").exists(), "run removes its socket");
        wait_until_blocking("run says it stopped", || self.has_event("stopped"));
    }

    /// The stdout lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// The process id (of `clearchat` itself: `ip netns exec` execs it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn has_event(&self, name: &str) -> bool {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains(&format!("\"event\":\"{name}\"")))
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
