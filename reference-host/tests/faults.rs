//! Each fault departs from exactly the rule it names: the correct host behaves one way (covered by the other test
//! files, and side by side in the `contrast` tests below), the faulty host the other way. The proof-key faults
//! (StaleProofAccepted, ProofNotChecked, ProofOldWithOldKeyAccepted, NoDiscoveryRefetch, ProofOnlyCurrentKey,
//! ProofWithoutQuery) need a discovery endpoint and are covered in `proof_keys.rs`; the host-page faults in
//! `hostpage.rs`.

#![allow(clippy::unwrap_used)] // test helpers and assertions

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use wopi_reference_host::faults::{Fault, FaultSet};

async fn faulty(fault: Fault) -> wopi_reference_host::TestHost {
    host_with(FaultSet::of([fault])).await
}

#[tokio::test]
async fn lock_faults() {
    let h = faulty(Fault::LockMismatchAnswers200).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    assert_eq!(lock(&t, "B").await.status(), StatusCode::OK);
    assert_eq!(get_lock(&t).await, "B");

    let h = faulty(Fault::RelockSameIdConflicts).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    assert_lock_mismatch(&lock(&t, "A").await, "A");

    let h = faulty(Fault::LockIdCaseInsensitive).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "Abc").await;
    assert_eq!(unlock(&t, "aBC").await.status(), StatusCode::OK);

    let h = faulty(Fault::LockNeverExpires).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    h.clock.advance(Duration::from_secs(5 * 3600));
    assert_eq!(get_lock(&t).await, "A");

    let h = faulty(Fault::ConflictWithoutLockHeader).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    let r = lock(&t, "B").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(header(&r, "X-WOPI-Lock"), None);

    let h = faulty(Fault::UnlockUnlockedAnswers200).await;
    let t = new_file(&h, "a.docx", b"x").await;
    assert_eq!(unlock(&t, "A").await.status(), StatusCode::OK);

    let h = faulty(Fault::RefreshDoesNotExtend).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    h.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(
        post(&t, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "A")], b"")
            .await
            .status(),
        StatusCode::OK
    );
    h.clock.advance(Duration::from_secs(11 * 60));
    assert_eq!(get_lock(&t).await, "");

    let h = faulty(Fault::RelockIgnoresOldLock).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    let r = post(
        &t,
        "",
        "LOCK",
        &[("X-WOPI-OldLock", "wrong"), ("X-WOPI-Lock", "B")],
        b"",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    let h = faulty(Fault::GetLockReturnsOtherFile).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let other = new_file(&h, "b.docx", b"x").await;
    lock(&t, "mine").await;
    lock(&other, "theirs").await;
    assert_eq!(get_lock(&t).await, "theirs");
}

#[tokio::test]
async fn non_atomic_lock_lets_several_clients_win() {
    let h = faulty(Fault::NonAtomicLock).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let t = t.clone();
            tokio::spawn(async move { lock(&t, &format!("L{i}")).await.status() })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap() == StatusCode::OK {
            wins += 1;
        }
    }
    assert!(
        wins > 1,
        "the seeded race should let more than one Lock win, got {wins}"
    );
}

#[tokio::test]
async fn file_content_faults() {
    let h = faulty(Fault::MaxExpectedSizeIgnored).await;
    let t = new_file(&h, "a.docx", b"0123456789").await;
    assert_eq!(
        get(&t, "/contents", &[("X-WOPI-MaxExpectedSize", "1")]).await.status(),
        StatusCode::OK
    );

    let h = faulty(Fault::GetFileWithoutItemVersion).await;
    let t = new_file(&h, "a.docx", b"x").await;
    assert_eq!(header(&get(&t, "/contents", &[]).await, "X-WOPI-ItemVersion"), None);

    let h = faulty(Fault::PutFileWrongLockAccepted).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    assert_eq!(put_file(&t, Some("B"), b"y").await.status(), StatusCode::OK);

    let h = faulty(Fault::PutUnlockedNonEmptyAccepted).await;
    let t = new_file(&h, "a.docx", b"x").await;
    assert_eq!(put_file(&t, None, b"y").await.status(), StatusCode::OK);

    let h = faulty(Fault::PutFileKeepsVersion).await;
    let t = new_file(&h, "a.docx", b"").await;
    let r = put_file(&t, None, b"y").await;
    assert_eq!(header(&r, "X-WOPI-ItemVersion").as_deref(), Some("v1"));
    assert_eq!(contents(&t).await, b"y");
}

