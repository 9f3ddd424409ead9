//! Spaces: the space key and what derives from it (`keys`), and the membership questions asked of a
//! space's member list (`membership`): who may author, who may remove whom, which spaces to open with a peer,
//! whom to dial, and which of my devices a shared space should hold.

mod keys;
pub mod membership;

pub use keys::{
    ct_eq, mac, strong_key, Role, Rotation, SealedKey, SpaceKey, SpaceKind, SpaceState,
};
pub use membership::Member;
