//! The soak of issue 10: for 60 s a malicious buddy (Mallory's device, taken over) and strangers flood
//! Amy's laptop with every malformed or abusive frame of the resource items (7 to 9), while Betty keeps
//! chatting with Amy. The flood adds less than 100 MB to the resident memory of the process (which holds
//! every client of the test and the attackers), Betty's messages keep arriving, and
//! nothing Amy holds about the space she shares with Mallory changes.
//!
//! Also here, the other test that measures memory: strangers whose first frame is 4M empty entries.
//!
//! A test binary of its own (it shares the attacks' rogue): the memory it measures is its process's, so its
//! two tests take turns (`TURN`) and no other test runs beside them.

#[path = "attacks/rogue.rs"]
mod rogue;

use clearchat_core::testing::entries::{Body, Hash};
use clearchat_core::testing::wire::{
    client_config, dial_as_stranger, read_frame, write_frame, Frame, SyncFrame,
};
use clearchat_core::testing::{self};
use clearchat_core::DeviceId;
use clearchat_testkit::{add_buddy, amy_and_betty_alone, wait_lists, wait_until, Device};
use rogue::Rogue;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SOAK: Duration = Duration::from_secs(60);

/// The tests of this binary measure the process: one at a time.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// What the flood may add to the process's resident memory. The process holds Amy's laptop, Betty's phone,
/// Mallory's stopped client and the attackers with their buffers: Amy's share is smaller still.
const MAX_GROWTH: u64 = 100 << 20;

/// The process's resident memory now, in bytes (Linux `VmRSS`).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

/// The process's peak resident memory so far, in bytes (Linux `VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

/// Four million empty entries fit in one 4 MiB frame; decoded, each is a heap `Vec` (and, once opened,
/// a decode result of hundreds of bytes). Strangers on four connections at once send that frame as
/// their first: the device must refuse it without building it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_of_millions_of_empty_entries_costs_a_stranger_nothing() {
    let _turn = TURN.lock().await;
    let (amy, betty) = amy_and_betty_alone().await;
    let frame = std::sync::Arc::new(rogue::empty_entries_frame([0x5a; 32], (4 << 20) - 64));
    let before = peak_rss();
    let mut strangers = Vec::new();
    for _ in 0..4 {
        let (endpoint, conn) = dial_as_stranger(&amy.client).await;
        let frame = frame.clone();
        strangers.push(tokio::spawn(async move {
            let (mut send, mut recv) = conn.open_bi().await.unwrap();
            let _ = send.write_all(&frame).await;
            assert!(
                read_frame(&mut recv).await.is_err(),
                "a stranger reads nothing"
            );
            conn.closed().await;
            drop(endpoint);
        }));
    }
    for s in strangers {
        s.await.unwrap();
    }
    let grown = peak_rss().saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "the frames made the device allocate {} MiB",
        grown >> 20
    );
    // Amy is unharmed.
    amy.send("Betty", "still here").await.unwrap();
    wait_until("Betty gets it", || async {
        betty.texts("Amy").await == vec!["still here"]
    })
    .await;
}

/// One round of abuse by the member rogue on a fresh connection: every kind of frame, until Amy closes
/// the connection or the round's frames are out. Errors are the point: none may stop the soak.
async fn member_round(rogue: &Rogue, target: &Device, fork: &[u8], round: usize) {
    let conn = rogue.connect(&target.client).await;
    let mut conn = conn;
    let Some(answer) = conn.hello_all(rogue).await else {
        return;
    };
    let space = rogue.buddy_spaces()[0];
    if !conn.opened(&answer, rogue).contains(&space) {
        return;
    }
    let (_endpoint, quic, mut send, mut recv) = conn.into_parts();
    // Read and drop whatever Amy sends, so that her writes never wait on us.
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 << 10];
        while let Ok(Some(_)) = recv.read(&mut buf).await {}
    });
    let invented: Vec<(DeviceId, u64, Hash)> = (0..4096u32)
        .map(|i| {
            let mut id = [0xee; 32];
            id[..4].copy_from_slice(&i.to_be_bytes());
            id[4..8].copy_from_slice(&(round as u32).to_be_bytes());
            (DeviceId(id), 9, Hash([0; 32]))
        })
        .collect();
    let garbage: Vec<Vec<u8>> = (0..1024).map(|i| vec![i as u8; 1000]).collect();
    for _ in 0..20 {
        let frames = [
            Frame::Sync(SyncFrame::Have {
                space,
                heads: vec![],
                full: true,
            }),
            Frame::Sync(SyncFrame::Have {
                space,
                heads: invented.clone(),
                full: false,
            }),
            Frame::Sync(SyncFrame::Entries {
                space,
                entries: garbage.clone(),
            }),
            Frame::Sync(SyncFrame::Entries {
                space,
                entries: vec![fork.to_vec(); 512],
            }),
        ];
        for frame in &frames {
            if write_frame(&mut send, frame).await.is_err() {
                reader.abort();
                return;
            }
        }
    }
    // Last, what ends the connection: a batch of 1025 entries, then garbage.
    let _ = send
        .write_all(&rogue::empty_entries_frame(space.0, 1025))
        .await;
    let _ = send.write_all(&[0xff; 64]).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), quic.closed()).await;
    reader.abort();
}

