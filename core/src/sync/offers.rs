//! Which spaces a connection opens: the Hello exchange as a pure state machine.
//!
//! Each side offers, for every space it is willing to sync with this peer, a MAC over the connection's TLS
//! exporter value and its own role ([`SpaceKey::offer`]) under a key of the space; a side counts a space as
//! proven by the peer when the peer's offers hold the MAC it expects for the peer's role under any key of
//! the space that still counts (the current one, older epochs, the first). A space is open when it is both
//! in the last Hello we sent and proven in the last Hello the peer sent.
//!
//! Which key an offer is made under (keys follow the space's epochs, so a removed device, which keeps only
//! older keys, can check nothing): under the key the peer proved for that space on this connection, if it
//! did; else the dialer's opening Hello offers every counted key, newest first (the acceptor is a device
//! the dialer pinned in TLS and counts as a current member, and it may have missed a rotation); any other
//! Hello offers the current key only. So the acceptor answers a peer under the key that peer proved, and a
//! member one rotation behind opens the space whichever side dials, and receives the rotation.
//!
//! The dialer speaks first. The stranger rule: an acceptor whose spaces the dialer's first Hello proves
//! none of answers nothing at all, so a stranger learns nothing, not even that the acceptor holds a space.
//! Offers are bound to the connection and the role, so a proof replayed from another connection or
//! reflected back to its sender proves nothing.

use crate::ids::SpaceId;
use crate::space::{ct_eq, Role, SpaceKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most offers read from one Hello (the rest are ignored).
pub const MAX_OFFERS: usize = 4096;

/// A space this side is willing to open with the peer, with every key of it that still counts, newest
/// first (the first element is the current key; the last, the space's first key).
pub type Offerable = (SpaceId, Vec<SpaceKey>);

/// The offers of one side. `reply` asks the peer to answer with its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub offers: Vec<[u8; 32]>,
    pub reply: bool,
    /// For spaces where the receiver may not know the sender yet: the encoded entries that made the sender
    /// a member (see `membership::open_with`). Filled in by the caller; at most [`MAX_INTRODUCTIONS`] are
    /// looked at.
    pub introductions: Vec<Vec<u8>>,
}

/// Most introductions read from one Hello.
pub const MAX_INTRODUCTIONS: usize = 256;

/// Why the exchange ends the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The dialer's first Hello proved none of the acceptor's spaces: answer nothing.
    Stranger,
    /// The opening exchange found no space both sides offer.
    NothingShared,
    /// A later exchange left no space open.
    NoLongerShared,
}

/// The offer state of one connection.
#[derive(Debug)]
pub struct Offers {
    role: Role,
    exporter: [u8; 32],
    /// Spaces named in the last Hello we sent.
    sent: BTreeSet<SpaceId>,
    /// Spaces the peer proved in its last Hello, each with the key it proved.
    proven: BTreeMap<SpaceId, SpaceKey>,
    /// The opening exchange is done.
    open: bool,
}

impl Offers {
    /// The offer state of a connection in which this side has `role`, with the connection's exporter value.
    pub fn new(role: Role, exporter: [u8; 32]) -> Offers {
        Offers {
            role,
            exporter,
            sent: BTreeSet::new(),
            proven: BTreeMap::new(),
            open: false,
        }
    }

    /// Our Hello over `mine` (the spaces I am willing to open with this peer, see [`Offerable`]), and
    /// remembers what it offered. The dialer opens with `hello(mine, true)`; either side sends one with
    /// `reply` when its spaces change.
    pub fn hello(&mut self, mine: &[Offerable], reply: bool) -> Hello {
        self.sent = mine.iter().map(|(id, _)| *id).collect();
        let opening_dial = self.role == Role::Dialer && !self.open;
        let mut offers = Vec::new();
        for (id, keys) in mine {
            let keys = match self.proven.get(id).filter(|k| keys.contains(k)) {
                Some(proven) => std::slice::from_ref(proven),
                None if opening_dial => &keys[..],
                None => &keys[..keys.len().min(1)],
            };
            offers.extend(keys.iter().map(|k| k.offer(&self.exporter, self.role)));
        }
        Hello {
            offers,
            reply,
            introductions: Vec::new(),
        }
    }

