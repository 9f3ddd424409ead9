//! The bodies of the fuzz targets in `fuzz/` (cargo-fuzz, nightly), one per decoder a peer or a pasted
//! code reaches: frames, entries (decoded, opened and applied to a store), invite codes, LAN beacons and
//! the offer exchange. They live here so that `cargo test` on stable replays every committed corpus file
//! through the same code (`core/tests/fuzz_corpora.rs`). Each must never panic, whatever the input; where a
//! decoder accepts the input, what it decoded must encode back to something that decodes the same.

use crate::ids::{DeviceId, Hash, Now, PersonId, SpaceId};
use crate::invite::InviteCode;
use crate::log::{Body, Entry};
use crate::net::beacon::Beacon;
use crate::net::frame::Frame;
use crate::replica::Replica;
use crate::space::{Role, SpaceKey, SpaceKind};
use crate::store::{self, Store};
use crate::sync::{decode_entries, Hello, Offers, SyncFrame};
use ed25519_dalek::SigningKey;

/// The names of the targets, as `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/`.
pub const TARGETS: &[&str] = &["frame", "entries", "invite_code", "beacon", "offers"];

/// Runs the body of target `name` on `data`; false for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "frame" => frame(data),
        "entries" => entries(data),
        "invite_code" => invite_code(data),
        "beacon" => beacon(data),
        "offers" => offers(data),
        _ => return false,
    }
    true
}

/// A frame body as read from a stream (after the length prefix).
pub fn frame(data: &[u8]) {
    if let Ok(frame) = Frame::decode(data) {
        let bytes = frame.encode().expect("a decoded frame encodes");
        let again = Frame::decode(&bytes[4..]).expect("an encoded frame decodes");
        assert_eq!(again, frame);
    }
}

/// A device "me" holding one buddy space rooted at another device that added a third: the store the
/// entries target applies its batches to.
struct Harness {
    store: Store,
    me: SigningKey,
    root: SigningKey,
    key: SpaceKey,
    head: (u64, Hash),
}

impl Harness {
    fn new() -> Harness {
        let me = SigningKey::from_bytes(&[1; 32]);
        let root = SigningKey::from_bytes(&[2; 32]);
        let key = SpaceKey([3; 32]);
        let store = Store::in_memory().expect("an in-memory store");
        let root_id = DeviceId(root.verifying_key().to_bytes());
        let now = Now::read();
        store
            .write(|c| store::space_insert(c, &key, SpaceKind::Buddy, root_id, "", now))
            .expect("a space");
        let mut harness = Harness {
            store,
            me,
            root,
            key,
            head: (0, Hash([0; 32])),
        };
        let me_id = DeviceId(harness.me.verifying_key().to_bytes());
        let added = [
            Body::MemberAdded {
                device: root_id,
                person: PersonId([4; 16]),
                name: String::new(),
            },
            Body::MemberAdded {
                device: me_id,
                person: PersonId([5; 16]),
                name: String::new(),
            },
        ];
        let batch = added.iter().map(|b| harness.by_root(b)).collect();
        harness.receive(batch);
        harness
    }

    /// The next entry of the root's log, saying `body`.
    fn by_root(&mut self, body: &Body) -> Vec<u8> {
        let (seq, prev) = self.head;
        let time = Now::read().ms();
        let entry = Entry::create(
            self.key.space_id(),
            &self.key,
            &self.root,
            seq + 1,
            prev,
            time,
            body,
        )
        .expect("an entry");
        let raw = entry.encode();
        self.head = (
            seq + 1,
            crate::log::Received::decode(raw.clone())
                .expect("ours")
                .hash,
        );
        raw
    }

    fn space(&self) -> SpaceId {
        self.key.space_id()
    }

    fn receive(&self, raws: Vec<Vec<u8>>) {
        let space = self.space();
        let incoming = decode_entries(raws, &Default::default());
        let me = &self.me;
        let applied = self.store.write(|c| {
            let mut replica = Replica::new(c, me, PersonId([5; 16]), Now::read());
            replica.receive(&space, incoming)
        });
        assert!(
            applied.is_ok(),
            "a peer's batch made the store fail: {applied:?}"
        );
    }
}

/// A batch of entries. The first byte chooses how the rest is read: 0, as the list of an `Entries`
/// frame (raw entries, nearly always refused: this fuzzes decoding and the refusal paths); otherwise, as
/// a run of postcard `Body` values that the space's root signs and seals in turn, so that what each body
/// does to the store is fuzzed with valid signatures.
pub fn entries(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut harness = Harness::new();
    if mode == 0 {
        let frame = Frame::Sync(SyncFrame::Entries {
            space: harness.space(),
            entries: Vec::new(),
        });
        // The list as the frame decoder reads it: the frame's head, then the fuzzer's bytes.
        let mut body = frame.encode().expect("a frame")[4..].to_vec();
        body.pop();
        body.extend_from_slice(rest);
        if let Ok(Frame::Sync(SyncFrame::Entries { entries, .. })) = Frame::decode(&body) {
            harness.receive(entries);
        }
        return;
    }
    let mut bodies = Vec::new();
    let mut rest = rest;
    while bodies.len() < 16 {
        match postcard::take_from_bytes::<Body>(rest) {
            Ok((body, tail)) => {
                bodies.push(body);
                rest = tail;
            }
            Err(_) => break,
        }
    }
    if bodies.is_empty() {
        return;
    }
    let batch = bodies.iter().map(|b| harness.by_root(b)).collect();
    harness.receive(batch);
}

