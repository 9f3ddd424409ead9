//! The observable lists over real clients on loopback QUIC: Amy on two devices, Betty on two, buddies. A
//! property test drives random sends, reads, paging, screens shown and hidden, fresh subscriptions midway and
//! buddy removal from random devices, while every device's buddy list, conversation window and device list
//! are copied by applying their diff batches. Whenever a list holds still, the copy is its items; once all
//! is delivered, every copy is what a fresh query of the store gives, and paging says rightly whether older
//! messages exist.
//!
//! Real clients rather than replicas: the lists are fed by the engine's events, which the network's sync
//! produces in its own order and bursts; that interleaving is what could break them.

use clearchat_core::{
    apply_batch, buddy_order, runtime, Buddy, BuddyId, BuddyList, Device as DeviceRow, DeviceList,
    Diffs, Message, Reach, Timeline, VectorDiff,
};
use clearchat_testkit::{add_buddy, link_new_device, wait_until, Device, DEADLINE};
use proptest::prelude::*;

/// A list copied from its diffs.
struct Copy<T> {
    items: Vec<T>,
    diffs: Diffs<T>,
}

impl<T> Copy<T> {
    fn new((items, diffs): (Vec<T>, Diffs<T>)) -> Copy<T> {
        Copy { items, diffs }
    }

    /// Applies what waits; panics on a batch that does not fit the copy.
    fn drain(&mut self) {
        while let Some(batch) = self.diffs.try_next() {
            apply_batch(&mut self.items, batch).expect("every batch applies to the copy");
        }
    }
}

struct Watched {
    device: Device,
    buddy: BuddyId,
    buddies: BuddyList,
    timeline: Timeline,
    devices: DeviceList,
    buddy_copies: Vec<Copy<Buddy>>,
    timeline_copies: Vec<Copy<Message>>,
    device_copies: Vec<Copy<DeviceRow>>,
    /// The least the window must hold: what it started with plus what was paged in.
    asked: usize,
}

const INITIAL: u32 = 3;

impl Watched {
    async fn new(device: Device, buddy: BuddyId) -> Watched {
        let buddies = device.client.buddy_list();
        let timeline = device.client.timeline(&buddy, INITIAL).expect("a timeline");
        let devices = device.client.device_list();
        let mut w = Watched {
            buddy_copies: vec![Copy::new(buddies.subscribe().await.unwrap())],
            timeline_copies: vec![Copy::new(timeline.subscribe().await.unwrap())],
            device_copies: vec![Copy::new(devices.subscribe().await.unwrap())],
            device,
            buddy,
            buddies,
            timeline,
            devices,
            asked: INITIAL as usize,
        };
        w.drain();
        w
    }

    fn drain(&mut self) {
        self.buddy_copies.iter_mut().for_each(Copy::drain);
        self.timeline_copies.iter_mut().for_each(Copy::drain);
        self.device_copies.iter_mut().for_each(Copy::drain);
    }

    /// When a list held still across a drain of its copies, they equal its items.
    async fn check_still(&mut self) {
        let before = self.timeline.items().await.unwrap();
        let buddies_before = self.buddies.items().await.unwrap();
        self.drain();
        let after = self.timeline.items().await.unwrap();
        let buddies_after = self.buddies.items().await.unwrap();
        if before == after {
            for copy in &self.timeline_copies {
                assert_eq!(copy.items, after, "{}: the window's copy", self.device.name);
            }
        }
        if buddies_before == buddies_after {
            for copy in &self.buddy_copies {
                assert_eq!(
                    copy.items, buddies_after,
                    "{}: the buddy list's copy",
                    self.device.name
                );
            }
        }
    }

