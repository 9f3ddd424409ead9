//! Hole-punch coordination through a member device, as pure logic (time passed in, decisions out; the
//! driver and the dialer do the I/O). A device that cannot reach a peer asks a member device connected to
//! both (`Frame::PunchAsk`); that member tells the peer "dial me now" with the asker's addresses and the
//! asker the peer's (`Frame::DialMeNow` both ways), and both dial each other at once, so that each NAT
//! has let the other's packets in by the time they arrive.
//!
//! Each side also says how its NAT maps its port (`nat::Mapping`, from the `Observed` frames), and the
//! answer follows [`plan`]: two port-keeping NATs dial each other; a port-keeping one opposite a
//! symmetric one punch by the birthday paradox (the symmetric side dials from [`SOCKETS`] fresh sockets,
//! so its NAT opens as many random ports towards the other; the port-keeping side sends [`PROBES`] probes
//! from its one socket to random ports of the symmetric side's IP, so its NAT lets in whatever comes back
//! from them; a probe and a socket that meet make a path), in [`ROUNDS`] rounds; two symmetric NATs
//! leave it to the member relay.
//!
//! Everything a peer can make us hold here is bounded: addresses are filtered like the DHT's and at most
//! [`MAX_ADDRS`]; every request is rate-limited per device in tables of bounded size that refuse when
//! full, and a birthday punch is done at most once per device per [`BIRTHDAY_EVERY`] and
//! [`BIRTHDAYS_PER_WINDOW`] times in all in it. What one coordinator can make us dial is bounded too, a
//! lying one included: a budget of "dial me now" per window, and of addresses we did not know the
//! device at. Who may ask and about whom is the membership rule
//! `space::membership::may_coordinate`, which the caller answers from the store and passes in.

use super::frame::Nat;
use super::rate_limit::RateLimit;
use super::rendezvous::{canonical, dialable, MAX_ADDRS};
use crate::ids::DeviceId;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How often a device asks about the same peer.
pub const ASK_EVERY: Duration = Duration::from_secs(5);
/// How many asks a coordinator serves one asker in [`WINDOW`], and how many punches it forwards to one
/// target in it.
pub const ASKS_PER_WINDOW: u32 = 8;
pub const WINDOW: Duration = Duration::from_secs(10);
/// How often one pair is coordinated, and how often "dial me now" about one device is acted on.
pub const PAIR_EVERY: Duration = Duration::from_secs(2);
/// The most devices any one table tracks (a table that is full of live entries refuses newcomers).
pub const MAX_TRACKED: usize = 256;
/// How many "dial me now" from one coordinator are acted on in [`WINDOW`] (an honest one forwards at most
/// [`ASKS_PER_WINDOW`] punches to one device in it), and how many addresses we did not know the device
/// at it can make us dial in it (an honest punch brings one or two: where the coordinator sees the
/// device, as its NAT maps it, and what it says of itself, which we mostly know already).
pub const TOLD_PER_WINDOW: u32 = ASKS_PER_WINDOW;
pub const NEW_ADDRS_PER_WINDOW: u32 = MAX_ADDRS as u32;

/// Birthday punching. The symmetric side opens this many sockets per round...
pub const SOCKETS: usize = 256;
/// ...the port-keeping side sends this many probes per round, to distinct random ports...
pub const PROBES: usize = 2048;
/// ...of the ports a NAT picks from at random (Linux `masquerade random`: 1024-65535)...
pub const FIRST_PORT: u16 = 1024;
/// ...in this many rounds, each with fresh sockets and ports, one every [`ROUND`] (a round's sockets
/// give up when it ends), stopping as soon as the devices are connected.
pub const ROUNDS: u32 = 2;
pub const ROUND: Duration = Duration::from_secs(4);
/// The probes of a round are sent [`PROBES_AT_ONCE`] at a time, one batch every [`PROBE_PACE`] (2048
/// in about a second).
pub const PROBES_AT_ONCE: usize = 64;
pub const PROBE_PACE: Duration = Duration::from_millis(30);
/// A birthday punch with one device at most this often, and at most [`BIRTHDAYS_PER_WINDOW`] with
/// anyone in this long.
pub const BIRTHDAY_EVERY: Duration = Duration::from_secs(180);
pub const BIRTHDAYS_PER_WINDOW: u32 = 4;

