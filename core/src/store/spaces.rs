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
    /// The current key, if a rotation established one this device holds (see `space::Rotation`).
    pub current: Option<SpaceKey>,
    /// The held keys that rotations by current members established, newest epoch first (`current` is
    /// the first).
    pub epochs: Vec<SpaceKey>,
}

impl SpaceRow {
    /// The key new entries are sealed with: the current one, else the first.
    pub fn current_key(&self) -> &SpaceKey {
        self.current.as_ref().unwrap_or(&self.key)
    }

    /// Every key of the space that still counts, newest epoch first, ending with the first key (epoch 0):
    /// the keys a member may prove in an offer (see `sync::offers`).
    pub fn counted_keys(&self) -> Vec<SpaceKey> {
        let mut keys = self.epochs.clone();
        keys.push(self.key.clone());
        keys
    }
}

/// The held keys established by a current member (or by no known author: keys of stores older than
/// epochs), highest epoch first, the smallest key id first among equals: the first is the current key.
const EPOCH_KEYS_SQL: &str = "SELECT k.key FROM space_keys k
    JOIN space_epochs e ON e.space = k.space AND e.key_id = k.key_id
    LEFT JOIN members m ON m.space = e.space AND m.device = e.author
    WHERE k.space = ?1 AND (e.author IS NULL OR (m.device IS NOT NULL AND m.removed_after IS NULL))
    ORDER BY e.epoch DESC, e.key_id ASC";

const SPACE_COLUMNS: &str = "id, kind, key, root, label, state, left_seq";

fn space_from_row(r: &rusqlite::Row) -> rusqlite::Result<SpaceRow> {
    Ok(SpaceRow {
        id: SpaceId(blob(r.get(0)?)?),
        kind: r.get(1)?,
        key: SpaceKey(blob(r.get(2)?)?),
        keys: Vec::new(),
        current: None,
        epochs: Vec::new(),
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
    let mut stmt = c.prepare_cached(EPOCH_KEYS_SQL)?;
    let epochs = stmt.query_map([row.id.0], |r| Ok(SpaceKey(blob(r.get(0)?)?)))?;
    row.epochs = epochs.collect::<rusqlite::Result<_>>()?;
    row.current = row.epochs.first().cloned();
    Ok(row)
}

/// Records that a rotation by `author` established the key `key_id` at `epoch` (the first record of a key
/// id counts).
pub fn space_epoch_add(
    c: &Connection,
    space: &SpaceId,
    key_id: &[u8; 8],
    epoch: u64,
    author: &DeviceId,
) -> Result<bool> {
    let n = c.execute(
        "INSERT OR IGNORE INTO space_epochs (space, key_id, epoch, author) VALUES (?, ?, ?, ?)",
        params![space.0, key_id, int(epoch)?, author.0],
    )?;
    Ok(n > 0)
}

/// The highest epoch recorded in a space (0: none, the first key).
pub fn space_max_epoch(c: &Connection, space: &SpaceId) -> Result<u64> {
    let max: Option<i64> = c.query_row(
        "SELECT max(epoch) FROM space_epochs WHERE space = ?",
        [space.0],
        |r| r.get(0),
    )?;
    Ok(max.map(uint).transpose()?.unwrap_or(0))
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
        "DELETE FROM space_epochs WHERE space = ?",
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
