//! The sync state machine driven against real replicas: two and three in-memory peers (in-memory SQLite),
//! random appends and random interleavings of frame delivery; in the end every peer holds the same logs.

use super::{Replica, StoredLogs};
use crate::ids::{DeviceId, Now, PersonId};
use crate::log::Body;
use crate::space::{SpaceKey, SpaceKind};
use crate::store::{self, Store};
use crate::sync::{decode_entries, Session, SyncFrame};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use std::collections::VecDeque;
use std::time::Instant;

struct Peer {
    store: Store,
    signer: SigningKey,
    id: DeviceId,
    person: PersonId,
}

impl Peer {
    fn replica<T>(&self, f: impl FnOnce(&mut Replica) -> T) -> T {
        let c = self.store.read().unwrap();
        f(&mut Replica::new(
            &c,
            &self.signer,
            self.person,
            Now::read(),
        ))
    }

    fn logs<T>(&self, f: impl FnOnce(&mut StoredLogs) -> T) -> T {
        let c = self.store.read().unwrap();
        f(&mut StoredLogs(&c))
    }

    fn count(&self) -> u64 {
        store::entry_count(&self.store.read().unwrap()).unwrap()
    }
}

/// One direction of one pair: the sender's session and the frames in flight.
struct Link {
    from: usize,
    to: usize,
    session: Session,
    in_flight: VecDeque<SyncFrame>,
    /// Entries this link has carried.
    entries_carried: usize,
}

#[derive(Clone, Debug)]
enum Action {
    Append(usize),
    Transmit(usize),
    Deliver(usize),
}

fn action(peers: usize) -> impl Strategy<Value = Action> {
    let links = peers * (peers - 1);
    prop_oneof![
        (0..peers).prop_map(Action::Append),
        (0..links).prop_map(Action::Transmit),
        (0..links).prop_map(Action::Deliver),
    ]
}

fn setup(n: usize) -> (Vec<Peer>, Vec<Link>, SpaceKey) {
    let key = SpaceKey::generate();
    let peers: Vec<Peer> = (0..n)
        .map(|i| {
            let signer = SigningKey::from_bytes(&[i as u8 + 1; 32]);
            Peer {
                store: Store::in_memory().unwrap(),
                id: DeviceId(signer.verifying_key().to_bytes()),
                signer,
                // A buddy space: the root's person and one other (whose devices the root binds once).
                person: PersonId([(i % 2) as u8; 16]),
            }
        })
        .collect();
    let root = peers[0].id;
    for p in &peers {
        let c = p.store.read().unwrap();
        store::space_insert(&c, &key, SpaceKind::Buddy, root, "", Now::read()).unwrap();
    }
    // The root introduces everyone; the others learn it only through sync.
    for p in &peers {
        let body = Body::MemberAdded {
            device: p.id,
            person: p.person,
            name: "d".into(),
        };
        peers[0]
            .replica(|r| r.append_to(&key.space_id(), &body))
            .unwrap();
    }
    let mut links = Vec::new();
    for (from, peer) in peers.iter().enumerate() {
        for to in 0..n {
            if from != to {
                let mut session = Session::new(peer.id);
                peer.logs(|logs| session.open_space(key.space_id(), logs))
                    .unwrap();
                links.push(Link {
                    from,
                    to,
                    session,
                    in_flight: VecDeque::new(),
                    entries_carried: 0,
                });
            }
        }
    }
    (peers, links, key)
}

fn append(peers: &[Peer], links: &mut [Link], key: &SpaceKey, who: usize, n: usize) {
    let body = Body::Message {
        text: format!("m{n}"),
        reply_to: None,
    };
    let head = peers[who]
        .replica(|r| {
            r.append_to(&key.space_id(), &body)?;
            Ok::<_, crate::Error>(r.effects.grown[0].1)
        })
        .unwrap();
    for link in links.iter_mut().filter(|l| l.from == who) {
        link.session
            .local_head(&key.space_id(), head, Instant::now());
    }
}

fn transmit(peers: &[Peer], link: &mut Link) -> bool {
    let now = Instant::now();
    let wants = link.session.wants_to_send(now);
    let frame = peers[link.from]
        .logs(|logs| link.session.poll_transmit(logs, now))
        .unwrap();
    match frame {
        Some(frame) => {
            assert!(
                wants,
                "wants_to_send() said no, poll_transmit() sent {frame:?}"
            );
            if let SyncFrame::Entries { entries, .. } = &frame {
                link.entries_carried += entries.len();
            }
            link.in_flight.push_back(frame);
            true
        }
        None => false,
    }
}

/// Delivers the next frame of `links[i]` to its receiver's session for the reverse direction, and
/// tells the receiver's other sessions about logs that grew.
fn deliver(peers: &[Peer], links: &mut [Link], key: &SpaceKey, i: usize) -> bool {
    let Some(frame) = links[i].in_flight.pop_front() else {
        return false;
    };
    let (from, to) = (links[i].from, links[i].to);
    let back = links
        .iter()
        .position(|l| l.from == to && l.to == from)
        .unwrap();
    let receiver = &peers[to];
    let session = &mut links[back].session;
    let (grown, membership) = match frame {
        SyncFrame::Have { space, heads, full } => {
            receiver
                .logs(|logs| session.handle_have(space, heads, full, logs))
                .unwrap();
            (Vec::new(), false)
        }
        SyncFrame::Entries { space, entries } => {
            // The driver's part: decode, store the batch, hand the result back.
            let batch = session
                .handle_entries(space, decode_entries(entries, &Vec::new()))
                .unwrap();
            let (applied, effects) = receiver.replica(|r| {
                let applied = r.receive(&batch.space, batch.entries).unwrap();
                (applied, r.effects.clone())
            });
            receiver
                .logs(|logs| session.handle_applied(&space, &applied, logs))
                .unwrap();
            (effects.grown, !effects.membership.is_empty())
        }
    };
    for link in links.iter_mut().filter(|l| l.from == to) {
        for (space, head) in &grown {
            link.session.local_head(space, *head, Instant::now());
        }
        if membership {
            receiver
                .logs(|logs| link.session.resend_have(&key.space_id(), logs))
                .unwrap();
        }
    }
    true
}

