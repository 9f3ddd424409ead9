//! A network lab for reach tests: hosts and routers as Linux network namespaces joined by veth pairs, an
//! "internet" namespace they all hang from, home and carrier routers with nftables NAT and stateful firewalls,
//! packet loss, a router whose public address changes at runtime, and a host that moves to another router.
//! Code runs inside a namespace either as a process (`ip netns exec`) or as a tokio runtime on a thread
//! that entered the namespace with `setns` (every socket that runtime creates lives in that namespace).
//!
//! Everything is named with the `rz` prefix, the process id and a counter, and torn down when the last handle
//! of a [`Lab`] drops, on panic too: processes first, then namespaces (which takes their veths, bridges and
//! nftables tables with them). Namespaces left by a killed test run are swept by the next [`Lab::new`].
//!
//! Address plan (all confined to the lab's namespaces, none reaches the real network):
//! the internet segment is 11.0.0.0/16 and 2a0a:cc::/64 (the internet namespace is .1 / ::1); a carrier's
//! segment is 100.64.0.0/16; a home LAN is 192.168.1.0/24 and, with IPv6, the /64 2a0a:cc:N:: routed to it.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

const PREFIX: &str = "rz";
/// The name of every interface we create inside a namespace: the uplink of a host or router.
const WAN: &str = "rxwan";
/// The bridge a router's downstream hosts and routers hang from.
const LAN: &str = "rxlan";

static NEXT_LAB: AtomicU32 = AtomicU32::new(0);

/// How a router maps its LAN's IPv4 traffic to its upstream address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nat {
    /// nftables `masquerade`: one mapping per internal ip:port whatever the destination
    /// (endpoint-independent mapping), keeping the internal port when it is free.
    Masquerade,
    /// nftables `masquerade random`: a fresh random port per destination (symmetric in effect).
    Random,
}

/// What a router offers its LAN.
#[derive(Clone, Copy, Debug)]
pub struct RouterPlan {
    /// IPv4 on the LAN, NATed behind the router's upstream address; `None`: no IPv4 at all.
    pub ipv4: Option<Nat>,
    /// A routed IPv6 /64 on the LAN (only under the internet), behind a stateful firewall.
    pub ipv6: bool,
}

impl RouterPlan {
    /// An IPv4-only home router with `nat`.
    pub fn nat(nat: Nat) -> RouterPlan {
        RouterPlan {
            ipv4: Some(nat),
            ipv6: false,
        }
    }
    /// An IPv6-only segment behind a stateful firewall.
    pub fn ipv6_only() -> RouterPlan {
        RouterPlan {
            ipv4: None,
            ipv6: true,
        }
    }
}

struct LabInner {
    tag: String,
    namespaces: Mutex<Vec<String>>,
    children: Mutex<Vec<Child>>,
    next_ns: AtomicU32,
    next_v6_prefix: AtomicU32,
}

impl Drop for LabInner {
    fn drop(&mut self) {
        for mut child in self
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self
            .namespaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .rev()
        {
            let _ = quiet(Command::new("ip").args(["netns", "del", &ns]));
        }
    }
}

/// One lab: its namespaces die with the last handle of it (a [`Lab`], [`Router`], [`Host`] or [`Ns`]).
#[derive(Clone)]
pub struct Lab(Arc<LabInner>);

fn quiet(cmd: &mut Command) -> std::io::Result<std::process::Output> {
    cmd.stdin(Stdio::null()).output()
}

/// Runs `cmd`, panicking with its stderr when it fails: lab setup either works or the test says why.
fn must(cmd: &mut Command) {
    let out = quiet(cmd).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `program` with `input` on stdin, panicking with its stderr when it fails.
fn must_with_input(cmd: &mut Command, input: &str) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{cmd:?} failed on\n{input}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deletes `rz*` namespaces whose creating process is gone (a test run that was killed).
fn sweep_stale() {
    let Ok(dir) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = quiet(Command::new("ip").args(["netns", "del", &name]));
        }
    }
}

