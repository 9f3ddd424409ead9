//! The schema and its forward migrations, recorded in `user_version`. A store written by any earlier
//! version opens and is brought forward; one written by a newer version is refused.

use crate::error::{Error, Result};
use rusqlite::Connection;

/// Version 1: the first schema.
const V1: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE spaces (
    id BLOB PRIMARY KEY, kind TEXT NOT NULL, key BLOB NOT NULL, root BLOB NOT NULL,
    label TEXT NOT NULL, state TEXT NOT NULL, left_seq INTEGER, joined_at INTEGER NOT NULL);
CREATE TABLE space_keys (space BLOB NOT NULL, key_id BLOB NOT NULL, key BLOB NOT NULL,
    PRIMARY KEY (space, key_id));
CREATE TABLE unopened (space BLOB NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL,
    key_id BLOB NOT NULL, PRIMARY KEY (space, author, seq));
CREATE TABLE entries (
    space BLOB NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,
    raw BLOB NOT NULL, PRIMARY KEY (space, author, seq)) WITHOUT ROWID;
CREATE TABLE forks (space BLOB NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL, raw BLOB NOT NULL);
CREATE TABLE members (
    space BLOB NOT NULL, device BLOB NOT NULL, person BLOB NOT NULL, name TEXT NOT NULL,
    removed_after INTEGER, PRIMARY KEY (space, device));
CREATE TABLE persons (space BLOB NOT NULL, person BLOB NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (space, person)) WITHOUT ROWID;
CREATE TABLE messages (
    space BLOB NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL,
    text TEXT NOT NULL, reply_author BLOB, reply_seq INTEGER, state TEXT NOT NULL,
    PRIMARY KEY (space, author, seq)) WITHOUT ROWID;
CREATE INDEX messages_by_time ON messages (space, time, author, seq);
CREATE TABLE reads (space BLOB NOT NULL, person BLOB NOT NULL, time INTEGER NOT NULL,
    author BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (space, person)) WITHOUT ROWID;
CREATE TABLE invites (id BLOB PRIMARY KEY, secret BLOB NOT NULL, purpose TEXT NOT NULL,
    label TEXT NOT NULL, expires_at INTEGER NOT NULL, redeemed_by BLOB);
CREATE TABLE peers (device BLOB NOT NULL, addr TEXT NOT NULL, seen_at INTEGER NOT NULL,
    PRIMARY KEY (device, addr)) WITHOUT ROWID;
"#;

/// Version 2: one marker for "my person left this space" (earlier stores kept two in `meta`:
/// `left:{id}` noted by the client, `space-left:{id}` by the replica). Both are merged into the table.
const V2: &str = r#"
CREATE TABLE left_spaces (space BLOB PRIMARY KEY) WITHOUT ROWID;
INSERT OR IGNORE INTO left_spaces (space)
    SELECT unhex(substr(key, instr(key, ':') + 1)) FROM meta
    WHERE (key LIKE 'left:%' OR key LIKE 'space-left:%')
      AND unhex(substr(key, instr(key, ':') + 1)) IS NOT NULL;
DELETE FROM meta WHERE key LIKE 'left:%' OR key LIKE 'space-left:%';
"#;

/// Version 3: an index of the messages not yet delivered to a buddy device, so that an acknowledgement
/// raises their states without reading the whole conversation.
const V3: &str = r#"
CREATE INDEX messages_undelivered ON messages (space, author, seq) WHERE state != 'delivered';
"#;

/// Version 4: the device that issued each invite (an invite dies with it), a second joiner of one code
/// (when two devices of the person served it before they synced), and the epoch of each key a rotation
/// established, with its author (keys of older stores keep their arrival order, with no author).
const V4: &str = r#"
ALTER TABLE invites ADD COLUMN issuer BLOB;
ALTER TABLE invites ADD COLUMN also_redeemed_by BLOB;
CREATE TABLE space_epochs (space BLOB NOT NULL, key_id BLOB NOT NULL, epoch INTEGER NOT NULL,
    author BLOB, PRIMARY KEY (space, key_id)) WITHOUT ROWID;
INSERT INTO space_epochs (space, key_id, epoch, author) SELECT space, key_id, rowid, NULL FROM space_keys;
"#;

const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(Error::Storage(format!(
            "the data dir was written by a newer Clearchat (schema {version})"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SpaceId;
    use crate::store::{meta_get, meta_set, space_left, Meta, Store};

    #[test]
    fn migrations_are_recorded_and_reopen_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let s = Store::open(&path).unwrap();
            s.write(|c| meta_set(c, Meta::DeviceName, b"v")).unwrap();
        }
        let s = Store::open(&path).unwrap();
        let c = s.read().unwrap();
        let v: usize = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len());
        assert_eq!(meta_get(&c, Meta::DeviceName).unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(Store::open(&path), Err(Error::Storage(_))));
    }

    /// A store as version 1 wrote it, with both kinds of "left" marker, opens with one marker per space.
    #[test]
    fn the_two_left_markers_of_a_version_1_store_become_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let (by_client, by_replica, both) = (SpaceId([1; 32]), SpaceId([2; 32]), SpaceId([3; 32]));
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(V1).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
            for key in [
                format!("left:{by_client}"),
                format!("space-left:{by_replica}"),
                format!("left:{both}"),
                format!("space-left:{both}"),
                "left:not-hex".to_string(),
            ] {
                c.execute("INSERT INTO meta (key, value) VALUES (?, x'31')", [key])
                    .unwrap();
            }
            c.execute("INSERT INTO meta (key, value) VALUES ('person', x'00')", [])
                .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let c = s.read().unwrap();
        for space in [by_client, by_replica, both] {
            assert!(space_left(&c, &space).unwrap(), "{space:?}");
        }
        assert!(!space_left(&c, &SpaceId([4; 32])).unwrap());
        let markers: i64 = c
            .query_row("SELECT count(*) FROM left_spaces", [], |r| r.get(0))
            .unwrap();
        assert_eq!(markers, 3);
        let left_in_meta: i64 = c
            .query_row(
                "SELECT count(*) FROM meta WHERE key LIKE '%left:%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left_in_meta, 0, "the old markers are gone");
        assert_eq!(
            meta_get(&c, Meta::Person).unwrap(),
            Some(vec![0]),
            "the rest is kept"
        );
    }
}
