//! Unit tests of the UI's `update()`, without a terminal or a client: keys and focus, each overlay, pastes,
//! slow work and its cancellation, and the conversation kept up to date from events.

use super::conversation::PAGE;
use super::state::{update, Done, Effect, Focus, Input, Overlay, State, Work};
use clearchat_core::invite::{Purpose, QrMatrix};
use clearchat_core::{Buddy, Device, Event, Invite, Message, MessageState, Redeemed};
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

fn buddy(id: &str, name: &str, unread: u64) -> Buddy {
    Buddy {
        id: id.into(),
        name: name.into(),
        online: false,
        unread,
        last_message: None,
    }
}

/// Message `seq` of device `author` at `time`; "me" is the author of mine.
fn message(author: &str, seq: u64, time: u64) -> Message {
    let from_me = author == "me";
    Message {
        id: format!("{author}-{seq}"),
        from: if from_me { "Amy" } else { "Betty" }.into(),
        from_me,
        device_id: author.into(),
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

fn ids(state: &State) -> Vec<String> {
    state
        .conversation
        .messages()
        .iter()
        .map(|m| m.id.clone())
        .collect()
}

fn state_of(m: &State, id: &str) -> MessageState {
    m.conversation
        .messages()
        .iter()
        .find(|x| x.id == id)
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
            buddy: "b1".into(),
            before: None
        }]
    );
    let effects = update(
        &mut state,
        Input::Done(Done::Page {
            buddy: "b1".into(),
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
                buddy: "b1".into(),
                before: None
            },
            Effect::MarkRead { buddy: "b1".into() },
        ]
    );
    assert_eq!(state.buddies[0].unread, 0);
    assert_eq!(state.buddies[1].unread, 1, "only the shown buddy is read");
    assert_eq!(state.conversation.buddy.as_deref(), Some("b1"));
}