/// The chance that a birthday punch finds no path: per round, that none of `probes` distinct random
/// ports of `ports` is one of the `sockets` (distinct) ports the other NAT picked, i.e.
/// C(ports - sockets, probes) / C(ports, probes); rounds are independent.
#[cfg(test)]
pub fn miss_chance(sockets: usize, probes: usize, ports: usize, rounds: u32) -> f64 {
    let round: f64 = (0..probes)
        .map(|i| (ports - sockets - i) as f64 / (ports - i) as f64)
        .product();
    round.powi(rounds as i32)
}

/// The ports to probe in one round: [`PROBES`] distinct ones drawn at random from [`FIRST_PORT`]-65535.
pub fn probe_ports(rng: &mut impl rand::Rng) -> Vec<u16> {
    let span = usize::from(u16::MAX - FIRST_PORT) + 1;
    rand::seq::index::sample(rng, span, PROBES)
        .into_iter()
        .map(|i| FIRST_PORT + i as u16)
        .collect()
}

/// What two devices do to connect directly, given how my NAT and theirs map ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Both dial each other at once (both keep ports, or one side is not known yet).
    Dial,
    /// I keep ports and they do not: I probe random ports of their IP.
    Probe,
    /// I change ports and they keep theirs: I dial them from [`SOCKETS`] fresh sockets.
    Sockets,
    /// Both change ports: no direct path; the member relays.
    Relay,
}

pub fn plan(mine: Nat, theirs: Nat) -> Plan {
    match (mine, theirs) {
        (Nat::ChangesPorts, Nat::ChangesPorts) => Plan::Relay,
        (Nat::KeepsPorts, Nat::ChangesPorts) => Plan::Probe,
        (Nat::ChangesPorts, Nat::KeepsPorts) => Plan::Sockets,
        _ => Plan::Dial,
    }
}

/// What a device told "dial me now" does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Nothing,
    /// Dial these addresses at once (best first).
    Dial(Vec<SocketAddr>),
    /// Probe random ports of this IP, in rounds.
    Probe(IpAddr),
    /// Dial this address from many fresh sockets, in rounds.
    Sockets(SocketAddr),
}

/// The addresses to hand on for a device: where the coordinator sees it first (its public ip:port as
/// its NAT maps it), then what it says of itself; only dialable ones (no loopback, link-local,
/// unspecified or multicast), canonical, each once, at most [`MAX_ADDRS`].
pub fn addresses(seen_at: Option<SocketAddr>, claimed: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for addr in seen_at.iter().chain(claimed).map(|a| canonical(*a)) {
        if dialable(&addr) && !out.contains(&addr) && out.len() < MAX_ADDRS {
            out.push(addr);
        }
    }
    out
}

/// A member device's connected peer, as the coordinator needs it: where its connection comes from and
/// the addresses it is known at.
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub seen_at: Option<SocketAddr>,
    pub addrs: Vec<SocketAddr>,
    /// What it said of its NAT.
    pub nat: Nat,
}

/// What a coordinator sends for one ask: "dial me now" to each side, with the other's addresses and
/// NAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Punch {
    /// To the target: the asker, its addresses and NAT.
    pub to_target: (DeviceId, Vec<SocketAddr>, Nat),
    /// To the asker: the target, its addresses and NAT.
    pub to_asker: (DeviceId, Vec<SocketAddr>, Nat),
}

/// Why an ask was not coordinated (counted, logged at debug).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declined {
    /// The membership rule says no: the asker or the target is not a current member of a space all of
    /// us can vouch for, or the asker asked about itself or me.
    NotShared,
    /// The target has no connection with me.
    NotConnected,
    /// Too many asks from this asker, about this pair, or punches to this target.
    RateLimited,
    /// Neither side has an address to dial.
    NoAddresses,
}

