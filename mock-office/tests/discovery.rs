//! The discovery XML the mock serves: it parses back with the protocol crate, the CSP blobs equal the
//! modulus/exponent pairs, the keys are the ring's, rotation through the admin endpoint shows up, and the document
//! keeps its shape (insta snapshot, key material and port redacted).

use std::time::Duration;

use tokio::net::TcpListener;
use wopi_mock_office::keys;
use wopi_mock_office::server::{MockConfig, MockOffice, MockOfficeHandle};
use wopi_protocol::discovery::{ActionUrlParams, Discovery, expand_action_url};
use wopi_protocol::proof::ProofPublicKey;

async fn start() -> MockOfficeHandle {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    MockOffice::start(listener, MockConfig::default()).expect("mock starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn fetch(url: &url::Url) -> (String, Discovery) {
    let resp = http().get(url.clone()).send().await.expect("discovery answers");
    assert_eq!(resp.status(), 200);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("text/xml"), "content type {ct}");
    let xml = resp.text().await.expect("body");
    let parsed = Discovery::parse(&xml).expect("discovery parses with the protocol crate");
    (xml, parsed)
}

#[tokio::test]
async fn discovery_parses_back_and_both_key_forms_agree() {
    let mock = start().await;
    let (_, d) = fetch(&mock.discovery_url).await;
    let pk = d.proof_key.as_ref().expect("proof-key element");
    let from_blob = ProofPublicKey::from_csp_blob(&pk.value).expect("value is a CSP blob");
    let from_parts = ProofPublicKey::from_modulus_exponent(&pk.modulus, &pk.exponent).expect("modulus/exponent");
    assert_eq!(from_blob, from_parts);
    let old_blob = ProofPublicKey::from_csp_blob(&pk.oldvalue).expect("oldvalue is a CSP blob");
    let old_parts = ProofPublicKey::from_modulus_exponent(&pk.oldmodulus, &pk.oldexponent).expect("old parts");
    assert_eq!(old_blob, old_parts);
    assert_ne!(from_parts, old_parts, "current and old keys differ");

    // The published keys are the ring's.
    let published = d.proof_keys().expect("keys");
    assert_eq!(published, keys::read(&mock.keys).proof_keys());

    // Zone, apps and actions as Office has them.
    assert_eq!(d.net_zones.len(), 1);
    assert_eq!(d.net_zones[0].name, "internal-http");
    let apps: Vec<&str> = d.net_zones[0].apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(apps, ["Word", "Excel", "PowerPoint", "WopiTest"]);
    for (ext, action) in [
        ("docx", "edit"),
        ("xlsx", "view"),
        ("pptx", "editnew"),
        ("wopitest", "getinfo"),
        ("docx", "embedview"),
    ] {
        let (_, a) = d
            .find_action(ext, action)
            .unwrap_or_else(|| panic!("{action} for .{ext}"));
        assert!(
            a.urlsrc.starts_with(mock.base_url.as_str()),
            "{} points back at the mock",
            a.urlsrc
        );
    }
    let (_, convert) = d.find_action("doc", "convert").expect("convert");
    assert_eq!(convert.targetext.as_deref(), Some("docx"));
    let (_, edit) = d.find_action("docx", "edit").expect("edit");
    assert_eq!(edit.requires.as_deref(), Some("locks,update"));
    mock.shutdown().await;
}

#[tokio::test]
async fn action_urls_expand_to_the_frame_with_the_wopisrc() {
    let mock = start().await;
    let (_, d) = fetch(&mock.discovery_url).await;
    let (_, edit) = d.find_action("docx", "edit").expect("edit");
    let params = ActionUrlParams {
        ui_llcc: Some("en-US".into()),
        ..ActionUrlParams::default()
    };
    let url = expand_action_url(&edit.urlsrc, "http://127.0.0.1:1/wopi/files/abc", &params);
    let parsed = url::Url::parse(&url).expect("an expanded action URL is a URL");
    assert_eq!(parsed.path(), "/office/word/edit");
    let q: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    assert!(q.contains(&("ui".into(), "en-US".into())), "{q:?}");
    assert!(
        q.iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("wopisrc") && v == "http://127.0.0.1:1/wopi/files/abc"),
        "{q:?}"
    );
    assert!(!url.contains('<'), "placeholders left in {url}");
    mock.shutdown().await;
}

#[tokio::test]
async fn rotation_through_the_admin_endpoint_moves_current_to_old() {
    let mock = start().await;
    let (_, before) = fetch(&mock.discovery_url).await;
    let before = before.proof_key.expect("proof key");
    let resp = http()
        .post(mock.base_url.join("admin/keys/rotate").expect("url"))
        .send()
        .await
        .expect("admin answers");
    assert_eq!(resp.status(), 200);
    let view: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(view["generation"], 1);
    let (_, after) = fetch(&mock.discovery_url).await;
    let after = after.proof_key.expect("proof key");
    assert_eq!(after.oldmodulus, before.modulus);
    assert_eq!(after.oldvalue, before.value);
    assert_ne!(after.modulus, before.modulus);
    assert_eq!(view["current"]["modulus"], after.modulus.as_str());

    // Back to the fixed keys: what a host configured once trusts.
    let resp = http()
        .post(mock.base_url.join("admin/keys/fixed").expect("url"))
        .send()
        .await
        .expect("admin answers");
    assert_eq!(resp.status(), 200);
    let (_, fixed) = fetch(&mock.discovery_url).await;
    assert_eq!(fixed.proof_key.expect("proof key").modulus, before.modulus);
    mock.shutdown().await;
}

#[tokio::test]
async fn discovery_xml_snapshot() {
    let mock = start().await;
    let (xml, _) = fetch(&mock.discovery_url).await;
    let port = mock.local_addr.port().to_string();
    insta::with_settings!({
        filters => vec![
            (r#"(value|modulus|exponent|oldvalue|oldmodulus|oldexponent)="[^"]*""#, "$1=\"[key]\""),
            (port.as_str(), "[port]"),
        ]
    }, {
        insta::assert_snapshot!(xml);
    });
    mock.shutdown().await;
}

#[tokio::test]
async fn the_standalone_runner_serves_discovery_until_told_to_stop() {
    // Find a free port (the runner binds it itself; the gap between the two binds is harmless on loopback).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let listen: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let runner = tokio::spawn(wopi_mock_office::run_standalone_with(
        listen,
        MockConfig::default(),
        async {
            let _ = rx.await;
        },
    ));
    let url = url::Url::parse(&format!("http://127.0.0.1:{port}/hosting/discovery")).expect("url");
    let mut served = false;
    for _ in 0..50 {
        if let Ok(resp) = http().get(url.clone()).send().await {
            served = resp.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "discovery was not served");
    tx.send(()).expect("runner still waiting");
    let result = tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("stops in time")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
    assert!(http().get(url).send().await.is_err(), "still serving after shutdown");
}
