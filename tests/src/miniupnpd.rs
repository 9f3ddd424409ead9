//! Debian's miniupnpd as the lab's home router (tests/src/netlab.rs): UPnP-IGD, NAT-PMP and PCP on the
//! router's LAN bridge, its rules in an nftables table of its own, secure mode (a LAN host maps only to
//! itself). The lab's internet segment (11.0.0.0/16) is not a reserved range, so miniupnpd accepts the
//! router's upstream address as a public one.

use crate::netlab::{Lab, Router};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The chains miniupnpd fills (it adds rules, it does not create its table): DNAT in prerouting, the
/// matching accept in forward (the lab's own forward chain also accepts anything DNATed).
const TABLES: &str = "table inet rxupnp {
  chain forward { type filter hook forward priority filter; policy accept; }
  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }
}
";

/// The configuration for `router`; NAT-PMP and PCP only if `natpmp`.
fn conf(router: &Router, natpmp: bool) -> String {
    let natpmp = if natpmp { "yes" } else { "no" };
    let (wan, lan) = Router::interfaces();
    let lan_ip = router.lan_ipv4().expect("IPv4 LAN");
    format!(
        "ext_ifname={wan}
listening_ip={lan}
http_port=0
enable_upnp=yes
enable_natpmp={natpmp}
secure_mode=yes
system_uptime=yes
notify_interval=60
clean_ruleset_interval=600
uuid=3d3cec3a-8cf0-11e0-98ee-001a6b5b4b0c
upnp_table_name=rxupnp
upnp_nat_table_name=rxupnp
upnp_forward_chain=forward
upnp_nat_chain=prerouting
upnp_nat_postrouting_chain=postrouting
allow 1024-65535 {lan_ip}/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
",
    )
}

/// A miniupnpd running on a router of a lab (the lab kills it when torn down, or `Lab::kill` with its pid).
pub struct Miniupnpd {
    pub pid: u32,
    log: PathBuf,
    router: Router,
}

impl Miniupnpd {
    /// Whether miniupnpd is installed (`apt-get install miniupnpd-nftables`).
    pub fn installed() -> bool {
        std::process::Command::new("miniupnpd")
            .arg("--version")
            .output()
            .is_ok()
    }

    /// Starts miniupnpd on `router` with its files in `dir`; returns once it listens for NAT-PMP (and
    /// PCP), or panics after `deadline` with its log.
    pub fn start(lab: &Lab, router: &Router, dir: &Path, deadline: Duration) -> Miniupnpd {
        Miniupnpd::start_with(lab, router, dir, deadline, true)
    }

    /// [`Miniupnpd::start`] speaking UPnP-IGD only (no NAT-PMP, no PCP); returns once it serves HTTP.
    pub fn start_upnp_only(
        lab: &Lab,
        router: &Router,
        dir: &Path,
        deadline: Duration,
    ) -> Miniupnpd {
        Miniupnpd::start_with(lab, router, dir, deadline, false)
    }

    fn start_with(
        lab: &Lab,
        router: &Router,
        dir: &Path,
        deadline: Duration,
        natpmp: bool,
    ) -> Miniupnpd {
        let conf_path = dir.join("miniupnpd.conf");
        std::fs::write(&conf_path, conf(router, natpmp)).expect("miniupnpd.conf");
        router.ns().nft(TABLES);
        let log = dir.join("miniupnpd.log");
        let file = std::fs::File::create(&log).expect("miniupnpd log");
        let pid = lab.spawn(
            router
                .ns()
                .command("miniupnpd")
                .args(["-d", "-f"])
                .arg(&conf_path)
                .arg("-P")
                .arg(dir.join("miniupnpd.pid"))
                .stdout(file.try_clone().expect("log"))
                .stderr(file),
        );
        let daemon = Miniupnpd {
            pid,
            log,
            router: router.clone(),
        };
        let start = Instant::now();
        let ready = if natpmp {
            "Listening for NAT-PMP"
        } else {
            "HTTP listening on port"
        };
        while !daemon.log().contains(ready) {
            assert!(
                start.elapsed() < deadline,
                "miniupnpd did not start:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its nftables table as `nft list` prints it: the DNAT rules of the mappings in force.
    pub fn rules(&self) -> String {
        self.router
            .ns()
            .nft_cmd(&["list", "table", "inet", "rxupnp"])
    }
}
