//! Unit tests of the UI's `update()`, without a terminal or a client: keys and focus, each overlay, pastes and
//! slow work here; the buddy list and the conversation kept up to date from events in `events`.

mod events;

use super::state::{update, Done, Effect, Focus, Input, Overlay, State, Work};
use crate::test_ids as id;
use clearchat_core::{
    Buddy, Device, Event, Invite, Message, MessageId, MessageState, Purpose, QrMatrix, Redeemed,
};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Input {
    key(KeyCode::Char(c))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        assert_eq!(update(state, ch(c)), []);
    }
}

/// Buddy `name`, whose id is made from `short`.
fn buddy(short: &str, name: &str, unread: u64) -> Buddy {
    Buddy {
        id: id::buddy(short),
        name: name.into(),
        online: false,
        reach: clearchat_core::Reach::Unknown,
        unread,
        last_message: None,
        shares_code_with: None,
    }
}

/// Message `seq` of device `author` at `time`; "me" is the author of mine.
fn message(author: &str, seq: u64, time: u64) -> Message {
    let from_me = author == "me";
    Message {
        id: id::message(author, seq),
        from: if from_me { "Amy" } else { "Betty" }.into(),
        from_me,
        device_id: id::device(author),
        text: format!("{author} {seq}"),
        sent_at: time,
        state: if from_me {
            MessageState::Sent
        } else {
            MessageState::Delivered
        },
        reply_to: None,
    }
}

fn ids(state: &State) -> Vec<MessageId> {
    state.conversation.messages().iter().map(|m| m.id).collect()
}

fn state_of(m: &State, message: MessageId) -> MessageState {
    m.conversation
        .messages()
        .iter()
        .find(|x| x.id == message)
        .map(|x| x.state)
        .expect("the message is in the window")
}

/// A UI with buddies Betty (b1) and Carl (c2) loaded, Betty's conversation shown with `page`.
fn loaded(page: Vec<Message>) -> State {
    let (mut state, effects) = State::new();
    assert_eq!(effects, [Effect::LoadMe, Effect::LoadBuddies]);
    let list = vec![buddy("b1", "Betty", 0), buddy("c2", "Carl", 0)];
    let effects = update(&mut state, Input::Done(Done::Buddies(Ok(list))));
    assert_eq!(
        effects,
        [Effect::LoadPage {
            buddy: id::buddy("b1"),
            before: None
        }]
    );
    let effects = update(
        &mut state,
        Input::Done(Done::Page {
            buddy: id::buddy("b1"),
            older: false,
            page: Ok(page),
        }),
    );
    assert_eq!(effects, []);
    state
}

fn invite(purpose: Purpose) -> Invite {
    Invite {
        code: "CLEARCHAT1CODE".into(),
        uri: "CLEARCHAT:1CODE".into(),
        qr: QrMatrix {
            width: 2,
            modules: vec![true, false, false, true],
        },
        purpose,
        expires_at: 0,
    }
}

#[test]
fn first_load_selects_the_first_buddy_and_marks_it_read() {
    let (mut state, _) = State::new();
    let list = vec![buddy("b1", "Betty", 3), buddy("c2", "Carl", 1)];
    let effects = update(&mut state, Input::Done(Done::Buddies(Ok(list))));
    assert_eq!(
        effects,
        [
            Effect::LoadPage {
                buddy: id::buddy("b1"),
                before: None
            },
            Effect::MarkRead {
                buddy: id::buddy("b1")
            },
        ]
    );
    assert_eq!(state.buddies[0].unread, 0);
    assert_eq!(state.buddies[1].unread, 1, "only the shown buddy is read");
    assert_eq!(state.conversation.buddy, Some(id::buddy("b1")));
}

#[test]
fn keys_move_the_selection_focus_the_input_and_send() {
    let mut state = loaded(Vec::new());
    assert_eq!(
        update(&mut state, ch('j')),
        [Effect::LoadPage {
            buddy: id::buddy("c2"),
            before: None
        }]
    );
    assert_eq!(state.buddy().map(|b| b.name.as_str()), Some("Carl"));
    assert_eq!(update(&mut state, ch('j')), [], "the last buddy stays");
    update(&mut state, key(KeyCode::Up));
    assert_eq!(state.selected, 0);

    update(&mut state, key(KeyCode::Enter));
    assert_eq!(state.focus, Focus::Input);
    typed(&mut state, "hi q?");
    assert!(!state.quit, "q is text in the input line");
    assert!(state.overlay.is_none(), "? is text in the input line");
    update(&mut state, key(KeyCode::Backspace));
    assert_eq!(state.input, "hi q");
    assert_eq!(
        update(&mut state, key(KeyCode::Enter)),
        [Effect::Send {
            buddy: id::buddy("b1"),
            text: "hi q".into()
        }]
    );
    assert_eq!(state.input, "");
    assert_eq!(
        update(&mut state, key(KeyCode::Enter)),
        [],
        "nothing to send"
    );
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.focus, Focus::Buddies);
    update(&mut state, ch('q'));
    assert!(state.quit);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut state = loaded(Vec::new());
    update(&mut state, ch('p'));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    update(&mut state, Input::Key(ctrl_c));
    assert!(state.quit);
}

