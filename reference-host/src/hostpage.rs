//! The host page: the HTML page that embeds the WOPI client's editor frame (`online/hostpage.rst`).
//!
//! `GET /host/{file_id}?action=view|edit|editnew` finds the client's action for the file's extension in the cached
//! discovery ([`crate::proof::DiscoveryCache`]), fills the action URL with the file's WOPISrc, issues an access token
//! and serves a page that:
//!
//! - creates a full-window iframe from script and POSTs `access_token` and `access_token_ttl` (milliseconds since the
//!   epoch) into it with a form, so the token never appears in a URL (`hostpage.rst`, "Passing access tokens
//!   securely" and "Working around browser iframe behavior");
//! - passes `wd*` query parameters through to the action URL and removes `wdPreviousSession` and
//!   `wdPreviousCorrelation` from its own URL afterwards;
//! - applies the documented body and frame styles, viewport meta tag, favicon and no-cache headers;
//! - talks PostMessage (`online/scenarios/postmessage.rst`) with the frame, and only with the client's origin (the
//!   action URL's origin): it answers `App_LoadingStatus` with `Host_PostmessageReady`, navigates to the CloseUrl on
//!   `UI_Close`, opens its own panels on `UI_Sharing` and `UI_FileVersions` (sending `Blur_Focus` while they cover
//!   the frame, `Grab_Focus` when they close) and shows the new name on `File_Rename`.
//!
//! Everything interpolated into HTML is escaped; everything handed to the script travels as JSON in a
//! non-executable `<script type="application/json">` block with `<`, `>` and `&` escaped.
//!
//! The script exposes its state as `window.wopiHost` so a browser test can observe the exchange without reaching
//! into the cross-origin frame: `received`, `sent` and `ignored` (message IDs, and origins of refused messages),
//! `loaded` (App_LoadingStatus seen), `panel` (the open host panel), `fileName`, and `blurFocus()` / `grabFocus()`
//! to send those messages to the frame. Host-page faults ([`PageFaults`]) exist only with the `faults` feature.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use wopi_protocol::discovery::{ActionUrlParams, Discovery, expand_action_url};
use wopi_protocol::html::{self, script_json};
use wopi_protocol::ids::FileId;

use crate::AppState;
use crate::faults::{Fault, FaultSet};
use crate::proof::DiscoverySnapshot;
use crate::store::{StoreError, UserId};
use crate::tokens::Resource;

/// The host page route: `GET /host/{file_id}?action=view|edit|editnew[&user=ID][&wd…]`.
///
/// `user` picks which existing user the page issues a token for (default [`crate::DEFAULT_USER`]); the reference
/// host has no sign-in, so whoever can reach the page can open the file as that user.
pub fn router() -> Router<AppState> {
    Router::new().route("/host/{file_id}", get(host_page))
}

/// The actions the host page offers (`online/discovery.rst` action names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAction {
    /// Read-only viewing.
    View,
    /// Editing.
    Edit,
    /// Editing a newly created, empty file.
    EditNew,
}

impl PageAction {
    /// Parses the `action` query value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "view" => Some(Self::View),
            "edit" => Some(Self::Edit),
            "editnew" => Some(Self::EditNew),
            _ => None,
        }
    }

    /// The discovery action name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Edit => "edit",
            Self::EditNew => "editnew",
        }
    }
}

/// Why the page could not be served. Bodies are plain text for people; nothing secret goes in them.
#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error("{0}")]
    BadRequest(String),
    #[error("no such file")]
    NotFound,
    #[error("{0}")]
    NoAction(String),
    #[error("this host has no WOPI client configured (start it with --discovery-url)")]
    NoDiscovery,
    #[error("{0}")]
    BadGateway(String),
    #[error("internal error")]
    Internal,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = match &self {
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::NotFound | PageError::NoAction(_) => StatusCode::NOT_FOUND,
            PageError::NoDiscovery => StatusCode::SERVICE_UNAVAILABLE,
            PageError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut resp = (status, format!("{self}\n")).into_response();
        no_cache(&mut resp);
        resp
    }
}

