//! Who holds a data dir: the holder (`run` or the UI) takes `DIR/control.lock` and serves `DIR/control.sock`
//! (owner-only), one JSON request line in, one JSON response line out; every other command either talks to
//! that socket or, when nothing holds the dir, takes the lock itself for its short life and opens the store.

use crate::session::{Request, Session};
use serde_json::{json, Value};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// How long a command waits for a holder that is starting, or for a direct command to finish.
const ACQUIRE_DEADLINE: Duration = Duration::from_secs(15);

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

fn open_lock(dir: &Path) -> Result<File, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the data dir {}: {e}", dir.display()))?;
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
        .map_err(|e| format!("cannot open the lock file in {}: {e}", dir.display()))
}

/// Finds the holder of `dir`, or takes the lock to work on the store directly.
pub async fn acquire(dir: &Path) -> Result<Access, String> {
    let lock = open_lock(dir)?;
    let sock = socket_path(dir);
    let start = Instant::now();
    loop {
        if sock.exists() && UnixStream::connect(&sock).await.is_ok() {
            return Ok(Access::Remote(sock));
        }
        if lock.try_lock().is_ok() {
            return Ok(Access::Direct(lock));
        }
        if start.elapsed() > ACQUIRE_DEADLINE {
            return Err(format!(
                "{} is held by another clearchat that does not answer on its control socket",
                dir.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends one request to the holder's socket and returns its result.
pub async fn request(sock: &Path, req: &Request) -> Result<Value, String> {
    let stream = UnixStream::connect(sock)
        .await
        .map_err(|e| format!("cannot reach the running clearchat: {e}"))?;
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_string(req).map_err(|e| e.to_string())?;
    line.push('\n');
    write
        .write_all(line.as_bytes())
        .await
        .map_err(|e| format!("cannot talk to the running clearchat: {e}"))?;
    let mut reply = String::new();
    BufReader::new(read)
        .read_line(&mut reply)
        .await
        .map_err(|e| format!("cannot read from the running clearchat: {e}"))?;
    let reply: Value = serde_json::from_str(&reply)
        .map_err(|_| "the running clearchat closed the connection".to_string())?;
    match reply.get("error").and_then(Value::as_str) {
        Some(error) => Err(error.to_string()),
        None => Ok(reply.get("ok").cloned().unwrap_or(Value::Null)),
    }
}

/// The holder's side: the lock and the socket, removed again on drop.
pub struct Holder {
    sock: PathBuf,
    _lock: File,
}

impl Holder {
    /// Takes `dir` for a long-lived holder and binds the control socket.
    pub async fn take(dir: &Path) -> Result<(Holder, UnixListener), String> {
        let lock = open_lock(dir)?;
        let start = Instant::now();
        while lock.try_lock().is_err() {
            if start.elapsed() > ACQUIRE_DEADLINE {
                return Err(format!(
                    "another clearchat (run or the terminal UI) already holds {}",
                    dir.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let sock = socket_path(dir);
        // Whoever made it is gone: we hold the lock.
        let _ = std::fs::remove_file(&sock);
        let listener = UnixListener::bind(&sock)
            .map_err(|e| format!("cannot open the control socket {}: {e}", sock.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot protect the control socket: {e}"))?;
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
        let session = session.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let reply = match serde_json::from_str::<Request>(&line) {
                    Ok(req) => match session.execute(req).await {
                        Ok(v) => json!({ "ok": v }),
                        Err(e) => json!({ "error": e }),
                    },
                    Err(e) => json!({ "error": format!("bad request: {e}") }),
                };
                let mut out = reply.to_string();
                out.push('\n');
                if write.write_all(out.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
    }
}