#[test]
fn no_buddy_no_input_line() {
    let (mut state, _) = State::new();
    update(&mut state, Input::Done(Done::Buddies(Ok(Vec::new()))));
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(state.focus, Focus::Buddies);
    assert!(state.status.text.contains("no buddy yet"));
}

#[test]
fn a_failed_send_gives_the_text_back() {
    let mut state = loaded(Vec::new());
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "hello");
    update(&mut state, key(KeyCode::Enter));
    let done = Done::Sent {
        buddy: id::buddy("b1"),
        text: "hello".into(),
        result: Err("a message must not be empty".into()),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state.input, "hello");
    assert!(state.status.error);
    // A send that worked shows at once, and once only when its event follows.
    let sent = message("me", 1, 10);
    let done = Done::Sent {
        buddy: id::buddy("b1"),
        text: "hello".into(),
        result: Ok(sent.clone()),
    };
    update(&mut state, Input::Done(done));
    let event = Event::MessageAdded {
        buddy_id: id::buddy("b1"),
        message: sent,
    };
    assert_eq!(update(&mut state, Input::Event(event)), []);
    assert_eq!(ids(&state), [id::message("me", 1)]);
}

#[test]
fn help_and_qr_overlays_close_with_esc() {
    let mut state = loaded(Vec::new());
    update(&mut state, ch('?'));
    assert_eq!(state.overlay, Some(Overlay::Help));
    update(&mut state, ch('x'));
    assert_eq!(state.overlay, Some(Overlay::Help));
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.overlay, None);
}

#[test]
fn an_invite_is_made_in_the_background_and_closes_when_redeemed() {
    let mut state = loaded(Vec::new());
    let effects = update(&mut state, ch('l'));
    let [Effect::CreateInvite { ticket, link: true }] = effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        state.working.as_ref().map(|w| &w.work),
        Some(&Work::Inviting { link: true })
    );
    // Keys still work while the code is made.
    update(&mut state, ch('j'));
    assert_eq!(state.selected, 1);
    let done = Done::Invite {
        ticket,
        link: true,
        result: Ok(invite(Purpose::Link)),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state.working, None);
    let Some(Overlay::Qr { link, rows, code }) = &state.overlay else {
        panic!("{:?}", state.overlay)
    };
    assert!(*link);
    assert_eq!(rows, &[vec![true, false], vec![false, true]]);
    assert_eq!(code, "CLEARCHAT1CODE");
    let event = Event::InviteRedeemed {
        label: String::new(),
        by_device: id::device("d9"),
    };
    update(&mut state, Input::Event(event));
    assert_eq!(state.overlay, None);
    assert!(state.status.text.contains("redeemed"));
}

#[test]
fn paste_a_code_then_join_while_the_ui_stays_live() {
    let mut state = loaded(Vec::new());
    update(&mut state, ch('p'));
    // A code that an SMS broke over two lines arrives whole, without the breaks.
    update(&mut state, Input::Paste("CLEARCHAT1AB\r\nCD EF\n".into()));
    typed(&mut state, "G");
    let Some(Overlay::Paste { input, .. }) = &state.overlay else {
        panic!("{:?}", state.overlay)
    };
    assert_eq!(input, "CLEARCHAT1ABCDEFG");
    let effects = update(&mut state, key(KeyCode::Enter));
    let [Effect::Redeem { ticket, ref code }] = effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(code, "CLEARCHAT1ABCDEFG");
    assert_eq!(state.overlay, None);
    assert_eq!(
        state.working.as_ref().map(|w| &w.work),
        Some(&Work::Joining)
    );

    // Waiting: help opens and closes, another slow call is refused with a sentence.
    update(&mut state, ch('?'));
    assert_eq!(state.overlay, Some(Overlay::Help));
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(update(&mut state, ch('a')), []);
    assert!(state.status.text.contains("still joining"));

    // The inviter could not be reached: the code comes back with the reason.
    let done = Done::Redeemed {
        ticket,
        code: code.clone(),
        result: Err("the inviting device could not be reached: timed out".into()),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state.working, None);
    assert_eq!(
        state.overlay,
        Some(Overlay::Paste {
            input: "CLEARCHAT1ABCDEFG".into(),
            error: Some("the inviting device could not be reached: timed out".into())
        })
    );
}

