//! The `messages` and `reads` tables: decoded messages of buddy spaces with their delivery state, indexed by
//! conversation order, and each person's read marker.

use super::{blob, int, uint};
use crate::error::Result;
use crate::ids::{DeviceId, MessageId, MessageKey, PersonId, SpaceId};
use rusqlite::{params, Connection, OptionalExtension};

/// How far a message got, as stored: `Read` is not stored, the read markers tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Delivery {
    /// Written here, not yet acknowledged by any other device.
    Pending,
    /// Acknowledged by another device (of mine or of the buddy).
    Sent,
    /// Acknowledged by a device of the buddy (every message of others is stored so).
    Delivered,
}

/// A stored message, as the chat view reads it.
#[derive(Clone, Debug)]
pub struct MessageRow {
    pub key: MessageKey,
    pub text: String,
    pub reply_to: Option<MessageId>,
    pub state: Delivery,
}

pub fn message_insert(
    c: &Connection,
    space: &SpaceId,
    key: &MessageKey,
    text: &str,
    reply_to: Option<MessageId>,
    state: Delivery,
) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT OR IGNORE INTO messages (space, author, seq, time, text, reply_author, reply_seq, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    stmt.execute(params![
        space.0,
        key.author.0,
        int(key.seq)?,
        int(key.time)?,
        text,
        reply_to.map(|r| r.author.0),
        reply_to.map(|r| int(r.seq)).transpose()?,
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
            seq: uint(r.get(1)?)?,
            time: uint(r.get(2)?)?,
        },
        text: r.get(3)?,
        reply_to: match (reply_author, reply_seq) {
            (Some(a), Some(s)) => Some(MessageId {
                author: DeviceId(blob(a)?),
                seq: uint(s)?,
            }),
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
            int(before.time)?,
            before.author.0,
            int(before.seq)?,
            limit as i64
        ],
        message_from_row,
    )?;
    let mut page: Vec<MessageRow> = rows.collect::<rusqlite::Result<_>>()?;
    page.reverse();
    Ok(page)
}

/// The newest `limit` messages at or after `from`, returned oldest first (a conversation window's reload).
pub fn messages_from(
    c: &Connection,
    space: &SpaceId,
    from: MessageKey,
    limit: usize,
) -> Result<Vec<MessageRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT author, seq, time, text, reply_author, reply_seq, state FROM messages
         WHERE space = ?1 AND (time, author, seq) >= (?2, ?3, ?4)
         ORDER BY time DESC, author DESC, seq DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![
            space.0,
            from.time as i64,
            from.author.0,
            from.seq as i64,
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
        .query_row(params![space.0, author.0, int(seq)?], message_from_row)
        .optional()?)
}

/// Raises one state to another through the partial index of the messages not yet delivered (few: only mine,
/// until a buddy device has them; the literal `state != 'delivered'` is what lets SQLite use it) instead of
/// walking every message of the author up to `seq`: that made each acknowledgement cost more as a
/// conversation grew (24% of the CPU of the latency bench at 2000 messages).
const RAISE_SQL: &str = "UPDATE messages INDEXED BY messages_undelivered SET state = ?1
     WHERE space = ?2 AND author = ?3 AND seq <= ?4
     AND state != 'delivered' AND state = ?5 RETURNING time, seq";