/// The three sides of punching: asking (the device that cannot reach a peer), coordinating (the member
/// connected to both) and answering (a device told "dial me now").
#[derive(Debug)]
pub struct Punches {
    asked: RateLimit<DeviceId>,
    askers: RateLimit<DeviceId>,
    pairs: RateLimit<(DeviceId, DeviceId)>,
    targets: RateLimit<DeviceId>,
    /// Per (coordinator, device): one "dial me now" acted on per [`PAIR_EVERY`].
    told: RateLimit<(DeviceId, DeviceId)>,
    coordinators: RateLimit<DeviceId>,
    new_addrs: RateLimit<DeviceId>,
    birthdays: RateLimit<DeviceId>,
    all_birthdays: RateLimit<()>,
}

impl Default for Punches {
    fn default() -> Self {
        Punches {
            asked: RateLimit::new(ASK_EVERY, 1, MAX_TRACKED),
            askers: RateLimit::new(WINDOW, ASKS_PER_WINDOW, MAX_TRACKED),
            pairs: RateLimit::new(PAIR_EVERY, 1, MAX_TRACKED),
            targets: RateLimit::new(WINDOW, ASKS_PER_WINDOW, MAX_TRACKED),
            told: RateLimit::new(PAIR_EVERY, 1, MAX_TRACKED),
            coordinators: RateLimit::new(WINDOW, TOLD_PER_WINDOW, MAX_TRACKED),
            new_addrs: RateLimit::new(WINDOW, NEW_ADDRS_PER_WINDOW, MAX_TRACKED),
            birthdays: RateLimit::new(BIRTHDAY_EVERY, 1, MAX_TRACKED),
            all_birthdays: RateLimit::new(BIRTHDAY_EVERY, BIRTHDAYS_PER_WINDOW, 1),
        }
    }
}

impl Punches {
    /// Asking side: whether to ask the members connected to both about `target` now.
    pub fn poll_ask(&mut self, target: DeviceId, now: Instant) -> bool {
        self.asked.allow(target, now)
    }

    /// Coordinating side: `asker` (connected; where I see it and what it says of itself) asks that
    /// `target_id` dial it now. `allowed` is the membership rule's answer for (me, asker, target);
    /// `target` is the target's connection with me, if it has one.
    pub fn handle_ask(
        &mut self,
        (asker_id, asker): (DeviceId, &Known),
        (target_id, target): (DeviceId, Option<&Known>),
        allowed: bool,
        now: Instant,
    ) -> Result<Punch, Declined> {
        if !allowed || asker_id == target_id {
            return Err(Declined::NotShared);
        }
        if !self.askers.allow(asker_id, now) {
            return Err(Declined::RateLimited);
        }
        let Some(target) = target else {
            return Err(Declined::NotConnected);
        };
        if !self.pairs.allow((asker_id, target_id), now) || !self.targets.allow(target_id, now) {
            return Err(Declined::RateLimited);
        }
        let asker_addrs = addresses(asker.seen_at, &asker.addrs);
        let target_addrs = addresses(target.seen_at, &target.addrs);
        if asker_addrs.is_empty() || target_addrs.is_empty() {
            return Err(Declined::NoAddresses);
        }
        Ok(Punch {
            to_target: (asker_id, asker_addrs, asker.nat),
            to_asker: (target_id, target_addrs, target.nat),
        })
    }

    /// Answering side: member device `by` said `device` wants a direct connection at `addrs`, its NAT
    /// being `theirs`; mine is `mine`. `wanted` says it is a device I keep a connection with and am not
    /// connected to; `known` is where I knew it so far. Within `by`'s budget of "dial me now", returns
    /// what to do at once ([`plan`]): dial it ([`Punches::dial`]), or punch by the birthday paradox
    /// towards its first IPv4 address (where the member sees it; at most once per device per
    /// [`BIRTHDAY_EVERY`] and [`BIRTHDAYS_PER_WINDOW`] in all in it), or nothing.
    pub fn handle_dial_me_now(
        &mut self,
        (by, device): (DeviceId, DeviceId),
        addrs: &[SocketAddr],
        known: &[SocketAddr],
        (mine, theirs): (Nat, Nat),
        wanted: bool,
        now: Instant,
    ) -> Answer {
        let addrs = addresses(None, addrs);
        if !wanted || addrs.is_empty() || !self.coordinators.allow(by, now) {
            return Answer::Nothing;
        }
        let v4 = addrs.iter().find(|a| a.is_ipv4()).copied();
        let birthday = match (plan(mine, theirs), v4) {
            // NAT kinds are IPv4's: two symmetric NATs may still meet over IPv6 (stateful firewalls).
            (Plan::Relay, _) => {
                let v6 = addrs.into_iter().filter(|a| a.is_ipv6()).collect();
                return self.dial((by, device), v6, known, now);
            }
            (Plan::Probe, Some(at)) => Answer::Probe(at.ip()),
            (Plan::Sockets, Some(at)) => Answer::Sockets(at),
            _ => return self.dial((by, device), addrs, known, now),
        };
        if !self.birthdays.allow(device, now) || !self.all_birthdays.allow((), now) {
            return Answer::Nothing;
        }
        birthday
    }

