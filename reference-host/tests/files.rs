//! File operations over HTTP: CheckFileInfo, GetFile, PutFile, PutRelativeFile, RenameFile, DeleteFile,
//! PutUserInfo, GetShareUrl; tokens and permissions.

#![allow(clippy::unwrap_used)] // test helpers and assertions

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use wopi_reference_host::testing::Resource;
use wopi_reference_host::{DEFAULT_USER, READ_ONLY_USER};

#[tokio::test]
async fn check_file_info_is_complete_and_well_typed() {
    let host = host().await;
    let t = new_file(&host, "report.docx", b"12345").await;
    let body = cfi(&t).await;
    let problems = wopi_protocol::checkfileinfo::validate(&body);
    assert!(problems.is_empty(), "CheckFileInfo problems: {problems:?}");
    assert_eq!(body["BaseFileName"], "report.docx");
    assert_eq!(body["Size"], 5);
    assert_eq!(body["Version"], "v1");
    assert_eq!(body["OwnerId"], DEFAULT_USER);
    assert_eq!(body["UserId"], DEFAULT_USER);
    assert_eq!(body["FileExtension"], ".docx");
    for flag in [
        "SupportsLocks",
        "SupportsGetLock",
        "SupportsExtendedLockLength",
        "SupportsUpdate",
        "SupportsRename",
        "SupportsDeleteFile",
        "SupportsUserInfo",
        "SupportsContainers",
        "SupportsEcosystem",
        "UserCanWrite",
        "UserCanRename",
    ] {
        assert_eq!(body[flag], true, "{flag}");
    }
    assert_eq!(body["UserCanNotWriteRelative"], false);
    assert_eq!(body["ReadOnly"], false);
    assert_eq!(body["FileNameMaxLength"], 250);
    assert_eq!(body["PostMessageOrigin"], host.base_url);
    let id = t.file_id();
    assert_eq!(body["HostEditUrl"], format!("{}/host/{id}?action=edit", host.base_url));
    assert_eq!(body["HostViewUrl"], format!("{}/host/{id}?action=view", host.base_url));
    assert_eq!(body["CloseUrl"], format!("{}/", host.base_url));
    let modified = body["LastModifiedTime"].as_str().unwrap();
    assert!(modified.ends_with('Z') && modified.len() == 28, "{modified}");
    // SHA-256 of "12345", base64.
    assert_eq!(body["SHA256"], "WZRHGrsBESr8wYFZ9sx0tPURuZgG2lmzyvWpwXPKz8U=");
}

#[tokio::test]
async fn get_file_returns_bytes_version_and_honours_max_expected_size() {
    let host = host().await;
    let t = new_file(&host, "a.bin", b"0123456789").await;
    let r = get(&t, "/contents", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "X-WOPI-ItemVersion").as_deref(), Some("v1"));
    assert_eq!(&r.bytes().await.unwrap()[..], b"0123456789");
    assert_eq!(
        get(&t, "/contents", &[("X-WOPI-MaxExpectedSize", "9")]).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        get(&t, "/contents", &[("X-WOPI-MaxExpectedSize", "10")]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&t, "/contents", &[("X-WOPI-MaxExpectedSize", "-1")]).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&t, "/contents", &[("X-WOPI-MaxExpectedSize", "ten")])
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn put_file_lock_rules() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"old").await;
    // Unlocked and not empty: 409 with an empty lock, content unchanged.
    assert_lock_mismatch(&put_file(&t, None, b"new").await, "");
    assert_lock_mismatch(&put_file(&t, Some("L"), b"new").await, "");
    assert_eq!(contents(&t).await, b"old");

    assert_eq!(lock(&t, "L").await.status(), StatusCode::OK);
    assert_lock_mismatch(&put_file(&t, Some("other"), b"new").await, "L");
    assert_lock_mismatch(&put_file(&t, None, b"new").await, "L");
    assert_eq!(contents(&t).await, b"old");
    let r = put_file(&t, Some("L"), b"new").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "X-WOPI-ItemVersion").as_deref(), Some("v2"));
    assert_eq!(contents(&t).await, b"new");
    // The same bytes again still make a new version.
    let r = put_file(&t, Some("L"), b"new").await;
    assert_eq!(header(&r, "X-WOPI-ItemVersion").as_deref(), Some("v3"));
    assert_eq!(cfi(&t).await["Version"], "v3");
}

