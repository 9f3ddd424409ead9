//! Network changes on a laptop: `clearchat run` has no OS signal for them, so it looks at its interface
//! addresses and its IPv4 routes (the default gateway among them) every [`EVERY`] and tells the core when
//! they differ from the last look ([`Watch`]). Laptop only: a phone's shell hears the OS instead (nothing
//! wakes a phone on a timer).

use std::time::Duration;

/// How often `clearchat run` looks.
pub const EVERY: Duration = Duration::from_secs(5);

/// What a look saw: one line per interface address (name, index, address) and per IPv4 route (interface,
/// destination, gateway, flags, metric, mask), sorted. A moved link has a new index even where the new
/// network hands out the same addresses and gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot(Vec<String>);

impl Snapshot {
    /// From interface lines and the text of /proc/net/route (empty where there is none).
    pub fn new(mut interfaces: Vec<String>, route_table: &str) -> Snapshot {
        let routes = route_table.lines().skip(1).filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let fields = [
                f.first()?,
                f.get(1)?,
                f.get(2)?,
                f.get(3)?,
                f.get(6)?,
                f.get(7)?,
            ];
            Some(format!("route {}", fields.map(|s| s.to_string()).join(" ")))
        });
        interfaces.extend(routes);
        interfaces.sort();
        interfaces.dedup();
        Snapshot(interfaces)
    }

    /// This host's now.
    pub fn read() -> Snapshot {
        let interfaces = if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .map(|i| format!("addr {} {:?} {}", i.name, i.index, i.ip()))
            .collect();
        let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
        Snapshot::new(interfaces, &routes)
    }
}

/// The last look, and whether the next one is a change.
#[derive(Default)]
pub struct Watch {
    last: Option<Snapshot>,
}

impl Watch {
    /// Takes a look; true if it differs from the one before (the first look is no change: the core read
    /// the network when it started).
    pub fn handle_look(&mut self, now: Snapshot) -> bool {
        match self.last.replace(now.clone()) {
            Some(last) => last != now,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n\
        eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n\
        eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";

    fn look(index: u32, ip: &str, routes: &str) -> Snapshot {
        Snapshot::new(vec![format!("addr eth0 Some({index}) {ip}")], routes)
    }

    #[test]
    fn a_change_of_address_link_or_gateway_is_a_change_and_nothing_else_is() {
        let mut watch = Watch::default();
        assert!(
            !watch.handle_look(look(2, "192.168.1.2", ROUTES)),
            "first look"
        );
        assert!(!watch.handle_look(look(2, "192.168.1.2", ROUTES)));
        // Use counts move without the network changing.
        let used = ROUTES.replace("\t0\t0\t0\t00FFFFFF", "\t0\t7\t0\t00FFFFFF");
        assert!(!watch.handle_look(look(2, "192.168.1.2", &used)));
        // The link went down: no address, no route.
        assert!(watch.handle_look(Snapshot::new(Vec::new(), "")));
        // Another network with the same addresses and gateway, on a new link.
        assert!(watch.handle_look(look(7, "192.168.1.2", ROUTES)));
        assert!(watch.handle_look(look(7, "192.168.1.9", ROUTES)));
        let other_gateway = ROUTES.replace("0101A8C0", "FE01A8C0");
        assert!(watch.handle_look(look(7, "192.168.1.9", &other_gateway)));
        assert!(!watch.handle_look(look(7, "192.168.1.9", &other_gateway)));
    }
}
