//! Invite redemption over the wire. The joiner dials an inviter device, sends `Redeem` (its proof over the
//! connection's exporter value) and reads `Welcome` or `Refused`; the serving device answers from the
//! engine's one-transaction decision. After a Welcome the connection goes on as an ordinary sync
//! connection, once the joiner has installed what it received.

use super::frame::{read_frame, write_frame, Frame};
use super::{close, dialer, driver, exporter, net_err, Net, HANDSHAKE_TIMEOUT};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, Now};
use crate::invite::redeem::{Redeem, Welcome};
use crate::invite::InviteCode;
use crate::space::Role;
use std::sync::Arc;
use std::time::Duration;

/// How long a refused joiner has to read the refusal before the connection is dropped.
const REFUSAL_LINGER: Duration = Duration::from_secs(2);

/// A redemption answered with a Welcome, and the connection to the device that served it.
pub struct Joining {
    pub welcome: Welcome,
    inviter: DeviceId,
    quic: quinn::Connection,
    send: quinn::SendStream,
    recv: quinn::RecvStream,
}

impl Net {
    /// Joiner side: dials the inviter (or another device the code names), proves the code, reads the answer.
    pub async fn redeem(self: &Arc<Self>, code: &InviteCode) -> Result<Joining> {
        let (inviter, quic) = dialer::connect_to_inviter(self, code).await?;
        let (mut send, mut recv) = quic.open_bi().await.map_err(net_err)?;
        let request = self.engine.redeem_request(code, &exporter(&quic)?)?;
        write_frame(&mut send, &Frame::redeem(request))
            .await
            .map_err(net_err)?;
        let reply = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_frame(&mut recv))
            .await
            .map_err(|_| Error::InviterUnreachable {
                reason: "the inviter did not answer".into(),
            })?
            .map_err(|e| Error::InviterUnreachable {
                reason: e.to_string(),
            })?;
        match reply {
            Frame::Welcome(welcome) => Ok(Joining {
                welcome,
                inviter,
                quic,
                send,
                recv,
            }),
            Frame::Refused { reason } => {
                quic.close(close::NORMAL, b"");
                Err(reason.into())
            }
            _ => Err(Error::Refused {
                reason: "the inviter answered with something unexpected".into(),
            }),
        }
    }

    /// Keeps the connection of a redemption whose Welcome was installed, as an ordinary sync connection.
    pub fn keep(self: &Arc<Self>, joining: Joining) {
        let Joining {
            welcome,
            inviter,
            quic,
            send,
            recv,
        } = joining;
        self.dialer.claim(inviter);
        let net = self.clone();
        self.spawn(async move {
            let opened = driver::Opened {
                quic,
                peer: inviter,
                role: Role::Dialer,
                send,
                recv,
                first: None,
                vouched: Some(welcome.key.space_id()),
            };
            if let Err(e) = driver::drive(net.clone(), opened).await {
                log::debug!("connection to inviter ended: {e}");
            }
            net.dialer.release(&inviter);
            net.dialer.wake();
        });
        self.dialer.wake();
    }
}

/// Serving side: answers `peer`'s redemption. Returns whether the connection goes on (it was served).
pub(super) async fn serve(
    net: &Arc<Net>,
    quic: &quinn::Connection,
    peer: DeviceId,
    request: Redeem,
    send: &mut quinn::SendStream,
) -> Result<bool> {
    let exporter = exporter(quic)?;
    let engine = net.engine.clone();
    let answer = crate::blocking(|| engine.serve_redeem(peer, &request, &exporter, Now::read()));
    let (reply, served) = match answer {
        Ok(welcome) => (Frame::Welcome(welcome), true),
        Err(reason) => (Frame::Refused { reason }, false),
    };
    write_frame(send, &reply).await.map_err(net_err)?;
    if !served {
        let _ = send.finish();
        let _ = tokio::time::timeout(REFUSAL_LINGER, quic.closed()).await;
    }
    Ok(served)
}
