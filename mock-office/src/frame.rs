//! The editor frame: the page a host page loads in its iframe by POSTing `access_token` and `access_token_ttl` to
//! an action URL (`online/hostpage.rst`), and its postMessage side (`online/scenarios/postmessage.rst`).
//!
//! Server side, the frame opens the WOPI session as Office does: CheckFileInfo with the posted token against the
//! `WOPISrc` of the query. The page it then serves posts `App_LoadingStatus` to `window.parent` with the
//! `targetOrigin` set to CheckFileInfo's `PostMessageOrigin`, waits for `Host_PostmessageReady` from that origin,
//! and can send `UI_Close`, `UI_Edit`, `UI_Sharing`, `UI_FileVersions`, `File_Rename`, `Edit_Notification` (or any
//! other message) when a test queues it through `POST /admin/frame/{session}/send` (the page polls for it) or a
//! person clicks a button. A command marked `from_untrusted_origin` is sent by a nested iframe served from the
//! mock's second origin (`localhost` vs `127.0.0.1`), so a test can check that the host page ignores messages
//! from origins other than the frame's. Every message the page receives is reported back with its origin.
//! `GET /admin/frame/{session}` returns all of it plus the WOPI transcript.
//!
//! Like Office, the frame sends a message only when CheckFileInfo enables it (`ClosePostMessage` for `UI_Close`,
//! ...; see [`gating_property`]) unless a test forces it, and starts the `App_IsFrameTrusted` handshake when the
//! action URL carries `sftc=1`.
//!
//! Everything a session stores is bounded: the number of sessions, messages per session, the size of each.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, FromRef, Path, RawQuery, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;
use wopi_protocol::html::{self, script_json};
use wopi_protocol::transcript::{Exchange, redact_token_pairs};

use crate::client::{WopiClient, WopiTarget};
use crate::profile::{ClientProfile, Dialect};

/// Sessions kept; the oldest is dropped first.
pub const MAX_SESSIONS: usize = 256;
/// Messages (received or sent) kept per session.
pub const MAX_MESSAGES: usize = 1000;
/// Longest message data kept, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Commands waiting for the page per session.
pub const MAX_PENDING_COMMANDS: usize = 100;

/// CheckFileInfo properties that decide what the frame may post (`postmessage.rst`), copied into the report.
const POSTMESSAGE_PROPERTIES: &[&str] = &[
    "BaseFileName",
    "PostMessageOrigin",
    "ClosePostMessage",
    "EditModePostMessage",
    "EditNotificationPostMessage",
    "FileSharingPostMessage",
    "FileVersionPostMessage",
    "FileEmbedCommandPostMessage",
    "WorkflowPostMessage",
    "AppStateHistoryPostMessage",
    "SupportsRename",
    "UserCanRename",
    "UserCanWrite",
    "CloseUrl",
    "Size",
    "SupportsLocks",
    "SupportsUpdate",
];

/// The CheckFileInfo property that must be `true` before Office sends a message (`postmessage.rst`), per message.
/// `File_Rename` needs `SupportsRename` (the rename UI is hidden otherwise).
pub fn gating_property(message_id: &str) -> Option<&'static str> {
    Some(match message_id {
        "UI_Close" => "ClosePostMessage",
        "UI_Edit" => "EditModePostMessage",
        "UI_Sharing" => "FileSharingPostMessage",
        "UI_FileVersions" => "FileVersionPostMessage",
        "UI_FileEmbed" => "FileEmbedCommandPostMessage",
        "UI_Workflow" => "WorkflowPostMessage",
        "Edit_Notification" => "EditNotificationPostMessage",
        "App_PushState" => "AppStateHistoryPostMessage",
        "File_Rename" => "SupportsRename",
        _ => return None,
    })
}

/// Why a command was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("no frame session `{0}`")]
    NoSession(String),
    #[error("the frame already has {MAX_PENDING_COMMANDS} commands waiting")]
    QueueFull,
    /// Office would not send this message: the host's CheckFileInfo does not enable it.
    #[error("Office does not send {message_id} unless CheckFileInfo has {property}: true (set `force` to send anyway)")]
    NotEnabled { message_id: String, property: &'static str },
}

/// A message the page should post to the host page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameCommand {
    /// `MessageId`, e.g. `UI_Close`.
    pub message_id: String,
    /// `Values` (the common values `wdUserSession` and `ui-language` are added by the page).
    #[serde(default)]
    pub values: Map<String, Value>,
    /// Sent by the nested iframe on the mock's second origin instead of the frame itself.
    #[serde(default)]
    pub from_untrusted_origin: bool,
    /// Hold the message until the host page sent `Host_PostmessageReady` (as Office keeps its UI disabled).
    #[serde(default = "default_true")]
    pub wait_for_ready: bool,
    /// Send even though CheckFileInfo does not enable the message (see [`gating_property`]).
    #[serde(default)]
    pub force: bool,
}

fn default_true() -> bool {
    true
}

