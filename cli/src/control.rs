//! Who holds a data dir: the holder (`run` or the UI) takes `DIR/control.lock` and serves `DIR/control.sock`
//! (owner-only), one JSON request line in, one JSON reply line out (see `wire`); every other command either talks to
//! that socket or, when nothing holds the dir, takes the lock itself for its short life and opens the store.
//! Only our own user is trusted on either side: a command talks to a socket only if this user owns it, and
//! the holder answers only peers whose `SO_PEERCRED` uid is this user's.

use crate::error::{Error, Result};
use crate::session::Session;
use crate::wire::{Reply, Request, Response};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// How long a command waits for a holder that is starting, or for a direct command to finish.
const ACQUIRE_DEADLINE: Duration = Duration::from_secs(15);

/// This process's effective user id.
fn my_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The socket at `sock` may be talked to: it is a socket, and this user owns it.
fn check_owner(sock: &Path) -> Result<()> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = std::fs::symlink_metadata(sock).map_err(Error::io("look at the control socket"))?;
    if meta.uid() != my_uid() || !meta.file_type().is_socket() {
        return Err(Error::ForeignSocket {
            path: sock.display().to_string(),
            owner: meta.uid(),
        });
    }
    Ok(())
}

/// The peer of a control connection is this user.
fn trusted_peer(stream: &UnixStream) -> bool {
    stream.peer_cred().is_ok_and(|cred| cred.uid() == my_uid())
}

pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join("control.sock")
}

fn lock_path(dir: &Path) -> PathBuf {
    dir.join("control.lock")
}

/// How a command reaches the device in a data dir.
pub enum Access {
    /// A holder is alive: talk to its socket.
    Remote(PathBuf),
    /// Nothing holds the dir: this process holds the lock until the value drops.
    Direct(File),
}

fn open_lock(dir: &Path) -> Result<File> {
    std::fs::create_dir_all(dir)
        .map_err(Error::io(format!("create the data dir {}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(dir))
        .map_err(Error::io(format!(
            "open the lock file in {}",
            dir.display()
        )))
}

/// Finds the holder of `dir`, or takes the lock to work on the store directly.
pub async fn acquire(dir: &Path) -> Result<Access> {
    use std::os::unix::fs::FileTypeExt;
    let lock = open_lock(dir)?;
    let sock = socket_path(dir);
    let start = Instant::now();
    loop {
        // Anything but a socket at the path is the leftover of a killed holder: nobody answers there.
        if sock
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_socket())
        {
            check_owner(&sock)?;
            if UnixStream::connect(&sock).await.is_ok() {
                return Ok(Access::Remote(sock));
            }
        }
        if lock.try_lock().is_ok() {
            return Ok(Access::Direct(lock));
        }
        if start.elapsed() > ACQUIRE_DEADLINE {
            return Err(Error::HolderSilent {
                dir: dir.display().to_string(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends one request to the holder's socket and returns its response.
pub async fn request(sock: &Path, req: &Request) -> Result<Response> {
    check_owner(sock)?;
    let stream = UnixStream::connect(sock)
        .await
        .map_err(Error::io("reach the running clearchat"))?;
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_string(req).map_err(|e| Error::BadRequest {
        reason: e.to_string(),
    })?;
    line.push('\n');
    write
        .write_all(line.as_bytes())
        .await
        .map_err(Error::io("talk to the running clearchat"))?;
    let mut reply = String::new();
    BufReader::new(read)
        .read_line(&mut reply)
        .await
        .map_err(Error::io("read from the running clearchat"))?;
    Response::read(req, &reply)
}

/// The holder's side: the lock and the socket, removed again on drop.
pub struct Holder {
    sock: PathBuf,
    _lock: File,
}

impl Holder {
    /// Takes `dir` for a long-lived holder and binds the control socket.
    pub async fn take(dir: &Path) -> Result<(Holder, UnixListener)> {
        let lock = open_lock(dir)?;
        let start = Instant::now();
        while lock.try_lock().is_err() {
            if start.elapsed() > ACQUIRE_DEADLINE {
                return Err(Error::AlreadyHeld {
                    dir: dir.display().to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let sock = socket_path(dir);
        // Whoever made it is gone: we hold the lock.
        let _ = std::fs::remove_file(&sock);
        let listener = UnixListener::bind(&sock).map_err(Error::io(format!(
            "open the control socket {}",
            sock.display()
        )))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600))
                .map_err(Error::io("protect the control socket"))?;
        }
        Ok((Holder { sock, _lock: lock }, listener))
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sock);
    }
}

/// Serves requests on `listener` until the task is dropped.
pub async fn serve(listener: UnixListener, session: Arc<Session>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        if !trusted_peer(&stream) {
            continue; // another user: dropped unanswered
        }
        let session = session.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let reply = match serde_json::from_str::<Request>(&line) {
                    Ok(req) => match session.execute(req).await {
                        Ok(response) => Reply::Ok(response),
                        Err(e) => Reply::Error(e.to_string()),
                    },
                    Err(e) => Reply::Error(
                        Error::BadRequest {
                            reason: e.to_string(),
                        }
                        .to_string(),
                    ),
                };
                let Ok(mut out) = serde_json::to_string(&reply) else {
                    break;
                };
                out.push('\n');
                if write.write_all(out.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The holder's side: a connection from this user is trusted, one from another user (a child process
    /// switched to uid 4242, when this test runs as root) is not.
    #[tokio::test]
    async fn the_holder_trusts_only_peers_of_its_own_user() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let sock = socket_path(dir.path());
        let listener = UnixListener::bind(&sock).unwrap();
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
        let _mine = UnixStream::connect(&sock).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        assert!(trusted_peer(&stream));
        if my_uid() != 0 {
            return; // switching to another user needs root
        }
        use std::os::unix::process::CommandExt;
        let script = format!(
            "import socket; s = socket.socket(socket.AF_UNIX); s.connect({:?}); s.recv(1)",
            sock.display().to_string()
        );
        let mut other = std::process::Command::new("/usr/bin/python3");
        other.args(["-c", &script]).uid(4242).gid(4242);
        let Ok(mut child) = other.spawn() else {
            return; // no python3 here to play the other user
        };
        let (stream, _) = tokio::time::timeout(Duration::from_secs(20), listener.accept())
            .await
            .expect("the other user connects")
            .unwrap();
        assert!(
            !trusted_peer(&stream),
            "another user's connection was trusted"
        );
        drop(stream);
        let _ = child.wait();
    }

    /// Issue 10 item 12: another local user who can create the control socket (a data dir it can write,
    /// or one it made first) must not have our commands talk to it: a socket owned by another user is
    /// not trusted, whatever it answers.
    #[tokio::test]
    async fn a_control_socket_owned_by_another_user_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let sock = socket_path(dir.path());
        let impostor = UnixListener::bind(&sock).unwrap();
        std::os::unix::fs::chown(&sock, Some(4242), Some(4242)).unwrap();
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
        let serving = tokio::spawn(async move {
            while let Ok((stream, _)) = impostor.accept().await {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(_)) = lines.next_line().await {
                    let _ = write.write_all(b"{\"ok\":\"forged\"}\n").await;
                }
            }
        });
        let access = acquire(dir.path()).await;
        serving.abort();
        match access {
            Err(e) => assert!(e.to_string().contains("owned by"), "a clear reason: {e}"),
            Ok(Access::Remote(_)) => panic!("the command trusted another user's socket"),
            Ok(Access::Direct(_)) => panic!("the command ignored a foreign socket in its data dir"),
        }
    }
}
