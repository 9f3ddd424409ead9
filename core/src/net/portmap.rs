//! Port mapping on the home router: when the network starts behind a router that offers PCP or NAT-PMP
//! (through the crab_nat crate, PCP first) or else UPnP-IGD (the igd-next crate, its small blocking HTTP
//! client on a blocking thread), map the QUIC port, renew the mapping at half its lifetime, delete it on
//! stop, and tell `Net` the mapped public address (published first, like an observed one).
//! The router to ask ([`gateways`]): the gateway the shell names (Android's LinkProperties knows it), else
//! the IPv4 default route's next hop in /proc/net/route (Linux; Android 10+ hides it from apps, iOS has
//! none), else a guess: the ".1" of the /24 of each private IPv4 address of mine.
//! A router that does not answer or refuses costs one attempt per start or network change, logged at
//! debug, and nothing later: there is no retry on a timer. A UPnP answer from any device but the gateway
//! asked is ignored. UPnP-IGD is the `upnp` feature (default on; a mobile build may leave it out).

use super::Net;
use crab_nat::{InternetProtocol, PortMapping, PortMappingOptions, PortMappingType, TimeoutConfig};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// The lifetime asked for: a mapping left behind by a crash expires within the hour.
const LIFETIME_SECS: u32 = 3600;

/// The PCP and NAT-PMP ports of a router (the same port for both).
const PCP_PORT: u16 = 5351;

/// How long to wait for the router: a quarter second, doubled three times (about 4 s in all), instead of
/// the RFCs' minute of retries, so an absent router is soon known to be absent.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig {
        initial_timeout: Duration::from_millis(250),
        max_retries: 3,
        max_retry_timeout: Some(Duration::from_secs(2)),
    }
}

/// How many guessed gateways are asked, at most (each costs about 6 s of unanswered questions).
const MAX_GUESSES: usize = 3;

/// How long to wait for a UPnP gateway to answer the SSDP search.
#[cfg(feature = "upnp")]
const UPNP_SEARCH: Duration = Duration::from_secs(2);

/// A mapping in force: by PCP or NAT-PMP, or by UPnP-IGD.
#[derive(Clone, Debug)]
pub(super) enum Mapping {
    Pcp(PortMapping),
    #[cfg(feature = "upnp")]
    Upnp(Upnp),
}

/// A UPnP-IGD mapping of UDP `local`'s port to the same port outside.
#[cfg(feature = "upnp")]
#[derive(Clone, Debug)]
pub(super) struct Upnp {
    gateway: igd_next::Gateway,
    local: SocketAddr,
}

/// The mapping in force, shared between the task that keeps it and `Net`'s stop, which deletes it.
pub(super) type Slot = Arc<Mutex<Option<Mapping>>>;

/// The next hop of the IPv4 default route in `route_table` (the text of /proc/net/route): of several,
/// the one with the lowest metric. Addresses there are the bytes of the address in memory order, printed
/// as a native-endian number.
pub(super) fn default_gateway(route_table: &str) -> Option<Ipv4Addr> {
    const UP_AND_GATEWAY: u32 = 0x1 | 0x2;
    route_table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (dest, gateway, flags, metric, mask) = (
                fields.get(1)?,
                fields.get(2)?,
                fields.get(3)?,
                fields.get(6)?,
                fields.get(7)?,
            );
            let flags = u32::from_str_radix(flags, 16).ok()?;
            let default = *dest == "00000000" && *mask == "00000000";
            if !default || flags & UP_AND_GATEWAY != UP_AND_GATEWAY {
                return None;
            }
            let gateway = u32::from_str_radix(gateway, 16).ok()?.to_ne_bytes();
            Some((metric.parse::<u32>().ok()?, Ipv4Addr::from(gateway)))
        })
        .min_by_key(|(metric, _)| *metric)
        .map(|(_, gateway)| gateway)
        .filter(|gateway| !gateway.is_unspecified())
}

