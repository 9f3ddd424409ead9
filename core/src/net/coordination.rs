//! Hole-punch coordination as I/O on [`Net`]: asking the members connected to both for a punch, answering
//! such an ask as the member, and acting on "dial me now" (a dial, or a birthday punch). What to do is
//! `punch`'s pure decisions; the membership rule is the engine's.

use super::{birthday, frame, lock, punch, rendezvous, Net};
use crate::ids::{DeviceId, Now};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

impl Net {
    /// I cannot reach `target`: ask the member devices connected to both to have it dial me now (and
    /// tell me where it is), at most every `punch::ASK_EVERY`.
    pub(super) fn ask_punch(&self, target: &DeviceId) {
        let connected = self.connected();
        if connected.contains(target) {
            return;
        }
        let me = self.engine.me;
        let members: Vec<DeviceId> = connected
            .into_iter()
            .filter(|m| {
                self.engine
                    .may_coordinate(m, &me, target)
                    .unwrap_or_else(|e| {
                        log::warn!("reading memberships: {e}");
                        false
                    })
            })
            .collect();
        if members.is_empty() || !lock(&self.punch).poll_ask(*target, Instant::now()) {
            return;
        }
        let (mine, nat) = (self.mine(), lock(&self.nat).nat());
        for member in members {
            let ask = frame::Frame::PunchAsk {
                device: *target,
                addrs: mine.clone(),
                nat,
            };
            if self.send_to(&member, ask) {
                log::info!(
                    "asked {} to have {} dial me now",
                    member.short(),
                    target.short()
                );
            }
        }
    }

    /// `asker`, connected from `seen_at` and saying its NAT is `nat`, asks me to have `target` dial it
    /// now at `claimed`: if the membership rule and the rate limits allow and `target` is connected,
    /// tell each the other's addresses and NAT.
    pub(super) fn punch_asked(
        &self,
        asker: &DeviceId,
        (seen_at, nat): (SocketAddr, frame::Nat),
        target: DeviceId,
        claimed: &[SocketAddr],
    ) {
        let allowed = self
            .engine
            .may_coordinate(&self.engine.me, asker, &target)
            .unwrap_or(false);
        let seen = {
            let mut conns = lock(&self.conns);
            if let Some(c) = conns.get_mut(asker) {
                c.nat = nat;
            }
            conns
                .get(&target)
                .map(|c| (rendezvous::canonical(c.quic.remote_address()), c.nat))
        };
        let known = seen.map(|(seen_at, nat)| punch::Known {
            seen_at: Some(seen_at),
            addrs: self.engine.addresses_of(&target).unwrap_or_default(),
            nat,
        });
        let asking = punch::Known {
            seen_at: Some(seen_at),
            addrs: claimed.to_vec(),
            nat,
        };
        let decided = lock(&self.punch).handle_ask(
            (*asker, &asking),
            (target, known.as_ref()),
            allowed,
            Instant::now(),
        );
        match decided {
            Ok(punch) => {
                let (to_target, to_asker) = (punch.to_target, punch.to_asker);
                log::info!(
                    "{} and {} dial each other now, at {:?} ({:?}) and {:?} ({:?})",
                    asker.short(),
                    target.short(),
                    to_asker.1,
                    to_asker.2,
                    to_target.1,
                    to_target.2
                );
                let tell = |(device, addrs, nat)| frame::Frame::DialMeNow { device, addrs, nat };
                self.send_to(&target, tell(to_target));
                self.send_to(asker, tell(to_asker));
            }
            Err(why) => log::debug!(
                "not coordinating {} and {}: {why:?}",
                asker.short(),
                target.short()
            ),
        }
    }

    /// Member device `by` says `device` (its NAT being `nat`) wants a direct connection at `addrs`: if
    /// `by` may say so (the membership rule) and I want `device` and am not connected to it, act as
    /// `punch::plan` says (dial it at once, within `by`'s budgets, or punch by the birthday paradox),
    /// and ask the members back, so that `device` learns my NAT too.
    pub(super) fn dial_me_now(
        self: &Arc<Self>,
        by: &DeviceId,
        device: DeviceId,
        addrs: &[SocketAddr],
        nat: frame::Nat,
    ) {
        let me = self.engine.me;
        let wanted = !self.connected().contains(&device)
            && self
                .engine
                .may_coordinate(by, &device, &me)
                .unwrap_or(false);
        let known = match wanted {
            true => self.engine.addresses_of(&device).unwrap_or_default(),
            false => Vec::new(),
        };
        let nats = (lock(&self.nat).nat(), nat);
        let answer = lock(&self.punch).handle_dial_me_now(
            (*by, device),
            addrs,
            &known,
            nats,
            wanted,
            Instant::now(),
        );
        match answer {
            punch::Answer::Nothing => return,
            punch::Answer::Dial(addrs) => {
                log::info!(
                    "{} says {} is dialing me: dialing it now at {addrs:?}",
                    by.short(),
                    device.short()
                );
                let (engine, now) = (self.engine.clone(), Now::read());
                for addr in addrs.iter().rev() {
                    if let Err(e) = crate::blocking(|| engine.learned_address(&device, addr, now)) {
                        log::warn!("recording an address to punch: {e}");
                    }
                }
                self.dialer.forgive(&device);
            }
            punch::Answer::Probe(ip) => {
                log::info!(
                    "{} says {} is dialing me from behind a NAT that changes ports: probing {ip}",
                    by.short(),
                    device.short()
                );
                self.spawn(birthday::probe(self.clone(), device, ip));
            }
            punch::Answer::Sockets(addr) => {
                log::info!(
                    "{} says {} is dialing me from behind a NAT that keeps ports: dialing {addr} \
                     from {} sockets",
                    by.short(),
                    device.short(),
                    punch::SOCKETS
                );
                self.spawn(birthday::sockets(self.clone(), device, addr));
            }
        }
        self.ask_punch(&device);
    }
}
