//! Membership questions, answered from a space's member list alone (no store, no clock): who may author an
//! entry, who may remove whom and from where a removal counts, which spaces to open with a peer, which
//! devices to dial, and which of my devices a shared space should add or remove to follow my home space.

use crate::ids::{DeviceId, PersonId};
use std::collections::BTreeSet;

/// A member of a space as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub device: DeviceId,
    pub person: PersonId,
    /// Set once a member removed the device: its entries count up to this seq and no further.
    pub removed_after: Option<u64>,
}

impl Member {
    /// Not removed.
    pub fn is_current(&self) -> bool {
        self.removed_after.is_none()
    }
}

/// May `author` have written entry `seq` of its log in this space? `root` is the space's creator, a
/// member by definition; a removed member's entries count up to its removal and no further.
pub fn may_author(root: DeviceId, member: Option<&Member>, author: DeviceId, seq: u64) -> bool {
    match member {
        Some(m) => m.removed_after.is_none_or(|last| seq <= last),
        None => author == root,
    }
}

/// May `author`, a device of person `author_person` (None: not a member yet), introduce `device` under
/// `person` into a space whose members (removed ones included) are `members`? A device is introduced under a person only by
/// a device of that same person. Two exceptions bootstrap a space: its `root` introduces itself, and, in a
/// buddy space (`binds_joiner`), the root binds the joiner's person once, while no other person is there.
pub fn may_introduce(
    root: DeviceId,
    author: DeviceId,
    author_person: Option<PersonId>,
    device: DeviceId,
    person: PersonId,
    members: &[Member],
    binds_joiner: bool,
) -> bool {
    match author_person {
        Some(mine) if mine == person => true,
        Some(mine) => binds_joiner && author == root && members.iter().all(|m| m.person == mine),
        None => author == root && device == root,
    }
}

/// May a device of person `remover` (None: not a member) remove `target` from a buddy space? A person
/// removes only their own devices.
pub fn may_remove(remover: Option<PersonId>, target: Option<&Member>) -> bool {
    matches!((remover, target), (Some(person), Some(member)) if member.person == person)
}

/// Where a member's removal counts from after an entry that removes it after `proposed`: the earliest
/// removal wins, so no later entry (the removed device's own included) can move it later and weaken it.
/// None when the entry changes nothing.
pub fn removal_after(current: Option<u64>, proposed: u64) -> Option<u64> {
    match current {
        Some(cut) if cut <= proposed => None,
        _ => Some(proposed),
    }
}

/// A space as the questions below see it.
#[derive(Clone, Copy, Debug)]
pub struct Roster<'a> {
    pub root: DeviceId,
    /// Closed on this device: nothing is synced any more.
    pub closed: bool,
    pub members: &'a [Member],
}

impl Roster<'_> {
    fn member(&self, device: &DeviceId) -> Option<&Member> {
        self.members.iter().find(|m| m.device == *device)
    }

    fn removed(&self, device: &DeviceId) -> bool {
        self.member(device).is_some_and(|m| !m.is_current())
    }
}

/// Whether I offer a space (and so may open it) on a connection with `peer`: it is live here, neither of
/// us is a removed member, and the peer is a current member device I know (or the root), or is `vouched`
/// for: it showed the signed entry that made it a member (a device linked a moment ago that I have not
/// heard of yet), or it served the invite I redeemed for this space. Proving the key is necessary (the
/// offer exchange), never sufficient: a removed device dialing with a new key opens nothing.
pub fn open_with(me: &DeviceId, peer: &DeviceId, space: &Roster, vouched: bool) -> bool {
    let known = match space.member(peer) {
        Some(m) => m.is_current(),
        None => *peer == space.root,
    };
    !space.closed && !space.removed(me) && !space.removed(peer) && (known || vouched)
}

/// The devices to keep a connection with: current members of my live spaces and their roots, except me.
pub fn dial_targets<'a>(
    me: &DeviceId,
    spaces: impl IntoIterator<Item = Roster<'a>>,
) -> BTreeSet<DeviceId> {
    let mut out = BTreeSet::new();
    for space in spaces.into_iter().filter(|s| !s.closed) {
        out.extend(
            space
                .members
                .iter()
                .filter(|m| m.is_current())
                .map(|m| m.device),
        );
        out.insert(space.root);
    }
    out.remove(me);
    out
}