/// `hostpage.rst`, "Host page headers": a cached page would replay an expired token.
fn no_cache(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-store"));
    h.insert(header::EXPIRES, HeaderValue::from_static("-1"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

async fn host_page(
    State(state): State<AppState>,
    Path(file_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let PageQuery {
        action,
        user,
        wd_params,
    } = PageQuery::parse(query.as_deref())?;
    let file_id = FileId::new(file_id).map_err(|_| PageError::NotFound)?;
    let user = UserId::new(user).map_err(|e| PageError::BadRequest(e.to_string()))?;

    let now = state.now();
    let file = state.store.file(&file_id, now).await.map_err(store_error)?;
    state.store.user(&user).await.map_err(|e| match e {
        StoreError::NotFound => PageError::BadRequest(format!("no user {:?}", user.as_str())),
        other => store_error(other),
    })?;
    let cache = state.discovery.clone().ok_or(PageError::NoDiscovery)?;
    let snapshot: Arc<DiscoverySnapshot> = cache.get().await.map_err(|e| PageError::BadGateway(e.to_string()))?;

    let ext = file.name.extension().unwrap_or("");
    let (app_name, fav_icon_url, urlsrc) =
        find_action(&snapshot.discovery, state.base_url(), ext, action).ok_or_else(|| {
            PageError::NoAction(format!(
                "the WOPI client offers no {} action for .{ext} files",
                action.as_str()
            ))
        })?;
    let params = ActionUrlParams {
        ui_llcc: Some("en-US".to_owned()),
        dc_llcc: Some("en-US".to_owned()),
        ..Default::default()
    };
    // An empty WOPISrc leaves the placeholder out (the fault: WOPI_SOURCE treated as optional).
    let wopi_src = if state.faults.has(Fault::HostPageActionUrlWithoutWopiSrc) {
        String::new()
    } else {
        state.wopi_src(&file.id)
    };
    let mut action_url = expand_action_url(&urlsrc, &wopi_src, &params);
    let client_origin = match url::Url::parse(&action_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.origin().ascii_serialization(),
        _ => {
            return Err(PageError::BadGateway(format!(
                "the {app_name} {} action URL is not an absolute http(s) URL",
                action.as_str()
            )));
        }
    };
    append_wd_params(&mut action_url, &wd_params);

    let token = state.issue_token(&user, &Resource::File(file.id.clone()));
    let model = PageModel {
        file_name: file.name.as_str().to_owned(),
        action_url,
        access_token: token.access_token,
        access_token_ttl_ms: token.access_token_ttl,
        favicon_url: fav_icon_url,
        client_origin,
        close_url: Some(state.close_url()),
        share_url: Some(state.host_page_url(&file.id, "view")),
        faults: page_faults(&state.faults),
    };
    Ok(page_response(&state, &model))
}

/// The page with its headers: no caching, no sniffing, framed only by itself.
fn page_response(state: &AppState, model: &PageModel) -> Response {
    let mut resp = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], render(model)).into_response();
    if !state.faults.has(Fault::HostPageNoCacheHeaders) {
        no_cache(&mut resp);
    }
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The page itself must not be framed by others (clickjacking); it frames the client, not the reverse.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'self'"),
    );
    resp
}

/// The host page's query: `action` (default `view`), `user` (default the default user) and the `wd*` parameters,
/// which go to the frame unchanged (hostpage.rst).
struct PageQuery {
    action: PageAction,
    user: String,
    wd_params: Vec<(String, String)>,
}

impl PageQuery {
    fn parse(query: Option<&str>) -> Result<Self, PageError> {
        let mut action = None;
        let mut user = crate::DEFAULT_USER.to_owned();
        let mut wd_params = Vec::new();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "action" => action = Some(v.into_owned()),
                "user" => user = v.into_owned(),
                // hostpage.rst: wd* parameters go to the frame unchanged.
                k if k.starts_with("wd") => wd_params.push((k.to_owned(), v.into_owned())),
                _ => {}
            }
        }
        let action = action.as_deref().unwrap_or("view");
        let action = PageAction::parse(action)
            .ok_or_else(|| PageError::BadRequest(format!("action must be view, edit or editnew, not {action:?}")))?;
        Ok(Self {
            action,
            user,
            wd_params,
        })
    }
}