#[tokio::test]
async fn put_file_on_an_empty_unlocked_file_is_allowed() {
    let host = host().await;
    let t = new_file(&host, "new.docx", b"").await;
    let r = put_file(&t, None, b"first content").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(contents(&t).await, b"first content");
    // Now it is not empty: unlocked PutFile is refused.
    assert_lock_mismatch(&put_file(&t, None, b"again").await, "");
}

#[tokio::test]
async fn put_file_over_the_size_limit_is_413() {
    let mut config = config();
    config.max_file_size = 1000;
    let host = wopi_reference_host::spawn_for_test(config).await.unwrap();
    let t = new_file(&host, "a.bin", b"").await;
    assert_eq!(
        put_file(&t, None, &[0u8; 1001]).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(put_file(&t, None, &[0u8; 1000]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn put_relative_suggested_mode() {
    let host = host().await;
    let t = new_file(&host, "report.docx", b"src").await;
    // Extension only: the source's stem plus the extension.
    let r = post(
        &t,
        "",
        "PUT_RELATIVE",
        &[("X-WOPI-SuggestedTarget", ".pdf"), ("X-WOPI-Size", "3")],
        b"pdf",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["Name"], "report.pdf");
    let created = Target::from_url(body["Url"].as_str().unwrap());
    assert_eq!(contents(&created).await, b"pdf");
    assert!(body["HostEditUrl"].as_str().unwrap().starts_with(&host.base_url));
    assert!(body["HostViewUrl"].as_str().unwrap().starts_with(&host.base_url));
    // A clash in suggested mode picks another name, keeps the extension, never 409.
    let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-SuggestedTarget", ".pdf")], b"pdf2").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["Name"], "report (2).pdf");
    assert_eq!(contents(&created).await, b"pdf", "suggested mode must not overwrite");
    // An illegal suggested name is repaired, not refused.
    let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-SuggestedTarget", "a/b:c.txt")], b"x").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["Name"], "a_b_c.txt");
}

#[tokio::test]
async fn put_relative_specific_mode_conflicts_overwrite_and_locks() {
    let host = host().await;
    let t = new_file(&host, "source.docx", b"src").await;
    let existing = new_file(&host, "target.docx", b"existing").await;
    let relative = |name: &'static str, overwrite: Option<&'static str>, body: &'static [u8]| {
        let t = t.clone();
        async move {
            let mut headers = vec![("X-WOPI-RelativeTarget", name)];
            if let Some(o) = overwrite {
                headers.push(("X-WOPI-OverwriteRelativeTarget", o));
            }
            post(&t, "", "PUT_RELATIVE", &headers, body).await
        }
    };
    let r = relative("target.docx", None, b"new").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        header(&r, "X-WOPI-ValidRelativeTarget").as_deref(),
        Some("target (2).docx")
    );
    assert_eq!(
        relative("target.docx", Some("false"), b"new").await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(contents(&existing).await, b"existing");
    // Overwrite onto a locked target: 409 with its lock.
    assert_eq!(lock(&existing, "TL").await.status(), StatusCode::OK);
    assert_lock_mismatch(&relative("target.docx", Some("True"), b"new").await, "TL");
    assert_eq!(unlock(&existing, "TL").await.status(), StatusCode::OK);
    let r = relative("target.docx", Some("True"), b"new").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["Name"], "target.docx");
    assert_eq!(
        contents(&existing).await,
        b"new",
        "overwrite keeps the target's file ID"
    );
    // UTF-7 names are decoded; the response is plain UTF-8.
    let r = relative("+ZYdO9g-1.docx", None, b"cjk").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["Name"], "文件1.docx");
    let r = relative("madeup+AF8-name.wopitestx", None, b"v").await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["Name"],
        "madeup_name.wopitestx"
    );
}

