//! The SQLite store: one file per data dir in WAL mode, one writer connection and read-only connections.
//! Entries are kept as received; members, messages, read markers, invites and peer addresses are views
//! maintained from them in the same transaction. Each file below owns one table family; `schema` owns the
//! migrations and `columns` the one conversion of each typed column.
//!
//! Writes go through [`Store::write`]: the writer connection's mutex, taken once per transaction. Queries
//! use [`Store::read`], a pooled read-only connection, and a connection task keeps a read-only connection
//! of its own ([`Store::reader`]): WAL lets readers run while a write is in progress, so neither a page of a
//! conversation nor a peer's sync reads wait for a catch-up batch. An in-memory store (unit tests) has no
//! readers: its reads go through the writer.

mod checkpoint;
mod columns;
mod entries;
mod invites;
mod members;
mod messages;
mod meta;
mod peers;
mod schema;
mod spaces;

pub use entries::*;
pub use invites::*;
pub use members::*;
pub use messages::*;
pub use meta::*;
pub use peers::*;
pub use spaces::*;

use crate::error::{Error, Result};
use crate::lock;
use checkpoint::Checkpointer;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Page cache of the writer, in KiB (SQLite's default is 2 MiB). A catch-up appends to the entries,
/// messages and index trees at once; with 2 MiB their pages kept falling out of the cache and every insert
/// read them back (measured: 100k-message catch-up 2.8 s -> 1.8 s).
const WRITER_CACHE_KIB: i64 = 8 * 1024;
/// Read-only connections kept for queries; more may be open at once, the rest are closed after use.
const POOLED_READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Store {
    /// Declared before `_checkpointer`: the connection must close (and unhook) first.
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// None for an in-memory store.
    path: Option<PathBuf>,
    _checkpointer: Option<Checkpointer>,
}

impl Store {
    /// Opens the store file at `path`, creating it owner-only (0600) if there is none. A store file that
    /// group or others can read is refused: it holds the device's secret key and every message.
    pub fn open(path: &Path) -> Result<Store> {
        private_file(path)?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        schema::migrate(&mut conn)?;
        let checkpointer = Some(Checkpointer::start(&conn, path)?);
        Ok(Store {
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            path: Some(path.to_path_buf()),
            _checkpointer: checkpointer,
        })
    }

    /// A store in memory, for unit tests of what sits on it and the fuzz targets.
    pub fn in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            path: None,
            _checkpointer: None,
        })
    }

    /// Runs `f` in one write transaction on the writer connection: committed if `f` succeeds, rolled back
    /// if it fails (or panics). Reads inside `f` must use the connection it is given.
    pub fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.write_then(f, |_| {})
    }

    /// [`Store::write`], then `committed` runs on the result once it is committed and before the next write
    /// can begin: what it tells others is told in the order of the commits.
    pub fn write_then<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T>,
        committed: impl FnOnce(&T),
    ) -> Result<T> {
        Self::transaction(lock(&self.writer), f, committed)
    }

    /// [`Store::write_then`] if the writer is free at once; otherwise `f` comes back unrun. For a caller
    /// that must not wait (an async task with a small write) and has a slower way to wait.
    pub fn try_write_then<T, F>(&self, f: F, committed: impl FnOnce(&T)) -> Result<Result<T>, F>
    where
        F: FnOnce(&Connection) -> Result<T>,
    {
        match self.writer.try_lock() {
            Ok(conn) => Ok(Self::transaction(conn, f, committed)),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                Ok(Self::transaction(poisoned.into_inner(), f, committed))
            }
            Err(std::sync::TryLockError::WouldBlock) => Err(f),
        }
    }

    fn transaction<T>(
        mut conn: MutexGuard<'_, Connection>,
        f: impl FnOnce(&Connection) -> Result<T>,
        committed: impl FnOnce(&T),
    ) -> Result<T> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        committed(&value);
        Ok(value)
    }

    /// Rewrites the whole file and empties the write-ahead log, so that nothing deleted before is left in
    /// either (after a secret left the store). Slow on a big store: for a one-time move only.
    pub fn scrub(&self) -> Result<()> {
        let conn = lock(&self.writer);
        conn.execute_batch("VACUUM")?;
        if self.path.is_some() {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// A read-only connection for a query, from the pool (the writer, for an in-memory store). It sees
    /// every committed write; hold it only for the query.
    pub fn read(&self) -> Result<Read<'_>> {
        if self.path.is_none() {
            return Ok(Read {
                store: self,
                conn: Held::Writer(lock(&self.writer)),
            });
        }
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => self.reader()?,
        };
        Ok(Read {
            store: self,
            conn: Held::Pooled(Some(conn)),
        })
    }

    /// A read-only connection of one's own, for a task that reads often (a connection's sync session).
    pub fn reader(&self) -> Result<Connection> {
        let path = self
            .path
            .as_deref()
            .ok_or_else(|| Error::Storage("an in-memory store has no readers".into()))?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    }
}