/// `wd_params` appended to the action URL's query, form-encoded.
fn append_wd_params(action_url: &mut String, wd_params: &[(String, String)]) {
    for (k, v) in wd_params {
        action_url.push(if action_url.contains('?') { '&' } else { '?' });
        action_url.extend(url::form_urlencoded::byte_serialize(k.as_bytes()));
        action_url.push('=');
        action_url.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
    }
}

fn store_error(e: StoreError) -> PageError {
    match e {
        StoreError::NotFound => PageError::NotFound,
        other => {
            tracing::error!(error = %other, "host page: store failure");
            PageError::Internal
        }
    }
}

/// The action for `ext`, preferring the net zones that match the host's scheme (`online/discovery.rst`: a host
/// uses the zone it is reached in), then any zone. Returns the app name, its favicon and the `urlsrc`.
fn find_action(
    discovery: &Discovery,
    base_url: &str,
    ext: &str,
    action: PageAction,
) -> Option<(String, Option<String>, String)> {
    let zones: &[&str] = if base_url.starts_with("https:") {
        &["external-https", "internal-https"]
    } else {
        &["external-http", "internal-http"]
    };
    zones
        .iter()
        .find_map(|zone| discovery.find_action_in_zone(zone, ext, action.as_str()))
        .or_else(|| discovery.find_action(ext, action.as_str()))
        .map(|(app, a)| (app.name.clone(), app.fav_icon_url.clone(), a.urlsrc.clone()))
}

/// The host-page faults switched on in `faults` (always none without the `faults` feature).
fn page_faults(faults: &FaultSet) -> PageFaults {
    PageFaults {
        token_in_url: faults.has(Fault::HostPageTokenInUrl),
        ttl_in_seconds: faults.has(Fault::HostPageTtlInSeconds),
        no_postmessage_ready: faults.has(Fault::HostPageNoPostmessageReady),
        wrong_target_origin: faults.has(Fault::HostPageWrongTargetOrigin),
        accept_any_origin: faults.has(Fault::HostPageAcceptsAnyOrigin),
        dead_ui_close: faults.has(Fault::HostPageIgnoresClose),
        frame_not_full_window: faults.has(Fault::HostPageFrameNotFullWindow),
        no_viewport_meta: faults.has(Fault::HostPageNoViewportMeta),
        dead_ui_sharing: faults.has(Fault::HostPageIgnoresSharing),
        dead_ui_file_versions: faults.has(Fault::HostPageIgnoresFileVersions),
        dead_file_rename: faults.has(Fault::HostPageIgnoresRename),
        star_target_origin: faults.has(Fault::HostPagePostMessageStarTarget),
        form_uses_get: faults.has(Fault::HostPageFormUsesGet),
        posts_objects: faults.has(Fault::HostPagePostsObjects),
    }
}

