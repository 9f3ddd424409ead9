//! The rogue device of the attack tests, built on the core's own codecs: it writes arbitrary signed
//! entries to its own logs (any body, seq, time or key id) and speaks arbitrary frames to a live client
//! over a real QUIC connection with raw-public-key TLS. It can be a brand-new key, or a device whose
//! store it took over (a stolen phone, a malicious buddy): then it continues that device's own logs.

#![allow(dead_code)]

use clearchat_core::testing::entries::{Body, Entry, Hash, SpaceKey};
use clearchat_core::testing::wire::{
    client_config, exporter, read_frame, write_frame, Frame, FrameError, Role, SyncFrame,
};
use clearchat_core::testing::{self, HeldSpace};
use clearchat_core::{Client, DeviceId, PersonId, SpaceId};
use clearchat_testkit::{amy_and_betty, wait_until, Device};
use ed25519_dalek::SigningKey;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the rogue waits for one frame from its target.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// The head of one of the rogue's own logs.
#[derive(Clone, Copy, Debug)]
pub struct OwnHead {
    pub seq: u64,
    pub hash: Hash,
    pub time: u64,
}

/// A device under the attacker's control.
pub struct Rogue {
    pub signer: SigningKey,
    pub person: PersonId,
    /// The spaces it holds keys of (first key first).
    pub spaces: Vec<HeldSpace>,
    heads: HashMap<SpaceId, OwnHead>,
    /// Its own logs, encoded, per space.
    logs: HashMap<SpaceId, Vec<Vec<u8>>>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Rogue {
    /// A fresh key that belongs to no space.
    pub fn fresh() -> Rogue {
        Rogue {
            signer: SigningKey::generate(&mut rand::thread_rng()),
            person: PersonId(rand::random()),
            spaces: Vec::new(),
            heads: HashMap::new(),
            logs: HashMap::new(),
        }
    }

    /// Takes over `client`'s device: its key, its person, its spaces and the heads of its own logs. The
    /// client should be stopped (the rogue speaks for it from now on).
    pub fn steal(client: &Client) -> Rogue {
        let (signer, person) = testing::identity(client).expect("identity");
        let spaces = testing::spaces(client).expect("spaces");
        let me = DeviceId(signer.verifying_key().to_bytes());
        let heads = spaces
            .iter()
            .map(|s| {
                let (seq, hash, time) = testing::head(client, &s.id, &me).expect("head");
                (s.id, OwnHead { seq, hash, time })
            })
            .collect();
        let logs = spaces
            .iter()
            .map(|s| (s.id, testing::log_entries(client, &s.id, &me).expect("log")))
            .collect();
        Rogue {
            signer,
            person,
            spaces,
            heads,
            logs,
        }
    }

    pub fn device(&self) -> DeviceId {
        DeviceId(self.signer.verifying_key().to_bytes())
    }

    pub fn space(&self, id: &SpaceId) -> &HeldSpace {
        self.spaces
            .iter()
            .find(|s| s.id == *id)
            .expect("a space the rogue holds")
    }

    /// The rogue's home space (the first home it holds).
    pub fn home(&self) -> SpaceId {
        self.spaces
            .iter()
            .find(|s| s.kind == testing::entries::SpaceKind::Home)
            .expect("a home")
            .id
    }

    /// The rogue's buddy spaces.
    pub fn buddy_spaces(&self) -> Vec<SpaceId> {
        self.spaces
            .iter()
            .filter(|s| s.kind == testing::entries::SpaceKind::Buddy)
            .map(|s| s.id)
            .collect()
    }

    pub fn head(&self, space: &SpaceId) -> OwnHead {
        self.heads.get(space).copied().unwrap_or(OwnHead {
            seq: 0,
            hash: Hash([0; 32]),
            time: 0,
        })
    }

    /// The next entry of the rogue's own log in `space`, sealed as an honest device would (membership and
    /// keys under the first key, the rest under the newest), time now; the log's head moves on.
    pub fn next(&mut self, space: &SpaceId, body: &Body) -> Vec<u8> {
        let held = self.space(space);
        let key = match body {
            Body::MemberAdded { .. } | Body::MemberRemoved { .. } | Body::KeysSealed { .. } => {
                held.keys[0].clone()
            }
            _ => held.keys.last().expect("a key").clone(),
        };
        let head = self.head(space);
        let time = now_ms().max(head.time + 1);
        self.next_with(space, &key, time, body)
    }

    /// The next entry of the rogue's own log in `space` with a chosen key and time; the head moves on.
    pub fn next_with(
        &mut self,
        space: &SpaceId,
        key: &SpaceKey,
        time: u64,
        body: &Body,
    ) -> Vec<u8> {
        let head = self.head(space);
        let entry = self.entry(space, key, head.seq + 1, head.hash, time, body);
        self.heads.insert(
            *space,
            OwnHead {
                seq: entry.seq,
                hash: entry.hash(),
                time,
            },
        );
        let raw = entry.encode();
        self.logs.entry(*space).or_default().push(raw.clone());
        raw
    }

    /// The rogue's whole own log in `space`, encoded (what it took over and what it wrote since).
    pub fn log(&self, space: &SpaceId) -> Vec<Vec<u8>> {
        self.logs.get(space).cloned().unwrap_or_default()
    }

    /// Any entry of the rogue's log: any seq, prev, time and key. Does not move the head.
    pub fn entry(
        &self,
        space: &SpaceId,
        key: &SpaceKey,
        seq: u64,
        prev: Hash,
        time: u64,
        body: &Body,
    ) -> Entry {
        Entry::create(*space, key, &self.signer, seq, prev, time, body).expect("an entry")
    }

    /// Opens a real QUIC connection to `target` (started), pinning its device id, and its one stream.
    pub async fn connect(&self, target: &Client) -> RogueConn {
        let target_id = target.me().expect("me").device_id;
        let addr = target.listen_addrs()[0];
        let mut endpoint =
            quinn::Endpoint::client("127.0.0.1:0".parse().expect("an address")).expect("endpoint");
        endpoint.set_default_client_config(
            client_config(&self.signer, Some(target_id.0)).expect("tls"),
        );
        let quic = endpoint
            .connect(addr, "clearchat")
            .expect("connect")
            .await
            .expect("handshake");
        let (send, recv) = quic.open_bi().await.expect("stream");
        let exporter = exporter(&quic).expect("exporter");
        RogueConn {
            _endpoint: endpoint,
            quic,
            send,
            recv,
            exporter,
        }
    }
}

/// The rogue's connection to a live client.
pub struct RogueConn {
    _endpoint: quinn::Endpoint,
    pub quic: quinn::Connection,
    pub send: quinn::SendStream,
    pub recv: quinn::RecvStream,
    pub exporter: [u8; 32],
}

impl RogueConn {
    /// The connection in parts (endpoint, connection, send and receive halves), for an attack that reads
    /// and writes on tasks of its own.
    pub fn into_parts(
        self,
    ) -> (
        quinn::Endpoint,
        quinn::Connection,
        quinn::SendStream,
        quinn::RecvStream,
    ) {
        (self._endpoint, self.quic, self.send, self.recv)
    }

