//! The editor frame's server side: the host page's form POST opens a WOPI session with the posted token, the
//! report shows the form (token redacted, TTL kept) and the transcript, the page's events and queued commands go
//! through, and a host without a usable PostMessageOrigin gets a page that posts nothing.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use wiremock::matchers::{header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wopi_mock_office::frame::{FrameCommand, FrameReport};
use wopi_mock_office::server::{MockConfig, MockOffice, MockOfficeHandle};

const TOKEN: &str = "frame-token-xyz";

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

async fn host_with_cfi(body: Value) -> MockServer {
    let host = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/wopi/files/doc1"))
        .and(query_param("access_token", TOKEN))
        .and(header_exists("X-WOPI-Proof"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&host)
        .await;
    host
}

/// Loads the frame the way a host page does: a form POST to the action URL with the WOPISrc in the query.
async fn open_frame(mock: &MockOfficeHandle, host: &MockServer) -> (u16, String) {
    let mut url = mock.base_url.join("office/word/edit").expect("url");
    url.query_pairs_mut()
        .append_pair("ui", "en-US")
        .append_pair("WOPISrc", &format!("{}/wopi/files/doc1", host.uri()));
    let resp = http()
        .post(url)
        .form(&[("access_token", TOKEN), ("access_token_ttl", "1900000000000")])
        .send()
        .await
        .expect("frame answers");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("html"))
}

async fn report(mock: &MockOfficeHandle, session: &str) -> FrameReport {
    let url = mock.base_url.join(&format!("admin/frame/{session}")).expect("url");
    let resp = http().get(url).send().await.expect("admin answers");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("report JSON")
}

#[tokio::test]
async fn the_form_post_opens_a_wopi_session_and_the_report_shows_both_sides() {
    let mock = start().await;
    let host = host_with_cfi(json!({
        "BaseFileName": "a.docx", "OwnerId": "o", "Size": 3, "UserId": "u", "Version": "1",
        "PostMessageOrigin": "http://host.example:8080/some/page", "ClosePostMessage": true
    }))
    .await;
    let (status, html) = open_frame(&mock, &host).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("a.docx"));
    assert!(!html.contains(TOKEN), "the token must not reach the page");

    let r = report(&mock, "latest").await;
    assert!(html.contains(&r.session));
    assert_eq!(r.app, "word");
    assert_eq!(r.action, "edit");
    assert_eq!(r.method, "POST");
    assert_eq!(r.token_source, "form");
    assert_eq!(r.access_token_ttl.as_deref(), Some("1900000000000"));
    assert!(
        r.form.contains(&("access_token".to_string(), "[redacted]".to_string())),
        "{:?}",
        r.form
    );
    assert_eq!(r.post_message_origin.as_deref(), Some("http://host.example:8080"));
    let cfi = r.check_file_info.as_ref().expect("CheckFileInfo ran");
    assert_eq!(cfi.status, Some(200));
    assert_eq!(cfi.properties.get("ClosePostMessage"), Some(&Value::Bool(true)));
    assert_eq!(r.transcript.len(), 1);
    assert!(r.transcript[0].request.url.contains("access_token=[redacted]"));
    assert!(!serde_json::to_string(&r).expect("json").contains(TOKEN));
    // The page targets exactly PostMessageOrigin.
    assert!(html.contains("\"targetOrigin\":\"http://host.example:8080\""), "{html}");
    host.verify().await;
    mock.shutdown().await;
}