impl FrameCommand {
    /// A message with no values, sent by the frame once the host is ready.
    pub fn new(message_id: impl Into<String>) -> FrameCommand {
        FrameCommand {
            message_id: message_id.into(),
            values: Map::new(),
            from_untrusted_origin: false,
            wait_for_ready: true,
            force: false,
        }
    }

    /// Adds a value.
    pub fn value(mut self, key: impl Into<String>, value: impl Into<Value>) -> FrameCommand {
        self.values.insert(key.into(), value.into());
        self
    }

    /// Sends it from the untrusted second origin.
    pub fn untrusted(mut self) -> FrameCommand {
        self.from_untrusted_origin = true;
        self
    }

    /// Sends it even if CheckFileInfo does not enable it.
    pub fn forced(mut self) -> FrameCommand {
        self.force = true;
        self
    }

    /// Sends it without waiting for `Host_PostmessageReady`.
    pub fn immediately(mut self) -> FrameCommand {
        self.wait_for_ready = false;
        self
    }
}

/// A message the frame received from some window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    /// `MessageEvent.origin`.
    pub origin: String,
    /// Whether the origin is the host page's (`PostMessageOrigin`); the frame acts only on those.
    pub trusted: bool,
    /// `typeof MessageEvent.data` (`string` when the host sent JSON text as the docs show, `object` otherwise).
    pub data_type: String,
    /// The data as text (`JSON.stringify` of non-strings), cut at [`MAX_MESSAGE_BYTES`].
    pub data: String,
    /// `MessageId` if the data parsed as a message.
    pub message_id: Option<String>,
    /// `Values` if the data parsed as a message.
    pub values: Option<Value>,
    /// Milliseconds since the Unix epoch when the mock recorded it.
    pub at_ms: u64,
}

/// A message the frame (or its untrusted child) posted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMessage {
    pub message_id: String,
    /// `frame` or `untrusted`.
    pub via: String,
    pub target_origin: String,
    /// `Values.Status` of an `App_LoadingStatus` (Collabora's and ONLYOFFICE's dialects carry one).
    #[serde(default)]
    pub status: Option<String>,
    pub at_ms: u64,
}

/// The server-side CheckFileInfo of a frame session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameCheckFileInfo {
    /// The status, or `None` when the request failed at the transport level.
    pub status: Option<u16>,
    /// Why the frame could not use the answer (transport error, not JSON, not 200).
    pub error: Option<String>,
    /// The postMessage-related properties as the host returned them.
    pub properties: Map<String, Value>,
}

/// Everything a frame session saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameReport {
    pub session: String,
    /// The client whose frame this is (the mock's profile).
    #[serde(default)]
    pub profile: ClientProfile,
    /// The path the host page loaded (`/office/word/edit`, `/browser/<hash>/cool.html`, `/hosting/wopi/word/edit`).
    #[serde(default)]
    pub path: String,
    /// The app and action from the URL (`word`, `edit`); the action is empty for Collabora, whose one `cool.html`
    /// serves every action.
    pub app: String,
    pub action: String,
    /// `POST` when loaded as the docs require, `GET` otherwise.
    pub method: String,
    /// The query string parameters (`WOPISrc`, `ui`, ...).
    pub query: Vec<(String, String)>,
    pub wopisrc: Option<String>,
    /// Form fields posted by the host page; `access_token` is redacted, the rest (`access_token_ttl`) kept.
    pub form: Vec<(String, String)>,
    /// Where the token came from: `form`, `query` (not what the docs ask) or `none`.
    pub token_source: String,
    pub access_token_ttl: Option<String>,
    pub check_file_info: Option<FrameCheckFileInfo>,
    /// `PostMessageOrigin` reduced to an origin; `None` if absent or unusable (then the frame posts nothing).
    pub post_message_origin: Option<String>,
    /// The page loaded and ran its script.
    pub loaded: bool,
    /// `Host_PostmessageReady` arrived from the trusted origin.
    pub host_ready: bool,
    pub received: Vec<ReceivedMessage>,
    pub sent: Vec<SentMessage>,
    /// Problems the page reported (e.g. a command it could not send).
    pub errors: Vec<String>,
    /// With [`crate::MockConfig::frame_editing`]: the lock the frame's edit session took, and whether it
    /// still holds it (it unlocks when it sends `UI_Close` or is closed through the admin endpoint).
    pub lock_id: Option<String>,
    pub lock_held: bool,
    /// The frame's WOPI exchanges (token redacted).
    pub transcript: Vec<Exchange>,
}

/// One line per session for `/admin/frames`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSummary {
    pub session: String,
    pub app: String,
    pub action: String,
    pub loaded: bool,
    pub host_ready: bool,
    pub received: usize,
    pub sent: usize,
}

struct Session {
    report: FrameReport,
    commands: VecDeque<FrameCommand>,
    /// The target and lock of an edit session that still holds its lock.
    editor: Option<(WopiTarget, String)>,
}

/// The frame sessions of one mock.
#[derive(Clone, Default)]
pub struct FrameStore {
    sessions: Arc<Mutex<VecDeque<Session>>>,
}

