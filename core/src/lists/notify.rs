//! What deserves a notification, decided in the core so every shell shows the same: a pure policy over one
//! event and what the person sees ([`notification_for`]), and a task that applies it to the engine's events, one
//! notification per buddy per burst, for the shells to render.

use super::Shell;
use crate::chat::{self, Event, Message, MessageState};
use crate::engine::{Engine, Subscription};
use crate::ids::BuddyId;
use std::sync::Arc;
use tokio::sync::watch;

/// What a shell shows or takes down.
#[derive(Clone, Debug, PartialEq)]
pub enum Notification {
    /// New messages from a buddy, oldest first: those of one burst (at most [`MAX_LINES`], the newest).
    Message {
        buddy_id: BuddyId,
        buddy_name: String,
        messages: Vec<Message>,
    },
    /// The conversation was read (on any of my devices) or the buddy removed (`removed`): take its
    /// notification down.
    Cancel { buddy_id: BuddyId, removed: bool },
}

/// The policy. `buddy_name` is the buddy's name if the buddy is still mine (None after removal). A message
/// deserves a notification unless it is my own (from any of my devices), already read (on another device
/// of mine), from a removed buddy, or in the conversation on screen in the foreground. My reading a
/// conversation, or removing a buddy, takes its notification down.
pub fn notification_for(
    event: &Event,
    shell: &Shell,
    buddy_name: Option<&str>,
) -> Option<Notification> {
    match event {
        Event::MessageAdded { buddy_id, message } => {
            if message.from_me || message.state == MessageState::Read || shell.shows(buddy_id) {
                return None;
            }
            Some(Notification::Message {
                buddy_id: *buddy_id,
                buddy_name: buddy_name?.to_string(),
                messages: vec![message.clone()],
            })
        }
        Event::ReadUpTo {
            buddy_id,
            by_me: true,
            ..
        } => Some(Notification::Cancel {
            buddy_id: *buddy_id,
            removed: false,
        }),
        Event::BuddyRemoved { buddy_id } => Some(Notification::Cancel {
            buddy_id: *buddy_id,
            removed: true,
        }),
        _ => None,
    }
}

/// The most messages one notification carries (Android's MessagingStyle keeps 25).
pub const MAX_LINES: usize = 25;

/// Folds a burst's notifications: per buddy, the last word wins (a cancel after messages takes them down,
/// messages after a cancel show again), and messages add up into one, keeping the newest [`MAX_LINES`].
pub fn coalesce(burst: Vec<Notification>) -> Vec<Notification> {
    let mut out: Vec<Notification> = Vec::new();
    for n in burst {
        let buddy = match &n {
            Notification::Message { buddy_id, .. } | Notification::Cancel { buddy_id, .. } => {
                *buddy_id
            }
        };
        let at = out.iter().position(|o| match o {
            Notification::Message { buddy_id, .. } | Notification::Cancel { buddy_id, .. } => {
                *buddy_id == buddy
            }
        });
        let Some(at) = at else {
            out.push(n);
            continue;
        };
        let earlier = out.remove(at);
        out.push(match (earlier, n) {
            (
                Notification::Message {
                    messages: mut before,
                    ..
                },
                Notification::Message {
                    buddy_id,
                    buddy_name,
                    messages,
                },
            ) => {
                before.extend(messages);
                let excess = before.len().saturating_sub(MAX_LINES);
                before.drain(..excess);
                Notification::Message {
                    buddy_id,
                    buddy_name,
                    messages: before,
                }
            }
            (_, later) => later,
        });
    }
    out
}

/// The stream of notifications of one client, in order; dropping it stops the task that makes them.
pub struct Notifications {
    rx: tokio::sync::mpsc::Receiver<Notification>,
    task: tokio::task::JoinHandle<()>,
}

/// Notifications a slow shell may leave waiting; beyond, new ones are dropped (the next burst brings the
/// buddy's newest again).
const WAITING: usize = 256;

impl Notifications {
    pub(crate) fn start(
        engine: Arc<Engine>,
        shell: watch::Receiver<Shell>,
        runtime: &tokio::runtime::Handle,
    ) -> Notifications {
        let (tx, rx) = tokio::sync::mpsc::channel(WAITING);
        let events = engine.events.subscribe();
        let task = runtime.spawn(run(engine, events, shell, tx));
        Notifications { rx, task }
    }

    /// The next notification; None once the client is gone.
    pub async fn next(&mut self) -> Option<Notification> {
        self.rx.recv().await
    }

