//! The engine of one device: its identity, its store, the event bus, and the fan-out of what each write did
//! (events to subscribers, commands to the network, reconciliation of my spaces with my home). It knows
//! nothing of the network: it sends [`Command`]s on a bus that the network's tasks subscribe to, and the
//! network calls the operations in `peers`. The operations of the API are in `ops` and `invites`.
//!
//! # Threading model
//!
//! - The core's tokio runtime (two workers, shared by every client of the process) runs the network: the
//!   accept loop, the dialer, LAN beacons, and per connection a driver task and a reader task.
//! - API calls run on the runtime's blocking pool; a connection driver stores a batch through
//!   `block_in_place`. Each store has a checkpoint thread of its own.
//! - Ownership: the engine owns the store (the writer connection behind a mutex, a pool of read-only
//!   connections for queries). Each connection's driver owns its sync session, its offer state and a
//!   read-only connection of its own, so its reads take no lock. The network owns the endpoint and the
//!   table of connections.
//! - Locks: the writer's mutex is held for exactly one transaction ([`Engine::write`]) and the telling of
//!   what it did (events and commands go out in the order of the commits). Every other lock (identity,
//!   presence, the buses, the reader pool) is held for a few instructions. The order is writer ->
//!   presence -> a bus; nothing takes a lock to the left of one it holds.

mod bus;
mod invites;
mod ops;
mod peers;
mod reconcile;

pub use bus::{Bus, Subscription};
pub use ops::validate_name;
pub use peers::LogReader;

use crate::chat::Event;
use crate::error::{Error, Result};
use crate::ids::{DeviceId, Hash, Now, PersonId, SpaceId};
use crate::lock;
use crate::log::Body;
use crate::replica::{Effects, Replica};
use crate::secret::{self, SecretStore};
use crate::space::{SpaceKey, SpaceKind};
use crate::store::{self, Meta, Store};
use crate::sync::Head;
use ed25519_dalek::SigningKey;
use rand::RngCore;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What the engine tells the network's tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A log grew here (written here or received from any peer): its head is now this one.
    Grown(SpaceId, Head),
    /// Membership of a space changed: ask peers to offer again what we refused.
    Resend(SpaceId),
    /// My set of spaces, or who is in them, changed: exchange offers again.
    Reoffer,
    /// Devices to reach, or their addresses, changed: the dialer should look again.
    Dial,
}

struct Identity {
    person: PersonId,
    home: SpaceId,
}

pub struct Engine {
    pub dir: PathBuf,
    pub store: Store,
    pub signer: SigningKey,
    pub me: DeviceId,
    identity: Mutex<Identity>,
    /// Who is connected and how the others are reached (see `peers`).
    presence: Mutex<peers::Presence>,
    /// Where the network can be reached, while it runs (`Engine::reachable_at`).
    listening: Mutex<Vec<SocketAddr>>,
    /// Per buddy space, the seq of my log up to which every message is known delivered (a cache that
    /// spares a write for each acknowledgement of what is delivered already).
    delivered: Mutex<HashMap<SpaceId, u64>>,
    pub events: Bus<Event>,
    pub commands: Bus<Command>,
}

/// Makes the data dir the owner's alone (0700; failing to is an error). A store file that earlier versions
/// created 0644 inside a dir that was already private was never readable by others: it is made 0600 here.
/// One in a dir others could enter is left as it is, and [`Store::open`] refuses it.
fn make_private(dir: &Path, store: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
        let dir_was_private = mode(dir).is_ok_and(|m| m & 0o077 == 0);
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
            Error::Storage(format!("make the data dir {} private: {e}", dir.display()))
        })?;
        if dir_was_private && mode(store).is_ok_and(|m| m & 0o077 != 0) {
            for suffix in ["", "-wal", "-shm"] {
                let file = PathBuf::from(format!("{}{suffix}", store.display()));
                if file.exists() {
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| {
                            Error::Storage(format!("make {} private: {e}", file.display()))
                        })?;
                }
            }
            log::info!("made the store file private (0600)");
        }
    }
    Ok(())
}

