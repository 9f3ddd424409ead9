//! The SQLite store: schema and migrations, and every query. One file per data dir, WAL mode.
//! Entries are kept as received; members, messages, read markers, invites and peer addresses are
//! views maintained from them in the same transaction.

use crate::checkpoint::Checkpointer;
use crate::error::Result;
use crate::ids::{DeviceId, Hash, MessageKey, PersonId, SpaceId};
use crate::space::{Member, SpaceKey, SpaceKind, SpaceState};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

const MIGRATIONS: &[&str] = &[r#"
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
"#];

/// A space as stored on this device.
#[derive(Clone, Debug)]
pub struct SpaceRow {
    pub id: SpaceId,
    pub kind: SpaceKind,
    /// The space's first key: its id and every later key's delivery derive from it.
    pub key: SpaceKey,
    /// Every key of the space this device holds, oldest first (the first is `key`).
    pub keys: Vec<SpaceKey>,
    pub root: DeviceId,
    pub label: String,
    pub state: SpaceState,
    /// Our `Left` entry's seq, while closing.
    pub left_seq: Option<u64>,
}

/// A stored message, as the chat view reads it.
#[derive(Clone, Debug)]
pub struct MessageRow {
    pub key: MessageKey,
    pub text: String,
    pub reply_to: Option<(DeviceId, u64)>,
    pub state: String,
}

/// Page cache of the store's connection, in KiB (SQLite's default is 2 MiB). A catch-up appends to the
/// entries, messages and index trees at once; with 2 MiB their pages kept falling out of the cache and
/// every insert read them back (measured: 100k-message catch-up 2.8 s -> 1.8 s).
const CACHE_KIB: i64 = 8 * 1024;

pub struct Store {
    /// Declared before `_checkpointer`: the connection must close (and unhook) first.
    pub conn: Connection,
    _checkpointer: Option<Checkpointer>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        let checkpointer = Some(Checkpointer::start(&conn, path)?);
        Ok(Store {
            conn,
            _checkpointer: checkpointer,
        })
    }

    pub fn in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        Ok(Store {
            conn,
            _checkpointer: None,
        })
    }
}

/// A transaction that nests: inside an open transaction it joins it, otherwise it begins one.
pub struct Tx<'a>(Option<rusqlite::Transaction<'a>>);

pub fn begin(c: &Connection) -> Result<Tx<'_>> {
    Ok(Tx(if c.is_autocommit() {
        Some(c.unchecked_transaction()?)
    } else {
        None
    }))
}