impl Lab {
    /// A new, empty lab, or `None` (with the reason printed) where namespaces cannot be made: not root, or
    /// `ip`/`nft` missing. Tests that get `None` return early: that is a skip, and it says so.
    pub fn new() -> Option<Lab> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED: network namespaces need root");
            return None;
        }
        for tool in ["ip", "nft"] {
            if quiet(Command::new(tool).arg("-V")).is_err() {
                eprintln!("SKIPPED: `{tool}` is not installed (apt-get install iproute2 nftables)");
                return None;
            }
        }
        sweep_stale();
        let n = NEXT_LAB.fetch_add(1, Ordering::Relaxed);
        Some(Lab(Arc::new(LabInner {
            tag: format!("{PREFIX}{}-{n}", std::process::id()),
            namespaces: Mutex::new(Vec::new()),
            children: Mutex::new(Vec::new()),
            next_ns: AtomicU32::new(0),
            next_v6_prefix: AtomicU32::new(1),
        })))
    }

    /// The prefix of every namespace name of this lab (see [`namespaces_tagged`]).
    pub fn tag(&self) -> &str {
        &self.0.tag
    }

    fn namespace(&self, role: &str) -> Ns {
        let n = self.0.next_ns.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{n}{role}", self.0.tag);
        must(Command::new("ip").args(["netns", "add", &name]));
        self.0.namespaces.lock().unwrap().push(name.clone());
        let ns = Ns {
            lab: self.clone(),
            name,
        };
        ns.ip(&["link", "set", "lo", "up"]);
        ns.sysctl("net.ipv6.conf.all.accept_dad", "0");
        ns.sysctl("net.ipv6.conf.default.accept_dad", "0");
        ns.sysctl("net.ipv6.conf.all.accept_ra", "0");
        ns.sysctl("net.ipv6.conf.default.accept_ra", "0");
        ns
    }

    /// The internet: a namespace that routes between every public host and router (11.0.0.0/16,
    /// 2a0a:cc::/64 on its bridge; the routed /64s of home routers beyond). No NAT, no firewall.
    pub fn internet(&self) -> Router {
        let ns = self.namespace("inet");
        ns.sysctl("net.ipv4.ip_forward", "1");
        ns.sysctl("net.ipv6.conf.all.forwarding", "1");
        ns.ip(&["link", "add", LAN, "type", "bridge", "forward_delay", "0"]);
        ns.ip(&["link", "set", LAN, "up"]);
        ns.ip(&["addr", "add", "11.0.0.1/16", "dev", LAN]);
        ns.ip(&["addr", "add", "2a0a:cc::1/64", "dev", LAN, "nodad"]);
        Router(Arc::new(RouterInner {
            ns,
            kind: RouterKind::Internet,
            upstream: None,
            wan_v4: Mutex::new(None),
            wan_v6: None,
            v6_prefix: Some(0),
            next_host: AtomicU32::new(2),
            next_port: AtomicU32::new(0),
            plan: RouterPlan {
                ipv4: None,
                ipv6: true,
            },
        }))
    }

    /// Starts `cmd` (already aimed at a namespace, e.g. by [`Ns::command`]); the lab kills it when it is torn
    /// down. Returns the process id.
    pub fn spawn(&self, cmd: &mut Command) -> u32 {
        let child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        let pid = child.id();
        self.0.children.lock().unwrap().push(child);
        pid
    }

    /// Kills and reaps the process `pid` started by [`Lab::spawn`]; its output is returned if it was piped.
    pub fn kill(&self, pid: u32) -> Option<std::process::Output> {
        let mut children = self.0.children.lock().unwrap();
        let at = children.iter().position(|c| c.id() == pid)?;
        let mut child = children.remove(at);
        drop(children);
        let _ = child.kill();
        child.wait_with_output().ok()
    }
}

/// One namespace of a lab.
#[derive(Clone)]
pub struct Ns {
    lab: Lab,
    name: String,
}

impl Ns {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// `ip -n NS args…`, panicking on failure.
    pub fn ip(&self, args: &[&str]) {
        must(Command::new("ip").arg("-n").arg(&self.name).args(args));
    }

    /// Loads an nftables ruleset (in `nft -f` syntax) into this namespace.
    pub fn nft(&self, ruleset: &str) {
        must_with_input(
            Command::new("ip").args(["netns", "exec", &self.name, "nft", "-f", "-"]),
            ruleset,
        );
    }