/// Raises the state of `author`'s messages up to `seq` to `state` (never lowers it); returns the keys changed.
pub fn messages_raise_state(
    c: &Connection,
    space: &SpaceId,
    author: &DeviceId,
    seq: u64,
    state: Delivery,
) -> Result<Vec<MessageKey>> {
    let mut stmt = c.prepare_cached(RAISE_SQL)?;
    let mut changed = Vec::new();
    for lower in [Delivery::Pending, Delivery::Sent]
        .into_iter()
        .filter(|l| *l < state)
    {
        let rows = stmt.query_map(params![state, space.0, author.0, int(seq)?, lower], |r| {
            Ok(MessageKey {
                time: uint(r.get(0)?)?,
                author: *author,
                seq: uint(r.get(1)?)?,
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
    unread_between(c, space, me, read_marker(c, space, me)?, None)
}

/// The others' messages after `after` (from the first, if None) and up to `upto` (to the newest, if None),
/// in the order of time: what of them is unread, when `after` is my read marker.
pub fn unread_between(
    c: &Connection,
    space: &SpaceId,
    me: &PersonId,
    after: Option<MessageKey>,
    upto: Option<MessageKey>,
) -> Result<u64> {
    let after = after.unwrap_or(MessageKey {
        time: 0,
        author: DeviceId([0; 32]),
        seq: 0,
    });
    let upto = upto.unwrap_or(MessageKey {
        time: u64::MAX >> 1,
        author: DeviceId([0xff; 32]),
        seq: u64::MAX >> 1,
    });
    // The others' devices are looked up once, not per message: the count walks only the time index.
    let mut stmt = c.prepare_cached(
        "SELECT count(*) FROM messages m
         WHERE m.space = ?1 AND (m.time, m.author, m.seq) > (?3, ?4, ?5)
           AND (m.time, m.author, m.seq) <= (?6, ?7, ?8)
           AND m.author IN (SELECT device FROM members WHERE space = ?1 AND person != ?2)",
    )?;
    let n: i64 = stmt.query_row(
        params![
            space.0,
            me.0,
            int(after.time)?,
            after.author.0,
            int(after.seq)?,
            int(upto.time)?,
            upto.author.0,
            int(upto.seq)?
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
                time: uint(r.get(0)?)?,
                author: DeviceId(blob(r.get(1)?)?),
                seq: uint(r.get(2)?)?,
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
            int(up_to.time)?,
            up_to.author.0,
            int(up_to.seq)?
        ],
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{member_add, Store};

    #[test]
    fn raising_states_reads_only_the_messages_not_yet_delivered() {
        let s = Store::in_memory().unwrap();
        let c = s.read().unwrap();
        let plan: Vec<String> = c
            .prepare(&format!("EXPLAIN QUERY PLAN {RAISE_SQL}"))
            .unwrap()
            .query_map(
                params![Delivery::Sent, [0u8; 32], [0u8; 32], 1, Delivery::Pending],
                |r| r.get(3),
            )
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert!(
            plan.iter().any(|l| l.contains("messages_undelivered")),
            "{plan:#?}"
        );
    }

    #[test]
    fn paging_read_markers_and_raised_states() {
        let s = Store::in_memory().unwrap();
        let c = s.read().unwrap();
        let space = SpaceId([1; 32]);
        let (me, them) = (PersonId([1; 16]), PersonId([2; 16]));
        let (a, b) = (DeviceId([1; 32]), DeviceId([2; 32]));
        member_add(&c, &space, &a, &me, "a").unwrap();
        member_add(&c, &space, &b, &them, "b").unwrap();
        for seq in 1..=10u64 {
            let author = if seq % 2 == 0 { a } else { b };
            let key = MessageKey {
                time: seq,
                author,
                seq,
            };
            message_insert(&c, &space, &key, "x", None, Delivery::Pending).unwrap();
        }
        let page = messages_page(&c, &space, None, 3).unwrap();
        assert_eq!(
            page.iter().map(|m| m.key.time).collect::<Vec<_>>(),
            vec![8, 9, 10]
        );
        let older = messages_page(&c, &space, Some(page[0].key), 100).unwrap();
        assert_eq!(older.len(), 7);
        assert_eq!(unread_count(&c, &space, &me).unwrap(), 5);
        assert!(read_marker_raise(&c, &space, &me, &page[0].key).unwrap());
        assert!(!read_marker_raise(&c, &space, &me, &older[0].key).unwrap());
        assert_eq!(unread_count(&c, &space, &me).unwrap(), 1);

        // States only rise: delivered up to 4, then "sent" up to 6 leaves 2 and 4 delivered.
        assert_eq!(
            messages_raise_state(&c, &space, &a, 4, Delivery::Delivered)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            messages_raise_state(&c, &space, &a, 6, Delivery::Sent)
                .unwrap()
                .len(),
            1
        );
        let state = |seq| message_get(&c, &space, &a, seq).unwrap().unwrap().state;
        assert_eq!(
            (state(2), state(4), state(6), state(8)),
            (
                Delivery::Delivered,
                Delivery::Delivered,
                Delivery::Sent,
                Delivery::Pending
            )
        );
    }
}
