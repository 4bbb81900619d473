//! Durability across instances: three `wopi-reference-host --database …` processes on one private PostgreSQL;
//! one is killed with SIGKILL while a PutFile loop runs through it (and, second, while a loop runs through
//! another). The survivors serve the last acknowledged content or the one that was in flight, whole, never a
//! torn mix; CheckFileInfo's Size and Version agree with it everywhere; the lock stays held, enforced and
//! usable through the survivors (the killed instance's open transaction does not keep the row locked).

#![allow(clippy::unwrap_used)] // test assertions

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use wopi_reference_host::pgcluster::PrivateCluster;

const BIN: &str = env!("CARGO_BIN_EXE_wopi-reference-host");
const LOCK: &str = "durability-lock";

/// Kills the process when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(database: &str, port: u16, seed: bool) -> Process {
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["--listen", &listen, "--database", database, "--no-proof-keys"];
    if seed {
        args.push("--seed");
    }
    Process(
        Command::new(BIN)
            .args(&args)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn wait_listening(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Version `k` of the content: 1 MiB + k bytes, every one `k mod 251`; a torn write mixes lengths or bytes.
fn version(k: u32) -> Vec<u8> {
    vec![(k % 251) as u8; (1 << 20) + k as usize]
}

/// Which version `body` is, if it is one whole.
fn which(body: &[u8]) -> Option<u32> {
    let k = u32::try_from(body.len().checked_sub(1 << 20)?).ok()?;
    body.iter().all(|b| *b == (k % 251) as u8).then_some(k)
}

/// PutFile loop through `t`: versions `from..`, one at a time; `acked` is the last one answered 200. Stops at
/// the first error (the instance died) or after `max` writes.
async fn put_loop(t: Target, from: u32, max: u32, acked: Arc<AtomicU32>) -> u32 {
    let mut k = from;
    while k < from + max {
        let r = client()
            .post(t.url("/contents"))
            .header("X-WOPI-Override", "PUT")
            .header("X-WOPI-Lock", LOCK)
            .body(version(k))
            .send()
            .await;
        match r {
            Ok(r) if r.status() == StatusCode::OK => acked.store(k, Ordering::SeqCst),
            Ok(r) => panic!("PutFile v{k}: {}", r.status()),
            Err(_) => return k,
        }
        k += 1;
    }
    k
}

/// The survivors agree on one whole version, `last_acked` or the one in flight after it.
async fn check_survivors(survivors: &[&Target], last_acked: u32, in_flight: u32) -> u32 {
    let mut seen = None;
    for t in survivors {
        let body = contents(t).await;
        let k = which(&body).unwrap_or_else(|| panic!("{}: torn content, {} bytes", t.wopisrc, body.len()));
        assert!(
            k == last_acked || k == in_flight,
            "{}: v{k}, but v{last_acked} was acknowledged and v{in_flight} in flight",
            t.wopisrc
        );
        let info = cfi(t).await;
        assert_eq!(info["Size"], body.len(), "{}", t.wopisrc);
        match &seen {
            None => seen = Some((k, info["Version"].clone())),
            Some((k0, v0)) => {
                assert_eq!(*k0, k, "survivors disagree");
                assert_eq!(*v0, info["Version"], "survivors disagree on Version");
            }
        }
        assert_eq!(get_lock(t).await, LOCK, "{}", t.wopisrc);
        assert_lock_mismatch(&lock(t, "intruder").await, LOCK);
        assert_lock_mismatch(&put_file(t, Some("intruder"), b"x").await, LOCK);
    }
    seen.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_instance_mid_put_never_tears_content_or_locks() {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap()
        .unwrap();
    let database = cluster.create_database("wopi").await.unwrap();
    let ports = [free_port(), free_port(), free_port()];
    let mut a = start(&database, ports[0], true);
    let mut line = String::new();
    BufReader::new(a.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let seeded: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let b = start(&database, ports[1], false);
    let c = start(&database, ports[2], false);
    for p in ports {
        wait_listening(p);
    }
    let wopisrc = seeded["wopisrc"].as_str().unwrap();
    let base_a = format!("http://127.0.0.1:{}", ports[0]);
    assert!(wopisrc.starts_with(&base_a), "{wopisrc}");
    let via = |i: usize| Target {
        wopisrc: wopisrc.replacen(&base_a, &format!("http://127.0.0.1:{}", ports[i]), 1),
        token: seeded["access_token"].as_str().unwrap().to_owned(),
    };
    let (ta, tb, tc) = (via(0), via(1), via(2));

    // The lock is taken through B and written through A.
    assert_eq!(lock(&tb, LOCK).await.status(), StatusCode::OK);
    assert_eq!(put_file(&ta, Some(LOCK), &version(1)).await.status(), StatusCode::OK);

    // 1. Kill A (SIGKILL) while its PutFile loop runs.
    let acked = Arc::new(AtomicU32::new(1));
    let writer = tokio::spawn(put_loop(ta.clone(), 2, 10_000, acked.clone()));
    let start_wait = Instant::now();
    while acked.load(Ordering::SeqCst) < 6 {
        assert!(
            start_wait.elapsed() < Duration::from_secs(60),
            "the PutFile loop is stuck"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A moment into the next PutFile: its body is being received or written.
    tokio::time::sleep(Duration::from_millis(15)).await;
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    let in_flight = tokio::time::timeout(Duration::from_secs(30), writer)
        .await
        .expect("the PutFile loop did not notice the kill")
        .unwrap();
    let last_acked = acked.load(Ordering::SeqCst);
    let now = check_survivors(&[&tb, &tc], last_acked, in_flight).await;
    eprintln!("A killed after v{last_acked} was acknowledged, v{in_flight} in flight; survivors serve v{now}");
    // The killed instance's transaction holds nothing: the lock holder writes through C at once.
    let r = tokio::time::timeout(Duration::from_secs(25), put_file(&tc, Some(LOCK), &version(500)))
        .await
        .expect("PutFile through a survivor waited on the killed instance's transaction");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(which(&contents(&tb).await), Some(500));

    // 2. Kill C while a PutFile loop runs through B: B's loop carries on, unaffected.
    let acked = Arc::new(AtomicU32::new(500));
    let writer = tokio::spawn(put_loop(tb.clone(), 501, 20, acked.clone()));
    while acked.load(Ordering::SeqCst) < 505 {
        assert!(
            start_wait.elapsed() < Duration::from_secs(90),
            "the PutFile loop is stuck"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(c);
    let end = tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .expect("B's PutFile loop stalled after C was killed")
        .unwrap();
    assert_eq!(end, 521, "every PutFile through B succeeded");
    assert_eq!(check_survivors(&[&tb], 520, 520).await, 520);
    assert_eq!(unlock(&tb, LOCK).await.status(), StatusCode::OK);
    assert_eq!(get_lock(&tb).await, "");
    drop(b);
    drop(cluster);
}
