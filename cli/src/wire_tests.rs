//! Pins the JSON of the control socket and of `--json`: every request and every response, byte for byte,
//! so that scripts and a holder of another build keep understanding each other.

use crate::session::{self, Redemption, Request};
use clearchat_core::invite::{Purpose, QrMatrix};
use clearchat_core::{Buddy, Device, Invite, Me, Message, MessageState, Redeemed};

fn message() -> Message {
    Message {
        id: "ab12-3".into(),
        from: "Betty".into(),
        from_me: false,
        device_id: "ab12".into(),
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
        device_id: "ab12".into(),
        device_name: "Amy laptop".into(),
        person_id: "ef56".into(),
        person_name: "Amy".into(),
    };
    let listen = ["127.0.0.1:4000".parse().unwrap()];
    assert_eq!(
        session::me_json(&me, &listen).to_string(),
        r#"{"device_id":"ab12","device_name":"Amy laptop","listen":["127.0.0.1:4000"],"person_id":"ef56","person_name":"Amy"}"#
    );
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
    assert_eq!(
        session::invite_json(&invite, 1).to_string(),
        r#"{"code":"CLEARCHAT1X","expires_at":1700086400,"qr":["10","01"],"redeemed_before":1,"uri":"CLEARCHAT:1X"}"#
    );
}

#[test]
fn redemption_and_join() {
    let r = Redemption {
        label: "Betty".into(),
        by_device: "cd34".into(),
    };
    assert_eq!(
        session::redemption_json(&r).to_string(),
        r#"{"by_device":"cd34","label":"Betty"}"#
    );
    let linked = Redeemed::Linked {
        person_name: "Amy".into(),
    };
    assert_eq!(
        session::joined_json(&linked).to_string(),
        r#"{"kind":"linked","person_name":"Amy"}"#
    );
    let buddy = Redeemed::Buddy {
        buddy_id: "ab12".into(),
        name: "Betty".into(),
    };
    assert_eq!(
        session::joined_json(&buddy).to_string(),
        r#"{"buddy_id":"ab12","kind":"buddy","name":"Betty"}"#
    );
}

#[test]
fn buddies_messages_devices() {
    assert_eq!(
        session::message_json(&message()).to_string(),
        r#"{"device":"ab12","from":"Betty","id":"ab12-3","sent_at":1700000000123,"state":"delivered","text":"hi \"Amy\""}"#
    );
    let mut buddy = Buddy {
        id: "ab12".into(),
        name: "Betty".into(),
        online: true,
        unread: 2,
        last_message: Some(message()),
    };
    assert_eq!(
        session::buddy_json(&buddy).to_string(),
        r#"{"id":"ab12","last_message":{"device":"ab12","from":"Betty","id":"ab12-3","sent_at":1700000000123,"state":"delivered","text":"hi \"Amy\""},"name":"Betty","online":true,"unread":2}"#
    );
    buddy.last_message = None;
    assert_eq!(
        session::buddy_json(&buddy).to_string(),
        r#"{"id":"ab12","last_message":null,"name":"Betty","online":true,"unread":2}"#
    );
    let device = Device {
        id: "cd34".into(),
        name: "Amy phone".into(),
        person: "Amy".into(),
        me: false,
        online: false,
        revoked: false,
        last_seen: Some(1_700_000_000),
    };
    assert_eq!(
        session::device_json(&device).to_string(),
        r#"{"id":"cd34","last_seen":1700000000,"me":false,"name":"Amy phone","online":false,"person":"Amy"}"#
    );
}
