//! Invites on this device: issuing them, the joiner's check and acceptance, and serving a redemption. The
//! rules are in `invite::redeem`; here they meet the store, each decision and what it writes in one
//! transaction, so that a code is served once however many connections redeem it at the same moment.

use super::Engine;
use crate::chat::{self, Event};
use crate::error::{Error, Result};
use crate::ids::{DeviceId, Now, PersonId};
use crate::invite::redeem::{self, Joiner, Redeem, Refusal, Welcome};
use crate::invite::{self, Invite, InviteCode, Purpose, Redeemed};
use crate::log::Body;
use crate::replica::Replica;
use crate::space::{SpaceKey, SpaceKind, SpaceState};
use crate::store::{self, Meta};
use rand::RngCore;
use std::net::SocketAddr;

impl Engine {
    /// Issues an invite valid for `ttl_secs` and records it in my home, so every device of mine can serve it.
    pub fn create_invite(
        &self,
        purpose: Purpose,
        label: &str,
        ttl_secs: u64,
        now: Now,
    ) -> Result<Invite> {
        let mut secret = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut secret);
        let expires_at = now.secs() + ttl_secs.min(redeem::max_ttl_secs(purpose));
        let body = Body::InviteIssued {
            id: invite::invite_id(&secret),
            secret: invite::InviteSecret(secret),
            purpose,
            label: label.to_string(),
            expires_at,
        };
        self.append(&self.home(), body, now)?;
        let code = InviteCode {
            purpose,
            secret,
            inviter: self.me.0,
            addrs: self.invite_addrs()?,
            others: self.invite_other_devices()?,
            expires_at,
        };
        Ok(Invite {
            code: code.to_text(),
            uri: code.to_uri(),
            qr: code.qr(),
            purpose,
            expires_at,
        })
    }

    /// The addresses an invite carries: where the network listens, or where it listened last.
    fn invite_addrs(&self) -> Result<Vec<SocketAddr>> {
        let listening = self.listening();
        if !listening.is_empty() {
            return Ok(listening);
        }
        store::peer_addrs(&*self.store.read()?, &self.me)
    }

    /// My other devices that can serve an invite of mine (they learn it from the home space), each with the
    /// address it was last seen at, most recently seen first.
    fn invite_other_devices(&self) -> Result<Vec<([u8; 32], SocketAddr)>> {
        let c = self.store.read()?;
        let mut others: Vec<(u64, [u8; 32], SocketAddr)> = Vec::new();
        for (member, _) in store::members(&c, &self.home())? {
            if member.device == self.me || !member.is_current() {
                continue;
            }
            if let Some(addr) = store::peer_addrs(&c, &member.device)?.first() {
                let seen = store::peer_last_seen(&c, &member.device)?.unwrap_or(0);
                others.push((seen, member.device.0, *addr));
            }
        }
        others.sort_by_key(|o| std::cmp::Reverse(o.0));
        Ok(others.into_iter().map(|(_, d, a)| (d, a)).collect())
    }

    /// Joiner side, before going online: refuses what is certainly wrong without spending the invite.
    pub fn check_code(&self, code: &InviteCode, now: Now) -> Result<()> {
        let c = self.store.read()?;
        let inviter = DeviceId(code.inviter);
        let home_devices = store::members(&c, &self.home())?
            .into_iter()
            .map(|(m, _)| m.device)
            .collect();
        let spaces = store::spaces(&c)?;
        let mut buddy_with_inviter = None;
        for space in spaces
            .iter()
            .filter(|s| s.kind == SpaceKind::Buddy && s.state == SpaceState::Active)
        {
            // The root is known from the welcome at once; other members only once they have synced.
            if space.root == inviter || store::member(&c, &space.id, &inviter)?.is_some() {
                let name = chat::buddy_person(&c, &space.id, &self.person())?
                    .map(|(_, n)| n)
                    .unwrap_or_default();
                buddy_with_inviter = Some(name);
                break;
            }
        }
        let joiner = Joiner {
            me: self.me,
            home_devices,
            buddy_with_inviter,
            has_buddies: spaces.iter().any(|s| s.kind == SpaceKind::Buddy),
        };
        redeem::check(code, &joiner, now)
    }

    /// Joiner side: the request that redeems `code` on a connection with this exporter value.
    pub fn redeem_request(&self, code: &InviteCode, exporter: &[u8; 32]) -> Result<Redeem> {
        let me = self.me()?;
        Ok(Redeem {
            invite_id: invite::invite_id(&code.secret),
            proof: invite::redeem_proof(&code.secret, exporter),
            device_name: me.device_name,
            person: self.person(),
            person_name: me.person_name,
        })
    }

    /// Serving side: `joiner` proved an invite over `exporter`. Decides, records the redemption and builds
    /// the answer in one transaction; a failure here refuses as `Unknown` and leaves nothing behind.
    pub fn serve_redeem(
        &self,
        joiner: DeviceId,
        request: &Redeem,
        exporter: &[u8; 32],
        now: Now,
    ) -> std::result::Result<Welcome, Refusal> {
        let device_name =
            super::validate_name(&request.device_name).unwrap_or_else(|_| "device".into());
        let person_name = self.my_person_name();
        let home = self.home();
        let served = self.write(now, |r| {
            let issued = store::invite_get(r.conn, &request.invite_id)?;
            let issued =
                match redeem::serve(issued.as_ref(), &request.proof, exporter, &joiner, now) {
                    Ok(issued) => issued,
                    Err(refusal) => return Ok(Err(refusal)),
                };
            let issuer_current = match issued.issuer {
                Some(issuer) => {
                    store::member(r.conn, &home, &issuer)?.is_some_and(|m| m.is_current())
                }
                None => false,
            };
            let mut joiner_removed = false;
            for space in store::spaces(r.conn)? {
                joiner_removed |=
                    store::member(r.conn, &space.id, &joiner)?.is_some_and(|m| !m.is_current());
            }
            if let Err(refusal) = redeem::standing(issuer_current, joiner_removed) {
                return Ok(Err(refusal));
            }
            // A joiner claiming my own person would speak for me in the buddy space.
            if issued.purpose == Purpose::Buddy && request.person == r.person {
                return Ok(Err(Refusal::Unknown));
            }
            let welcome = match issued.purpose {
                Purpose::Link => welcome_device(r, joiner, &device_name, person_name.clone())?,
                Purpose::Buddy => match again_buddy(r, issued, &joiner, &person_name)? {
                    // The same joiner again (its first answer may have been lost): the same space.
                    Some(welcome) => welcome,
                    None => welcome_buddy(
                        r,
                        joiner,
                        request.person,
                        &device_name,
                        &issued.label,
                        person_name.clone(),
                    )?,
                },
            };
            let redeemed = Body::InviteRedeemed {
                id: request.invite_id,
                by: joiner,
            };
            r.append_to(&home, &redeemed)?;
            Ok(Ok(welcome))
        });
        served.unwrap_or_else(|e| {
            log::warn!("serving a redemption failed: {e}");
            Err(Refusal::Unknown)
        })
    }

    /// Joiner side: installs what the serving device sent, in one transaction.
    pub fn accept_welcome(&self, welcome: Welcome, purpose: Purpose, now: Now) -> Result<Redeemed> {
        redeem::accept(purpose, &welcome)?;
        let addrs = self.listening();
        let id = welcome.key.space_id();
        match welcome.kind {
            SpaceKind::Home => {
                let old_home = self.home();
                self.write(now, |r| {
                    let c = r.conn;
                    store::space_delete(c, &old_home)?;
                    let (key, root) = (&welcome.key, welcome.root);
                    store::space_insert(c, key, SpaceKind::Home, root, &welcome.label, now)?;
                    for key in &welcome.later_keys {
                        store::space_key_add(c, &id, key)?;
                    }
                    // Known at once from the welcome; the inviter's Hello confirms it on sync.
                    store::person_set_name(c, &id, &welcome.person, &welcome.person_name)?;
                    store::meta_set(c, Meta::Person, &welcome.person.0)?;
                    store::meta_set(c, Meta::Home, &id.0)?;
                    r.person = welcome.person;
                    if !addrs.is_empty() {
                        r.append_to(&id, &Body::Addresses { addrs })?;
                    }
                    Ok(())
                })?;
                self.set_identity(welcome.person, id);
                Ok(Redeemed::Linked {
                    person_name: welcome.person_name,
                })
            }
            SpaceKind::Buddy => {
                let (person, home) = (self.person(), self.home());
                let my_name = self.my_person_name();
                self.write(now, |r| {
                    let c = r.conn;
                    let (key, root) = (&welcome.key, welcome.root);
                    store::space_insert(c, key, SpaceKind::Buddy, root, &welcome.label, now)?;
                    // Listed at once under the name the inviter sent; its Hello confirms it on sync.
                    store::person_set_name(c, &id, &welcome.person, &welcome.person_name)?;
                    r.events.push(Event::BuddyAdded {
                        buddy_id: id.into(),
                        name: welcome.person_name.clone(),
                    });
                    r.append_to(
                        &id,
                        &Body::Hello {
                            person,
                            name: my_name,
                        },
                    )?;
                    if !addrs.is_empty() {
                        r.append_to(&id, &Body::Addresses { addrs })?;
                    }
                    let joined = Body::SpaceJoined {
                        kind: SpaceKind::Buddy,
                        key: welcome.key.clone(),
                        root: welcome.root,
                        label: welcome.label.clone(),
                    };
                    r.append_to(&home, &joined)?;
                    Ok(())
                })?;
                Ok(Redeemed::Buddy {
                    buddy_id: id.into(),
                    name: welcome.person_name,
                })
            }
        }
    }
}