    /// `nft args…` in this namespace, its stdout returned.
    pub fn nft_cmd(&self, args: &[&str]) -> String {
        let out = quiet(
            Command::new("ip")
                .args(["netns", "exec", &self.name, "nft"])
                .args(args),
        )
        .expect("nft");
        assert!(
            out.status.success(),
            "nft {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn sysctl(&self, key: &str, value: &str) {
        must(Command::new("ip").args([
            "netns",
            "exec",
            &self.name,
            "sysctl",
            "-q",
            "-w",
            &format!("{key}={value}"),
        ]));
    }

    /// A command that runs `program` inside this namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }

    /// Runs `make()`'s future on a new thread that entered this namespace, on a current-thread tokio runtime
    /// of its own: every socket it creates (tokio, quinn, std, and threads it spawns) lives in this namespace.
    /// The returned task stops the future when dropped.
    pub fn spawn<F, Fut, T>(&self, make: F) -> NsTask<T>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let path = format!("/run/netns/{}", self.name);
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (result_tx, result_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("ns {}", self.name))
            .spawn(move || {
                // SAFETY: setns on a valid namespace fd affects only this thread's network namespace.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
                drop(file);
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    tokio::select! {
                        out = make() => { let _ = result_tx.send(out); }
                        _ = stop_rx => {}
                    }
                });
            })
            .expect("spawn namespace thread");
        NsTask {
            result: result_rx,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Runs `make()`'s future inside this namespace (see [`Ns::spawn`]) and returns its output.
    pub async fn run<F, Fut, T>(&self, make: F) -> T
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = T> + 'static,
        T: Send + 'static,
    {
        self.spawn(make).join().await
    }
}

/// A future running on a thread inside a namespace; stopped (and its thread joined) on drop.
pub struct NsTask<T> {
    result: tokio::sync::oneshot::Receiver<T>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<T> NsTask<T> {
    /// Waits for the future's output; panics if it panicked.
    pub async fn join(mut self) -> T {
        match (&mut self.result).await {
            Ok(out) => out,
            Err(_) => {
                let thread = self.thread.take().expect("thread");
                match thread.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => panic!("namespace task ended without a result"),
                }
            }
        }
    }
}

impl<T> Drop for NsTask<T> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

enum RouterKind {
    Internet,
    Carrier,
    Home,
}

struct RouterInner {
    ns: Ns,
    kind: RouterKind,
    upstream: Option<Router>,
    wan_v4: Mutex<Option<Ipv4Addr>>,
    wan_v6: Option<Ipv6Addr>,
    /// N of the 2a0a:cc:N::/64 on this router's LAN.
    v6_prefix: Option<u32>,
    next_host: AtomicU32,
    next_port: AtomicU32,
    plan: RouterPlan,
}

/// A router: the internet, a carrier-grade NAT, or a home router. Hosts and routers hang from its LAN.
#[derive(Clone)]
pub struct Router(Arc<RouterInner>);

/// A host: one namespace with one uplink, its addresses, and the router it hangs from.
#[derive(Clone)]
pub struct Host {
    pub ns: Ns,
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    pub router: Router,
}

impl Host {
    /// This host's IPv4 address if it has one, else its IPv6 address.
    pub fn ip(&self) -> IpAddr {
        self.ipv4
            .map(IpAddr::V4)
            .or(self.ipv6.map(IpAddr::V6))
            .expect("host has an address")
    }

    /// Unplugs this host from its router and plugs it into `router`'s LAN, as a laptop carried to another
    /// home: its uplink (and with it its addresses and default route) goes, a new uplink of the same name
    /// comes up with `router`'s addresses. Processes in the namespace keep running. Returns the host as it
    /// is now.
    pub fn move_to(&self, router: &Router) -> Host {
        self.ns.ip(&["link", "del", WAN]);
        router.plug(&self.ns);
        let (ipv4, ipv6) = router.address(&self.ns);
        Host {
            ns: self.ns.clone(),
            ipv4,
            ipv6,
            router: router.clone(),
        }
    }
}

impl Router {
    pub fn ns(&self) -> &Ns {
        &self.0.ns
    }

    fn lab(&self) -> &Lab {
        &self.0.ns.lab
    }

    /// The router's current IPv4 address on its upstream segment (None for the internet itself).
    pub fn wan_ipv4(&self) -> Option<Ipv4Addr> {
        *self.0.wan_v4.lock().unwrap()
    }

    pub fn wan_ipv6(&self) -> Option<Ipv6Addr> {
        self.0.wan_v6
    }

    /// The IPv4 address this router has on its own LAN (hosts' gateway).
    pub fn lan_ipv4(&self) -> Option<Ipv4Addr> {
        self.v4_base().map(|b| b(1))
    }

    fn v4_base(&self) -> Option<fn(u32) -> Ipv4Addr> {
        match self.0.kind {
            RouterKind::Internet => Some(|n| Ipv4Addr::new(11, 0, (n >> 8) as u8, n as u8)),
            RouterKind::Carrier => Some(|n| Ipv4Addr::new(100, 64, (n >> 8) as u8, n as u8)),
            RouterKind::Home if self.0.plan.ipv4.is_some() => {
                Some(|n| Ipv4Addr::new(192, 168, 1, n as u8))
            }
            RouterKind::Home => None,
        }
    }