    /// The peer's Hello, against `mine` as in [`Offers::hello`]. Returns the Hello to answer with, if any,
    /// or why the connection ends (then nothing is to be sent).
    pub fn handle_hello(
        &mut self,
        hello: &Hello,
        mine: &[Offerable],
    ) -> Result<Option<Hello>, Ended> {
        let peer_role = self.role.other();
        let offers = &hello.offers[..hello.offers.len().min(MAX_OFFERS)];
        self.proven = mine
            .iter()
            .filter_map(|(id, keys)| {
                keys.iter()
                    .find(|key| {
                        let expected = key.offer(&self.exporter, peer_role);
                        offers.iter().any(|offer| ct_eq(offer, &expected))
                    })
                    .map(|key| (*id, key.clone()))
            })
            .collect();
        let opening = !self.open;
        self.open = true;
        let answer = match self.role {
            Role::Acceptor if opening => {
                if self.proven.is_empty() {
                    return Err(Ended::Stranger);
                }
                Some(self.hello(mine, false))
            }
            _ if hello.reply => Some(self.hello(mine, false)),
            _ => None,
        };
        if self.shared().is_empty() {
            return Err(if opening {
                Ended::NothingShared
            } else {
                Ended::NoLongerShared
            });
        }
        Ok(answer)
    }

