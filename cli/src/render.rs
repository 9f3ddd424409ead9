//! Text for people and for scripts: human lines for buddies, messages, devices and events, their JSON
//! counterparts for `--json`, and the QR code as dense half blocks with a quiet zone.

use clearchat_core::Event;
use serde_json::{json, Value};

/// Modules of light margin around a QR code, as the standard asks.
pub const QUIET_ZONE: usize = 4;

/// The QR code as text lines: two module rows per line, light modules drawn (`█▀▄`), dark ones blank, so it
/// reads on a dark terminal; `framed` adds colours that make it read on any terminal.
pub fn qr_lines(rows: &[Vec<bool>]) -> Vec<String> {
    let width = rows.first().map_or(0, Vec::len);
    let total = width + 2 * QUIET_ZONE;
    let dark = |y: usize, x: usize| -> bool {
        if y < QUIET_ZONE || x < QUIET_ZONE {
            return false;
        }
        rows.get(y - QUIET_ZONE)
            .and_then(|r| r.get(x - QUIET_ZONE))
            .copied()
            .unwrap_or(false)
    };
    let height = rows.len() + 2 * QUIET_ZONE;
    (0..height.div_ceil(2))
        .map(|line| {
            (0..total)
                .map(|x| {
                    let top = !dark(2 * line, x);
                    let bottom = !dark(2 * line + 1, x);
                    match (top, bottom) {
                        (true, true) => '█',
                        (true, false) => '▀',
                        (false, true) => '▄',
                        (false, false) => ' ',
                    }
                })
                .collect()
        })
        .collect()
}

/// Prints a QR code on stdout; on a terminal with explicit white-on-black so any colour scheme reads right.
pub fn print_qr(rows: &[Vec<bool>]) {
    use std::io::IsTerminal;
    let tty = std::io::stdout().is_terminal();
    for line in qr_lines(rows) {
        if tty {
            println!("\x1b[97;40m{line}\x1b[0m");
        } else {
            println!("{line}");
        }
    }
}

/// `HH:MM` (UTC) of a time in milliseconds since the epoch.
pub fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!("{:02}:{:02}", (secs / 3600) % 24, (secs / 60) % 60)
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// One line per buddy.
pub fn buddies_human(list: &Value) -> String {
    let items = list.as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return "no buddies yet: `clearchat invite` makes a code for one\n".into();
    }
    let mut out = String::new();
    for b in items {
        let online = if b["online"].as_bool() == Some(true) {
            "●"
        } else {
            "○"
        };
        let unread = b["unread"].as_u64().unwrap_or(0);
        let last = b["last_message"]
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("");
        let unread = if unread > 0 {
            format!(" ({unread} unread)")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{online} {}{unread}  {}  {last}\n",
            text(&b, "name"),
            short(&text(&b, "id"))
        ));
    }
    out
}

/// One line per message, oldest first.
pub fn messages_human(list: &Value) -> String {
    let mut out = String::new();
    for m in list.as_array().cloned().unwrap_or_default() {
        out.push_str(&format!(
            "{} {}: {}  [{}]\n",
            clock(m["sent_at"].as_u64().unwrap_or(0)),
            text(&m, "from"),
            text(&m, "text"),
            text(&m, "state")
        ));
    }
    out
}

/// One line per device.
pub fn devices_human(list: &Value) -> String {
    let mut out = String::new();
    for d in list.as_array().cloned().unwrap_or_default() {
        let online = if d["online"].as_bool() == Some(true) {
            "●"
        } else {
            "○"
        };
        let me = if d["me"].as_bool() == Some(true) {
            " (this device)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{online} {}{me}  {}  of {}\n",
            text(&d, "name"),
            short(&text(&d, "id")),
            text(&d, "person")
        ));
    }
    out
}

