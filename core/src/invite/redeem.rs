//! The rules of redeeming an invite, with no store, no socket and no clock (`now` is an argument), and the
//! messages the two sides exchange. The joiner checks a code before dialing ([`check`]) and the answer it
//! gets ([`accept`]); the serving device decides whether to serve a recorded invite ([`serve`]), and the
//! engine records the redemption in the same transaction as the decision, so a code is served once.
//! [`Refusal`] becomes the joiner's [`Error`] in one place.

use super::{redeem_proof, InviteCode, Purpose};
use crate::error::Error;
use crate::ids::{DeviceId, Now, PersonId};
use crate::space::{ct_eq, SpaceKey, SpaceKind};
use serde::{Deserialize, Serialize};

/// The joiner's request: proof of the invite secret over this connection's exporter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redeem {
    pub invite_id: [u8; 16],
    pub proof: [u8; 32],
    pub device_name: String,
    pub person: PersonId,
    pub person_name: String,
}

/// The serving device's answer to a valid redemption: the space to join.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    pub kind: SpaceKind,
    pub key: SpaceKey,
    /// Later keys of the space, oldest first.
    pub later_keys: Vec<SpaceKey>,
    pub root: DeviceId,
    pub label: String,
    pub person: PersonId,
    pub person_name: String,
}

/// Why the serving device refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// No such invite, or the proof does not match it (or serving failed here).
    Unknown,
    Expired,
    AlreadyUsed,
    WrongPurpose,
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Error {
        match refusal {
            Refusal::Expired => Error::InviteExpired,
            Refusal::AlreadyUsed => Error::InviteAlreadyUsed,
            Refusal::WrongPurpose => Error::Refused {
                reason: "the code is for something else".into(),
            },
            Refusal::Unknown => Error::Refused {
                reason: "the inviting device does not know this invite".into(),
            },
        }
    }
}

/// An invite as a device of the inviter's person holds it (from the `InviteIssued` entry).
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    pub id: [u8; 16],
    pub secret: [u8; 16],
    pub purpose: Purpose,
    pub label: String,
    /// Unix seconds, capped by [`capped_expiry`].
    pub expires_at: u64,
    /// The device that issued it (None in stores older than this rule: such an invite is served by no one).
    pub issuer: Option<DeviceId>,
    pub redeemed_by: Option<DeviceId>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("id", &self.id)
            .field("secret", &"..")
            .field("purpose", &self.purpose)
            .field("expires_at", &self.expires_at)
            .field("issuer", &self.issuer)
            .field("redeemed_by", &self.redeemed_by)
            .finish()
    }
}

/// The longest an invite may live: a link code 10 minutes, a buddy code 7 days.
pub fn max_ttl_secs(purpose: Purpose) -> u64 {
    match purpose {
        Purpose::Link => 10 * 60,
        Purpose::Buddy => 7 * 24 * 60 * 60,
    }
}

/// The expiry every device of the person honours for an invite recorded at `issued_at` (the issuing
/// entry's time, unix seconds) with `expires_at`: never later than the longest lifetime of its purpose.
pub fn capped_expiry(purpose: Purpose, expires_at: u64, issued_at: u64) -> u64 {
    expires_at.min(issued_at.saturating_add(max_ttl_secs(purpose)))
}

/// Serving side, beyond the invite itself: an invite dies with its issuing device (`issuer_current`:
/// it is still a current device of my person), and a device once removed from a space of mine
/// (`joiner_removed`) is never welcomed back. Both refuse as `Unknown`.
pub fn standing(issuer_current: bool, joiner_removed: bool) -> Result<(), Refusal> {
    match issuer_current && !joiner_removed {
        true => Ok(()),
        false => Err(Refusal::Unknown),
    }
}

/// Serving side: whether `joiner`, proving `proof` over `exporter`, may redeem `issued` (None: no such
/// invite here). The same joiner may redeem again (its first answer may have been lost); another may not.
pub fn serve<'a>(
    issued: Option<&'a Issued>,
    proof: &[u8; 32],
    exporter: &[u8; 32],
    joiner: &DeviceId,
    now: Now,
) -> Result<&'a Issued, Refusal> {
    let issued = issued.ok_or(Refusal::Unknown)?;
    if !ct_eq(&redeem_proof(&issued.secret, exporter), proof) {
        return Err(Refusal::Unknown);
    }
    if issued.redeemed_by.is_some_and(|by| by != *joiner) {
        return Err(Refusal::AlreadyUsed);
    }
    if issued.expires_at <= now.secs() {
        return Err(Refusal::Expired);
    }
    Ok(issued)
}