/// A stranger's round: a fresh key whose first frame is 4M empty entries.
async fn stranger_round(target: &Device, frame: &[u8]) {
    let stranger = ed25519_dalek::SigningKey::generate(&mut rand::thread_rng());
    let me = target.client.me().expect("me").device_id;
    let Ok(mut endpoint) = quinn::Endpoint::client("127.0.0.1:0".parse().expect("an address"))
    else {
        return;
    };
    endpoint.set_default_client_config(client_config(&stranger, Some(me.0)).expect("tls"));
    let addr = target.client.listen_addrs()[0];
    let Ok(connecting) = endpoint.connect(addr, "clearchat") else {
        return;
    };
    let Ok(quic) = connecting.await else { return };
    if let Ok((mut send, _recv)) = quic.open_bi().await {
        let _ = send.write_all(frame).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), quic.closed()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_of_floods_leaves_amy_small_chatting_and_her_store_untouched() {
    let _turn = TURN.lock().await;
    let (laptop, betty) = amy_and_betty_alone().await;
    let mallory = Device::new("Mallory phone", "Mallory").await;
    add_buddy(&laptop, &mallory, "Mallory").await;
    wait_lists(&laptop, "Mallory", true).await;
    mallory.client.stop().await.unwrap();
    let mut rogue = Rogue::steal(&mallory.client);
    let space = rogue.buddy_spaces()[0];

    // A fork of Mallory's first entry, kept once as evidence before the soak: resending it changes nothing.
    let held = rogue.space(&space).clone();
    let fork = rogue
        .entry(
            &space,
            held.keys.last().unwrap(),
            1,
            Hash([0; 32]),
            rogue::now_ms(),
            &Body::Message {
                text: "forked".into(),
                reply_to: None,
            },
        )
        .encode();
    {
        let mut conn = rogue.connect(&laptop.client).await;
        conn.hello_all(&rogue).await.expect("Amy answers her buddy");
        conn.entries(space, vec![fork.clone()]).await;
        let forks = || laptop.client.stats().map(|(_, forks)| forks).unwrap_or(0);
        wait_until("Amy keeps the fork", || async { forks() == 1 }).await;
    }
    let _ = &mut rogue;
    let before = testing::space_digest(&laptop.client, &space).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let delivered = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let chat = {
        let (done, delivered) = (done.clone(), delivered.clone());
        let (betty, laptop) = (Arc::new(betty), Arc::new(laptop));
        let handle = {
            let (betty, laptop) = (betty.clone(), laptop.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !done.load(Ordering::Relaxed) {
                    let text = format!("honest {i}");
                    betty.send("Amy", &text).await.expect("Betty sends");
                    wait_until("Amy gets Betty's message during the flood", || async {
                        laptop.texts("Betty").await.contains(&text)
                    })
                    .await;
                    delivered.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        (handle, betty, laptop)
    };
    let (chat, _betty, laptop) = chat;

    let stranger_frame = rogue::empty_entries_frame([0x5a; 32], (4 << 20) - 64);
    let baseline = rss();
    let mut peak = baseline;
    let mut round = 0;
    while start.elapsed() < SOAK {
        tokio::join!(
            member_round(&rogue, &laptop, &fork, round),
            stranger_round(&laptop, &stranger_frame),
        );
        peak = peak.max(rss());
        assert!(
            peak.saturating_sub(baseline) < MAX_GROWTH,
            "round {round}: {} MiB resident, {} MiB before the flood",
            peak >> 20,
            baseline >> 20
        );
        round += 1;
    }
    done.store(true, Ordering::Relaxed);
    chat.await.unwrap();
    let delivered = delivered.load(Ordering::Relaxed);
    eprintln!(
        "soak: {round} rounds in {:?}, {} MiB resident before, peak {} MiB, {delivered} honest messages delivered",
        start.elapsed(),
        baseline >> 20,
        peak >> 20
    );
    assert!(round >= 3, "the rogue got only {round} rounds in");
    assert!(
        delivered >= 10,
        "only {delivered} of Betty's messages arrived in a minute"
    );
    assert_eq!(
        testing::space_digest(&laptop.client, &space).unwrap(),
        before,
        "the rogue changed what Amy holds of their space"
    );
}
