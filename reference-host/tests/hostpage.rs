//! The host page (`online/hostpage.rst`): the form POSTs the token and its TTL (milliseconds) into the frame, the
//! action URL comes from discovery with the WOPISrc filled and never carries the token, `wd*` parameters pass
//! through, the page is not cacheable, and everything interpolated is escaped. The page's behaviour in a browser
//! (postMessage) is tested by a later suite in headless Chromium.

#![allow(clippy::unwrap_used)] // test helpers and assertions

use std::time::Duration;

use wopi_protocol::discovery::{Action, App, Discovery, NetZone, ProofKeyElement};
use wopi_protocol::proof::ProofKeyPair;
use wopi_reference_host::clock::Clock;
use wopi_reference_host::faults::{Fault, FaultSet};
use wopi_reference_host::testing::{Resource, epoch_ms};
use wopi_reference_host::{Config, TestHost, spawn_for_test};

const CLIENT: &str = "https://client.example:8443";

fn action(name: &str, ext: &str, urlsrc: &str) -> Action {
    Action {
        name: name.to_owned(),
        ext: Some(ext.to_owned()),
        progid: None,
        urlsrc: urlsrc.to_owned(),
        requires: None,
        default: name == "view",
        newprogid: None,
        newext: None,
        use_parent: None,
        targetext: None,
    }
}

