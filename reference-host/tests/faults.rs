//! Each fault departs from exactly the rule it names: the correct host behaves one way (covered by the other test
//! files), the faulty host the other way. StaleProofAccepted is covered by the proof-key tests.

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