#[tokio::test]
async fn metadata_and_naming_faults() {
    let h = faulty(Fault::SizeAsString).await;
    let t = new_file(&h, "a.docx", b"xy").await;
    assert_eq!(cfi(&t).await["Size"], "2");

    let h = faulty(Fault::UserInfoNotReturned).await;
    let t = new_file(&h, "a.docx", b"x").await;
    post(&t, "", "PUT_USER_INFO", &[], b"info").await;
    assert!(cfi(&t).await.get("UserInfo").is_none());

    let h = faulty(Fault::SuggestedModeOverwrites).await;
    let t = new_file(&h, "a.docx", b"orig").await;
    let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-SuggestedTarget", "a.docx")], b"new").await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["Name"], "a.docx");
    assert_eq!(contents(&t).await, b"new");

    let h = faulty(Fault::NoValidRelativeTarget).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-RelativeTarget", "a.docx")], b"y").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(header(&r, "X-WOPI-ValidRelativeTarget"), None);

    let h = faulty(Fault::RelativeOverwritesWithoutFlag).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-RelativeTarget", "a.docx")], b"y").await;
    assert_eq!(r.status(), StatusCode::OK);

    let h = faulty(Fault::RelativeNameNotDecoded).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let r = post(
        &t,
        "",
        "PUT_RELATIVE",
        &[("X-WOPI-RelativeTarget", "b+AF8-c.docx")],
        b"y",
    )
    .await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["Name"], "b+AF8-c.docx");

    let h = faulty(Fault::RenameAcceptsInvalidChars).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let r = post(&t, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "a:b")], b"").await;
    assert_eq!(r.status(), StatusCode::OK);

    let h = faulty(Fault::RenameNameWithExtension).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let r = post(&t, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "b")], b"").await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["Name"], "b.docx");

    let h = faulty(Fault::DeleteLockedFile).await;
    let t = new_file(&h, "a.docx", b"x").await;
    lock(&t, "A").await;
    assert_eq!(post(&t, "", "DELETE", &[], b"").await.status(), StatusCode::OK);

    let h = faulty(Fault::ShareUrlAnyType).await;
    let t = new_file(&h, "a.docx", b"x").await;
    assert_eq!(
        post(&t, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "Bogus")], b"")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn token_and_container_faults() {
    let h = faulty(Fault::ExpiredTokenAccepted).await;
    let t = new_file(&h, "a.docx", b"x").await;
    h.clock.advance(Duration::from_secs(11 * 3600));
    assert_eq!(get(&t, "", &[]).await.status(), StatusCode::OK);

    let h = faulty(Fault::TokenNotBoundToResource).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let other = new_file(&h, "b.docx", b"y").await;
    let cross = Target {
        wopisrc: t.wopisrc.clone(),
        token: other.token.clone(),
    };
    assert_eq!(contents(&cross).await, b"x");

    let h = faulty(Fault::DeleteNonEmptyContainer).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let eco = get(&t, "/ecosystem_pointer", &[])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let eco = Target::from_url(eco["Url"].as_str().unwrap());
    let root = get(&eco, "/root_container_pointer", &[])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let root = Target::from_url(root["ContainerPointer"]["Url"].as_str().unwrap());
    let sub = post(
        &root,
        "",
        "CREATE_CHILD_CONTAINER",
        &[("X-WOPI-RelativeTarget", "s")],
        b"",
    )
    .await;
    let sub = sub.json::<serde_json::Value>().await.unwrap();
    let sub = Target::from_url(sub["ContainerPointer"]["Url"].as_str().unwrap());
    post(
        &sub,
        "",
        "CREATE_CHILD_FILE",
        &[("X-WOPI-RelativeTarget", "f.docx")],
        b"",
    )
    .await;
    assert_eq!(
        post(&sub, "", "DELETE_CONTAINER", &[], b"").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn enumeration_and_ecosystem_faults() {
    let h = faulty(Fault::EcosystemUrlWithoutToken).await;
    let t = new_file(&h, "a.docx", b"x").await;
    let eco = get(&t, "/ecosystem_pointer", &[])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert!(!eco["Url"].as_str().unwrap().contains("access_token"));

    for fault in [Fault::AncestorsRootLast, Fault::EnumerateChildrenIgnoresFilter] {
        let h = faulty(fault).await;
        let t = new_file(&h, "a.docx", b"x").await;
        let eco = get(&t, "/ecosystem_pointer", &[])
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let eco = Target::from_url(eco["Url"].as_str().unwrap());
        let root = get(&eco, "/root_container_pointer", &[])
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let root = Target::from_url(root["ContainerPointer"]["Url"].as_str().unwrap());
        let sub = post(
            &root,
            "",
            "CREATE_CHILD_CONTAINER",
            &[("X-WOPI-RelativeTarget", "s")],
            b"",
        )
        .await;
        let sub = sub.json::<serde_json::Value>().await.unwrap();
        let sub = Target::from_url(sub["ContainerPointer"]["Url"].as_str().unwrap());
        let f = post(
            &sub,
            "",
            "CREATE_CHILD_FILE",
            &[("X-WOPI-RelativeTarget", "f.docx")],
            b"",
        )
        .await;
        let f = Target::from_url(f.json::<serde_json::Value>().await.unwrap()["Url"].as_str().unwrap());
        if fault == Fault::AncestorsRootLast {
            let a = get(&f, "/ancestry", &[])
                .await
                .json::<serde_json::Value>()
                .await
                .unwrap();
            assert_eq!(a["AncestorsWithRootFirst"][0]["Name"], "s");
        } else {
            let c = get(&sub, "/children", &[("X-WOPI-FileExtensionFilterList", ".xlsx")]).await;
            let c = c.json::<serde_json::Value>().await.unwrap();
            assert_eq!(c["ChildFiles"].as_array().unwrap().len(), 1);
        }
    }
}

// ---- The faults added for the suites' mutation matrix: each test runs one scenario on the clean host and on the
// host with the fault, and shows that only the faulty host breaks the rule the fault names. ----

/// Runs `scenario` on a clean host and on a host with only `fault`, returning (clean, faulty) observations.
async fn contrast<T, F, Fut>(fault: Fault, scenario: F) -> (T, T)
where
    F: Fn(wopi_reference_host::TestHost) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let clean = scenario(host().await).await;
    let broken = scenario(faulty(fault).await).await;
    (clean, broken)
}

fn with_token(t: &Target, token: &str) -> Target {
    Target {
        wopisrc: t.wopisrc.clone(),
        token: token.to_owned(),
    }
}

async fn json_of(r: reqwest::Response) -> serde_json::Value {
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The root container of the host that holds `t`.
async fn root_of(t: &Target) -> Target {
    let eco = json_of(get(t, "/ecosystem_pointer", &[]).await).await;
    let eco = Target::from_url(eco["Url"].as_str().unwrap());
    let root = json_of(get(&eco, "/root_container_pointer", &[]).await).await;
    Target::from_url(root["ContainerPointer"]["Url"].as_str().unwrap())
}

/// A new child container of `parent` named exactly `name`.
async fn child_container(parent: &Target, name: &str) -> Target {
    let r = post(
        parent,
        "",
        "CREATE_CHILD_CONTAINER",
        &[("X-WOPI-RelativeTarget", name)],
        b"",
    )
    .await;
    Target::from_url(json_of(r).await["ContainerPointer"]["Url"].as_str().unwrap())
}

/// A new, empty file named exactly `name` in `container`.
async fn child_file(container: &Target, name: &str) -> Target {
    let r = post(
        container,
        "",
        "CREATE_CHILD_FILE",
        &[("X-WOPI-RelativeTarget", name)],
        b"",
    )
    .await;
    Target::from_url(json_of(r).await["Url"].as_str().unwrap())
}

#[tokio::test]
async fn token_faults_against_the_clean_host() {
    // 401 for an invalid token (CheckFileInfo.rst); expired tokens stay refused under InvalidTokenAccepted.
    let (clean, broken) = contrast(Fault::InvalidTokenAccepted, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let mut statuses = Vec::new();
        for token in ["ours-not-a-token", "", "v1.e30.AAAA"] {
            statuses.push(get(&with_token(&t, token), "", &[]).await.status());
        }
        statuses.push(
            get(&with_token(&t, "ours-not-a-token"), "/contents", &[])
                .await
                .status(),
        );
        statuses.push(lock(&with_token(&t, "ours-not-a-token"), "L").await.status());
        h.clock.advance(Duration::from_secs(11 * 3600));
        statuses.push(get(&t, "", &[]).await.status());
        statuses
    })
    .await;
    assert_eq!(clean, [StatusCode::UNAUTHORIZED; 6]);
    let mut expected = [StatusCode::OK; 6];
    expected[5] = StatusCode::UNAUTHORIZED;
    assert_eq!(
        broken, expected,
        "only invalid tokens get in; the expired one is still refused"
    );

    let (clean, broken) = contrast(Fault::ExpiredTokenAccepted, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        h.clock.advance(Duration::from_secs(11 * 3600));
        let expired = get(&t, "", &[]).await.status();
        let invalid = get(&with_token(&t, "ours-not-a-token"), "", &[]).await.status();
        (expired, invalid)
    })
    .await;
    assert_eq!(clean, (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(broken, (StatusCode::OK, StatusCode::UNAUTHORIZED));

    let (clean, broken) = contrast(Fault::TokenNotBoundToResource, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let other = new_file(&h, "b.docx", b"y").await;
        get(&with_token(&t, &other.token), "/contents", &[]).await.status()
    })
    .await;
    assert_eq!((clean, broken), (StatusCode::UNAUTHORIZED, StatusCode::OK));
}

#[tokio::test]
async fn more_lock_faults() {
    // concepts.rst: locks last 30 minutes.
    let (clean, broken) = contrast(Fault::LockExpiresEarly, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        lock(&t, "A").await;
        h.clock.advance(Duration::from_secs(6 * 60));
        lock(&t, "B").await.status()
    })
    .await;
    assert_eq!((clean, broken), (StatusCode::CONFLICT, StatusCode::OK));

    // Lock.rst: a Lock with the current ID refreshes the timer.
    let (clean, broken) = contrast(Fault::RelockDoesNotExtend, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        lock(&t, "A").await;
        h.clock.advance(Duration::from_secs(20 * 60));
        let relock = lock(&t, "A").await.status();
        h.clock.advance(Duration::from_secs(20 * 60));
        (relock, get_lock(&t).await)
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, "A".to_owned()));
    assert_eq!(broken, (StatusCode::OK, String::new()));

    // Unlock.rst: Unlock releases the lock.
    let (clean, broken) = contrast(Fault::UnlockKeepsLock, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        lock(&t, "A").await;
        let unlocked = unlock(&t, "A").await.status();
        (unlocked, lock(&t, "B").await.status())
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, StatusCode::OK));
    assert_eq!(broken, (StatusCode::OK, StatusCode::CONFLICT));

    // Lock.rst / Unlock.rst: 400 for an empty X-WOPI-Lock; the faulty host answers 200 and changes nothing.
    let (clean, broken) = contrast(Fault::EmptyLockIdAccepted, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let empty_lock = lock(&t, "").await.status();
        lock(&t, "A").await;
        let empty_unlock = unlock(&t, "").await.status();
        let empty_refresh = post(&t, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "")], b"").await.status();
        (empty_lock, empty_unlock, empty_refresh, get_lock(&t).await)
    })
    .await;
    let bad = StatusCode::BAD_REQUEST;
    assert_eq!(clean, (bad, bad, bad, "A".to_owned()));
    assert_eq!(broken, (StatusCode::OK, StatusCode::OK, StatusCode::OK, "A".to_owned()));

    // X-WOPI-Lock.rst: not sent with a 200 Lock.
    let (clean, broken) = contrast(Fault::LockHeaderOnSuccess, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let r = lock(&t, "A").await;
        (r.status(), header(&r, "X-WOPI-Lock"))
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, None));
    assert_eq!(broken, (StatusCode::OK, Some("A".to_owned())));

    // GetLock.rst: 200 with an empty X-WOPI-Lock on an unlocked file.
    let (clean, broken) = contrast(Fault::GetLockUnlockedConflicts, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let r = post(&t, "", "GET_LOCK", &[], b"").await;
        let unlocked = (r.status(), header(&r, "X-WOPI-Lock"));
        lock(&t, "A").await;
        (unlocked, get_lock(&t).await)
    })
    .await;
    assert_eq!(clean, ((StatusCode::OK, Some(String::new())), "A".to_owned()));
    assert_eq!(broken, ((StatusCode::CONFLICT, Some(String::new())), "A".to_owned()));

    // The empty X-WOPI-Lock must be sent, on GetLock's 200 and on a 409 for an unlocked file.
    let (clean, broken) = contrast(Fault::EmptyLockHeaderDropped, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let r = post(&t, "", "GET_LOCK", &[], b"").await;
        let get = (r.status(), header(&r, "X-WOPI-Lock"));
        let r = unlock(&t, "A").await;
        let conflict = (r.status(), header(&r, "X-WOPI-Lock"));
        lock(&t, "B").await;
        let r = lock(&t, "C").await;
        (get, conflict, header(&r, "X-WOPI-Lock"))
    })
    .await;
    let empty = Some(String::new());
    assert_eq!(
        clean,
        (
            (StatusCode::OK, empty.clone()),
            (StatusCode::CONFLICT, empty),
            Some("B".to_owned())
        )
    );
    assert_eq!(
        broken,
        (
            (StatusCode::OK, None),
            (StatusCode::CONFLICT, None),
            Some("B".to_owned())
        ),
        "only empty values are dropped"
    );
}

