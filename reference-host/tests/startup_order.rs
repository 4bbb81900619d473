//! The README's start-up order: the reference host first (its discovery fetch at start fails), the mock Office
//! client a moment later. The host has never had keys, so it retries discovery with a short backoff and the first
//! signed request after the client is up is served within about a second (issue 11), not after a 10-second
//! refetch interval. Real processes and real HTTP: the `wopi-reference-host` binary and the real mock Office.

#![allow(clippy::unwrap_used)] // test assertions

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wopi_mock_office::{ClientConfig, KeyRing, MockConfig, MockOffice, WopiClient, WopiTarget};

const BIN: &str = env!("CARGO_BIN_EXE_wopi-reference-host");

/// Kills the child on drop so a failing test leaves no server behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nothing listens on (bound and released; the mock binds it again later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn host_started_before_the_client_serves_soon_after_the_client_is_up() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--seed", "--discovery-url"])
            .arg(format!("http://127.0.0.1:{port}/hosting/discovery"))
            .arg("--data-dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // The seed line comes after the host's first discovery fetch (refused: nothing listens on the port yet).
    let line = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line
        }),
    )
    .await
    .expect("the host printed its seed line within 20 s")
    .unwrap();
    let seed: serde_json::Value = serde_json::from_str(&line).unwrap();
    let target = WopiTarget::new(
        url::Url::parse(seed["wopisrc"].as_str().unwrap()).unwrap(),
        seed["access_token"].as_str().unwrap(),
    );
    // Signed with the mock's fixed keys, which the host will read from the mock's discovery.
    let config = ClientConfig {
        total_timeout: Duration::from_secs(5),
        ..ClientConfig::default()
    };
    let client = WopiClient::new(config, KeyRing::fixed().unwrap().shared()).unwrap();

    // A stream of signed requests while the client is down: each refused with 500 (no keys to check against).
    let until = Instant::now() + Duration::from_millis(1500);
    let mut refused = 0;
    while Instant::now() < until {
        let status = client.check_file_info(&target).await.unwrap().status;
        assert_eq!(status, 500, "no keys yet, so the proof cannot be checked");
        refused += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused > 10, "only {refused} requests in 1.5 s");

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let mock = MockOffice::start(listener, MockConfig::default()).unwrap();
    let up = Instant::now();
    let served = loop {
        let status = client.check_file_info(&target).await.unwrap().status;
        if status == 200 {
            break up.elapsed();
        }
        assert_eq!(status, 500);
        assert!(
            up.elapsed() < Duration::from_secs(5),
            "still refused 5 s after the client came up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The backoff is at most 1 s once the client has been down for a while; a fetch takes milliseconds here.
    assert!(
        served < Duration::from_millis(1500),
        "first request served {served:?} after the client came up"
    );
    mock.shutdown().await;
}