/// What the joiner knows of itself when it checks a code.
#[derive(Clone, Debug)]
pub struct Joiner {
    pub me: DeviceId,
    /// The devices of my home space, me included.
    pub home_devices: Vec<DeviceId>,
    /// The name of the buddy whose active buddy space lists the inviter, if one does.
    pub buddy_with_inviter: Option<String>,
    /// I hold any buddy space, active or not.
    pub has_buddies: bool,
}

/// Joiner side, before dialing: refuses what is certainly wrong without spending the invite.
pub fn check(code: &InviteCode, joiner: &Joiner, now: Now) -> Result<(), Error> {
    if code.expires_at <= now.secs() {
        return Err(Error::InviteExpired);
    }
    let inviter = DeviceId(code.inviter);
    if inviter == joiner.me {
        return Err(Error::OwnInvite);
    }
    if joiner.home_devices.contains(&inviter) {
        return Err(match code.purpose {
            Purpose::Link => Error::AlreadyLinked,
            Purpose::Buddy => Error::OwnInvite,
        });
    }
    match code.purpose {
        Purpose::Buddy => match &joiner.buddy_with_inviter {
            Some(name) => Err(Error::AlreadyBuddies { name: name.clone() }),
            None => Ok(()),
        },
        Purpose::Link if joiner.has_buddies || joiner.home_devices.len() > 1 => Err(Error::NotNew),
        Purpose::Link => Ok(()),
    }
}

