//! Item 12, on a phone: the device's secret key is sealed by the phone's keystore (a `SecretStore`), so a
//! store file restored from a backup or copied to another phone does not open there. The other phone gets
//! a typed error, not a new device over the old store, and the file is left as it was: the right keystore
//! still opens it, as the same device. The keystore here is a real AEAD (ChaCha20-Poly1305) with a key
//! of its own, as the Android Keystore and the iOS Keychain hold one the app never sees.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use clearchat_core::{Client, Config, DeviceId, Error, SecretStore, SecretStoreError};
use rand::RngCore;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What the keystore is doing now.
#[derive(Clone, Copy, PartialEq)]
enum Mood {
    Working,
    Locked,
    Broken,
}

/// A phone's keystore: seals with a key of its own, remembers every secret it was given (so the test can
/// look for it in the files), and can be locked or broken.
struct Keystore {
    key: [u8; 32],
    seen: Mutex<Vec<Vec<u8>>>,
    mood: Mutex<Mood>,
}

impl Keystore {
    fn new() -> Arc<Keystore> {
        let mut key = [0; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Arc::new(Keystore {
            key,
            seen: Mutex::new(Vec::new()),
            mood: Mutex::new(Mood::Working),
        })
    }

    fn set(&self, mood: Mood) {
        *self.mood.lock().unwrap() = mood;
    }

    fn check(&self) -> Result<(), SecretStoreError> {
        match *self.mood.lock().unwrap() {
            Mood::Working => Ok(()),
            Mood::Locked => Err(SecretStoreError::Locked),
            Mood::Broken => Err(SecretStoreError::Failed("the keystore is broken".into())),
        }
    }

    fn secrets(&self) -> Vec<Vec<u8>> {
        self.seen.lock().unwrap().clone()
    }
}

impl SecretStore for Keystore {
    fn seal(&self, secret: Vec<u8>) -> Result<Vec<u8>, SecretStoreError> {
        self.check()?;
        let mut nonce = [0; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = ChaCha20Poly1305::new(&self.key.into())
            .encrypt(Nonce::from_slice(&nonce), secret.as_slice())
            .map_err(|_| SecretStoreError::Failed("seal".into()))?;
        self.seen.lock().unwrap().push(secret);
        Ok([nonce.to_vec(), sealed].concat())
    }

    fn unseal(&self, sealed: Vec<u8>) -> Result<Vec<u8>, SecretStoreError> {
        self.check()?;
        if sealed.len() < 12 {
            return Err(SecretStoreError::Failed("too short".into()));
        }
        let (nonce, sealed) = sealed.split_at(12);
        let secret = ChaCha20Poly1305::new(&self.key.into())
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| SecretStoreError::Failed("the seal does not open with this key".into()))?;
        self.seen.lock().unwrap().push(secret.clone());
        Ok(secret)
    }
}

fn open(data: &Path, keystore: Option<&Arc<Keystore>>) -> clearchat_core::Result<Client> {
    let config = Config {
        secret_store: keystore.map(|k| k.clone() as Arc<dyn SecretStore>),
        ..Config::loopback()
    };
    Client::open_with(data, "phone", config)
}

fn device(client: &Client) -> DeviceId {
    client.me().unwrap().device_id
}

/// Every byte of the store's files (the database, its write-ahead log).
fn files(data: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for name in ["clearchat.db", "clearchat.db-wal"] {
        if let Ok(bytes) = std::fs::read(data.join(name)) {
            out.extend(bytes);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn db_bytes(data: &Path) -> Vec<u8> {
    std::fs::read(data.join("clearchat.db")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_made_through_the_keystore_keeps_its_key_only_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keystore = Keystore::new();
    let phone = open(&data, Some(&keystore)).unwrap();
    let me = device(&phone);
    phone.set_person_name("Amy").await.unwrap();
    let secret = keystore.secrets()[0].clone();
    assert_eq!(secret.len(), 32);
    // While it is open (the write-ahead log is live) and after it is closed.
    assert!(!contains(&files(&data), &secret), "the key in the clear");
    drop(phone);
    assert!(!contains(&files(&data), &secret), "the key in the clear");
    let again = open(&data, Some(&keystore)).unwrap();
    assert_eq!(device(&again), me, "the same device");
    assert_eq!(again.me().unwrap().person_name, "Amy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_copied_to_another_phone_does_not_open_there_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mine = Keystore::new();
    let phone = open(&data, Some(&mine)).unwrap();
    let me = device(&phone);
    phone.set_person_name("Amy").await.unwrap();
    drop(phone);
    let before = db_bytes(&data);

    // Another phone (its keystore has another key), a laptop (no keystore), a keystore that fails.
    let other = Keystore::new();
    let broken = Keystore::new();
    broken.set(Mood::Broken);
    for (what, keystore) in [
        ("another phone", Some(&other)),
        ("no keystore", None),
        ("a broken keystore", Some(&broken)),
    ] {
        let err = open(&data, keystore).err().expect(what);
        assert!(
            matches!(err, Error::DeviceKeyUnavailable { .. }),
            "{what}: {err}"
        );
        assert!(
            err.to_string().contains("copied from another device"),
            "{what}: plain words: {err}"
        );
        assert_eq!(db_bytes(&data), before, "{what}: the store is unchanged");
    }
    assert!(
        other.secrets().is_empty(),
        "nothing opened on the other phone"
    );

    // The phone it came from still opens it, as the same device.
    let again = open(&data, Some(&mine)).unwrap();
    assert_eq!(device(&again), me);
    assert_eq!(again.me().unwrap().person_name, "Amy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_keystore_says_try_later_and_makes_no_new_device() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keystore = Keystore::new();
    let me = device(&open(&data, Some(&keystore)).unwrap());
    let before = db_bytes(&data);
    keystore.set(Mood::Locked);
    let err = open(&data, Some(&keystore)).err().expect("locked");
    assert!(matches!(err, Error::KeystoreLocked), "{err}");
    assert!(err.to_string().contains("locked"), "{err}");
    assert_eq!(db_bytes(&data), before);
    keystore.set(Mood::Working);
    assert_eq!(device(&open(&data, Some(&keystore)).unwrap()), me);

    // A new device cannot be made while it is locked or broken, and nothing of one is left behind.
    let fresh = dir.path().join("fresh");
    keystore.set(Mood::Locked);
    assert!(matches!(
        open(&fresh, Some(&keystore)).err(),
        Some(Error::KeystoreLocked)
    ));
    keystore.set(Mood::Broken);
    assert!(matches!(
        open(&fresh, Some(&keystore)).err(),
        Some(Error::Storage(_))
    ));
    keystore.set(Mood::Working);
    let made = open(&fresh, Some(&keystore)).unwrap();
    drop(made);
    assert!(open(&fresh, None).is_err(), "made sealed, after all");
}

/// A laptop's store moved onto a phone (or an app updated from a version without the keystore): the key
/// is moved into the keystore on open, and no copy in the clear stays in the files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_kept_in_the_clear_is_moved_into_the_keystore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let laptop = open(&data, None).unwrap();
    let me = device(&laptop);
    laptop.set_person_name("Amy").await.unwrap();
    let secret = clearchat_core::testing::identity(&laptop)
        .unwrap()
        .0
        .to_bytes();
    drop(laptop);
    assert!(
        contains(&files(&data), &secret),
        "the laptop keeps it in the file"
    );

    let keystore = Keystore::new();
    let phone = open(&data, Some(&keystore)).unwrap();
    assert_eq!(device(&phone), me);
    assert_eq!(keystore.secrets(), vec![secret.to_vec()]);
    assert!(!contains(&files(&data), &secret), "moved, not copied");
    drop(phone);
    assert!(!contains(&files(&data), &secret), "moved, not copied");
    assert!(matches!(
        open(&data, None).err(),
        Some(Error::DeviceKeyUnavailable { .. })
    ));
    let again = open(&data, Some(&keystore)).unwrap();
    assert_eq!(device(&again), me);
    assert_eq!(again.me().unwrap().person_name, "Amy");
}

/// A keystore that cannot take the key now (locked after a restart, or failing) does not stop a device whose
/// key is in the clear from opening: the key is moved on a later open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_in_the_clear_is_moved_once_the_keystore_can_take_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let me = device(&open(&data, None).unwrap());
    let keystore = Keystore::new();
    for mood in [Mood::Locked, Mood::Broken] {
        keystore.set(mood);
        assert_eq!(device(&open(&data, Some(&keystore)).unwrap()), me);
        assert_eq!(
            device(&open(&data, None).unwrap()),
            me,
            "still in the clear"
        );
    }
    keystore.set(Mood::Working);
    assert_eq!(device(&open(&data, Some(&keystore)).unwrap()), me);
    assert!(matches!(
        open(&data, None).err(),
        Some(Error::DeviceKeyUnavailable { .. })
    ));
}