/// An event as one compact JSON object.
pub fn event_json(e: &Event) -> Value {
    match e {
        Event::MessageAdded { buddy_id, message } => json!({
            "event": "message_added", "buddy_id": buddy_id,
            "message": crate::session::message_json(message),
        }),
        Event::MessageStateChanged {
            buddy_id,
            message_id,
            state,
        } => json!({
            "event": "message_state", "buddy_id": buddy_id, "message_id": message_id, "state": state.as_str(),
        }),
        Event::ReadUpTo {
            buddy_id,
            by_me,
            up_to,
        } => json!({"event": "read_up_to", "buddy_id": buddy_id, "by_me": by_me, "up_to": up_to}),
        Event::BuddyAdded { buddy_id, name } => {
            json!({"event": "buddy_added", "buddy_id": buddy_id, "name": name})
        }
        Event::BuddyRemoved { buddy_id } => {
            json!({"event": "buddy_removed", "buddy_id": buddy_id})
        }
        Event::DeviceLinked { device_id, name } => {
            json!({"event": "device_linked", "device_id": device_id, "name": name})
        }
        Event::DeviceRevoked { device_id } => {
            json!({"event": "device_revoked", "device_id": device_id})
        }
        Event::PeerOnline { device_id } => json!({"event": "peer_online", "device_id": device_id}),
        Event::PeerOffline { device_id } => {
            json!({"event": "peer_offline", "device_id": device_id})
        }
        Event::SyncProgress { space_id, received } => {
            json!({"event": "sync_progress", "space_id": space_id, "received": received})
        }
        Event::InviteRedeemed { label, by_device } => {
            json!({"event": "invite_redeemed", "label": label, "by_device": by_device})
        }
        Event::ForkDetected { device_id, seq } => {
            json!({"event": "fork_detected", "device_id": device_id, "seq": seq})
        }
    }
}

/// An event as one line for people.
pub fn event_human(e: &Event) -> String {
    match e {
        Event::MessageAdded { message, .. } => {
            format!(
                "{} {}: {}",
                clock(message.sent_at),
                message.from,
                message.text
            )
        }
        Event::MessageStateChanged {
            message_id, state, ..
        } => format!(
            "message {} is {}",
            short(&message_id.to_string()),
            state.as_str()
        ),
        Event::ReadUpTo { by_me, up_to, .. } => {
            let who = if *by_me { "you" } else { "your buddy" };
            format!("{who} read up to message {}", short(&up_to.to_string()))
        }
        Event::BuddyAdded { name, .. } => format!("new buddy: {name}"),
        Event::BuddyRemoved { buddy_id } => {
            format!("buddy {} removed", short(&buddy_id.to_string()))
        }
        Event::DeviceLinked { name, device_id } => {
            format!("device linked: {name} ({})", short(&device_id.to_string()))
        }
        Event::DeviceRevoked { device_id } => {
            format!("device {} unlinked", short(&device_id.to_string()))
        }
        Event::PeerOnline { device_id } => {
            format!("device {} is online", short(&device_id.to_string()))
        }
        Event::PeerOffline { device_id } => {
            format!("device {} went offline", short(&device_id.to_string()))
        }
        Event::SyncProgress { space_id, received } => {
            format!(
                "catching up: {received} entries received in {}",
                short(&space_id.to_string())
            )
        }
        Event::InviteRedeemed { label, by_device } => {
            let label = if label.is_empty() {
                String::new()
            } else {
                format!(" for {label}")
            };
            format!(
                "invite{label} redeemed by device {}",
                short(&by_device.to_string())
            )
        }
        Event::ForkDetected { device_id, seq } => format!(
            "warning: device {} wrote two different entries at {seq}",
            short(&device_id.to_string())
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_has_quiet_zone_and_half_blocks() {
        let rows = vec![vec![true, false], vec![false, true]];
        let lines = qr_lines(&rows);
        assert_eq!(lines.len(), 5);
        assert!(lines.iter().all(|l| l.chars().count() == 10));
        assert_eq!(lines[0], "█".repeat(10));
        let middle: Vec<char> = lines[2].chars().collect();
        assert_eq!(middle[4], '▄');
        assert_eq!(middle[5], '▀');
    }
}