    pub fn try_next(&mut self) -> Option<Notification> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    engine: Arc<Engine>,
    mut events: Subscription<Event>,
    shell: watch::Receiver<Shell>,
    tx: tokio::sync::mpsc::Sender<Notification>,
) {
    while let Some(first) = events.next().await {
        let mut burst = vec![first];
        while let Some(more) = events.try_next() {
            burst.push(more);
        }
        let seen = shell.borrow().clone();
        let decided = crate::blocking(|| {
            let c = engine.store.read().ok()?;
            let me = engine.person();
            let name = |buddy: &BuddyId| {
                chat::buddy_space(&c, buddy).ok()?;
                chat::buddy_person(&c, &buddy.space(), &me)
                    .ok()
                    .flatten()
                    .map(|(_, name)| name)
            };
            Some(
                burst
                    .iter()
                    .filter_map(|e| {
                        let buddy_name = match e {
                            Event::MessageAdded { buddy_id, message }
                                if !message.from_me && !seen.shows(buddy_id) =>
                            {
                                name(buddy_id)
                            }
                            _ => None,
                        };
                        notification_for(e, &seen, buddy_name.as_deref())
                    })
                    .collect::<Vec<_>>(),
            )
        });
        for n in coalesce(decided.unwrap_or_default()) {
            if tx.try_send(n).is_err() && tx.is_closed() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeviceId, MessageId};

    fn buddy(n: u8) -> BuddyId {
        BuddyId([n; 32])
    }

    fn message(from_me: bool, state: MessageState, seq: u64) -> Message {
        Message {
            id: MessageId {
                author: DeviceId([9; 32]),
                seq,
            },
            from: "Betty".into(),
            from_me,
            device_id: DeviceId([9; 32]),
            text: "hi".into(),
            sent_at: 1_000 + seq,
            state,
            reply_to: None,
        }
    }

    fn added(b: u8, m: Message) -> Event {
        Event::MessageAdded {
            buddy_id: buddy(b),
            message: m,
        }
    }

    fn shell(foreground: bool, visible: Option<u8>) -> Shell {
        Shell {
            foreground,
            visible: visible.map(buddy),
        }
    }

    #[test]
    fn a_message_from_a_buddy_is_notified_when_not_in_front_of_me() {
        let event = added(1, message(false, MessageState::Delivered, 1));
        for seen in [
            shell(false, None),
            shell(false, Some(1)),
            shell(true, None),
            shell(true, Some(2)),
        ] {
            assert!(
                matches!(
                    notification_for(&event, &seen, Some("Betty")),
                    Some(Notification::Message { ref buddy_name, ref messages, .. }) if buddy_name == "Betty" && messages.len() == 1
                ),
                "{seen:?}"
            );
        }
    }

    #[test]
    fn the_conversation_open_in_the_foreground_is_not_notified() {
        let event = added(1, message(false, MessageState::Delivered, 1));
        assert_eq!(
            notification_for(&event, &shell(true, Some(1)), Some("Betty")),
            None
        );
    }

    #[test]
    fn my_own_messages_and_messages_read_elsewhere_are_never_notified() {
        let seen = shell(false, None);
        for state in [
            MessageState::Pending,
            MessageState::Sent,
            MessageState::Delivered,
            MessageState::Read,
        ] {
            assert_eq!(
                notification_for(&added(1, message(true, state, 1)), &seen, Some("Betty")),
                None
            );
        }
        let read = added(1, message(false, MessageState::Read, 1));
        assert_eq!(notification_for(&read, &seen, Some("Betty")), None);
    }

    #[test]
    fn a_removed_buddy_is_not_notified_and_removal_takes_the_notification_down() {
        let event = added(1, message(false, MessageState::Delivered, 1));
        assert_eq!(notification_for(&event, &shell(false, None), None), None);
        assert_eq!(
            notification_for(
                &Event::BuddyRemoved { buddy_id: buddy(1) },
                &shell(false, None),
                None
            ),
            Some(Notification::Cancel {
                buddy_id: buddy(1),
                removed: true
            })
        );
    }

    #[test]
    fn reading_on_any_of_my_devices_cancels_and_the_buddy_reading_does_not() {
        let read = |by_me| Event::ReadUpTo {
            buddy_id: buddy(1),
            by_me,
            up_to: message(false, MessageState::Read, 1).id,
        };
        assert_eq!(
            notification_for(&read(true), &shell(false, None), Some("Betty")),
            Some(Notification::Cancel {
                buddy_id: buddy(1),
                removed: false
            })
        );
        assert_eq!(
            notification_for(&read(false), &shell(false, None), Some("Betty")),
            None
        );
        let online = Event::PeerOnline {
            device_id: DeviceId([3; 32]),
        };
        assert_eq!(
            notification_for(&online, &shell(false, None), Some("Betty")),
            None
        );
    }

    #[test]
    fn a_burst_makes_one_notification_per_buddy_with_the_newest_and_the_last_word_wins() {
        let seen = shell(false, None);
        let burst: Vec<Notification> = [
            added(1, message(false, MessageState::Delivered, 1)),
            added(2, message(false, MessageState::Delivered, 2)),
            added(1, message(false, MessageState::Delivered, 3)),
            Event::BuddyRemoved { buddy_id: buddy(2) },
        ]
        .iter()
        .filter_map(|e| notification_for(e, &seen, Some("Betty")))
        .collect();
        let out = coalesce(burst);
        assert_eq!(out.len(), 2);
        assert!(matches!(
            &out[0],
            Notification::Message { buddy_id, messages, .. } if *buddy_id == buddy(1) && messages.iter().map(|m| m.id.seq).collect::<Vec<_>>() == [1, 3]
        ));
        assert_eq!(
            out[1],
            Notification::Cancel {
                buddy_id: buddy(2),
                removed: true
            }
        );
        let then_read = coalesce(vec![
            out[0].clone(),
            Notification::Cancel {
                buddy_id: buddy(1),
                removed: false,
            },
        ]);
        assert_eq!(
            then_read,
            vec![Notification::Cancel {
                buddy_id: buddy(1),
                removed: false
            }]
        );
    }
}
