//! Draws the UI's [`State`] with ratatui: the title line with the status or the work under way, the buddy list,
//! the conversation window and the input line, the overlays (QR, paste a code, devices, help) and the key line.
//! Reads the state only.

use super::state::{Focus, Overlay, State};
use crate::render;
use clearchat_core::{Message, MessageState};
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

/// The status, or the slow work the person is waiting for.
fn status(state: &State) -> Span<'static> {
    if let Some(w) = &state.working {
        return Span::styled(
            format!("{} (Esc stops waiting)", w.work.label()),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        );
    }
    let colour = if state.status.error {
        Color::Red
    } else {
        Color::Yellow
    };
    Span::styled(state.status.text.clone(), Style::new().fg(colour))
}

pub fn draw(f: &mut Frame, state: &State) {
    let [top, main, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(f.area());
    let who = match &state.me {
        Some(me) => format!(" Clearchat — {} on {}", me.person_name, me.device_name),
        None => " Clearchat".into(),
    };
    let title = Line::from(vec![
        Span::styled(who, Style::new().add_modifier(Modifier::BOLD)),
        Span::raw("   "),
        status(state),
    ]);
    f.render_widget(Paragraph::new(title), top);
    draw_main(f, state, main);
    let keys = if state.focus == Focus::Input && state.overlay.is_none() {
        " Enter send   Esc back to buddies   Ctrl-C quit"
    } else {
        " q quit  ↑↓ buddy  Enter write  PgUp older  l link device  a add buddy  p paste code  d devices  ? help"
    };
    f.render_widget(
        Paragraph::new(keys).style(Style::new().fg(Color::Black).bg(Color::Gray)),
        help,
    );
    if let Some(overlay) = &state.overlay {
        draw_overlay(f, overlay, main);
    }
}

fn draw_main(f: &mut Frame, state: &State, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Length(30), Constraint::Min(10)]).areas(area);
    let items: Vec<ListItem> = state
        .buddies
        .iter()
        .map(|b| {
            let mark = if b.online { "● " } else { "○ " };
            let mut spans = vec![
                Span::styled(
                    mark,
                    Style::new().fg(if b.online {
                        Color::Green
                    } else {
                        Color::DarkGray
                    }),
                ),
                Span::raw(b.name.clone()),
            ];
            if b.unread > 0 {
                spans.push(Span::styled(
                    format!(" ({})", b.unread),
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                ));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let list_block = Block::default().borders(Borders::ALL).title(" Buddies ");
    let list_block = if state.focus == Focus::Buddies {
        list_block.border_style(Style::new().fg(Color::Cyan))
    } else {
        list_block
    };
    if items.is_empty() {
        f.render_widget(
            Paragraph::new("No buddies yet.\nPress a to add one,\nor p to paste a code.")
                .block(list_block),
            left,
        );
    } else {
        let mut list_state = ListState::default().with_selected(Some(state.selected));
        f.render_stateful_widget(
            List::new(items)
                .block(list_block)
                .highlight_style(Style::new().add_modifier(Modifier::REVERSED)),
            left,
            &mut list_state,
        );
    }
    let [messages, input] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(right);
    let name = state.buddy().map(|b| b.name.clone()).unwrap_or_default();
    let conversation = &state.conversation;
    let title = if conversation.loading_older {
        format!(" {name} — loading older messages… ")
    } else if conversation.scroll > 0 {
        format!(" {name} — scrolled back, End for the newest ")
    } else {
        format!(" {name} ")
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(messages);
    f.render_widget(block, messages);
    let lines = message_lines(state.conversation.visible(), inner.width as usize);
    let skip = lines.len().saturating_sub(inner.height as usize);
    f.render_widget(
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()),
        inner,
    );
    let input_block = Block::default().borders(Borders::ALL).title(" Message ");
    let input_block = if state.focus == Focus::Input {
        input_block.border_style(Style::new().fg(Color::Cyan))
    } else {
        input_block
    };
    let width = input.width.saturating_sub(2) as usize;
    let shown: String = {
        let n = state.input.chars().count();
        state
            .input
            .chars()
            .skip(n.saturating_sub(width.saturating_sub(1)))
            .collect()
    };
    f.render_widget(Paragraph::new(shown.clone()).block(input_block), input);
    if state.focus == Focus::Input && state.overlay.is_none() {
        f.set_cursor_position((input.x + 1 + shown.chars().count() as u16, input.y + 1));
    }
}

/// The conversation as wrapped lines, oldest first.
fn message_lines(messages: &[Message], width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for m in messages {
        let state = if m.from_me {
            match m.state {
                MessageState::Pending => " …",
                MessageState::Sent => " ✓",
                MessageState::Delivered => " ✓✓ delivered",
                MessageState::Read => " ✓✓ read",
            }
        } else {
            ""
        };
        let head = format!("{} {}: ", render::when(m.sent_at), m.from);
        let body = format!("{head}{}", m.text);
        let chars: Vec<char> = body.chars().collect();
        let colour = if m.from_me { Color::Cyan } else { Color::Green };
        for (i, chunk) in chars.chunks(width.max(1)).enumerate() {
            let text: String = chunk.iter().collect();
            let line = if i == 0 {
                let head_len = head.chars().count().min(text.chars().count());
                let (h, rest): (String, String) = (
                    text.chars().take(head_len).collect(),
                    text.chars().skip(head_len).collect(),
                );
                Line::from(vec![
                    Span::styled(h, Style::new().fg(colour)),
                    Span::raw(rest),
                ])
            } else {
                Line::from(text)
            };
            out.push(line);
        }
        if !state.is_empty() {
            if let Some(last) = out.last_mut() {
                last.push_span(Span::styled(state, Style::new().fg(Color::DarkGray)));
            }
        }
    }
    out
}

fn draw_overlay(f: &mut Frame, overlay: &Overlay, area: Rect) {
    match overlay {
        Overlay::Qr { link, rows, code } => {
            let (title, hint) = if *link {
                (
                    "Link a device of yours",
                    "Scan with your other device, or run `clearchat join CODE` there. Esc closes.",
                )
            } else {
                (
                    "Add a buddy",
                    "Let your buddy scan this, or send them the code. Esc closes.",
                )
            };
            let full = if *link { f.area() } else { area };
            f.render_widget(Clear, full);
            let qr = render::qr_lines(rows);
            let qr_width = qr.first().map_or(0, |l| l.chars().count()) as u16;
            let mut lines: Vec<Line> = vec![
                Line::from(Span::styled(
                    title,
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
            ];
            let fits = qr_width <= full.width && qr.len() as u16 + 6 <= full.height;
            if fits {
                let qr_style = Style::new().fg(Color::White).bg(Color::Black);
                lines.extend(
                    qr.into_iter()
                        .map(|l| Line::from(Span::styled(l, qr_style))),
                );
            } else {
                lines.push(Line::from(format!(
                    "(make the terminal at least {} x {} to show the QR code)",
                    qr_width,
                    qr.len() + 6
                )));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(code.clone()));
            lines.push(Line::from(hint));
            f.render_widget(
                Paragraph::new(lines)
                    .alignment(Alignment::Center)
                    .wrap(Wrap { trim: false }),
                full,
            );
        }
        Overlay::Paste { input, error } => {
            let rect = centered(area, 80, 7);
            f.render_widget(Clear, rect);
            let mut lines = vec![
                Line::from("Paste or type a link or buddy code, then Enter (Esc cancels):"),
                Line::from(Span::styled(
                    input.clone(),
                    Style::new().add_modifier(Modifier::BOLD),
                )),
            ];
            if let Some(error) = error {
                lines.push(Line::from(Span::styled(
                    error.clone(),
                    Style::new().fg(Color::Red),
                )));
            }
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(Block::default().borders(Borders::ALL).title(" Join ")),
                rect,
            );
        }
        Overlay::Devices {
            list,
            selected,
            confirm,
        } => {
            let rect = centered(area, 70, list.len() as u16 + 5);
            f.render_widget(Clear, rect);
            let mut lines: Vec<Line> = list
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let reach = match d.me {
                        true => String::new(),
                        false => render::reach_human(&d.reach.into()),
                    };
                    let text = format!(
                        "{} {}{}  {}{reach}",
                        if d.online { "●" } else { "○" },
                        d.name,
                        if d.me { " (this device)" } else { "" },
                        render::short(d.id)
                    );
                    let style = if i == *selected {
                        Style::new().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::new()
                    };
                    Line::from(Span::styled(text, style))
                })
                .collect();
            lines.push(Line::from(""));
            lines.push(Line::from(if *confirm {
                "Unlink this device? y yes, any other key no"
            } else {
                "↑↓ pick   u unlink   Esc close"
            }));
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::default().borders(Borders::ALL).title(" My devices ")),
                rect,
            );
        }
        Overlay::Help => {
            let rect = centered(area, 64, 15);
            f.render_widget(Clear, rect);
            let text = "↑↓ / j k   pick a buddy\n\
                        Enter      write to the buddy (Esc back)\n\
                        PgUp PgDn  older and newer messages (End newest)\n\
                        l          link a device of yours (QR)\n\
                        a          add a buddy (QR and code)\n\
                        p          paste a code from someone\n\
                        d          my devices (unlink)\n\
                        Esc        stop waiting for a join or a code\n\
                        ?          this help\n\
                        q          quit\n\n\
                        Messages: … pending  ✓ sent  ✓✓ delivered / read";
            f.render_widget(
                Paragraph::new(text).block(Block::default().borders(Borders::ALL).title(" Help ")),
                rect,
            );
        }
    }
}