/// Keeps transmitting and delivering until nothing moves.
fn quiesce(peers: &[Peer], links: &mut [Link], key: &SpaceKey) {
    for _round in 0..10_000 {
        let mut moved = false;
        for l in 0..links.len() {
            moved |= transmit(peers, &mut links[l]);
            moved |= deliver(peers, links, key, l);
        }
        if !moved {
            return;
        }
    }
    panic!("sync did not settle");
}

fn run(n: usize, actions: Vec<Action>) {
    let (peers, mut links, key) = setup(n);
    let mut count = 0;
    for a in actions {
        match a {
            Action::Append(who) => {
                append(&peers, &mut links, &key, who, count);
                count += 1;
            }
            Action::Transmit(l) => {
                transmit(&peers, &mut links[l]);
            }
            Action::Deliver(l) => {
                deliver(&peers, &mut links, &key, l);
            }
        }
    }
    quiesce(&peers, &mut links, &key);
    let expected = store::heads(&peers[0].store.read().unwrap(), &key.space_id()).unwrap();
    let total: u64 = expected.iter().map(|(_, s, _)| s).sum();
    assert_eq!(
        total,
        n as u64 + count as u64,
        "the root's store holds every entry"
    );
    for p in &peers[1..] {
        let mut heads = store::heads(&p.store.read().unwrap(), &key.space_id()).unwrap();
        heads.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(heads, want, "same logs everywhere");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn two_peers_converge(actions in prop::collection::vec(action(2), 0..80)) {
        run(2, actions);
    }

    #[test]
    fn three_peers_converge(actions in prop::collection::vec(action(3), 0..120)) {
        run(3, actions);
    }
}

#[test]
fn catch_up_of_many_entries_in_batches() {
    let (peers, mut links, key) = setup(2);
    for n in 0..2000 {
        append(&peers, &mut links, &key, 0, n);
    }
    quiesce(&peers, &mut links, &key);
    assert_eq!(peers[1].count(), 2002);
}

/// Five devices that all reach each other; `order` moves frames before they all settle. Returns how
/// many entry transmissions three messages of one author took to reach the other four.
fn relay_fan_out(order: &[usize]) -> usize {
    let (peers, mut links, key) = setup(5);
    quiesce(&peers, &mut links, &key);
    let before: usize = links.iter().map(|l| l.entries_carried).sum();
    for n in 0..3 {
        append(&peers, &mut links, &key, 1, n);
    }
    for &i in order {
        if i < links.len() {
            transmit(&peers, &mut links[i]);
            deliver(&peers, &mut links, &key, i);
        }
    }
    quiesce(&peers, &mut links, &key);
    for p in &peers {
        assert_eq!(p.count(), 5 + 3);
    }
    links.iter().map(|l| l.entries_carried).sum::<usize>() - before
}

/// Frames moving round-robin, as they do when every device answers at the same pace: the author's
/// pushes arrive first and the relays only announce, so each device gets each entry once. Pushing
/// relayed entries eagerly took 3 x 4 x 4 = 48 transmissions here.
#[test]
fn relayed_entries_are_announced_not_pushed_again() {
    assert_eq!(relay_fan_out(&[]), 3 * 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// In any order, everyone converges and relays never cost more than pushing to every pair.
    #[test]
    fn relays_converge_in_any_order(order in prop::collection::vec(0usize..20, 0..400)) {
        let carried = relay_fan_out(&order);
        prop_assert!(carried < 3 * 4 * 4, "{carried} entry transmissions for 3 entries to 4 devices");
    }
}

/// Keeps moving frames on the links between `a` and `b` only, until nothing moves.
fn quiesce_pair(peers: &[Peer], links: &mut [Link], key: &SpaceKey, a: usize, b: usize) {
    for _round in 0..10_000 {
        let mut moved = false;
        for l in 0..links.len() {
            let (from, to) = (links[l].from, links[l].to);
            if (from, to) == (a, b) || (from, to) == (b, a) {
                moved |= transmit(peers, &mut links[l]);
                moved |= deliver(peers, links, key, l);
            }
        }
        if !moved {
            return;
        }
    }
    panic!("sync did not settle");
}

/// A device catching up from one peer gets every entry once: the short log that admits an author goes
/// before that author's long log, which would otherwise be refused whole and sent again.
#[test]
fn catch_up_sends_each_entry_once() {
    for round in 0..8 {
        let (peers, mut links, key) = setup(3);
        quiesce_pair(&peers, &mut links, &key, 0, 1);
        for n in 0..300 {
            append(&peers, &mut links, &key, 1, n);
        }
        quiesce_pair(&peers, &mut links, &key, 0, 1);
        // Peer 2 meets only peer 0, which holds peer 1's log too.
        quiesce_pair(&peers, &mut links, &key, 0, 2);
        let held = peers[2].count();
        assert_eq!(held, 3 + 300, "round {round}: peer 2 holds everything");
        let carried = links
            .iter()
            .find(|l| (l.from, l.to) == (0, 2))
            .unwrap()
            .entries_carried;
        assert_eq!(
            carried as u64, held,
            "round {round}: entries sent more than once"
        );
    }
}
