//! clearchat-core: the whole Clearchat engine. [`Client`] is the one facade; the modules below it each own
//! one job (DESIGN.md section 3), and dependencies between them run one way (`tests/layering.rs` checks):
//!
//! ```text
//! client -> lists -> engine
//! client -> net -> engine -> replica -> chat -> store -> invite, space -> ids
//!                         -> sync -> log
//! ```
//!
//! What the laptop client, the bindings, the scenario tests and the benchmarks use is exported here; what
//! only tests and benchmarks need (seeding stores, counting rows, the wire codec) is in [`testing`].

mod chat;
mod client;
mod engine;
mod error;
mod ids;
mod invite;
mod lists;
mod log;
mod net;
mod replica;
mod secret;
mod space;
mod store;
mod sync;
#[doc(hidden)]
pub mod testing;

pub use chat::{Buddy, Device, Event, Me, Message, MessageState, Reach};
pub use client::{runtime, Client, Subscription};
pub use error::{Error, Result};
pub use ids::{BuddyId, DeviceId, MessageId, ParseIdError, PersonId, SpaceId};
pub use invite::{CodeError, Invite, InviteCode, Purpose, QrMatrix, Redeemed};
pub use lists::{
    apply_batch, buddy_order, notification_for, BuddyList, DeviceList, Diffs, DiffsCloser,
    Notification, Notifications, OutOfBounds, Shell, Timeline, VectorDiff, MAX_LINES, MAX_WINDOW,
    OUTBOX,
};
pub use net::Config;
pub use secret::{SecretStore, SecretStoreError};

/// The engine's version, as the bindings and the laptop client report it.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Locks a mutex, taking it over from a thread that panicked while holding it.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs a blocking store operation from async code without stalling the runtime's workers.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