    fn v4_prefix_len(&self) -> u8 {
        match self.0.kind {
            RouterKind::Home => 24,
            _ => 16,
        }
    }

    fn v6_addr(&self, n: u32) -> Option<Ipv6Addr> {
        let p = self.0.v6_prefix?;
        Some(Ipv6Addr::new(0x2a0a, 0xcc, p as u16, 0, 0, 0, 0, n as u16))
    }

    fn next_host(&self) -> u32 {
        let n = self.0.next_host.fetch_add(1, Ordering::Relaxed);
        assert!(n < 250, "too many hosts on one segment");
        n
    }

    /// Joins namespace `ns` to this router's LAN bridge by a new veth pair; `ns`'s end is named `rxwan`.
    fn plug(&self, ns: &Ns) {
        let port = format!("rxp{}", self.0.next_port.fetch_add(1, Ordering::Relaxed));
        must(Command::new("ip").args([
            "link",
            "add",
            &port,
            "netns",
            self.0.ns.name(),
            "type",
            "veth",
            "peer",
            "name",
            WAN,
            "netns",
            ns.name(),
        ]));
        self.0.ns.ip(&["link", "set", &port, "master", LAN, "up"]);
        ns.ip(&["link", "set", WAN, "up"]);
    }

    /// Gives `ns` (plugged into this router's LAN) addresses and default routes; returns them.
    fn address(&self, ns: &Ns) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
        let n = self.next_host();
        let v4 = self.v4_base().map(|base| {
            let addr = base(n);
            ns.ip(&[
                "addr",
                "add",
                &format!("{addr}/{}", self.v4_prefix_len()),
                "dev",
                WAN,
            ]);
            ns.ip(&["route", "add", "default", "via", &base(1).to_string()]);
            addr
        });
        let v6 = self.v6_addr(n).inspect(|addr| {
            ns.ip(&["addr", "add", &format!("{addr}/64"), "dev", WAN, "nodad"]);
            let gw = self.v6_addr(1).expect("v6 gateway");
            ns.ip(&["-6", "route", "add", "default", "via", &gw.to_string()]);
        });
        (v4, v6)
    }

    /// A host on this router's LAN (on the internet: a public host).
    pub fn host(&self, role: &str) -> Host {
        let ns = self.lab().namespace(role);
        self.plug(&ns);
        let (ipv4, ipv6) = self.address(&ns);
        Host {
            ns,
            ipv4,
            ipv6,
            router: self.clone(),
        }
    }

    /// A carrier-grade NAT under this router: its LAN is 100.64.0.0/16, masqueraded (port-preserving)
    /// behind its upstream address. Home routers hang from it for two levels of NAT.
    pub fn carrier(&self, role: &str) -> Router {
        self.router_of(role, RouterKind::Carrier, RouterPlan::nat(Nat::Masquerade))
    }

    /// A home router under this router, offering its LAN what `plan` says.
    pub fn home(&self, role: &str, plan: RouterPlan) -> Router {
        self.router_of(role, RouterKind::Home, plan)
    }

    fn router_of(&self, role: &str, kind: RouterKind, plan: RouterPlan) -> Router {
        let ns = self.lab().namespace(role);
        self.plug(&ns);
        let (wan_v4, wan_v6) = self.address(&ns);
        assert!(
            wan_v4.is_some() || plan.ipv4.is_none(),
            "an IPv4 LAN needs IPv4 upstream"
        );
        let v6_prefix = if plan.ipv6 {
            assert!(
                matches!(self.0.kind, RouterKind::Internet),
                "routed IPv6 is only offered directly under the internet"
            );
            let p = self.lab().0.next_v6_prefix.fetch_add(1, Ordering::Relaxed);
            let wan = wan_v6.expect("v6 upstream").to_string();
            self.0.ns.ip(&[
                "-6",
                "route",
                "add",
                &format!("2a0a:cc:{p:x}::/64"),
                "via",
                &wan,
            ]);
            Some(p)
        } else {
            None
        };
        ns.sysctl("net.ipv4.ip_forward", "1");
        ns.sysctl("net.ipv6.conf.all.forwarding", "1");
        ns.ip(&["link", "add", LAN, "type", "bridge", "forward_delay", "0"]);
        ns.ip(&["link", "set", LAN, "up"]);
        let router = Router(Arc::new(RouterInner {
            ns,
            kind,
            upstream: Some(self.clone()),
            wan_v4: Mutex::new(wan_v4),
            wan_v6,
            v6_prefix,
            next_host: AtomicU32::new(2),
            next_port: AtomicU32::new(0),
            plan,
        }));
        if let Some(gw) = router.lan_ipv4() {
            let len = router.v4_prefix_len();
            router
                .0
                .ns
                .ip(&["addr", "add", &format!("{gw}/{len}"), "dev", LAN]);
        }
        if let Some(gw) = router.v6_addr(1) {
            router
                .0
                .ns
                .ip(&["addr", "add", &format!("{gw}/64"), "dev", LAN, "nodad"]);
        }
        router.0.ns.nft(&router.firewall());
        router
    }

    /// The router's ruleset: forward what the LAN starts and what answers it (and port mappings' DNAT),
    /// drop unsolicited inbound, both on forward and on input (as home routers do; an unsolicited packet
    /// delivered to the router itself would leave a conntrack entry that changes the mapping of a later
    /// outbound flow to the same peer), and NAT the LAN's IPv4 behind the upstream address.
    fn firewall(&self) -> String {
        let nat = match self.0.plan.ipv4 {
            Some(Nat::Masquerade) => "masquerade",
            Some(Nat::Random) => "masquerade random",
            None => "",
        };
        let mut rules = format!(
            "table inet rxfw {{
  counter out {{ }}
  counter in {{ }}
  chain forward {{
    type filter hook forward priority filter; policy drop;
    iifname \"{LAN}\" counter name \"out\"
    oifname \"{LAN}\" counter name \"in\"
    ct state established,related accept
    ct status dnat accept
    iifname \"{LAN}\" accept
  }}
  chain input {{
    type filter hook input priority filter; policy accept;
    iifname \"{WAN}\" ct state new meta l4proto {{ tcp, udp }} drop
  }}
}}
"
        );
        if !nat.is_empty() {
            rules.push_str(&format!(
                "table ip rxnat {{
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname \"{WAN}\" {nat}
  }}
}}
"
            ));
        }
        rules
    }

    /// The packets this router forwarded out of its LAN and into it since the last call (forwarded or
    /// dropped by its firewall: everything that reached it), as (out, in).
    pub fn take_counts(&self) -> (u64, u64) {
        let read = |name: &str| {
            let text = self
                .0
                .ns
                .nft_cmd(&["reset", "counter", "inet", "rxfw", name]);
            text.split_whitespace()
                .skip_while(|w| *w != "packets")
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no packet count in {text}"))
        };
        (read("out"), read("in"))
    }

    /// Deletes this router's nftables table `inet name`, if it has one.
    fn drop_table(&self, name: &str) {
        let _ = quiet(Command::new("ip").args([
            "netns",
            "exec",
            self.0.ns.name(),
            "nft",
            "delete",
            "table",
            "inet",
            name,
        ]));
    }

    /// Drops `percent` % of the packets this router forwards, at random, both ways.
    pub fn set_loss(&self, percent: u32) {
        self.drop_table("rxloss");
        if percent > 0 {
            self.0.ns.nft(&format!(
                "table inet rxloss {{
  chain forward {{
    type filter hook forward priority -10; policy accept;
    numgen random mod 100 < {percent} drop
  }}
}}
"
            ));
        }
    }

    /// Drops everything this router forwards to or from `ip`, both ways (`None`: lifts the block), as
    /// when no direct path exists between two networks.
    pub fn block(&self, ip: Option<Ipv4Addr>) {
        self.drop_table("rxblock");
        if let Some(ip) = ip {
            self.0.ns.nft(&format!(
                "table inet rxblock {{
  chain forward {{
    type filter hook forward priority -20; policy accept;
    ip saddr {ip} drop
    ip daddr {ip} drop
  }}
}}
"
            ));
        }
    }

    /// Gives this router a new IPv4 address on its upstream segment, as when a provider renumbers a home:
    /// the old address goes (and with it, masquerade's mappings), the default route moves to the new one.
    /// Returns the new address.
    pub fn renumber(&self) -> Ipv4Addr {
        let upstream = self
            .0
            .upstream
            .as_ref()
            .expect("the internet is not renumbered");
        let base = upstream.v4_base().expect("upstream has IPv4");
        let len = upstream.v4_prefix_len();
        let new = base(upstream.next_host());
        let mut wan = self.0.wan_v4.lock().unwrap();
        let old = wan.expect("router has IPv4 upstream");
        let ns = &self.0.ns;
        // Deleting the primary address would take a secondary with it: the old goes first, and with it
        // the default route.
        ns.ip(&["addr", "del", &format!("{old}/{len}"), "dev", WAN]);
        ns.ip(&["addr", "add", &format!("{new}/{len}"), "dev", WAN]);
        ns.ip(&["route", "replace", "default", "via", &base(1).to_string()]);
        // Masquerade forgets the mappings of the deleted address by itself (the kernel flushes them).
        *wan = Some(new);
        new
    }

    /// Another IPv4 address on this router's own LAN interface (for the internet: a public address a
    /// service in its namespace can bind, e.g. a DHT node or an address observer).
    pub fn add_ipv4(&self) -> Ipv4Addr {
        let base = self.v4_base().expect("router has IPv4 on its LAN");
        let addr = base(self.next_host());
        self.0.ns.ip(&[
            "addr",
            "add",
            &format!("{addr}/{}", self.v4_prefix_len()),
            "dev",
            LAN,
        ]);
        addr
    }

    /// The name of the router's upstream interface (what miniupnpd calls `ext_ifname`) and of its LAN bridge.
    pub fn interfaces() -> (&'static str, &'static str) {
        (WAN, LAN)
    }
}

