//! The laptop client as processes: three `clearchat run` on loopback with their own data dirs, driven only
//! through the subcommands, through the whole story, with a `kill -9`, a restart and the catch-up; plus the demo
//! and the exit codes of bad input. Needs the `clearchat` binary (built by `cargo test` at the workspace root).

use clearchat_scenarios::cli::{
    bin, clearchat, init_story_devices, json, ok, texts, wait_until_blocking as wait_until,
    RunGuard,
};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn wait_texts(dir: &Path, buddy: &str, wanted: &[String], who: &str) {
    wait_until(&format!("{who} has {wanted:?}"), || {
        let have = texts(dir, buddy);
        wanted.iter().all(|w| have.contains(w))
    });
}

/// The newest message with Amy as `messages` prints it for people, with `TZ` set to `zone`.
fn messages_in_zone(dir: &Path, zone: &str) -> String {
    let out = Command::new(bin())
        .env("CLEARCHAT_DHT", "off")
        .arg("--data-dir")
        .arg(dir)
        .args(["messages", "Amy", "--limit", "1"])
        .env("TZ", zone)
        .stdin(Stdio::null())
        .output()
        .expect("run clearchat messages");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The `HH:MM` that a message line shows, as minutes since midnight.
fn minute_of_day(line: &str) -> i32 {
    let clock = line
        .split_whitespace()
        .find(|w| w.len() == 5 && w.as_bytes()[2] == b':')
        .unwrap_or_else(|| panic!("no HH:MM in {line:?}"));
    let (h, m) = clock.split_at(2);
    h.parse::<i32>().expect("hours") * 60 + m[1..].parse::<i32>().expect("minutes")
}

#[test]
fn three_run_processes_tell_the_story_and_survive_kill_9() {
    let root = tempfile::tempdir().expect("temp dir");
    let [laptop, phone, betty] = init_story_devices(root.path());

    let laptop_run = RunGuard::start(&laptop);
    let phone_run = RunGuard::start(&phone);
    let _betty_run = RunGuard::start(&betty);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(laptop.join("control.sock"))
            .expect("control socket")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the control socket is owner-only");
    }

    // Link: the code comes from the running laptop through its control socket.
    let code = ok(&laptop, &["link", "--code-only"]);
    let code = code.trim();
    assert_eq!(code.lines().count(), 1, "--code-only prints one line");
    let joined = ok(&phone, &["join", code]);
    assert!(joined.contains("Amy"), "{joined}");
    let devices = json(&phone, &["devices", "--json"]);
    let devices = devices.as_array().expect("devices");
    assert_eq!(devices.len(), 2, "{devices:?}");
    for d in devices {
        for key in ["id", "name", "person", "me", "online", "last_seen"] {
            assert!(d.get(key).is_some(), "device has {key}: {d}");
        }
        assert_eq!(d["person"], "Amy");
    }
    wait_until("the laptop's run reports the redemption", || {
        laptop_run.has_event("invite_redeemed")
    });

    // Add a buddy; the phone gets Betty by itself.
    let code = ok(&laptop, &["invite", "--name", "Betty", "--code-only"]);
    let joined = ok(&betty, &["join", code.trim()]);
    assert!(joined.contains("Amy"), "{joined}");
    for (dir, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        wait_until(&format!("{} lists {buddy}", dir.display()), || {
            json(dir, &["buddies", "--json"])
                .as_array()
                .is_some_and(|l| l.iter().any(|b| b["name"] == buddy))
        });
    }
    let buddies = json(&laptop, &["buddies", "--json"]);
    for key in ["id", "name", "online", "unread", "last_message"] {
        assert!(buddies[0].get(key).is_some(), "buddy has {key}: {buddies}");
    }

    // Messages every way.
    let mut expected = Vec::new();
    for (dir, buddy, text) in [
        (&laptop, "Betty", "laptop 1"),
        (&phone, "Betty", "phone 1"),
        (&betty, "Amy", "betty 1"),
        (&laptop, "Betty", "laptop 2"),
    ] {
        ok(dir, &["send", buddy, text]);
        expected.push(text.to_string());
    }
    wait_texts(&laptop, "Betty", &expected, "the laptop");
    wait_texts(&phone, "Betty", &expected, "the phone");
    wait_texts(&betty, "Amy", &expected, "Betty");
    let on_betty = texts(&betty, "Amy");
    let laptop_order: Vec<&String> = on_betty
        .iter()
        .filter(|t| t.starts_with("laptop"))
        .collect();
    assert_eq!(laptop_order, ["laptop 1", "laptop 2"], "oldest first");
    wait_until("Betty's message is delivered on her side", || {
        json(&betty, &["messages", "Amy", "--json"])
            .as_array()
            .is_some_and(|l| {
                l.iter().any(|m| {
                    m["text"] == "betty 1"
                        && ["delivered", "read"].contains(&m["state"].as_str().unwrap_or(""))
                })
            })
    });
    let message = &json(&betty, &["messages", "Amy", "--limit", "1", "--json"])[0];
    for key in ["id", "from", "device", "text", "sent_at", "state"] {
        assert!(message.get(key).is_some(), "message has {key}: {message}");
    }
    // Times are shown in the local zone: India is 5:30 ahead of UTC (and never has daylight saving).
    let utc = minute_of_day(&messages_in_zone(&betty, "UTC"));
    let india = minute_of_day(&messages_in_zone(&betty, "IST-5:30"));
    assert_eq!((india - utc).rem_euclid(24 * 60), 5 * 60 + 30);

    // kill -9 the phone; the others talk meanwhile; it restarts and catches up.
    phone_run.kill9();
    for (dir, buddy, text) in [
        (&betty, "Amy", "betty while the phone is dead 1"),
        (&laptop, "Betty", "laptop while the phone is dead"),
        (&betty, "Amy", "betty while the phone is dead 2"),
    ] {
        ok(dir, &["send", buddy, text]);
        expected.push(text.to_string());
    }
    wait_texts(&laptop, "Betty", &expected, "the laptop");
    let _phone_run = RunGuard::start(&phone);
    wait_texts(&phone, "Betty", &expected, "the restarted phone");
    ok(&phone, &["send", "Betty", "phone is back"]);
    expected.push("phone is back".into());
    wait_texts(&betty, "Amy", &expected, "Betty");
    wait_texts(&laptop, "Betty", &expected, "the laptop");
    laptop_run.terminate_cleanly(&laptop);
}

