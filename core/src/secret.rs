//! The platform's keystore, as the core sees it: a [`SecretStore`] seals the device's secret key before it
//! is written to the store file and unseals it when the device opens. The phone shells implement it (the
//! Android Keystore, the iOS Keychain) with a wrapping key that never leaves that phone, so a store file
//! restored from a backup or copied to another phone does not open there: the engine says so with
//! [`Error::DeviceKeyUnavailable`] and leaves the file as it is, instead of making a new device over it.
//! The laptop has no secret store: its key stays in the owner-only (0600) store file.
//!
//! This module owns the trait, its error, and the one layout of a sealed key in the store: the device id
//! (its public key, which is no secret) followed by what the secret store made of the 32-byte secret. The
//! device id lets the engine tell a secret store that returns the wrong bytes (another phone's key, a
//! store that does not authenticate) from the right one.

use crate::error::Error;
use ed25519_dalek::SigningKey;
use std::fmt;

/// Why a secret store could not seal or unseal.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretStoreError {
    /// The keystore cannot be used now (iOS before the first unlock after a reboot): try again later.
    /// Never "there is no secret".
    #[error("the keystore is locked")]
    Locked,
    /// The keystore failed: no such key, the seal does not open with it, or any other failure. The reason
    /// is the platform's and must not carry key material.
    #[error("the keystore failed: {0}")]
    Failed(String),
}

/// Wraps the device's secret key with a key the platform keeps (and never lets out).
pub trait SecretStore: Send + Sync {
    /// `secret`, sealed: only this secret store, on this device, can unseal it.
    fn seal(&self, secret: Vec<u8>) -> Result<Vec<u8>, SecretStoreError>;
    /// What [`SecretStore::seal`] sealed.
    fn unseal(&self, sealed: Vec<u8>) -> Result<Vec<u8>, SecretStoreError>;
}

/// A secret store shows as nothing but its name (a client's configuration holds one).
impl fmt::Debug for dyn SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretStore")
    }
}

/// The device key sealed by `secrets`, as the store keeps it (see the top of this module).
pub(crate) fn seal(secrets: &dyn SecretStore, key: &SigningKey) -> Result<Vec<u8>, Error> {
    let sealed = secrets.seal(key.to_bytes().to_vec()).map_err(|e| match e {
        SecretStoreError::Locked => Error::KeystoreLocked,
        SecretStoreError::Failed(reason) => Error::Storage(format!(
            "the keystore could not seal this device's key: {reason}"
        )),
    })?;
    let mut out = key.verifying_key().to_bytes().to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The device key of a sealed value, unsealed by `secrets`, or a typed error if there is no secret store
/// here or it cannot open the seal.
pub(crate) fn unseal(
    secrets: Option<&dyn SecretStore>,
    stored: &[u8],
) -> Result<SigningKey, Error> {
    let unavailable = |reason: &str| Error::DeviceKeyUnavailable {
        reason: reason.to_string(),
    };
    let Some(secrets) = secrets else {
        return Err(unavailable("no keystore was given to open it"));
    };
    if stored.len() <= 32 {
        return Err(Error::Storage("the sealed device key is damaged".into()));
    }
    let (device, sealed) = stored.split_at(32);
    let secret = secrets.unseal(sealed.to_vec()).map_err(|e| match e {
        SecretStoreError::Locked => Error::KeystoreLocked,
        SecretStoreError::Failed(reason) => unavailable(&reason),
    })?;
    let secret: [u8; 32] = secret
        .try_into()
        .map_err(|_| unavailable("the keystore gave back something else"))?;
    let key = SigningKey::from_bytes(&secret);
    if key.verifying_key().as_bytes()[..] != *device {
        return Err(unavailable("the keystore gave back another key"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XORs with a byte: a store that transforms but does not authenticate.
    struct Xor(u8);
    impl SecretStore for Xor {
        fn seal(&self, secret: Vec<u8>) -> Result<Vec<u8>, SecretStoreError> {
            Ok(secret.into_iter().map(|b| b ^ self.0).collect())
        }
        fn unseal(&self, sealed: Vec<u8>) -> Result<Vec<u8>, SecretStoreError> {
            self.seal(sealed)
        }
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_store() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let stored = seal(&Xor(1), &key).unwrap();
        assert_eq!(&stored[..32], key.verifying_key().as_bytes());
        assert!(!stored.windows(32).any(|w| w == key.as_bytes()));
        assert_eq!(unseal(Some(&Xor(1)), &stored).unwrap().to_bytes(), [7; 32]);
        // Another store's bytes are caught by the device id, though this store does not authenticate.
        assert!(matches!(
            unseal(Some(&Xor(2)), &stored),
            Err(Error::DeviceKeyUnavailable { .. })
        ));
        assert!(matches!(
            unseal(None, &stored),
            Err(Error::DeviceKeyUnavailable { .. })
        ));
        assert!(matches!(
            unseal(Some(&Xor(1)), &stored[..32]),
            Err(Error::Storage(_))
        ));
    }

    #[test]
    fn errors_carry_no_key_material() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let stored = seal(&Xor(3), &key).unwrap();
        let e = unseal(Some(&Xor(4)), &stored).unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(!text.contains("9, 9, 9"), "{text}");
        assert!(!text.contains("0909090909"), "{text}");
    }
}
