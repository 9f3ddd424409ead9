//! Every way the laptop client can fail, each a typed variant whose message is one plain sentence for the user
//! (and never a secret). Core errors pass through with their own sentences.

use std::path::Path;

/// What a name or an id was meant to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Buddy,
    Device,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Buddy => "buddy",
            Kind::Device => "device",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] clearchat_core::Error),
    #[error("{}", unknown_sentence(*.kind, .wanted, .known))]
    Unknown {
        kind: Kind,
        wanted: String,
        /// The candidates, as `name (id prefix)`.
        known: Vec<String>,
    },
    #[error("\"{wanted}\" could be more than one {}: {}; give more of the id", .kind.noun(), .candidates.join(", "))]
    Ambiguous {
        kind: Kind,
        wanted: String,
        candidates: Vec<String>,
    },
    #[error("that is the device you are using; unlink it from another of your devices")]
    UnlinkSelf,
    #[error(
        "there is no device in {dir}; create one with `clearchat init --name DEVICE --person NAME`"
    )]
    NoDevice { dir: String },
    #[error("there is already a device in {dir}")]
    DeviceExists { dir: String },
    #[error("{dir} is held by another clearchat that does not answer on its control socket")]
    HolderSilent { dir: String },
    #[error("another clearchat (run or the terminal UI) already holds {dir}")]
    AlreadyHeld { dir: String },
    #[error("cannot {what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{path} is owned by another user (uid {owner}), not you: not talking to it; remove it if nothing of yours holds this data dir")]
    ForeignSocket { path: String, owner: u32 },
    #[error("the running clearchat closed the connection")]
    HolderClosed,
    #[error("the running clearchat answered something this one does not understand ({reason}); are they the same version?")]
    BadReply { reason: String },
    #[error("bad request: {reason}")]
    BadRequest { reason: String },
    /// A sentence the holder of the data dir sent back over the control socket.
    #[error("{0}")]
    Holder(String),
    #[error("the device closed while waiting")]
    Closed,
    #[error("{0}")]
    Demo(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O failure while doing `what` ("open the lock file in DIR").
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    pub fn no_device(dir: &Path) -> Error {
        Error::NoDevice {
            dir: dir.display().to_string(),
        }
    }
}

fn unknown_sentence(kind: Kind, wanted: &str, known: &[String]) -> String {
    let noun = kind.noun();
    if known.is_empty() {
        let none = match kind {
            Kind::Buddy => "you have no buddies yet",
            Kind::Device => "you have no such device",
        };
        return format!("unknown {noun} \"{wanted}\": {none}");
    }
    format!(
        "unknown {noun} \"{wanted}\"; yours are: {}",
        known.join(", ")
    )
}