#[tokio::test]
async fn put_relative_bad_input_is_4xx_and_creates_nothing() {
    let host = host().await;
    let t = new_file(&host, "source.docx", b"src").await;
    let before = host
        .state
        .store
        .children(&root(&host).await, host.clock_now())
        .await
        .unwrap()
        .1
        .len();
    for (headers, status) in [
        (vec![("X-WOPI-RelativeTarget", "../evil.docx")], StatusCode::BAD_REQUEST),
        (vec![("X-WOPI-RelativeTarget", "a/b.docx")], StatusCode::BAD_REQUEST),
        (vec![("X-WOPI-RelativeTarget", "a\\b.docx")], StatusCode::BAD_REQUEST),
        (vec![("X-WOPI-RelativeTarget", "..")], StatusCode::BAD_REQUEST),
        (vec![("X-WOPI-RelativeTarget", "a\tb.docx")], StatusCode::BAD_REQUEST),
        (vec![("X-WOPI-RelativeTarget", "bad+AAA.docx")], StatusCode::BAD_REQUEST),
        (vec![("X-WOPI-RelativeTarget", "a+!b.docx")], StatusCode::BAD_REQUEST),
        (vec![("X-WOPI-RelativeTarget", "+2D00-x.docx")], StatusCode::BAD_REQUEST),
        (
            vec![("X-WOPI-RelativeTarget", "a.docx"), ("X-WOPI-SuggestedTarget", ".docx")],
            StatusCode::BAD_REQUEST,
        ),
        (vec![], StatusCode::BAD_REQUEST),
        (
            vec![
                ("X-WOPI-RelativeTarget", "a.docx"),
                ("X-WOPI-OverwriteRelativeTarget", "maybe"),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("X-WOPI-RelativeTarget", "a.docx"), ("X-WOPI-Size", "2147483648")],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            vec![("X-WOPI-RelativeTarget", "a.docx"), ("X-WOPI-Size", "99")],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("X-WOPI-RelativeTarget", "a.docx"), ("X-WOPI-Size", "x")],
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = post(&t, "", "PUT_RELATIVE", &headers, b"abc").await;
        assert_eq!(r.status(), status, "{headers:?}");
        if status == StatusCode::BAD_REQUEST && headers.len() == 1 {
            assert!(header(&r, "X-WOPI-InvalidFileNameError").is_some(), "{headers:?}");
        }
    }
    // An illegal specific name comes with a legal proposal in X-WOPI-ValidRelativeTarget (UTF-7).
    let r = post(
        &t,
        "",
        "PUT_RELATIVE",
        &[("X-WOPI-RelativeTarget", "a:b+AF8-c.docx")],
        b"abc",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        header(&r, "X-WOPI-ValidRelativeTarget").as_deref(),
        Some("a+AF8-b+AF8-c.docx")
    );
    // A control character cannot even be sent as a header by reqwest, so it is covered by the names unit tests;
    // a name longer than FileNameMaxLength is refused in specific mode.
    let long = format!("{}.docx", "n".repeat(600));
    let r = client()
        .post(t.url(""))
        .header("X-WOPI-Override", "PUT_RELATIVE")
        .header("X-WOPI-RelativeTarget", long)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let after = host
        .state
        .store
        .children(&root(&host).await, host.clock_now())
        .await
        .unwrap()
        .1
        .len();
    assert_eq!(before, after, "no file may be created by a refused request");
}