#[test]
fn keys_move_the_selection_focus_the_input_and_send() {
    let mut state = loaded(Vec::new());
    assert_eq!(
        update(&mut state, ch('j')),
        [Effect::LoadPage {
            buddy: "c2".into(),
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
            buddy: "b1".into(),
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
        buddy: "b1".into(),
        text: "hello".into(),
        result: Err("a message must not be empty".into()),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state.input, "hello");
    assert!(state.status.error);
    // A send that worked shows at once, and once only when its event follows.
    let sent = message("me", 1, 10);
    let done = Done::Sent {
        buddy: "b1".into(),
        text: "hello".into(),
        result: Ok(sent.clone()),
    };
    update(&mut state, Input::Done(done));
    let event = Event::MessageAdded {
        buddy_id: "b1".into(),
        message: sent,
    };
    assert_eq!(update(&mut state, Input::Event(event)), []);
    assert_eq!(ids(&state), ["me-1"]);
}

#[test]
fn catching_up_does_not_hide_what_just_happened() {
    let mut state = loaded(Vec::new());
    let progress = |n| {
        Input::Event(Event::SyncProgress {
            space_id: "s1".into(),
            received: n,
        })
    };
    update(&mut state, progress(1));
    assert!(state.status.text.contains("catching up: 1"));
    update(&mut state, progress(2));
    assert!(state.status.text.contains("catching up: 2"));
    let added = Event::BuddyAdded {
        buddy_id: "d3".into(),
        name: "Dora".into(),
    };
    update(&mut state, Input::Event(added));
    update(&mut state, progress(3));
    assert_eq!(state.status.text, "new buddy: Dora");
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
        by_device: "d9".into(),
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
            buddy_id: "d4".into(),
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
    let device = |id: &str, name: &str, me: bool, revoked: bool| Device {
        id: id.into(),
        name: name.into(),
        person: "Amy".into(),
        me,
        online: false,
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
    assert_eq!((device.as_str(), name.as_str()), ("d2", "Amy phone"));
    // An online mark of a device in the list changes in place, with no reload.
    let online = Event::PeerOnline {
        device_id: "d2".into(),
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

#[test]
fn new_messages_go_in_order_without_reloading() {
    let mut state = loaded(vec![message("b", 1, 100), message("me", 1, 300)]);
    // Betty's message written before mine but arriving after it goes before it.
    let late = Event::MessageAdded {
        buddy_id: "b1".into(),
        message: message("b", 2, 200),
    };
    assert_eq!(
        update(&mut state, Input::Event(late.clone())),
        [Effect::MarkRead { buddy: "b1".into() }]
    );
    assert_eq!(ids(&state), ["b-1", "b-2", "me-1"]);
    update(&mut state, Input::Event(late));
    assert_eq!(ids(&state), ["b-1", "b-2", "me-1"], "no duplicate");
    // Another buddy's message counts as unread there and touches nothing here.
    let other = Event::MessageAdded {
        buddy_id: "c2".into(),
        message: message("c", 1, 400),
    };
    assert_eq!(update(&mut state, Input::Event(other)), []);
    assert_eq!(state.buddies[1].unread, 1);
    assert_eq!(ids(&state), ["b-1", "b-2", "me-1"]);
    // A message of a buddy the list does not know yet: the list is loaded again.
    let stranger = Event::MessageAdded {
        buddy_id: "x9".into(),
        message: message("x", 1, 500),
    };
    assert_eq!(
        update(&mut state, Input::Event(stranger)),
        [Effect::LoadBuddies]
    );
}

#[test]
fn states_and_read_markers_change_messages_in_place() {
    let mut state = loaded(vec![
        message("me", 1, 100),
        message("b", 1, 150),
        message("me", 2, 200),
        message("me", 3, 300),
    ]);
    let delivered = Event::MessageStateChanged {
        buddy_id: "b1".into(),
        message_id: "me-3".into(),
        state: MessageState::Delivered,
    };
    assert_eq!(update(&mut state, Input::Event(delivered)), []);
    assert_eq!(state_of(&state, "me-3"), MessageState::Delivered);
    let read = Event::ReadUpTo {
        buddy_id: "b1".into(),
        by_me: false,
        up_to: "me-2".into(),
    };
    assert_eq!(update(&mut state, Input::Event(read)), []);
    assert_eq!(state_of(&state, "me-1"), MessageState::Read);
    assert_eq!(state_of(&state, "me-2"), MessageState::Read);
    assert_eq!(state_of(&state, "me-3"), MessageState::Delivered);
    assert_eq!(state_of(&state, "b-1"), MessageState::Delivered, "not mine");
    // A state never goes back.
    let sent = Event::MessageStateChanged {
        buddy_id: "b1".into(),
        message_id: "me-1".into(),
        state: MessageState::Sent,
    };
    update(&mut state, Input::Event(sent));
    assert_eq!(state_of(&state, "me-1"), MessageState::Read);
    // A marker on a message the window does not have changes nothing and loads nothing.
    let ahead = Event::ReadUpTo {
        buddy_id: "b1".into(),
        by_me: false,
        up_to: "me-9".into(),
    };
    assert_eq!(update(&mut state, Input::Event(ahead)), []);
    assert_eq!(state_of(&state, "me-3"), MessageState::Delivered);
}

#[test]
fn changes_before_the_first_page_are_applied_to_it() {
    let mut state = loaded(Vec::new());
    update(&mut state, ch('j'));
    assert!(!state.conversation.loaded);
    for event in [
        Event::ReadUpTo {
            buddy_id: "c2".into(),
            by_me: false,
            up_to: "me-2".into(),
        },
        Event::MessageStateChanged {
            buddy_id: "c2".into(),
            message_id: "me-3".into(),
            state: MessageState::Delivered,
        },
    ] {
        assert_eq!(update(&mut state, Input::Event(event)), []);
    }
    // The page was read from the store before those changes.
    let page = (1..=4).map(|seq| message("me", seq, seq * 10)).collect();
    let done = Done::Page {
        buddy: "c2".into(),
        older: false,
        page: Ok(page),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state_of(&state, "me-1"), MessageState::Read);
    assert_eq!(state_of(&state, "me-2"), MessageState::Read);
    assert_eq!(state_of(&state, "me-3"), MessageState::Delivered);
    assert_eq!(state_of(&state, "me-4"), MessageState::Sent);
}

#[test]
fn my_read_marker_from_another_device_clears_unread() {
    let mut state = loaded(Vec::new());
    let news = Event::MessageAdded {
        buddy_id: "c2".into(),
        message: message("c", 1, 100),
    };
    update(&mut state, Input::Event(news));
    let news = Event::MessageAdded {
        buddy_id: "c2".into(),
        message: message("c", 2, 200),
    };
    update(&mut state, Input::Event(news));
    assert_eq!(state.buddies[1].unread, 2);
    let read = Event::ReadUpTo {
        buddy_id: "c2".into(),
        by_me: true,
        up_to: "c-2".into(),
    };
    assert_eq!(update(&mut state, Input::Event(read)), []);
    assert_eq!(state.buddies[1].unread, 0);
    // Read up to an older one of a conversation not shown: only the core can count.
    let news = Event::MessageAdded {
        buddy_id: "c2".into(),
        message: message("c", 3, 300),
    };
    update(&mut state, Input::Event(news));
    let read = Event::ReadUpTo {
        buddy_id: "c2".into(),
        by_me: true,
        up_to: "c-2".into(),
    };
    assert_eq!(
        update(&mut state, Input::Event(read)),
        [Effect::LoadBuddies]
    );
}

#[test]
fn buddies_come_and_go_with_one_list_load_at_a_time() {
    let (mut state, _) = State::new();
    update(&mut state, Input::Done(Done::Buddies(Ok(Vec::new()))));
    let added = |id: &str, name: &str| Event::BuddyAdded {
        buddy_id: id.into(),
        name: name.into(),
    };
    let effects = update(&mut state, Input::Event(added("b1", "Betty")));
    assert_eq!(
        effects,
        [
            Effect::LoadPage {
                buddy: "b1".into(),
                before: None
            },
            Effect::LoadBuddies
        ]
    );
    assert_eq!(state.buddy().map(|b| b.name.as_str()), Some("Betty"));
    assert!(state.status.text.contains("new buddy: Betty"));
    // While the list loads, more changes only mark it stale.
    assert_eq!(update(&mut state, Input::Event(added("c2", "Carl"))), []);
    let online = Event::PeerOnline {
        device_id: "cd".into(),
    };
    assert_eq!(update(&mut state, Input::Event(online)), []);
    let mut carl = buddy("c2", "Carl", 0);
    carl.online = true;
    let list = vec![buddy("b1", "Betty", 0), carl];
    let effects = update(&mut state, Input::Done(Done::Buddies(Ok(list))));
    assert_eq!(
        effects,
        [Effect::LoadBuddies],
        "once more, for what changed"
    );
    assert!(state.buddies[1].online);

    // Removing the shown buddy shows the next one.
    let removed = Event::BuddyRemoved {
        buddy_id: "b1".into(),
    };
    let effects = update(&mut state, Input::Event(removed));
    assert_eq!(
        effects,
        [Effect::LoadPage {
            buddy: "c2".into(),
            before: None
        }]
    );
    assert_eq!(state.buddies.len(), 1);
    assert!(state.status.text.contains("Betty is no longer your buddy"));
    // A page of the conversation no longer shown is dropped.
    let stale = Done::Page {
        buddy: "b1".into(),
        older: false,
        page: Ok(vec![message("b", 1, 1)]),
    };
    update(&mut state, Input::Done(stale));
    assert_eq!(ids(&state), Vec::<String>::new());
}

#[test]
fn page_up_fetches_older_messages_once_until_the_beginning() {
    let newest: Vec<Message> = (100..100 + PAGE as u64)
        .map(|i| message("b", i, i * 10))
        .collect();
    let mut state = loaded(newest);
    assert!(!state.conversation.complete);
    let mut asked = Vec::new();
    for _ in 0..10 {
        asked.extend(update(&mut state, key(KeyCode::PageUp)));
    }
    assert_eq!(
        asked,
        [Effect::LoadPage {
            buddy: "b1".into(),
            before: Some("b-100".into())
        }],
        "one page asked for, however often PageUp is pressed"
    );
    assert!(state.conversation.scroll > 0);
    let older: Vec<Message> = (80..100).map(|i| message("b", i, i * 10)).collect();
    let done = Done::Page {
        buddy: "b1".into(),
        older: true,
        page: Ok(older),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state.conversation.messages().len(), PAGE as usize + 20);
    assert_eq!(ids(&state)[0], "b-80");
    assert!(state.conversation.complete, "a short page is the beginning");
    for _ in 0..10 {
        assert_eq!(update(&mut state, key(KeyCode::PageUp)), []);
    }
    update(&mut state, key(KeyCode::End));
    assert_eq!(state.conversation.scroll, 0);
    assert_eq!(
        state.conversation.visible().len(),
        state.conversation.messages().len()
    );
}

#[test]
fn a_new_message_keeps_a_scrolled_view_where_it_was() {
    let newest: Vec<Message> = (0..30).map(|i| message("b", i, i * 10)).collect();
    let mut state = loaded(newest);
    update(&mut state, key(KeyCode::PageUp));
    let before: Vec<String> = state
        .conversation
        .visible()
        .iter()
        .map(|m| m.id.clone())
        .collect();
    let news = Event::MessageAdded {
        buddy_id: "b1".into(),
        message: message("b", 99, 1000),
    };
    update(&mut state, Input::Event(news));
    let after: Vec<String> = state
        .conversation
        .visible()
        .iter()
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(before, after);
}
