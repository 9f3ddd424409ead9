//! `clearchat`: the laptop client. Parses the command line, runs the subcommand or the terminal UI on a tokio
//! runtime, and turns failures into one sentence on stderr with exit code 2 (usage) or 1 (anything else).

mod args;
mod commands;
mod control;
mod demo;
mod error;
mod netwatch;
mod render;
mod resolve;
mod run;
mod session;
#[cfg(test)]
mod test_ids;
mod tui;
mod wire;
#[cfg(test)]
mod wire_tests;

use clap::error::ErrorKind;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                _ => {
                    eprintln!("clearchat: {}; see `clearchat --help`", usage_sentence(&e));
                    ExitCode::from(2)
                }
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clearchat: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = args::data_dir(cli.data_dir);
    let result = runtime.block_on(async move {
        match cli.command {
            Some(command) => commands::execute(&dir, command).await,
            None => tui::run(&dir).await,
        }
    });
    // Background tasks (connections, timers) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clearchat: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first line of a clap error, without its `error: ` prefix and styling.
fn usage_sentence(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or("invalid usage");
    first.trim_start_matches("error: ").trim().to_string()
}
