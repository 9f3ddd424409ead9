//! Invites: the code format (`code`) and the rules of issuing and redeeming them (`redeem`).

pub mod code;
pub use code::{CodeError, InviteCode, Purpose, QrMatrix};

/// Default lifetimes.
pub const LINK_TTL_SECS: u64 = 10 * 60;
pub const BUDDY_TTL_SECS: u64 = 24 * 60 * 60;

/// The id under which an invite is recorded: derived from its secret, so the id alone proves nothing.
pub fn invite_id(secret: &[u8; 16]) -> [u8; 16] {
    let full = crate::space::mac(secret, &[b"clearchat invite id"]);
    let mut id = [0u8; 16];
    id.copy_from_slice(&full[..16]);
    id
}

/// The joiner's proof that it holds the invite secret, bound to this connection.
pub fn redeem_proof(secret: &[u8; 16], exporter: &[u8; 32]) -> [u8; 32] {
    crate::space::mac(secret, &[b"clearchat redeem", exporter])
}
