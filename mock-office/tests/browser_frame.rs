//! The frame's script in a real browser (headless Chromium, no WebDriver needed): a host page on one origin
//! POSTs the token into the mock's frame, the frame posts `App_LoadingStatus` to exactly `PostMessageOrigin`,
//! records `Host_PostmessageReady` with its origin, sends queued messages once ready, and the untrusted child
//! sends from the mock's other origin.
//!
//! Ignored by default because it needs `chromium` on the PATH: `cargo test -p wopi-mock-office --test
//! browser_frame -- --ignored`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use wopi_mock_office::frame::{FrameCommand, FrameReport};
use wopi_mock_office::server::{MockConfig, MockOffice, MockOfficeHandle};

type Log = Arc<Mutex<Vec<Value>>>;

#[derive(Clone)]
struct HostState {
    page: Arc<str>,
    cfi: Value,
    log: Log,
}

/// A minimal host: the host page, CheckFileInfo, and a log endpoint the page reports received messages to.
async fn start_host(mock: &MockOfficeHandle) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let mock_origin = mock.base_url.origin().ascii_serialization();
    let mut action = mock.base_url.join("office/word/edit").expect("url");
    action
        .query_pairs_mut()
        .append_pair("WOPISrc", &format!("{origin}/wopi/files/1"));
    let page = format!(
        r#"<!DOCTYPE html><html><body>
<form id="f" method="post" target="office" action="{action}">
<input type="hidden" name="access_token" value="browser-token"><input type="hidden" name="access_token_ttl" value="42"></form>
<iframe name="office" id="office"></iframe>
<script>
window.addEventListener('message', function (e) {{
  fetch('/log', {{ method: 'POST', headers: {{ 'Content-Type': 'application/json' }},
    body: JSON.stringify({{ origin: e.origin, data: e.data }}) }});
  var m = JSON.parse(e.data);
  if (e.origin === '{mock_origin}' && m.MessageId === 'App_IsFrameTrusted') {{
    document.getElementById('office').contentWindow.postMessage(JSON.stringify({{ MessageId: 'Host_IsFrameTrusted',
      SendTime: Date.now(), Values: {{ isTopFrameTrusted: true }} }}), '{mock_origin}');
  }}
  if (e.origin === '{mock_origin}' && m.MessageId === 'App_LoadingStatus') {{
    document.getElementById('office').contentWindow.postMessage(
      JSON.stringify({{ MessageId: 'Host_PostmessageReady', SendTime: Date.now(), Values: {{}} }}), '{mock_origin}');
  }}
}});
document.getElementById('f').submit();
</script></body></html>"#
    );
    let log: Log = Arc::default();
    let state = HostState {
        page: Arc::from(page),
        cfi: json!({"BaseFileName": "b.docx", "OwnerId": "o", "Size": 1, "UserId": "u", "Version": "1",
                    "PostMessageOrigin": origin, "ClosePostMessage": true, "FileSharingPostMessage": true}),
        log: log.clone(),
    };
    let app = Router::new()
        .route(
            "/",
            get(|State(s): State<HostState>| async move { axum::response::Html(s.page.to_string()) }),
        )
        .route(
            "/wopi/files/1",
            get(|State(s): State<HostState>| async move { axum::Json(s.cfi.clone()) }),
        )
        .route(
            "/log",
            post(
                |State(s): State<HostState>, axum::Json(v): axum::Json<Value>| async move {
                    s.log.lock().expect("log lock").push(v);
                },
            ),
        )
        .with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (origin, log)
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "needs chromium on the PATH"]
async fn the_frame_talks_to_a_host_page_in_a_real_browser() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mock = MockOffice::start(listener, MockConfig::default()).expect("mock starts");
    let (host_origin, log) = start_host(&mock).await;
    let profile = tempfile::tempdir().expect("profile dir");
    let _browser = tokio::process::Command::new("chromium")
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("{host_origin}/"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromium starts");

    let report = |m: &MockOfficeHandle| m.frame_report("latest");
    wait_for("the frame to load and the host to be ready", || {
        report(&mock).is_some_and(|r| r.host_ready)
    })
    .await;
    let session = report(&mock).expect("session").session;
    mock.send_to_frame(&session, FrameCommand::new("UI_Close"))
        .expect("queued");
    mock.send_to_frame(&session, FrameCommand::new("UI_Sharing").untrusted())
        .expect("queued");
    // UI_Edit is not enabled by this CheckFileInfo (no EditModePostMessage): Office would not send it.
    assert!(mock.send_to_frame(&session, FrameCommand::new("UI_Edit")).is_err());
    wait_for("both messages sent", || {
        report(&mock).is_some_and(|r| r.sent.len() >= 3)
    })
    .await;
    wait_for("the host page to log three messages", || {
        log.lock().expect("log").len() >= 3
    })
    .await;

    let r: FrameReport = report(&mock).expect("report");
    assert_eq!(r.access_token_ttl.as_deref(), Some("42"));
    let ready = r
        .received
        .iter()
        .find(|m| m.message_id.as_deref() == Some("Host_PostmessageReady"))
        .expect("ready");
    assert_eq!(ready.origin, host_origin);
    assert!(ready.trusted);
    let sent: Vec<(&str, &str)> = r.sent.iter().map(|s| (s.message_id.as_str(), s.via.as_str())).collect();
    assert_eq!(
        sent,
        [
            ("App_LoadingStatus", "frame"),
            ("UI_Close", "frame"),
            ("UI_Sharing", "untrusted")
        ]
    );
    assert!(r.sent.iter().all(|s| s.target_origin == host_origin));

    // What the host page saw: the frame's messages from the mock's origin, the child's from the other one.
    let seen: Vec<(String, String)> = log
        .lock()
        .expect("log")
        .iter()
        .map(|v| {
            let data: Value = serde_json::from_str(v["data"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
            (
                v["origin"].as_str().unwrap_or("").to_string(),
                data["MessageId"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mock_origin = mock.base_url.origin().ascii_serialization();
    let other_origin = mock.untrusted_base_url.origin().ascii_serialization();
    assert!(
        seen.contains(&(mock_origin.clone(), "App_LoadingStatus".into())),
        "{seen:?}"
    );
    assert!(seen.contains(&(mock_origin, "UI_Close".into())), "{seen:?}");
    assert!(seen.contains(&(other_origin, "UI_Sharing".into())), "{seen:?}");
    mock.shutdown().await;
}
