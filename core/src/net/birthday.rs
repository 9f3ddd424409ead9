//! Birthday punching, the I/O of `punch`'s `Plan::Probe` and `Plan::Sockets`. The port-keeping side
//! sends small probes from its endpoint's own socket to random ports of the other side's IP, so that its
//! NAT lets in what comes back from those ports; the side behind a NAT that changes ports dials it from
//! many fresh sockets, so that its NAT opens as many random ports towards it. A probe and a socket that
//! meet make a path: that socket's handshake completes, its connection is kept (its endpoint lives as
//! long as it does) and the other sockets are dropped at once. Bounded: [`punch::ROUNDS`] rounds of
//! [`punch::PROBES`] probes or [`punch::SOCKETS`] sockets, each round's sockets closed when it ends,
//! and nothing more once the devices are connected.

use super::{dialer, net_err, punch, tls, Net};
use crate::error::Error;
use crate::ids::DeviceId;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// One probe: a byte no QUIC packet starts with (its fixed bit is clear), so a receiver drops it.
const PROBE: [u8; 1] = [0];

/// Sends the rounds of probes from my endpoint's socket to random ports of `ip`, where `peer`'s NAT
/// changes ports, until `peer` is connected.
pub(super) async fn probe(net: Arc<Net>, peer: DeviceId, ip: IpAddr) {
    // A dual-stack socket sends to IPv4 addresses in their mapped form.
    let to = match (ip, net.probe_socket.local_addr()) {
        (IpAddr::V4(v4), Ok(local)) if local.is_ipv6() => IpAddr::V6(v4.to_ipv6_mapped()),
        _ => ip,
    };
    let start = Instant::now();
    for round in 0..punch::ROUNDS {
        tokio::time::sleep_until(start + punch::ROUND * round).await;
        let ports = punch::probe_ports(&mut rand::thread_rng());
        let (mut sent, mut failed) = (0usize, 0usize);
        for batch in ports.chunks(punch::PROBES_AT_ONCE) {
            if net.connected().contains(&peer) {
                log::info!(
                    "{} is connected: probing of {ip} stops after {sent} probes in round {}",
                    peer.short(),
                    round + 1
                );
                return;
            }
            for port in batch {
                match net.probe_socket.send_to(&PROBE, SocketAddr::new(to, *port)) {
                    Ok(_) => sent += 1,
                    Err(_) => failed += 1,
                }
            }
            tokio::time::sleep(punch::PROBE_PACE).await;
        }
        log::info!(
            "probed {sent} ports of {ip} for {} in round {} of {} ({failed} not sent)",
            peer.short(),
            round + 1,
            punch::ROUNDS
        );
    }
}

/// Dials `peer` at `to` (its public address, where its port-keeping NAT maps its endpoint) from
/// [`punch::SOCKETS`] fresh sockets a round, until one gets through; then drives that connection until
/// it ends.
pub(super) async fn sockets(net: Arc<Net>, peer: DeviceId, to: SocketAddr) {
    let config = match tls::punch_client_config(&net.engine.signer, peer.0) {
        Ok(c) => c,
        Err(e) => {
            log::warn!("a punching dial's TLS: {e}");
            return;
        }
    };
    let bind = match to {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let start = Instant::now();
    for round in 0..punch::ROUNDS {
        if net.connected().contains(&peer) {
            return;
        }
        let mut dials = JoinSet::new();
        for _ in 0..punch::SOCKETS {
            let endpoint = match quinn::Endpoint::client(bind) {
                Ok(e) => e,
                Err(e) => {
                    log::warn!("a punching socket: {e}");
                    break;
                }
            };
            let config = config.clone();
            dials.spawn(async move {
                let connecting = endpoint
                    .connect_with(config, to, "clearchat")
                    .map_err(net_err)?;
                let quic = tokio::time::timeout(punch::ROUND, connecting)
                    .await
                    .map_err(|_| Error::Network(format!("{to} did not answer")))?
                    .map_err(net_err)?;
                Ok::<_, Error>((endpoint, quic))
            });
        }
        let opened = dials.len();
        let mut won = None;
        while let Some(done) = dials.join_next().await {
            if let Ok(Ok(found)) = done {
                won = Some(found);
                break;
            }
        }
        // The other sockets' dials are dropped here, and their endpoints with them.
        drop(dials);
        let Some((endpoint, quic)) = won else {
            log::info!(
                "none of {opened} sockets got through to {} at {to} in round {} of {}",
                peer.short(),
                round + 1,
                punch::ROUNDS
            );
            continue;
        };
        let port = endpoint.local_addr().map(|a| a.port()).unwrap_or_default();
        log::info!(
            "punched through to {} at {to} from socket port {port}, round {}, {:?} after the start",
            peer.short(),
            round + 1,
            start.elapsed()
        );
        if let Err(e) = dialer::drive_dialed(&net, peer, quic, false).await {
            log::debug!("punched connection to {} ended: {e}", peer.short());
        }
        drop(endpoint);
        net.dialer.wake();
        return;
    }
}