/// The routers to ask for a mapping, best first: the caller's `hint` if it is IPv4 (the shell's word wins);
/// else the default route's next hop in `route_table` (the text of /proc/net/route, empty where it cannot
/// be read); else a heuristic: the ".1" of the /24 of each private IPv4 address in `local`, where most
/// home routers sit (a wrong guess costs one unanswered question, and a router elsewhere goes unasked).
pub(super) fn gateways(hint: Option<IpAddr>, route_table: &str, local: &[IpAddr]) -> Vec<Ipv4Addr> {
    if let Some(IpAddr::V4(hint)) = hint {
        if !hint.is_unspecified() && !hint.is_loopback() {
            return vec![hint];
        }
    }
    if let Some(gateway) = default_gateway(route_table) {
        return vec![gateway];
    }
    let mut out = Vec::new();
    for ip in local {
        let IpAddr::V4(ip) = ip else { continue };
        if !ip.is_private() {
            continue;
        }
        let [a, b, c, _] = ip.octets();
        let guess = Ipv4Addr::new(a, b, c, 1);
        if guess != *ip && !out.contains(&guess) {
            out.push(guess);
        }
    }
    out.truncate(MAX_GUESSES);
    out
}

/// My IPv4 address toward `gateway` (a connected UDP socket sends nothing, the kernel picks the source).
fn my_ip_toward(gateway: Ipv4Addr) -> std::io::Result<IpAddr> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    socket.connect((gateway, PCP_PORT))?;
    Ok(socket.local_addr()?.ip())
}

/// The public address `mapping` gives: PCP names the external IP in its answer, NAT-PMP and UPnP need
/// one more question.
async fn public_addr(mapping: &Mapping) -> Option<SocketAddr> {
    let mapping = match mapping {
        Mapping::Pcp(mapping) => mapping,
        #[cfg(feature = "upnp")]
        Mapping::Upnp(upnp) => {
            let gateway = upnp.gateway.clone();
            let ip = tokio::task::spawn_blocking(move || gateway.get_external_ip())
                .await
                .ok()?
                .map_err(|e| log::debug!("UPnP: no external address: {e}"))
                .ok()?;
            return Some(SocketAddr::new(ip, upnp.local.port()));
        }
    };
    let ip = match mapping.mapping_type() {
        PortMappingType::Pcp { external_ip, .. } => external_ip,
        PortMappingType::NatPmp => {
            let external = crab_nat::natpmp::external_address(mapping.gateway(), Some(timeouts()));
            IpAddr::V4(external.await.ok()?)
        }
    };
    Some(SocketAddr::new(ip, mapping.external_port().get()))
}

/// Asks the router at `gateway` to map UDP `port` of `client` to the same port outside, if it can: by
/// PCP or NAT-PMP, else (with the `upnp` feature) by UPnP-IGD.
async fn map(gateway: Ipv4Addr, client: IpAddr, port: NonZeroU16) -> Option<Mapping> {
    let options = PortMappingOptions {
        external_port: Some(port),
        lifetime_seconds: Some(LIFETIME_SECS),
        timeout_config: Some(timeouts()),
    };
    let udp = InternetProtocol::Udp;
    match PortMapping::new(gateway.into(), client, udp, port, options).await {
        Ok(mapping) => return Some(Mapping::Pcp(mapping)),
        Err(e) => log::debug!("no PCP or NAT-PMP mapping from {gateway}: {e}"),
    }
    map_by_upnp(gateway, client, port).await
}

#[cfg(not(feature = "upnp"))]
async fn map_by_upnp(_: Ipv4Addr, _: IpAddr, _: NonZeroU16) -> Option<Mapping> {
    None
}

#[cfg(feature = "upnp")]
async fn map_by_upnp(gateway: Ipv4Addr, client: IpAddr, port: NonZeroU16) -> Option<Mapping> {
    log::debug!("trying UPnP on {gateway}");
    let local = SocketAddr::new(client, port.get());
    let found = tokio::task::spawn_blocking(move || upnp_map(gateway, local)).await;
    match found {
        Ok(Ok(upnp)) => Some(Mapping::Upnp(upnp)),
        Ok(Err(e)) => {
            log::debug!("no UPnP mapping from {gateway}: {e}");
            None
        }
        Err(e) => {
            log::debug!("UPnP: {e}");
            None
        }
    }
}

