//! Lock operations on one file are atomic: of 64 racing clients exactly one wins; every loser gets 409 with the
//! winner's lock in X-WOPI-Lock.

#![allow(clippy::unwrap_used)] // test helpers and assertions

mod common;

use common::*;
use reqwest::StatusCode;

const CLIENTS: usize = 64;

/// Runs `CLIENTS` requests concurrently; returns (winners' lock IDs, losers' X-WOPI-Lock values).
async fn race<F, Fut>(make: F) -> (Vec<String>, Vec<Option<String>>)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = (String, reqwest::Response)> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let barrier = barrier.clone();
        let fut = make(i);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        }));
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for task in tasks {
        let (id, r) = task.await.unwrap();
        match r.status() {
            StatusCode::OK => winners.push(id),
            StatusCode::CONFLICT => losers.push(header(&r, "X-WOPI-Lock")),
            other => panic!("unexpected status {other}"),
        }
    }
    (winners, losers)
}

fn assert_one_winner(winners: &[String], losers: &[Option<String>]) {
    assert_eq!(winners.len(), 1, "exactly one client must win, got {winners:?}");
    assert_eq!(losers.len(), CLIENTS - 1);
    for lock in losers {
        assert_eq!(
            lock.as_deref(),
            Some(winners[0].as_str()),
            "every loser must see the winner's lock"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_locks_have_exactly_one_winner() {
    let host = host().await;
    let t = new_file(&host, "race.docx", b"x").await;
    let (winners, losers) = race(|i| {
        let t = t.clone();
        async move {
            let id = format!("lock-{i}");
            let r = lock(&t, &id).await;
            (id, r)
        }
    })
    .await;
    assert_one_winner(&winners, &losers);
    assert_eq!(get_lock(&t).await, winners[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_unlock_and_relock_has_exactly_one_winner() {
    let host = host().await;
    let t = new_file(&host, "race.docx", b"x").await;
    assert_eq!(lock(&t, "start").await.status(), StatusCode::OK);
    let (winners, losers) = race(|i| {
        let t = t.clone();
        async move {
            let id = format!("relock-{i}");
            let r = post(
                &t,
                "",
                "LOCK",
                &[("X-WOPI-OldLock", "start"), ("X-WOPI-Lock", &id)],
                b"",
            )
            .await;
            (id, r)
        }
    })
    .await;
    assert_one_winner(&winners, &losers);
    assert_eq!(get_lock(&t).await, winners[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_put_file_on_an_empty_unlocked_file_has_exactly_one_winner() {
    let host = host().await;
    let t = new_file(&host, "race.docx", b"").await;
    let (winners, losers) = race(|i| {
        let t = t.clone();
        async move {
            let body = format!("content-{i}");
            let r = put_file(&t, None, body.as_bytes()).await;
            (body, r)
        }
    })
    .await;
    // The first write makes the file non-empty, so every later unlocked PutFile conflicts with an empty lock.
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert!(losers.iter().all(|l| l.as_deref() == Some("")));
    assert_eq!(contents(&t).await, winners[0].as_bytes());
    assert_eq!(cfi(&t).await["Version"], "v2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_put_file_with_distinct_locks_only_the_holder_writes() {
    let host = host().await;
    let t = new_file(&host, "race.docx", b"orig").await;
    assert_eq!(lock(&t, "lock-7").await.status(), StatusCode::OK);
    let (winners, losers) = race(|i| {
        let t = t.clone();
        async move {
            let id = format!("lock-{i}");
            let r = put_file(&t, Some(&id), id.as_bytes()).await;
            (id, r)
        }
    })
    .await;
    assert_one_winner(&winners, &losers);
    assert_eq!(winners[0], "lock-7");
    assert_eq!(contents(&t).await, b"lock-7");
}
