//! How keys and pastes change the UI's [`State`] (part of [`super::state::update`]).

use super::state::{Effect, Focus, Overlay, State, Work};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// How many messages PageUp and PageDown move.
pub const SCROLL_STEP: usize = 10;

pub(super) fn on_paste(state: &mut State, text: &str) {
    match &mut state.overlay {
        // A code split over lines (an SMS, a mail) is still one code.
        Some(Overlay::Paste { input, .. }) => {
            input.extend(text.chars().filter(|c| !c.is_whitespace()))
        }
        None if state.focus == Focus::Input => {
            let flat = text.replace("\r\n", " ").replace(['\r', '\n'], " ");
            state.input.push_str(&flat);
        }
        None => {
            // On the buddy list only a code makes sense: offer to join with it.
            state.overlay = Some(Overlay::Paste {
                input: text.chars().filter(|c| !c.is_whitespace()).collect(),
                error: None,
            });
        }
        Some(_) => {}
    }
}

pub(super) fn on_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        state.quit = true;
        return;
    }
    if let Some(overlay) = state.overlay.take() {
        state.overlay = on_overlay_key(state, overlay, key, effects);
        return;
    }
    match key.code {
        KeyCode::PageUp => {
            if state.conversation.scroll_up(SCROLL_STEP) {
                if let (Some(buddy), Some(before)) =
                    (state.conversation.buddy, state.conversation.oldest_id())
                {
                    effects.push(Effect::LoadPage {
                        buddy,
                        before: Some(before),
                    });
                } else {
                    state.conversation.loading_older = false;
                }
            }
            return;
        }
        KeyCode::PageDown => return state.conversation.scroll_down(SCROLL_STEP),
        KeyCode::End => {
            state.conversation.scroll = 0;
            return;
        }
        _ => {}
    }
    match state.focus {
        Focus::Input => match key.code {
            KeyCode::Esc | KeyCode::Tab => state.focus = Focus::Buddies,
            KeyCode::Enter => send(state, effects),
            KeyCode::Backspace => {
                state.input.pop();
            }
            KeyCode::Char(c) => state.input.push(c),
            _ => {}
        },
        Focus::Buddies => match key.code {
            KeyCode::Char('q') => state.quit = true,
            KeyCode::Esc => {
                if let Some(w) = state.working.take() {
                    state.say(format!(
                        "stopped waiting ({}); if it still completes, it shows here",
                        w.work.label()
                    ));
                }
            }
            KeyCode::Up | KeyCode::Char('k') => {
                let index = state.selected.saturating_sub(1);
                state.select(index, effects);
            }
            KeyCode::Down | KeyCode::Char('j') => {
                let index = state.selected + 1;
                state.select(index, effects);
            }
            KeyCode::Enter | KeyCode::Tab | KeyCode::Char('i') => {
                if state.buddy().is_some() {
                    state.focus = Focus::Input;
                } else {
                    state.warn("no buddy yet: press a to add one");
                }
            }
            KeyCode::Char('l') => invite(state, true, effects),
            KeyCode::Char('a') => invite(state, false, effects),
            KeyCode::Char('p') => {
                state.overlay = Some(Overlay::Paste {
                    input: String::new(),
                    error: None,
                })
            }
            KeyCode::Char('d') => {
                state.overlay = Some(Overlay::Devices {
                    list: Vec::new(),
                    selected: 0,
                    confirm: false,
                });
                effects.push(Effect::LoadDevices);
            }
            KeyCode::Char('?') | KeyCode::F(1) => state.overlay = Some(Overlay::Help),
            _ => {}
        },
    }
}

fn invite(state: &mut State, link: bool, effects: &mut Vec<Effect>) {
    if let Some(ticket) = state.begin(Work::Inviting { link }) {
        effects.push(Effect::CreateInvite { ticket, link });
    }
}

fn send(state: &mut State, effects: &mut Vec<Effect>) {
    let text = state.input.trim().to_string();
    let Some(buddy) = state.buddy().map(|b| b.id) else {
        return;
    };
    if text.is_empty() {
        return;
    }
    state.input.clear();
    state.conversation.scroll = 0;
    effects.push(Effect::Send { buddy, text });
}

/// A key while an overlay is open; returns the overlay to show next.
fn on_overlay_key(
    state: &mut State,
    overlay: Overlay,
    key: KeyEvent,
    effects: &mut Vec<Effect>,
) -> Option<Overlay> {
    match overlay {
        Overlay::Qr { .. } | Overlay::Help => match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => None,
            _ => Some(overlay),
        },
        Overlay::Paste { mut input, error } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Backspace => {
                input.pop();
                Some(Overlay::Paste { input, error })
            }
            KeyCode::Char(c) => {
                input.push(c);
                Some(Overlay::Paste { input, error })
            }
            KeyCode::Enter if input.trim().is_empty() => Some(Overlay::Paste { input, error }),
            KeyCode::Enter => match state.begin(Work::Joining) {
                Some(ticket) => {
                    effects.push(Effect::Redeem {
                        ticket,
                        code: input.trim().to_string(),
                    });
                    state.say("joining… (Esc stops waiting)");
                    None
                }
                None => Some(Overlay::Paste { input, error }),
            },
            _ => Some(Overlay::Paste { input, error }),
        },
        Overlay::Devices {
            list,
            selected,
            confirm,
        } => {
            let last = list.len().saturating_sub(1);
            let (selected, confirm) = match (key.code, confirm) {
                (KeyCode::Esc | KeyCode::Char('q'), false) => return None,
                (KeyCode::Up | KeyCode::Char('k'), false) => (selected.saturating_sub(1), false),
                (KeyCode::Down | KeyCode::Char('j'), false) => ((selected + 1).min(last), false),
                (KeyCode::Char('u'), false) => {
                    let can = list.get(selected).is_some_and(|d| !d.me);
                    if !can {
                        state.warn("pick another device to unlink");
                    }
                    (selected, can)
                }
                (KeyCode::Char('y'), true) => {
                    if let Some(d) = list.get(selected) {
                        let work = Work::Unlinking {
                            name: d.name.clone(),
                        };
                        if let Some(ticket) = state.begin(work) {
                            effects.push(Effect::Unlink {
                                ticket,
                                device: d.id,
                                name: d.name.clone(),
                            });
                        }
                    }
                    (selected, false)
                }
                (_, true) => (selected, false),
                _ => (selected, confirm),
            };
            Some(Overlay::Devices {
                list,
                selected,
                confirm,
            })
        }
    }
}
