//! The terminal UI (ratatui): buddy list with unread counts and online marks, the conversation with live
//! messages and delivery states, an input line, and overlays for the link QR, adding a buddy, pasting a code,
//! devices and help. It holds the data dir like `run` (same control socket) and restores the terminal on exit
//! and on panic.

use crate::commands::run_config;
use crate::control::{self, Access, Holder};
use crate::error::{Error, Result};
use crate::render;
use crate::session::{self, Session};
use clearchat_core::{Buddy, Client, Device, Event, Me, Message, MessageState, Redeemed};
use ratatui::crossterm::event::{self as term, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::{DefaultTerminal, Frame};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the UI refreshes without events (online marks).
const TICK: Duration = Duration::from_secs(2);

pub async fn run(dir: &Path) -> Result<()> {
    if !session::has_device(dir) {
        first_run(dir).await?;
    }
    let (holder, listener) = Holder::take(dir).await?;
    let (session, events) = Session::open(dir, run_config(None))?;
    session.client.start().await?;
    let server = tokio::spawn(control::serve(listener, session.clone()));
    let keys = spawn_key_reader();
    // ratatui::init installs a panic hook that restores the terminal before the panic message.
    let mut terminal = ratatui::init();
    let mut app = App::new(session.clone()).await;
    let result = app.run(&mut terminal, events, keys).await;
    ratatui::restore();
    server.abort();
    let _ = session.client.stop().await;
    drop(holder);
    result
}

/// No device yet: asks for the names on the terminal and creates it.
async fn first_run(dir: &Path) -> Result<()> {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        // Not interactive: the same sentence as every other command.
        Session::open(dir, run_config(None))?;
    }
    let ask = |question: &str| -> Result<String> {
        print!("{question}");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(Error::io("read the terminal"))?;
        Ok(line.trim().to_string())
    };
    println!(
        "Welcome to Clearchat. This creates a device in {}.",
        dir.display()
    );
    let mut device = ask("Name of this device (e.g. Amy laptop): ")?;
    if device.is_empty() {
        device = "laptop".into();
    }
    let person =
        ask("Your name (leave empty if you will link this device to one you already have): ")?;
    let Access::Direct(_lock) = control::acquire(dir).await? else {
        return Err(Error::AlreadyHeld {
            dir: dir.display().to_string(),
        });
    };
    let client = Client::open_with(dir, &device, run_config(None))?;
    if !person.is_empty() {
        client.set_person_name(&person).await?;
    }
    Ok(())
}

/// Terminal input on its own thread (crossterm reads block).
fn spawn_key_reader() -> mpsc::UnboundedReceiver<term::Event> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(event) = term::read() {
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    rx
}

#[derive(PartialEq)]
enum Focus {
    Buddies,
    Input,
}

enum Overlay {
    Qr {
        title: String,
        rows: Vec<Vec<bool>>,
        code: String,
        hint: String,
        link: bool,
    },
    Paste {
        input: String,
        error: Option<String>,
    },
    Devices {
        list: Vec<Device>,
        selected: usize,
        confirm: bool,
    },
    Help,
}

struct App {
    session: Arc<Session>,
    me: Option<Me>,
    buddies: Vec<Buddy>,
    selected: usize,
    conversation: Vec<Message>,
    input: String,
    focus: Focus,
    overlay: Option<Overlay>,
    status: String,
    quit: bool,
}

impl App {
    async fn new(session: Arc<Session>) -> App {
        let me = session.client.me().ok();
        let mut app = App {
            session,
            me,
            buddies: Vec::new(),
            selected: 0,
            conversation: Vec::new(),
            input: String::new(),
            focus: Focus::Buddies,
            overlay: None,
            status: "online".into(),
            quit: false,
        };
        app.refresh().await;
        app
    }