/// Serving a link: the joiner becomes a device of my person in my home space.
fn welcome_device(
    r: &mut Replica,
    joiner: DeviceId,
    name: &str,
    person_name: String,
) -> Result<Welcome> {
    let home_id = home_of(r)?;
    let person = r.person;
    if store::member(r.conn, &home_id, &joiner)?.is_none() {
        let added = Body::MemberAdded {
            device: joiner,
            person,
            name: name.to_string(),
        };
        r.append_to(&home_id, &added)?;
    }
    let home = store::space_get(r.conn, &home_id)?.ok_or(Error::Closed)?;
    Ok(Welcome {
        kind: SpaceKind::Home,
        later_keys: home.keys[1..].to_vec(),
        key: home.key,
        root: home.root,
        label: home.label,
        person,
        person_name,
    })
}

/// Serving a buddy invite: a new buddy space of me and the joiner, joined in my home.
fn welcome_buddy(
    r: &mut Replica,
    joiner: DeviceId,
    joiner_person: PersonId,
    name: &str,
    label: &str,
    person_name: String,
) -> Result<Welcome> {
    let home = home_of(r)?;
    let (me, person) = (r.me, r.person);
    let listed = store::members(r.conn, &home)?
        .into_iter()
        .find(|(m, _)| m.device == me)
        .map(|(_, n)| n);
    let device_name = match listed {
        Some(name) => name,
        None => store::meta_get(r.conn, Meta::DeviceName)?
            .and_then(|n| String::from_utf8(n).ok())
            .unwrap_or_default(),
    };
    let key = SpaceKey::generate();
    let id = key.space_id();
    store::space_insert(r.conn, &key, SpaceKind::Buddy, me, label, r.now)?;
    let bodies = [
        Body::MemberAdded {
            device: me,
            person,
            name: device_name,
        },
        Body::Hello {
            person,
            name: person_name.clone(),
        },
        Body::MemberAdded {
            device: joiner,
            person: joiner_person,
            name: name.to_string(),
        },
    ];
    for body in &bodies {
        r.append_to(&id, body)?;
    }
    let joined = Body::SpaceJoined {
        kind: SpaceKind::Buddy,
        key: key.clone(),
        root: me,
        label: label.to_string(),
    };
    r.append_to(&home, &joined)?;
    Ok(Welcome {
        kind: SpaceKind::Buddy,
        later_keys: Vec::new(),
        key,
        root: me,
        label: label.to_string(),
        person,
        person_name,
    })
}

