//! The frames of a Clearchat connection and their framing on a QUIC stream: a 4-byte big-endian
//! length, then a version byte and the postcard encoding of [`Frame`]. Oversized or malformed frames
//! are errors that close the connection; they never panic.

use super::rendezvous::MAX_ADDRS;
use crate::ids::{DeviceId, PersonId};
use crate::invite::redeem::{Redeem, Refusal, Welcome};
use crate::sync::{Hello, SyncFrame, MAX_OFFERS};
use serde::{Deserialize, Serialize};

pub const FRAME_VERSION: u8 = 1;
/// Hard limit on one frame (a sync batch is at most 1 MiB of entries).
pub const MAX_FRAME_BYTES: usize = 4 << 20;
/// Limit on the first frame of a connection whose peer has proven nothing yet (a `Hello` of 4096 offers
/// and 256 introductions, about 230 KiB at most, or a `Redeem`): a crowd of strangers cannot each make us
/// hold a 4 MiB frame.
pub const MAX_OPENING_FRAME_BYTES: usize = 512 << 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    /// The spaces the sender holds, each as a MAC over this connection's exporter value
    /// (see `sync::Offers`). `reply` asks the peer to answer with its own offers.
    Hello {
        #[serde(deserialize_with = "crate::ids::bounded::<_, _, MAX_OFFERS>")]
        offers: Vec<[u8; 32]>,
        reply: bool,
        /// Encoded entries that made the sender a member of spaces the receiver may not know it in yet.
        #[serde(with = "crate::sync::byte_strings")]
        introductions: Vec<Vec<u8>>,
    },
    /// A joiner redeeming an invite: proof of the invite secret over the exporter value.
    Redeem {
        invite_id: [u8; 16],
        proof: [u8; 32],
        device_name: String,
        person: PersonId,
        person_name: String,
    },
    /// The inviter's answer to a valid redemption.
    Welcome(Welcome),
    /// The inviter's refusal.
    Refused {
        reason: Refusal,
    },
    Sync(SyncFrame),
    /// The address the sender sees this connection come from, sent once right after the opening exchange:
    /// how a device behind a NAT learns its public address.
    Observed {
        addr: std::net::SocketAddr,
    },
    /// To a member device connected to both: I cannot reach `device`; have it dial me now at `addrs`
    /// (mine, best first), and tell me its addresses (`net::punch`). `nat` is how my NAT maps my port,
    /// as the `Observed` frames told me.
    PunchAsk {
        device: DeviceId,
        #[serde(deserialize_with = "crate::ids::bounded::<_, _, MAX_ADDRS>")]
        addrs: Vec<std::net::SocketAddr>,
        nat: Nat,
    },
    /// From a member device connected to both: `device` wants a direct connection; dial it now at `addrs`
    /// (where the member sees it first). Sent to both sides of a punch at once. `nat` is what `device`
    /// said of its NAT in its last `PunchAsk` to the member (`Unknown` if it never asked).
    DialMeNow {
        device: DeviceId,
        #[serde(deserialize_with = "crate::ids::bounded::<_, _, MAX_ADDRS>")]
        addrs: Vec<std::net::SocketAddr>,
        nat: Nat,
    },
}

/// How a device's NAT maps its listening port towards the internet, as the `Observed` frames of its
/// peers tell it (`net::nat::Mapping`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Nat {
    /// No public observation yet.
    #[default]
    Unknown,
    /// Seen at its own listening port (a port-keeping NAT, or none).
    KeepsPorts,
    /// Seen at another port, or at different ports by different peers (a symmetric NAT).
    ChangesPorts,
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("stream closed")]
    Closed,
    #[error("frame too large ({0} bytes)")]
    TooLarge(usize),
    #[error("malformed frame")]
    Malformed,
    #[error("network: {0}")]
    Io(String),
    #[error("a frame could not be encoded")]
    Encode,
}

