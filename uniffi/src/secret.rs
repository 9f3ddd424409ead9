//! The phone's keystore as a foreign trait: the shells implement [`SecretStore`] (the Android Keystore, the
//! iOS Keychain) and open their client through it; this module only translates it into the core's trait.
//! An exception the host throws that is not a [`SecretStoreError`] becomes `Failed`, never a panic.

use clearchat_core as core;
use std::sync::Arc;

/// Why the keystore could not seal or unseal.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SecretStoreError {
    /// The keystore cannot be used now (iOS before the first unlock after a restart): try again later.
    #[error("the keystore is locked")]
    Locked,
    /// Any other failure: no key, a seal that does not open with it. `reason` must not carry key material.
    #[error("the keystore failed: {reason}")]
    Failed { reason: String },
}

/// An exception the host threw that is not a [`SecretStoreError`] (Kotlin sends its whole stack trace: only
/// its first line, the exception and its message, is kept).
impl From<uniffi::UnexpectedUniFFICallbackError> for SecretStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        let reason = e.reason.lines().next().unwrap_or_default().trim();
        Self::Failed {
            reason: reason.chars().take(200).collect(),
        }
    }
}

/// Seals the device's secret key with a key the platform keeps and never lets out of this device.
#[uniffi::export(with_foreign)]
pub trait SecretStore: Send + Sync {
    /// `secret`, sealed: only this keystore, on this device, can unseal it.
    fn seal(&self, secret: Vec<u8>) -> Result<Vec<u8>, SecretStoreError>;
    /// What `seal` sealed.
    fn unseal(&self, sealed: Vec<u8>) -> Result<Vec<u8>, SecretStoreError>;
}

/// The host's keystore, as the core's secret store.
struct Foreign(Arc<dyn SecretStore>);

impl core::SecretStore for Foreign {
    fn seal(&self, secret: Vec<u8>) -> Result<Vec<u8>, core::SecretStoreError> {
        self.0.seal(secret).map_err(Into::into)
    }

    fn unseal(&self, sealed: Vec<u8>) -> Result<Vec<u8>, core::SecretStoreError> {
        self.0.unseal(sealed).map_err(Into::into)
    }
}

impl From<SecretStoreError> for core::SecretStoreError {
    fn from(e: SecretStoreError) -> Self {
        match e {
            SecretStoreError::Locked => Self::Locked,
            SecretStoreError::Failed { reason } => Self::Failed(reason),
        }
    }
}

/// The core's form of the host's keystore, for a client's configuration.
pub(crate) fn into_core(store: Arc<dyn SecretStore>) -> Arc<dyn core::SecretStore> {
    Arc::new(Foreign(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exception_of_the_host_is_a_failure_of_the_keystore() {
        let unexpected =
            uniffi::UnexpectedUniFFICallbackError::new("java.lang.IllegalStateException");
        let e: core::SecretStoreError = SecretStoreError::from(unexpected).into();
        assert_eq!(
            e,
            core::SecretStoreError::Failed("java.lang.IllegalStateException".into())
        );
        let locked: core::SecretStoreError = SecretStoreError::Locked.into();
        assert_eq!(locked, core::SecretStoreError::Locked);
    }
}
