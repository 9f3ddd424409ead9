//! Text for people: lines for buddies, messages, devices and events (their JSON counterparts are in `wire`),
//! times in the local zone, and the QR code as dense half blocks with a quiet zone.

use crate::wire::{BuddyView, DeviceView, MessageView, ReachView};
use clearchat_core::{Event, Reach};

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

/// When a message was sent, in the local time zone: `14:05` today, `Mar 3 14:05` this year, else
/// `2025-03-03 14:05`.
pub fn when(ms: u64) -> String {
    when_in(ms, now_ms(), &chrono::Local)
}

/// [`when`] in the zone `tz`, as seen at `now_ms`.
pub fn when_in<Tz: chrono::TimeZone>(ms: u64, now_ms: u64, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let at = |ms: u64| {
        chrono::DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX))
            .unwrap_or_default()
            .with_timezone(tz)
    };
    let (then, now) = (at(ms), at(now_ms));
    let format = if then.date_naive() == now.date_naive() {
        "%H:%M"
    } else if then.format("%Y").to_string() == now.format("%Y").to_string() {
        "%b %-d %H:%M"
    } else {
        "%Y-%m-%d %H:%M"
    };
    then.format(format).to_string()
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The first eight hex digits of an id (of a message: of its author): what people are shown of it.
pub fn short(id: impl std::fmt::Display) -> String {
    id.to_string().chars().take(8).collect()
}

fn online_mark(online: bool) -> &'static str {
    if online {
        "●"
    } else {
        "○"
    }
}

/// How a device or buddy is reached, for people (nothing while unknown).
pub fn reach_human(reach: &ReachView) -> String {
    match reach {
        ReachView::Unknown => String::new(),
        ReachView::Direct => "  [direct]".into(),
        ReachView::Via(device) => format!("  [via device {}]", short(device)),
        ReachView::Unreachable => "  [not reachable]".into(),
    }
}

/// What a person reads when none of `reach` is reachable (and at least one was tried).
fn nothing_reachable(reach: &[ReachView]) -> &'static str {
    if !reach.is_empty() && reach.iter().all(|r| *r == ReachView::Unreachable) {
        "nothing is reachable right now: messages wait on this device and go out when a device is \
         reached. If your devices and your buddies' are all behind NATs that block each other, link an \
         always-on device (`clearchat run` on a home server or a rented machine, linked with `clearchat \
         link`): everyone reaches it, and it carries the messages.\n"
    } else {
        ""
    }
}

/// One line per buddy.
pub fn buddies_human(list: &[BuddyView]) -> String {
    if list.is_empty() {
        return "no buddies yet: `clearchat invite` makes a code for one\n".into();
    }
    let mut out = String::new();
    for b in list {
        let last = b.last_message.as_ref().map_or("", |m| m.text.as_str());
        let unread = if b.unread > 0 {
            format!(" ({} unread)", b.unread)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{} {}{unread}  {}{}  {last}\n",
            online_mark(b.online),
            b.name,
            short(b.id),
            reach_human(&b.reach)
        ));
        if let Some(warning) = &b.warning {
            out.push_str(&format!("  warning: {warning}\n"));
        }
    }
    let reach: Vec<ReachView> = list.iter().map(|b| b.reach).collect();
    out.push_str(nothing_reachable(&reach));
    out
}

/// One line per message, oldest first.
pub fn messages_human(list: &[MessageView]) -> String {
    let mut out = String::new();
    for m in list {
        out.push_str(&format!(
            "{} {}: {}  [{}]\n",
            when(m.sent_at),
            m.from,
            m.text,
            m.state.as_str()
        ));
    }
    out
}

/// One line per device.
pub fn devices_human(list: &[DeviceView]) -> String {
    let mut out = String::new();
    for d in list {
        let me = if d.me { " (this device)" } else { "" };
        let reach = if d.me {
            String::new()
        } else {
            reach_human(&d.reach)
        };
        out.push_str(&format!(
            "{} {}{me}  {}  of {}{reach}\n",
            online_mark(d.online),
            d.name,
            short(d.id),
            d.person
        ));
    }
    let others: Vec<ReachView> = list.iter().filter(|d| !d.me).map(|d| d.reach).collect();
    out.push_str(nothing_reachable(&others));
    out
}