    pub async fn send(&mut self, frame: &Frame) {
        write_frame(&mut self.send, frame)
            .await
            .expect("send a frame");
    }

    /// Bytes straight onto the stream (a frame of the rogue's own making, or garbage).
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.send.write_all(bytes).await.expect("send bytes");
    }

    /// The next frame from the target; an error when the connection ends (or nothing comes in time).
    pub async fn recv(&mut self) -> Result<Frame, FrameError> {
        match tokio::time::timeout(READ_TIMEOUT, read_frame(&mut self.recv)).await {
            Ok(result) => result,
            Err(_) => Err(FrameError::Io("nothing came in time".into())),
        }
    }

    /// Offers the spaces of `keys` (their first keys) as the dialer; returns the target's answer, or None
    /// when it closed the connection.
    pub async fn hello(&mut self, keys: &[SpaceKey]) -> Option<Frame> {
        let offers = keys
            .iter()
            .map(|k| k.offer(&self.exporter, Role::Dialer))
            .collect();
        self.send(&Frame::Hello {
            offers,
            reply: true,
            introductions: Vec::new(),
        })
        .await;
        self.recv().await.ok()
    }

    /// Offers every space of `rogue`.
    pub async fn hello_all(&mut self, rogue: &Rogue) -> Option<Frame> {
        let keys: Vec<SpaceKey> = rogue.spaces.iter().map(|s| s.keys[0].clone()).collect();
        self.hello(&keys).await
    }

