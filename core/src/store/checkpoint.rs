//! WAL checkpoints off the writer's path. SQLite's automatic checkpoint runs inside the commit that
//! crosses its threshold, so every thousandth page or so one send or one received batch pays for
//! copying the WAL into the database and an fsync. Instead, a commit hook notes the WAL's size and
//! nudges a thread with its own connection, which runs a passive checkpoint (it never blocks the
//! writer or readers). The thread sleeps on a channel: nothing ticks while nothing is written.

use rusqlite::{ffi, Connection};
use std::os::raw::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// WAL size, in pages, from which a commit asks for a checkpoint (SQLite's own default threshold).
const CHECKPOINT_PAGES: c_int = 1000;

/// Owns the checkpoint thread of one connection. Drop it after that connection is closed.
pub struct Checkpointer {
    /// Boxed so the hook's argument keeps its address; read by the hook on every commit.
    nudge: Box<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread and hooks `conn`'s commits. `path` is the database file `conn` has open.
    pub fn start(conn: &Connection, path: &Path) -> crate::error::Result<Checkpointer> {
        let checkpoints = Connection::open(path)?;
        let (nudge, nudges) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("clearchat-checkpoint".into())
            .spawn(move || run(checkpoints, nudges))
            .map_err(|e| {
                crate::Error::Storage(format!("cannot start the checkpoint thread: {e}"))
            })?;
        let nudge = Box::new(nudge);
        let arg = &*nudge as *const SyncSender<()> as *mut c_void;
        // SAFETY: `arg` points into the box, which lives until `self` drops; the store closes the
        // connection, which unhooks it, before it drops `self` (field order in `Store`). Installing a
        // WAL hook also turns SQLite's automatic checkpoint off for this connection.
        unsafe {
            ffi::sqlite3_wal_hook(conn.handle(), Some(on_commit), arg);
        }
        Ok(Checkpointer {
            nudge,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel ends the thread; its connection, the last one, checkpoints on close.
        let (closed, _) = sync_channel(1);
        drop(std::mem::replace(&mut *self.nudge, closed));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Called by SQLite after each commit with the number of pages in the WAL.
unsafe extern "C" fn on_commit(
    arg: *mut c_void,
    _db: *mut ffi::sqlite3,
    _name: *const c_char,
    pages: c_int,
) -> c_int {
    if pages >= CHECKPOINT_PAGES {
        // SAFETY: `arg` is the `SyncSender` boxed in `Checkpointer`, alive while the hook is installed.
        let nudge = unsafe { &*(arg as *const SyncSender<()>) };
        // Full means a checkpoint is already asked for.
        let _ = nudge.try_send(());
    }
    ffi::SQLITE_OK
}

fn run(conn: Connection, nudges: Receiver<()>) {
    while nudges.recv().is_ok() {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            log::warn!("WAL checkpoint failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ids::{DeviceId, Hash, SpaceId};
    use crate::store::{self, Store};
    use std::time::{Duration, Instant};

    /// Commits never checkpoint (the hook turned that off), yet the database file fills up: the
    /// checkpoint thread copied the WAL into it. Without the thread, every page would stay in the WAL.
    #[test]
    fn the_wal_reaches_the_database_file_off_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let s = Store::open(&path).unwrap();
        let blob = vec![7u8; 64 * 1024];
        let (space, author) = (SpaceId([1; 32]), DeviceId([2; 32]));
        for batch in 0..20u64 {
            s.write(|c| {
                for i in 0..8 {
                    store::entry_insert(
                        c,
                        &space,
                        &author,
                        batch * 8 + i + 1,
                        &Hash([0; 32]),
                        &blob,
                    )?;
                }
                Ok(())
            })
            .unwrap();
        }
        // 10 MiB written; wait for most of it to land in the database file.
        let start = Instant::now();
        while std::fs::metadata(&path).unwrap().len() < 8 << 20 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no checkpoint copied the WAL into the database file"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(s);
        let s = Store::open(&path).unwrap();
        let held = store::entries_after(&s.read().unwrap(), &space, &author, 159, 1).unwrap();
        assert_eq!(held, vec![blob]);
    }
}
