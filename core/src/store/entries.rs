//! The `entries`, `unopened` and `forks` tables: entries as received (ciphertext and header), the accepted
//! entries still waiting for a key, and fork evidence.

use super::{blob, int, uint};
use crate::error::Result;
use crate::ids::{DeviceId, Hash, SpaceId};
use rusqlite::{params, Connection, OptionalExtension};

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
            uint(r.get(1)?)?,
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
            Ok((uint(r.get(0)?)?, Hash(blob(r.get(1)?)?)))
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
        .query_row(params![space.0, author.0, int(seq)?], |r| {
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
    let rows = stmt.query_map(params![space.0, author.0, int(after)?, limit as i64], |r| {
        r.get(0)
    })?;
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
    stmt.execute(params![space.0, author.0, int(seq)?, hash.0, raw])?;
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
        params![space.0, author.0, int(seq)?, key_id],
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
        Ok((DeviceId(blob(r.get(0)?)?), uint(r.get(1)?)?))
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
        params![space.0, author.0, int(seq)?, raw],
    )?;
    Ok(())
}

pub fn fork_count(c: &Connection) -> Result<u64> {
    Ok(c.query_row("SELECT count(*) FROM forks", [], |r| r.get::<_, i64>(0))? as u64)
}

pub fn entry_count(c: &Connection) -> Result<u64> {
    Ok(c.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0))? as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// Heads are read by seeks: the plan reaches each log's newest entry by its full key and never
    /// walks a space's entries (which made every full `Have` cost ~250 ms at 300k entries).
    #[test]
    fn heads_seek_each_log_instead_of_walking_the_space() {
        let s = Store::in_memory().unwrap();
        let c = s.read().unwrap();
        let plan: Vec<String> = c
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
                    &c,
                    &space,
                    &DeviceId([author; 32]),
                    seq,
                    &Hash([seq as u8; 32]),
                    b"",
                )
                .unwrap();
            }
        }
        let heads = heads(&c, &space).unwrap();
        let want: Vec<(DeviceId, u64, Hash)> = (1..=3u8)
            .map(|a| (DeviceId([a; 32]), a as u64 * 10, Hash([a * 10; 32])))
            .collect();
        assert_eq!(heads, want);
    }
}
