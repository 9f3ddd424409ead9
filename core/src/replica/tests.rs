//! Acceptance rules of a replica over a real (in-memory) SQLite store: forgeries, tampering, forks,
//! non-members and removed members are refused and leave the store unchanged.

use super::Replica;
use crate::ids::{DeviceId, Hash, Now, PersonId};
use crate::log::{Body, Entry};
use crate::space::{SpaceKey, SpaceKind};
use crate::store::{self, Store};
use crate::sync::decode_entries;
use ed25519_dalek::SigningKey;

struct Dev {
    signer: SigningKey,
    id: DeviceId,
    person: PersonId,
}

fn dev(seed: u8, person: u8) -> Dev {
    let signer = SigningKey::from_bytes(&[seed; 32]);
    Dev {
        id: DeviceId(signer.verifying_key().to_bytes()),
        signer,
        person: PersonId([person; 16]),
    }
}

fn entry(key: &SpaceKey, d: &Dev, seq: u64, prev: Hash, body: Body) -> Entry {
    Entry::create(
        key.space_id(),
        key,
        &d.signer,
        seq,
        prev,
        // Increasing within a log, as an author writes them.
        1_700_000_000_000 + seq,
        &body,
    )
    .unwrap()
}

fn msg(text: &str) -> Body {
    Body::Message {
        text: text.into(),
        reply_to: None,
    }
}

/// A receiving store (device `me`) holding the space rooted at `root`, and the root's first entries
/// adding `members`.
fn setup(root: &Dev, members: &[&Dev]) -> (Store, SpaceKey, Vec<Entry>) {
    let key = SpaceKey::generate();
    let store = Store::in_memory().unwrap();
    store::space_insert(
        &store.read().unwrap(),
        &key,
        SpaceKind::Buddy,
        root.id,
        "",
        Now::read(),
    )
    .unwrap();
    let mut log = Vec::new();
    let mut prev = Hash([0; 32]);
    for (i, m) in std::iter::once(&root).chain(members).enumerate() {
        let e = entry(
            &key,
            root,
            i as u64 + 1,
            prev,
            Body::MemberAdded {
                device: m.id,
                person: m.person,
                name: "d".into(),
            },
        );
        prev = e.hash();
        log.push(e);
    }
    (store, key, log)
}

fn receive(store: &Store, key: &SpaceKey, me: &Dev, entries: &[Entry]) -> usize {
    let c = store.read().unwrap();
    let mut r = Replica::new(&c, &me.signer, me.person, Now::read());
    let raws = entries.iter().map(Entry::encode).collect();
    r.receive(&key.space_id(), decode_entries(raws, &Vec::new()))
        .unwrap()
        .refused
}

fn count(store: &Store) -> u64 {
    store::entry_count(&store.read().unwrap()).unwrap()
}

#[test]
fn entries_by_a_non_member_are_refused_even_with_the_key() {
    let (root, betty, mallory) = (dev(1, 1), dev(2, 2), dev(9, 9));
    let (store, key, log) = setup(&root, &[&betty]);
    assert_eq!(receive(&store, &key, &betty, &log), 0);
    let before = count(&store);
    let forged = [
        entry(&key, &mallory, 1, Hash([0; 32]), msg("hi from nobody")),
        entry(
            &key,
            &mallory,
            1,
            Hash([0; 32]),
            Body::MemberAdded {
                device: mallory.id,
                person: mallory.person,
                name: "m".into(),
            },
        ),
    ];
    for f in &forged {
        assert_eq!(receive(&store, &key, &betty, std::slice::from_ref(f)), 1);
    }
    assert_eq!(count(&store), before, "store unchanged");
}

#[test]
fn tampered_entries_are_refused_and_the_genuine_one_still_accepted() {
    let (root, betty) = (dev(1, 1), dev(2, 2));
    let (store, key, log) = setup(&root, &[&betty]);
    receive(&store, &key, &betty, &log);
    let genuine = entry(&key, &root, 3, log[1].hash(), msg("genuine"));
    let before = count(&store);
    let mut tampered = Vec::new();
    let mut t = genuine.clone();
    t.sealed[3] ^= 0x40;
    tampered.push(t);
    let mut t = genuine.clone();
    t.time += 1;
    tampered.push(t);
    let mut t = genuine.clone();
    t.prev = Hash([7; 32]);
    tampered.push(t);
    let mut t = genuine.clone();
    t.sig[0] ^= 1;
    tampered.push(t);
    let mut t = genuine.clone();
    t.author = betty.id;
    tampered.push(t);
    for t in &tampered {
        assert_eq!(
            receive(&store, &key, &betty, std::slice::from_ref(t)),
            1,
            "{t:?}"
        );
        assert_eq!(count(&store), before, "store unchanged");
    }
    // Corrupt bytes on the wire never panic and never store.
    let raw = genuine.encode();
    for i in (0..raw.len()).step_by(3) {
        let mut bad = raw.clone();
        bad[i] ^= 0x55;
        let c = store.read().unwrap();
        let mut r = Replica::new(&c, &betty.signer, betty.person, Now::read());
        let applied = r
            .receive(&key.space_id(), decode_entries(vec![bad], &Vec::new()))
            .unwrap();
        assert!(
            applied.heads.is_empty(),
            "corrupt byte {i} stored something"
        );
        drop(c);
    }
    assert_eq!(count(&store), before);
    assert_eq!(receive(&store, &key, &betty, &[genuine]), 0);
    assert_eq!(count(&store), before + 1);
}