impl FrameStore {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Session>> {
        // Every mutation is a single push or field update, so a poisoned store is still consistent.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_session<R>(&self, id: &str, f: impl FnOnce(&mut Session) -> R) -> Option<R> {
        let mut sessions = self.lock();
        let found = if id == "latest" {
            sessions.back_mut()
        } else {
            sessions.iter_mut().find(|s| s.report.session == id)
        };
        found.map(f)
    }

    fn insert(&self, report: FrameReport, editor: Option<(WopiTarget, String)>) {
        let mut sessions = self.lock();
        if sessions.len() >= MAX_SESSIONS {
            sessions.pop_front();
        }
        sessions.push_back(Session {
            report,
            commands: VecDeque::new(),
            editor,
        });
    }

    /// The report of `session` (`latest` for the newest).
    pub fn report(&self, session: &str) -> Option<FrameReport> {
        self.with_session(session, |s| s.report.clone())
    }

    /// All sessions, oldest first.
    pub fn summaries(&self) -> Vec<FrameSummary> {
        self.lock()
            .iter()
            .map(|s| FrameSummary {
                session: s.report.session.clone(),
                app: s.report.app.clone(),
                action: s.report.action.clone(),
                loaded: s.report.loaded,
                host_ready: s.report.host_ready,
                received: s.report.received.len(),
                sent: s.report.sent.len(),
            })
            .collect()
    }

    /// Queues a command for the page. Refused when the session does not exist, its queue is full, or the host's
    /// CheckFileInfo does not enable the message (unless the command is forced).
    pub fn push_command(&self, session: &str, command: FrameCommand) -> Result<(), SendError> {
        self.with_session(session, |s| {
            if s.commands.len() >= MAX_PENDING_COMMANDS {
                return Err(SendError::QueueFull);
            }
            if !command.force
                && let Some(property) = gating_property(&command.message_id)
            {
                let enabled = s
                    .report
                    .check_file_info
                    .as_ref()
                    .and_then(|c| c.properties.get(property))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if !enabled {
                    return Err(SendError::NotEnabled {
                        message_id: command.message_id.clone(),
                        property,
                    });
                }
            }
            s.commands.push_back(command);
            Ok(())
        })
        .unwrap_or_else(|| Err(SendError::NoSession(session.to_string())))
    }

    fn take_commands(&self, session: &str) -> Option<Vec<FrameCommand>> {
        self.with_session(session, |s| s.commands.drain(..).collect())
    }
}

/// What the frame's pages need from the server that hosts them: the sessions, the frame's WOPI client, the other
/// origin for the untrusted nested page, and whether to edit after CheckFileInfo. The server keeps one inside its
/// own state (hence [`FromRef`]), so this module does not depend on the server's.
#[derive(Clone)]
pub(crate) struct FrameState {
    pub(crate) untrusted_base_url: Url,
    pub(crate) frames: FrameStore,
    pub(crate) client: WopiClient,
    pub(crate) frame_editing: bool,
    /// Whose frame it is: its URL and its postMessage dialect.
    pub(crate) profile: ClientProfile,
}

/// The frame's routes, for any server state that holds a [`FrameState`].
pub(crate) fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    FrameState: FromRef<S>,
{
    Router::new()
        .route("/office/{app}/{action}", get(frame_page).post(frame_page))
        // Collabora's one editor URL for every action (clients.md §1.1) and ONLYOFFICE's per type and mode (§1.2).
        .route("/browser/{hash}/cool.html", get(cool_page).post(cool_page))
        .route("/hosting/wopi/{app}/{action}", get(frame_page).post(frame_page))
        .route("/frame-api/{session}/poll", get(poll))
        .route(
            "/frame-api/{session}/event",
            post(event).layer(DefaultBodyLimit::max(4 * MAX_MESSAGE_BYTES)),
        )
        .route("/frame-api/{session}/untrusted", get(untrusted_page))
        .route("/frame-api/probe", get(probe_page))
}

/// `GET /frame-api/probe`: a page that only records the messages it receives (`window.__wopiProbe.received`, with
/// each message's origin). A browser check navigates the editor iframe to it, on the mock's second origin or its
/// own, to see where the host page's messages go: one posted with `targetOrigin` `*` reaches it on any origin.
async fn probe_page() -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>postMessage probe</title></head><body>\
         <p>postMessage probe</p><script>{PROBE_JS}</script></body></html>"
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

