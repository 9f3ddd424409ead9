//! The limits each figure is measured against, in the same run: a raw quinn echo on a long-lived stream,
//! one QUIC handshake, batched SQLite inserts; and the process clocks.

use clearchat_core::testing::wire::{client_config, server_config};
use ed25519_dalek::SigningKey;
use std::time::{Duration, Instant};

fn keys() -> (SigningKey, SigningKey) {
    (
        SigningKey::generate(&mut rand::rngs::OsRng),
        SigningKey::generate(&mut rand::rngs::OsRng),
    )
}

/// A loopback QUIC server with our TLS config that echoes every bidirectional stream.
fn echo_server(key: &SigningKey) -> quinn::Endpoint {
    let server = quinn::Endpoint::server(
        server_config(key).expect("server config"),
        ([127, 0, 0, 1], 0).into(),
    )
    .expect("server endpoint");
    let ep = server.clone();
    tokio::spawn(async move {
        while let Some(incoming) = ep.accept().await {
            tokio::spawn(async move {
                let Ok(conn) = incoming.await else { return };
                while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            match recv.read(&mut buf).await {
                                Ok(Some(n)) => {
                                    if send.write_all(&buf[..n]).await.is_err() {
                                        return;
                                    }
                                }
                                _ => return,
                            }
                        }
                    });
                }
            });
        }
    });
    server
}

fn client_endpoint() -> quinn::Endpoint {
    quinn::Endpoint::client(([127, 0, 0, 1], 0).into()).expect("client endpoint")
}

pub async fn quinn_echo(size: usize, n: usize, warm: usize) -> Vec<Duration> {
    let (sk, ck) = keys();
    let server = echo_server(&sk);
    let client = client_endpoint();
    let config = client_config(&ck, Some(sk.verifying_key().to_bytes())).expect("client config");
    let conn = client
        .connect_with(config, server.local_addr().unwrap(), "clearchat")
        .expect("connect")
        .await
        .expect("handshake");
    let (mut send, mut recv) = conn.open_bi().await.expect("stream");
    let out = vec![7u8; size];
    let mut back = vec![0u8; size];
    let mut v = Vec::new();
    for i in 0..warm + n {
        let t0 = Instant::now();
        send.write_all(&out).await.expect("write");
        recv.read_exact(&mut back).await.expect("read");
        if i >= warm {
            v.push(t0.elapsed());
        }
    }
    conn.close(0u32.into(), b"");
    client.close(0u32.into(), b"");
    server.close(0u32.into(), b"");
    v
}

pub async fn quic_handshakes(n: usize) -> Vec<Duration> {
    let (sk, ck) = keys();
    let server = echo_server(&sk);
    let client = client_endpoint();
    let config = client_config(&ck, Some(sk.verifying_key().to_bytes())).expect("client config");
    let addr = server.local_addr().unwrap();
    let mut v = Vec::new();
    for i in 0..n + 2 {
        let t0 = Instant::now();
        let conn = client
            .connect_with(config.clone(), addr, "clearchat")
            .expect("connect")
            .await
            .expect("handshake");
        if i >= 2 {
            v.push(t0.elapsed());
        }
        conn.close(0u32.into(), b"");
    }
    client.close(0u32.into(), b"");
    server.close(0u32.into(), b"");
    v
}

/// CPU seconds this process has used so far, all threads.
pub fn process_cpu() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}

/// Seconds on CLOCK_MONOTONIC, the clock `perf record -k CLOCK_MONOTONIC` stamps samples with.
pub fn monotonic() -> f64 {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// Inserts `n` rows of `size` bytes, one transaction per 500 rows, WAL, synchronous=NORMAL. Returns the time.
pub fn sqlite_batched(n: usize, size: usize) -> Duration {
    let dir = tempfile::Builder::new()
        .prefix("clearchat-bench-sql-")
        .tempdir()
        .unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("limit.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.execute_batch(
        "CREATE TABLE entries (space BLOB NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,
         raw BLOB NOT NULL, PRIMARY KEY (space, author, seq)) WITHOUT ROWID;",
    )
    .unwrap();
    let space = [1u8; 16];
    let author = [2u8; 32];
    let mut raw = vec![0u8; size];
    let t0 = Instant::now();
    let mut i = 0;
    while i < n {
        let tx = conn.unchecked_transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO entries (space, author, seq, hash, raw) VALUES (?, ?, ?, ?, ?)",
                )
                .unwrap();
            for _ in 0..500.min(n - i) {
                raw[..8].copy_from_slice(&(i as u64).to_le_bytes());
                let hash = [(i % 251) as u8; 32];
                stmt.execute(rusqlite::params![space, author, i as i64, hash, raw])
                    .unwrap();
                i += 1;
            }
        }
        tx.commit().unwrap();
    }
    t0.elapsed()
}
