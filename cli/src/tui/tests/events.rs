//! `update()` with core events and loads: messages inserted in order, states and read markers in place, the
//! buddy list loaded once at a time, older pages on PageUp, and the status line.

use super::{buddy, ch, id, ids, key, loaded, message, state_of};
use crate::tui::conversation::PAGE;
use crate::tui::state::{update, Done, Effect, Input, State};
use clearchat_core::{Event, Message, MessageId, MessageState};
use ratatui::crossterm::event::KeyCode;

#[test]
fn catching_up_does_not_hide_what_just_happened() {
    let mut state = loaded(Vec::new());
    let progress = |n| {
        Input::Event(Event::SyncProgress {
            space_id: id::space("s1"),
            received: n,
        })
    };
    update(&mut state, progress(1));
    assert!(state.status.text.contains("catching up: 1"));
    update(&mut state, progress(2));
    assert!(state.status.text.contains("catching up: 2"));
    let added = Event::BuddyAdded {
        buddy_id: id::buddy("d3"),
        name: "Dora".into(),
    };
    update(&mut state, Input::Event(added));
    update(&mut state, progress(3));
    assert_eq!(state.status.text, "new buddy: Dora");
}

#[test]
fn new_messages_go_in_order_without_reloading() {
    let mut state = loaded(vec![message("b", 1, 100), message("me", 1, 300)]);
    // Betty's message written before mine but arriving after it goes before it.
    let late = Event::MessageAdded {
        buddy_id: id::buddy("b1"),
        message: message("b", 2, 200),
    };
    assert_eq!(
        update(&mut state, Input::Event(late.clone())),
        [Effect::MarkRead {
            buddy: id::buddy("b1")
        }]
    );
    assert_eq!(
        ids(&state),
        [
            id::message("b", 1),
            id::message("b", 2),
            id::message("me", 1)
        ]
    );
    update(&mut state, Input::Event(late));
    assert_eq!(
        ids(&state),
        [
            id::message("b", 1),
            id::message("b", 2),
            id::message("me", 1)
        ],
        "no duplicate"
    );
    // Another buddy's message counts as unread there and touches nothing here.
    let other = Event::MessageAdded {
        buddy_id: id::buddy("c2"),
        message: message("c", 1, 400),
    };
    assert_eq!(update(&mut state, Input::Event(other)), []);
    assert_eq!(state.buddies[1].unread, 1);
    assert_eq!(
        ids(&state),
        [
            id::message("b", 1),
            id::message("b", 2),
            id::message("me", 1)
        ]
    );
    // A message of a buddy the list does not know yet: the list is loaded again.
    let stranger = Event::MessageAdded {
        buddy_id: id::buddy("x9"),
        message: message("x", 1, 500),
    };
    assert_eq!(
        update(&mut state, Input::Event(stranger)),
        [Effect::LoadBuddies]
    );
}

#[test]
fn messages_of_one_moment_go_by_author_then_seq() {
    // The core's order within one sent_at: the author device's id, then the seq as a number (10 after 9).
    let mut state = loaded(vec![message("b", 9, 100), message("a", 20, 100)]);
    assert_eq!(ids(&state), [id::message("a", 20), id::message("b", 9)]);
    let ten = Event::MessageAdded {
        buddy_id: id::buddy("b1"),
        message: message("b", 10, 100),
    };
    update(&mut state, Input::Event(ten));
    assert_eq!(
        ids(&state),
        [
            id::message("a", 20),
            id::message("b", 9),
            id::message("b", 10)
        ]
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
        buddy_id: id::buddy("b1"),
        message_id: id::message("me", 3),
        state: MessageState::Delivered,
    };
    assert_eq!(update(&mut state, Input::Event(delivered)), []);
    assert_eq!(
        state_of(&state, id::message("me", 3)),
        MessageState::Delivered
    );
    let read = Event::ReadUpTo {
        buddy_id: id::buddy("b1"),
        by_me: false,
        up_to: id::message("me", 2),
    };
    assert_eq!(update(&mut state, Input::Event(read)), []);
    assert_eq!(state_of(&state, id::message("me", 1)), MessageState::Read);
    assert_eq!(state_of(&state, id::message("me", 2)), MessageState::Read);
    assert_eq!(
        state_of(&state, id::message("me", 3)),
        MessageState::Delivered
    );
    assert_eq!(
        state_of(&state, id::message("b", 1)),
        MessageState::Delivered,
        "not mine"
    );
    // A state never goes back.
    let sent = Event::MessageStateChanged {
        buddy_id: id::buddy("b1"),
        message_id: id::message("me", 1),
        state: MessageState::Sent,
    };
    update(&mut state, Input::Event(sent));
    assert_eq!(state_of(&state, id::message("me", 1)), MessageState::Read);
    // A marker on a message the window does not have changes nothing and loads nothing.
    let ahead = Event::ReadUpTo {
        buddy_id: id::buddy("b1"),
        by_me: false,
        up_to: id::message("me", 9),
    };
    assert_eq!(update(&mut state, Input::Event(ahead)), []);
    assert_eq!(
        state_of(&state, id::message("me", 3)),
        MessageState::Delivered
    );
}