/// A connection for reading, returned to its pool when dropped.
pub struct Read<'a> {
    store: &'a Store,
    conn: Held<'a>,
}

enum Held<'a> {
    Pooled(Option<Connection>),
    Writer(MutexGuard<'a, Connection>),
}

impl Deref for Read<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match &self.conn {
            Held::Pooled(Some(conn)) => conn,
            Held::Writer(conn) => conn,
            Held::Pooled(None) => unreachable!("a pooled connection is taken only on drop"),
        }
    }
}

impl Drop for Read<'_> {
    fn drop(&mut self) {
        if let Held::Pooled(conn) = &mut self.conn {
            let mut pool = lock(&self.store.readers);
            if pool.len() < POOLED_READERS {
                pool.extend(conn.take());
            }
        }
    }
}

/// A transaction that nests: inside an open transaction it joins it, otherwise it begins one. For code
/// that may run inside [`Store::write`] or on its own (the replica, in unit tests).
pub struct Tx<'a>(Option<rusqlite::Transaction<'a>>);

/// Makes sure the store file at `path` is the owner's alone: created 0600 when missing, refused when
/// group or others may read or write it (the mode is the owner's choice to fix, not ours to change).
fn private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(Error::Storage(format!(
                        "the store file {} is readable by other users (mode {mode:03o}); \
                         make it private with `chmod 600` and open it again",
                        path.display()
                    )));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| {
                        Error::Storage(format!("create the store file {}: {e}", path.display()))
                    })?;
            }
            Err(e) => {
                return Err(Error::Storage(format!(
                    "read the store file {}: {e}",
                    path.display()
                )))
            }
        }
    }
    Ok(())
}

pub fn begin(c: &Connection) -> Result<Tx<'_>> {
    Ok(Tx(if c.is_autocommit() {
        Some(c.unchecked_transaction()?)
    } else {
        None
    }))
}

impl Tx<'_> {
    pub fn commit(self) -> Result<()> {
        if let Some(tx) = self.0 {
            tx.commit()?;
        }
        Ok(())
    }
}

/// A seq, a time or an expiry as SQLite stores it. SQLite integers are signed 64-bit: anything above
/// `i64::MAX` is refused rather than stored as a negative number that would read back as another one.
fn int(n: u64) -> rusqlite::Result<i64> {
    i64::try_from(n).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A seq, a time or an expiry read back: a negative one is a damaged row, never wrapped.
fn uint(n: i64) -> rusqlite::Result<u64> {
    u64::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, n))
}

/// A fixed-size blob column.
fn blob<const N: usize>(v: Vec<u8>) -> rusqlite::Result<[u8; N]> {
    v.try_into().map_err(|_| rusqlite::Error::InvalidQuery)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeviceId, Hash, SpaceId};

    /// A reader sees committed writes, never a write in progress, and is not held up by it.
    #[test]
    fn readers_see_commits_and_do_not_wait_for_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let space = SpaceId([1; 32]);
        let author = DeviceId([2; 32]);
        let add =
            move |c: &Connection, seq| entry_insert(c, &space, &author, seq, &Hash([0; 32]), b"x");
        store.write(|c| add(c, 1)).unwrap();
        let reader = store.reader().unwrap();
        let (inside, outside) = std::sync::mpsc::channel();
        let (done, finish) = std::sync::mpsc::channel::<()>();
        let store = &store;
        std::thread::scope(|s| {
            s.spawn(move || {
                store
                    .write(|c| {
                        add(c, 2)?;
                        inside.send(()).unwrap();
                        finish.recv().unwrap();
                        Ok(())
                    })
                    .unwrap();
            });
            outside.recv().unwrap();
            // The writer holds its transaction open: readers answer at once, with the committed state.
            assert_eq!(head(&reader, &space, &author).unwrap().0, 1);
            assert_eq!(head(&store.read().unwrap(), &space, &author).unwrap().0, 1);
            done.send(()).unwrap();
        });
        assert_eq!(head(&reader, &space, &author).unwrap().0, 2);
        assert!(
            reader.execute("DELETE FROM entries", []).is_err(),
            "readers are read-only"
        );
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let store = Store::in_memory().unwrap();
        let space = SpaceId([1; 32]);
        let author = DeviceId([2; 32]);
        let result: Result<()> = store.write(|c| {
            entry_insert(c, &space, &author, 1, &Hash([0; 32]), b"x")?;
            Err(Error::Storage("disk full".into()))
        });
        assert!(result.is_err());
        assert_eq!(entry_count(&store.read().unwrap()).unwrap(), 0);
    }
}
