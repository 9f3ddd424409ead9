//! The `spaces`, `space_keys` and `left_spaces` tables: the spaces this device holds, every key of each,
//! and the spaces my person left.

use super::{blob, int, uint};
use crate::error::Result;
use crate::ids::{DeviceId, Now, SpaceId};
use crate::space::{SpaceKey, SpaceKind, SpaceState};
use rusqlite::{params, Connection, OptionalExtension};

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

impl SpaceRow {
    /// The key new entries are sealed with: the newest.
    pub fn current_key(&self) -> &SpaceKey {
        self.keys.last().unwrap_or(&self.key)
    }
}

const SPACE_COLUMNS: &str = "id, kind, key, root, label, state, left_seq";

fn space_from_row(r: &rusqlite::Row) -> rusqlite::Result<SpaceRow> {
    Ok(SpaceRow {
        id: SpaceId(blob(r.get(0)?)?),
        kind: r.get(1)?,
        key: SpaceKey(blob(r.get(2)?)?),
        keys: Vec::new(),
        root: DeviceId(blob(r.get(3)?)?),
        label: r.get(4)?,
        state: r.get(5)?,
        left_seq: r.get::<_, Option<i64>>(6)?.map(uint).transpose()?,
    })
}

/// Adds a space (active); returns false if it was held already.
pub fn space_insert(
    c: &Connection,
    key: &SpaceKey,
    kind: SpaceKind,
    root: DeviceId,
    label: &str,
    now: Now,
) -> Result<bool> {
    let n = c.execute(
        "INSERT OR IGNORE INTO spaces (id, kind, key, root, label, state, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            key.space_id().0,
            kind,
            key.0,
            root.0,
            label,
            SpaceState::Active,
            now.ms() as i64
        ],
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

/// Every space held, in the order they were joined.
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

pub fn space_set_state(
    c: &Connection,
    id: &SpaceId,
    state: SpaceState,
    left_seq: Option<u64>,
) -> Result<()> {
    c.execute(
        "UPDATE spaces SET state = ?, left_seq = ? WHERE id = ?",
        params![state, left_seq.map(int).transpose()?, id.0],
    )?;
    Ok(())
}

/// Forgets a space and everything in it.
pub fn space_delete(c: &Connection, id: &SpaceId) -> Result<()> {
    for sql in [
        "DELETE FROM entries WHERE space = ?",
        "DELETE FROM forks WHERE space = ?",
        "DELETE FROM members WHERE space = ?",
        "DELETE FROM persons WHERE space = ?",
        "DELETE FROM messages WHERE space = ?",
        "DELETE FROM reads WHERE space = ?",
        "DELETE FROM unopened WHERE space = ?",
        "DELETE FROM space_keys WHERE space = ?",
        "DELETE FROM spaces WHERE id = ?",
    ] {
        c.execute(sql, [id.0])?;
    }
    Ok(())
}

/// Records that my person left `space` (whichever of my logs said so first).
pub fn space_left_add(c: &Connection, space: &SpaceId) -> Result<()> {
    c.prepare_cached("INSERT OR IGNORE INTO left_spaces (space) VALUES (?)")?
        .execute([space.0])?;
    Ok(())
}

/// Whether my person left `space`.
pub fn space_left(c: &Connection, space: &SpaceId) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM left_spaces WHERE space = ?")?
            .query_row([space.0], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}
