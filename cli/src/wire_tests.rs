//! Pins the JSON of the control socket and of `--json`: every request and every response, byte for byte,
//! so that scripts and a holder of another build keep understanding each other. Ids are the core's typed ones;
//! in the pinned text `<ab12>` stands for the hex of the id made by `with_prefix("ab12")` (`ab12`, then zeros).

use crate::test_ids::with_prefix as id;
use crate::wire::{
    BuddyView, DeviceView, InviteView, Joined, MeView, MessageView, Redemption, Reply, Request,
    Response,
};
use clearchat_core::{
    Buddy, Device, Event, Invite, Me, Message, MessageId, MessageState, PersonId, Purpose,
    QrMatrix, Reach, Redeemed,
};
use serde::Serialize;

/// `wire` with every `<abcd>` written out as the 64 hex digits of `id("abcd")`.
fn ids_in(wire: &str) -> String {
    let mut out = String::new();
    let mut rest = wire;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>').expect("every <id> is closed");
        out.push_str(&rest[..start]);
        out.push_str(&format!("{:0<64}", &rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    out + rest
}

/// `value` is `wire` as JSON (the same members, in any order).
#[track_caller]
fn pinned<T: Serialize>(value: &T, wire: &str) {
    let have = serde_json::to_value(value).unwrap();
    let want: serde_json::Value = serde_json::from_str(&ids_in(wire)).unwrap();
    assert_eq!(have, want, "{have} is not {want}");
}

/// The reply line for `response` reads back as `response` when it answers `request`.
#[track_caller]
fn reads_back(request: &Request, response: Response) {
    let line = serde_json::to_string(&Reply::Ok(response.clone())).unwrap();
    assert_eq!(Response::read(request, &line).unwrap(), response, "{line}");
}

fn message() -> Message {
    Message {
        id: MessageId {
            author: id("ab12"),
            seq: 3,
        },
        from: "Betty".into(),
        from_me: false,
        device_id: id("ab12"),
        text: "hi \"Amy\"".into(),
        sent_at: 1_700_000_000_123,
        state: MessageState::Delivered,
        reply_to: None,
    }
}

#[test]
fn requests() {
    let cases = [
        (Request::Me, r#"{"cmd":"me"}"#),
        (Request::Link, r#"{"cmd":"link"}"#),
        (
            Request::Invite {
                name: "Betty".into(),
            },
            r#"{"cmd":"invite","name":"Betty"}"#,
        ),
        (
            Request::WaitRedeemed { after: 2 },
            r#"{"cmd":"wait_redeemed","after":2}"#,
        ),
        (
            Request::Join {
                code: "CLEARCHAT1X".into(),
            },
            r#"{"cmd":"join","code":"CLEARCHAT1X"}"#,
        ),
        (Request::Buddies, r#"{"cmd":"buddies"}"#),
        (
            Request::Send {
                buddy: "Betty".into(),
                text: "hi".into(),
            },
            r#"{"cmd":"send","buddy":"Betty","text":"hi"}"#,
        ),
        (
            Request::Messages {
                buddy: "ab12".into(),
                limit: 50,
            },
            r#"{"cmd":"messages","buddy":"ab12","limit":50}"#,
        ),
        (Request::Devices, r#"{"cmd":"devices"}"#),
        (
            Request::RemoveBuddy {
                buddy: "Betty".into(),
            },
            r#"{"cmd":"remove_buddy","buddy":"Betty"}"#,
        ),
        (
            Request::Unlink {
                device: "cd34".into(),
            },
            r#"{"cmd":"unlink","device":"cd34"}"#,
        ),
    ];
    for (request, wire) in cases {
        assert_eq!(serde_json::to_string(&request).unwrap(), wire);
        let back: Request = serde_json::from_str(wire).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), wire);
    }
}

#[test]
fn me() {
    let me = Me {
        device_id: id("ab12"),
        device_name: "Amy laptop".into(),
        person_id: PersonId([0xef; 16]),
        person_name: "Amy".into(),
    };
    let listen = ["127.0.0.1:4000".parse().unwrap()];
    let view = MeView::new(me, &listen);
    // Written out once: an id is its lowercase hex.
    pinned(
        &view,
        r#"{"device_id":"ab12000000000000000000000000000000000000000000000000000000000000","device_name":"Amy laptop","listen":["127.0.0.1:4000"],"person_id":"efefefefefefefefefefefefefefefef","person_name":"Amy"}"#,
    );
    reads_back(&Request::Me, Response::Me(view));
}

#[test]
fn invite() {
    let invite = Invite {
        code: "CLEARCHAT1X".into(),
        uri: "CLEARCHAT:1X".into(),
        qr: QrMatrix {
            width: 2,
            modules: vec![true, false, false, true],
        },
        purpose: Purpose::Buddy,
        expires_at: 1_700_086_400,
    };
    // The one change from the untyped wire: the QR rows are booleans, no longer strings of "1" and "0".
    let view = InviteView::new(invite, 1);
    pinned(
        &view,
        r#"{"code":"CLEARCHAT1X","expires_at":1700086400,"qr":[[true,false],[false,true]],"redeemed_before":1,"uri":"CLEARCHAT:1X"}"#,
    );
    reads_back(&Request::Link, Response::Invite(view.clone()));
    let request = Request::Invite {
        name: String::new(),
    };
    reads_back(&request, Response::Invite(view));
}

#[test]
fn redemption_and_join() {
    let r = Redemption {
        label: "Betty".into(),
        by_device: id("cd34"),
    };
    pinned(&r, r#"{"by_device":"<cd34>","label":"Betty"}"#);
    reads_back(&Request::WaitRedeemed { after: 0 }, Response::Redeemed(r));
    let join = Request::Join { code: "X".into() };
    let linked = Redeemed::Linked {
        person_name: "Amy".into(),
    };
    let linked = Joined::from(linked);
    pinned(&linked, r#"{"kind":"linked","person_name":"Amy"}"#);
    reads_back(&join, Response::Joined(linked));
    let buddy = Redeemed::Buddy {
        buddy_id: id("ab12"),
        name: "Betty".into(),
    };
    let buddy = Joined::from(buddy);
    pinned(
        &buddy,
        r#"{"buddy_id":"<ab12>","kind":"buddy","name":"Betty"}"#,
    );
    reads_back(&join, Response::Joined(buddy));
}

#[test]
fn buddies_messages_devices() {
    let view = MessageView::from(message());
    pinned(
        &view,
        r#"{"device":"<ab12>","from":"Betty","id":"<ab12>-3","sent_at":1700000000123,"state":"delivered","text":"hi \"Amy\""}"#,
    );
    let send = Request::Send {
        buddy: "Betty".into(),
        text: "hi".into(),
    };
    reads_back(&send, Response::Sent(view.clone()));
    let messages = Request::Messages {
        buddy: "Betty".into(),
        limit: 1,
    };
    reads_back(&messages, Response::Messages(vec![view]));
    let mut buddy = Buddy {
        id: id("ab12"),
        name: "Betty".into(),
        online: true,
        reach: Reach::Direct,
        unread: 2,
        last_message: Some(message()),
        shares_code_with: None,
    };
    pinned(
        &BuddyView::from(buddy.clone()),
        r#"{"id":"<ab12>","last_message":{"device":"<ab12>","from":"Betty","id":"<ab12>-3","sent_at":1700000000123,"state":"delivered","text":"hi \"Amy\""},"name":"Betty","online":true,"reach":"direct","unread":2}"#,
    );
    reads_back(
        &Request::Buddies,
        Response::Buddies(vec![BuddyView::from(buddy.clone())]),
    );
    buddy.last_message = None;
    pinned(
        &BuddyView::from(buddy),
        r#"{"id":"<ab12>","last_message":null,"name":"Betty","online":true,"reach":"direct","unread":2}"#,
    );
    let device = Device {
        id: id("cd34"),
        name: "Amy phone".into(),
        person: "Amy".into(),
        me: false,
        online: false,
        reach: Reach::Via(id("ab12")),
        revoked: false,
        last_seen: Some(1_700_000_000),
    };
    let view = DeviceView::from(device);
    pinned(
        &view,
        r#"{"id":"<cd34>","last_seen":1700000000,"me":false,"name":"Amy phone","online":false,"person":"Amy","reach":{"via":"<ab12>"}}"#,
    );
    reads_back(&Request::Devices, Response::Devices(vec![view]));
}

#[test]
fn envelopes() {
    pinned(&Reply::Ok(Response::Done), r#"{"ok":null}"#);
    pinned(&Reply::Ok(Response::Buddies(Vec::new())), r#"{"ok":[]}"#);
    pinned(
        &Reply::<Response>::Error("unknown buddy".into()),
        r#"{"error":"unknown buddy"}"#,
    );
    for request in [
        Request::RemoveBuddy {
            buddy: "Betty".into(),
        },
        Request::Unlink {
            device: "cd34".into(),
        },
    ] {
        reads_back(&request, Response::Done);
    }
    let err = Response::read(&Request::Buddies, r#"{"error":"no such thing"}"#).unwrap_err();
    assert_eq!(err.to_string(), "no such thing");
    let err = Response::read(&Request::Buddies, "").unwrap_err();
    assert!(matches!(err, crate::error::Error::HolderClosed), "{err}");
    let err = Response::read(&Request::Buddies, r#"{"ok":{"device_id":"x"}}"#).unwrap_err();
    assert!(matches!(err, crate::error::Error::BadReply { .. }), "{err}");
    // A record whose id is not a whole id is no answer either.
    let devices = r#"{"ok":[{"id":"ID","last_seen":null,"me":false,"name":"Amy phone","online":false,"person":"Amy","reach":{"via":"<ab12>"}}]}"#;
    let whole = ids_in(&devices.replace("ID", "<cd34>"));
    assert!(Response::read(&Request::Devices, &whole).is_ok(), "{whole}");
    let err = Response::read(&Request::Devices, &devices.replace("ID", "cd34")).unwrap_err();
    assert!(matches!(err, crate::error::Error::BadReply { .. }), "{err}");
}

/// The lines of `run --json`, one per event.
#[test]
fn event_lines() {
    use crate::wire::EventLine;
    let cases = [
        (
            Event::MessageAdded {
                buddy_id: id("bb01"),
                message: message(),
            },
            r#"{"event":"message_added","buddy_id":"<bb01>","message":{"device":"<ab12>","from":"Betty","id":"<ab12>-3","sent_at":1700000000123,"state":"delivered","text":"hi \"Amy\""}}"#,
        ),
        (
            Event::MessageStateChanged {
                buddy_id: id("bb01"),
                message_id: MessageId {
                    author: id("ab12"),
                    seq: 3,
                },
                state: MessageState::Read,
            },
            r#"{"event":"message_state","buddy_id":"<bb01>","message_id":"<ab12>-3","state":"read"}"#,
        ),
        (
            Event::ReadUpTo {
                buddy_id: id("bb01"),
                by_me: true,
                up_to: MessageId {
                    author: id("ab12"),
                    seq: 3,
                },
            },
            r#"{"event":"read_up_to","buddy_id":"<bb01>","by_me":true,"up_to":"<ab12>-3"}"#,
        ),
        (
            Event::BuddyAdded {
                buddy_id: id("bb01"),
                name: "Betty".into(),
            },
            r#"{"event":"buddy_added","buddy_id":"<bb01>","name":"Betty"}"#,
        ),
        (
            Event::BuddyRemoved {
                buddy_id: id("bb01"),
            },
            r#"{"event":"buddy_removed","buddy_id":"<bb01>"}"#,
        ),
        (
            Event::DeviceLinked {
                device_id: id("dd01"),
                name: "Amy phone".into(),
            },
            r#"{"event":"device_linked","device_id":"<dd01>","name":"Amy phone"}"#,
        ),
        (
            Event::DeviceRevoked {
                device_id: id("dd01"),
            },
            r#"{"event":"device_revoked","device_id":"<dd01>"}"#,
        ),
        (
            Event::PeerOnline {
                device_id: id("dd01"),
            },
            r#"{"event":"peer_online","device_id":"<dd01>"}"#,
        ),
        (
            Event::PeerOffline {
                device_id: id("dd01"),
            },
            r#"{"event":"peer_offline","device_id":"<dd01>"}"#,
        ),
        (
            Event::ReachChanged {
                device_id: id("dd01"),
                reach: clearchat_core::Reach::Via(id("dd02")),
            },
            r#"{"event":"reach_changed","device_id":"<dd01>","reach":{"via":"<dd02>"}}"#,
        ),
        (
            Event::SyncProgress {
                space_id: id("5501"),
                received: 7,
            },
            r#"{"event":"sync_progress","space_id":"<5501>","received":7}"#,
        ),
        (
            Event::InviteRedeemed {
                label: "Betty".into(),
                by_device: id("dd02"),
            },
            r#"{"event":"invite_redeemed","label":"Betty","by_device":"<dd02>"}"#,
        ),
        (
            Event::ForkDetected {
                device_id: id("dd02"),
                seq: 9,
            },
            r#"{"event":"fork_detected","device_id":"<dd02>","seq":9}"#,
        ),
    ];
    for (event, wire) in cases {
        let line = EventLine::from(event);
        pinned(&line, wire);
        let back: EventLine = serde_json::from_str(&ids_in(wire)).unwrap();
        assert_eq!(back, line);
    }
    let started = EventLine::Started {
        device_id: id("dd01"),
        device_name: "Amy laptop".into(),
        person_name: "Amy".into(),
        listen: vec!["127.0.0.1:4000".into()],
    };
    pinned(
        &started,
        r#"{"event":"started","device_id":"<dd01>","device_name":"Amy laptop","person_name":"Amy","listen":["127.0.0.1:4000"]}"#,
    );
    pinned(&EventLine::Stopped, r#"{"event":"stopped"}"#);
}