    /// Every copy equals a fresh query, and the lists' own items (false: not yet).
    async fn settled(&mut self) -> bool {
        self.drain();
        let client = &self.device.client;
        let mut buddies = client.buddies().await.unwrap();
        buddies.sort_by(buddy_order);
        let window = self.timeline.items().await.unwrap();
        let conversation = match client.conversation(&self.buddy, None, 1000).await {
            Ok(all) => Some(all),
            // Removed: the window keeps what it showed.
            Err(clearchat_core::Error::UnknownBuddy(_)) => None,
            Err(e) => panic!("conversation: {e}"),
        };
        let mut devices = client.devices().await.unwrap();
        let mask = |d: &mut DeviceRow| {
            if d.online {
                d.last_seen = None
            }
        };
        devices.iter_mut().for_each(mask);
        let buddies_ok = self.buddy_copies.iter().all(|c| c.items == buddies)
            && self.buddies.items().await.unwrap() == buddies;
        let window_ok = self.timeline_copies.iter().all(|c| c.items == window)
            && conversation.as_ref().is_none_or(|all| {
                let tail = &all[all.len() - window.len().min(all.len())..];
                tail == window.as_slice() && window.len() >= self.asked.min(all.len())
            });
        let devices_ok = self.device_copies.iter().all(|c| {
            let mut copy = c.items.clone();
            copy.iter_mut().for_each(mask);
            copy == devices
        });
        buddies_ok && window_ok && devices_ok
    }
}

#[derive(Clone, Debug)]
enum Op {
    Send(usize, u8),
    Read(usize),
    Paginate(usize, u8),
    Show(usize, bool),
    Resubscribe(usize),
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let device = 0usize..4;
    prop_oneof![
        10 => (device.clone(), any::<u8>()).prop_map(|(d, t)| Op::Send(d, t)),
        3 => device.clone().prop_map(Op::Read),
        3 => (device.clone(), 1u8..6).prop_map(|(d, n)| Op::Paginate(d, n)),
        2 => (device.clone(), any::<bool>()).prop_map(|(d, on)| Op::Show(d, on)),
        2 => device.clone().prop_map(Op::Resubscribe),
        1 => device.prop_map(Op::Remove),
    ]
}

/// Amy's laptop and phone, Betty's phone and tablet; Amy and Betty buddies, every device listing the other.
async fn world() -> Vec<Watched> {
    let laptop = Device::new("Amy laptop", "Amy").await;
    laptop.client.start().await.unwrap();
    let phone = link_new_device(&laptop, "Amy phone").await;
    let betty = Device::new("Betty phone", "Betty").await;
    betty.client.start().await.unwrap();
    let tablet = link_new_device(&betty, "Betty tablet").await;
    add_buddy(&laptop, &betty, "Betty").await;
    let mut out = Vec::new();
    for (device, buddy) in [
        (laptop, "Betty"),
        (phone, "Betty"),
        (betty, "Amy"),
        (tablet, "Amy"),
    ] {
        wait_until(&format!("{} lists {buddy}", device.name), || {
            device.lists(buddy, false)
        })
        .await;
        let id = device.buddy_id(buddy).await;
        out.push(Watched::new(device, id).await);
    }
    out
}

