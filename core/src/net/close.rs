//! The QUIC application close codes a Clearchat device sends (docs/PROTOCOL.md lists them).

use quinn::VarInt;

/// A normal end: the device stops, a duplicate connection is dropped, a probe is done, a redemption was
/// refused, or no space is open any more.
pub const NORMAL: VarInt = VarInt::from_u32(0);
/// The peer proved no space we offer it, or did not open with a Hello: it learns nothing more.
pub const NOT_SHARED: VarInt = VarInt::from_u32(1);
/// Reserved: earlier builds sent it for a peer whose frames piled up; now the reader stops reading instead.
pub const FLOODED: VarInt = VarInt::from_u32(2);
/// The peer broke the protocol: a malformed or unexpected frame, a batch out of bounds.
pub const PROTOCOL: VarInt = VarInt::from_u32(3);
/// Our own store failed; nothing the peer did. It may connect again.
pub const LOCAL_FAULT: VarInt = VarInt::from_u32(4);
