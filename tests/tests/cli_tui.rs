//! The terminal UI in a real pseudo-terminal (tmux): start it, open the link QR and decode it from the screen
//! into a code that `join` accepts, add a buddy through the UI's control socket, send a message, see an incoming
//! one, and quit cleanly; a code pasted over two lines arrives whole, and the UI stays live while it waits for
//! an inviter that does not answer. Needs `tmux` and the `clearchat` binary.

use clearchat_scenarios::cli::{
    bin, init_story_devices, ok, texts, wait_until_blocking as wait_until, RunGuard,
};
use clearchat_scenarios::DEADLINE;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of its own with one session; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A tmux server named after the process and `name`, so that tests running at once never share one.
    fn start(name: &str, command: &str, width: u16, height: u16) -> Tmux {
        let socket = format!("clearchat-test-{}-{name}", std::process::id());
        let tmux = Tmux { socket };
        let status = tmux
            .cmd()
            .args(["new-session", "-d", "-s", "ui", "-x", &width.to_string()])
            .args(["-y", &height.to_string(), command])
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is installed (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = self
                .cmd()
                .args(["send-keys", "-t", "ui", key])
                .status()
                .expect("tmux send-keys");
            assert!(status.success());
            // A lone Escape followed at once by a key would read as Alt-key.
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn type_text(&self, text: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", "ui", "-l", text])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Pastes `text` as a terminal would: wrapped in bracketed-paste codes when the application asked for them.
    fn paste(&self, text: &str) {
        let status = self
            .cmd()
            .args(["set-buffer", "-b", "clip", text])
            .status()
            .expect("tmux set-buffer");
        assert!(status.success());
        let status = self
            .cmd()
            .args(["paste-buffer", "-p", "-d", "-b", "clip", "-t", "ui"])
            .status()
            .expect("tmux paste-buffer");
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "ui"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_screen(&self, what: &str, condition: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if condition(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for the screen to show {what}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// Finds a QR code drawn in half blocks (light modules drawn, a quiet zone of full blocks) and decodes it.
fn decode_qr(screen: &str) -> Option<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let (top, col, width) = lines.iter().enumerate().find_map(|(i, l)| {
        let start = l.iter().position(|&c| c == '█')?;
        let run = l[start..].iter().take_while(|&&c| c == '█').count();
        (run >= 29).then_some((i, start, run))
    })?;
    let block = |c: char| matches!(c, '█' | '▀' | '▄' | ' ');
    let mut light: Vec<Vec<bool>> = Vec::new();
    for line in &lines[top..] {
        let Some(cells) = line.get(col..col + width) else {
            break;
        };
        if !cells.iter().all(|&c| block(c)) || !cells.contains(&'█') {
            break;
        }
        light.push(cells.iter().map(|&c| c == '█' || c == '▀').collect());
        light.push(cells.iter().map(|&c| c == '█' || c == '▄').collect());
    }
    const SCALE: usize = 4;
    let (w, h) = (width * SCALE, light.len() * SCALE);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        if light[y / SCALE][x / SCALE] {
            255
        } else {
            0
        }
    });
    let grids = img.detect_grids();
    let (_, content) = grids.first()?.decode().ok()?;
    Some(content)
}

#[test]
fn terminal_ui_links_by_qr_chats_and_quits_cleanly() {
    let root = tempfile::tempdir().expect("temp dir");
    let [laptop, phone, betty] = init_story_devices(root.path());
    let _betty_run = RunGuard::start(&betty);

    let exit_file = root.path().join("ui.exit");
    let command = format!(
        "CLEARCHAT_DHT=off '{}' --data-dir '{}'; echo $? > '{}'; sleep 60",
        bin().display(),
        laptop.display(),
        exit_file.display()
    );
    let tmux = Tmux::start("story", &command, 160, 60);
    tmux.wait_screen("the title", |s| s.contains("Clearchat — Amy on Amy laptop"));

    // The link QR, full screen, decodes to a code `join` accepts.
    tmux.keys(&["l"]);
    let screen = tmux.wait_screen("the link QR", |s| {
        s.contains("Link a device") && decode_qr(s).is_some()
    });
    let code = decode_qr(&screen).expect("a QR code on screen");
    let joined = ok(&phone, &["join", &code]);
    assert!(joined.contains("Amy"), "{joined}");
    tmux.wait_screen("the QR closed after the link", |s| {
        !s.contains("Link a device")
    });

    // A buddy code from the UI's control socket; Betty appears in the list.
    let code = ok(&laptop, &["invite", "--name", "Betty", "--code-only"]);
    ok(&betty, &["join", code.trim()]);
    tmux.wait_screen("Betty in the buddy list", |s| s.contains("┌ Betty "));

    // Send from the input line; each key waits for the screen the one before it leads to.
    tmux.keys(&["Enter"]);
    tmux.wait_screen("the input line focused", |s| s.contains("Enter send"));
    tmux.type_text("hello from the terminal UI");
    tmux.wait_screen("the typed text", |s| {
        s.contains("hello from the terminal UI")
    });
    tmux.keys(&["Enter"]);
    let start = Instant::now();
    while !texts(&betty, "Amy").contains(&"hello from the terminal UI".to_string()) {
        assert!(
            start.elapsed() < DEADLINE,
            "Betty never got the UI's message; the UI shows:\n{}\nBetty has: {:?}\nBetty's devices: {}",
            tmux.screen(),
            texts(&betty, "Amy"),
            ok(&betty, &["devices", "--json"])
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.wait_screen("the message delivered", |s| s.contains("✓✓"));

    // An incoming message shows up live.
    ok(&betty, &["send", "Amy", "hello back from Betty"]);
    tmux.wait_screen("Betty's message", |s| s.contains("hello back from Betty"));

    // Help, then quit cleanly.
    tmux.keys(&["Escape", "?"]);
    tmux.wait_screen("the help", |s| s.contains("link a device of yours"));
    tmux.keys(&["Escape", "q"]);
    wait_until("the UI exits", || exit_file.exists());
    let status = std::fs::read_to_string(&exit_file).expect("exit status");
    assert_eq!(status.trim(), "0", "the UI exits with 0");
    assert!(
        !laptop.join("control.sock").exists(),
        "the UI removes its control socket"
    );
    // The terminal is back: the UI's screen is gone from the pane.
    let screen = tmux.screen();
    assert!(!screen.contains("Buddies"), "{screen}");
}

#[test]
fn a_pasted_code_arrives_whole_and_a_slow_join_keeps_the_ui_live() {
    let root = tempfile::tempdir().expect("temp dir");
    let [laptop, _phone, betty] = init_story_devices(root.path());
    let _betty_run = RunGuard::start(&betty);
    // An inviter that is gone: its code names an address where nothing answers any more.
    let ghost = root.path().join("ghost");
    ok(
        &ghost,
        &["init", "--name", "Ghost laptop", "--person", "Gus"],
    );
    let ghost_run = RunGuard::start(&ghost);
    let unreachable = ok(&ghost, &["invite", "--code-only"]);
    ghost_run.kill9();

    let command = format!(
        "CLEARCHAT_DHT=off '{}' --data-dir '{}'; sleep 60",
        bin().display(),
        laptop.display()
    );
    let tmux = Tmux::start("paste", &command, 160, 50);
    tmux.wait_screen("the title", |s| s.contains("Clearchat — Amy on Amy laptop"));

    // Waiting for the gone inviter: the UI says so and still answers keys.
    tmux.keys(&["p"]);
    tmux.wait_screen("the paste box", |s| {
        s.contains("Paste or type a link or buddy code")
    });
    tmux.type_text(unreachable.trim());
    tmux.keys(&["Enter"]);
    tmux.wait_screen("the join under way", |s| s.contains("joining…"));
    tmux.keys(&["?"]);
    tmux.wait_screen("the help while joining", |s| {
        s.contains("link a device of yours") && s.contains("joining…")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_screen("the help closed, the join still under way", |s| {
        s.contains("joining…") && !s.contains("link a device of yours")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_screen("the wait stopped", |s| s.contains("stopped waiting"));

    // Betty's code, broken over two lines as an SMS might, pasted in one go: it arrives whole.
    let code = ok(&betty, &["invite", "--name", "Amy", "--code-only"]);
    let code = code.trim();
    let (first, second) = code.split_at(code.len() / 2);
    tmux.keys(&["p"]);
    tmux.wait_screen("the paste box", |s| {
        s.contains("Paste or type a link or buddy code")
    });
    tmux.paste(&format!("{first}\n{second}\n"));
    tmux.keys(&["Enter"]);
    tmux.wait_screen("Betty added from the pasted code", |s| {
        s.contains("┌ Betty ")
    });
    wait_until("Betty lists Amy", || {
        ok(&betty, &["buddies"]).contains("Amy")
    });
    tmux.keys(&["q"]);
}
