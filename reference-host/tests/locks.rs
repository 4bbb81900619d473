//! Lock, Unlock, RefreshLock, UnlockAndRelock, GetLock: documented status codes and headers, and expiry.

#![allow(clippy::unwrap_used)] // test helpers and assertions

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn lock_sequence_follows_the_docs() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"hello").await;

    let r = lock(&t, "L1").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header(&r, "X-WOPI-Lock"),
        None,
        "X-WOPI-Lock should not be sent with 200"
    );
    assert_eq!(header(&r, "X-WOPI-ItemVersion").as_deref(), Some("v1"));
    // Lock with the current ID is a refresh.
    assert_eq!(lock(&t, "L1").await.status(), StatusCode::OK);
    // Another ID: 409 with the current lock.
    assert_lock_mismatch(&lock(&t, "L2").await, "L1");
    // IDs compare exactly.
    assert_lock_mismatch(&lock(&t, "l1").await, "L1");
    assert_eq!(get_lock(&t).await, "L1");

    let r = post(&t, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "L1")], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_lock_mismatch(
        &post(&t, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "nope")], b"").await,
        "L1",
    );

    let relock = |old: &'static str, new: &'static str| {
        let t = t.clone();
        async move { post(&t, "", "LOCK", &[("X-WOPI-OldLock", old), ("X-WOPI-Lock", new)], b"").await }
    };
    assert_lock_mismatch(&relock("wrong", "L3").await, "L1");
    assert_eq!(relock("L1", "L3").await.status(), StatusCode::OK);
    assert_eq!(get_lock(&t).await, "L3");
    // The old lock no longer unlocks.
    assert_lock_mismatch(&unlock(&t, "L1").await, "L3");
    assert_lock_mismatch(&unlock(&t, "other").await, "L3");
    let r = unlock(&t, "L3").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header(&r, "X-WOPI-ItemVersion").as_deref(),
        Some("v1"),
        "locking must not change the version"
    );
    assert_eq!(get_lock(&t).await, "");
}

#[tokio::test]
async fn operations_on_an_unlocked_file_conflict_with_an_empty_lock() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    assert_lock_mismatch(&unlock(&t, "L1").await, "");
    assert_lock_mismatch(&post(&t, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "L1")], b"").await, "");
    assert_lock_mismatch(
        &post(&t, "", "LOCK", &[("X-WOPI-OldLock", "L1"), ("X-WOPI-Lock", "L2")], b"").await,
        "",
    );
    assert_eq!(get_lock(&t).await, "");
}

#[tokio::test]
async fn missing_empty_and_oversized_lock_ids_are_400_and_change_nothing() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    for op in ["LOCK", "UNLOCK", "REFRESH_LOCK"] {
        assert_eq!(
            post(&t, "", op, &[], b"").await.status(),
            StatusCode::BAD_REQUEST,
            "{op} without lock"
        );
        assert_eq!(
            post(&t, "", op, &[("X-WOPI-Lock", "")], b"").await.status(),
            StatusCode::BAD_REQUEST,
            "{op} empty"
        );
    }
    let too_long = "a".repeat(1025);
    assert_eq!(lock(&t, &too_long).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get_lock(&t).await, "");
    // UnlockAndRelock with an empty old lock.
    let r = post(&t, "", "LOCK", &[("X-WOPI-OldLock", ""), ("X-WOPI-Lock", "L")], b"").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get_lock(&t).await, "");
    // 1024 characters are fine (SupportsExtendedLockLength) and round-trip exactly.
    let longest = format!("{{\"S\":\"{}\"}}", "b".repeat(1016));
    assert_eq!(longest.len(), 1024);
    assert_eq!(lock(&t, &longest).await.status(), StatusCode::OK);
    assert_eq!(get_lock(&t).await, longest);
}

#[tokio::test]
async fn duplicated_lock_headers_are_400() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    let r = client()
        .post(t.url(""))
        .header("X-WOPI-Override", "LOCK")
        .header("X-WOPI-Lock", "A")
        .header("X-WOPI-Lock", "B")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get_lock(&t).await, "");
    let r = client()
        .post(t.url(""))
        .header("X-WOPI-Override", "LOCK")
        .header("X-WOPI-Override", "UNLOCK")
        .header("X-WOPI-Lock", "A")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get_lock(&t).await, "");
}

#[tokio::test]
async fn locks_expire_after_30_minutes_and_refresh_resets_the_timer() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    assert_eq!(lock(&t, "L1").await.status(), StatusCode::OK);
    host.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(
        post(&t, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "L1")], b"")
            .await
            .status(),
        StatusCode::OK
    );
    host.clock.advance(Duration::from_secs(20 * 60));
    // 40 minutes after locking but 20 after the refresh: still locked.
    assert_eq!(get_lock(&t).await, "L1");
    assert_lock_mismatch(&lock(&t, "L2").await, "L1");
    host.clock.advance(Duration::from_secs(10 * 60 + 1));
    assert_eq!(get_lock(&t).await, "");
    assert_eq!(lock(&t, "L2").await.status(), StatusCode::OK);
    // Lock with the same ID also resets the timer.
    host.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(lock(&t, "L2").await.status(), StatusCode::OK);
    host.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(get_lock(&t).await, "L2");
}

#[tokio::test]
async fn unknown_and_missing_overrides() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    assert_eq!(
        post(&t, "", "NOT_AN_OP", &[], b"").await.status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_eq!(
        post(&t, "", "lock", &[("X-WOPI-Lock", "A")], b"").await.status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_eq!(
        post(&t, "", "COBALT", &[], b"").await.status(),
        StatusCode::NOT_IMPLEMENTED
    );
    let r = client()
        .post(t.url(""))
        .header("X-WOPI-Lock", "A")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // PutFile belongs on /contents.
    assert_eq!(
        post(&t, "", "PUT", &[], b"").await.status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_eq!(get_lock(&t).await, "");
}