async fn run(ops: Vec<Op>) {
    let mut world = world().await;
    let mut sent = 0u32;
    for op in ops {
        match op {
            Op::Send(d, t) => {
                sent += 1;
                let w = &world[d];
                let text = format!("{} says {t} ({sent})", w.device.name);
                if let Ok(message) = w.device.client.send(&w.buddy, &text).await {
                    assert!(!message.text.is_empty());
                }
            }
            Op::Read(d) => {
                let _ = world[d]
                    .device
                    .client
                    .mark_read(&world[d].buddy, None)
                    .await;
            }
            Op::Paginate(d, n) => {
                world[d].asked += n as usize;
                world[d]
                    .timeline
                    .paginate_backwards(n as u32)
                    .await
                    .unwrap();
            }
            Op::Show(d, on) => {
                let w = &world[d];
                w.device.client.set_foreground(on);
                w.device
                    .client
                    .set_visible_conversation(on.then_some(w.buddy));
            }
            Op::Resubscribe(d) => {
                let w = &mut world[d];
                w.timeline_copies
                    .push(Copy::new(w.timeline.subscribe().await.unwrap()));
                w.buddy_copies
                    .push(Copy::new(w.buddies.subscribe().await.unwrap()));
                w.device_copies
                    .push(Copy::new(w.devices.subscribe().await.unwrap()));
            }
            Op::Remove(d) => {
                let _ = world[d].device.client.remove_buddy(&world[d].buddy).await;
            }
        }
        for w in world.iter_mut() {
            w.check_still().await;
        }
    }
    for w in world.iter_mut() {
        // Delivery everywhere, then the copies: polled until they hold, within the deadline.
        let start = std::time::Instant::now();
        while !w.settled().await {
            if start.elapsed() > DEADLINE {
                let window = w.timeline.items().await.unwrap();
                let all = w.device.client.conversation(&w.buddy, None, 1000).await;
                let texts = |v: &[Message]| {
                    v.iter()
                        .map(|m| format!("{}:{:?}", m.text, m.state))
                        .collect::<Vec<_>>()
                };
                panic!(
                    "{}: the lists settle to a fresh snapshot; window {:?}, copies {:?}, store {:?}, buddies {:?} / {:?}",
                    w.device.name,
                    texts(&window),
                    w.timeline_copies.iter().map(|c| texts(&c.items)).collect::<Vec<_>>(),
                    all.map(|a| texts(&a)),
                    w.buddy_copies.iter().map(|c| c.items.clone()).collect::<Vec<_>>(),
                    w.device.client.buddies().await,
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Paging says rightly whether older messages exist: asked while neither the window nor the store
        // changes (a message still on its way to this device may arrive meanwhile; then ask again).
        let start = std::time::Instant::now();
        loop {
            let window = w.timeline.items().await.unwrap();
            let Ok(all) = w.device.client.conversation(&w.buddy, None, 1000).await else {
                break;
            };
            let more = w.timeline.paginate_backwards(0).await.unwrap();
            let still = w.timeline.items().await.unwrap() == window
                && w.device
                    .client
                    .conversation(&w.buddy, None, 1000)
                    .await
                    .ok()
                    == Some(all.clone());
            if still {
                assert_eq!(
                    more,
                    all.len() > window.len(),
                    "{}: more older",
                    w.device.name
                );
                break;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{}: the window holds still",
                w.device.name
            );
        }
    }
    for w in world {
        w.device.close().await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(4),
        max_shrink_iters: 8,
        ..ProptestConfig::default()
    })]

    #[test]
    fn applying_every_diff_to_a_copy_equals_a_fresh_snapshot(ops in proptest::collection::vec(op(), 1..30)) {
        runtime().block_on(run(ops));
    }
}

/// Paging a window: the newest `initial` first, then `n` older at a time in front, `more` until the first message,
/// and the window keeps what it holds while new messages join at the end.
#[test]
fn a_window_pages_older_messages_in_front_until_the_first() {
    runtime().block_on(async {
        let (amy, betty) = clearchat_testkit::amy_and_betty_alone().await;
        let to_betty = amy.buddy_id("Betty").await;
        let to_amy = betty.buddy_id("Amy").await;
        for n in 0..12 {
            betty.client.send(&to_amy, &format!("b{n}")).await.unwrap();
            amy.client.send(&to_betty, &format!("m{n}")).await.unwrap();
        }
        wait_until("all 24 at Amy's", || async {
            amy.client
                .conversation(&to_betty, None, 100)
                .await
                .unwrap()
                .len()
                == 24
        })
        .await;
        let all: Vec<String> = amy
            .client
            .conversation(&to_betty, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect();
        let timeline = amy.client.timeline(&to_betty, 5).unwrap();
        let (start, mut diffs) = timeline.subscribe().await.unwrap();
        let texts = |v: &[Message]| v.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&start), all[19..]);
        let mut copy = Copy {
            items: start,
            diffs: timeline.subscribe().await.unwrap().1,
        };
        std::mem::swap(&mut copy.diffs, &mut diffs);
        assert!(
            timeline.paginate_backwards(4).await.unwrap(),
            "older remain"
        );
        copy.drain();
        assert_eq!(texts(&copy.items), all[15..]);
        amy.client.send(&to_betty, "new").await.unwrap();
        wait_until("the new one at the end", || {
            copy.drain();
            let last = copy.items.last().map(|m| m.text.clone());
            async move { last.as_deref() == Some("new") }
        })
        .await;
        assert_eq!(copy.items.len(), 10);
        assert!(
            !timeline.paginate_backwards(100).await.unwrap(),
            "the first is in"
        );
        copy.drain();
        assert_eq!(copy.items.len(), 25);
        // "new" may still turn delivered meanwhile: the copy catches up with the window.
        let deadline = std::time::Instant::now() + DEADLINE;
        while copy.items != timeline.items().await.unwrap() {
            assert!(
                std::time::Instant::now() < deadline,
                "the copy is the window"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            copy.drain();
        }
        assert_eq!(copy.items[0].text, all[0]);
        drop(diffs);
        amy.close().await;
        betty.close().await;
    });
}

/// A list copied from its diffs that refuses a `Reset`: each change must come as a diff of the items it
/// touched.
struct Diffed<T> {
    items: Vec<T>,
    diffs: Diffs<T>,
}

impl<T: Clone + std::fmt::Debug> Diffed<T> {
    fn new((items, diffs): (Vec<T>, Diffs<T>)) -> Diffed<T> {
        Diffed { items, diffs }
    }

    /// Applies what comes until `holds` says the copy is as wanted, within the deadline.
    async fn until(&mut self, what: &str, holds: impl Fn(&[T]) -> bool) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if holds(&self.items) {
                return;
            }
            let next = tokio::time::timeout_at(deadline, self.diffs.next()).await;
            let Ok(Some(batch)) = next else {
                panic!("{what}: the copy is {:?} ({next:?})", self.items);
            };
            for diff in &batch {
                assert!(
                    !matches!(diff, VectorDiff::Reset { .. } | VectorDiff::Clear),
                    "{what}: a snapshot instead of a diff: {batch:?}"
                );
            }
            apply_batch(&mut self.items, batch).expect("every batch applies to the copy");
        }
    }
}