    /// `addrs` of `device` to dial as `by` says, at most once per pair per [`PAIR_EVERY`]: every one I
    /// knew it at, and of the others as many as `by`'s budget of new addresses allows, best first.
    fn dial(
        &mut self,
        (by, device): (DeviceId, DeviceId),
        mut addrs: Vec<SocketAddr>,
        known: &[SocketAddr],
        now: Instant,
    ) -> Answer {
        if addrs.is_empty() || !self.told.allow((by, device), now) {
            return Answer::Nothing;
        }
        let known: Vec<SocketAddr> = known.iter().map(|a| canonical(*a)).collect();
        let new = addrs.iter().filter(|a| !known.contains(a)).count();
        let mut granted = self.new_addrs.take(by, new as u32, now);
        addrs.retain(|a| {
            let keep = known.contains(a) || granted > 0;
            if !known.contains(a) && keep {
                granted -= 1;
            }
            keep
        });
        match addrs.is_empty() {
            true => Answer::Nothing,
            false => Answer::Dial(addrs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DeviceId {
        DeviceId([n; 32])
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn known(seen: &str) -> Known {
        Known {
            seen_at: Some(addr(seen)),
            addrs: vec![addr("127.0.0.1:4000"), addr("192.168.1.7:4000")],
            nat: Nat::KeepsPorts,
        }
    }

    #[test]
    fn a_member_connected_to_both_tells_each_side_the_other_s_addresses() {
        let mut p = Punches::default();
        let now = Instant::now();
        let asker = Known {
            seen_at: Some(addr("[::ffff:11.0.0.5]:5000")),
            addrs: vec![addr("11.0.0.9:5000"), addr("192.168.1.2:5000")],
            nat: Nat::ChangesPorts,
        };
        let target = known("11.0.0.6:4000");
        let punch = p
            .handle_ask((id(1), &asker), (id(2), Some(&target)), true, now)
            .unwrap();
        // Where I see it first (canonical), then what it claims; loopback never.
        assert_eq!(
            punch.to_target,
            (
                id(1),
                vec![
                    addr("11.0.0.5:5000"),
                    addr("11.0.0.9:5000"),
                    addr("192.168.1.2:5000")
                ],
                Nat::ChangesPorts
            )
        );
        assert_eq!(
            punch.to_asker,
            (
                id(2),
                vec![addr("11.0.0.6:4000"), addr("192.168.1.7:4000")],
                Nat::KeepsPorts
            )
        );
    }

    #[test]
    fn a_member_never_coordinates_for_a_non_member_nor_towards_an_unconnected_device() {
        let mut p = Punches::default();
        let now = Instant::now();
        let t = known("11.0.0.6:4000");
        let ask = |p: &mut Punches, asker, target, t: Option<&Known>, allowed| {
            p.handle_ask((asker, &known("11.0.0.5:1")), (target, t), allowed, now)
        };
        assert_eq!(
            ask(&mut p, id(1), id(2), Some(&t), false),
            Err(Declined::NotShared)
        );
        assert_eq!(
            ask(&mut p, id(1), id(1), Some(&t), true),
            Err(Declined::NotShared)
        );
        assert_eq!(
            ask(&mut p, id(1), id(2), None, true),
            Err(Declined::NotConnected)
        );
        // No address worth dialing on one side: nothing is sent.
        let loopback = Known {
            seen_at: Some(addr("127.0.0.1:9")),
            addrs: vec![addr("[fe80::1]:9"), addr("0.0.0.0:9")],
            ..Known::default()
        };
        assert_eq!(
            ask(&mut p, id(1), id(3), Some(&loopback), true),
            Err(Declined::NoAddresses)
        );
    }

    #[test]
    fn asks_are_rate_limited_per_pair_per_asker_and_per_target() {
        let mut p = Punches::default();
        let t0 = Instant::now();
        let t = known("11.0.0.6:4000");
        let asker = known("11.0.0.5:1");
        let ask = |p: &mut Punches, a: u8, target: u8, at: Instant| {
            p.handle_ask((id(a), &asker), (id(target), Some(&t)), true, at)
        };
        assert!(ask(&mut p, 1, 2, t0).is_ok());
        assert_eq!(ask(&mut p, 1, 2, t0), Err(Declined::RateLimited));
        assert!(ask(&mut p, 1, 2, t0 + PAIR_EVERY).is_ok());
        // One asker, many targets: at most ASKS_PER_WINDOW asks per window, counting the three above.
        let served = (10..40).filter(|n| ask(&mut p, 1, *n, t0).is_ok()).count();
        assert_eq!(served as u32, ASKS_PER_WINDOW - 3);
        assert!(ask(&mut p, 1, 99, t0 + WINDOW + PAIR_EVERY).is_ok());
        // Many askers, one target: at most ASKS_PER_WINDOW punches reach it per window.
        let reached = (100..140)
            .filter(|n| ask(&mut p, *n, 50, t0).is_ok())
            .count();
        assert_eq!(reached as u32, ASKS_PER_WINDOW);
    }

    #[test]
    fn a_flood_of_askers_costs_bounded_memory() {
        let mut p = Punches::default();
        let now = Instant::now();
        let t = known("11.0.0.6:4000");
        let mut ok = 0;
        let noisy = Known {
            seen_at: Some(addr("11.0.0.5:1")),
            addrs: (1..200)
                .map(|port| SocketAddr::from(([11, 0, 0, 5], port)))
                .collect(),
            ..Known::default()
        };
        for n in 0..5000u32 {
            let mut asker = [0u8; 32];
            asker[..4].copy_from_slice(&n.to_be_bytes());
            let r = p.handle_ask((DeviceId(asker), &noisy), (id(2), Some(&t)), true, now);
            if let Ok(punch) = r {
                assert!(punch.to_target.1.len() <= MAX_ADDRS);
                ok += 1;
            }
        }
        assert_eq!(ok, ASKS_PER_WINDOW);
        assert!(p.askers.len() <= MAX_TRACKED);
        assert!(p.pairs.len() <= MAX_TRACKED);
        // Once the flood's entries have expired, newcomers are served again.
        let later = now + WINDOW;
        assert!(p
            .handle_ask((id(7), &noisy), (id(8), Some(&t)), true, later)
            .is_ok());
    }

    #[test]
    fn the_asking_side_asks_about_one_peer_at_most_every_few_seconds() {
        let mut p = Punches::default();
        let t0 = Instant::now();
        assert!(p.poll_ask(id(2), t0));
        assert!(!p.poll_ask(id(2), t0 + ASK_EVERY / 2));
        assert!(p.poll_ask(id(3), t0));
        assert!(p.poll_ask(id(2), t0 + ASK_EVERY));
    }

    const EASY: (Nat, Nat) = (Nat::KeepsPorts, Nat::KeepsPorts);

    #[test]
    fn dial_me_now_is_acted_on_for_wanted_devices_with_dialable_addresses_only() {
        let mut p = Punches::default();
        let t0 = Instant::now();
        let addrs = [
            addr("127.0.0.1:1"),
            addr("224.0.0.1:1"),
            addr("11.0.0.5:7"),
            addr("[2a0a:cc::5]:7"),
        ];
        let answer = |p: &mut Punches, d, a: &[SocketAddr], wanted, at| {
            p.handle_dial_me_now((id(d + 100), id(d)), a, &[], EASY, wanted, at)
        };
        assert_eq!(answer(&mut p, 1, &addrs, false, t0), Answer::Nothing);
        assert_eq!(
            answer(&mut p, 1, &addrs, true, t0),
            Answer::Dial(vec![addr("11.0.0.5:7"), addr("[2a0a:cc::5]:7")])
        );
        assert_eq!(answer(&mut p, 1, &addrs, true, t0), Answer::Nothing);
        assert_ne!(
            answer(&mut p, 1, &addrs, true, t0 + PAIR_EVERY),
            Answer::Nothing
        );
        assert_eq!(answer(&mut p, 2, &addrs[..2], true, t0), Answer::Nothing);
    }

    #[test]
    fn the_plan_follows_both_nats() {
        use Nat::*;
        let cases = [
            (KeepsPorts, KeepsPorts, Plan::Dial),
            (KeepsPorts, ChangesPorts, Plan::Probe),
            (ChangesPorts, KeepsPorts, Plan::Sockets),
            (ChangesPorts, ChangesPorts, Plan::Relay),
            (Unknown, ChangesPorts, Plan::Dial),
            (ChangesPorts, Unknown, Plan::Dial),
            (Unknown, Unknown, Plan::Dial),
        ];
        for (mine, theirs, expected) in cases {
            assert_eq!(plan(mine, theirs), expected, "{mine:?} vs {theirs:?}");
        }
    }

    #[test]
    fn a_birthday_punch_goes_to_the_first_ipv4_address_once_per_device_per_window() {
        let mut p = Punches::default();
        let t0 = Instant::now();
        let addrs = [
            addr("[2a0a:cc::5]:7"),
            addr("11.0.0.5:7"),
            addr("11.0.0.6:8"),
        ];
        let easy_vs_hard = (Nat::KeepsPorts, Nat::ChangesPorts);
        let hard_vs_easy = (Nat::ChangesPorts, Nat::KeepsPorts);
        let answer = |p: &mut Punches, d: u8, nats, at| {
            p.handle_dial_me_now((id(d + 100), id(d)), &addrs, &[], nats, true, at)
        };
        assert_eq!(
            answer(&mut p, 1, easy_vs_hard, t0),
            Answer::Probe(addr("11.0.0.5:7").ip())
        );
        // Once per device per window, whatever the member says meanwhile.
        assert_eq!(answer(&mut p, 1, easy_vs_hard, t0), Answer::Nothing);
        assert_eq!(
            answer(&mut p, 1, hard_vs_easy, t0 + BIRTHDAY_EVERY / 2),
            Answer::Nothing
        );
        assert_eq!(
            answer(&mut p, 2, hard_vs_easy, t0),
            Answer::Sockets(addr("11.0.0.5:7"))
        );
        // At most BIRTHDAYS_PER_WINDOW in all: a lying member naming many devices cannot make us spray.
        let more = (3..40)
            .filter(|d| answer(&mut p, *d, easy_vs_hard, t0) != Answer::Nothing)
            .count();
        assert_eq!(more as u32, BIRTHDAYS_PER_WINDOW - 2);
        assert_eq!(
            answer(&mut p, 1, easy_vs_hard, t0 + BIRTHDAY_EVERY),
            Answer::Probe(addr("11.0.0.5:7").ip())
        );
        // Two symmetric NATs: the IPv6 addresses dialed, if any (stateful firewalls punch), else nothing
        // (the member relays); no IPv4 address: an ordinary dial.
        let hard = (Nat::ChangesPorts, Nat::ChangesPorts);
        assert_eq!(
            answer(&mut p, 50, hard, t0),
            Answer::Dial(vec![addr("[2a0a:cc::5]:7")])
        );
        assert_eq!(
            p.handle_dial_me_now((id(53 + 100), id(53)), &addrs[1..], &[], hard, true, t0),
            Answer::Nothing
        );
        let v6 = [addr("[2a0a:cc::5]:7")];
        assert_eq!(
            p.handle_dial_me_now((id(51 + 100), id(51)), &v6, &[], easy_vs_hard, true, t0),
            Answer::Dial(v6.to_vec())
        );
        // Not a device I keep a connection with: nothing at all.
        assert_eq!(
            p.handle_dial_me_now((id(52 + 100), id(52)), &addrs, &[], easy_vs_hard, false, t0),
            Answer::Nothing
        );
    }

    #[test]
    fn a_birthday_punch_misses_less_than_once_in_ten_thousand() {
        let ports = usize::from(u16::MAX - FIRST_PORT) + 1;
        let one = miss_chance(SOCKETS, PROBES, ports, 1);
        let all = miss_chance(SOCKETS, PROBES, ports, ROUNDS);
        // 2.5e-4 per round (e^(-256 * 2048 / 64512) = 2.9e-4 with repeated ports), 6.5e-8 in two.
        assert!((2.0e-4..3.0e-4).contains(&one), "{one}");
        assert!(all < 1e-7, "{all}");
        // The 1024 probes of the write-ups: about 98% per round.
        let fewer = miss_chance(SOCKETS, 1024, ports, 1);
        assert!((0.015..0.02).contains(&fewer), "{fewer}");
    }

    #[test]
    fn a_round_probes_distinct_ports_a_nat_may_pick() {
        let ports = probe_ports(&mut rand::thread_rng());
        assert_eq!(ports.len(), PROBES);
        assert!(ports.iter().all(|p| *p >= FIRST_PORT));
        let distinct: std::collections::HashSet<_> = ports.iter().collect();
        assert_eq!(distinct.len(), PROBES);
    }

    /// What a dial answer dials (nothing for any other answer).
    fn dial_of(answer: Answer) -> Vec<SocketAddr> {
        match answer {
            Answer::Dial(addrs) => addrs,
            _ => Vec::new(),
        }
    }

    fn addrs_of(n: u8) -> Vec<SocketAddr> {
        (1..=MAX_ADDRS as u16)
            .map(|port| SocketAddr::from(([11, 0, 1, n], port)))
            .collect()
    }

    #[test]
    fn a_lying_coordinator_makes_us_dial_a_bounded_number_of_new_addresses() {
        let mut p = Punches::default();
        let t0 = Instant::now();
        let (liar, honest) = (id(66), id(7));
        // Every 2 s for a minute, "dial me now" about each of 20 wanted devices, 8 new addresses each.
        let mut dialed = 0;
        let mut acted = 0;
        for tick in 0..30u32 {
            let at = t0 + PAIR_EVERY * tick;
            for n in 0..20 {
                let got =
                    dial_of(p.handle_dial_me_now((liar, id(n)), &addrs_of(n), &[], EASY, true, at));
                acted += u32::from(!got.is_empty());
                dialed += got.len() as u32;
            }
        }
        // Unbounded, that would be 600 actions and 4800 dials; per window of 10 s it is at most the
        // budgets (the minute holds 6 windows).
        let windows = 6;
        assert!(acted <= TOLD_PER_WINDOW * windows, "{acted}");
        assert!(dialed <= NEW_ADDRS_PER_WINDOW * windows, "{dialed}");
        // An honest coordinator is not held back by the liar's budget.
        let at = t0 + PAIR_EVERY * 30;
        assert_eq!(
            dial_of(p.handle_dial_me_now((honest, id(1)), &addrs_of(1)[..2], &[], EASY, true, at)),
            addrs_of(1)[..2]
        );
    }

    #[test]
    fn addresses_we_know_the_device_at_are_dialed_beyond_the_new_address_budget() {
        let mut p = Punches::default();
        let t0 = Instant::now();
        let by = id(9);
        let known = addrs_of(1);
        // Spend the budget of new addresses on another device.
        assert_eq!(
            dial_of(p.handle_dial_me_now((by, id(2)), &addrs_of(2), &[], EASY, true, t0)).len(),
            NEW_ADDRS_PER_WINDOW as usize
        );
        // Known ones still go through (the dialer would try them anyway), new ones do not.
        let mut told = known[..4].to_vec();
        told.push(SocketAddr::from(([11, 0, 9, 9], 1)));
        assert_eq!(
            dial_of(p.handle_dial_me_now((by, id(1)), &told, &known, EASY, true, t0)),
            known[..4]
        );
        // The next window brings a fresh budget.
        let later = t0 + WINDOW + PAIR_EVERY;
        assert_eq!(
            dial_of(p.handle_dial_me_now((by, id(1)), &told, &known, EASY, true, later)),
            told
        );
    }
}