#[tokio::test]
async fn rename_file_keeps_extension_and_id() {
    let host = host().await;
    let t = new_file(&host, "old.docx", b"x").await;
    let rename = |name: &'static str, lock: &'static str| {
        let t = t.clone();
        async move {
            post(
                &t,
                "",
                "RENAME_FILE",
                &[("X-WOPI-RequestedName", name), ("X-WOPI-Lock", lock)],
                b"",
            )
            .await
        }
    };
    // The validator always sends X-WOPI-Lock, empty when it has none.
    let r = rename("new+AF8-name", "").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["Name"], "new_name");
    assert_eq!(cfi(&t).await["BaseFileName"], "new_name.docx");

    for bad in ["a/b", "..", "x:y", "a*", "trailing."] {
        let r = rename(bad, "").await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(header(&r, "X-WOPI-InvalidFileNameError").is_some());
    }
    assert_eq!(rename("bad+AAA", "").await.status(), StatusCode::BAD_REQUEST);
    // Malformed UTF-7: a '+' that starts no base64 run; an unpaired surrogate.
    assert_eq!(rename("a+!b", "").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(rename("+2D00-x", "").await.status(), StatusCode::BAD_REQUEST);
    let r = post(&t, "", "RENAME_FILE", &[], b"").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(cfi(&t).await["BaseFileName"], "new_name.docx");

    assert_eq!(lock(&t, "L").await.status(), StatusCode::OK);
    assert_lock_mismatch(&rename("x", "wrong").await, "L");
    assert_lock_mismatch(&rename("x", "").await, "L");
    assert_eq!(rename("locked+AF8-ok", "L").await.status(), StatusCode::OK);
    assert_eq!(cfi(&t).await["BaseFileName"], "locked_ok.docx");
    // A clash with another file gets a different name, not an error.
    new_file(&host, "taken.docx", b"y").await;
    let r = rename("taken", "L").await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["Name"], "taken (2)");
}

#[tokio::test]
async fn delete_file_refuses_locked_files_and_then_404s() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    assert_eq!(lock(&t, "L").await.status(), StatusCode::OK);
    assert_lock_mismatch(&post(&t, "", "DELETE", &[], b"").await, "L");
    assert_eq!(unlock(&t, "L").await.status(), StatusCode::OK);
    assert_eq!(post(&t, "", "DELETE", &[], b"").await.status(), StatusCode::OK);
    assert_eq!(get(&t, "", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&t, "/contents", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        post(&t, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "x")], b"")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(post(&t, "", "DELETE", &[], b"").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_user_info_is_returned_as_user_info() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    let other = new_file(&host, "b.docx", b"x").await;
    assert!(cfi(&t).await.get("UserInfo").is_none());
    assert_eq!(
        post(&t, "", "PUT_USER_INFO", &[], b"{\"theme\":\"dark\"}")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(cfi(&t).await["UserInfo"], "{\"theme\":\"dark\"}");
    // Kept per user, so another file of the same user shows it too.
    assert_eq!(cfi(&other).await["UserInfo"], "{\"theme\":\"dark\"}");
    let too_long = vec![b'a'; 1025];
    assert_eq!(
        post(&t, "", "PUT_USER_INFO", &[], &too_long).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(cfi(&t).await["UserInfo"], "{\"theme\":\"dark\"}");
}

#[tokio::test]
async fn get_share_url() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    let r = post(&t, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "ReadOnly")], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    let url = r.json::<serde_json::Value>().await.unwrap()["ShareUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(url, format!("{}/host/{}?action=view", host.base_url, t.file_id()));
    let r = post(&t, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "ReadWrite")], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        post(&t, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "Other")], b"")
            .await
            .status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_eq!(
        post(&t, "", "GET_SHARE_URL", &[], b"").await.status(),
        StatusCode::NOT_IMPLEMENTED
    );
}