/// May `coordinator` pass "dial me now" between `asker` and `target` (hole punching, `net::punch`)? Only
/// if, in the live spaces the caller knows, the coordinator shares a space with each of them and the two
/// share one: every one of the three is a current member there (removed members and closed spaces count
/// for nothing). A member so never coordinates for a non-member, nor towards a device the asker shares
/// no space with. The coordinator asks it about (me, asker, target); an asker about (member, me, target).
pub fn may_coordinate<'a>(
    coordinator: &DeviceId,
    asker: &DeviceId,
    target: &DeviceId,
    spaces: impl IntoIterator<Item = Roster<'a>>,
) -> bool {
    if coordinator == asker || coordinator == target || asker == target {
        return false;
    }
    let spaces: Vec<Roster> = spaces.into_iter().filter(|s| !s.closed).collect();
    let current = |s: &Roster, d: &DeviceId| s.member(d).is_some_and(Member::is_current);
    let share = |a: &DeviceId, b: &DeviceId| spaces.iter().any(|s| current(s, a) && current(s, b));
    share(coordinator, asker) && share(coordinator, target) && share(asker, target)
}

/// A change to a shared space's members that follows my home space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// A device of mine the space does not list yet.
    Add(DeviceId),
    /// A device revoked from my home that the space still counts.
    Remove(DeviceId),
}