/// An event as one line for people.
pub fn event_human(e: &Event) -> String {
    match e {
        Event::MessageAdded { message, .. } => {
            format!(
                "{} {}: {}",
                when(message.sent_at),
                message.from,
                message.text
            )
        }
        Event::MessageStateChanged {
            message_id, state, ..
        } => format!("message {} is {}", short(message_id), state.as_str()),
        Event::ReadUpTo { by_me, up_to, .. } => {
            let who = if *by_me { "you" } else { "your buddy" };
            format!("{who} read up to message {}", short(up_to))
        }
        Event::BuddyAdded { name, .. } => format!("new buddy: {name}"),
        Event::BuddyRemoved { buddy_id } => {
            format!("buddy {} removed", short(buddy_id))
        }
        Event::DeviceLinked { name, device_id } => {
            format!("device linked: {name} ({})", short(device_id))
        }
        Event::DeviceRevoked { device_id } => {
            format!("device {} unlinked", short(device_id))
        }
        Event::PeerOnline { device_id } => {
            format!("device {} is online", short(device_id))
        }
        Event::PeerOffline { device_id } => {
            format!("device {} went offline", short(device_id))
        }
        Event::ReachChanged { device_id, reach } => {
            let how = match reach {
                Reach::Unknown => "not known yet".to_string(),
                Reach::Direct => "directly".to_string(),
                Reach::Via(via) => format!("through device {}", short(via)),
                Reach::Unreachable => "not at all".to_string(),
            };
            format!("device {} is reached {how}", short(device_id))
        }
        Event::SyncProgress { space_id, received } => {
            format!(
                "catching up: {received} entries received in {}",
                short(space_id)
            )
        }
        Event::InviteRedeemed { label, by_device } => {
            let label = if label.is_empty() {
                String::new()
            } else {
                format!(" for {label}")
            };
            format!("invite{label} redeemed by device {}", short(by_device))
        }
        Event::ForkDetected { device_id, seq } => format!(
            "warning: device {} wrote two different entries at {seq}",
            short(device_id)
        ),
        Event::InviteUsedTwice { buddies: [a, b] } => format!(
            "warning: buddies {} and {} joined with the same invite code: remove the one you did not invite (`clearchat buddies` names them)",
            short(a),
            short(b)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buddy(name: &str, reach: ReachView) -> BuddyView {
        BuddyView {
            id: crate::test_ids::buddy(name),
            name: name.into(),
            online: reach == ReachView::Direct,
            reach,
            unread: 0,
            last_message: None,
            shares_code_with: None,
            warning: None,
        }
    }

    #[test]
    fn how_each_buddy_is_reached_and_what_helps_when_none_is() {
        let relay = crate::test_ids::device("srv");
        let out = buddies_human(&[
            buddy("Betty", ReachView::Direct),
            buddy("Cleo", ReachView::Via(relay)),
            buddy("Dan", ReachView::Unreachable),
            buddy("Eve", ReachView::Unknown),
        ]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains("[direct]"), "{out}");
        assert!(
            lines[1].contains(&format!("[via device {}]", short(relay))),
            "{out}"
        );
        assert!(lines[2].contains("[not reachable]"), "{out}");
        assert!(!lines[3].contains('['), "nothing said while unknown: {out}");
        assert!(!out.contains("always-on"), "someone is reachable: {out}");

        let out = buddies_human(&[
            buddy("Dan", ReachView::Unreachable),
            buddy("Fay", ReachView::Unreachable),
        ]);
        assert!(out.contains("nothing is reachable right now"), "{out}");
        assert!(out.contains("link an always-on device"), "{out}");
    }

    /// Issue 10 item 6: two buddies who joined with one code are both named, with what to do, in the
    /// human list and in JSON.
    #[test]
    fn buddies_sharing_a_code_are_named_with_what_to_do() {
        let core_buddy = |name: &str, other: Option<&str>| clearchat_core::Buddy {
            id: crate::test_ids::buddy(name),
            name: name.into(),
            online: false,
            reach: clearchat_core::Reach::Unknown,
            unread: 0,
            last_message: None,
            shares_code_with: other.map(crate::test_ids::buddy),
        };
        let views = crate::wire::buddy_views(vec![
            core_buddy("Betty", Some("Carol")),
            core_buddy("Carol", Some("Betty")),
            core_buddy("Dan", None),
        ]);
        let out = buddies_human(&views);
        let want = "warning: Betty and Carol joined with the same invite code: remove the one you did not invite";
        assert!(out.contains(want), "{out}");
        assert!(out.contains("warning: Carol and Betty"), "{out}");
        assert_eq!(out.matches("warning").count(), 2, "{out}");
        let json = serde_json::to_string(&views).unwrap();
        assert!(
            json.contains(&format!("\"warning\":\"{}", &want["warning: ".len()..])),
            "{json}"
        );
        assert!(json.contains("\"shares_code_with\""), "{json}");
        assert_eq!(
            json.matches("shares_code_with").count(),
            2,
            "only the two: {json}"
        );
    }

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

    #[test]
    fn times_are_local_with_the_date_when_not_today() {
        use chrono::FixedOffset;
        // 2023-11-14 22:13:20.123 UTC.
        let sent = 1_700_000_000_123;
        let utc = FixedOffset::east_opt(0).unwrap();
        let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
        let hour = 3_600_000;
        assert_eq!(when_in(sent, sent + hour, &utc), "22:13");
        assert_eq!(when_in(sent, sent + hour, &india), "03:43");
        // Two hours later it is tomorrow in UTC, still the same morning in India.
        assert_eq!(when_in(sent, sent + 2 * hour, &utc), "Nov 14 22:13");
        assert_eq!(when_in(sent, sent + 2 * hour, &india), "03:43");
        assert_eq!(when_in(sent, sent + 20 * 24 * hour, &utc), "Nov 14 22:13");
        assert_eq!(
            when_in(sent, sent + 400 * 24 * hour, &utc),
            "2023-11-14 22:13"
        );
        let west = FixedOffset::west_opt(8 * 3600).unwrap();
        assert_eq!(when_in(sent, sent + hour, &west), "14:13");
    }
}