/// Deliberate host-page bugs, each a single departure from `hostpage.rst` or `postmessage.rst`, used to prove that
/// browser tests catch them. All `false` is the correct page; only the `faults` feature ever sets one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageFaults {
    /// Put `access_token` (and the TTL) in the action URL's query string as well as in the form.
    pub token_in_url: bool,
    /// Send `access_token_ttl` in seconds instead of milliseconds.
    pub ttl_in_seconds: bool,
    /// Never send `Host_PostmessageReady`.
    pub no_postmessage_ready: bool,
    /// Post to the frame with a target origin that is not the client's.
    pub wrong_target_origin: bool,
    /// Act on messages from any origin.
    pub accept_any_origin: bool,
    /// Ignore `UI_Close`.
    pub dead_ui_close: bool,
    /// Leave the iframe's absolute positioning out, so it is only as tall as an iframe is by default.
    pub frame_not_full_window: bool,
    /// Leave the `viewport` meta tag out.
    pub no_viewport_meta: bool,
    /// Ignore `UI_Sharing`.
    pub dead_ui_sharing: bool,
    /// Ignore `UI_FileVersions`.
    pub dead_ui_file_versions: bool,
    /// Ignore `File_Rename`.
    pub dead_file_rename: bool,
    /// Post to the frame with target origin `*`.
    pub star_target_origin: bool,
    /// Load the frame with a GET form instead of a POST.
    pub form_uses_get: bool,
    /// Post message objects to the frame instead of JSON text.
    pub posts_objects: bool,
}

/// Everything the page shows or needs; the router fills it, [`render`] turns it into HTML.
#[derive(Debug, Clone)]
pub struct PageModel {
    /// The file's name, shown as the page title.
    pub file_name: String,
    /// The filled action URL the form POSTs to (never carrying the token unless a fault says so).
    pub action_url: String,
    /// The access token for the frame.
    pub access_token: String,
    /// Token expiry, milliseconds since the Unix epoch (the unit `access_token_ttl` is defined in).
    pub access_token_ttl_ms: u64,
    /// The app's favicon from discovery.
    pub favicon_url: Option<String>,
    /// Origin of the action URL (`scheme://host[:port]`): the only origin messages are accepted from and sent to.
    pub client_origin: String,
    /// Where `UI_Close` navigates (CheckFileInfo's CloseUrl).
    pub close_url: Option<String>,
    /// The file's view page, shown in the sharing panel.
    pub share_url: Option<String>,
    /// Faults to inject (all off normally).
    pub faults: PageFaults,
}

/// The JSON configuration the page's script reads.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScriptConfig<'a> {
    client_origin: &'a str,
    /// Target origin used for outgoing messages (differs from `client_origin` only under a fault).
    target_origin: &'a str,
    close_url: Option<&'a str>,
    share_url: Option<&'a str>,
    file_name: &'a str,
    send_ready: bool,
    accept_any_origin: bool,
    handle_close: bool,
    handle_sharing: bool,
    handle_file_versions: bool,
    handle_rename: bool,
    remove_params: [&'a str; 2],
    /// Post objects, not JSON text (a fault).
    posts_objects: bool,
}

/// A target origin guaranteed to differ from the client's, for the `wrong_target_origin` fault.
const WRONG_ORIGIN: &str = "https://wrong-origin.invalid";

/// The documented viewport meta tag (`hostpage.rst`, sample host page lines 12-13).
const VIEWPORT_META: &str =
    "    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1, maximum-scale=1, user-scalable=no\">\n";

/// The iframe's documented positioning: without it `height: 100%` resolves against the auto-height body.
const FRAME_POSITION: &str = "            position: absolute;
            top: 0;
            left: 0;
            right: 0;
            bottom: 0;
";