#[tokio::test]
async fn page_events_and_commands_round_trip() {
    let mock = start().await;
    let host = host_with_cfi(json!({
        "BaseFileName": "a.docx", "OwnerId": "o", "Size": 3, "UserId": "u", "Version": "1",
        "PostMessageOrigin": "http://host.example"
    }))
    .await;
    let (status, _) = open_frame(&mock, &host).await;
    assert_eq!(status, 200);
    let session = mock.frame_sessions().last().expect("a session").session.clone();
    let api = |p: &str| mock.base_url.join(&format!("frame-api/{session}/{p}")).expect("url");

    // The page reports what it received: one message from an untrusted origin, then the host's ready message.
    let ready = json!({"MessageId": "Host_PostmessageReady", "SendTime": 1, "Values": {}}).to_string();
    for (origin, trusted) in [("http://evil.example", false), ("http://host.example", true)] {
        let event =
            json!({"kind": "received", "origin": origin, "data": ready, "data_type": "string", "trusted": trusted});
        let resp = http()
            .post(api("event"))
            .json(&event)
            .send()
            .await
            .expect("event accepted");
        assert_eq!(resp.status(), 204);
    }
    let r = mock.frame_report(&session).expect("report");
    assert!(r.host_ready);
    assert_eq!(r.received.len(), 2);
    assert_eq!(r.received[0].origin, "http://evil.example");
    assert!(!r.received[0].trusted);
    assert_eq!(r.received[1].message_id.as_deref(), Some("Host_PostmessageReady"));

    // This host's CheckFileInfo does not set ClosePostMessage, so Office would never send UI_Close: refused.
    let send_url = mock.base_url.join(&format!("admin/frame/{session}/send")).expect("url");
    let plain = FrameCommand::new("UI_Close").value("Reason", "test");
    let resp = http()
        .post(send_url.clone())
        .json(&plain)
        .send()
        .await
        .expect("admin answers");
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.expect("text").contains("ClosePostMessage"));
    // A test may still force it; the page's next poll picks it up exactly once.
    let cmd = plain.forced();
    let resp = http().post(send_url).json(&cmd).send().await.expect("admin answers");
    assert_eq!(resp.status(), 202);
    let polled: Vec<FrameCommand> = http()
        .get(api("poll"))
        .send()
        .await
        .expect("poll")
        .json()
        .await
        .expect("json");
    assert_eq!(polled, vec![cmd]);
    let again: Vec<FrameCommand> = http()
        .get(api("poll"))
        .send()
        .await
        .expect("poll")
        .json()
        .await
        .expect("json");
    assert!(again.is_empty());

    // The page then reports that it sent it.
    let sent =
        json!({"kind": "sent", "message_id": "UI_Close", "via": "frame", "target_origin": "http://host.example"});
    http()
        .post(api("event"))
        .json(&sent)
        .send()
        .await
        .expect("event accepted");
    assert_eq!(
        mock.frame_report(&session).expect("report").sent[0].message_id,
        "UI_Close"
    );

    // Unknown sessions are 404, malformed events 4xx: never a panic.
    let bad = http()
        .get(mock.base_url.join("frame-api/nope/poll").expect("url"))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status(), 404);
    let garbage = http()
        .post(api("event"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await;
    assert!(garbage.expect("answers").status().is_client_error());
    mock.shutdown().await;
}

#[tokio::test]
async fn the_untrusted_child_is_served_on_the_other_origin() {
    let mock = start().await;
    let host = host_with_cfi(json!({
        "BaseFileName": "a.docx", "OwnerId": "o", "Size": 3, "UserId": "u", "Version": "1",
        "PostMessageOrigin": "http://host.example"
    }))
    .await;
    let (_, html) = open_frame(&mock, &host).await;
    let session = mock.frame_sessions().last().expect("a session").session.clone();
    let child = mock
        .untrusted_base_url
        .join(&format!("frame-api/{session}/untrusted"))
        .expect("url");
    assert_eq!(child.host_str(), Some("localhost"));
    assert!(
        html.contains(child.as_str()),
        "the frame embeds the child from the other origin"
    );
    let resp = http().get(child).send().await.expect("child answers");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text()
            .await
            .expect("html")
            .contains("window.parent.parent.postMessage")
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn a_missing_post_message_origin_means_no_messages() {
    let mock = start().await;
    let host =
        host_with_cfi(json!({"BaseFileName": "a.docx", "OwnerId": "o", "Size": 3, "UserId": "u", "Version": "1"}))
            .await;
    let (status, html) = open_frame(&mock, &host).await;
    assert_eq!(status, 200);
    assert!(html.contains("\"targetOrigin\":null"));
    assert!(html.contains("no usable PostMessageOrigin"));
    let r = report(&mock, "latest").await;
    assert_eq!(r.post_message_origin, None);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_failing_check_file_info_is_reported_not_hidden() {
    let mock = start().await;
    let host = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&host)
        .await;
    let (status, html) = open_frame(&mock, &host).await;
    assert_eq!(status, 502);
    assert!(html.contains("CheckFileInfo answered 401"), "{html}");
    let r = report(&mock, "latest").await;
    assert_eq!(r.check_file_info.expect("ran").status, Some(401));
    // No WOPISrc at all: reported, and no request is sent anywhere.
    let resp = http()
        .post(mock.base_url.join("office/word/view").expect("url"))
        .form(&[("access_token", TOKEN)])
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status(), 400);
    let r = report(&mock, "latest").await;
    assert!(r.check_file_info.is_none());
    assert!(r.transcript.is_empty());
    mock.shutdown().await;
}