/// The namespaces named with `tag` (a [`Lab::tag`]) that exist now: empty once that lab is torn down.
pub fn namespaces_tagged(tag: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/run/netns") else {
        return Vec::new();
    };
    dir.flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&format!("{tag}-")))
        .collect()
}

/// A UDP service in `ns` on `addr` that answers every datagram with the address it came from, as text
/// ("ip:port"): what a STUN server or a peer's observation tells a device behind a NAT.
pub fn udp_observer(ns: &Ns, addr: SocketAddr) -> NsTask<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let task = ns.spawn(move || async move {
        let socket = tokio::net::UdpSocket::bind(addr)
            .await
            .expect("bind observer");
        let _ = ready_tx.send(());
        let mut buf = [0u8; 1500];
        loop {
            let Ok((_, from)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            let _ = socket.send_to(from.to_string().as_bytes(), from).await;
        }
    });
    ready_rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("observer bound");
    task
}

/// Asks the observer at `server` which address it sees `socket` come from; retries a few times (the lab
/// may drop packets), `None` if no answer came.
pub async fn observed_from(
    socket: &tokio::net::UdpSocket,
    server: SocketAddr,
) -> Option<SocketAddr> {
    let mut buf = [0u8; 128];
    for _ in 0..10 {
        socket.send_to(b"?", server).await.ok()?;
        let wait = tokio::time::timeout(std::time::Duration::from_millis(300), async {
            loop {
                let (n, from) = socket.recv_from(&mut buf).await.ok()?;
                if from == server {
                    return std::str::from_utf8(&buf[..n]).ok()?.parse().ok();
                }
            }
        });
        if let Ok(Some(addr)) = wait.await {
            return Some(addr);
        }
    }
    None
}