/// Renders the host page.
pub fn render(model: &PageModel) -> String {
    let faults = model.faults;
    let ttl = if faults.ttl_in_seconds {
        model.access_token_ttl_ms / 1000
    } else {
        model.access_token_ttl_ms
    };
    let action_url = if faults.token_in_url {
        let sep = if model.action_url.contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}access_token={}&access_token_ttl={ttl}",
            model.action_url,
            url::form_urlencoded::byte_serialize(model.access_token.as_bytes()).collect::<String>()
        )
    } else {
        model.action_url.clone()
    };
    format!(
        r#"<!DOCTYPE html>
<html>
{head}<body>
    <form id="office_form" name="office_form" target="office_frame" action="{action}" method="{method}">
        <input name="access_token" value="{token}" type="hidden">
        <input name="access_token_ttl" value="{ttl}" type="hidden">
    </form>
    <span id="frameholder"></span>
    <div id="host_sharing" class="host-panel" hidden><div>
        <h2>Share <span class="host-file-name">{title}</span></h2>
        <p><a id="host_share_link" href="{share}">{share}</a></p>
        <button type="button" class="host-panel-close">Close</button>
    </div></div>
    <div id="host_versions" class="host-panel" hidden><div>
        <h2>Versions of <span class="host-file-name">{title}</span></h2>
        <p>The reference host keeps every version of this file.</p>
        <button type="button" class="host-panel-close">Close</button>
    </div></div>
    <script type="application/json" id="wopi_host_config">{config}</script>
    <script>
{script}
    </script>
</body>
</html>
"#,
        head = head(model),
        action = html::escape(&action_url),
        method = if faults.form_uses_get { "get" } else { "post" },
        token = html::escape(&model.access_token),
        ttl = ttl,
        title = html::escape(&model.file_name),
        share = html::escape(model.share_url.as_deref().unwrap_or("")),
        config = script_json(&script_config(model)),
        script = SCRIPT,
    )
}

/// The page's `<head>`: title, viewport, favicon and the full-window frame's style.
fn head(model: &PageModel) -> String {
    let faults = model.faults;
    let favicon = model
        .favicon_url
        .as_deref()
        .map(|u| format!("    <link rel=\"shortcut icon\" href=\"{}\">\n", html::escape(u)))
        .unwrap_or_default();
    format!(
        r#"<head>
    <meta charset="utf-8">
    <meta http-equiv="x-ua-compatible" content="ie=edge">
    <title>{title}</title>
{viewport}{favicon}    <style>
        body {{
            margin: 0;
            padding: 0;
            overflow: hidden;
            -ms-content-zooming: none;
        }}
        #office_frame {{
            width: 100%;
            height: 100%;
{frame_position}            margin: 0;
            border: none;
            display: block;
        }}
        .host-panel {{
            position: absolute;
            top: 0;
            left: 0;
            right: 0;
            bottom: 0;
            background: rgba(0, 0, 0, 0.5);
            z-index: 10;
        }}
        .host-panel[hidden] {{
            display: none;
        }}
        .host-panel > div {{
            background: #fff;
            margin: 10% auto;
            max-width: 30em;
            padding: 1em;
            font-family: sans-serif;
        }}
    </style>
</head>
"#,
        title = html::escape(&model.file_name),
        favicon = favicon,
        viewport = if faults.no_viewport_meta { "" } else { VIEWPORT_META },
        frame_position = if faults.frame_not_full_window {
            ""
        } else {
            FRAME_POSITION
        },
    )
}

/// What the page's script is told (the JSON configuration block).
fn script_config(model: &PageModel) -> ScriptConfig<'_> {
    let faults = model.faults;
    ScriptConfig {
        client_origin: &model.client_origin,
        target_origin: if faults.wrong_target_origin {
            WRONG_ORIGIN
        } else if faults.star_target_origin {
            "*"
        } else {
            &model.client_origin
        },
        close_url: model.close_url.as_deref(),
        share_url: model.share_url.as_deref(),
        file_name: &model.file_name,
        send_ready: !faults.no_postmessage_ready,
        accept_any_origin: faults.accept_any_origin,
        handle_close: !faults.dead_ui_close,
        handle_sharing: !faults.dead_ui_sharing,
        handle_file_versions: !faults.dead_ui_file_versions,
        handle_rename: !faults.dead_file_rename,
        remove_params: ["wdPreviousSession", "wdPreviousCorrelation"],
        posts_objects: faults.posts_objects,
    }
}

