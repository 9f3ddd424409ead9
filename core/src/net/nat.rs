//! How my NAT maps my listening port, learnt from where my peers see me (the `Observed` frames): what the
//! punch plan (`punch::plan`) is made from.

use super::frame::Nat;
use crate::ids::DeviceId;

/// How my NAT maps my listening port, from where my peers see me over IPv4 (IPv6 is not translated):
/// a public observation at my own port says it keeps ports; one at another port, or two peers seeing two different ports, says it
/// changes them. The latest observation decides (a phone changes networks).
#[derive(Debug)]
pub struct Mapping {
    listening: u16,
    last: Option<(DeviceId, u16)>,
    nat: Nat,
}

impl Mapping {
    pub fn new(listening: u16) -> Self {
        Mapping {
            listening,
            last: None,
            nat: Nat::Unknown,
        }
    }

    /// `by` sees my connection come from the public address at `port`.
    pub fn handle_observed(&mut self, by: DeviceId, port: u16) {
        let other_port = self.last.is_some_and(|(d, p)| d != by && p != port);
        self.nat = match port != self.listening || other_port {
            true => Nat::ChangesPorts,
            false => Nat::KeepsPorts,
        };
        self.last = Some((by, port));
    }

    pub fn nat(&self) -> Nat {
        self.nat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> DeviceId {
        DeviceId([n; 32])
    }

    #[test]
    fn a_nat_changes_ports_when_a_peer_sees_another_port_or_two_peers_see_two() {
        let mut m = Mapping::new(4000);
        assert_eq!(m.nat(), Nat::Unknown);
        m.handle_observed(id(1), 4000);
        assert_eq!(m.nat(), Nat::KeepsPorts);
        // The same peer again (its connection came back): still the same port.
        m.handle_observed(id(1), 4000);
        assert_eq!(m.nat(), Nat::KeepsPorts);
        m.handle_observed(id(2), 51234);
        assert_eq!(m.nat(), Nat::ChangesPorts);
        // Two peers, two ports, neither my own: changes ports.
        let mut m = Mapping::new(4000);
        m.handle_observed(id(1), 30001);
        assert_eq!(m.nat(), Nat::ChangesPorts);
        // A new network that keeps ports: the latest observation decides.
        let mut m = Mapping::new(4000);
        m.handle_observed(id(1), 30001);
        m.handle_observed(id(1), 4000);
        assert_eq!(m.nat(), Nat::KeepsPorts);
    }
}