/// Joiner side, on the answer: a link code must bring a home space, a buddy code a buddy space.
pub fn accept(purpose: Purpose, welcome: &Welcome) -> Result<(), Error> {
    match (purpose, welcome.kind) {
        (Purpose::Link, SpaceKind::Home) | (Purpose::Buddy, SpaceKind::Buddy) => Ok(()),
        _ => Err(Error::Refused {
            reason: "the inviter answered with the wrong kind of space".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Now = Now(1_700_000_000_000);

    fn issued(purpose: Purpose) -> Issued {
        let secret = [5; 16];
        Issued {
            id: super::super::invite_id(&secret),
            secret,
            purpose,
            label: "Betty".into(),
            expires_at: NOW.secs() + 60,
            issuer: Some(DeviceId([7; 32])),
            redeemed_by: None,
        }
    }

    #[test]
    fn a_valid_proof_is_served_and_a_wrong_one_is_unknown() {
        let invite = issued(Purpose::Buddy);
        let (joiner, exporter) = (DeviceId([1; 32]), [9; 32]);
        let proof = redeem_proof(&invite.secret, &exporter);
        assert_eq!(
            serve(Some(&invite), &proof, &exporter, &joiner, NOW),
            Ok(&invite)
        );
        let other_connection = redeem_proof(&invite.secret, &[8; 32]);
        assert_eq!(
            serve(Some(&invite), &other_connection, &exporter, &joiner, NOW),
            Err(Refusal::Unknown)
        );
        assert_eq!(
            serve(None, &proof, &exporter, &joiner, NOW),
            Err(Refusal::Unknown)
        );
    }

    #[test]
    fn an_invite_dies_with_its_issuer_and_expiry_is_capped() {
        assert_eq!(standing(true, false), Ok(()));
        assert_eq!(standing(false, false), Err(Refusal::Unknown));
        assert_eq!(standing(true, true), Err(Refusal::Unknown));
        let at = NOW.secs();
        assert_eq!(capped_expiry(Purpose::Link, u64::MAX, at), at + 600);
        assert_eq!(capped_expiry(Purpose::Buddy, at + 60, at), at + 60);
        assert_eq!(capped_expiry(Purpose::Buddy, u64::MAX, at), at + 7 * 86_400);
    }

    #[test]
    fn a_used_invite_is_refused_to_anyone_else() {
        let mut invite = issued(Purpose::Link);
        let (first, second, exporter) = (DeviceId([1; 32]), DeviceId([2; 32]), [9; 32]);
        invite.redeemed_by = Some(first);
        let proof = redeem_proof(&invite.secret, &exporter);
        assert_eq!(
            serve(Some(&invite), &proof, &exporter, &second, NOW),
            Err(Refusal::AlreadyUsed)
        );
        assert!(
            serve(Some(&invite), &proof, &exporter, &first, NOW).is_ok(),
            "the same joiner may ask again"
        );
    }

    #[test]
    fn an_expired_invite_is_refused() {
        let mut invite = issued(Purpose::Buddy);
        invite.expires_at = NOW.secs();
        let (joiner, exporter) = (DeviceId([1; 32]), [9; 32]);
        let proof = redeem_proof(&invite.secret, &exporter);
        assert_eq!(
            serve(Some(&invite), &proof, &exporter, &joiner, NOW),
            Err(Refusal::Expired)
        );
    }

    fn code(purpose: Purpose, inviter: u8, expires_at: u64) -> InviteCode {
        InviteCode {
            purpose,
            secret: [5; 16],
            inviter: [inviter; 32],
            addrs: vec![],
            others: vec![],
            expires_at,
        }
    }

    #[test]
    fn the_joiner_refuses_what_is_certainly_wrong() {
        let later = NOW.secs() + 60;
        let new = Joiner {
            me: DeviceId([1; 32]),
            home_devices: vec![DeviceId([1; 32])],
            buddy_with_inviter: None,
            has_buddies: false,
        };
        assert!(check(&code(Purpose::Buddy, 7, later), &new, NOW).is_ok());
        assert!(check(&code(Purpose::Link, 7, later), &new, NOW).is_ok());
        assert!(matches!(
            check(&code(Purpose::Buddy, 7, NOW.secs()), &new, NOW),
            Err(Error::InviteExpired)
        ));
        assert!(matches!(
            check(&code(Purpose::Buddy, 1, later), &new, NOW),
            Err(Error::OwnInvite)
        ));
        // Already a member: the inviter is one of my devices, or already my buddy.
        let linked = Joiner {
            home_devices: vec![DeviceId([1; 32]), DeviceId([7; 32])],
            ..new.clone()
        };
        assert!(matches!(
            check(&code(Purpose::Link, 7, later), &linked, NOW),
            Err(Error::AlreadyLinked)
        ));
        assert!(matches!(
            check(&code(Purpose::Buddy, 7, later), &linked, NOW),
            Err(Error::OwnInvite)
        ));
        let buddies = Joiner {
            buddy_with_inviter: Some("Amy".into()),
            has_buddies: true,
            ..new.clone()
        };
        assert!(matches!(
            check(&code(Purpose::Buddy, 7, later), &buddies, NOW),
            Err(Error::AlreadyBuddies { ref name }) if name == "Amy"
        ));
        // A device with buddies or other devices is not new: it cannot be linked.
        assert!(matches!(
            check(&code(Purpose::Link, 8, later), &buddies, NOW),
            Err(Error::NotNew)
        ));
        let with_other_device = Joiner {
            home_devices: vec![DeviceId([1; 32]), DeviceId([3; 32])],
            ..new
        };
        assert!(matches!(
            check(&code(Purpose::Link, 8, later), &with_other_device, NOW),
            Err(Error::NotNew)
        ));
    }

    #[test]
    fn an_answer_of_the_wrong_purpose_is_refused() {
        let welcome = |kind| Welcome {
            kind,
            key: SpaceKey([1; 32]),
            later_keys: vec![],
            root: DeviceId([1; 32]),
            label: String::new(),
            person: PersonId([1; 16]),
            person_name: "Amy".into(),
        };
        assert!(accept(Purpose::Link, &welcome(SpaceKind::Home)).is_ok());
        assert!(accept(Purpose::Buddy, &welcome(SpaceKind::Buddy)).is_ok());
        for (purpose, kind) in [
            (Purpose::Link, SpaceKind::Buddy),
            (Purpose::Buddy, SpaceKind::Home),
        ] {
            assert!(matches!(
                accept(purpose, &welcome(kind)),
                Err(Error::Refused { .. })
            ));
        }
    }

    #[test]
    fn refusals_become_the_joiners_errors() {
        assert!(matches!(
            Error::from(Refusal::Expired),
            Error::InviteExpired
        ));
        assert!(matches!(
            Error::from(Refusal::AlreadyUsed),
            Error::InviteAlreadyUsed
        ));
        assert!(matches!(
            Error::from(Refusal::WrongPurpose),
            Error::Refused { .. }
        ));
        assert!(matches!(
            Error::from(Refusal::Unknown),
            Error::Refused { .. }
        ));
    }
}