#[tokio::test]
async fn tokens_invalid_expired_and_bound_to_their_file() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    let other = new_file(&host, "b.docx", b"y").await;
    let bad = Target {
        wopisrc: t.wopisrc.clone(),
        token: "garbage".into(),
    };
    assert_eq!(get(&bad, "", &[]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get(&bad, "/contents", &[]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(lock(&bad, "L").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unlock(&bad, "L").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(put_file(&bad, None, b"z").await.status(), StatusCode::UNAUTHORIZED);
    // Another file's token.
    let cross = Target {
        wopisrc: t.wopisrc.clone(),
        token: other.token.clone(),
    };
    assert_eq!(get(&cross, "", &[]).await.status(), StatusCode::UNAUTHORIZED);
    // No token at all.
    assert_eq!(
        client().get(&t.wopisrc).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // The Authorization header works when the query has no token.
    let r = client().get(&t.wopisrc).bearer_auth(&t.token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Expiry on the host's clock: the default TTL is 10 hours.
    host.clock.advance(Duration::from_secs(10 * 3600 - 60));
    assert_eq!(get(&t, "", &[]).await.status(), StatusCode::OK);
    host.clock.advance(Duration::from_secs(61));
    assert_eq!(get(&t, "", &[]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get_lock_status(&t).await, StatusCode::UNAUTHORIZED);
}

async fn get_lock_status(t: &Target) -> StatusCode {
    post(t, "", "GET_LOCK", &[], b"").await.status()
}

#[tokio::test]
async fn access_token_ttl_is_milliseconds_since_the_epoch() {
    let host = host().await;
    let p = host.file("a.docx", b"x").await.unwrap();
    let now_ms = host
        .clock_now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert_eq!(p.access_token_ttl, now_ms + 10 * 3600 * 1000);
}

#[tokio::test]
async fn read_only_users_cannot_write() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"").await;
    let user = wopi_reference_host::testing::UserId::new(READ_ONLY_USER).unwrap();
    let token = host.state.issue_token(
        &user,
        &Resource::File(wopi_protocol::ids::FileId::new(t.file_id()).unwrap()),
    );
    let ro = t.with_token(&token);
    let body = cfi(&ro).await;
    assert_eq!(body["UserCanWrite"], false);
    assert_eq!(body["ReadOnly"], true);
    assert_eq!(body["UserCanNotWriteRelative"], true);
    assert_eq!(body["UserId"], READ_ONLY_USER);
    assert_eq!(get(&ro, "/contents", &[]).await.status(), StatusCode::OK);
    assert_eq!(put_file(&ro, None, b"x").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(lock(&ro, "L").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(&ro, "", "DELETE", &[], b"").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        post(&ro, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "x")], b"")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&ro, "", "PUT_RELATIVE", &[("X-WOPI-SuggestedTarget", ".txt")], b"x")
            .await
            .status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_eq!(
        post(&ro, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "ReadWrite")], b"")
            .await
            .status(),
        StatusCode::NOT_IMPLEMENTED
    );
    assert_eq!(get_lock(&ro).await, "");
    assert_eq!(contents(&t).await, b"");
}

#[tokio::test]
async fn unknown_file_is_404() {
    let host = host().await;
    let user = wopi_reference_host::testing::UserId::new(DEFAULT_USER).unwrap();
    let id = wopi_protocol::ids::FileId::new("doesnotexist").unwrap();
    let token = host.state.issue_token(&user, &Resource::File(id));
    let t = Target {
        wopisrc: format!("{}/wopi/files/doesnotexist", host.base_url),
        token: token.access_token,
    };
    assert_eq!(get(&t, "", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&t, "/contents", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(lock(&t, "L").await.status(), StatusCode::NOT_FOUND);
}

async fn root(host: &wopi_reference_host::TestHost) -> wopi_protocol::ids::ContainerId {
    host.state.store.root_container().await.unwrap().id
}

trait Now {
    fn clock_now(&self) -> std::time::SystemTime;
}

impl Now for wopi_reference_host::TestHost {
    fn clock_now(&self) -> std::time::SystemTime {
        use wopi_reference_host::clock::Clock;
        self.clock.now()
    }
}
