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

/// The first line the host prints on standard output (the `--seed` line).
async fn first_line(child: &mut Child) -> String {
    let stdout = child.0.stdout.take().unwrap();
    tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap()
}

/// The URL that opens the seeded file, from the `--seed` line.
fn seed_url(line: &str) -> String {
    let seed: serde_json::Value = serde_json::from_str(line).unwrap();
    format!(
        "{}?access_token={}",
        seed["wopisrc"].as_str().unwrap(),
        seed["access_token"].as_str().unwrap()
    )
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
    let line = first_line(&mut child).await;
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

/// `ExitOnUtf7RelativeName` in the binary: PutRelativeFile with a plain name is served, one whose
/// `X-WOPI-SuggestedTarget` holds a UTF-7 shift sequence ends the process without an answer (status 70, the
/// request logged first), as a real host crashed on one.
#[tokio::test]
async fn exit_on_utf7_relative_name_ends_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        Command::new(BIN)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--no-proof-keys",
                "--seed",
                "--fault",
                "ExitOnUtf7RelativeName",
                "--data-dir",
            ])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let line = first_line(&mut child).await;
    let url = seed_url(&line);
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let put_relative = |target: &'static str| {
        http.post(&url)
            .header("X-WOPI-Override", "PUT_RELATIVE")
            .header("X-WOPI-SuggestedTarget", target)
            .body("x")
            .send()
    };
    assert_eq!(put_relative(".docx").await.unwrap().status(), 200);
    assert_eq!(
        put_relative("a+-b.docx").await.unwrap().status(),
        200,
        "`+-` is not a shift sequence"
    );
    let err = put_relative("+AGQ-.docx")
        .await
        .expect_err("no answer from a process that exited");
    assert!(!err.is_timeout(), "the connection must close, not hang: {err}");

    let status = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(status) = child.0.try_wait().unwrap() {
                let mut stderr = String::new();
                std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
                return (status, stderr);
            }
            assert!(std::time::Instant::now() < deadline, "the host did not exit");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
    assert_eq!(status.0.code(), Some(70));
    assert!(
        status.1.contains("ExitOnUtf7RelativeName") && status.1.contains("+AGQ-.docx"),
        "the request is logged before exiting: {}",
        status.1
    );
}

/// `--configuration` starts the host with that configuration: the binary's no-relative host declares
/// UserCanNotWriteRelative and refuses PutRelativeFile; an unknown name is a usage error naming the choices.
#[tokio::test]
async fn configuration_selects_a_real_host_setting() {
    let mut child = Child(
        Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--no-proof-keys", "--seed"])
            .args(["--configuration", "no-relative"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let line = first_line(&mut child).await;
    let url = seed_url(&line);
    let client = reqwest::Client::new();
    let body: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["UserCanNotWriteRelative"], true);
    let r = client
        .post(&url)
        .header("X-WOPI-Override", "PUT_RELATIVE")
        .header("X-WOPI-SuggestedTarget", ".wopitest")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::NOT_IMPLEMENTED);

    let out = Command::new(BIN)
        .args(["--no-proof-keys", "--configuration", "no-such"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such") && err.contains("no-relative"), "{err}");
}