impl Frame {
    /// The frame with its length prefix, ready for the stream.
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        let body = postcard::to_allocvec(self).map_err(|_| FrameError::Encode)?;
        let len = body.len() + 1;
        if len > MAX_FRAME_BYTES {
            return Err(FrameError::TooLarge(len));
        }
        let mut out = Vec::with_capacity(len + 4);
        out.extend_from_slice(&(len as u32).to_be_bytes());
        out.push(FRAME_VERSION);
        out.extend(body);
        Ok(out)
    }

    pub fn hello(hello: Hello) -> Frame {
        Frame::Hello {
            offers: hello.offers,
            reply: hello.reply,
            introductions: hello.introductions,
        }
    }

    pub fn redeem(request: Redeem) -> Frame {
        Frame::Redeem {
            invite_id: request.invite_id,
            proof: request.proof,
            device_name: request.device_name,
            person: request.person,
            person_name: request.person_name,
        }
    }

    pub fn decode(body: &[u8]) -> Result<Frame, FrameError> {
        match body.split_first() {
            Some((&FRAME_VERSION, rest)) => {
                postcard::from_bytes(rest).map_err(|_| FrameError::Malformed)
            }
            _ => Err(FrameError::Malformed),
        }
    }
}

impl Frame {
    /// The request a `Frame::Redeem` carries.
    pub fn into_redeem(self) -> Option<Redeem> {
        match self {
            Frame::Redeem {
                invite_id,
                proof,
                device_name,
                person,
                person_name,
            } => Some(Redeem {
                invite_id,
                proof,
                device_name,
                person,
                person_name,
            }),
            _ => None,
        }
    }
}

pub async fn read_frame(recv: &mut quinn::RecvStream) -> Result<Frame, FrameError> {
    read_frame_within(recv, MAX_FRAME_BYTES).await
}

/// Reads one frame of at most `max` bytes; a longer one is refused from its length, before it is read.
pub async fn read_frame_within(
    recv: &mut quinn::RecvStream,
    max: usize,
) -> Result<Frame, FrameError> {
    let mut len = [0u8; 4];
    recv.read_exact(&mut len).await.map_err(|e| match e {
        quinn::ReadExactError::FinishedEarly(_) => FrameError::Closed,
        quinn::ReadExactError::ReadError(e) => FrameError::Io(e.to_string()),
    })?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max.min(MAX_FRAME_BYTES) {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body)
        .await
        .map_err(|e| FrameError::Io(e.to_string()))?;
    Frame::decode(&body)
}

pub async fn write_frame(send: &mut quinn::SendStream, frame: &Frame) -> Result<(), FrameError> {
    send.write_all(&frame.encode()?)
        .await
        .map_err(|e| FrameError::Io(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let f = Frame::Hello {
            offers: vec![[3; 32]],
            reply: true,
            introductions: vec![vec![1, 2, 3]],
        };
        let bytes = f.encode().unwrap();
        assert_eq!(Frame::decode(&bytes[4..]).unwrap(), f);
        let len = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
        assert_eq!(len, bytes.len() - 4, "the length counts the version byte");
        assert!(Frame::decode(&[]).is_err());
        assert!(Frame::decode(&[2, 0]).is_err());
        for n in 0..bytes.len() {
            let _ = Frame::decode(&bytes[4..4 + n.min(bytes.len() - 4)]);
        }
    }

    #[test]
    fn punch_frames_carry_the_nat_and_an_unknown_nat_byte_is_malformed() {
        let f = Frame::DialMeNow {
            device: DeviceId([7; 32]),
            addrs: vec!["11.0.0.5:4000".parse().unwrap()],
            nat: Nat::ChangesPorts,
        };
        let bytes = f.encode().unwrap();
        assert_eq!(Frame::decode(&bytes[4..]).unwrap(), f);
        // The NAT is the frame's last byte: 0 Unknown, 1 KeepsPorts, 2 ChangesPorts, nothing else.
        assert_eq!(bytes.last(), Some(&2));
        let mut bad = bytes[4..].to_vec();
        if let Some(last) = bad.last_mut() {
            *last = 3;
        }
        assert!(Frame::decode(&bad).is_err());
    }
}