/// A pasted or scanned invite code.
pub fn invite_code(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = InviteCode::parse(text) {
        assert_eq!(InviteCode::parse(&code.to_text()).as_ref(), Ok(&code));
        assert_eq!(InviteCode::parse(&code.to_uri()).as_ref(), Ok(&code));
        let _ = code.qr();
    }
}

/// A LAN beacon datagram.
pub fn beacon(data: &[u8]) {
    if let Some(beacon) = Beacon::decode(data) {
        assert_eq!(Beacon::decode(&beacon.encode()), Some(beacon.clone()));
        let keys = [SpaceKey([3; 32])];
        let _ = beacon.matches(&keys, 0);
    }
}

/// The peer's Hello in the offer exchange, as acceptor or dialer (first byte), against two spaces.
pub fn offers(data: &[u8]) {
    let Some((&role, rest)) = data.split_first() else {
        return;
    };
    let role = if role & 1 == 0 {
        Role::Acceptor
    } else {
        Role::Dialer
    };
    let Ok(Frame::Hello {
        offers,
        reply,
        introductions,
    }) = Frame::decode(rest)
    else {
        return;
    };
    let mine: Vec<crate::sync::Offerable> = [SpaceKey([3; 32]), SpaceKey([6; 32])]
        .into_iter()
        .map(|k| (k.space_id(), vec![SpaceKey([9; 32]), k]))
        .collect();
    let mut state = Offers::new(role, [7; 32]);
    if role == Role::Dialer {
        state.hello(&mine, true);
    }
    let hello = Hello {
        offers,
        reply,
        introductions,
    };
    if state.handle_hello(&hello, &mine).is_ok() {
        assert!(!state.shared().is_empty());
        let _ = state.handle_hello(&hello, &mine[..1]);
    }
}

/// Small valid inputs of each target, from which the fuzzer starts (`fuzz/corpus/<target>/seed-*`,
/// written by `CLEARCHAT_WRITE_SEEDS=1 cargo test -p clearchat-core --test fuzz_corpora`).
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let key = SpaceKey([3; 32]);
    let mut harness = Harness::new();
    let me = DeviceId(harness.me.verifying_key().to_bytes());
    let bodies = [
        Body::Message {
            text: "hello".into(),
            reply_to: None,
        },
        Body::Read {
            up_to: crate::ids::MessageKey {
                time: 1,
                author: me,
                seq: 1,
            },
        },
        Body::MemberRemoved {
            device: me,
            last_seq: 3,
            rotation: None,
        },
        Body::Hello {
            person: PersonId([4; 16]),
            name: "Amy".into(),
        },
        Body::Left,
    ];
    let raw = harness.by_root(&bodies[0]);
    let frames = [
        Frame::Hello {
            offers: vec![key.offer(&[7; 32], Role::Dialer)],
            reply: true,
            introductions: vec![raw.clone()],
        },
        Frame::Sync(SyncFrame::Have {
            space: key.space_id(),
            heads: vec![(me, 3, Hash([9; 32]))],
            full: true,
        }),
        Frame::Sync(SyncFrame::Entries {
            space: key.space_id(),
            entries: vec![raw.clone()],
        }),
        Frame::Refused {
            reason: crate::invite::redeem::Refusal::Expired,
        },
    ];
    for f in &frames {
        out.push(("frame", f.encode().expect("a frame")[4..].to_vec()));
    }
    let list = postcard::to_allocvec(&vec![serde_bytes::ByteBuf::from(raw)]).expect("a list");
    out.push(("entries", [&[0u8][..], &list].concat()));
    for body in &bodies {
        let bytes = postcard::to_allocvec(body).expect("a body");
        out.push(("entries", [&[1u8][..], &bytes].concat()));
    }
    let code = InviteCode {
        purpose: crate::invite::Purpose::Buddy,
        secret: [8; 16],
        inviter: [9; 32],
        addrs: vec!["192.0.2.1:4000".parse().expect("addr")],
        others: vec![([10; 32], "[2001:db8::1]:4001".parse().expect("addr"))],
        expires_at: 2_000_000_000,
    };
    out.push(("invite_code", code.to_text().into_bytes()));
    out.push(("invite_code", code.to_uri().into_bytes()));
    out.push((
        "beacon",
        Beacon::for_spaces([1; 8], 4000, std::slice::from_ref(&key), 0).encode(),
    ));
    for (role, offer_role) in [(0u8, Role::Dialer), (1, Role::Acceptor)] {
        let hello = Frame::Hello {
            offers: vec![key.offer(&[7; 32], offer_role), [0; 32]],
            reply: role == 0,
            introductions: Vec::new(),
        };
        let bytes = hello.encode().expect("a frame")[4..].to_vec();
        out.push(("offers", [&[role][..], &bytes].concat()));
    }
    out
}