    /// The spaces open on this connection: in the last Hello each side sent.
    pub fn shared(&self) -> BTreeSet<SpaceId> {
        self.sent
            .iter()
            .filter(|id| self.proven.contains_key(id))
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> Offerable {
        let key = SpaceKey::generate();
        (key.space_id(), vec![key])
    }

    /// A dialer and an acceptor on one connection.
    fn pair(exporter: [u8; 32]) -> (Offers, Offers) {
        (
            Offers::new(Role::Dialer, exporter),
            Offers::new(Role::Acceptor, exporter),
        )
    }

    #[test]
    fn members_open_the_spaces_both_hold_and_nothing_else() {
        let (a, b, c) = (space(), space(), space());
        let (mut dialer, mut acceptor) = pair([1; 32]);
        let dialer_spaces = vec![a.clone(), b.clone()];
        let acceptor_spaces = vec![b.clone(), c.clone()];
        let hello = dialer.hello(&dialer_spaces, true);
        let answer = acceptor
            .handle_hello(&hello, &acceptor_spaces)
            .unwrap()
            .expect("the acceptor answers a member");
        assert!(!answer.reply);
        assert_eq!(dialer.handle_hello(&answer, &dialer_spaces), Ok(None));
        let want: BTreeSet<SpaceId> = [b.0].into_iter().collect();
        assert_eq!(dialer.shared(), want);
        assert_eq!(acceptor.shared(), want);
    }

    #[test]
    fn a_stranger_gets_no_answer() {
        let (mine, theirs) = (space(), space());
        let (mut dialer, mut acceptor) = pair([2; 32]);
        let hello = dialer.hello(&[theirs], true);
        assert_eq!(
            acceptor.handle_hello(&hello, std::slice::from_ref(&mine)),
            Err(Ended::Stranger)
        );
        let garbage = Hello {
            offers: vec![[7; 32], [0; 32]],
            reply: true,
            introductions: Vec::new(),
        };
        let (_, mut acceptor) = pair([2; 32]);
        assert_eq!(
            acceptor.handle_hello(&garbage, &[mine]),
            Err(Ended::Stranger)
        );
    }

    #[test]
    fn a_proof_replayed_from_another_connection_proves_nothing() {
        let shared = space();
        let mut elsewhere = Offers::new(Role::Dialer, [3; 32]);
        let replayed = elsewhere.hello(std::slice::from_ref(&shared), true);
        let (_, mut acceptor) = pair([4; 32]);
        assert_eq!(
            acceptor.handle_hello(&replayed, &[shared]),
            Err(Ended::Stranger)
        );
    }

    #[test]
    fn a_proof_made_for_the_other_role_proves_nothing() {
        let shared = space();
        // The acceptor's own offers reflected back to it, as if the dialer had made them.
        let mut acceptor_side = Offers::new(Role::Acceptor, [5; 32]);
        let reflected = acceptor_side.hello(std::slice::from_ref(&shared), true);
        let (_, mut acceptor) = pair([5; 32]);
        assert_eq!(
            acceptor.handle_hello(&reflected, &[shared]),
            Err(Ended::Stranger)
        );
    }

    #[test]
    fn the_dialer_ends_when_the_acceptor_offers_nothing_it_holds() {
        let (a, b) = (space(), space());
        let (mut dialer, mut acceptor) = pair([6; 32]);
        let hello = dialer.hello(std::slice::from_ref(&a), true);
        // The acceptor proves `a` but offers only `b` (it no longer offers `a` to this peer).
        acceptor
            .handle_hello(&hello, std::slice::from_ref(&a))
            .unwrap();
        let answer = acceptor.hello(&[b], false);
        assert_eq!(
            dialer.handle_hello(&answer, &[a]),
            Err(Ended::NothingShared)
        );
    }

    #[test]
    fn later_hellos_move_what_is_open_and_are_answered_when_asked() {
        let (a, b) = (space(), space());
        let (mut dialer, mut acceptor) = pair([7; 32]);
        let both = vec![a.clone(), b.clone()];
        let hello = dialer.hello(&both, true);
        let answer = acceptor.handle_hello(&hello, &both).unwrap().unwrap();
        dialer.handle_hello(&answer, &both).unwrap();
        assert_eq!(dialer.shared().len(), 2);
        // The acceptor's spaces change: it offers `b` only and asks for an answer.
        let only_b = vec![b.clone()];
        let again = acceptor.hello(&only_b, true);
        let reply = dialer.handle_hello(&again, &both).unwrap().expect("asked");
        assert_eq!(dialer.shared(), [b.0].into_iter().collect());
        assert_eq!(acceptor.handle_hello(&reply, &only_b), Ok(None));
        assert_eq!(acceptor.shared(), [b.0].into_iter().collect());
        // And when nothing is left, the connection ends.
        let none = acceptor.hello(&[], false);
        assert_eq!(
            dialer.handle_hello(&none, &both),
            Err(Ended::NoLongerShared)
        );
    }

    /// Keys follow epochs: `old` is the first key, `new` a rotation's; `behind` holds only the first.
    fn rotated() -> (Offerable, Offerable, SpaceKey, SpaceKey) {
        let (old, new) = (SpaceKey::generate(), SpaceKey::generate());
        let id = old.space_id();
        (
            (id, vec![new.clone(), old.clone()]),
            (id, vec![old.clone()]),
            old,
            new,
        )
    }

    #[test]
    fn a_member_one_rotation_behind_opens_whichever_side_dials() {
        let (current, behind, old, new) = rotated();
        let id = current.0;
        for up_to_date_dials in [true, false] {
            let (mut dialer, mut acceptor) = pair([8; 32]);
            let (d, a) = match up_to_date_dials {
                true => (&current, &behind),
                false => (&behind, &current),
            };
            let hello = dialer.hello(std::slice::from_ref(d), true);
            let answer = acceptor
                .handle_hello(&hello, std::slice::from_ref(a))
                .unwrap()
                .expect("answered");
            // The answer is made under the key the dialer proved, the old one, and nothing else.
            assert_eq!(answer.offers, vec![old.offer(&[8; 32], Role::Acceptor)]);
            assert_ne!(answer.offers, vec![new.offer(&[8; 32], Role::Acceptor)]);
            assert_eq!(
                dialer.handle_hello(&answer, std::slice::from_ref(d)),
                Ok(None)
            );
            assert_eq!(dialer.shared(), [id].into_iter().collect());
            assert_eq!(acceptor.shared(), [id].into_iter().collect());
        }
    }

    #[test]
    fn only_the_dialers_opening_hello_offers_older_keys() {
        let (current, _, old, new) = rotated();
        let mine = std::slice::from_ref(&current);
        let mut dialer = Offers::new(Role::Dialer, [9; 32]);
        let opening = dialer.hello(mine, true);
        assert_eq!(
            opening.offers,
            vec![
                new.offer(&[9; 32], Role::Dialer),
                old.offer(&[9; 32], Role::Dialer)
            ]
        );
        // An acceptor answering a dialer that proved nothing of this space offers the current key alone.
        let (other, _, _, _) = rotated();
        let mut acceptor = Offers::new(Role::Acceptor, [9; 32]);
        let theirs = Offers::new(Role::Dialer, [9; 32]).hello(std::slice::from_ref(&other), true);
        let both = vec![current.clone(), other.clone()];
        let answer = acceptor.handle_hello(&theirs, &both).unwrap().unwrap();
        assert!(answer.offers.contains(&new.offer(&[9; 32], Role::Acceptor)));
        assert!(!answer.offers.contains(&old.offer(&[9; 32], Role::Acceptor)));
        // And a later Hello offers the current key, or the key the peer proved.
        let (mut dialer, mut acceptor) = pair([10; 32]);
        let behind = (current.0, vec![old.clone()]);
        let hello = dialer.hello(mine, true);
        let answer = acceptor
            .handle_hello(&hello, std::slice::from_ref(&behind))
            .unwrap()
            .unwrap();
        dialer.handle_hello(&answer, mine).unwrap();
        assert_eq!(
            dialer.hello(mine, true).offers,
            vec![old.offer(&[10; 32], Role::Dialer)],
            "the key the peer proved"
        );
        let mut later = Offers::new(Role::Acceptor, [11; 32]);
        later.open = true;
        assert_eq!(
            later.hello(mine, true).offers,
            vec![new.offer(&[11; 32], Role::Acceptor)],
            "the current key"
        );
    }
}