/// How a buddy or a device is reached reaches the lists at once, as a diff of its item: Betty's client
/// stopping turns her offline and unreachable in Amy's buddy list, her return turns her direct again, Amy's
/// phone stopping shows in Amy's device list, and Amy's own client stopping shows everyone offline, not known.
/// Each time the copy kept from diffs equals a fresh query.
#[test]
fn reach_changes_reach_the_lists_as_diffs() {
    runtime().block_on(async {
        let (laptop, phone, betty) = clearchat_testkit::amy_and_betty().await;
        let buddy = laptop.buddy_id("Betty").await;
        let phone_id = phone.client.me().unwrap().device_id;
        // The lists' handles live as long as the test: the last one dropped ends a list.
        let (buddy_list, device_list) = (laptop.client.buddy_list(), laptop.client.device_list());
        let mut buddies = Diffed::new(buddy_list.subscribe().await.unwrap());
        let mut devices = Diffed::new(device_list.subscribe().await.unwrap());
        let betty_is = |online: bool, reach: Reach| {
            move |items: &[Buddy]| {
                items
                    .iter()
                    .any(|b| b.id == buddy && b.online == online && b.reach == reach)
            }
        };
        let phone_is = |online: bool, reach: Reach| {
            move |items: &[DeviceRow]| {
                items
                    .iter()
                    .any(|d| d.id == phone_id && d.online == online && d.reach == reach)
            }
        };
        let fresh_buddies = || async {
            let mut fresh = laptop.client.buddies().await.unwrap();
            fresh.sort_by(buddy_order);
            fresh
        };
        let without_last_seen = |mut v: Vec<DeviceRow>| {
            v.iter_mut().for_each(|d| d.last_seen = None);
            v
        };
        buddies
            .until("Betty direct", betty_is(true, Reach::Direct))
            .await;
        devices
            .until("the phone direct", phone_is(true, Reach::Direct))
            .await;

        betty.client.stop().await.unwrap();
        buddies
            .until("Betty unreachable", betty_is(false, Reach::Unreachable))
            .await;
        assert_eq!(buddies.items, fresh_buddies().await);

        betty.client.start().await.unwrap();
        buddies
            .until("Betty back", betty_is(true, Reach::Direct))
            .await;
        assert_eq!(buddies.items, fresh_buddies().await);

        phone.client.stop().await.unwrap();
        devices
            .until("the phone unreachable", phone_is(false, Reach::Unreachable))
            .await;
        assert_eq!(
            without_last_seen(devices.items.clone()),
            without_last_seen(laptop.client.devices().await.unwrap())
        );

        // Amy's own client stops: nothing is connected, nothing known of how to reach anyone.
        laptop.client.stop().await.unwrap();
        buddies
            .until("Betty not known", betty_is(false, Reach::Unknown))
            .await;
        devices
            .until("the phone not known", phone_is(false, Reach::Unknown))
            .await;
        assert_eq!(buddies.items, fresh_buddies().await);
        for device in [laptop, phone, betty] {
            device.close().await;
        }
    });
}
