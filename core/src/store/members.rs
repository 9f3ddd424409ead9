//! The `members` and `persons` tables: who belongs to each space (device, person, name, removal), and the
//! display name of each person in it.

use super::{blob, int, uint};
use crate::error::Result;
use crate::ids::{DeviceId, PersonId, SpaceId};
use crate::space::Member;
use rusqlite::{params, Connection, OptionalExtension};

fn member_from_row(r: &rusqlite::Row) -> rusqlite::Result<(Member, String)> {
    Ok((
        Member {
            device: DeviceId(blob(r.get(0)?)?),
            person: PersonId(blob(r.get(1)?)?),
            removed_after: r.get::<_, Option<i64>>(2)?.map(uint).transpose()?,
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

/// Sets where a member's removal counts from (the replica decides it; see `membership::removal_after`).
pub fn member_set_removed(
    c: &Connection,
    space: &SpaceId,
    device: &DeviceId,
    removed_after: u64,
) -> Result<()> {
    c.execute(
        "UPDATE members SET removed_after = ? WHERE space = ? AND device = ?",
        params![int(removed_after)?, space.0, device.0],
    )?;
    Ok(())
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