    async fn run(
        &mut self,
        terminal: &mut DefaultTerminal,
        mut events: mpsc::UnboundedReceiver<Event>,
        mut keys: mpsc::UnboundedReceiver<term::Event>,
    ) -> Result<()> {
        let mut tick = tokio::time::interval(TICK);
        while !self.quit {
            terminal
                .draw(|f| self.draw(f))
                .map_err(Error::io("draw on the terminal"))?;
            tokio::select! {
                key = keys.recv() => match key {
                    Some(term::Event::Key(key)) if key.kind != KeyEventKind::Release => {
                        self.on_key(key, terminal).await;
                    }
                    Some(term::Event::Paste(text)) => self.on_paste(&text),
                    Some(_) => {}
                    None => self.quit = true,
                },
                event = events.recv() => {
                    let Some(event) = event else { break };
                    self.on_event(event);
                    while let Ok(event) = events.try_recv() {
                        self.on_event(event);
                    }
                    self.refresh().await;
                }
                _ = tick.tick() => self.refresh().await,
            }
        }
        Ok(())
    }

    fn buddy(&self) -> Option<&Buddy> {
        self.buddies.get(self.selected)
    }

    /// Reloads buddies and the open conversation; marks what is shown as read.
    async fn refresh(&mut self) {
        let client = &self.session.client;
        if let Ok(buddies) = client.buddies().await {
            let current = self.buddy().map(|b| b.id.clone());
            self.buddies = buddies;
            self.selected = current
                .and_then(|id| self.buddies.iter().position(|b| b.id == id))
                .unwrap_or(self.selected)
                .min(self.buddies.len().saturating_sub(1));
        }
        let Some(buddy) = self.buddy().cloned() else {
            self.conversation.clear();
            return;
        };
        if let Ok(list) = client.conversation(&buddy.id, None, 500).await {
            self.conversation = list;
        }
        if buddy.unread > 0 && client.mark_read(&buddy.id, None).await.is_ok() {
            if let Some(b) = self.buddies.get_mut(self.selected) {
                b.unread = 0;
            }
        }
        if let Some(Overlay::Devices { list, selected, .. }) = &mut self.overlay {
            if let Ok(devices) = client.devices().await {
                *list = devices.into_iter().filter(|d| !d.revoked).collect();
                *selected = (*selected).min(list.len().saturating_sub(1));
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match &event {
            Event::InviteRedeemed { .. } => {
                if matches!(self.overlay, Some(Overlay::Qr { .. })) {
                    self.overlay = None;
                }
                self.status = render::event_human(&event);
            }
            Event::SyncProgress { .. }
            | Event::BuddyAdded { .. }
            | Event::BuddyRemoved { .. }
            | Event::DeviceLinked { .. }
            | Event::DeviceRevoked { .. }
            | Event::ForkDetected { .. } => self.status = render::event_human(&event),
            _ => {}
        }
    }

    fn on_paste(&mut self, text: &str) {
        let text = text.replace(['\n', '\r'], "");
        match &mut self.overlay {
            Some(Overlay::Paste { input, .. }) => input.push_str(&text),
            None if self.focus == Focus::Input => self.input.push_str(&text),
            _ => {}
        }
    }

    async fn on_key(&mut self, key: KeyEvent, terminal: &mut DefaultTerminal) {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if let Some(overlay) = self.overlay.take() {
            self.overlay = self.on_overlay_key(overlay, key, terminal).await;
            return;
        }
        match self.focus {
            Focus::Input => match key.code {
                KeyCode::Esc | KeyCode::Tab => self.focus = Focus::Buddies,
                KeyCode::Enter => self.send().await,
                KeyCode::Backspace => {
                    self.input.pop();
                }
                KeyCode::Char(c) => self.input.push(c),
                _ => {}
            },
            Focus::Buddies => match key.code {
                KeyCode::Char('q') => self.quit = true,
                KeyCode::Up | KeyCode::Char('k') => {
                    self.selected = self.selected.saturating_sub(1);
                    self.refresh().await;
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    if self.selected + 1 < self.buddies.len() {
                        self.selected += 1;
                    }
                    self.refresh().await;
                }
                KeyCode::Enter | KeyCode::Tab | KeyCode::Char('i') => {
                    if self.buddy().is_some() {
                        self.focus = Focus::Input;
                    } else {
                        self.status = "no buddy yet: press a to add one".into();
                    }
                }
                KeyCode::Char('l') => self.open_invite(true).await,
                KeyCode::Char('a') => self.open_invite(false).await,
                KeyCode::Char('p') => {
                    self.overlay = Some(Overlay::Paste {
                        input: String::new(),
                        error: None,
                    })
                }
                KeyCode::Char('d') => {
                    self.overlay = Some(Overlay::Devices {
                        list: Vec::new(),
                        selected: 0,
                        confirm: false,
                    });
                    self.refresh().await;
                }
                KeyCode::Char('?') | KeyCode::F(1) => self.overlay = Some(Overlay::Help),
                _ => {}
            },
        }
    }

    /// Handles a key in an overlay; returns the overlay to show next.
    async fn on_overlay_key(
        &mut self,
        overlay: Overlay,
        key: KeyEvent,
        terminal: &mut DefaultTerminal,
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
                KeyCode::Enter => {
                    self.status = "joining…".into();
                    let waiting = Overlay::Paste {
                        input: input.clone(),
                        error: Some("joining…".into()),
                    };
                    self.overlay = Some(waiting);
                    let _ = terminal.draw(|f| self.draw(f));
                    self.overlay = None;
                    match self.session.client.redeem(input.trim()).await {
                        Ok(Redeemed::Linked { person_name }) => {
                            self.status = format!("this device is now a device of {person_name}");
                            self.me = self.session.client.me().ok();
                            None
                        }
                        Ok(Redeemed::Buddy { name, .. }) => {
                            self.status = format!("{name} is now your buddy");
                            self.refresh().await;
                            None
                        }
                        Err(e) => Some(Overlay::Paste {
                            input,
                            error: Some(e.to_string()),
                        }),
                    }
                }
                _ => Some(Overlay::Paste { input, error }),
            },
            Overlay::Devices {
                list,
                selected,
                confirm,
            } => match (key.code, confirm) {
                (KeyCode::Esc | KeyCode::Char('q'), false) => None,
                (KeyCode::Up | KeyCode::Char('k'), false) => Some(Overlay::Devices {
                    list,
                    selected: selected.saturating_sub(1),
                    confirm,
                }),
                (KeyCode::Down | KeyCode::Char('j'), false) => Some(Overlay::Devices {
                    selected: (selected + 1).min(list.len().saturating_sub(1)),
                    list,
                    confirm,
                }),
                (KeyCode::Char('u'), false) => {
                    let can = list.get(selected).is_some_and(|d| !d.me);
                    if !can {
                        self.status = "pick another device to unlink".into();
                    }
                    Some(Overlay::Devices {
                        list,
                        selected,
                        confirm: can,
                    })
                }
                (KeyCode::Char('y'), true) => {
                    if let Some(d) = list.get(selected) {
                        self.status = match self.session.client.revoke_device(&d.id).await {
                            Ok(()) => format!("{} unlinked", d.name),
                            Err(e) => e.to_string(),
                        };
                    }
                    self.overlay = Some(Overlay::Devices {
                        list: Vec::new(),
                        selected,
                        confirm: false,
                    });
                    self.refresh().await;
                    self.overlay.take()
                }
                (_, true) => Some(Overlay::Devices {
                    list,
                    selected,
                    confirm: false,
                }),
                _ => Some(Overlay::Devices {
                    list,
                    selected,
                    confirm,
                }),
            },
        }
    }