/// A rectangle of at most `width` x `height` in the middle of `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::state::{Done, Input, Work, Working};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn screen(state: &State, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| draw(f, state)).unwrap();
        let buffer = terminal.backend().buffer();
        buffer
            .content
            .chunks(width as usize)
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
            .collect()
    }

    fn with_conversation(messages: Vec<Message>) -> State {
        let (mut state, _) = State::new();
        let betty = clearchat_core::Buddy {
            id: crate::test_ids::buddy("b1"),
            name: "Betty".into(),
            online: true,
            reach: clearchat_core::Reach::Direct,
            unread: 0,
            last_message: None,
            shares_code_with: None,
        };
        let done = Done::Buddies(Ok(vec![betty]));
        crate::tui::state::update(&mut state, Input::Done(done));
        let done = Done::Page {
            buddy: crate::test_ids::buddy("b1"),
            older: false,
            page: Ok(messages),
        };
        crate::tui::state::update(&mut state, Input::Done(done));
        state
    }

    fn message(seq: u64, sent_at: u64, from_me: bool, state: MessageState) -> Message {
        Message {
            id: crate::test_ids::message("d", seq),
            from: if from_me { "Amy" } else { "Betty" }.into(),
            from_me,
            device_id: crate::test_ids::device("d"),
            text: format!("text {seq}"),
            sent_at,
            state,
            reply_to: None,
        }
    }

    #[test]
    fn messages_show_local_times_dates_and_delivery() {
        let now = render::now_ms();
        let old = now - 3 * 24 * 3_600_000;
        let state = with_conversation(vec![
            message(1, old, false, MessageState::Delivered),
            message(2, now, true, MessageState::Read),
            message(3, now + 1, true, MessageState::Pending),
        ]);
        let text = screen(&state, 100, 20);
        assert!(text.contains("┌ Betty "), "{text}");
        assert!(
            text.contains(&format!("{} Betty: text 1", render::when(old))),
            "{text}"
        );
        assert!(render::when(old).len() > 5, "an old message has its date");
        assert!(
            text.contains(&format!("{} Amy: text 2 ✓✓ read", render::when(now))),
            "{text}"
        );
        assert!(text.contains("text 3 …"), "{text}");
    }

    #[test]
    fn work_under_way_is_shown_in_the_title_line() {
        let mut state = with_conversation(Vec::new());
        state.working = Some(Working {
            ticket: 1,
            work: Work::Joining,
        });
        let text = screen(&state, 100, 20);
        let title = text.lines().next().unwrap();
        assert!(title.contains("joining… (Esc stops waiting)"), "{title}");
    }

    #[test]
    fn a_qr_code_too_big_for_the_terminal_says_how_big_to_make_it() {
        let mut state = with_conversation(Vec::new());
        state.overlay = Some(Overlay::Qr {
            link: true,
            rows: vec![vec![true; 41]; 41],
            code: "CLEARCHAT1CODE".into(),
        });
        let small = screen(&state, 60, 20);
        assert!(small.contains("make the terminal at least"), "{small}");
        assert!(small.contains("CLEARCHAT1CODE"), "{small}");
        let big = screen(&state, 100, 40);
        assert!(!big.contains("make the terminal at least"), "{big}");
        assert!(big.contains("Link a device of yours"), "{big}");
    }
}