#[test]
fn a_fork_is_kept_as_evidence_not_merged() {
    let (root, betty) = (dev(1, 1), dev(2, 2));
    let (store, key, log) = setup(&root, &[&betty]);
    receive(&store, &key, &betty, &log);
    let one = entry(&key, &root, 3, log[1].hash(), msg("one"));
    let other = entry(&key, &root, 3, log[1].hash(), msg("other"));
    receive(&store, &key, &betty, std::slice::from_ref(&one));
    receive(&store, &key, &betty, &[other]);
    assert_eq!(store::fork_count(&store.read().unwrap()).unwrap(), 1);
    let held = store::entry_hash(&store.read().unwrap(), &key.space_id(), &root.id, 3).unwrap();
    assert_eq!(held, Some(one.hash()), "the first entry stays");
}

#[test]
fn a_removed_device_counts_only_up_to_its_last_seq() {
    // Amy has two devices; the first removes the second after its first entry.
    let (amy1, amy2, betty) = (dev(1, 1), dev(3, 1), dev(2, 2));
    let (store, key, mut log) = setup(&amy1, &[&amy2]);
    let a2_first = entry(&key, &amy2, 1, Hash([0; 32]), msg("before"));
    let removal = entry(
        &key,
        &amy1,
        3,
        log[1].hash(),
        Body::MemberRemoved {
            device: amy2.id,
            last_seq: 1,
            rotation: None,
        },
    );
    log.push(removal);
    let a2_second = entry(&key, &amy2, 2, a2_first.hash(), msg("after"));
    assert_eq!(receive(&store, &key, &betty, &log), 0);
    assert_eq!(receive(&store, &key, &betty, &[a2_first, a2_second]), 1);
    assert_eq!(
        store::head(&store.read().unwrap(), &key.space_id(), &amy2.id)
            .unwrap()
            .0,
        1
    );
}

#[test]
fn an_author_added_later_in_the_same_batch_is_accepted() {
    let (root, betty) = (dev(1, 1), dev(2, 2));
    let (store, key, log) = setup(&root, &[&betty]);
    let hello = entry(
        &key,
        &betty,
        1,
        Hash([0; 32]),
        Body::Hello {
            person: betty.person,
            name: "Betty".into(),
        },
    );
    // Betty's entry first, the root's introduction after it.
    let mut batch = vec![hello];
    batch.extend(log);
    assert_eq!(receive(&store, &key, &root, &batch), 0);
    assert_eq!(count(&store), 3);
}

/// Home entries of two devices may be applied in any order across logs: a `SpaceLeft` (from the phone)
/// applied before the `SpaceJoined` it answers (from the laptop) still leaves the space left.
#[test]
fn a_space_left_before_it_was_joined_stays_left() {
    let laptop = dev(1, 1);
    let home = SpaceKey::generate();
    let store = Store::in_memory().unwrap();
    let c = store.read().unwrap();
    store::space_insert(&c, &home, SpaceKind::Home, laptop.id, "", Now::read()).unwrap();
    let home_row = store::space_get(&c, &home.space_id()).unwrap().unwrap();
    let buddy = SpaceKey::generate();
    let mut r = Replica::new(&c, &laptop.signer, laptop.person, Now::read());
    r.append(
        &home_row,
        &Body::SpaceLeft {
            space: buddy.space_id(),
        },
    )
    .unwrap();
    r.append(
        &home_row,
        &Body::SpaceJoined {
            kind: SpaceKind::Buddy,
            key: buddy.clone(),
            root: laptop.id,
            label: "Betty".into(),
        },
    )
    .unwrap();
    assert!(
        store::space_get(&c, &buddy.space_id()).unwrap().is_none(),
        "the left space came back"
    );
    // A space joined and never left is joined.
    let other = SpaceKey::generate();
    r.append(
        &home_row,
        &Body::SpaceJoined {
            kind: SpaceKind::Buddy,
            key: other.clone(),
            root: laptop.id,
            label: "Carl".into(),
        },
    )
    .unwrap();
    assert!(store::space_get(&c, &other.space_id()).unwrap().is_some());
}

/// An unlinked device's home log counts up to the head the revoking device saw, also on a device that
/// gets the revocation before that log (before, it cut the log at whatever it held then: nothing).
#[test]
fn a_revocation_counts_the_revoked_log_as_the_revoker_saw_it() {
    let (laptop, phone, tablet) = (dev(1, 1), dev(2, 1), dev(3, 1));
    let key = SpaceKey::generate();
    let store = Store::in_memory().unwrap();
    store::space_insert(
        &store.read().unwrap(),
        &key,
        SpaceKind::Home,
        laptop.id,
        "",
        Now::read(),
    )
    .unwrap();
    let chain = |d: &Dev, bodies: Vec<Body>| {
        let mut prev = Hash([0; 32]);
        bodies
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let e = entry(&key, d, i as u64 + 1, prev, b);
                prev = e.hash();
                e
            })
            .collect::<Vec<_>>()
    };
    let added = |d: &Dev| Body::MemberAdded {
        device: d.id,
        person: d.person,
        name: "d".into(),
    };
    let laptop_log = chain(
        &laptop,
        vec![
            added(&laptop),
            added(&phone),
            added(&tablet),
            Body::DeviceRevoked {
                device: phone.id,
                last_seq: 2,
                rotation: None,
            },
        ],
    );
    let renamed = |n: &str| Body::DeviceRenamed {
        device: phone.id,
        name: n.into(),
    };
    let phone_log = chain(&phone, vec![renamed("a"), renamed("b"), renamed("c")]);
    assert_eq!(receive(&store, &key, &tablet, &laptop_log), 0);
    // The phone's first two entries count; the third, written after the revocation, does not.
    assert_eq!(receive(&store, &key, &tablet, &phone_log), 1);
    assert_eq!(count(&store), 4 + 2);
}