#[test]
fn changes_before_the_first_page_are_applied_to_it() {
    let mut state = loaded(Vec::new());
    update(&mut state, ch('j'));
    assert!(!state.conversation.loaded);
    for event in [
        Event::ReadUpTo {
            buddy_id: id::buddy("c2"),
            by_me: false,
            up_to: id::message("me", 2),
        },
        Event::MessageStateChanged {
            buddy_id: id::buddy("c2"),
            message_id: id::message("me", 3),
            state: MessageState::Delivered,
        },
    ] {
        assert_eq!(update(&mut state, Input::Event(event)), []);
    }
    // The page was read from the store before those changes.
    let page = (1..=4).map(|seq| message("me", seq, seq * 10)).collect();
    let done = Done::Page {
        buddy: id::buddy("c2"),
        older: false,
        page: Ok(page),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state_of(&state, id::message("me", 1)), MessageState::Read);
    assert_eq!(state_of(&state, id::message("me", 2)), MessageState::Read);
    assert_eq!(
        state_of(&state, id::message("me", 3)),
        MessageState::Delivered
    );
    assert_eq!(state_of(&state, id::message("me", 4)), MessageState::Sent);
}

#[test]
fn my_read_marker_from_another_device_clears_unread() {
    let mut state = loaded(Vec::new());
    let news = Event::MessageAdded {
        buddy_id: id::buddy("c2"),
        message: message("c", 1, 100),
    };
    update(&mut state, Input::Event(news));
    let news = Event::MessageAdded {
        buddy_id: id::buddy("c2"),
        message: message("c", 2, 200),
    };
    update(&mut state, Input::Event(news));
    assert_eq!(state.buddies[1].unread, 2);
    let read = Event::ReadUpTo {
        buddy_id: id::buddy("c2"),
        by_me: true,
        up_to: id::message("c", 2),
    };
    assert_eq!(update(&mut state, Input::Event(read)), []);
    assert_eq!(state.buddies[1].unread, 0);
    // Read up to an older one of a conversation not shown: only the core can count.
    let news = Event::MessageAdded {
        buddy_id: id::buddy("c2"),
        message: message("c", 3, 300),
    };
    update(&mut state, Input::Event(news));
    let read = Event::ReadUpTo {
        buddy_id: id::buddy("c2"),
        by_me: true,
        up_to: id::message("c", 2),
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
    let added = |short: &str, name: &str| Event::BuddyAdded {
        buddy_id: id::buddy(short),
        name: name.into(),
    };
    let effects = update(&mut state, Input::Event(added("b1", "Betty")));
    assert_eq!(
        effects,
        [
            Effect::LoadPage {
                buddy: id::buddy("b1"),
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
        device_id: id::device("cd"),
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
        buddy_id: id::buddy("b1"),
    };
    let effects = update(&mut state, Input::Event(removed));
    assert_eq!(
        effects,
        [Effect::LoadPage {
            buddy: id::buddy("c2"),
            before: None
        }]
    );
    assert_eq!(state.buddies.len(), 1);
    assert!(state.status.text.contains("Betty is no longer your buddy"));
    // A page of the conversation no longer shown is dropped.
    let stale = Done::Page {
        buddy: id::buddy("b1"),
        older: false,
        page: Ok(vec![message("b", 1, 1)]),
    };
    update(&mut state, Input::Done(stale));
    assert_eq!(ids(&state), Vec::<MessageId>::new());
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
            buddy: id::buddy("b1"),
            before: Some(id::message("b", 100))
        }],
        "one page asked for, however often PageUp is pressed"
    );
    assert!(state.conversation.scroll > 0);
    let older: Vec<Message> = (80..100).map(|i| message("b", i, i * 10)).collect();
    let done = Done::Page {
        buddy: id::buddy("b1"),
        older: true,
        page: Ok(older),
    };
    update(&mut state, Input::Done(done));
    assert_eq!(state.conversation.messages().len(), PAGE as usize + 20);
    assert_eq!(ids(&state)[0], id::message("b", 80));
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
    let before: Vec<MessageId> = state.conversation.visible().iter().map(|m| m.id).collect();
    let news = Event::MessageAdded {
        buddy_id: id::buddy("b1"),
        message: message("b", 99, 1000),
    };
    update(&mut state, Input::Event(news));
    let after: Vec<MessageId> = state.conversation.visible().iter().map(|m| m.id).collect();
    assert_eq!(before, after);
}