    async fn open_invite(&mut self, link: bool) {
        let client = &self.session.client;
        let invite = if link {
            client.create_link_invite().await
        } else {
            client.create_buddy_invite("").await
        };
        match invite {
            Ok(invite) => {
                let rows = crate::wire::qr_rows(&invite.qr);
                let (title, hint) = if link {
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
                self.overlay = Some(Overlay::Qr {
                    title: title.into(),
                    rows,
                    code: invite.code,
                    hint: hint.into(),
                    link,
                });
            }
            Err(e) => self.status = e.to_string(),
        }
    }

    async fn send(&mut self) {
        let text = self.input.trim().to_string();
        let Some(buddy) = self.buddy().map(|b| b.id.clone()) else {
            return;
        };
        if text.is_empty() {
            return;
        }
        match self.session.client.send(&buddy, &text).await {
            Ok(_) => {
                self.input.clear();
                self.refresh().await;
            }
            Err(e) => self.status = e.to_string(),
        }
    }

    fn draw(&self, f: &mut Frame) {
        let [top, main, help] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(f.area());
        let who = match &self.me {
            Some(me) => format!(" Clearchat — {} on {}", me.person_name, me.device_name),
            None => " Clearchat".into(),
        };
        let title = Line::from(vec![
            Span::styled(who, Style::new().add_modifier(Modifier::BOLD)),
            Span::raw("   "),
            Span::styled(self.status.clone(), Style::new().fg(Color::Yellow)),
        ]);
        f.render_widget(Paragraph::new(title), top);
        self.draw_main(f, main);
        let keys = if self.focus == Focus::Input && self.overlay.is_none() {
            " Enter send   Esc back to buddies   Ctrl-C quit"
        } else {
            " q quit  ↑↓ buddy  Enter write  l link device  a add buddy  p paste code  d devices  ? help"
        };
        f.render_widget(
            Paragraph::new(keys).style(Style::new().fg(Color::Black).bg(Color::Gray)),
            help,
        );
        if let Some(overlay) = &self.overlay {
            self.draw_overlay(f, overlay, main);
        }
    }

    fn draw_main(&self, f: &mut Frame, area: Rect) {
        let [left, right] =
            Layout::horizontal([Constraint::Length(30), Constraint::Min(10)]).areas(area);
        let items: Vec<ListItem> = self
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
        let list_block = if self.focus == Focus::Buddies {
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
            let mut state = ListState::default().with_selected(Some(self.selected));
            f.render_stateful_widget(
                List::new(items)
                    .block(list_block)
                    .highlight_style(Style::new().add_modifier(Modifier::REVERSED)),
                left,
                &mut state,
            );
        }
        let [messages, input] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(right);
        let name = self.buddy().map(|b| b.name.clone()).unwrap_or_default();
        let block = Block::default()
            .borders(Borders::ALL)
            .title(format!(" {name} "));
        let inner = block.inner(messages);
        f.render_widget(block, messages);
        let lines = self.message_lines(inner.width as usize);
        let skip = lines.len().saturating_sub(inner.height as usize);
        f.render_widget(
            Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()),
            inner,
        );
        let input_block = Block::default().borders(Borders::ALL).title(" Message ");
        let input_block = if self.focus == Focus::Input {
            input_block.border_style(Style::new().fg(Color::Cyan))
        } else {
            input_block
        };
        let width = input.width.saturating_sub(2) as usize;
        let shown: String = {
            let n = self.input.chars().count();
            self.input
                .chars()
                .skip(n.saturating_sub(width.saturating_sub(1)))
                .collect()
        };
        f.render_widget(Paragraph::new(shown.clone()).block(input_block), input);
        if self.focus == Focus::Input && self.overlay.is_none() {
            f.set_cursor_position((input.x + 1 + shown.chars().count() as u16, input.y + 1));
        }
    }