#[tokio::test]
async fn more_file_content_faults() {
    // GetFile.rst: the full current contents.
    let (clean, broken) = contrast(Fault::StaleGetFileCache, |h| async move {
        let t = new_file(&h, "a.docx", b"one").await;
        let first = contents(&t).await;
        lock(&t, "L").await;
        put_file(&t, Some("L"), b"two").await;
        (first, contents(&t).await)
    })
    .await;
    assert_eq!(clean, (b"one".to_vec(), b"two".to_vec()));
    assert_eq!(broken, (b"one".to_vec(), b"one".to_vec()));

    // PutFile.rst: an unlocked 0-byte file accepts PutFile (the stored size counts, not the body's).
    let (clean, broken) = contrast(Fault::PutUnlockedEmptyRejected, |h| async move {
        let t = new_file(&h, "a.docx", b"").await;
        let status = put_file(&t, None, b"content").await.status();
        (status, contents(&t).await)
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, b"content".to_vec()));
    assert_eq!(broken, (StatusCode::CONFLICT, Vec::new()));

    // CheckFileInfo.rst: Size is the size of the file in bytes.
    let (clean, broken) = contrast(Fault::SizeNotUpdated, |h| async move {
        let t = new_file(&h, "a.docx", b"ab").await;
        lock(&t, "L").await;
        put_file(&t, Some("L"), b"abcdef").await;
        (cfi(&t).await["Size"].as_u64(), contents(&t).await.len())
    })
    .await;
    assert_eq!(clean, (Some(6), 6));
    assert_eq!(broken, (Some(2), 6));

    // Lock.rst / Unlock.rst: X-WOPI-ItemVersion should equal CheckFileInfo's Version; locking changes nothing.
    let (clean, broken) = contrast(Fault::LockBumpsVersion, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let before = cfi(&t).await["Version"].clone();
        let r = lock(&t, "A").await;
        let item = header(&r, "X-WOPI-ItemVersion");
        unlock(&t, "A").await;
        (before, item, cfi(&t).await["Version"].clone())
    })
    .await;
    assert_eq!(clean, ("v1".into(), Some("v1".to_owned()), "v1".into()));
    assert_eq!(broken, ("v1".into(), Some("v2".to_owned()), "v3".into()));
}

