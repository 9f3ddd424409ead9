//! Which spaces a connection opens: the Hello exchange as a pure state machine.
//!
//! Each side offers, for every space it is willing to sync with this peer, a MAC over the connection's TLS
//! exporter value and its own role ([`SpaceKey::offer`]); a side counts a space as proven by the peer when
//! the peer's offers hold the MAC it expects for the peer's role. A space is open when it is both in the
//! last Hello we sent and proven in the last Hello the peer sent.
//!
//! The dialer speaks first. The stranger rule: an acceptor whose spaces the dialer's first Hello proves
//! none of answers nothing at all, so a stranger learns nothing, not even that the acceptor holds a space.
//! Offers are bound to the connection and the role, so a proof replayed from another connection or
//! reflected back to its sender proves nothing.

use crate::ids::SpaceId;
use crate::space::{ct_eq, Role, SpaceKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most offers read from one Hello (the rest are ignored).
pub const MAX_OFFERS: usize = 4096;

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
    /// Spaces the peer proved in its last Hello.
    proven: BTreeSet<SpaceId>,
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
            proven: BTreeSet::new(),
            open: false,
        }
    }

    /// Our Hello over `mine` (the spaces I am willing to open with this peer, each with its first key), and
    /// remembers what it offered. The dialer opens with `hello(mine, true)`; either side sends one with
    /// `reply` when its spaces change.
    pub fn hello(&mut self, mine: &[(SpaceId, SpaceKey)], reply: bool) -> Hello {
        self.sent = mine.iter().map(|(id, _)| *id).collect();
        Hello {
            offers: mine
                .iter()
                .map(|(_, key)| key.offer(&self.exporter, self.role))
                .collect(),
            reply,
            introductions: Vec::new(),
        }
    }

    /// The peer's Hello, against `mine` as in [`Offers::hello`]. Returns the Hello to answer with, if any,
    /// or why the connection ends (then nothing is to be sent).
    pub fn handle_hello(
        &mut self,
        hello: &Hello,
        mine: &[(SpaceId, SpaceKey)],
    ) -> Result<Option<Hello>, Ended> {
        let peer_role = self.role.other();
        self.proven = mine
            .iter()
            .filter(|(_, key)| {
                let expected = key.offer(&self.exporter, peer_role);
                hello
                    .offers
                    .iter()
                    .take(MAX_OFFERS)
                    .any(|offer| ct_eq(offer, &expected))
            })
            .map(|(id, _)| *id)
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
        self.sent.intersection(&self.proven).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> (SpaceId, SpaceKey) {
        let key = SpaceKey::generate();
        (key.space_id(), key)
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
}
