//! The command line: every subcommand and option of `clearchat`, parsed with clap, and where the data dir is.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "clearchat",
    version,
    about = "Clearchat: friend-to-friend messenger, no servers. Without a command, the terminal UI."
)]
pub struct Cli {
    /// The data dir of this device (default: $CLEARCHAT_DIR, else the platform's data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create this device.
    Init {
        /// The name of this device, e.g. "Amy laptop".
        #[arg(long, value_name = "DEVICE")]
        name: String,
        /// Your name, for a first device (a linked device takes it from your other devices).
        #[arg(long, value_name = "NAME")]
        person: Option<String>,
    },
    /// Stay online: sync, relay, serve invites; print one line per event.
    Run {
        /// Where to listen (default [::]:0, IPv6 and IPv4; the chosen port is kept across restarts).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// One compact JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Invite another device of mine: QR and text code.
    Link {
        /// Block until the code is redeemed.
        #[arg(long)]
        wait: bool,
        /// Print only the text code.
        #[arg(long)]
        code_only: bool,
    },
    /// Invite a buddy: QR and text code. The code is a one-time secret: give it only to that buddy, in
    /// person or over a channel you trust. Its checksum only catches typos; it does not prove who sent it.
    Invite {
        /// Who the invite is for (a label for you).
        #[arg(long, value_name = "LABEL")]
        name: Option<String>,
        /// Block until the code is redeemed.
        #[arg(long)]
        wait: bool,
        /// Print only the text code.
        #[arg(long)]
        code_only: bool,
    },
    /// Redeem a link or buddy code; waits until done. The checksum only catches typos: take codes only
    /// from the person who made them (a code someone edited on the way reaches nobody, or is refused).
    Join {
        #[arg(value_name = "CODE")]
        code: String,
    },
    /// List buddies.
    Buddies {
        #[arg(long)]
        json: bool,
    },
    /// Send a message; BUDDY is a name, an id or an id prefix (4 hex digits or more).
    Send {
        #[arg(value_name = "BUDDY")]
        buddy: String,
        #[arg(value_name = "TEXT")]
        text: String,
    },
    /// Show the conversation with a buddy (a name, an id or an id prefix), oldest first.
    Messages {
        #[arg(value_name = "BUDDY")]
        buddy: String,
        /// How many of the newest messages.
        #[arg(long, default_value_t = 50, value_name = "N")]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// List my devices.
    Devices {
        #[arg(long)]
        json: bool,
    },
    /// Remove a buddy (a name, an id or an id prefix).
    RemoveBuddy {
        #[arg(value_name = "BUDDY")]
        buddy: String,
    },
    /// Unlink one of my devices (an id, an id prefix, or a name).
    Unlink {
        #[arg(value_name = "DEVICE")]
        device: String,
    },
    /// The whole story on this machine, printed step by step.
    Demo,
}

/// The data dir: `--data-dir`, else `CLEARCHAT_DIR`, else the platform's data dir (XDG) + `clearchat`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = flag {
        return dir;
    }
    if let Some(dir) = std::env::var_os("CLEARCHAT_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("clearchat");
    }
    if let Some(dir) = dirs::data_dir() {
        return dir.join("clearchat");
    }
    dirs::home_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".local/share/clearchat")
}