/// Whether datagrams sent from a socket bound to `sender` in `from`, to `to`, reach a socket bound to `listen`
/// in `at`. If `contact` is given, the listening socket first sends one datagram there (so its NAT or
/// firewall holds a mapping towards `contact`, and towards nothing else).
pub async fn datagram_arrives(
    from: &Ns,
    sender: SocketAddr,
    at: &Ns,
    listen: SocketAddr,
    contact: Option<SocketAddr>,
    to: SocketAddr,
) -> bool {
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let sending = from.spawn(move || async move {
        let socket = tokio::net::UdpSocket::bind(sender).await.unwrap();
        let _ = bound_tx.send(());
        let _ = go_rx.await;
        for _ in 0..5 {
            socket.send_to(b"unsolicited", to).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });
    bound_rx.await.expect("sender bound");
    let arrived = at
        .run(move || async move {
            let socket = tokio::net::UdpSocket::bind(listen).await.unwrap();
            if let Some(contact) = contact {
                socket.send_to(b"hello", contact).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let _ = go_tx.send(());
            let mut buf = [0u8; 64];
            tokio::time::timeout(std::time::Duration::from_secs(2), async {
                loop {
                    let (n, _) = socket.recv_from(&mut buf).await.unwrap();
                    if &buf[..n] == b"unsolicited" {
                        return;
                    }
                }
            })
            .await
            .is_ok()
        })
        .await;
    drop(sending);
    arrived
}