fn discovery_xml() -> String {
    let pem = std::fs::read_to_string(format!(
        "{}/../fixtures/proof-keys/current.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture key");
    let key = ProofKeyPair::from_pkcs8_pem(&pem).expect("key").public();
    Discovery {
        net_zones: vec![NetZone {
            name: "external-http".to_owned(),
            apps: vec![App {
                name: "Word".to_owned(),
                fav_icon_url: Some(format!("{CLIENT}/wv/favicon.ico")),
                check_license: None,
                actions: vec![
                    action(
                        "view",
                        "docx",
                        &format!("{CLIENT}/wv/wordviewerframe.aspx?<ui=UI_LLCC&><rs=DC_LLCC&>"),
                    ),
                    action(
                        "edit",
                        "docx",
                        &format!("{CLIENT}/we/wordeditorframe.aspx?<ui=UI_LLCC&>"),
                    ),
                    action(
                        "editnew",
                        "docx",
                        &format!("{CLIENT}/we/wordeditorframe.aspx?new=1&<ui=UI_LLCC&>"),
                    ),
                ],
            }],
        }],
        proof_key: Some(ProofKeyElement {
            value: key.to_csp_blob(),
            modulus: key.modulus_b64(),
            exponent: key.exponent_b64(),
            oldvalue: String::new(),
            oldmodulus: String::new(),
            oldexponent: String::new(),
        }),
    }
    .to_xml()
}

async fn discovery_server() -> url::Url {
    let xml = discovery_xml();
    let app = axum::Router::new().route(
        "/hosting/discovery",
        axum::routing::get(move || async move { xml.clone() }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    url::Url::parse(&format!("http://{addr}/hosting/discovery")).expect("url")
}

async fn host(faults: FaultSet, with_discovery: bool) -> TestHost {
    let mut config = Config::new(url::Url::parse("http://127.0.0.1:1").expect("url"));
    if with_discovery {
        config.discovery_url = Some(discovery_server().await);
    }
    config.faults = faults;
    spawn_for_test(config).await.expect("host starts")
}

struct Page {
    status: u16,
    headers: http::HeaderMap,
    html: String,
}

async fn get(host: &TestHost, path_and_query: &str) -> Page {
    let resp = reqwest::Client::new()
        .get(format!("{}{path_and_query}", host.base_url))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("response");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let html = resp.text().await.expect("body");
    Page { status, headers, html }
}

/// The value of `attr` on the first tag that contains `marker`.
fn attr(html: &str, marker: &str, attr: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("{marker} not in page"));
    let tag_start = html[..at].rfind('<').expect("tag start");
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>').expect("tag end")];
    let needle = format!("{attr}=\"");
    let v = &tag[tag.find(&needle).unwrap_or_else(|| panic!("no {attr} in {tag}")) + needle.len()..];
    v[..v.find('"').expect("closing quote")].to_owned()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn edit_page_posts_token_and_ttl_in_the_body() {
    let host = host(FaultSet::none(), true).await;
    let file = host.file("report.docx", b"hello").await.expect("file");
    let id = file.file_id.as_str().to_owned();
    let page = get(
        &host,
        &format!("/host/{id}?action=edit&wdOrigin=ohp&wdPreviousSession=s1"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let h = &page.headers;
    assert_eq!(
        h.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        h.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-cache, no-store")
    );
    assert_eq!(h.get("expires").and_then(|v| v.to_str().ok()), Some("-1"));
    assert_eq!(h.get("pragma").and_then(|v| v.to_str().ok()), Some("no-cache"));

    // The form: POST, targeting the frame, to the edit action with WOPISrc filled and wd* passed through.
    let html = &page.html;
    assert_eq!(attr(html, "id=\"office_form\"", "method"), "post");
    assert_eq!(attr(html, "id=\"office_form\"", "target"), "office_frame");
    let action = unescape(&attr(html, "id=\"office_form\"", "action"));
    let parsed = url::Url::parse(&action).expect("absolute action URL");
    assert_eq!(parsed.origin().ascii_serialization(), CLIENT);
    assert_eq!(parsed.path(), "/we/wordeditorframe.aspx");
    let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    assert!(
        query.contains(&("WOPISrc".to_owned(), file.wopisrc.clone())),
        "{action}"
    );
    assert!(query.contains(&("ui".to_owned(), "en-US".to_owned())), "{action}");
    assert!(query.contains(&("wdOrigin".to_owned(), "ohp".to_owned())), "{action}");
    assert!(
        query.contains(&("wdPreviousSession".to_owned(), "s1".to_owned())),
        "{action}"
    );
    assert!(
        !action.contains("access_token"),
        "the token must never be in the URL: {action}"
    );

    // Hidden fields: a token for this file and user, and its expiry in milliseconds since the epoch.
    assert_eq!(attr(html, "name=\"access_token\"", "type"), "hidden");
    let token = unescape(&attr(html, "name=\"access_token\"", "value"));
    let claims = host
        .state
        .tokens
        .verify(&token, host.clock.now())
        .expect("a valid token");
    assert_eq!(claims.resource, Resource::File(file.file_id.clone()));
    assert_eq!(claims.user.as_str(), wopi_reference_host::DEFAULT_USER);
    let ttl: u64 = attr(html, "name=\"access_token_ttl\"", "value")
        .parse()
        .expect("ttl is an integer");
    assert_eq!(ttl, claims.expires_at_ms);
    let now_ms = epoch_ms(host.clock.now());
    assert!(
        ttl > now_ms && ttl <= now_ms + 24 * 3600 * 1000,
        "ttl {ttl} is not ms in the near future of {now_ms}"
    );
    assert_eq!(
        html.matches(&token).count(),
        1,
        "the token appears only in its hidden field"
    );

    // The frame is created by script, full-window, and the page has the documented viewport and favicon.
    assert!(html.contains(
        r#"<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1, user-scalable=no">"#
    ));
    assert!(html.contains(&format!(
        "<link rel=\"shortcut icon\" href=\"{CLIENT}/wv/favicon.ico\">"
    )));
    assert!(html.contains("frame.name = \"office_frame\"") && html.contains("allowfullscreen"));
    assert!(html.contains("document.getElementById(\"office_form\").submit()"));
    // The script talks only to the client's origin.
    assert!(
        html.contains(&format!("\"clientOrigin\":\"{CLIENT}\",\"targetOrigin\":\"{CLIENT}\"")),
        "{html}"
    );
    assert!(html.contains("\"sendReady\":true") && html.contains("\"acceptAnyOrigin\":false"));
    assert!(html.contains(&format!("\"closeUrl\":\"{}/\"", host.base_url)));
}

#[tokio::test]
async fn view_and_editnew_use_their_actions() {
    let host = host(FaultSet::none(), true).await;
    let file = host.file("v.docx", b"").await.expect("file");
    let id = file.file_id.as_str();
    let page = get(&host, &format!("/host/{id}?action=view")).await;
    assert_eq!(page.status, 200);
    let action = unescape(&attr(&page.html, "id=\"office_form\"", "action"));
    assert!(
        action.starts_with(&format!("{CLIENT}/wv/wordviewerframe.aspx?ui=en-US&rs=en-US&WOPISrc=")),
        "{action}"
    );
    let page = get(&host, &format!("/host/{id}?action=editnew")).await;
    assert_eq!(page.status, 200);
    let action = unescape(&attr(&page.html, "id=\"office_form\"", "action"));
    assert!(
        action.starts_with(&format!("{CLIENT}/we/wordeditorframe.aspx?new=1&ui=en-US&WOPISrc=")),
        "{action}"
    );
    // Without `action`, the page views.
    let page = get(&host, &format!("/host/{id}")).await;
    assert!(unescape(&attr(&page.html, "id=\"office_form\"", "action")).contains("wordviewerframe"));
}

#[tokio::test]
async fn names_are_escaped() {
    let host = host(FaultSet::none(), true).await;
    let file = host.file("Tom & Jerry's.docx", b"").await.expect("file");
    let page = get(&host, &format!("/host/{}?action=view", file.file_id.as_str())).await;
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("<title>Tom &amp; Jerry&#39;s.docx</title>"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("\"fileName\":\"Tom \\u0026 Jerry's.docx\""),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn refusals() {
    let host = host(FaultSet::none(), true).await;
    let file = host.file("r.docx", b"").await.expect("file");
    let id = file.file_id.as_str();
    assert_eq!(get(&host, "/host/no-such-file?action=view").await.status, 404);
    assert_eq!(get(&host, &format!("/host/{id}?action=delete")).await.status, 400);
    assert_eq!(
        get(&host, &format!("/host/{id}?action=view&user=nobody")).await.status,
        400
    );
    let other = host.file("sheet.xlsx", b"").await.expect("file");
    let page = get(&host, &format!("/host/{}?action=edit", other.file_id.as_str())).await;
    assert_eq!(page.status, 404);
    assert!(page.html.contains("no edit action for .xlsx"), "{}", page.html);

    let bare = self::host(FaultSet::none(), false).await;
    let file = bare.file("r.docx", b"").await.expect("file");
    assert_eq!(
        get(&bare, &format!("/host/{}?action=view", file.file_id.as_str()))
            .await
            .status,
        503
    );
}

#[tokio::test]
async fn read_only_user_gets_a_read_only_token() {
    let host = host(FaultSet::none(), true).await;
    let file = host.file("ro.docx", b"").await.expect("file");
    let user = wopi_reference_host::READ_ONLY_USER;
    let page = get(
        &host,
        &format!("/host/{}?action=view&user={user}", file.file_id.as_str()),
    )
    .await;
    assert_eq!(page.status, 200);
    let token = unescape(&attr(&page.html, "name=\"access_token\"", "value"));
    let claims = host.state.tokens.verify(&token, host.clock.now()).expect("valid");
    assert_eq!(claims.user.as_str(), user);
}

#[tokio::test]
async fn page_faults_each_break_their_rule() {
    let page_with = |fault: Fault| async move {
        let host = host(FaultSet::of([fault]), true).await;
        let file = host.file("f.docx", b"").await.expect("file");
        get(&host, &format!("/host/{}?action=edit", file.file_id.as_str()))
            .await
            .html
    };
    let html = page_with(Fault::HostPageTokenInUrl).await;
    assert!(unescape(&attr(&html, "id=\"office_form\"", "action")).contains("access_token=v1."));
    let html = page_with(Fault::HostPageTtlInSeconds).await;
    let ttl: u64 = attr(&html, "name=\"access_token_ttl\"", "value").parse().expect("ttl");
    assert!(ttl < 10_000_000_000, "seconds, not milliseconds: {ttl}");
    assert!(
        page_with(Fault::HostPageNoPostmessageReady)
            .await
            .contains("\"sendReady\":false")
    );
    assert!(
        page_with(Fault::HostPageWrongTargetOrigin)
            .await
            .contains("\"targetOrigin\":\"https://wrong-origin.invalid\"")
    );
    assert!(
        page_with(Fault::HostPageAcceptsAnyOrigin)
            .await
            .contains("\"acceptAnyOrigin\":true")
    );
    assert!(
        page_with(Fault::HostPageIgnoresClose)
            .await
            .contains("\"handleClose\":false")
    );

    let action = unescape(&attr(
        &page_with(Fault::HostPageActionUrlWithoutWopiSrc).await,
        "id=\"office_form\"",
        "action",
    ));
    assert!(
        action.starts_with(&format!("{CLIENT}/we/wordeditorframe.aspx?ui=en-US")),
        "{action}"
    );
    assert!(!action.to_ascii_lowercase().contains("wopisrc"), "{action}");
    assert!(
        !page_with(Fault::HostPageNoViewportMeta)
            .await
            .contains("name=\"viewport\"")
    );
    let frame_css = page_with(Fault::HostPageFrameNotFullWindow).await;
    let frame_css = frame_css
        .split("#office_frame {")
        .nth(1)
        .and_then(|s| s.split('}').next());
    assert!(frame_css.is_some_and(|css| !css.contains("position")), "{frame_css:?}");
    for (fault, flag) in [
        (Fault::HostPageIgnoresSharing, "handleSharing"),
        (Fault::HostPageIgnoresFileVersions, "handleFileVersions"),
        (Fault::HostPageIgnoresRename, "handleRename"),
    ] {
        assert!(page_with(fault).await.contains(&format!("\"{flag}\":false")), "{fault}");
    }
    assert!(
        page_with(Fault::HostPagePostMessageStarTarget)
            .await
            .contains("\"targetOrigin\":\"*\"")
    );
    assert!(page_with(Fault::HostPageFormUsesGet).await.contains("method=\"get\""));

    let host = host(FaultSet::of([Fault::HostPageNoCacheHeaders]), true).await;
    let file = host.file("f.docx", b"").await.expect("file");
    let page = get(&host, &format!("/host/{}?action=edit", file.file_id.as_str())).await;
    assert_eq!(page.status, 200);
    for name in ["cache-control", "expires", "pragma"] {
        assert!(page.headers.get(name).is_none(), "{name}: {:?}", page.headers.get(name));
    }
}