#[tokio::test]
async fn checkfileinfo_property_faults() {
    use serde_json::Value;
    /// CheckFileInfo of a fresh `a.docx` on a clean host and on a host with `fault`.
    async fn both(fault: Fault) -> (Value, Value) {
        contrast(
            fault,
            |h| async move { cfi(&new_file(&h, "a.docx", b"abc").await).await },
        )
        .await
    }

    let (clean, broken) = both(Fault::CfiRequiredPropertyMissing).await;
    assert!(clean["OwnerId"].is_string() && broken.get("OwnerId").is_none());
    assert_eq!(clean["BaseFileName"], broken["BaseFileName"]);

    let (clean, broken) = both(Fault::BaseFileNameWithPath).await;
    assert_eq!(clean["BaseFileName"], "a.docx");
    assert!(broken["BaseFileName"].as_str().unwrap().ends_with("/a.docx"));

    let (clean, broken) = both(Fault::BooleansAsStrings).await;
    assert_eq!(
        (&clean["SupportsLocks"], &clean["UserCanWrite"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(
        (&broken["SupportsLocks"], &broken["ReadOnly"]),
        (&"true".into(), &"false".into())
    );
    assert_eq!(broken["Size"], 3, "only booleans change type");

    let (clean, broken) = both(Fault::RelativeHostUrls).await;
    for key in ["HostViewUrl", "HostEditUrl", "CloseUrl"] {
        assert!(clean[key].as_str().unwrap().starts_with("http://"), "{key}");
        assert!(broken[key].as_str().unwrap().starts_with('/'), "{key}");
    }

    let (clean, broken) = both(Fault::FileExtensionWithoutDot).await;
    assert_eq!(
        (&clean["FileExtension"], &broken["FileExtension"]),
        (&".docx".into(), &"docx".into())
    );

    let (clean, broken) = both(Fault::LastModifiedTimeNotIso8601).await;
    let (clean_t, broken_t) = (
        clean["LastModifiedTime"].as_str().unwrap(),
        broken["LastModifiedTime"].as_str().unwrap(),
    );
    assert!(
        clean_t.ends_with('Z') && clean_t.contains('T') && clean_t.contains('.'),
        "{clean_t}"
    );
    assert!(!broken_t.ends_with('Z') && broken_t.len() == 19, "{broken_t}");

    let (clean, broken) = both(Fault::Sha256AsHex).await;
    assert_eq!(clean["SHA256"], "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    assert_eq!(
        broken["SHA256"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    let (clean, broken) = contrast(Fault::UserIdUnstable, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        (cfi(&t).await["UserId"].clone(), cfi(&t).await["UserId"].clone())
    })
    .await;
    assert_eq!(clean.0, clean.1);
    assert_ne!(broken.0, broken.1);

    let (clean, broken) = both(Fault::UserIdReservedChars).await;
    assert_eq!(clean["UserId"], "wopi-user");
    assert_eq!(
        (&broken["UserId"], &broken["OwnerId"]),
        (&"WOPI\\wopi-user".into(), &"WOPI\\wopi-user".into())
    );

    for (fault, key) in [
        (Fault::WriteWithoutSupportsUpdate, "SupportsUpdate"),
        (Fault::WriteWithoutLocks, "SupportsLocks"),
        (Fault::ContainersWithoutDeleteFile, "SupportsDeleteFile"),
    ] {
        let (clean, broken) = both(fault).await;
        assert_eq!(
            (&clean[key], &broken[key]),
            (&Value::Bool(true), &Value::Bool(false)),
            "{fault}"
        );
        assert_eq!(broken["UserCanWrite"], true, "{fault}");
        assert_eq!(broken["SupportsContainers"], true, "{fault}");
    }

    let (clean, broken) = both(Fault::ReadOnlyAndWritable).await;
    assert_eq!(
        (&clean["ReadOnly"], &broken["ReadOnly"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    assert_eq!(broken["UserCanWrite"], true);

    // A capability set to true must be implemented.
    let (clean, broken) = contrast(Fault::CapabilityNotImplemented, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let supports = cfi(&t).await["SupportsGetLock"].clone();
        (supports, post(&t, "", "GET_LOCK", &[], b"").await.status())
    })
    .await;
    assert_eq!(clean, (Value::Bool(true), StatusCode::OK));
    assert_eq!(broken, (Value::Bool(true), StatusCode::NOT_IMPLEMENTED));

    // SupportsLocks covers RefreshLock too.
    let (clean, broken) = contrast(Fault::RefreshLockNotImplemented, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let locked = lock(&t, "A").await.status();
        let refreshed = post(&t, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "A")], b"")
            .await
            .status();
        (locked, refreshed, unlock(&t, "A").await.status())
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, StatusCode::OK, StatusCode::OK));
    assert_eq!(broken, (StatusCode::OK, StatusCode::NOT_IMPLEMENTED, StatusCode::OK));
}

#[tokio::test]
async fn more_put_relative_faults() {
    /// PutRelativeFile on a fresh `a.docx` with `headers` and body `new`: status, JSON body (or null), and the new
    /// file's contents read through the response Url with the source's token swapped in when the Url has none.
    async fn put_relative(
        h: &wopi_reference_host::TestHost,
        headers: &[(&str, &str)],
    ) -> (StatusCode, serde_json::Value, Target) {
        let t = new_file(h, "a.docx", b"old").await;
        new_file(h, "taken.docx", b"taken").await;
        let r = post(&t, "", "PUT_RELATIVE", headers, b"new").await;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        (status, body, t)
    }

    // Url: "the WOPISrc for the new file with an access token appended".
    let (clean, broken) = contrast(Fault::RelativeUrlWithoutToken, |h| async move {
        let (_, body, _) = put_relative(&h, &[("X-WOPI-RelativeTarget", "b.docx")]).await;
        body["Url"].as_str().unwrap().contains("access_token=")
    })
    .await;
    assert_eq!((clean, broken), (true, false));

    // "The host must use the content in the POST body to create a new file."
    let (clean, broken) = contrast(Fault::RelativeBodyIgnored, |h| async move {
        let (_, body, _) = put_relative(&h, &[("X-WOPI-RelativeTarget", "b.docx")]).await;
        contents(&Target::from_url(body["Url"].as_str().unwrap())).await
    })
    .await;
    assert_eq!((clean, broken), (b"new".to_vec(), Vec::new()));

    // X-WOPI-OverwriteRelativeTarget: true replaces an unlocked target.
    let (clean, broken) = contrast(Fault::OverwriteFlagIgnored, |h| async move {
        let headers = [
            ("X-WOPI-RelativeTarget", "taken.docx"),
            ("X-WOPI-OverwriteRelativeTarget", "true"),
        ];
        put_relative(&h, &headers).await.0
    })
    .await;
    assert_eq!((clean, broken), (StatusCode::OK, StatusCode::CONFLICT));

    // "If the specified name is illegal, the host must respond with a 400."
    let (clean, broken) = contrast(Fault::RelativeAcceptsPath, |h| async move {
        let (status, body, _) = put_relative(&h, &[("X-WOPI-RelativeTarget", "dir/x.docx")]).await;
        (status, body["Name"].clone())
    })
    .await;
    assert_eq!(clean.0, StatusCode::BAD_REQUEST);
    assert_eq!(broken, (StatusCode::OK, "x.docx".into()));

    // Both target headers: 400 or 501.
    let (clean, broken) = contrast(Fault::ConflictingTargetsAccepted, |h| async move {
        let headers = [("X-WOPI-RelativeTarget", "b.docx"), ("X-WOPI-SuggestedTarget", ".docx")];
        put_relative(&h, &headers).await.0
    })
    .await;
    assert_eq!((clean, broken), (StatusCode::BAD_REQUEST, StatusCode::OK));

    // PutRelativeFile "may be called on a file that is not locked" and needs no lock on the source.
    let (clean, broken) = contrast(Fault::RelativeNeedsSourceLock, |h| async move {
        let t = new_file(&h, "a.docx", b"old").await;
        lock(&t, "A").await;
        let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-RelativeTarget", "b.docx")], b"new").await;
        (r.status(), header(&r, "X-WOPI-Lock"))
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, None));
    assert_eq!(broken, (StatusCode::CONFLICT, Some("A".to_owned())));
}

#[tokio::test]
async fn more_rename_and_delete_faults() {
    // RenameFile.rst: an unlocked file is renamed whatever X-WOPI-Lock says.
    let (clean, broken) = contrast(Fault::RenameChecksLockWhenUnlocked, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let headers = [("X-WOPI-RequestedName", "b"), ("X-WOPI-Lock", "stale")];
        post(&t, "", "RENAME_FILE", &headers, b"").await.status()
    })
    .await;
    assert_eq!((clean, broken), (StatusCode::OK, StatusCode::CONFLICT));

    // A taken name is never overwritten.
    let (clean, broken) = contrast(Fault::RenameOverwritesExisting, |h| async move {
        let taken = new_file(&h, "taken.docx", b"keep me").await;
        let t = new_file(&h, "b.docx", b"x").await;
        let r = post(&t, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "taken")], b"").await;
        let name = json_of(r).await["Name"].clone();
        (name, get(&taken, "/contents", &[]).await.status())
    })
    .await;
    assert_ne!(clean.0, "taken");
    assert_eq!(clean.1, StatusCode::OK);
    assert_eq!(broken, ("taken".into(), StatusCode::NOT_FOUND));

    // X-WOPI-InvalidFileNameError only with 400.
    let (clean, broken) = contrast(Fault::InvalidNameErrorOnSuccess, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let r = post(&t, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "b")], b"").await;
        (r.status(), header(&r, "X-WOPI-InvalidFileNameError"))
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, None));
    assert_eq!(broken.0, StatusCode::OK);
    assert!(broken.1.is_some());

    // 404 for a file that is gone.
    let (clean, broken) = contrast(Fault::DeletedFileAnswers500, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        post(&t, "", "DELETE", &[], b"").await;
        let again = post(&t, "", "DELETE", &[], b"").await.status();
        let rename = post(&t, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "b")], b"")
            .await
            .status();
        (again, rename, get(&t, "", &[]).await.status())
    })
    .await;
    assert_eq!(
        clean,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    let error = StatusCode::INTERNAL_SERVER_ERROR;
    assert_eq!(broken, (error, error, StatusCode::NOT_FOUND));

    // DeleteFile deletes.
    let (clean, broken) = contrast(Fault::DeleteFileNoop, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let deleted = post(&t, "", "DELETE", &[], b"").await.status();
        (deleted, get(&t, "", &[]).await.status())
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, StatusCode::NOT_FOUND));
    assert_eq!(broken, (StatusCode::OK, StatusCode::OK));

    // ShareUrl is a URL.
    let (clean, broken) = contrast(Fault::ShareUrlRelative, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let r = post(&t, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "ReadOnly")], b"").await;
        json_of(r).await["ShareUrl"].as_str().unwrap().to_owned()
    })
    .await;
    assert!(clean.starts_with("http://") && clean.contains("/host/"), "{clean}");
    assert!(broken.starts_with("/host/"), "{broken}");
}