/// The probe's script: every message kept (bounded), nothing answered.
const PROBE_JS: &str = r#"
(function () {
  var probe = window.__wopiProbe = { origin: String(location.origin), received: [] };
  window.addEventListener('message', function (e) {
    if (probe.received.length >= 100) { return; }
    var raw = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    probe.received.push({ origin: String(e.origin), data: String(raw).slice(0, 2000) });
  }, true);
})();
"#;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// `PostMessageOrigin` as an origin (`scheme://host[:port]`); `None` for `*`, opaque or unparseable values.
fn normalise_origin(value: &str) -> Option<String> {
    let url = Url::parse(value).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Collabora's `cool.html`: the frame with no action in its URL.
async fn cool_page(
    state: State<FrameState>,
    Path(_hash): Path<String>,
    uri: axum::http::Uri,
    method: Method,
    query: RawQuery,
    body: Bytes,
) -> Response {
    frame(state, ("cool".to_string(), String::new()), uri, method, query, body).await
}

async fn frame_page(
    state: State<FrameState>,
    Path((app, action)): Path<(String, String)>,
    uri: axum::http::Uri,
    method: Method,
    query: RawQuery,
    body: Bytes,
) -> Response {
    frame(state, (app, action), uri, method, query, body).await
}

async fn frame(
    State(state): State<FrameState>,
    (app, action): (String, String),
    uri: axum::http::Uri,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let form: Vec<(String, String)> = if method == Method::POST {
        url::form_urlencoded::parse(&body).into_owned().collect()
    } else {
        Vec::new()
    };
    let find = |pairs: &[(String, String)], key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let (token, token_source) = match (find(&form, "access_token"), find(&query, "access_token")) {
        (Some(t), _) => (Some(t), "form"),
        (None, Some(t)) => (Some(t), "query"),
        (None, None) => (None, "none"),
    };
    let wopisrc = find(&query, "wopisrc");
    let session = uuid::Uuid::new_v4().to_string();
    let mut report = FrameReport {
        session: session.clone(),
        profile: state.profile,
        path: truncate(uri.path().to_string(), 512),
        app: truncate(app, 64),
        action: truncate(action, 64),
        method: method.to_string(),
        query: redact_token_pairs(&query),
        wopisrc: wopisrc.clone(),
        form: redact_token_pairs(&form),
        token_source: token_source.to_string(),
        access_token_ttl: find(&form, "access_token_ttl").or_else(|| find(&query, "access_token_ttl")),
        check_file_info: None,
        post_message_origin: None,
        loaded: false,
        host_ready: false,
        received: Vec::new(),
        sent: Vec::new(),
        errors: Vec::new(),
        lock_id: None,
        lock_held: false,
        transcript: Vec::new(),
    };

    let mut opened: Option<WopiTarget> = None;
    // The host page's mistakes are 400; a host that fails CheckFileInfo is 502, as a gateway would say.
    let problem: Option<(StatusCode, String)> = match (&wopisrc, &token) {
        (None, _) => Some((
            StatusCode::BAD_REQUEST,
            "the action URL has no WOPISrc parameter".to_string(),
        )),
        (_, None) => Some((StatusCode::BAD_REQUEST, "no access_token was posted".to_string())),
        (Some(src), Some(token)) => match Url::parse(src) {
            Err(e) => Some((StatusCode::BAD_REQUEST, format!("WOPISrc `{src}` is not a URL: {e}"))),
            Ok(src) => {
                let client = state.client.new_session();
                let target = WopiTarget::new(src, token.clone());
                let cfi = check_file_info(&client, &target).await;
                report.transcript = client.take_transcript();
                opened = Some(target);
                report.post_message_origin = cfi
                    .properties
                    .get("PostMessageOrigin")
                    .and_then(Value::as_str)
                    .and_then(normalise_origin);
                let problem = cfi.error.clone().map(|e| (StatusCode::BAD_GATEWAY, e));
                report.check_file_info = Some(cfi);
                problem
            }
        },
    };
    let title = report
        .check_file_info
        .as_ref()
        .and_then(|c| c.properties.get("BaseFileName"))
        .and_then(Value::as_str)
        .unwrap_or("(no file)")
        .to_string();
    let target_origin = report.post_message_origin.clone();
    // `sftc=1` on the action URL: the host supports the App_IsFrameTrusted handshake (postmessage.rst).
    let frame_trust_handshake = report
        .query
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("sftc") && v == "1");
    let properties = report
        .check_file_info
        .as_ref()
        .map(|c| c.properties.clone())
        .unwrap_or_default();
    let app_name = report.app.clone();
    let action_name = report.action.clone();
    let mut editor = None;
    if let (true, None, Some(target)) = (state.frame_editing, &problem, opened) {
        editor = open_document(&state, &mut report, target).await;
    }
    state.frames.insert(report, editor);

    let status = problem.as_ref().map_or(StatusCode::OK, |(status, _)| *status);
    let page = render_frame(&FramePage {
        session: &session,
        app: &app_name,
        action: &action_name,
        title: &title,
        target_origin: if problem.is_none() {
            target_origin.as_deref()
        } else {
            None
        },
        untrusted_src: state
            .untrusted_base_url
            .join(&format!("frame-api/{session}/untrusted"))
            .ok(),
        problem: problem.as_ref().map(|(_, p)| p.as_str()),
        properties: &properties,
        frame_trust_handshake,
        profile: state.profile,
    });
    (status, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

/// With [`crate::MockConfig::frame_editing`]: what Office does after CheckFileInfo. Every action reads
/// the file (GetFile); `editnew` on a zero-byte file first writes a template with an unlocked PutFile
/// (`online/scenarios/createnew.rst`); `edit` and `editnew` then lock the file when CheckFileInfo allows writing
/// with locks. Returns the lock to release later.
async fn open_document(
    state: &FrameState,
    report: &mut FrameReport,
    target: WopiTarget,
) -> Option<(WopiTarget, String)> {
    let client = state.client.new_session();
    let props = report
        .check_file_info
        .as_ref()
        .map(|c| c.properties.clone())
        .unwrap_or_default();
    let flag = |name: &str| props.get(name).and_then(Value::as_bool).unwrap_or(false);
    let editing = matches!(report.action.as_str(), "edit" | "editnew");
    if report.action == "editnew" && props.get("Size").and_then(Value::as_u64) == Some(0) && flag("UserCanWrite") {
        let _ = client
            .put_file(&target, None, Bytes::from_static(EDITNEW_TEMPLATE))
            .await;
    }
    let _ = client.get_file(&target, None).await;
    let mut editor = None;
    if editing && flag("SupportsLocks") && flag("UserCanWrite") {
        let lock = format!("mock-office-frame-{}", report.session);
        if let Ok(resp) = client.lock(&target, &lock).await
            && resp.status == 200
        {
            report.lock_id = Some(lock.clone());
            report.lock_held = true;
            editor = Some((target, lock));
        }
    }
    report.transcript.extend(client.take_transcript());
    editor
}

/// What an `editnew` frame writes into an empty file (the real template is an Office document).
const EDITNEW_TEMPLATE: &[u8] = b"mock office blank document";

/// Ends the edit session of `session`: unlocks the file if the frame still holds its lock. `false` if there is no
/// such session.
pub(crate) async fn close_session(state: &FrameState, session: &str) -> bool {
    let Some(editor) = state.frames.with_session(session, |s| s.editor.take()) else {
        return false;
    };
    if let Some((target, lock)) = editor {
        let client = state.client.new_session();
        let unlocked = client.unlock(&target, &lock).await.is_ok_and(|r| r.status == 200);
        let exchanges = client.take_transcript();
        state.frames.with_session(session, |s| {
            s.report.lock_held = !unlocked;
            s.report.transcript.extend(exchanges);
        });
    }
    true
}

async fn check_file_info(client: &WopiClient, target: &WopiTarget) -> FrameCheckFileInfo {
    let mut out = FrameCheckFileInfo {
        status: None,
        error: None,
        properties: Map::new(),
    };
    match client.check_file_info(target).await {
        Err(e) => out.error = Some(format!("CheckFileInfo failed: {e}")),
        Ok(resp) => {
            out.status = Some(resp.status);
            if resp.status != 200 {
                out.error = Some(format!("CheckFileInfo answered {}", resp.status));
            } else {
                match resp.json() {
                    Ok(Value::Object(body)) => {
                        for &name in POSTMESSAGE_PROPERTIES {
                            if let Some(v) = body.get(name) {
                                out.properties.insert(name.to_string(), v.clone());
                            }
                        }
                    }
                    Ok(_) => out.error = Some("CheckFileInfo body is not a JSON object".to_string()),
                    Err(e) => out.error = Some(e.to_string()),
                }
            }
        }
    }
    out
}

async fn poll(State(state): State<FrameState>, Path(session): Path<String>) -> Response {
    match state.frames.take_commands(&session) {
        Some(cmds) => ([(header::CACHE_CONTROL, "no-store")], Json(cmds)).into_response(),
        None => (StatusCode::NOT_FOUND, "no such frame session").into_response(),
    }
}

/// What the page reports.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum PageEvent {
    Loaded,
    Received {
        origin: String,
        data: String,
        data_type: String,
        trusted: bool,
    },
    Sent {
        message_id: String,
        via: String,
        target_origin: String,
        #[serde(default)]
        status: Option<String>,
    },
    Error {
        message: String,
    },
}

async fn event(State(state): State<FrameState>, Path(session): Path<String>, Json(event): Json<PageEvent>) -> Response {
    let at_ms = now_ms();
    // Office ends its edit session (and releases its lock) when it closes.
    let closing =
        matches!(&event, PageEvent::Sent { message_id, via, .. } if message_id == "UI_Close" && via == "frame");
    let found = state.frames.with_session(&session, |s| {
        let r = &mut s.report;
        match event {
            PageEvent::Loaded => r.loaded = true,
            PageEvent::Received {
                origin,
                data,
                data_type,
                trusted,
            } => {
                let parsed: Option<Value> = serde_json::from_str(&data).ok();
                let message_id = parsed
                    .as_ref()
                    .and_then(|v| v.get("MessageId"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let values = parsed.as_ref().and_then(|v| v.get("Values")).cloned();
                // ONLYOFFICE ignores data that is not a string (clients.md §6.2, `OO-web`), so an object
                // `Host_PostmessageReady` never reaches it.
                let readable = data_type == "string" || !r.profile.dialect().incoming_must_be_string;
                if trusted && readable && message_id.as_deref() == Some("Host_PostmessageReady") {
                    r.host_ready = true;
                }
                if r.received.len() < MAX_MESSAGES {
                    r.received.push(ReceivedMessage {
                        origin: truncate(origin, 512),
                        trusted,
                        data_type: truncate(data_type, 32),
                        data: truncate(data, MAX_MESSAGE_BYTES),
                        message_id,
                        values,
                        at_ms,
                    });
                }
            }
            PageEvent::Sent {
                message_id,
                via,
                target_origin,
                status,
            } => {
                if r.sent.len() < MAX_MESSAGES {
                    r.sent.push(SentMessage {
                        message_id: truncate(message_id, 256),
                        via: truncate(via, 32),
                        target_origin: truncate(target_origin, 512),
                        status: status.map(|s| truncate(s, 64)),
                        at_ms,
                    });
                }
            }
            PageEvent::Error { message } => {
                if r.errors.len() < MAX_MESSAGES {
                    r.errors.push(truncate(message, 1024));
                }
            }
        }
    });
    if closing && found.is_some() {
        close_session(&state, &session).await;
    }
    match found {
        Some(()) => StatusCode::NO_CONTENT.into_response(),
        None => (StatusCode::NOT_FOUND, "no such frame session").into_response(),
    }
}

async fn untrusted_page(State(state): State<FrameState>, Path(session): Path<String>) -> Response {
    let Some(report) = state.frames.report(&session) else {
        return (StatusCode::NOT_FOUND, "no such frame session").into_response();
    };
    let cfg = serde_json::json!({
        "session": report.session,
        "targetOrigin": report.post_message_origin,
        "api": format!("/frame-api/{}", report.session),
    });
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>untrusted</title></head><body>\
         <script type=\"application/json\" id=\"cfg\">{}</script><script>{}</script></body></html>",
        script_json(&cfg),
        UNTRUSTED_JS
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

struct FramePage<'a> {
    session: &'a str,
    app: &'a str,
    action: &'a str,
    title: &'a str,
    target_origin: Option<&'a str>,
    untrusted_src: Option<Url>,
    problem: Option<&'a str>,
    /// CheckFileInfo's postMessage properties (which buttons are enabled).
    properties: &'a Map<String, Value>,
    /// Post `App_IsFrameTrusted` first (the action URL had `sftc=1`).
    frame_trust_handshake: bool,
    profile: ClientProfile,
}

/// Messages a person can send with a button: what the client's dialect sends, but the loading status (the frame
/// posts that itself once loaded).
fn buttons(dialect: &'static Dialect) -> impl Iterator<Item = &'static str> {
    dialect.outgoing.iter().copied().filter(|m| *m != "App_LoadingStatus")
}

fn render_frame(p: &FramePage<'_>) -> String {
    let dialect = p.profile.dialect();
    let untrusted_origin = p.untrusted_src.as_ref().map(|u| u.origin().ascii_serialization());
    let cfg = serde_json::json!({
        "session": p.session,
        "targetOrigin": p.target_origin,
        "api": format!("/frame-api/{}", p.session),
        "untrustedOrigin": untrusted_origin,
        "sftc": p.frame_trust_handshake,
        "dialect": {
            "loading": loading_values(dialect),
            "silentWithoutOrigin": dialect.silent_without_origin,
            "waitsForReady": dialect.waits_for_host_ready,
            "stringOnly": dialect.incoming_must_be_string,
        },
    });
    let status = match (p.problem, p.target_origin) {
        (None, None) if !dialect.silent_without_origin => "<p id=\"status\" class=\"error\">CheckFileInfo has no \
                         usable PostMessageOrigin: this frame posts to `*` and can accept no message from the host \
                         page.</p>"
            .to_string(),
        (Some(problem), _) => format!(
            "<p id=\"status\" class=\"error\">Cannot open the file: {}</p>",
            html::escape(problem)
        ),
        (None, None) => "<p id=\"status\" class=\"error\">CheckFileInfo has no usable PostMessageOrigin: this frame \
                         will not post messages to the host page.</p>"
            .to_string(),
        (None, Some(o)) => format!(
            "<p id=\"status\">Waiting for Host_PostmessageReady from {}</p>",
            html::escape(o)
        ),
    };
    // A button whose message CheckFileInfo does not enable stays disabled, as Office hides that UI.
    let buttons: String = buttons(dialect)
        .map(|b| {
            let enabled =
                gating_property(b).is_none_or(|prop| p.properties.get(prop).and_then(Value::as_bool).unwrap_or(false));
            if enabled {
                format!("<button type=\"button\" data-msg=\"{b}\" disabled>{b}</button> ")
            } else {
                format!(
                    "<button type=\"button\" data-msg=\"{b}\" data-off=\"1\" disabled \
                     title=\"CheckFileInfo does not enable {b}\">{b}</button> "
                )
            }
        })
        .collect();
    let child = match (&p.untrusted_src, p.problem) {
        (Some(src), None) => format!(
            "<iframe id=\"untrusted\" title=\"untrusted origin\" src=\"{}\" style=\"width:1px;height:1px;border:0\"></iframe>",
            html::escape(src.as_str())
        ),
        _ => String::new(),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - mock Office</title>\
         <style>body{{font-family:sans-serif;margin:1em}}.error{{color:#a00}}</style></head><body>\
         <h1>{app} {action}: {title}</h1>{status}<div id=\"buttons\">{buttons}</div>\
         <p>Session <code id=\"session\">{session}</code></p>{child}\
         <script type=\"application/json\" id=\"cfg\">{cfg}</script><script>{js}</script></body></html>",
        title = html::escape(p.title),
        app = html::escape(p.app),
        action = html::escape(p.action),
        status = status,
        buttons = buttons,
        session = html::escape(p.session),
        child = child,
        cfg = script_json(&cfg),
        js = FRAME_JS,
    )
}

/// The `Values` of each `App_LoadingStatus` the frame posts once loaded, in order (`DocumentLoadedTime` is filled
/// in by the page).
///
/// - Office: one message, `DocumentLoadedTime` only (`online/scenarios/postmessage.rst`).
/// - Collabora: `Frame_Ready` with `Features.VersionStates` when CheckFileInfo's properties arrive, then
///   `Document_Loaded` with `DocumentLoadedTime` (clients.md §6.1: `CO-JS` `Map.WOPI.js`, `CO-SDK`
///   postmessage_api). `Initialized` is documented by `CO-SDK` but its emitter was not found (clients.md §9 open
///   question 3), so the frame does not invent it.
/// - ONLYOFFICE: one message with `Status: Document_Loaded` (clients.md §6.2: `OO-web` `editor-wopi.ejs`
///   `onAppReady`; "No `Frame_Ready`, `Initialized` or `Failed` status is ever sent").
fn loading_values(dialect: &Dialect) -> Vec<Value> {
    if dialect.loading_statuses.is_empty() {
        return vec![serde_json::json!({})];
    }
    dialect
        .loading_statuses
        .iter()
        .filter(|s| **s != "Initialized")
        .map(|s| match *s {
            "Frame_Ready" => serde_json::json!({ "Status": s, "Features": { "VersionStates": true } }),
            _ => serde_json::json!({ "Status": s }),
        })
        .collect()
}

/// The frame's script. Messages are posted as JSON text, as all three clients do (clients.md §6; `postmessage.rst`).
/// `CFG.dialect` is the client's: its `App_LoadingStatus` messages; whether it stays silent without
/// `PostMessageOrigin` (Office, Collabora per `CO-SDK`) or posts to `*` (ONLYOFFICE, `OO-web`: it then accepts no
/// message, since no real origin equals `*`); whether host messages wait for `Host_PostmessageReady` (Office,
/// Collabora) or not (ONLYOFFICE only logs it); whether host data must be a string (Office, ONLYOFFICE ignore
/// objects; Collabora takes an object with `MessageId`).
const FRAME_JS: &str = r#"
(function () {
  var CFG = JSON.parse(document.getElementById('cfg').textContent);
  var D = CFG.dialect;
  var postTo = CFG.targetOrigin || (D.silentWithoutOrigin ? null : '*');
  var ready = !D.waitsForReady;
  var pending = [];
  function report(kind, payload) {
    var body = Object.assign({ kind: kind }, payload || {});
    return fetch(CFG.api + '/event', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body) }).catch(function () {});
  }
  function message(id, values) {
    var v = Object.assign({}, values || {}, { 'wdUserSession': CFG.session, 'ui-language': '1033' });
    return JSON.stringify({ MessageId: id, SendTime: Date.now(), Values: v });
  }
  function send(cmd) {
    if (!postTo) { report('error', { message: 'no PostMessageOrigin; not sending ' + cmd.message_id }); return; }
    if (cmd.from_untrusted_origin) {
      var child = document.getElementById('untrusted');
      if (!child || !CFG.untrustedOrigin) { report('error', { message: 'no untrusted iframe for ' + cmd.message_id }); return; }
      child.contentWindow.postMessage(JSON.stringify(cmd), CFG.untrustedOrigin);
      return;
    }
    window.parent.postMessage(message(cmd.message_id, cmd.values), postTo);
    report('sent', { message_id: cmd.message_id, via: 'frame', target_origin: postTo,
      status: (cmd.values && typeof cmd.values.Status === 'string') ? cmd.values.Status : null });
  }
  function becomeReadyUi() {
    Array.prototype.forEach.call(document.querySelectorAll('button[data-msg]:not([data-off])'), function (b) { b.disabled = false; });
  }
  function becomeReady() {
    if (ready) return;
    ready = true;
    var s = document.getElementById('status');
    if (s) s.textContent = 'Host_PostmessageReady received';
    Array.prototype.forEach.call(document.querySelectorAll('button[data-msg]:not([data-off])'), function (b) { b.disabled = false; });
    var queued = pending; pending = [];
    queued.forEach(send);
  }
  window.addEventListener('message', function (e) {
    var raw = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    var trusted = !!CFG.targetOrigin && e.origin === CFG.targetOrigin;
    report('received', { origin: e.origin, data: String(raw), data_type: typeof e.data, trusted: trusted });
    if (!trusted || (D.stringOnly && typeof e.data !== 'string')) return;
    var id = null;
    try { var m = typeof e.data === 'string' ? JSON.parse(e.data) : e.data; id = m && m.MessageId; } catch (_) {}
    if (id === 'Host_PostmessageReady') becomeReady();
  }, false);
  Array.prototype.forEach.call(document.querySelectorAll('button[data-msg]'), function (b) {
    b.addEventListener('click', function () {
      var id = b.getAttribute('data-msg');
      var values = id === 'File_Rename' ? { NewName: 'Renamed by mock Office' } : {};
      send({ message_id: id, values: values });
    });
  });
  function poll() {
    fetch(CFG.api + '/poll', { cache: 'no-store' }).then(function (r) { return r.ok ? r.json() : []; })
      .then(function (cmds) {
        cmds.forEach(function (c) { if (c.wait_for_ready !== false && !ready) pending.push(c); else send(c); });
      }).catch(function () {}).then(function () { setTimeout(poll, 150); });
  }
  function start() {
    if (CFG.targetOrigin && CFG.sftc) {
      send({ message_id: 'App_IsFrameTrusted', values: {} });
    }
    if (postTo) {
      D.loading.forEach(function (v) {
        var values = Object.assign({}, v);
        if (v.Status !== 'Frame_Ready') values.DocumentLoadedTime = Date.now();
        send({ message_id: 'App_LoadingStatus', values: values });
      });
    }
    if (ready) becomeReadyUi();
    report('loaded');
    poll();
  }
  if (document.readyState === 'complete') start(); else window.addEventListener('load', start);
})();
"#;

/// The untrusted child's script: relays commands from its parent (the frame) to the host page, from its own
/// origin, which the host page must ignore.
const UNTRUSTED_JS: &str = r#"
(function () {
  var CFG = JSON.parse(document.getElementById('cfg').textContent);
  window.addEventListener('message', function (e) {
    if (e.source !== window.parent || !CFG.targetOrigin) return;
    var cmd; try { cmd = JSON.parse(e.data); } catch (_) { return; }
    var v = Object.assign({}, cmd.values || {}, { 'wdUserSession': CFG.session, 'ui-language': '1033' });
    window.parent.parent.postMessage(JSON.stringify({ MessageId: cmd.message_id, SendTime: Date.now(), Values: v }),
      CFG.targetOrigin);
    fetch(CFG.api + '/event', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'sent', message_id: cmd.message_id, via: 'untrusted', target_origin: CFG.targetOrigin }) })
      .catch(function () {});
  }, false);
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_message_origin_is_reduced_to_an_origin() {
        assert_eq!(
            normalise_origin("https://host.example/page?x=1").as_deref(),
            Some("https://host.example")
        );
        assert_eq!(
            normalise_origin("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(normalise_origin("*"), None);
        assert_eq!(normalise_origin("data:text/plain,x"), None);
    }

    #[test]
    fn the_store_is_bounded_and_finds_the_latest() {
        let store = FrameStore::default();
        for i in 0..MAX_SESSIONS + 3 {
            store.insert(
                FrameReport {
                    session: format!("s{i}"),
                    profile: ClientProfile::Office,
                    path: String::new(),
                    app: String::new(),
                    action: String::new(),
                    method: "POST".into(),
                    query: vec![],
                    wopisrc: None,
                    form: vec![],
                    token_source: "form".into(),
                    access_token_ttl: None,
                    check_file_info: None,
                    post_message_origin: None,
                    loaded: false,
                    host_ready: false,
                    received: vec![],
                    sent: vec![],
                    errors: vec![],
                    lock_id: None,
                    lock_held: false,
                    transcript: vec![],
                },
                None,
            );
        }
        assert_eq!(store.summaries().len(), MAX_SESSIONS);
        assert!(store.report("s0").is_none());
        assert_eq!(
            store.report("latest").expect("latest").session,
            format!("s{}", MAX_SESSIONS + 2)
        );
        // No CheckFileInfo enabled UI_Close, so Office would not send it; forcing it is the test's choice.
        assert_eq!(
            store.push_command("latest", FrameCommand::new("UI_Close")),
            Err(SendError::NotEnabled {
                message_id: "UI_Close".into(),
                property: "ClosePostMessage"
            })
        );
        assert_eq!(
            store.push_command("latest", FrameCommand::new("UI_Close").forced()),
            Ok(())
        );
        assert_eq!(
            store.push_command("latest", FrameCommand::new("Custom_Message")),
            Ok(())
        );
        assert_eq!(
            store.push_command("nope", FrameCommand::new("UI_Close")),
            Err(SendError::NoSession("nope".into()))
        );
        assert_eq!(store.take_commands("latest").expect("session").len(), 2);
        for _ in 0..MAX_PENDING_COMMANDS {
            assert_eq!(
                store.push_command("latest", FrameCommand::new("Custom_Message")),
                Ok(())
            );
        }
        assert_eq!(
            store.push_command("latest", FrameCommand::new("Custom_Message")),
            Err(SendError::QueueFull)
        );
    }
}