    /// Which of the rogue's spaces the target's Hello `answer` opens (the target offers them back).
    pub fn opened(&self, answer: &Frame, rogue: &Rogue) -> Vec<SpaceId> {
        let Frame::Hello { offers, .. } = answer else {
            return Vec::new();
        };
        rogue
            .spaces
            .iter()
            .filter(|s| offers.contains(&s.keys[0].offer(&self.exporter, Role::Acceptor)))
            .map(|s| s.id)
            .collect()
    }

    /// Sends encoded entries of one space.
    pub async fn entries(&mut self, space: SpaceId, entries: Vec<Vec<u8>>) {
        self.send(&Frame::Sync(SyncFrame::Entries { space, entries }))
            .await;
    }

    /// Reads frames until one satisfies `f` (Some), or the connection ends or goes quiet (None).
    pub async fn recv_until<T>(&mut self, mut f: impl FnMut(&Frame) -> Option<T>) -> Option<T> {
        loop {
            let frame = self.recv().await.ok()?;
            if let Some(t) = f(&frame) {
                return Some(t);
            }
        }
    }

    /// Waits for the target to acknowledge `author`'s log in `space` up to at least `seq` (a Have that
    /// lists it). False if the connection ends or goes quiet first.
    pub async fn acked(&mut self, space: SpaceId, author: DeviceId, seq: u64) -> bool {
        self.recv_until(|f| match f {
            Frame::Sync(SyncFrame::Have {
                space: s, heads, ..
            }) if *s == space => heads
                .iter()
                .any(|(a, n, _)| *a == author && *n >= seq)
                .then_some(()),
            _ => None,
        })
        .await
        .is_some()
    }

    /// Every entry the target streams in `space` until it goes quiet for `quiet`, decoded.
    pub async fn drain_entries(&mut self, space: SpaceId, quiet: Duration) -> Vec<Entry> {
        let mut out = Vec::new();
        while let Ok(Ok(frame)) = tokio::time::timeout(quiet, read_frame(&mut self.recv)).await {
            if let Frame::Sync(SyncFrame::Entries { space: s, entries }) = frame {
                if s == space {
                    out.extend(entries.iter().filter_map(|raw| Entry::decode(raw).ok()));
                }
            }
        }
        out
    }
}

/// An `Entries` frame for `space` of `n` empty entries, written by hand as raw bytes with its length prefix
/// (building it as a `Frame` would itself allocate what the attack wants the victim to allocate).
pub fn empty_entries_frame(space: [u8; 32], n: usize) -> Vec<u8> {
    let mut body = vec![1u8, 4, 1]; // version, Frame::Sync, SyncFrame::Entries
    body.extend(space);
    let mut len = n as u64;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            body.push(byte);
            break;
        }
        body.push(byte | 0x80);
    }
    body.resize(body.len() + n, 0);
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// The phone is stolen (its store copied), then Amy unlinks it and Betty hears of it.
pub async fn stolen_and_unlinked() -> (Device, Device, Rogue) {
    let (laptop, phone, betty) = amy_and_betty().await;
    let phone_id = phone.client.me().unwrap().device_id;
    phone.client.stop().await.unwrap();
    let stolen = Rogue::steal(&phone.client);
    laptop.client.revoke_device(&phone_id).await.unwrap();
    wait_until("Betty learns that the phone is unlinked", || async {
        testing::lists_as_removed(&betty.client, &phone_id)
    })
    .await;
    wait_until("Betty holds the rotated key", || async {
        testing::buddy_key_ids(&betty.client).is_ok_and(|(_, ids)| ids.len() > 1)
    })
    .await;
    (laptop, betty, stolen)
}
