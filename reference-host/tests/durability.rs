//! Data survives a restart on the same data directory: bytes, versions, locks, names, user info and tokens.

#![allow(clippy::unwrap_used)] // test helpers and assertions

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::*;
use reqwest::StatusCode;
use wopi_reference_host::clock::TestClock;
use wopi_reference_host::spawn_for_test_with_clock;

/// A host configuration on a fresh data directory (kept while the `TempDir` lives), with a test clock.
fn on_disk() -> (tempfile::TempDir, Arc<TestClock>, wopi_reference_host::Config) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock::new(SystemTime::now()));
    let mut config = config();
    config.data_dir = Some(dir.path().to_path_buf());
    (dir, clock, config)
}

/// The same file and token, addressed through the restarted `host`.
fn moved_to(t: &Target, host: &wopi_reference_host::TestHost) -> Target {
    Target {
        wopisrc: t
            .wopisrc
            .replace(&t.wopisrc[..t.wopisrc.find("/wopi").unwrap()], &host.base_url),
        token: t.token.clone(),
    }
}

#[tokio::test]
async fn restart_keeps_bytes_versions_locks_and_tokens() {
    let (_dir, clock, config) = on_disk();

    let first = spawn_for_test_with_clock(config.clone(), clock.clone()).await.unwrap();
    let t = new_file(&first, "doc.docx", b"").await;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(put_file(&t, None, &payload).await.status(), StatusCode::OK);
    assert_eq!(lock(&t, "{\"S\":\"session\",\"F\":4}").await.status(), StatusCode::OK);
    assert_eq!(
        put_file(&t, Some("{\"S\":\"session\",\"F\":4}"), b"v3 bytes")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        post(&t, "", "PUT_USER_INFO", &[], b"info").await.status(),
        StatusCode::OK
    );
    let r = post(
        &t,
        "",
        "RENAME_FILE",
        &[
            ("X-WOPI-RequestedName", "renamed"),
            ("X-WOPI-Lock", "{\"S\":\"session\",\"F\":4}"),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let versions_before = first
        .state
        .store
        .versions(&wopi_protocol::ids::FileId::new(t.file_id()).unwrap())
        .await
        .unwrap();
    first.stop().await;

    // Same directory, new process state; the old URLs and tokens still work (the token key is stored).
    let second = spawn_for_test_with_clock(config, clock).await.unwrap();
    let t2 = moved_to(&t, &second);
    assert_eq!(contents(&t2).await, b"v3 bytes");
    let body = cfi(&t2).await;
    assert_eq!(body["Version"], "v3");
    assert_eq!(body["BaseFileName"], "renamed.docx");
    assert_eq!(body["UserInfo"], "info");
    assert_eq!(get_lock(&t2).await, "{\"S\":\"session\",\"F\":4}");
    let versions_after = second
        .state
        .store
        .versions(&wopi_protocol::ids::FileId::new(t.file_id()).unwrap())
        .await
        .unwrap();
    assert_eq!(versions_before, versions_after);
    assert_eq!(
        versions_after.iter().map(|v| v.size).collect::<Vec<_>>(),
        vec![0, 200_000, 8]
    );
}

#[tokio::test]
async fn a_second_host_cannot_open_a_data_directory_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config();
    config.data_dir = Some(dir.path().to_path_buf());
    let _first = wopi_reference_host::spawn_for_test(config.clone()).await.unwrap();
    assert!(wopi_reference_host::spawn_for_test(config).await.is_err());
}

/// The coauth table is stored, not kept in memory: it survives a restart, and its rows still expire on the clock.
#[tokio::test]
async fn restart_keeps_coauth_locks() {
    let (_dir, clock, config) = on_disk();
    let first = spawn_for_test_with_clock(config.clone(), clock.clone()).await.unwrap();
    let t = new_file(&first, "c.docx", b"v1").await;
    assert_eq!(get_coauth_lock(&t, "C1").await.status(), StatusCode::OK);
    let before = coauth_table(&t).await;
    first.stop().await;

    let second = spawn_for_test_with_clock(config, clock.clone()).await.unwrap();
    let t2 = moved_to(&t, &second);
    assert_eq!(coauth_table(&t2).await, before);
    assert_eq!(lock(&t2, "L1").await.status(), StatusCode::CONFLICT);
    clock.advance(std::time::Duration::from_secs(120));
    assert!(
        coauth_table(&t2).await.1.is_empty(),
        "a 120 s coauth lock is gone after 120 s"
    );
    assert_eq!(lock(&t2, "L1").await.status(), StatusCode::OK);
}
