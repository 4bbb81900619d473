//! The `wopi-reference-host` binary: `--seed` prints one JSON line that opens `test.wopitest`; the provisioning
//! subcommands work on a data directory.

#![allow(clippy::unwrap_used)] // test assertions

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_wopi-reference-host");

/// Kills the child on drop so a failing test leaves no server behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn seed_prints_one_json_line_that_opens_the_test_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--no-proof-keys", "--seed", "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let seed: serde_json::Value = serde_json::from_str(&line).unwrap();
    let keys: Vec<_> = seed.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec!["wopisrc", "access_token", "access_token_ttl"]);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let ttl = seed["access_token_ttl"].as_u64().unwrap();
    assert!(
        ttl > now_ms && ttl < now_ms + 11 * 3600 * 1000,
        "ttl {ttl} must be epoch milliseconds"
    );
    let wopisrc = seed["wopisrc"].as_str().unwrap();
    assert!(
        !wopisrc.contains(":0/"),
        "the WOPISrc must use the bound port: {wopisrc}"
    );
    let url = format!("{wopisrc}?access_token={}", seed["access_token"].as_str().unwrap());
    let body: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(body["BaseFileName"], "test.wopitest");
    assert_eq!(body["Size"], 0);
}

#[test]
fn serving_needs_a_discovery_url_or_an_explicit_opt_out() {
    let out = Command::new(BIN).args(["--listen", "127.0.0.1:0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-proof-keys"));
}

#[test]
fn provisioning_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let user: serde_json::Value = serde_json::from_str(&run(&["add-user", "carol", "--read-only"])).unwrap();
    assert_eq!(user["can_write"], false);
    let content = dir.path().join("content.bin");
    std::fs::write(&content, b"abc").unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&run(&["add-file", "doc.docx", "--content", content.to_str().unwrap()])).unwrap();
    let wopisrc = file["wopisrc"].as_str().unwrap();
    let id = wopisrc.rsplit('/').next().unwrap();
    let token: serde_json::Value = serde_json::from_str(&run(&["token", id, "--user", "carol"])).unwrap();
    assert_eq!(token["wopisrc"], wopisrc);
    assert!(token["access_token"].as_str().unwrap().starts_with("v1."));
    // Unknown users and files fail with a message, not a panic.
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["token", id, "--user", "nobody"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