impl Tx<'_> {
    pub fn commit(self) -> Result<()> {
        if let Some(tx) = self.0 {
            tx.commit()?;
        }
        Ok(())
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(crate::Error::Storage(format!(
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

fn blob<const N: usize>(v: Vec<u8>) -> rusqlite::Result<[u8; N]> {
    v.try_into().map_err(|_| rusqlite::Error::InvalidQuery)
}

// --- meta ---

pub fn meta_get(c: &Connection, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(
        c.query_row("SELECT value FROM meta WHERE key = ?", [key], |r| r.get(0))
            .optional()?,
    )
}

pub fn meta_set(c: &Connection, key: &str, value: &[u8]) -> Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        params![key, value],
    )?;
    Ok(())
}

// --- spaces ---

fn space_from_row(r: &rusqlite::Row) -> rusqlite::Result<SpaceRow> {
    let kind: String = r.get(1)?;
    let state: String = r.get(5)?;
    Ok(SpaceRow {
        id: SpaceId(blob(r.get(0)?)?),
        kind: SpaceKind::parse(&kind).ok_or(rusqlite::Error::InvalidQuery)?,
        key: SpaceKey(blob(r.get(2)?)?),
        keys: Vec::new(),
        root: DeviceId(blob(r.get(3)?)?),
        label: r.get(4)?,
        state: SpaceState::parse(&state),
        left_seq: r.get::<_, Option<i64>>(6)?.map(|s| s as u64),
    })
}

const SPACE_COLUMNS: &str = "id, kind, key, root, label, state, left_seq";

pub fn space_insert(
    c: &Connection,
    key: &SpaceKey,
    kind: SpaceKind,
    root: DeviceId,
    label: &str,
    now: u64,
) -> Result<bool> {
    let n = c.execute(
        "INSERT OR IGNORE INTO spaces (id, kind, key, root, label, state, joined_at) VALUES (?, ?, ?, ?, ?, 'active', ?)",
        params![key.space_id().0, kind.as_str(), key.0, root.0, label, now as i64],
    )?;
    Ok(n > 0)
}

pub fn space_get(c: &Connection, id: &SpaceId) -> Result<Option<SpaceRow>> {
    let sql = format!("SELECT {SPACE_COLUMNS} FROM spaces WHERE id = ?");
    let row = c
        .prepare_cached(&sql)?
        .query_row([id.0], space_from_row)
        .optional()?;
    row.map(|r| with_keys(c, r)).transpose()
}

pub fn spaces(c: &Connection) -> Result<Vec<SpaceRow>> {
    let sql = format!("SELECT {SPACE_COLUMNS} FROM spaces ORDER BY joined_at, id");
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map([], space_from_row)?;
    let rows: Vec<SpaceRow> = rows.collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|r| with_keys(c, r)).collect()
}

fn with_keys(c: &Connection, mut row: SpaceRow) -> Result<SpaceRow> {
    let mut stmt = c.prepare_cached("SELECT key FROM space_keys WHERE space = ? ORDER BY rowid")?;
    let later = stmt.query_map([row.id.0], |r| Ok(SpaceKey(blob(r.get(0)?)?)))?;
    row.keys = std::iter::once(Ok(row.key.clone()))
        .chain(later)
        .collect::<rusqlite::Result<_>>()?;
    Ok(row)
}

/// Adds a later key of a space; returns false if it was known.
pub fn space_key_add(c: &Connection, space: &SpaceId, key: &SpaceKey) -> Result<bool> {
    if key.space_id() == *space {
        return Ok(false);
    }
    let n = c.execute(
        "INSERT OR IGNORE INTO space_keys (space, key_id, key) VALUES (?, ?, ?)",
        params![space.0, key.key_id(), key.0],
    )?;
    Ok(n > 0)
}

impl SpaceRow {
    /// The key new entries are sealed with and offers prove: the newest.
    pub fn current_key(&self) -> &SpaceKey {
        self.keys.last().unwrap_or(&self.key)
    }

    pub fn key_by_id(&self, id: &[u8; 8]) -> Option<&SpaceKey> {
        self.keys.iter().find(|k| k.key_id() == *id)
    }
}

pub fn space_set_state(
    c: &Connection,
    id: &SpaceId,
    state: SpaceState,
    left_seq: Option<u64>,
) -> Result<()> {
    c.execute(
        "UPDATE spaces SET state = ?, left_seq = ? WHERE id = ?",
        params![state.as_str(), left_seq.map(|s| s as i64), id.0],
    )?;
    Ok(())
}

pub fn space_delete(c: &Connection, id: &SpaceId) -> Result<()> {
    for table in [
        "entries", "forks", "members", "persons", "messages", "reads",
    ] {
        c.execute(&format!("DELETE FROM {table} WHERE space = ?"), [id.0])?;
    }
    c.execute("DELETE FROM spaces WHERE id = ?", [id.0])?;
    Ok(())
}

// --- entries ---

/// (author, seq, hash) of every log's newest entry in a space.
/// The newest entry of every log of a space. Each author is found by one index seek past the previous
/// one, then its newest entry by another; `CROSS JOIN` keeps SQLite from turning this around into a walk
/// over every entry of the space (a GROUP BY would do that too).
const HEADS_SQL: &str = "WITH RECURSIVE authors(author) AS (
        SELECT (SELECT author FROM entries WHERE space = ?1 ORDER BY author LIMIT 1)
        UNION ALL
        SELECT (SELECT author FROM entries WHERE space = ?1 AND author > authors.author
                ORDER BY author LIMIT 1)
        FROM authors WHERE authors.author IS NOT NULL)
    SELECT e.author, e.seq, e.hash FROM authors CROSS JOIN entries e
    ON e.space = ?1 AND e.author = authors.author
    AND e.seq = (SELECT max(seq) FROM entries WHERE space = ?1 AND author = authors.author)";