/// Finds the UPnP-IGD gateway answering from `gateway` and maps `local`'s port (blocking).
#[cfg(feature = "upnp")]
fn upnp_map(gateway: Ipv4Addr, local: SocketAddr) -> Result<Upnp, String> {
    let mut options = igd_next::SearchOptions::default();
    options.bind_addr = SocketAddr::new(local.ip(), 0);
    options.timeout = Some(UPNP_SEARCH);
    options.single_search_timeout = Some(UPNP_SEARCH);
    let found = igd_next::search_gateway(options).map_err(|e| e.to_string())?;
    if found.addr.ip() != IpAddr::V4(gateway) {
        return Err(format!("the answer came from {}", found.addr));
    }
    let upnp = Upnp {
        gateway: found,
        local,
    };
    upnp.add()?;
    Ok(upnp)
}

#[cfg(feature = "upnp")]
impl Upnp {
    /// Adds (or renews) the mapping (blocking).
    fn add(&self) -> Result<(), String> {
        let udp = igd_next::PortMappingProtocol::UDP;
        self.gateway
            .add_port(
                udp,
                self.local.port(),
                self.local,
                LIFETIME_SECS,
                "clearchat",
            )
            .map_err(|e| e.to_string())
    }

    /// Deletes the mapping (blocking).
    fn remove(&self) -> Result<(), String> {
        let udp = igd_next::PortMappingProtocol::UDP;
        self.gateway
            .remove_port(udp, self.local.port())
            .map_err(|e| e.to_string())
    }
}

impl Mapping {
    /// The lifetime the router granted, in seconds.
    fn lifetime(&self) -> u32 {
        match self {
            Mapping::Pcp(mapping) => mapping.lifetime(),
            #[cfg(feature = "upnp")]
            Mapping::Upnp(_) => LIFETIME_SECS,
        }
    }

    async fn renew(&mut self) -> Result<(), String> {
        match self {
            Mapping::Pcp(mapping) => mapping.renew().await.map_err(|e| e.to_string()),
            #[cfg(feature = "upnp")]
            Mapping::Upnp(upnp) => {
                let upnp = upnp.clone();
                tokio::task::spawn_blocking(move || upnp.add())
                    .await
                    .map_err(|e| e.to_string())?
            }
        }
    }

    fn port(&self) -> u16 {
        match self {
            Mapping::Pcp(mapping) => mapping.external_port().get(),
            #[cfg(feature = "upnp")]
            Mapping::Upnp(upnp) => upnp.local.port(),
        }
    }

    fn gateway(&self) -> IpAddr {
        match self {
            Mapping::Pcp(mapping) => IpAddr::from(mapping.gateway()),
            #[cfg(feature = "upnp")]
            Mapping::Upnp(upnp) => upnp.gateway.addr.ip(),
        }
    }
}

/// Keeps UDP `port` mapped on a router of [`gateways`] (`hint` from the shell, `local`: my addresses) for
/// as long as `net` runs on this network (the task is aborted on stop and on a network change); the
/// mapping in force is in `slot`, for deletion.
pub(super) async fn run(
    net: Weak<Net>,
    slot: Slot,
    port: u16,
    hint: Option<IpAddr>,
    local: Vec<IpAddr>,
) {
    let Some(port) = NonZeroU16::new(port) else {
        return;
    };
    let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let candidates = gateways(hint, &routes, &local);
    if candidates.is_empty() {
        log::debug!("no IPv4 gateway known or guessed: no port mapping");
        return;
    }
    let mut found = None;
    for gateway in candidates {
        let client = match my_ip_toward(gateway) {
            Ok(ip) => ip,
            Err(e) => {
                log::debug!("no route to the gateway {gateway}: {e}");
                continue;
            }
        };
        if let Some(mapping) = map(gateway, client, port).await {
            found = Some((gateway, client, mapping));
            break;
        }
    }
    let Some((gateway, client, mut mapping)) = found else {
        return;
    };
    loop {
        *crate::lock(&slot) = Some(mapping.clone());
        let public = public_addr(&mapping).await;
        match net.upgrade() {
            Some(net) => net.mapped(public),
            None => return,
        }
        // Renew at half the lifetime the router granted.
        let half = Duration::from_secs(u64::from(mapping.lifetime().max(2) / 2));
        tokio::time::sleep(half).await;
        if let Err(e) = mapping.renew().await {
            log::debug!("renewing the port mapping on {gateway}: {e}; asking anew");
            match map(gateway, client, port).await {
                Some(fresh) => mapping = fresh,
                None => break,
            }
        }
    }
    crate::lock(&slot).take();
    if let Some(net) = net.upgrade() {
        net.mapped(None);
    }
}