    /// The conversation as wrapped lines, oldest first.
    fn message_lines(&self, width: usize) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for m in &self.conversation {
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

    fn draw_overlay(&self, f: &mut Frame, overlay: &Overlay, area: Rect) {
        match overlay {
            Overlay::Qr {
                title,
                rows,
                code,
                hint,
                link,
            } => {
                let full = if *link { f.area() } else { area };
                f.render_widget(Clear, full);
                let qr = render::qr_lines(rows);
                let qr_width = qr.first().map_or(0, |l| l.chars().count()) as u16;
                let mut lines: Vec<Line> = vec![
                    Line::from(Span::styled(
                        title.clone(),
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
                lines.push(Line::from(hint.clone()));
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
                        let text = format!(
                            "{} {}{}  {}",
                            if d.online { "●" } else { "○" },
                            d.name,
                            if d.me { " (this device)" } else { "" },
                            render::short(&d.id)
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
                let rect = centered(area, 60, 14);
                f.render_widget(Clear, rect);
                let text = "↑↓ / j k   pick a buddy\n\
                            Enter      write to the buddy (Esc back)\n\
                            l          link a device of yours (QR)\n\
                            a          add a buddy (QR and code)\n\
                            p          paste a code from someone\n\
                            d          my devices (unlink)\n\
                            ?          this help\n\
                            q          quit\n\n\
                            Messages: … pending  ✓ sent  ✓✓ delivered / read";
                f.render_widget(
                    Paragraph::new(text)
                        .block(Block::default().borders(Borders::ALL).title(" Help ")),
                    rect,
                );
            }
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
