//! clearchat-ffi: the UniFFI face of `clearchat_core::Client` for Kotlin and Swift.
//!
//! This crate only translates: types into records and enums (`records`), errors into one typed error
//! (`errors`), the client's methods (`client`), listeners into foreign traits called from delivery threads
//! of their own, with handles that stop delivery on close or drop (`listeners`), the observable lists and
//! notification decisions the same way (`lists`), the phone's keystore as a foreign trait (`secret`). It holds no logic; every
//! call forwards to the core, whose one tokio runtime runs everything. UniFFI catches panics at the
//! boundary. Test-only entry points (`testing`) are built with the `testing` feature only.

mod client;
mod errors;
mod listeners;
mod lists;
mod records;
mod secret;
#[cfg(feature = "testing")]
mod testing;

pub use client::ClearchatClient;
pub use errors::ClearchatError;
pub use listeners::{EventListener, LogLevel, LogSink, SubscriptionHandle};
pub use lists::{
    BuddyListDiff, BuddyListListener, BuddyListView, DeviceListDiff, DeviceListListener,
    DeviceListView, ListSubscription, MessageListDiff, NotificationEvent, NotificationListener,
    TimelineListener, TimelineView,
};
pub use records::{
    Buddy, Device, Event, Invite, InvitePurpose, Me, Message, MessageState, QrCode, Redeemed,
};
pub use secret::{SecretStore, SecretStoreError};

uniffi::setup_scaffolding!("clearchat");

/// Version of the Clearchat core library (the workspace version).
#[uniffi::export]
pub fn core_version() -> String {
    clearchat_core::version().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn core_version_matches_core() {
        assert_eq!(super::core_version(), clearchat_core::version());
    }
}
