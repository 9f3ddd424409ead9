//! The `invites` table: invites issued by any device of my person (from `InviteIssued` entries), and who
//! redeemed each.

use super::{blob, int, uint};
use crate::error::Result;
use crate::ids::{DeviceId, SpaceId};
use crate::invite::redeem::Issued;
use crate::space::{SpaceKind, SpaceState};
use rusqlite::{params, Connection, OptionalExtension};

/// Records an issued invite (once).
pub fn invite_insert(c: &Connection, invite: &Issued) -> Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO invites (id, secret, purpose, label, expires_at, issuer)
         VALUES (?, ?, ?, ?, ?, ?)",
        params![
            invite.id,
            invite.secret,
            invite.purpose,
            invite.label,
            int(invite.expires_at)?,
            invite.issuer.map(|d| d.0)
        ],
    )?;
    Ok(())
}

pub fn invite_get(c: &Connection, id: &[u8; 16]) -> Result<Option<Issued>> {
    Ok(c.query_row(
        "SELECT id, secret, purpose, label, expires_at, redeemed_by, issuer FROM invites WHERE id = ?",
        [id],
        |r| {
            Ok(Issued {
                id: blob(r.get(0)?)?,
                secret: blob(r.get(1)?)?,
                purpose: r.get(2)?,
                label: r.get(3)?,
                expires_at: uint(r.get(4)?)?,
                redeemed_by: r
                    .get::<_, Option<Vec<u8>>>(5)?
                    .map(blob)
                    .transpose()?
                    .map(DeviceId),
                issuer: r
                    .get::<_, Option<Vec<u8>>>(6)?
                    .map(blob)
                    .transpose()?
                    .map(DeviceId),
            })
        },
    )
    .optional()?)
}

/// Records a redemption; a second, different redeemer does not overwrite the first but is kept beside
/// it (two devices of the person served the invite before they synced). Returns whether `by` is such a
/// second joiner, newly recorded.
pub fn invite_redeemed(c: &Connection, id: &[u8; 16], by: &DeviceId) -> Result<bool> {
    c.execute(
        "UPDATE invites SET redeemed_by = ? WHERE id = ? AND redeemed_by IS NULL",
        params![by.0, id],
    )?;
    let second = c.execute(
        "UPDATE invites SET also_redeemed_by = ?1 WHERE id = ?2 AND redeemed_by != ?1
         AND also_redeemed_by IS NULL",
        params![by.0, id],
    )?;
    Ok(second > 0)
}

/// Who redeemed an invite: the first joiner, and a second one if two devices served it before they synced.
pub fn invite_joiners(c: &Connection, id: &[u8; 16]) -> Result<Vec<DeviceId>> {
    let row = c
        .query_row(
            "SELECT redeemed_by, also_redeemed_by FROM invites WHERE id = ?",
            [id],
            |r| {
                let first: Option<Vec<u8>> = r.get(0)?;
                let second: Option<Vec<u8>> = r.get(1)?;
                [first, second]
                    .into_iter()
                    .flatten()
                    .map(|b| Ok(DeviceId(blob(b)?)))
                    .collect::<rusqlite::Result<Vec<_>>>()
            },
        )
        .optional()?;
    Ok(row.unwrap_or_default())
}

/// The pairs of active buddy spaces whose buddies redeemed one invite (two devices of my person served it
/// before they synced), each pair in the order of the invite's first and second joiner. A pair appears
/// once both joiners are known as current members of their spaces, and goes when either space closes.
pub fn shared_codes(c: &Connection) -> Result<Vec<[SpaceId; 2]>> {
    shared_codes_with(c, None)
}

/// The pair of [`shared_codes`] of which `device` is one of the two joiners.
pub fn shared_code_of(c: &Connection, device: &DeviceId) -> Result<Option<[SpaceId; 2]>> {
    Ok(shared_codes_with(c, Some(device))?.into_iter().next())
}

/// The other buddy space that shares an invite with the buddy space `space`, if any.
pub fn shares_code_with(c: &Connection, space: &SpaceId) -> Result<Option<SpaceId>> {
    Ok(shared_codes(c)?
        .into_iter()
        .find_map(|[a, b]| match *space {
            s if s == a => Some(b),
            s if s == b => Some(a),
            _ => None,
        }))
}

fn shared_codes_with(c: &Connection, joiner: Option<&DeviceId>) -> Result<Vec<[SpaceId; 2]>> {
    let mut stmt = c.prepare_cached(
        "SELECT a.space, b.space FROM invites i
         JOIN members a ON a.device = i.redeemed_by AND a.removed_after IS NULL
         JOIN spaces sa ON sa.id = a.space AND sa.kind = ?1 AND sa.state = ?2
         JOIN members b ON b.device = i.also_redeemed_by AND b.removed_after IS NULL
         JOIN spaces sb ON sb.id = b.space AND sb.kind = ?1 AND sb.state = ?2
         WHERE i.also_redeemed_by IS NOT NULL AND a.space != b.space
         AND (?3 IS NULL OR ?3 IN (i.redeemed_by, i.also_redeemed_by))",
    )?;
    let rows = stmt.query_map(
        params![SpaceKind::Buddy, SpaceState::Active, joiner.map(|d| d.0)],
        |r| Ok([SpaceId(blob(r.get(0)?)?), SpaceId(blob(r.get(1)?)?)]),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