#[test]
fn esc_stops_waiting_and_only_a_late_success_is_told() {
    let mut state = loaded(Vec::new());
    update(&mut state, ch('p'));
    typed(&mut state, "CLEARCHAT1X");
    let effects = update(&mut state, key(KeyCode::Enter));
    let [Effect::Redeem { ticket, .. }] = effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(update(&mut state, key(KeyCode::Esc)), []);
    assert_eq!(state.working, None);
    assert!(state.status.text.contains("stopped waiting"));
    let done = Done::Redeemed {
        ticket,
        code: "CLEARCHAT1X".into(),
        result: Err("too late".into()),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state.overlay, None);
    assert!(!state.status.text.contains("too late"));
    // A late success is still news.
    let done = Done::Redeemed {
        ticket,
        code: "CLEARCHAT1X".into(),
        result: Ok(Redeemed::Buddy {
            buddy_id: id::buddy("d4"),
            name: "Dora".into(),
        }),
    };
    assert_eq!(update(&mut state, Input::Done(done)), [Effect::LoadBuddies]);
    assert_eq!(state.status.text, "Dora is now your buddy");
}

#[test]
fn a_joined_buddy_or_link_reloads_what_it_changed() {
    let mut state = loaded(Vec::new());
    update(&mut state, ch('p'));
    typed(&mut state, "CLEARCHAT1X");
    let [Effect::Redeem { ticket, .. }] = update(&mut state, key(KeyCode::Enter))[..] else {
        panic!()
    };
    let done = Done::Redeemed {
        ticket,
        code: "CLEARCHAT1X".into(),
        result: Ok(Redeemed::Linked {
            person_name: "Amy".into(),
        }),
    };
    let effects = update(&mut state, Input::Done(done));
    assert_eq!(effects, [Effect::LoadMe, Effect::LoadBuddies]);
    assert!(state.status.text.contains("a device of Amy"));
}

#[test]
fn pastes_into_the_message_line_and_on_the_main_screen() {
    let mut state = loaded(Vec::new());
    // On the buddy list a paste is a code to join with.
    update(&mut state, Input::Paste(" AEAQC-\nXYZ23 ".into()));
    assert_eq!(
        state.overlay,
        Some(Overlay::Paste {
            input: "AEAQC-XYZ23".into(),
            error: None
        })
    );
    update(&mut state, key(KeyCode::Esc));
    // Over help (or a QR code, or the devices) a paste means nothing.
    update(&mut state, ch('?'));
    update(&mut state, Input::Paste("text".into()));
    assert_eq!(state.overlay, Some(Overlay::Help));
    update(&mut state, key(KeyCode::Esc));
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "a");
    // Lines of a pasted text stay in the one input line; nothing is sent by the paste.
    let effects = update(&mut state, Input::Paste("b\r\nc\nd".into()));
    assert_eq!(effects, []);
    assert_eq!(state.input, "ab c d");
}

#[test]
fn devices_overlay_unlinks_after_confirmation_and_tracks_online_marks() {
    let mut state = loaded(Vec::new());
    assert_eq!(update(&mut state, ch('d')), [Effect::LoadDevices]);
    let device = |short: &str, name: &str, me: bool, revoked: bool| Device {
        id: id::device(short),
        name: name.into(),
        person: "Amy".into(),
        me,
        online: false,
        reach: clearchat_core::Reach::Unknown,
        revoked,
        last_seen: None,
    };
    let list = vec![
        device("d1", "Amy laptop", true, false),
        device("d0", "Old phone", false, true),
        device("d2", "Amy phone", false, false),
    ];
    update(&mut state, Input::Done(Done::Devices(Ok(list))));
    update(&mut state, ch('u'));
    assert!(state.status.error, "this device cannot be unlinked here");
    update(&mut state, ch('j'));
    update(&mut state, ch('u'));
    let Some(Overlay::Devices {
        list,
        selected: 1,
        confirm: true,
    }) = &state.overlay
    else {
        panic!("{:?}", state.overlay)
    };
    assert_eq!(list.len(), 2, "unlinked devices are not listed");
    let effects = update(&mut state, ch('y'));
    let [Effect::Unlink {
        ticket,
        ref device,
        ref name,
    }] = effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!((*device, name.as_str()), (id::device("d2"), "Amy phone"));
    // An online mark of a device in the list changes in place, with no reload.
    let online = Event::PeerOnline {
        device_id: id::device("d2"),
    };
    assert_eq!(update(&mut state, Input::Event(online)), []);
    let Some(Overlay::Devices { list, .. }) = &state.overlay else {
        panic!()
    };
    assert!(list[1].online);
    let done = Done::Unlinked {
        ticket,
        name: "Amy phone".into(),
        result: Ok(()),
    };
    assert_eq!(update(&mut state, Input::Done(done)), [Effect::LoadDevices]);
    assert!(state.status.text.contains("Amy phone unlinked"));
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.overlay, None);
}
