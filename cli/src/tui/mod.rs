//! The terminal UI (ratatui): buddy list with unread counts and online marks, the conversation with live
//! messages and delivery states, an input line, and overlays for the link QR, adding a buddy, pasting a code,
//! devices and help. It holds the data dir like `run` (same control socket) and restores the terminal (and
//! bracketed paste) on exit and on panic.
//!
//! The loop: draw the [`state::State`], wait for one input (a key or paste from the terminal thread, a core
//! event, a finished task), [`state::update`] it, and hand the effects to [`tasks::Tasks`], which runs each
//! call into the core as a task of its own.

mod conversation;
mod events;
mod keys;
mod state;
mod tasks;
#[cfg(test)]
mod tests;
mod view;

use crate::commands::run_config;
use crate::control::{self, Holder};
use crate::error::{Error, Result};
use crate::session::{self, Session};
use clearchat_core::Event;
use ratatui::crossterm::event::{
    self as term, DisableBracketedPaste, EnableBracketedPaste, KeyEventKind,
};
use ratatui::crossterm::execute;
use ratatui::DefaultTerminal;
use state::{update, Input, State};
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the screen is drawn without input (the date of "today" moves).
const REDRAW: Duration = Duration::from_secs(60);

pub async fn run(dir: &Path) -> Result<()> {
    if !session::has_device(dir) {
        first_run(dir).await?;
    }
    let (holder, listener) = Holder::take(dir).await?;
    let (session, events) = Session::open(dir, run_config(None))?;
    session.client.start().await?;
    let server = tokio::spawn(control::serve(listener, session.clone()));
    let keys = spawn_key_reader();
    // ratatui::init installs a panic hook that restores the terminal before the panic message; ours, around it,
    // turns bracketed paste off too.
    let mut terminal = ratatui::init();
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableBracketedPaste);
        restore(info);
    }));
    let (tasks, done) = tasks::Tasks::new(session.clone());
    let result = ui_loop(&mut terminal, tasks, events, keys, done).await;
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    server.abort();
    let _ = session.client.stop().await;
    drop(holder);
    result
}

async fn ui_loop(
    terminal: &mut DefaultTerminal,
    tasks: tasks::Tasks,
    mut events: mpsc::UnboundedReceiver<Event>,
    mut keys: mpsc::UnboundedReceiver<term::Event>,
    mut done: mpsc::UnboundedReceiver<state::Done>,
) -> Result<()> {
    let (mut state, effects) = State::new();
    effects.into_iter().for_each(|e| tasks.run(e));
    let mut redraw = tokio::time::interval(REDRAW);
    while !state.quit {
        terminal
            .draw(|f| view::draw(f, &state))
            .map_err(Error::io("draw on the terminal"))?;
        let input = tokio::select! {
            key = keys.recv() => match key {
                Some(term::Event::Key(key)) if key.kind != KeyEventKind::Release => Input::Key(key),
                Some(term::Event::Paste(text)) => Input::Paste(text),
                Some(_) => continue,
                None => break,
            },
            event = events.recv() => match event {
                Some(event) => Input::Event(event),
                None => break,
            },
            Some(result) = done.recv() => Input::Done(result),
            _ = redraw.tick() => continue,
        };
        update(&mut state, input)
            .into_iter()
            .for_each(|e| tasks.run(e));
        // Whatever else is waiting goes in before the next draw.
        while let Ok(event) = events.try_recv() {
            update(&mut state, Input::Event(event))
                .into_iter()
                .for_each(|e| tasks.run(e));
        }
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

/// No device yet: asks for the names on the terminal and creates it.
async fn first_run(dir: &Path) -> Result<()> {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        // Not interactive: the same sentence as every other command.
        return Err(Error::no_device(dir));
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
    let person = Some(person.as_str()).filter(|p| !p.is_empty());
    session::create_device(dir, &device, person).await?;
    Ok(())
}
