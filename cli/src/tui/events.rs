//! How core events and finished tasks change the UI's [`State`] (part of [`super::state::update`]): the buddy
//! list and the open conversation are updated in place, never reloaded on an event; the buddy list is loaded
//! again only when an event does not say enough (who is online, how many are unread).

use super::conversation::is_after;
use super::state::{Done, Effect, Overlay, State};
use crate::wire::qr_rows;
use clearchat_core::{Buddy, BuddyId, DeviceId, Event, Reach, Redeemed};

pub(super) fn on_event(state: &mut State, event: Event, effects: &mut Vec<Effect>) {
    let shown = |state: &State, buddy: BuddyId| state.conversation.buddy == Some(buddy);
    match event {
        Event::MessageAdded { buddy_id, message } => {
            let Some(index) = state.buddies.iter().position(|b| b.id == buddy_id) else {
                // A buddy this list does not know yet.
                return state.load_buddies(effects);
            };
            let b = &mut state.buddies[index];
            let newest = b
                .last_message
                .as_ref()
                .is_none_or(|last| is_after(&message, last));
            if newest {
                b.last_message = Some(message.clone());
            }
            let from_me = message.from_me;
            if shown(state, buddy_id) {
                state.conversation.insert(message);
                if !from_me {
                    effects.push(Effect::MarkRead { buddy: buddy_id });
                }
            } else if !from_me {
                state.buddies[index].unread += 1;
            }
        }
        Event::MessageStateChanged {
            buddy_id,
            message_id,
            state: delivery,
        } => {
            if shown(state, buddy_id) {
                state.conversation.set_state(message_id, delivery);
            }
            if let Some(last) = state
                .buddies
                .iter_mut()
                .find(|b| b.id == buddy_id)
                .and_then(|b| b.last_message.as_mut())
                .filter(|m| m.id == message_id)
            {
                last.state = last.state.max(delivery);
            }
        }
        Event::ReadUpTo {
            buddy_id,
            by_me,
            up_to,
        } => {
            let here = shown(state, buddy_id) && state.conversation.read_up_to(by_me, up_to);
            if by_me {
                let unread = match state.buddies.iter().find(|b| b.id == buddy_id) {
                    Some(b) if b.last_message.as_ref().is_some_and(|m| m.id == up_to) => Some(0),
                    Some(_) if here => state.conversation.unread_after(up_to),
                    _ => None,
                };
                match (unread, state.buddies.iter_mut().find(|b| b.id == buddy_id)) {
                    (Some(n), Some(b)) => b.unread = n,
                    _ => state.load_buddies(effects),
                }
            }
        }
        Event::BuddyAdded { buddy_id, name } => {
            state.say(format!("new buddy: {name}"));
            if !state.buddies.iter().any(|b| b.id == buddy_id) {
                state.buddies.push(Buddy {
                    id: buddy_id,
                    name,
                    online: false,
                    reach: clearchat_core::Reach::Unknown,
                    unread: 0,
                    last_message: None,
                    shares_code_with: None,
                });
                let selected = state.selected;
                state.select(selected, effects);
            }
            // Whether the buddy is online, and the list's order, come from the core.
            state.load_buddies(effects);
        }
        Event::BuddyRemoved { buddy_id } => {
            if let Some(index) = state.buddies.iter().position(|b| b.id == buddy_id) {
                let name = state.buddies.remove(index).name;
                state.say(format!("{name} is no longer your buddy"));
                let selected = if index < state.selected {
                    state.selected - 1
                } else {
                    state.selected
                };
                state.select(selected, effects);
            }
        }
        Event::PeerOnline { device_id } => peer(state, device_id, true, effects),
        Event::PeerOffline { device_id } => peer(state, device_id, false, effects),
        Event::ReachChanged { device_id, reach } => reached(state, device_id, reach, effects),
        Event::DeviceLinked { .. } | Event::DeviceRevoked { .. } => {
            state.say(crate::render::event_human(&event));
            if matches!(state.overlay, Some(Overlay::Devices { .. })) {
                effects.push(Effect::LoadDevices);
            }
        }
        Event::InviteRedeemed { .. } => {
            if matches!(state.overlay, Some(Overlay::Qr { .. })) {
                state.overlay = None;
            }
            state.say(crate::render::event_human(&event));
        }
        Event::SyncProgress { .. } => state.note(crate::render::event_human(&event)),
        Event::ForkDetected { .. } | Event::InviteUsedTwice { .. } => {
            state.warn(crate::render::event_human(&event))
        }
    }
}