/// What a space I share with others should change so that it holds exactly my current devices, given my
/// home space's members. Only a current member of the space acts (a removed device of mine does not).
pub fn follow_home(me: &DeviceId, home: &[Member], space: &[Member]) -> Vec<Follow> {
    let in_space = |device: &DeviceId| space.iter().find(|m| m.device == *device);
    if !in_space(me).is_some_and(Member::is_current) {
        return Vec::new();
    }
    home.iter()
        .filter_map(|mine| match (mine.is_current(), in_space(&mine.device)) {
            (true, None) => Some(Follow::Add(mine.device)),
            (false, Some(there)) if there.is_current() => Some(Follow::Remove(mine.device)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u8) -> DeviceId {
        DeviceId([n; 32])
    }

    fn member(n: u8, person: u8, removed_after: Option<u64>) -> Member {
        Member {
            device: device(n),
            person: PersonId([person; 16]),
            removed_after,
        }
    }

    #[test]
    fn the_root_and_members_author_and_a_removed_member_only_up_to_its_removal() {
        let (root, other) = (device(1), device(2));
        assert!(may_author(root, None, root, 5));
        assert!(!may_author(root, None, other, 1), "a stranger never");
        let mut m = member(2, 0, None);
        assert!(may_author(root, Some(&m), other, 100));
        m.removed_after = Some(3);
        assert!(may_author(root, Some(&m), other, 3));
        assert!(!may_author(root, Some(&m), other, 4));
        // A root that was removed is bound by its removal like anyone else.
        let removed_root = member(1, 0, Some(2));
        assert!(!may_author(root, Some(&removed_root), root, 3));
    }

    #[test]
    fn a_device_is_introduced_only_by_its_own_person_but_the_root_binds_the_joiner_once() {
        let (root, joiner, other) = (device(1), device(2), device(3));
        let (amy, betty, eve) = (PersonId([1; 16]), PersonId([2; 16]), PersonId([3; 16]));
        assert!(
            may_introduce(root, root, None, root, amy, &[], true),
            "the root introduces itself"
        );
        assert!(
            !may_introduce(root, other, None, other, eve, &[], true),
            "a stranger does not"
        );
        let just_amy = [member(1, 1, None)];
        assert!(may_introduce(
            root,
            root,
            Some(amy),
            joiner,
            betty,
            &just_amy,
            true
        ));
        assert!(
            !may_introduce(root, root, Some(amy), joiner, betty, &just_amy, false),
            "not in a home space"
        );
        let both = [member(1, 1, None), member(2, 2, None)];
        assert!(
            !may_introduce(root, root, Some(amy), other, eve, &both, true),
            "only once"
        );
        assert!(!may_introduce(
            root,
            root,
            Some(amy),
            other,
            betty,
            &both,
            true
        ));
        assert!(
            !may_introduce(root, joiner, Some(betty), other, amy, &both, true),
            "Betty never adds a device of Amy"
        );
        assert!(may_introduce(
            root,
            joiner,
            Some(betty),
            other,
            betty,
            &both,
            true
        ));
        assert!(may_introduce(
            root,
            root,
            Some(amy),
            other,
            amy,
            &both,
            true
        ));
    }

    #[test]
    fn a_person_removes_only_their_own_devices() {
        let amy = PersonId([1; 16]);
        let amys_phone = member(2, 1, None);
        let bettys_phone = member(3, 2, None);
        assert!(may_remove(Some(amy), Some(&amys_phone)));
        assert!(!may_remove(Some(amy), Some(&bettys_phone)), "not a buddy's");
        assert!(!may_remove(None, Some(&amys_phone)), "not by a non-member");
        assert!(
            !may_remove(Some(amy), None),
            "not a device that is no member"
        );
    }

    #[test]
    fn the_earliest_removal_wins_and_cannot_be_weakened() {
        assert_eq!(removal_after(None, 7), Some(7));
        assert_eq!(removal_after(Some(7), 3), Some(3), "an earlier cut counts");
        assert_eq!(
            removal_after(Some(7), 9),
            None,
            "a later one changes nothing"
        );
        assert_eq!(removal_after(Some(7), 7), None);
    }

    #[test]
    fn spaces_open_with_peers_that_are_not_removed_while_live() {
        let (me, peer) = (device(1), device(2));
        let members = [member(1, 1, None), member(2, 2, None)];
        let live = Roster {
            root: me,
            closed: false,
            members: &members,
        };
        assert!(open_with(&me, &peer, &live, false));
        assert!(
            !open_with(&me, &device(9), &live, false),
            "a peer not listed: its key proof alone is not enough"
        );
        assert!(
            open_with(&me, &device(9), &live, true),
            "a peer not listed yet that showed its introduction"
        );
        assert!(!open_with(
            &me,
            &peer,
            &Roster {
                closed: true,
                ..live
            },
            false
        ));
        let peer_removed = [member(1, 1, None), member(2, 2, Some(4))];
        assert!(!open_with(
            &me,
            &peer,
            &Roster {
                members: &peer_removed,
                ..live
            },
            true
        ));
        let me_removed = [member(1, 1, Some(4)), member(2, 2, None)];
        assert!(!open_with(
            &me,
            &peer,
            &Roster {
                members: &me_removed,
                ..live
            },
            true
        ));
    }

    #[test]
    fn dial_current_members_and_roots_of_live_spaces_but_not_me() {
        let me = device(1);
        let a = [
            member(1, 1, None),
            member(2, 1, None),
            member(3, 2, Some(1)),
        ];
        let b = [member(4, 3, None)];
        let targets = dial_targets(
            &me,
            [
                Roster {
                    root: me,
                    closed: false,
                    members: &a,
                },
                Roster {
                    root: device(5),
                    closed: false,
                    members: &[],
                },
                Roster {
                    root: device(6),
                    closed: true,
                    members: &b,
                },
            ],
        );
        assert_eq!(targets, [device(2), device(5)].into_iter().collect());
    }

    fn live(members: &[Member]) -> Roster<'_> {
        Roster {
            root: device(1),
            closed: false,
            members,
        }
    }

    #[test]
    fn a_member_coordinates_only_between_current_members_of_spaces_it_shares_with_both() {
        let (m, a, b, eve) = (device(1), device(2), device(3), device(4));
        let all = [member(1, 1, None), member(2, 1, None), member(3, 2, None)];
        assert!(may_coordinate(&m, &a, &b, [live(&all)]));
        assert!(may_coordinate(&m, &b, &a, [live(&all)]));
        let closed = Roster {
            closed: true,
            ..live(&all)
        };
        assert!(!may_coordinate(&m, &a, &b, [closed]));
        assert!(!may_coordinate(&m, &a, &a, [live(&all)]));
        assert!(!may_coordinate(&m, &m, &b, [live(&all)]));
        // For a stranger, or towards one.
        assert!(!may_coordinate(&m, &eve, &b, [live(&all)]));
        assert!(!may_coordinate(&m, &a, &eve, [live(&all)]));
        // m shares a space with each, but a and b share none.
        let ma = [member(1, 1, None), member(2, 1, None)];
        let mb = [member(1, 1, None), member(3, 2, None)];
        assert!(!may_coordinate(&m, &a, &b, [live(&ma), live(&mb)]));
        // ... until they share one (m removed from it: it still shares one with each).
        let ab = [
            member(1, 1, Some(3)),
            member(2, 1, None),
            member(3, 2, None),
        ];
        assert!(may_coordinate(
            &m,
            &a,
            &b,
            [live(&ma), live(&mb), live(&ab)]
        ));
        assert!(!may_coordinate(&m, &a, &b, [live(&ab)]));
        // A removed member is no member.
        let removed = [
            member(1, 1, None),
            member(2, 1, Some(5)),
            member(3, 2, None),
        ];
        assert!(!may_coordinate(&m, &a, &b, [live(&removed)]));
    }

    #[test]
    fn a_shared_space_follows_my_home() {
        let me = device(1);
        let home = [
            member(1, 1, None),
            member(2, 1, None),
            member(3, 1, Some(8)),
            member(4, 1, Some(2)),
        ];
        let space = [
            member(1, 1, None),
            member(3, 1, None),
            member(4, 1, Some(2)),
            member(9, 2, None),
        ];
        assert_eq!(
            follow_home(&me, &home, &space),
            vec![Follow::Add(device(2)), Follow::Remove(device(3))]
        );
        // A device of mine that was removed from the space does nothing there.
        let without_me = [member(1, 1, Some(3)), member(9, 2, None)];
        assert!(follow_home(&me, &home, &without_me).is_empty());
    }
}