/// Deletes the mapping in `slot`, if any (on stop, after the keeping task is aborted).
pub(super) async fn delete(slot: &Slot) {
    let Some(mapping) = crate::lock(slot).take() else {
        return;
    };
    let (gateway, port) = (mapping.gateway(), mapping.port());
    let deleted = match mapping {
        Mapping::Pcp(mapping) => mapping.try_drop().await.map_err(|(e, _)| e.to_string()),
        #[cfg(feature = "upnp")]
        Mapping::Upnp(upnp) => tokio::task::spawn_blocking(move || upnp.remove())
            .await
            .unwrap_or_else(|e| Err(e.to_string())),
    };
    match deleted {
        Ok(()) => log::info!("port mapping {port} deleted on {gateway}"),
        Err(e) => log::debug!("deleting the port mapping {port}: {e} (it expires by itself)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(ip: Ipv4Addr) -> String {
        format!("{:08X}", u32::from_ne_bytes(ip.octets()))
    }

    #[test]
    fn the_default_gateway_is_the_lowest_metric_default_route() {
        let header =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";
        let table = [
            header.to_string(),
            format!(
                "eth0\t{}\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
                hex([192, 168, 1, 0].into())
            ),
            format!(
                "wlan0\t00000000\t{}\t0003\t0\t0\t600\t00000000\t0\t0\t0",
                hex([10, 0, 0, 1].into())
            ),
            format!(
                "eth0\t00000000\t{}\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                hex([192, 168, 1, 1].into())
            ),
        ]
        .join("\n");
        assert_eq!(default_gateway(&table), Some(Ipv4Addr::new(192, 168, 1, 1)));
        let down = table.replace("\t0003\t", "\t0002\t");
        assert_eq!(default_gateway(&down), None, "routes that are not up");
        assert_eq!(default_gateway(header), None);
        assert_eq!(default_gateway("garbage\nmore garbage\t00000000"), None);
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP address")
    }

    #[test]
    fn the_gateway_asked_is_the_hint_then_the_default_route_then_the_dot_one_of_each_private_24() {
        let routes = [
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask".to_string(),
            format!(
                "eth0\t00000000\t{}\t0003\t0\t0\t100\t00000000",
                hex([192, 168, 1, 254].into())
            ),
        ]
        .join("\n");
        let local = [
            ip("127.0.0.1"),
            ip("192.168.7.23"),
            ip("100.64.3.9"),
            ip("11.0.0.5"),
            ip("10.1.2.3"),
            ip("192.168.7.40"),
            ip("2a0a:cc::5"),
        ];
        let hint = Some(ip("192.168.7.254"));
        assert_eq!(
            gateways(hint, &routes, &local),
            [Ipv4Addr::new(192, 168, 7, 254)]
        );
        assert_eq!(
            gateways(None, &routes, &local),
            [Ipv4Addr::new(192, 168, 1, 254)]
        );
        // Android 10+ and iOS: no route table. Carrier-grade (100.64/10) and public addresses have no
        // home router to guess; two addresses in one /24 make one guess.
        let guessed = [Ipv4Addr::new(192, 168, 7, 1), Ipv4Addr::new(10, 1, 2, 1)];
        assert_eq!(gateways(None, "", &local), guessed);
        // A hint we cannot use (IPv6: the mapping is IPv4; unspecified) is as good as none.
        assert_eq!(gateways(Some(ip("fe80::1")), "", &local), guessed);
        assert_eq!(gateways(Some(ip("0.0.0.0")), "", &local), guessed);
        // The router itself guesses no other router; nothing private, nothing to guess.
        assert!(gateways(None, "", &[ip("192.168.1.1")]).is_empty());
        assert!(gateways(None, "", &[ip("11.0.0.5"), ip("127.0.0.1")]).is_empty());
        let many: Vec<IpAddr> = (1..=9).map(|n| ip(&format!("10.0.{n}.7"))).collect();
        assert_eq!(gateways(None, "", &many).len(), MAX_GUESSES);
    }
}
