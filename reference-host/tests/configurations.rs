//! The named host configurations (`--configuration`): each declares its choice in CheckFileInfo and the handlers
//! honour it, so a configuration is a real host setting, not a flag.

#![allow(clippy::unwrap_used)] // test helpers and assertions

mod common;

use common::*;
use reqwest::StatusCode;
use wopi_reference_host::configuration::Configuration;
use wopi_reference_host::{TestHost, spawn_for_test};

/// A host in `configuration`, a file on it, and that file's CheckFileInfo.
async fn file_in(configuration: Configuration, content: &[u8]) -> (TestHost, Target, serde_json::Value) {
    let mut config = config();
    config.configuration = configuration;
    let host = spawn_for_test(config).await.unwrap();
    let t = new_file(&host, "a.wopitest", content).await;
    let info = cfi(&t).await;
    (host, t, info)
}

/// The file's parent container, through EnumerateAncestors.
async fn parent(t: &Target) -> Target {
    let r = get(t, "/ancestry", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    let last = body["AncestorsWithRootFirst"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    Target::from_url(last["Url"].as_str().unwrap())
}

#[tokio::test]
async fn the_default_is_the_full_host() {
    let (_host, t, info) = file_in(Configuration::Default, b"abc").await;
    assert_eq!(info["UserCanNotWriteRelative"], false);
    assert_eq!(info["SupportsContainers"], true);
    assert_eq!(info["IsAnonymousUser"], false);
    for absent in ["FileUrl", "WorkflowUrl", "WorkflowType"] {
        assert!(info.get(absent).is_none(), "{absent} in the default CheckFileInfo");
    }
    let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-SuggestedTarget", ".wopitest")], b"x").await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = parent(&t).await;
    let r = post(&c, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "ReadOnly")], b"").await;
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    let info = cfi(&c).await;
    assert!(info.get("SupportedShareUrlTypes").is_none());
    let download = t.url("").replace("/wopi/files/", "/download/");
    assert!(download.contains("access_token="), "{download}");
    let r = client().get(download).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a FileUrl route without the setting");
}

#[tokio::test]
async fn no_relative_declares_it_and_refuses_put_relative_file_with_501() {
    let (_host, t, info) = file_in(Configuration::NoRelative, b"abc").await;
    assert_eq!(info["UserCanNotWriteRelative"], true);
    assert_eq!(info["UserCanWrite"], true, "the user can still write the file itself");
    for headers in [
        [("X-WOPI-SuggestedTarget", ".wopitest")],
        [("X-WOPI-RelativeTarget", "b.wopitest")],
    ] {
        let r = post(&t, "", "PUT_RELATIVE", &headers, b"x").await;
        assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED, "{headers:?}");
    }
    // Nothing was created next to the file.
    let c = parent(&t).await;
    let children: serde_json::Value = get(&c, "/children", &[]).await.json().await.unwrap();
    assert_eq!(children["ChildFiles"].as_array().unwrap().len(), 1);
    // PutFile is unaffected.
    assert_eq!(lock(&t, "L").await.status(), StatusCode::OK);
    assert_eq!(put_file(&t, Some("L"), b"new").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn file_url_serves_the_current_content_unsigned_and_get_file_still_works() {
    let (host, t, info) = file_in(Configuration::FileUrl, b"first").await;
    let url = info["FileUrl"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/download/", host.base_url)), "{url}");
    let fetch = |u: String| async move { client().get(u).send().await.unwrap() };
    assert_eq!(fetch(url.clone()).await.bytes().await.unwrap().as_ref(), b"first");
    assert_eq!(lock(&t, "L").await.status(), StatusCode::OK);
    assert_eq!(put_file(&t, Some("L"), b"second").await.status(), StatusCode::OK);
    assert_eq!(fetch(url.clone()).await.bytes().await.unwrap().as_ref(), b"second");
    assert_eq!(contents(&t).await, b"second");
    // Without its token the URL serves nothing.
    let bare = url.split('?').next().unwrap().to_owned();
    assert_eq!(fetch(bare).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn no_containers_declares_it_and_answers_501_to_container_operations() {
    let (_host, t, info) = file_in(Configuration::NoContainers, b"abc").await;
    assert_eq!(info["SupportsContainers"], false);
    assert_eq!(get(&t, "/ancestry", &[]).await.status(), StatusCode::NOT_IMPLEMENTED);
    // File operations still work: PutRelativeFile, RenameFile, DeleteFile.
    let r = post(&t, "", "PUT_RELATIVE", &[("X-WOPI-SuggestedTarget", ".wopitest")], b"x").await;
    assert_eq!(r.status(), StatusCode::OK);
    let created: serde_json::Value = r.json().await.unwrap();
    let created = Target::from_url(created["Url"].as_str().unwrap());
    let r = post(&created, "", "RENAME_FILE", &[("X-WOPI-RequestedName", "renamed")], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(post(&created, "", "DELETE", &[], b"").await.status(), StatusCode::OK);
    // A container URL of the same host, as the default configuration would hand it out.
    let eco: serde_json::Value = get(&t, "/ecosystem_pointer", &[]).await.json().await.unwrap();
    let eco = Target::from_url(eco["Url"].as_str().unwrap());
    assert_eq!(
        get(&eco, "/root_container_pointer", &[]).await.status(),
        StatusCode::NOT_IMPLEMENTED
    );
}

#[tokio::test]
async fn container_share_urls_are_declared_and_answered() {
    let (_host, t, _info) = file_in(Configuration::ContainerShareUrls, b"abc").await;
    let c = parent(&t).await;
    let info = cfi(&c).await;
    assert_eq!(
        info["SupportedShareUrlTypes"],
        serde_json::json!(["ReadOnly", "ReadWrite"])
    );
    for (kind, action) in [("ReadOnly", "view"), ("ReadWrite", "edit")] {
        let r = post(&c, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", kind)], b"").await;
        assert_eq!(r.status(), StatusCode::OK, "{kind}");
        let url = r.json::<serde_json::Value>().await.unwrap()["ShareUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(url.ends_with(&format!("?action={action}")), "{url}");
        let page = client().get(&url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{url} is not served");
    }
    let r = post(&c, "", "GET_SHARE_URL", &[("X-WOPI-UrlType", "UnknownType")], b"").await;
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
}

#[tokio::test]
async fn anonymous_sessions_say_so_in_file_and_container_info() {
    let (_host, t, info) = file_in(Configuration::Anonymous, b"abc").await;
    assert_eq!(info["IsAnonymousUser"], true);
    assert!(info.get("UserFriendlyName").is_none());
    assert!(info["OwnerId"].is_string());
    assert_eq!(cfi(&parent(&t).await).await["IsAnonymousUser"], true);
}

#[tokio::test]
async fn workflow_gives_url_and_type_and_serves_the_page() {
    let (_host, _t, info) = file_in(Configuration::Workflow, b"abc").await;
    assert_eq!(info["WorkflowType"], serde_json::json!(["Submit"]));
    let url = info["WorkflowUrl"].as_str().unwrap();
    let page = client().get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("a.wopitest"));
}