#[tokio::test]
async fn more_container_faults() {
    // Ancestor Url "including a valid access token"; X-WOPI-EnumerationIncomplete, if sent, is "true".
    for fault in [Fault::AncestorUrlWithoutToken, Fault::EnumerationIncompleteNotTrue] {
        let (clean, broken) = contrast(fault, |h| async move {
            let t = new_file(&h, "a.docx", b"x").await;
            let sub = child_container(&root_of(&t).await, "s").await;
            let f = child_file(&sub, "f.docx").await;
            let r = get(&f, "/ancestry", &[]).await;
            let incomplete = header(&r, "X-WOPI-EnumerationIncomplete");
            let body = json_of(r).await;
            let url = body["AncestorsWithRootFirst"][1]["Url"].as_str().unwrap().to_owned();
            (url.contains("access_token="), incomplete)
        })
        .await;
        assert_eq!(clean, (true, None), "{fault}");
        if fault == Fault::AncestorUrlWithoutToken {
            assert_eq!(broken, (false, None));
        } else {
            assert_eq!(broken, (true, Some("false".to_owned())));
        }
    }

    // EnumerateChildren: ChildFiles present; the extension filter is case-insensitive.
    let (clean, broken) = contrast(Fault::ChildFilesMissing, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let children = json_of(get(&root_of(&t).await, "/children", &[]).await).await;
        children.get("ChildFiles").map(|files| files.as_array().unwrap().len())
    })
    .await;
    assert_eq!((clean, broken), (Some(1), None));
    let (clean, broken) = contrast(Fault::ExtensionFilterCaseSensitive, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let sub = child_container(&root_of(&t).await, "s").await;
        child_file(&sub, "keep.docx").await;
        child_file(&sub, "drop.xlsx").await;
        let children =
            json_of(get(&sub, "/children", &[("X-WOPI-FileExtensionFilterList", ".DOCX,.pptx")]).await).await;
        children["ChildFiles"].as_array().unwrap().len()
    })
    .await;
    assert_eq!((clean, broken), (1, 0));

    // DeleteContainer deletes an empty container.
    let (clean, broken) = contrast(Fault::DeleteContainerNoop, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let sub = child_container(&root_of(&t).await, "s").await;
        let deleted = post(&sub, "", "DELETE_CONTAINER", &[], b"").await.status();
        (deleted, get(&sub, "", &[]).await.status())
    })
    .await;
    assert_eq!(clean, (StatusCode::OK, StatusCode::NOT_FOUND));
    assert_eq!(broken, (StatusCode::OK, StatusCode::OK));

    // CreateChildContainer with an exact name: 409 when taken, and the name is never modified.
    let (clean, broken) = contrast(Fault::DuplicateContainerAllowed, |h| async move {
        let root = root_of(&new_file(&h, "a.docx", b"x").await).await;
        child_container(&root, "s").await;
        post(
            &root,
            "",
            "CREATE_CHILD_CONTAINER",
            &[("X-WOPI-RelativeTarget", "s")],
            b"",
        )
        .await
        .status()
    })
    .await;
    assert_eq!((clean, broken), (StatusCode::CONFLICT, StatusCode::OK));
    let (clean, broken) = contrast(Fault::ContainerNameModified, |h| async move {
        let root = root_of(&new_file(&h, "a.docx", b"x").await).await;
        let sub = child_container(&root, "caf+AOk-").await;
        json_of(get(&sub, "", &[]).await).await["Name"].clone()
    })
    .await;
    assert_eq!((clean, broken), ("café".into(), "caf_".into()));

    // Suggested CreateChildFile never answers 409.
    let (clean, broken) = contrast(Fault::SuggestedChildFileConflicts, |h| async move {
        let sub = child_container(&root_of(&new_file(&h, "a.docx", b"x").await).await, "s").await;
        child_file(&sub, "f.docx").await;
        let r = post(
            &sub,
            "",
            "CREATE_CHILD_FILE",
            &[("X-WOPI-SuggestedTarget", "f.docx")],
            b"",
        )
        .await;
        r.status()
    })
    .await;
    assert_eq!((clean, broken), (StatusCode::OK, StatusCode::CONFLICT));

    // RenameContainer decodes UTF-7.
    let (clean, broken) = contrast(Fault::RenameContainerNotDecoded, |h| async move {
        let sub = child_container(&root_of(&new_file(&h, "a.docx", b"x").await).await, "s").await;
        post(&sub, "", "RENAME_CONTAINER", &[("X-WOPI-RequestedName", "r+AOk-")], b"").await;
        json_of(get(&sub, "", &[]).await).await["Name"].clone()
    })
    .await;
    assert_eq!((clean, broken), ("ré".into(), "r+AOk-".into()));

    // GetRootContainer answers ContainerPointer.
    let (clean, broken) = contrast(Fault::RootContainerPointerMissing, |h| async move {
        let t = new_file(&h, "a.docx", b"x").await;
        let eco = json_of(get(&t, "/ecosystem_pointer", &[]).await).await;
        let eco = Target::from_url(eco["Url"].as_str().unwrap());
        let root = json_of(get(&eco, "/root_container_pointer", &[]).await).await;
        (
            root.get("ContainerPointer").is_some(),
            root.get("ContainerInfo").is_some(),
        )
    })
    .await;
    assert_eq!((clean, broken), ((true, true), (false, true)));
}

/// A fault that ends the host's process must never run in an embedded host: it would end the program that embeds
/// it (the harness, this test). The binary runs it; `tests/cli.rs` shows it there.
#[tokio::test]
async fn a_process_ending_fault_is_refused_in_an_embedded_host() {
    let mut config = config();
    config.faults = FaultSet::of([Fault::ExitOnUtf7RelativeName]);
    let text = match wopi_reference_host::spawn_for_test(config).await {
        Ok(_) => panic!("an embedded host with ExitOnUtf7RelativeName must not start"),
        Err(e) => e.to_string(),
    };
    assert!(
        text.contains("ExitOnUtf7RelativeName") && text.contains("wopi-conformance host"),
        "{text}"
    );
}
