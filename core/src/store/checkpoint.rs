//! WAL checkpoints off the writer's path, and off a burst of writes. SQLite's automatic checkpoint runs
//! inside the commit that crosses its threshold, so every thousandth page or so one send or one received
//! batch pays for copying the WAL into the database and an fsync. Instead, a commit hook notes the WAL's
//! size and nudges a thread with its own connection, which runs a passive checkpoint (it never blocks the
//! writer or readers) once the writes pause for [`QUIET`], or at once when the WAL grew to
//! [`WAL_MAX_PAGES`]: a catch-up is not slowed by copying what it just wrote (on 2 cores the checkpoint
//! took 14% of the CPU of a 100k catch-up), it is copied right after. The thread sleeps on a channel:
//! nothing ticks while nothing is written.

use rusqlite::{ffi, Connection};
use std::os::raw::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

/// WAL size, in pages, from which a commit asks for a checkpoint (SQLite's own default threshold).
const CHECKPOINT_PAGES: c_int = 1000;
/// WAL size, in pages (64 MiB), at which a checkpoint runs without waiting for the writes to pause.
const WAL_MAX_PAGES: c_int = 16 * 1024;
/// How long the writes must pause for a checkpoint below [`WAL_MAX_PAGES`].
const QUIET: Duration = Duration::from_millis(200);

/// Owns the checkpoint thread of one connection. Drop it after that connection is closed.
pub struct Checkpointer {
    /// Boxed so the hook's argument keeps its address; read by the hook on every commit.
    nudge: Box<SyncSender<c_int>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread and hooks `conn`'s commits. `path` is the database file `conn` has open.
    pub fn start(conn: &Connection, path: &Path) -> crate::error::Result<Checkpointer> {
        let checkpoints = Connection::open(path)?;
        let (nudge, nudges) = sync_channel::<c_int>(1);
        let thread = std::thread::Builder::new()
            .name("clearchat-checkpoint".into())
            .spawn(move || run(checkpoints, nudges))
            .map_err(|e| {
                crate::Error::Storage(format!("cannot start the checkpoint thread: {e}"))
            })?;
        let nudge = Box::new(nudge);
        let arg = &*nudge as *const SyncSender<c_int> as *mut c_void;
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
        let nudge = unsafe { &*(arg as *const SyncSender<c_int>) };
        // Full means the thread has not taken the last nudge yet: it will see this commit as a later one.
        let _ = nudge.try_send(pages);
    }
    ffi::SQLITE_OK
}

fn run(conn: Connection, nudges: Receiver<c_int>) {
    while let Ok(mut pages) = nudges.recv() {
        // Wait while commits keep coming, unless the WAL is already large.
        while pages < WAL_MAX_PAGES {
            match nudges.recv_timeout(QUIET) {
                Ok(more) => pages = more,
                Err(RecvTimeoutError::Timeout) => break,
                // Closing: the last connection checkpoints as it closes.
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            log::warn!("WAL checkpoint failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CHECKPOINT_PAGES;
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
        let batches = 48u64;
        for batch in 0..batches {
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
        // 24 MiB written, more than a checkpoint waits for; wait for a checkpoint's worth in the file.
        let start = Instant::now();
        while std::fs::metadata(&path).unwrap().len() < (CHECKPOINT_PAGES as u64) * 4096 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no checkpoint copied the WAL into the database file"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(s);
        let s = Store::open(&path).unwrap();
        let last = batches * 8 - 1;
        let held = store::entries_after(&s.read().unwrap(), &space, &author, last, 1).unwrap();
        assert_eq!(held, vec![blob]);
    }
}