/// A device came online or went offline.
fn peer(state: &mut State, device: DeviceId, online: bool, effects: &mut Vec<Effect>) {
    if let Some(Overlay::Devices { list, .. }) = &mut state.overlay {
        if let Some(d) = list.iter_mut().find(|d| d.id == device) {
            d.online = online;
            // As the core has it at this moment: a device that left is unreachable until a dial or a
            // relay through another device says otherwise (the next load of the list shows that).
            d.reach = match online {
                true => clearchat_core::Reach::Direct,
                false => clearchat_core::Reach::Unreachable,
            };
            // One of mine: the buddy list is unchanged.
            return;
        }
    }
    // Which buddy a device belongs to is the core's to say.
    state.load_buddies(effects);
}

/// How a device is reached changed.
fn reached(state: &mut State, device: DeviceId, reach: Reach, effects: &mut Vec<Effect>) {
    if let Some(Overlay::Devices { list, .. }) = &mut state.overlay {
        if let Some(d) = list.iter_mut().find(|d| d.id == device) {
            d.reach = reach;
            return;
        }
    }
    state.load_buddies(effects);
}

pub(super) fn on_done(state: &mut State, done: Done, effects: &mut Vec<Effect>) {
    match done {
        Done::Me(Ok(me)) => state.me = Some(me),
        Done::Buddies(Ok(list)) => {
            let current = state.conversation.buddy;
            state.buddies = list;
            let index = current
                .and_then(|id| state.buddies.iter().position(|b| b.id == id))
                .unwrap_or(state.selected);
            state.select(index, effects);
            state.mark_read(effects);
            state.buddies_arrived(true, effects);
        }
        Done::Buddies(Err(e)) => {
            state.buddies_arrived(false, effects);
            state.warn(e);
        }
        Done::Page { buddy, older, page } => {
            if state.conversation.buddy != Some(buddy) {
                return;
            }
            match page {
                Ok(page) => state.conversation.merge_page(page, older),
                Err(e) => {
                    state.conversation.loading_older = false;
                    state.warn(e);
                }
            }
        }
        Done::Devices(Ok(devices)) => {
            if let Some(Overlay::Devices { list, selected, .. }) = &mut state.overlay {
                *list = devices.into_iter().filter(|d| !d.revoked).collect();
                *selected = (*selected).min(list.len().saturating_sub(1));
            }
        }
        Done::Sent {
            buddy,
            text,
            result,
        } => match result {
            Ok(message) => {
                if state.conversation.buddy == Some(buddy) {
                    state.conversation.insert(message);
                }
            }
            Err(e) => {
                if state.input.is_empty() {
                    state.input = text;
                }
                state.warn(e);
            }
        },
        Done::Invite {
            ticket,
            link,
            result,
        } => {
            if !state.finish(ticket) {
                return;
            }
            match result {
                Ok(invite) => {
                    state.overlay = Some(Overlay::Qr {
                        link,
                        rows: qr_rows(&invite),
                        code: invite.code,
                    });
                }
                Err(e) => state.warn(e),
            }
        }
        Done::Redeemed {
            ticket,
            code,
            result,
        } => {
            let current = state.finish(ticket);
            match result {
                Ok(Redeemed::Linked { person_name }) => {
                    state.say(format!("this device is now a device of {person_name}"));
                    effects.push(Effect::LoadMe);
                    state.load_buddies(effects);
                }
                Ok(Redeemed::Buddy { name, .. }) => {
                    state.say(format!("{name} is now your buddy"));
                    state.load_buddies(effects);
                }
                Err(e) if current => {
                    if state.overlay.is_none() {
                        state.overlay = Some(Overlay::Paste {
                            input: code,
                            error: Some(e.clone()),
                        });
                    }
                    state.warn(format!("could not join: {e}"));
                }
                Err(_) => {}
            }
        }
        Done::Unlinked {
            ticket,
            name,
            result,
        } => {
            state.finish(ticket);
            match result {
                Ok(()) => state.say(format!("{name} unlinked")),
                Err(e) => state.warn(e),
            }
            if matches!(state.overlay, Some(Overlay::Devices { .. })) {
                effects.push(Effect::LoadDevices);
            }
        }
        Done::Me(Err(e)) | Done::Devices(Err(e)) | Done::Failed(e) => state.warn(e),
    }
}
