//! clearchat-core: the whole Clearchat engine. `client::Client` is the one facade; the modules below it
//! each own one job (see DESIGN.md section 3).

pub mod chat;
mod checkpoint;
pub mod client;
pub mod error;
pub mod ids;
pub mod invite;
pub mod log;
pub mod net;
pub mod replica;
pub mod space;
pub mod store;
pub mod sync;

pub use chat::{Buddy, Device, Event, Me, Message, MessageState};
pub use client::{Client, Config, Invite, Redeemed, Subscription};
pub use error::{Error, Result};

/// The engine's version, as the bindings and the laptop client report it.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