/// The buddy space an earlier redemption of `issued` by `joiner` made, as a Welcome, if there is one: an
/// active buddy space I root in which the joiner is a current member.
fn again_buddy(
    r: &Replica,
    issued: &redeem::Issued,
    joiner: &DeviceId,
    person_name: &str,
) -> Result<Option<Welcome>> {
    if issued.redeemed_by != Some(*joiner) {
        return Ok(None);
    }
    for space in store::spaces(r.conn)? {
        if space.kind != SpaceKind::Buddy || space.state != SpaceState::Active || space.root != r.me
        {
            continue;
        }
        if store::member(r.conn, &space.id, joiner)?.is_some_and(|m| m.is_current()) {
            return Ok(Some(Welcome {
                kind: SpaceKind::Buddy,
                later_keys: space.keys[1..].to_vec(),
                key: space.key.clone(),
                root: space.root,
                label: space.label.clone(),
                person: r.person,
                person_name: person_name.to_string(),
            }));
        }
    }
    Ok(None)
}

/// My home space, as this transaction sees it.
fn home_of(r: &Replica) -> Result<crate::ids::SpaceId> {
    store::meta_get(r.conn, Meta::Home)?
        .and_then(|h| h.try_into().ok())
        .map(crate::ids::SpaceId)
        .ok_or_else(|| Error::Storage("identity is incomplete".into()))
}