/// The page's behaviour. It reads only the JSON configuration block, so nothing dynamic is ever spliced into code.
const SCRIPT: &str = r#"(function () {
    "use strict";
    var cfg = JSON.parse(document.getElementById("wopi_host_config").textContent);
    var state = window.wopiHost = {
        received: [],
        sent: [],
        ignored: [],
        loaded: false,
        fileName: cfg.fileName
    };

    // Create the frame from script, then submit the form into it (hostpage.rst: iframe behaviour workaround).
    var frameholder = document.getElementById("frameholder");
    var frame = document.createElement("iframe");
    frame.name = "office_frame";
    frame.id = "office_frame";
    frame.title = "Office Frame";
    frame.setAttribute("allowfullscreen", "true");
    frame.setAttribute("sandbox",
        "allow-scripts allow-same-origin allow-forms allow-popups allow-top-navigation allow-popups-to-escape-sandbox");
    frameholder.appendChild(frame);
    document.getElementById("office_form").submit();

    // wd* parameters went to the frame; these two must not survive a reload of the host page (hostpage.rst).
    if (window.history && typeof window.history.replaceState === "function") {
        var url = new URL(window.location.href);
        var changed = false;
        cfg.removeParams.forEach(function (name) {
            if (url.searchParams.has(name)) { url.searchParams.delete(name); changed = true; }
        });
        if (changed) { window.history.replaceState(window.history.state, "", url.toString()); }
    }

    function send(messageId, values) {
        var msg = { MessageId: messageId, SendTime: Date.now(), Values: values || {} };
        state.sent.push(messageId);
        if (frame.contentWindow) {
            frame.contentWindow.postMessage(cfg.postsObjects ? msg : JSON.stringify(msg), cfg.targetOrigin);
        }
    }
    state.blurFocus = function () { send("Blur_Focus"); };
    state.grabFocus = function () { send("Grab_Focus"); };

    function sendReady() {
        if (cfg.sendReady) { send("Host_PostmessageReady"); }
    }

    var openPanel = null;
    function showPanel(id) {
        if (openPanel) { openPanel.hidden = true; }
        openPanel = document.getElementById(id);
        openPanel.hidden = false;
        state.panel = id;
        // Host UI now covers the frame: ask the editor to stop grabbing focus (postmessage.rst, Blur_Focus).
        state.blurFocus();
    }
    function closePanel() {
        if (!openPanel) { return; }
        openPanel.hidden = true;
        openPanel = null;
        state.panel = null;
        state.grabFocus();
    }
    Array.prototype.forEach.call(document.querySelectorAll(".host-panel-close"), function (button) {
        button.addEventListener("click", closePanel);
    });

    function rename(newName) {
        if (typeof newName !== "string" || newName === "") { return; }
        state.fileName = newName;
        document.title = newName;
        Array.prototype.forEach.call(document.querySelectorAll(".host-file-name"), function (el) {
            el.textContent = newName;
        });
    }

    window.addEventListener("message", function (e) {
        // Only the WOPI client's frame may drive this page.
        if (!cfg.acceptAnyOrigin && (e.origin !== cfg.clientOrigin || e.source !== frame.contentWindow)) {
            state.ignored.push(e.origin);
            return;
        }
        var msg;
        try {
            msg = typeof e.data === "string" ? JSON.parse(e.data) : e.data;
        } catch (err) {
            state.ignored.push(e.origin);
            return;
        }
        if (!msg || typeof msg.MessageId !== "string") {
            state.ignored.push(e.origin);
            return;
        }
        var values = (msg.Values && typeof msg.Values === "object") ? msg.Values : {};
        state.received.push(msg.MessageId);
        switch (msg.MessageId) {
        case "App_LoadingStatus":
            state.loaded = true;
            sendReady();
            break;
        case "UI_Close":
            if (cfg.handleClose && cfg.closeUrl) { window.location.assign(cfg.closeUrl); }
            break;
        case "UI_Sharing":
            if (cfg.handleSharing) { showPanel("host_sharing"); }
            break;
        case "UI_FileVersions":
            if (cfg.handleFileVersions) { showPanel("host_versions"); }
            break;
        case "File_Rename":
            if (cfg.handleRename) { rename(values.NewName); }
            break;
        default:
            break;
        }
    }, false);
}());"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> PageModel {
        PageModel {
            file_name: "a<b>\"c\".docx".to_owned(),
            action_url: "https://client.test/we/wordeditorframe.aspx?WOPISrc=http%3A%2F%2Fhost%2Fwopi%2Ffiles%2F1"
                .to_owned(),
            access_token: "tok\"<en>&".to_owned(),
            access_token_ttl_ms: 1_800_000_000_000,
            favicon_url: Some("https://client.test/fav.ico".to_owned()),
            client_origin: "https://client.test".to_owned(),
            close_url: Some("http://host/close?x=</script>".to_owned()),
            share_url: None,
            faults: PageFaults::default(),
        }
    }

    #[test]
    fn escapes_everything_interpolated() {
        let html = render(&model());
        assert!(html.contains("<title>a&lt;b&gt;&quot;c&quot;.docx</title>"));
        assert!(html.contains(r#"value="tok&quot;&lt;en&gt;&amp;""#));
        assert!(
            !html.contains("</script>\""),
            "a closing script tag leaked into the JSON block"
        );
        assert!(html.contains("\\u003c/script\\u003e"));
        assert!(html.contains(r#"action="https://client.test/we/wordeditorframe.aspx?WOPISrc=http%3A%2F%2Fhost"#));
    }

    #[test]
    fn token_and_ttl_only_in_the_form_body() {
        let html = render(&model());
        assert!(html.contains(r#"<input name="access_token_ttl" value="1800000000000" type="hidden">"#));
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default();
        assert!(!action.contains("access_token"));
    }

    #[test]
    fn faults_change_exactly_their_rule() {
        let mut m = model();
        m.faults.ttl_in_seconds = true;
        assert!(render(&m).contains(r#"value="1800000000" type="hidden""#));
        let mut m = model();
        m.faults.token_in_url = true;
        assert!(render(&m).contains("&amp;access_token=tok%22%3Cen%3E%26"));
        let mut m = model();
        m.faults.wrong_target_origin = true;
        assert!(render(&m).contains(WRONG_ORIGIN));
        let mut m = model();
        m.faults.star_target_origin = true;
        assert!(render(&m).contains(r#""targetOrigin":"*""#));
        assert!(render(&model()).contains(r#""targetOrigin":"https://client.test""#));
        let mut m = model();
        m.faults.form_uses_get = true;
        assert!(render(&m).contains(r#"method="get">"#));
        assert!(render(&model()).contains(r#"method="post">"#));

        let frame_css = |html: &str| {
            html.split("#office_frame {")
                .nth(1)
                .and_then(|s| s.split('}').next())
                .unwrap_or_default()
                .to_owned()
        };
        let good = render(&model());
        assert!(good.contains(r#"<meta name="viewport""#));
        assert!(frame_css(&good).contains("position: absolute;"));
        for flag in ["handleSharing", "handleFileVersions", "handleRename"] {
            assert!(good.contains(&format!("\"{flag}\":true")), "{flag}");
        }
        let mut m = model();
        m.faults.no_viewport_meta = true;
        let html = render(&m);
        assert!(!html.contains("viewport"));
        assert!(frame_css(&html).contains("position: absolute;"));
        let mut m = model();
        m.faults.frame_not_full_window = true;
        let html = render(&m);
        assert!(!frame_css(&html).contains("position"), "{}", frame_css(&html));
        assert!(frame_css(&html).contains("height: 100%;"));
        assert!(html.contains(r#"<meta name="viewport""#));
        let mut m = model();
        m.faults.dead_ui_sharing = true;
        assert!(render(&m).contains(r#""handleSharing":false,"handleFileVersions":true,"handleRename":true"#));
        let mut m = model();
        m.faults.dead_ui_file_versions = true;
        assert!(render(&m).contains(r#""handleSharing":true,"handleFileVersions":false,"handleRename":true"#));
        let mut m = model();
        m.faults.dead_file_rename = true;
        assert!(render(&m).contains(r#""handleSharing":true,"handleFileVersions":true,"handleRename":false"#));
    }
}