impl Engine {
    /// Opens (or creates) the device in `dir`; `device_name` names a new device. With a secret store
    /// (a phone's keystore) the device key is kept sealed by it: a new device is created so, and a store
    /// holding the key in the clear is moved to it. A store whose key is sealed opens only with the secret
    /// store that sealed it; otherwise it is left untouched and the error says why.
    pub fn open(
        dir: &Path,
        device_name: &str,
        secrets: Option<&dyn SecretStore>,
        now: Now,
    ) -> Result<Engine> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("clearchat.db");
        make_private(dir, &path)?;
        let store = Store::open(&path)?;
        let (signer, identity) = match Self::stored_identity(&store, secrets)? {
            Some(found) => found,
            None => Self::create(&store, &validate_name(device_name)?, secrets, now)?,
        };
        let me = DeviceId(signer.verifying_key().to_bytes());
        log::info!("opened device {} in {}", me.short(), dir.display());
        Ok(Engine {
            dir: dir.to_path_buf(),
            store,
            signer,
            me,
            identity: Mutex::new(identity),
            presence: Mutex::new(peers::Presence::default()),
            listening: Mutex::new(Vec::new()),
            delivered: Mutex::new(HashMap::new()),
            events: Bus::new(),
            commands: Bus::new(),
        })
    }

    /// The device key and identity the store holds (None: a new store), unsealing the key or moving it
    /// into `secrets` as needed (see [`Engine::open`]).
    fn stored_identity(
        store: &Store,
        secrets: Option<&dyn SecretStore>,
    ) -> Result<Option<(SigningKey, Identity)>> {
        let c = store.read()?;
        let signer = match store::meta_get(&c, Meta::DeviceSecretSealed)? {
            Some(sealed) => secret::unseal(secrets, &sealed)?,
            None => {
                let Some(secret) = store::meta_get(&c, Meta::DeviceSecret)? else {
                    return Ok(None);
                };
                let secret: [u8; 32] = secret
                    .try_into()
                    .map_err(|_| Error::Storage("device key is damaged".into()))?;
                SigningKey::from_bytes(&secret)
            }
        };
        let person = store::meta_get(&c, Meta::Person)?
            .and_then(|p| p.try_into().ok())
            .map(PersonId);
        let home = store::meta_get(&c, Meta::Home)?
            .and_then(|h| h.try_into().ok())
            .map(SpaceId);
        let (Some(person), Some(home)) = (person, home) else {
            return Err(Error::Storage("identity is incomplete".into()));
        };
        let plain = store::meta_get(&c, Meta::DeviceSecret)?.is_some();
        drop(c);
        if let (Some(secrets), true) = (secrets, plain) {
            // The device opens with the key it has either way; one the keystore cannot take now (locked,
            // failing) is moved on a later open.
            if let Err(e) = Self::seal_stored_key(store, secrets, &signer) {
                log::warn!("the device key stays in the store for now: {e}");
            }
        }
        Ok(Some((signer, Identity { person, home })))
    }

    /// Moves a device key kept in the clear into the secret store: the sealed key is written and the
    /// clear one deleted in one transaction, then the store is rewritten so that no copy of the clear key
    /// stays in a free page of the file or in the write-ahead log. (If the rewrite fails, on a full disk,
    /// the key is sealed all the same and the old copy stays until SQLite reuses its page.)
    fn seal_stored_key(
        store: &Store,
        secrets: &dyn SecretStore,
        signer: &SigningKey,
    ) -> Result<()> {
        let sealed = secret::seal(secrets, signer)?;
        store.write(|c| {
            store::meta_set(c, Meta::DeviceSecretSealed, &sealed)?;
            store::meta_delete(c, Meta::DeviceSecret)
        })?;
        log::info!("moved the device key into the keystore");
        if let Err(e) = store.scrub() {
            log::warn!("rewriting the store after moving the device key out of it: {e}");
        }
        Ok(())
    }

    /// A new device: its key, a new person, and a home space holding only it, in one transaction. The key
    /// is sealed by `secrets` if there is one, and in the clear otherwise.
    fn create(
        store: &Store,
        name: &str,
        secrets: Option<&dyn SecretStore>,
        now: Now,
    ) -> Result<(SigningKey, Identity)> {
        let signer = SigningKey::generate(&mut rand::thread_rng());
        let sealed = secrets.map(|s| secret::seal(s, &signer)).transpose()?;
        let mut person = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut person);
        let person = PersonId(person);
        let me = DeviceId(signer.verifying_key().to_bytes());
        let home = SpaceKey::generate();
        store.write(|c| {
            match &sealed {
                Some(sealed) => store::meta_set(c, Meta::DeviceSecretSealed, sealed)?,
                None => store::meta_set(c, Meta::DeviceSecret, signer.as_bytes())?,
            }
            store::meta_set(c, Meta::DeviceName, name.as_bytes())?;
            store::meta_set(c, Meta::Person, &person.0)?;
            store::meta_set(c, Meta::Home, &home.space_id().0)?;
            store::space_insert(c, &home, SpaceKind::Home, me, "home", now)?;
            let mut replica = Replica::new(c, &signer, person, now);
            let body = Body::MemberAdded {
                device: me,
                person,
                name: name.to_string(),
            };
            replica.append_to(&home.space_id(), &body)?;
            let hello = Body::Hello {
                person,
                name: name.to_string(),
            };
            replica.append_to(&home.space_id(), &hello)?;
            Ok(())
        })?;
        let home = home.space_id();
        Ok((signer, Identity { person, home }))
    }

    pub fn person(&self) -> PersonId {
        lock(&self.identity).person
    }

    pub fn home(&self) -> SpaceId {
        lock(&self.identity).home
    }

    fn set_identity(&self, person: PersonId, home: SpaceId) {
        *lock(&self.identity) = Identity { person, home };
    }

    /// Where the network can be reached, best first: mapped and public addresses, then the local ones
    /// (empty while it is stopped).
    pub fn listening(&self) -> Vec<SocketAddr> {
        lock(&self.listening).clone()
    }

    /// Runs `f` on a replica in one write transaction at `now`; once it is committed, fans out what it did.
    /// Nothing of a failed write is kept or told.
    pub fn write<T>(&self, now: Now, f: impl FnOnce(&mut Replica) -> Result<T>) -> Result<T> {
        let person = self.person();
        let (value, _, effects) = self.store.write_then(
            |c| {
                let mut replica = Replica::new(c, &self.signer, person, now);
                let value = f(&mut replica)?;
                Ok((value, replica.events, replica.effects))
            },
            // Told before the next write commits, so events and heads go out in the order of the commits.
            |(_, events, effects)| self.tell(events, effects),
        )?;
        if effects.reconcile {
            self.reconcile_logged(now);
        }
        Ok(value)
    }

    /// Reconciles my spaces with my home after a write that changed membership (see `reconcile`).
    fn reconcile_logged(&self, now: Now) {
        if let Err(e) = crate::blocking(|| self.reconcile(now)) {
            log::warn!("reconciling spaces: {e}");
        }
    }

    /// Appends `body` to my log of `space`, in a transaction of its own.
    pub fn append(&self, space: &SpaceId, body: Body, now: Now) -> Result<(u64, u64)> {
        self.write(now, |r| r.append_to(space, &body))
    }

    /// The fan-out of a committed write: events to subscribers and commands to the network. (The
    /// reconciliation of my spaces with my home, when membership changed, follows as a write of its own.)
    fn tell(&self, events: &[Event], effects: &Effects) {
        self.events.send(events);
        // One command per log that grew, at its new head (a batch grows a log by many entries).
        let mut heads: BTreeMap<(SpaceId, DeviceId), (u64, Hash)> = BTreeMap::new();
        for (space, (author, seq, hash)) in &effects.grown {
            let head = heads.entry((*space, *author)).or_insert((*seq, *hash));
            if *seq >= head.0 {
                *head = (*seq, *hash);
            }
        }
        let mut commands: Vec<Command> = heads
            .into_iter()
            .map(|((space, author), (seq, hash))| Command::Grown(space, (author, seq, hash)))
            .collect();
        let mut membership = effects.membership.clone();
        membership.dedup();
        commands.extend(membership.iter().map(|space| Command::Resend(*space)));
        if effects.spaces_changed || !membership.is_empty() {
            commands.push(Command::Reoffer);
        }
        if effects.spaces_changed || !membership.is_empty() || effects.addresses {
            commands.push(Command::Dial);
        }
        self.commands.send(&commands);
    }
}

#[cfg(test)]
mod tests;
