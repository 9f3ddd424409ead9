//! Keeping my spaces consistent with my home space: every current device of mine is a member of every
//! space I share (with the later keys it lacks), revoked ones are removed after a fresh key is sealed to
//! the rest, and a space my buddy closed is recorded as left in my home so my other devices close it too.
//! The decisions are `membership::follow_home`; here they become entries, all in one transaction.
//!
//! A revoked device is removed from the buddy spaces by the device that revoked it, with the heads it saw
//! (a sibling that lags would cut the revoked device's log short: the earliest cut wins); the others only
//! apply that removal. Only if no device that revoked it is still a current device of mine does any device
//! write the removal, so that it happens even when the revoking device is gone too.

use super::ops::rotation_for_members;
use super::Engine;
use crate::error::Result;
use crate::ids::{DeviceId, Now};
use crate::log::{Body, Entry};
use crate::space::membership::{follow_home, Follow};
use crate::space::{Member, SpaceKind, SpaceState};
use crate::store::{self, SpaceRow};
use rusqlite::Connection;

impl Engine {
    pub(super) fn reconcile(&self, now: Now) -> Result<()> {
        let (me, person, home) = (self.me, self.person(), self.home());
        self.write(now, |r| {
            let c = r.conn;
            let home_members = store::members(c, &home)?;
            let mine: Vec<Member> = home_members.iter().map(|(m, _)| m.clone()).collect();
            let home_row = store::space_get(c, &home)?;
            for space in store::spaces(c)? {
                if space.kind == SpaceKind::Home {
                    continue;
                }
                if space.state == SpaceState::Closed {
                    // A space closed by my buddy's Left: tell my other devices through home, once.
                    if !store::space_left(c, &space.id)? {
                        r.append_to(&home, &Body::SpaceLeft { space: space.id })?;
                    }
                    continue;
                }
                if space.state != SpaceState::Active {
                    continue;
                }
                let members: Vec<Member> = store::members(c, &space.id)?
                    .into_iter()
                    .map(|(m, _)| m)
                    .collect();
                for change in follow_home(&me, &mine, &members) {
                    match change {
                        Follow::Add(device) => {
                            let name = home_members
                                .iter()
                                .find(|(m, _)| m.device == device)
                                .map(|(_, n)| n.clone())
                                .unwrap_or_default();
                            let added = Body::MemberAdded {
                                device,
                                person,
                                name,
                            };
                            r.append_to(&space.id, &added)?;
                            // A device added after a key rotation needs the later keys.
                            let now_held = store::space_get(c, &space.id)?;
                            let later: Vec<_> = now_held
                                .iter()
                                .flat_map(|s| s.keys[1..].iter())
                                .filter_map(|k| k.seal_to(&device, &space.id))
                                .collect();
                            if !later.is_empty() {
                                r.append_to(&space.id, &Body::KeysSealed { keys: later })?;
                            }
                        }
                        Follow::Remove(device)
                            if !removal_is_mine(c, home_row.as_ref(), &mine, &me, &device)? =>
                        {
                            log::debug!(
                                "leaving the removal of {} to the device that revoked it",
                                device.short()
                            );
                        }
                        Follow::Remove(device) => {
                            // The new key travels in the removal: a buddy who learns of the removal
                            // holds the key that keeps what it writes next from the removed device.
                            let rotation = Some(rotation_for_members(c, &space.id, &device)?);
                            let (last_seq, _) = store::head(c, &space.id, &device)?;
                            let removed = Body::MemberRemoved {
                                device,
                                last_seq,
                                rotation,
                            };
                            r.append_to(&space.id, &removed)?;
                        }
                    }
                }
            }
            Ok(())
        })
    }
}

/// Whether this device writes the removal of `device` from my buddy spaces: it revoked it in home, or no
/// device that did is still a current device of mine (nor is any known).
fn removal_is_mine(
    c: &Connection,
    home: Option<&SpaceRow>,
    mine: &[Member],
    me: &DeviceId,
    device: &DeviceId,
) -> Result<bool> {
    let Some(home) = home else {
        return Ok(true);
    };
    let revokers = revokers(c, home, mine, device)?;
    let current = |d: &DeviceId| mine.iter().any(|m| m.device == *d && m.is_current());
    Ok(revokers.contains(me) || !revokers.iter().any(current))
}

/// The devices of my home that wrote a `DeviceRevoked` of `device` (its own does not count): read from
/// their home logs, which are short (membership, names, invites, spaces).
fn revokers(
    c: &Connection,
    home: &SpaceRow,
    mine: &[Member],
    device: &DeviceId,
) -> Result<Vec<DeviceId>> {
    let mut out = Vec::new();
    for author in mine.iter().map(|m| m.device).filter(|a| a != device) {
        let revoked = store::entries_after(c, &home.id, &author, 0, usize::MAX >> 1)?
            .iter()
            .filter_map(|raw| Entry::decode(raw).ok()?.open(&home.key).ok())
            .any(|body| matches!(body, Body::DeviceRevoked { device: d, .. } if d == *device));
        if revoked {
            out.push(author);
        }
    }
    Ok(out)
}
