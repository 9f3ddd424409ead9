//! Keeping my spaces consistent with my home space: every current device of mine is a member of every
//! space I share (with the later keys it lacks), revoked ones are removed after a fresh key is sealed to
//! the rest, and a space my buddy closed is recorded as left in my home so my other devices close it too.
//! The decisions are `membership::follow_home`; here they become entries, all in one transaction.

use super::ops::rotation_for_members;
use super::Engine;
use crate::error::Result;
use crate::ids::Now;
use crate::log::Body;
use crate::space::membership::{follow_home, Follow};
use crate::space::{Member, SpaceKind, SpaceState};
use crate::store;

impl Engine {
    pub(super) fn reconcile(&self, now: Now) -> Result<()> {
        let (me, person, home) = (self.me, self.person(), self.home());
        self.write(now, |r| {
            let c = r.conn;
            let home_members = store::members(c, &home)?;
            let mine: Vec<Member> = home_members.iter().map(|(m, _)| m.clone()).collect();
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
