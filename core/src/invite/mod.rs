//! Invites: the code format and QR matrix (`code`), and the rules of redeeming them with the messages the
//! two sides exchange (`redeem`).

mod code;
pub mod redeem;

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

/// An invite to show: the text code, the URI for the QR code, and the QR matrix itself. All three hold
/// the invite's secret, so its Debug form shows none of them.
#[derive(Clone, PartialEq)]
pub struct Invite {
    pub code: String,
    pub uri: String,
    pub qr: QrMatrix,
    pub purpose: Purpose,
    /// Unix seconds.
    pub expires_at: u64,
}

impl std::fmt::Debug for Invite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invite")
            .field("code", &"..")
            .field("purpose", &self.purpose)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// An invite's 16-byte secret: encoded as the plain bytes, never printed.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct InviteSecret(pub [u8; 16]);

impl std::fmt::Debug for InviteSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteSecret(..)")
    }
}

/// What a redeemed code did.
#[derive(Clone, Debug, PartialEq)]
pub enum Redeemed {
    /// This device is now a device of `person_name`.
    Linked { person_name: String },
    /// A new buddy space with the inviter.
    Buddy {
        buddy_id: crate::ids::BuddyId,
        name: String,
    },
}