pub fn heads(c: &Connection, space: &SpaceId) -> Result<Vec<(DeviceId, u64, Hash)>> {
    let mut stmt = c.prepare_cached(HEADS_SQL)?;
    let rows = stmt.query_map([space.0], |r| {
        Ok((
            DeviceId(blob(r.get(0)?)?),
            r.get::<_, i64>(1)? as u64,
            Hash(blob(r.get(2)?)?),
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn head(c: &Connection, space: &SpaceId, author: &DeviceId) -> Result<(u64, Hash)> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, hash FROM entries WHERE space = ? AND author = ? ORDER BY seq DESC LIMIT 1",
    )?;
    let row = stmt
        .query_row(params![space.0, author.0], |r| {
            Ok((r.get::<_, i64>(0)? as u64, Hash(blob(r.get(1)?)?)))
        })
        .optional()?;
    Ok(row.unwrap_or((0, Hash([0; 32]))))
}

pub fn entry_hash(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
) -> Result<Option<Hash>> {
    let mut stmt =
        c.prepare_cached("SELECT hash FROM entries WHERE space = ? AND author = ? AND seq = ?")?;
    let row = stmt
        .query_row(params![space.0, author.0, seq as i64], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()?;
    Ok(row.and_then(|h| h.try_into().ok().map(Hash)))
}

/// Raw entries of one log with seq > `after`, ascending, at most `limit`.
pub fn entries_after(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    after: u64,
    limit: usize,
) -> Result<Vec<Vec<u8>>> {
    let mut stmt = c.prepare_cached(
        "SELECT raw FROM entries WHERE space = ? AND author = ? AND seq > ? ORDER BY seq LIMIT ?",
    )?;
    let rows = stmt.query_map(
        params![space.0, author.0, after as i64, limit as i64],
        |r| r.get(0),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every raw entry of a space in log order per author (used to rebuild views).
pub fn entries_of_space(c: &Connection, space: &SpaceId) -> Result<Vec<Vec<u8>>> {
    let mut stmt =
        c.prepare_cached("SELECT raw FROM entries WHERE space = ? ORDER BY author, seq")?;
    let rows = stmt.query_map([space.0], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn entry_insert(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
    hash: &Hash,
    raw: &[u8],
) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO entries (space, author, seq, hash, raw) VALUES (?, ?, ?, ?, ?)",
    )?;
    stmt.execute(params![space.0, author.0, seq as i64, hash.0, raw])?;
    Ok(())
}

/// Remembers an accepted entry whose body waits for a key we do not hold yet.
pub fn unopened_add(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
    key_id: &[u8; 8],
) -> Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO unopened (space, author, seq, key_id) VALUES (?, ?, ?, ?)",
        params![space.0, author.0, seq as i64, key_id],
    )?;
    Ok(())
}

/// Takes the entries waiting for `key_id`, each log in seq order.
pub fn unopened_take(
    c: &Connection,
    space: &SpaceId,
    key_id: &[u8; 8],
) -> Result<Vec<(DeviceId, u64)>> {
    let mut stmt = c.prepare_cached(
        "DELETE FROM unopened WHERE space = ? AND key_id = ? RETURNING author, seq",
    )?;
    let rows = stmt.query_map(params![space.0, key_id], |r| {
        Ok((DeviceId(blob(r.get(0)?)?), r.get::<_, i64>(1)? as u64))
    })?;
    let mut out: Vec<(DeviceId, u64)> = rows.collect::<rusqlite::Result<_>>()?;
    out.sort();
    Ok(out)
}

pub fn fork_insert(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
    raw: &[u8],
) -> Result<()> {
    c.execute(
        "INSERT INTO forks (space, author, seq, raw) VALUES (?, ?, ?, ?)",
        params![space.0, author.0, seq as i64, raw],
    )?;
    Ok(())
}

pub fn fork_count(c: &Connection) -> Result<u64> {
    Ok(c.query_row("SELECT count(*) FROM forks", [], |r| r.get::<_, i64>(0))? as u64)
}

pub fn entry_count(c: &Connection) -> Result<u64> {
    Ok(c.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0))? as u64)
}

// --- members and persons ---

fn member_from_row(r: &rusqlite::Row) -> rusqlite::Result<(Member, String)> {
    Ok((
        Member {
            device: DeviceId(blob(r.get(0)?)?),
            person: PersonId(blob(r.get(1)?)?),
            removed_after: r.get::<_, Option<i64>>(2)?.map(|s| s as u64),
        },
        r.get(3)?,
    ))
}

pub fn member(c: &Connection, space: &SpaceId, device: &DeviceId) -> Result<Option<Member>> {
    let mut stmt = c.prepare_cached(
        "SELECT device, person, removed_after, name FROM members WHERE space = ? AND device = ?",
    )?;
    Ok(stmt
        .query_row(params![space.0, device.0], member_from_row)
        .optional()?
        .map(|(m, _)| m))
}

/// Members of a space with their device names, removed ones included.
pub fn members(c: &Connection, space: &SpaceId) -> Result<Vec<(Member, String)>> {
    let mut stmt = c.prepare_cached(
        "SELECT device, person, removed_after, name FROM members WHERE space = ? ORDER BY rowid",
    )?;
    let rows = stmt.query_map([space.0], member_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Adds a member; a removed device stays removed.
pub fn member_add(
    c: &Connection,
    space: &SpaceId,
    device: &DeviceId,
    person: &PersonId,
    name: &str,
) -> Result<bool> {
    let n = c.execute(
        "INSERT OR IGNORE INTO members (space, device, person, name) VALUES (?, ?, ?, ?)",
        params![space.0, device.0, person.0, name],
    )?;
    Ok(n > 0)
}

pub fn member_rename(c: &Connection, space: &SpaceId, device: &DeviceId, name: &str) -> Result<()> {
    c.execute(
        "UPDATE members SET name = ? WHERE space = ? AND device = ?",
        params![name, space.0, device.0],
    )?;
    Ok(())
}

/// Marks a member removed after `last_seq`; the earliest removal wins.
pub fn member_remove(
    c: &Connection,
    space: &SpaceId,
    device: &DeviceId,
    last_seq: u64,
) -> Result<bool> {
    let n = c.execute(
        "UPDATE members SET removed_after = ? WHERE space = ? AND device = ? AND (removed_after IS NULL OR removed_after > ?)",
        params![last_seq as i64, space.0, device.0, last_seq as i64],
    )?;
    Ok(n > 0)
}

pub fn person_set_name(
    c: &Connection,
    space: &SpaceId,
    person: &PersonId,
    name: &str,
) -> Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO persons (space, person, name) VALUES (?, ?, ?)",
        params![space.0, person.0, name],
    )?;
    Ok(())
}

pub fn persons(c: &Connection, space: &SpaceId) -> Result<Vec<(PersonId, String)>> {
    let mut stmt = c.prepare_cached("SELECT person, name FROM persons WHERE space = ?")?;
    let rows = stmt.query_map([space.0], |r| Ok((PersonId(blob(r.get(0)?)?), r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// --- messages and read markers ---

pub fn message_insert(
    c: &Connection,
    space: &SpaceId,
    key: &MessageKey,
    text: &str,
    reply_to: Option<(DeviceId, u64)>,
    state: &str,
) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT OR IGNORE INTO messages (space, author, seq, time, text, reply_author, reply_seq, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    stmt.execute(params![
        space.0,
        key.author.0,
        key.seq as i64,
        key.time as i64,
        text,
        reply_to.map(|r| r.0 .0),
        reply_to.map(|r| r.1 as i64),
        state
    ])?;
    Ok(())
}

fn message_from_row(r: &rusqlite::Row) -> rusqlite::Result<MessageRow> {
    let reply_author: Option<Vec<u8>> = r.get(4)?;
    let reply_seq: Option<i64> = r.get(5)?;
    Ok(MessageRow {
        key: MessageKey {
            author: DeviceId(blob(r.get(0)?)?),
            seq: r.get::<_, i64>(1)? as u64,
            time: r.get::<_, i64>(2)? as u64,
        },
        text: r.get(3)?,
        reply_to: match (reply_author, reply_seq) {
            (Some(a), Some(s)) => Some((DeviceId(blob(a)?), s as u64)),
            _ => None,
        },
        state: r.get(6)?,
    })
}

/// Up to `limit` messages strictly before `before` (or the newest), returned oldest first.
pub fn messages_page(
    c: &Connection,
    space: &SpaceId,
    before: Option<MessageKey>,
    limit: usize,
) -> Result<Vec<MessageRow>> {
    let before = before.unwrap_or(MessageKey {
        time: i64::MAX as u64,
        author: DeviceId([0xff; 32]),
        seq: i64::MAX as u64,
    });
    let mut stmt = c.prepare_cached(
        "SELECT author, seq, time, text, reply_author, reply_seq, state FROM messages
         WHERE space = ?1 AND (time, author, seq) < (?2, ?3, ?4)
         ORDER BY time DESC, author DESC, seq DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![
            space.0,
            before.time as i64,
            before.author.0,
            before.seq as i64,
            limit as i64
        ],
        message_from_row,
    )?;
    let mut page: Vec<MessageRow> = rows.collect::<rusqlite::Result<_>>()?;
    page.reverse();
    Ok(page)
}

pub fn message_get(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
) -> Result<Option<MessageRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT author, seq, time, text, reply_author, reply_seq, state FROM messages WHERE space = ? AND author = ? AND seq = ?",
    )?;
    Ok(stmt
        .query_row(params![space.0, author.0, seq as i64], message_from_row)
        .optional()?)
}

/// Raises the state of `author`'s messages up to `seq` to `state` ("sent" < "delivered"); returns the keys changed.
pub fn messages_raise_state(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
    state: &str,
) -> Result<Vec<MessageKey>> {
    let lower: &[&str] = if state == "delivered" {
        &["pending", "sent"]
    } else {
        &["pending"]
    };
    let mut changed = Vec::new();
    for from in lower {
        let mut stmt = c.prepare_cached(
            "UPDATE messages SET state = ?1 WHERE space = ?2 AND author = ?3 AND seq <= ?4 AND state = ?5 RETURNING time, seq",
        )?;
        let rows = stmt.query_map(params![state, space.0, author.0, seq as i64, from], |r| {
            Ok(MessageKey {
                time: r.get::<_, i64>(0)? as u64,
                author: *author,
                seq: r.get::<_, i64>(1)? as u64,
            })
        })?;
        for row in rows {
            changed.push(row?);
        }
    }
    Ok(changed)
}

pub fn last_message(c: &Connection, space: &SpaceId) -> Result<Option<MessageRow>> {
    Ok(messages_page(c, space, None, 1)?.pop())
}

/// Messages of others than `me` after `me`'s read marker.
pub fn unread_count(c: &Connection, space: &SpaceId, me: &PersonId) -> Result<u64> {
    let marker = read_marker(c, space, me)?.unwrap_or(MessageKey {
        time: 0,
        author: DeviceId([0; 32]),
        seq: 0,
    });
    let mut stmt = c.prepare_cached(
        "SELECT count(*) FROM messages m JOIN members mb ON mb.space = m.space AND mb.device = m.author
         WHERE m.space = ?1 AND mb.person != ?2 AND (m.time, m.author, m.seq) > (?3, ?4, ?5)",
    )?;
    let n: i64 = stmt.query_row(
        params![
            space.0,
            me.0,
            marker.time as i64,
            marker.author.0,
            marker.seq as i64
        ],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

pub fn read_marker(
    c: &Connection,
    space: &SpaceId,
    person: &PersonId,
) -> Result<Option<MessageKey>> {
    let mut stmt =
        c.prepare_cached("SELECT time, author, seq FROM reads WHERE space = ? AND person = ?")?;
    Ok(stmt
        .query_row(params![space.0, person.0], |r| {
            Ok(MessageKey {
                time: r.get::<_, i64>(0)? as u64,
                author: DeviceId(blob(r.get(1)?)?),
                seq: r.get::<_, i64>(2)? as u64,
            })
        })
        .optional()?)
}

/// Moves a person's read marker forward (never back). Returns true if it moved.
pub fn read_marker_raise(
    c: &Connection,
    space: &SpaceId,
    person: &PersonId,
    up_to: &MessageKey,
) -> Result<bool> {
    if read_marker(c, space, person)?.is_some_and(|old| old >= *up_to) {
        return Ok(false);
    }
    c.execute(
        "INSERT OR REPLACE INTO reads (space, person, time, author, seq) VALUES (?, ?, ?, ?, ?)",
        params![
            space.0,
            person.0,
            up_to.time as i64,
            up_to.author.0,
            up_to.seq as i64
        ],
    )?;
    Ok(true)
}

// --- invites ---

#[derive(Clone, Debug)]
pub struct InviteRow {
    pub id: [u8; 16],
    pub secret: [u8; 16],
    pub purpose: String,
    pub label: String,
    pub expires_at: u64,
    pub redeemed_by: Option<DeviceId>,
}

pub fn invite_insert(c: &Connection, row: &InviteRow) -> Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO invites (id, secret, purpose, label, expires_at) VALUES (?, ?, ?, ?, ?)",
        params![row.id, row.secret, row.purpose, row.label, row.expires_at as i64],
    )?;
    Ok(())
}

pub fn invite_get(c: &Connection, id: &[u8; 16]) -> Result<Option<InviteRow>> {
    Ok(c.query_row(
        "SELECT id, secret, purpose, label, expires_at, redeemed_by FROM invites WHERE id = ?",
        [id],
        |r| {
            Ok(InviteRow {
                id: blob(r.get(0)?)?,
                secret: blob(r.get(1)?)?,
                purpose: r.get(2)?,
                label: r.get(3)?,
                expires_at: r.get::<_, i64>(4)? as u64,
                redeemed_by: r
                    .get::<_, Option<Vec<u8>>>(5)?
                    .map(blob)
                    .transpose()?
                    .map(DeviceId),
            })
        },
    )
    .optional()?)
}

/// Records a redemption; a second, different redeemer does not overwrite the first.
pub fn invite_redeemed(c: &Connection, id: &[u8; 16], by: &DeviceId) -> Result<()> {
    c.execute(
        "UPDATE invites SET redeemed_by = ? WHERE id = ? AND redeemed_by IS NULL",
        params![by.0, id],
    )?;
    Ok(())
}

// --- peer addresses ---

pub fn peer_addr_add(
    c: &Connection,
    device: &DeviceId,
    addr: &std::net::SocketAddr,
    now: u64,
) -> Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO peers (device, addr, seen_at) VALUES (?, ?, ?)",
        params![device.0, addr.to_string(), now as i64],
    )?;
    Ok(())
}

/// When a device was last connected to us (seconds since the epoch).
pub fn peer_last_seen(c: &Connection, device: &DeviceId) -> Result<Option<u64>> {
    let mut stmt = c.prepare_cached("SELECT value FROM meta WHERE key = ?")?;
    let key = format!("seen:{device}");
    let row = stmt
        .query_row([key], |r| r.get::<_, Vec<u8>>(0))
        .optional()?;
    Ok(row.and_then(|v| v.try_into().ok()).map(u64::from_be_bytes))
}

pub fn peer_seen(c: &Connection, device: &DeviceId, now: u64) -> Result<()> {
    meta_set(c, &format!("seen:{device}"), &now.to_be_bytes())
}

/// Known addresses of a device, most recently seen first.
pub fn peer_addrs(c: &Connection, device: &DeviceId) -> Result<Vec<std::net::SocketAddr>> {
    let mut stmt =
        c.prepare_cached("SELECT addr FROM peers WHERE device = ? ORDER BY seen_at DESC LIMIT 8")?;
    let rows = stmt.query_map([device.0], |r| r.get::<_, String>(0))?;
    Ok(rows.filter_map(|a| a.ok()?.parse().ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_recorded_and_reopen_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let s = Store::open(&path).unwrap();
            meta_set(&s.conn, "k", b"v").unwrap();
        }
        let s = Store::open(&path).unwrap();
        let v: usize = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len());
        assert_eq!(meta_get(&s.conn, "k").unwrap(), Some(b"v".to_vec()));
    }

    /// Heads are read by seeks: the plan reaches each log's newest entry by its full key and never
    /// walks a space's entries (which made every full `Have` cost ~250 ms at 300k entries).
    #[test]
    fn heads_seek_each_log_instead_of_walking_the_space() {
        let s = Store::in_memory().unwrap();
        let plan: Vec<String> = s
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {HEADS_SQL}"))
            .unwrap()
            .query_map([[0u8; 32]], |r| r.get(3))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let outer = plan
            .iter()
            .find(|l| l.starts_with("SEARCH e "))
            .expect("a search of e");
        assert!(outer.contains("author=? AND seq=?"), "{plan:#?}");
        assert!(
            !plan
                .iter()
                .any(|l| l.starts_with("SCAN e") || l.starts_with("SCAN entries")),
            "{plan:#?}"
        );
        // And the answer is right for several logs.
        let space = SpaceId([9; 32]);
        for author in 1..=3u8 {
            for seq in 1..=(author as u64 * 10) {
                entry_insert(
                    &s.conn,
                    &space,
                    &DeviceId([author; 32]),
                    seq,
                    &Hash([seq as u8; 32]),
                    b"",
                )
                .unwrap();
            }
        }
        let heads = heads(&s.conn, &space).unwrap();
        let want: Vec<(DeviceId, u64, Hash)> = (1..=3u8)
            .map(|a| (DeviceId([a; 32]), a as u64 * 10, Hash([a * 10; 32])))
            .collect();
        assert_eq!(heads, want);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        Store::open(&path)
            .unwrap()
            .conn
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(Store::open(&path), Err(crate::Error::Storage(_))));
    }

    #[test]
    fn paging_and_read_markers() {
        let s = Store::in_memory().unwrap();
        let space = SpaceId([1; 32]);
        let (me, them) = (PersonId([1; 16]), PersonId([2; 16]));
        let (a, b) = (DeviceId([1; 32]), DeviceId([2; 32]));
        member_add(&s.conn, &space, &a, &me, "a").unwrap();
        member_add(&s.conn, &space, &b, &them, "b").unwrap();
        for seq in 1..=10u64 {
            let author = if seq % 2 == 0 { a } else { b };
            message_insert(
                &s.conn,
                &space,
                &MessageKey {
                    time: seq,
                    author,
                    seq,
                },
                "x",
                None,
                "delivered",
            )
            .unwrap();
        }
        let page = messages_page(&s.conn, &space, None, 3).unwrap();
        assert_eq!(
            page.iter().map(|m| m.key.time).collect::<Vec<_>>(),
            vec![8, 9, 10]
        );
        let older = messages_page(&s.conn, &space, Some(page[0].key), 100).unwrap();
        assert_eq!(older.len(), 7);
        assert_eq!(unread_count(&s.conn, &space, &me).unwrap(), 5);
        assert!(read_marker_raise(&s.conn, &space, &me, &page[0].key).unwrap());
        assert!(!read_marker_raise(&s.conn, &space, &me, &older[0].key).unwrap());
        assert_eq!(unread_count(&s.conn, &space, &me).unwrap(), 1);
    }
}