#[test]
fn commands_work_directly_on_a_data_dir_nothing_holds() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("solo");
    ok(&dir, &["init", "--name", "Solo laptop", "--person", "Sol"]);
    let again = clearchat(&dir, &["init", "--name", "Again"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(json(&dir, &["buddies", "--json"]), serde_json::json!([]));
    let devices = json(&dir, &["devices", "--json"]);
    assert_eq!(devices[0]["name"], "Solo laptop");
    assert_eq!(devices[0]["me"], true);
    let code = ok(&dir, &["invite", "--name", "Someone", "--code-only"]);
    assert_eq!(code.trim().lines().count(), 1);
    let full = ok(&dir, &["link"]);
    assert!(
        full.contains('█') && full.contains('▀'),
        "a QR code in half blocks"
    );
    // `link --wait` on a dir nothing holds goes online itself and returns once the code is redeemed.
    let other = root.path().join("other");
    ok(&other, &["init", "--name", "Sol phone"]);
    let mut waiting = Command::new(bin())
        .env("CLEARCHAT_DHT", "off")
        .arg("--data-dir")
        .arg(&dir)
        .args(["link", "--wait", "--code-only"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("link --wait");
    let mut reader = BufReader::new(waiting.stdout.take().expect("stdout"));
    let mut code = String::new();
    reader.read_line(&mut code).expect("the code line");
    let joined = ok(&other, &["join", code.trim()]);
    assert!(joined.contains("Sol"), "{joined}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).expect("the rest");
    assert!(waiting.wait().expect("wait").success());
    assert!(rest.contains("redeemed"), "{rest}");
    assert_eq!(
        json(&other, &["devices", "--json"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // A stale socket from a killed holder does not confuse the next command.
    std::fs::write(dir.join("control.sock"), b"").expect("stale socket");
    json(&dir, &["buddies", "--json"]);
}

#[test]
fn bad_input_gets_a_sentence_and_the_right_exit_code() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("bad");
    ok(&dir, &["init", "--name", "Laptop", "--person", "Amy"]);
    let out = clearchat(&dir, &["join", "GARBAGE"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("invalid code"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = clearchat(&dir, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("clearchat: "), "{err}");

    let out = clearchat(&dir, &["send", "Nobody", "hello"]);
    assert_eq!(out.status.code(), Some(1));
    let out = clearchat(&root.path().join("empty"), &["buddies"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("init"));
}

#[test]
fn demo_tells_the_story_and_exits_0() {
    let out = Command::new(bin())
        .env("CLEARCHAT_DHT", "off")
        .arg("demo")
        .stdin(Stdio::null())
        .output()
        .expect("run clearchat demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Every message"), "{stdout}");
    assert!(stdout.contains(" ms"), "{stdout}");
}

/// The control socket's own JSON, one request line in and one response line out, as a script would speak it.
#[test]
fn the_control_socket_speaks_json_lines() {
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("wire");
    ok(
        &dir,
        &["init", "--name", "Wire laptop", "--person", "Wendy"],
    );
    let _run = RunGuard::start(&dir);
    let stream = UnixStream::connect(dir.join("control.sock")).expect("control socket");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut ask = |line: &str| -> serde_json::Value {
        let mut writer = &stream;
        writeln!(writer, "{line}").expect("write a request");
        let mut reply = String::new();
        reader.read_line(&mut reply).expect("read the reply");
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{reply:?}: {e}"))
    };

    let me = ask(r#"{"cmd":"me"}"#);
    assert_eq!(me["ok"]["device_name"], "Wire laptop", "{me}");
    assert_eq!(me["ok"]["person_name"], "Wendy", "{me}");
    for key in ["device_id", "person_id", "listen"] {
        assert!(me["ok"].get(key).is_some(), "me has {key}: {me}");
    }
    let devices = ask(r#"{"cmd":"devices"}"#);
    assert_eq!(devices["ok"][0]["me"], true, "{devices}");
    assert_eq!(ask(r#"{"cmd":"buddies"}"#), serde_json::json!({"ok": []}));

    let invite = ask(r#"{"cmd":"invite","name":"Someone"}"#);
    let invite = &invite["ok"];
    assert!(
        invite["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{invite}"
    );
    assert!(
        invite["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("CLEARCHAT:")),
        "{invite}"
    );
    assert_eq!(invite["redeemed_before"], 0, "{invite}");
    let rows = invite["qr"].as_array().expect("qr rows");
    assert!(
        rows.len() >= 21,
        "a QR code has at least 21 rows: {}",
        rows.len()
    );
    for row in rows {
        let row = row.as_array().expect("a row of modules");
        assert_eq!(row.len(), rows.len(), "a QR code is square");
        assert!(row.iter().all(serde_json::Value::is_boolean), "{row:?}");
    }

    let unknown = ask(r#"{"cmd":"send","buddy":"Nobody","text":"hi"}"#);
    let sentence = unknown["error"].as_str().expect("an error sentence");
    assert!(sentence.contains("\"Nobody\""), "{sentence}");
    let me_id = me["ok"]["device_id"].as_str().expect("my id").to_string();
    let unlink = ask(&format!(r#"{{"cmd":"unlink","device":"{}"}}"#, &me_id[..6]));
    let sentence = unlink["error"].as_str().expect("an error sentence");
    assert!(sentence.contains("the device you are using"), "{sentence}");
    let bad = ask(r#"{"cmd":"frobnicate"}"#);
    let sentence = bad["error"].as_str().expect("an error sentence");
    assert!(sentence.starts_with("bad request"), "{sentence}");
    // The connection stays usable after a bad line.
    assert_eq!(ask(r#"{"cmd":"buddies"}"#), serde_json::json!({"ok": []}));
}
