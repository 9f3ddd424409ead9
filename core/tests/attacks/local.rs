//! Item 12: another user of the laptop must not read the store (the device's secret key and every
//! message). A new store is the owner's alone, and a store file others can read is refused.

use clearchat_core::{Client, Config};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_store_is_the_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = Client::open_with(&data, "laptop", Config::loopback()).unwrap();
    assert_eq!(mode(&data), 0o700, "the data dir");
    assert_eq!(mode(&data.join("clearchat.db")), 0o600, "the store file");
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_file_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(Client::open_with(&data, "laptop", Config::loopback()).unwrap());
    let store = data.join("clearchat.db");
    // Another user can reach the file: the dir lets others in, the file lets them read.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = Client::open_with(&data, "laptop", Config::loopback());
    let err = refused.err().expect("a store others can read is refused");
    assert!(
        err.to_string().contains("readable by other users"),
        "a clear reason: {err}"
    );
    // The file is not changed behind the owner's back, and opens again once it is private.
    assert_eq!(mode(&store), 0o644);
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o600)).unwrap();
    drop(Client::open_with(&data, "laptop", Config::loopback()).unwrap());
}

/// A store an earlier version created 0644 inside the private (0700) data dir was never readable by
/// others: it is made 0600 when opened, not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_of_an_earlier_version_in_a_private_dir_is_made_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(Client::open_with(&data, "laptop", Config::loopback()).unwrap());
    let store = data.join("clearchat.db");
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Client::open_with(&data, "laptop", Config::loopback()).unwrap());
    assert_eq!(mode(&store), 0o600);
}
