//! The host page checks (issue 7): each looks at one rule of `online/hostpage.rst` or
//! `online/scenarios/postmessage.rst` on a loaded [`PageSession`] and returns the failures with the evidence
//! behind them. Every wait is a bounded poll.
//!
//! A page "reacts" to a message when, after it, the page navigates, opens a window, changes its title, changes
//! its DOM (unless it was already changing it before the message) or posts to the frame: nothing is assumed
//! about how a host draws its own UI.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use thirtyfour::prelude::*;
use url::Url;
use wopi_mock_office::frame::{FrameCommand, FrameReport, ReceivedMessage};
use wopi_protocol::discovery::Discovery;

use super::page::{Mark, PageError, PageSession, Reaction, poll};
use super::precondition::{Precondition, PreconditionFailure};
use crate::report::model::{DocRef, Failure};

const HOSTPAGE_DOC: &str = "online/hostpage.rst";
const POSTMESSAGE_DOC: &str = "online/scenarios/postmessage.rst";

/// How long the page is watched for a reaction it must not have.
const QUIET: Duration = Duration::from_secs(2);
/// Span before a message in which DOM changes mean the page changes its DOM on its own.
const BASELINE_MS: f64 = 1000.0;

/// One check of the suite (`<ext:PostMessage Check="...">`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The page POSTs a form to the discovery action URL of the right app and action, WOPISrc in its query.
    FormPost,
    /// `access_token` travels in the form body, never in the URL.
    TokenInBody,
    /// `access_token_ttl` is in the form, in milliseconds since the epoch, in the future.
    TokenTtl,
    /// The editor iframe covers the whole window.
    FrameFillsWindow,
    /// The page declares a `viewport` meta tag.
    ViewportMeta,
    /// The page is served with `Cache-Control: no-cache, no-store`, `Expires: -1`, `Pragma: no-cache` (SHOULD).
    NoCacheHeaders,
    /// CheckFileInfo's `PostMessageOrigin` is the host page's origin.
    PostMessageOrigin,
    /// `App_LoadingStatus` reaches the page and is answered with `Host_PostmessageReady` to the frame's origin.
    PostmessageReady,
    /// The page posts to the frame with the client's origin as `targetOrigin`: never `*`, never another origin.
    TargetOrigin,
    /// Messages from an origin other than the frame's are ignored.
    UntrustedOriginIgnored,
    /// `UI_Close` leads to the CloseUrl.
    UiClose,
    /// The message in `Send` is handled when CheckFileInfo declares its property, ignored when not.
    UiMessage,
    /// `Blur_Focus` / `Grab_Focus` reach the frame from the host page's origin when host UI covers the frame.
    FocusMessages,
    /// The frame sends `Send` (if any) and the page posts `ExpectMessage` back to the frame's origin.
    Exchange,
}

impl Check {
    /// Every check, in suite order.
    pub const ALL: &'static [Check] = &[
        Check::FormPost,
        Check::TokenInBody,
        Check::TokenTtl,
        Check::FrameFillsWindow,
        Check::ViewportMeta,
        Check::NoCacheHeaders,
        Check::PostMessageOrigin,
        Check::PostmessageReady,
        Check::TargetOrigin,
        Check::UntrustedOriginIgnored,
        Check::UiClose,
        Check::UiMessage,
        Check::FocusMessages,
        Check::Exchange,
    ];

    /// The name used in suite files.
    pub fn name(self) -> &'static str {
        match self {
            Check::FormPost => "FormPost",
            Check::TokenInBody => "TokenInBody",
            Check::TokenTtl => "TokenTtl",
            Check::FrameFillsWindow => "FrameFillsWindow",
            Check::ViewportMeta => "ViewportMeta",
            Check::NoCacheHeaders => "NoCacheHeaders",
            Check::PostMessageOrigin => "PostMessageOrigin",
            Check::PostmessageReady => "PostmessageReady",
            Check::TargetOrigin => "TargetOrigin",
            Check::UntrustedOriginIgnored => "UntrustedOriginIgnored",
            Check::UiClose => "UiClose",
            Check::UiMessage => "UiMessage",
            Check::FocusMessages => "FocusMessages",
            Check::Exchange => "Exchange",
        }
    }

    /// What must have happened before this check's verdict means anything, in the order it happens. The page
    /// checks (form, token, styles, headers) judge what the page itself does and need only the frame loaded; the
    /// postMessage checks need the frame's WOPI session, CheckFileInfo's properties and the message channel.
    pub fn preconditions(self) -> &'static [Precondition] {
        use Precondition::*;
        match self {
            Check::FormPost
            | Check::TokenInBody
            | Check::TokenTtl
            | Check::FrameFillsWindow
            | Check::ViewportMeta
            | Check::NoCacheHeaders => FrameLoaded.and_before(),
            Check::PostMessageOrigin => CheckFileInfoRead.and_before(),
            Check::PostmessageReady | Check::Exchange => LoadingStatusReceived.and_before(),
            Check::TargetOrigin
            | Check::UntrustedOriginIgnored
            | Check::UiClose
            | Check::UiMessage
            | Check::FocusMessages => HandshakeCompleted.and_before(),
        }
    }

    /// Parses a suite name.
    pub fn parse(s: &str) -> Option<Check> {
        Check::ALL.iter().copied().find(|c| c.name() == s)
    }
}

/// What one step asks for.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub check: Check,
    /// The discovery action of the page (`view`, `edit`, `editnew`).
    pub action: String,
    /// A `MessageId` the frame sends.
    pub send: Option<String>,
    /// A `MessageId` the page must post to the frame.
    pub expect_message: Option<String>,
    /// Longest wait for anything the page must do.
    pub timeout: Duration,
}

impl CheckSpec {
    /// Builds a spec from suite attributes; without `check`, the step is an [`Check::Exchange`].
    pub fn new(
        check: Option<&str>,
        action: &str,
        send: Option<&str>,
        expect_message: Option<&str>,
        timeout_seconds: u64,
    ) -> Result<CheckSpec, String> {
        let check = match check {
            None => Check::Exchange,
            Some(c) => Check::parse(c).ok_or_else(|| {
                format!(
                    "unknown postMessage check {c:?}; known: {}",
                    Check::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
                )
            })?,
        };
        if check == Check::UiMessage && send.is_none() {
            return Err("Check=\"UiMessage\" needs Send (UI_Sharing, UI_FileVersions, File_Rename, ...)".into());
        }
        Ok(CheckSpec {
            check,
            action: action.to_string(),
            send: send.map(str::to_string),
            expect_message: expect_message.map(str::to_string),
            timeout: Duration::from_secs(timeout_seconds.clamp(1, 600)),
        })
    }
}

/// What a check needs besides the page.
#[derive(Debug, Clone)]
pub struct CheckContext {
    /// The WOPISrc of the file the page was opened for.
    pub wopisrc: Url,
    /// The mock's discovery, to know which action URL is right.
    pub discovery: Discovery,
    /// Label of the step in failures (`PostMessage FormPost`).
    pub label: String,
}

/// The failures of one check (none: it passed) and notes on what was seen.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    pub failures: Vec<Failure>,
    pub notes: Vec<String>,
    /// Something the check needs did not happen on this page, so its rule could not be observed.
    pub precondition: Option<PreconditionFailure>,
    /// A precondition of other checks that this check found unmet while judging its own rule (PostmessageReady
    /// waits in full for the handshake): later steps on the same page then need not wait in full again.
    pub learned: Option<PreconditionFailure>,
    /// The rule does not apply to this host (what triggers it is not declared): nothing was judged, so the case is
    /// skipped with this reason rather than passed.
    pub not_applicable: Option<String>,
}

impl CheckResult {
    /// Records a broken rule (`at` names it): `Must` fails the check, `Should` is reported without failing it.
    fn record(&mut self, level: Level, at: &At<'_>, expected: impl Into<String>, actual: impl Into<String>) {
        let should_only = level == Level::Should;
        self.failures.push(failure(
            at.ctx,
            at.check,
            expected,
            actual,
            at.rule,
            at.doc,
            should_only,
        ));
    }

    /// The rule could not be observed: `precondition` did not hold (`seen` says what happened instead).
    fn unmet(&mut self, precondition: Precondition, seen: impl Into<String>) {
        self.precondition = Some(PreconditionFailure {
            precondition,
            seen: seen.into(),
        });
    }

    /// Whether a MUST failed.
    /// Judges a message the frame must get from the host page: absent is `missing`'s verdict, from any other
    /// origin (or untrusted) a failure, else a note. True when it came from the host page.
    #[allow(clippy::too_many_arguments)]
    fn judge_from_host(
        &mut self,
        ctx: &CheckContext,
        check: Check,
        page: &PageSession<'_>,
        id: &str,
        got: Option<ReceivedMessage>,
        missing: Missing,
        rule: &str,
    ) -> bool {
        let host = &page.host_origin;
        match got {
            None => {
                self.failures.push(failure(
                    ctx,
                    check,
                    missing.expected,
                    missing.actual,
                    rule,
                    POSTMESSAGE_DOC,
                    missing.should_only,
                ));
                false
            }
            Some(m) if !(m.trusted && &m.origin == host) => {
                let actual = format!("{id} from {}", m.origin);
                self.record(
                    Must,
                    &At::new(ctx, check, rule, POSTMESSAGE_DOC),
                    format!("{id} from {host}"),
                    actual,
                );
                false
            }
            Some(_) => {
                self.notes.push(format!("{id} arrived from {host}"));
                true
            }
        }
    }

    pub fn failed(&self) -> bool {
        self.failures.iter().any(|f| !f.should_only)
    }
}

/// The rule a check judges, bound once per check: the context and check a finding is reported under, the rule's
/// text and the doc page that states it.
#[derive(Debug, Clone, Copy)]
struct At<'a> {
    ctx: &'a CheckContext,
    check: Check,
    rule: &'a str,
    doc: &'a str,
}

impl<'a> At<'a> {
    fn new(ctx: &'a CheckContext, check: Check, rule: &'a str, doc: &'a str) -> Self {
        At { ctx, check, rule, doc }
    }

    /// Another rule of the same check.
    fn rule(self, rule: &'a str) -> Self {
        At { rule, ..self }
    }

    /// The same rule, as another doc page states it.
    fn doc(self, doc: &'a str) -> Self {
        At { doc, ..self }
    }
}

/// How strongly a rule binds: a broken `Must` fails the check, a broken `Should` is reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Must,
    Should,
}
use Level::{Must, Should};

/// What a missing message means for a check: a failure, or a "should" (warning-level) finding.
struct Missing {
    expected: String,
    actual: String,
    should_only: bool,
}

impl Missing {
    fn must(expected: String, actual: String) -> Self {
        Missing {
            expected,
            actual,
            should_only: false,
        }
    }

    fn should(expected: String, actual: String) -> Self {
        Missing {
            expected,
            actual,
            should_only: true,
        }
    }
}

fn failure(
    ctx: &CheckContext,
    check: Check,
    expected: impl Into<String>,
    actual: impl Into<String>,
    rule: &str,
    doc: &str,
    should_only: bool,
) -> Failure {
    Failure {
        request: ctx.label.clone(),
        check: check.name().to_string(),
        expected: expected.into(),
        actual: actual.into(),
        rule: Some(rule.to_string()),
        doc: Some(DocRef {
            page: doc.to_string(),
            url: None,
        }),
        should_only,
    }
}

/// Runs `spec.check` on `page`.
pub async fn run_check(page: &PageSession<'_>, spec: &CheckSpec, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    match spec.check {
        Check::FormPost => form_post(page, spec, ctx).await,
        Check::TokenInBody => token_in_body(page, ctx).await,
        Check::TokenTtl => token_ttl(page, ctx).await,
        Check::FrameFillsWindow => frame_fills_window(page, ctx).await,
        Check::ViewportMeta => viewport_meta(page, ctx).await,
        Check::NoCacheHeaders => no_cache_headers(page, ctx).await,
        Check::PostMessageOrigin => post_message_origin(page, ctx).await,
        Check::PostmessageReady => postmessage_ready(page, spec, ctx).await,
        Check::TargetOrigin => target_origin(page, spec, ctx).await,
        Check::UntrustedOriginIgnored => untrusted_origin_ignored(page, spec, ctx).await,
        Check::UiClose => ui_close(page, spec, ctx).await,
        Check::UiMessage => ui_message(page, spec, ctx).await,
        Check::FocusMessages => focus_messages(page, spec, ctx).await,
        Check::Exchange => exchange(page, spec, ctx).await,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn properties(f: &FrameReport) -> Map<String, Value> {
    f.check_file_info
        .as_ref()
        .map(|c| c.properties.clone())
        .unwrap_or_default()
}

fn flag(props: &Map<String, Value>, name: &str) -> bool {
    props.get(name).and_then(Value::as_bool) == Some(true)
}

fn find<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// The CheckFileInfo property that makes Office send `message_id` (`postmessage.rst`), and whether `props`
/// declares it.
pub fn declared_by(message_id: &str, props: &Map<String, Value>) -> (String, bool) {
    let property = match message_id {
        "UI_Sharing" => "FileSharingPostMessage",
        "UI_FileVersions" => "FileVersionPostMessage",
        "UI_Close" => "ClosePostMessage",
        "UI_Edit" => "EditModePostMessage",
        "UI_FileEmbed" => "FileEmbedCommandPostMessage",
        "UI_Workflow" => "WorkflowPostMessage",
        "Edit_Notification" => "EditNotificationPostMessage",
        "App_PushState" => "AppStateHistoryPostMessage",
        // postmessage.rst: without SupportsRename the rename UI is not available (and the user must be allowed).
        "File_Rename" => {
            let can =
                flag(props, "SupportsRename") && props.get("UserCanRename").and_then(Value::as_bool) != Some(false);
            return ("SupportsRename".to_string(), can);
        }
        _ => return (String::new(), true),
    };
    (property.to_string(), flag(props, property))
}

async fn form_post(page: &PageSession<'_>, spec: &CheckSpec, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::FormPost;
    let f = page.frame().await?;
    let rule = "the host page must use a form element and POST the access token and access_token_ttl to the \
                WOPI client iframe";
    let at = At::new(ctx, c, rule, HOSTPAGE_DOC);
    if f.method != "POST" {
        r.record(
            Must,
            &at,
            "the frame loaded by a form POST",
            format!("the frame was loaded with {}", f.method),
        );
    }
    // Collabora's one `cool.html` serves every action: its URL names none, the path comparison below judges it.
    if !f.action.is_empty() && f.action != spec.action {
        r.record(
            Must,
            &at.rule("the host page must load the discovery action URL for the action the user asked for"),
            format!("the `{}` action URL", spec.action),
            format!("the page opened the `{}` action ({} app)", f.action, f.app),
        );
    }
    let name = properties(&f)
        .get("BaseFileName")
        .and_then(Value::as_str)
        .map(str::to_string);
    let ext = name
        .as_deref()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref().and_then(|e| ctx.discovery.find_action(e, &spec.action)) {
        Some((app, action)) => {
            let expected_path = action.urlsrc.split('?').next().unwrap_or("").to_string();
            let expected_path = Url::parse(&expected_path)
                .map(|u| u.path().to_string())
                .unwrap_or(expected_path);
            let actual_path = if f.path.is_empty() {
                format!("/office/{}/{}", f.app, f.action)
            } else {
                f.path.clone()
            };
            if expected_path != actual_path {
                r.record(
                    Must,
                    &at.rule(
                        "the host page must use the action URL discovery lists for the file's extension and action",
                    )
                    .doc("online/discovery.rst"),
                    format!("the {} {} action URL ({expected_path})", app.name, spec.action),
                    actual_path,
                );
            }
        }
        None => r.notes.push(format!(
            "discovery has no {} action for {:?}: the app was not compared",
            spec.action,
            name.as_deref().unwrap_or("(no BaseFileName)")
        )),
    }
    match &f.wopisrc {
        None => r.record(
            Must,
            &at.rule("the action URL carries the file's WOPISrc")
                .doc("online/discovery.rst"),
            "a WOPISrc parameter in the action URL",
            format!("query parameters: {}", keys(&f.query)),
        ),
        Some(src) => match Url::parse(src) {
            Err(e) => r.record(
                Must,
                &at.rule("WOPISrc is the URL of the file's WOPI endpoint")
                    .doc("online/discovery.rst"),
                "WOPISrc is an absolute URL",
                format!("{src:?}: {e}"),
            ),
            Ok(u) => {
                let same = u.origin() == ctx.wopisrc.origin() && u.path() == ctx.wopisrc.path();
                if !same {
                    r.record(
                        Should,
                        &at.rule("the page should open the file under test")
                            .doc("online/discovery.rst"),
                        format!("WOPISrc {}", ctx.wopisrc),
                        format!("WOPISrc {u}"),
                    );
                }
            }
        },
    }
    Ok(r)
}

fn keys(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        "none".into()
    } else {
        pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
    }
}

async fn token_in_body(page: &PageSession<'_>, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::TokenInBody;
    let f = page.frame().await?;
    let rule = "access tokens must not be passed to the WOPI client iframe as a query string parameter; hosts must \
                pass them with a form POST";
    let at = At::new(ctx, c, rule, HOSTPAGE_DOC);
    let in_query: Vec<&str> = f
        .query
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.eq_ignore_ascii_case("access_token") || k.eq_ignore_ascii_case("access_token_ttl"))
        .collect();
    if !in_query.is_empty() {
        r.record(
            Must,
            &at,
            "no access_token in the action URL",
            format!("the action URL carries {}", in_query.join(" and ")),
        );
    }
    if f.token_source != "form" {
        r.record(
            Must,
            &at,
            "access_token in the POSTed form body",
            format!("form fields: {}; token found in: {}", keys(&f.form), f.token_source),
        );
    }
    Ok(r)
}

async fn token_ttl(page: &PageSession<'_>, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::TokenTtl;
    let f = page.frame().await?;
    let rule = "access_token_ttl is POSTed with the token: the time the token expires, in milliseconds since \
                1 January 1970 UTC";
    let at = At::new(ctx, c, rule, HOSTPAGE_DOC);
    let Some(ttl) = find(&f.form, "access_token_ttl") else {
        let where_ = if find(&f.query, "access_token_ttl").is_some() {
            "only in the URL"
        } else {
            "nowhere"
        };
        r.record(
            Must,
            &at,
            "access_token_ttl in the POSTed form",
            format!("access_token_ttl is {where_}"),
        );
        return Ok(r);
    };
    let now = now_ms();
    match ttl.trim().parse::<u64>() {
        Err(_) => r.record(Must, &at, "a whole number of milliseconds", format!("{ttl:?}")),
        Ok(0) => r.record(
            Should,
            &at,
            "the token's expiry in milliseconds since the epoch",
            "0 (unknown): the client cannot warn the user before the token expires",
        ),
        Ok(v) if v < now / 100 => r.record(
            Must,
            &at,
            format!("milliseconds since the epoch, after now ({now})"),
            format!("{v}: this is seconds (or a duration), which clients read as long expired"),
        ),
        Ok(v) if v <= now => r.record(
            Must,
            &at,
            format!("an expiry in the future (now is {now})"),
            format!("{v}, {} s ago", (now - v) / 1000),
        ),
        Ok(v) => r
            .notes
            .push(format!("access_token_ttl {v}: expires in {} s", (v - now) / 1000)),
    }
    Ok(r)
}

/// The `<iframe>` of the top-level page that holds the mock frame of this session.
async fn frame_element(page: &PageSession<'_>) -> Result<Option<WebElement>, PageError> {
    let d = page.browser.driver()?;
    d.enter_default_frame().await?;
    let frames = d.find_all(By::Tag("iframe")).await?;
    for el in frames {
        d.enter_default_frame().await?;
        if el.clone().enter_frame().await.is_err() {
            continue;
        }
        let session = match d.find(By::Id("session")).await {
            Ok(s) => s.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        d.enter_default_frame().await?;
        if session.trim() == page.frame_session {
            return Ok(Some(el));
        }
    }
    Ok(None)
}

async fn frame_fills_window(page: &PageSession<'_>, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::FrameFillsWindow;
    let rule = "the host page must apply the documented styles: the WOPI client iframe takes the whole window \
                (width and height 100%, absolutely positioned at 0, no border) and the body has no margin";
    let at = At::new(ctx, c, rule, HOSTPAGE_DOC);
    let Some(el) = frame_element(page).await? else {
        r.record(
            Must,
            &at,
            "an iframe in the host page holding the editor frame",
            "none found",
        );
        return Ok(r);
    };
    let v = page
        .eval(
            "var f = arguments[0], r = f.getBoundingClientRect(), b = getComputedStyle(document.body);\
             return { x: r.left, y: r.top, w: r.width, h: r.height, vw: window.innerWidth, vh: window.innerHeight,\
               margin: b.marginTop + ' ' + b.marginRight + ' ' + b.marginBottom + ' ' + b.marginLeft,\
               overflow: b.overflow, border: getComputedStyle(f).borderTopWidth };",
            vec![el.to_json()?],
        )
        .await?;
    let n = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let (x, y, w, h, vw, vh) = (n("x"), n("y"), n("w"), n("h"), n("vw"), n("vh"));
    let near = |a: f64, b: f64| (a - b).abs() <= 2.0;
    let geometry = format!("iframe at ({x}, {y}) size {w}x{h}; window {vw}x{vh}");
    if !(near(x, 0.0) && near(y, 0.0) && near(w, vw) && near(h, vh)) {
        r.record(
            Must,
            &at,
            format!("the iframe covering the window ({vw}x{vh} at 0,0)"),
            geometry,
        );
    } else {
        r.notes.push(geometry);
    }
    let margin = v.get("margin").and_then(Value::as_str).unwrap_or("");
    if margin.split(' ').any(|m| m != "0px") {
        r.record(Should, &at, "body margin 0", format!("body margin {margin}"));
    }
    let overflow = v.get("overflow").and_then(Value::as_str).unwrap_or("");
    if overflow != "hidden" {
        r.record(
            Should,
            &at,
            "body overflow: hidden",
            format!("body overflow: {overflow}"),
        );
    }
    Ok(r)
}

async fn viewport_meta(page: &PageSession<'_>, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::ViewportMeta;
    let rule =
        "the host page must declare a viewport meta tag to avoid visual and functional problems in mobile browsers";
    let at = At::new(ctx, c, rule, HOSTPAGE_DOC);
    let v = page
        .eval(
            "var m = document.querySelector('meta[name=viewport]'); return m ? m.getAttribute('content') : null;",
            vec![],
        )
        .await?;
    match v.as_str() {
        None => r.record(
            Must,
            &at,
            "<meta name=\"viewport\" content=\"width=device-width, ...\">",
            "no viewport meta tag",
        ),
        Some(content)
            if !content
                .replace(' ', "")
                .to_ascii_lowercase()
                .contains("width=device-width") =>
        {
            r.record(
                Must,
                &at,
                "a viewport with width=device-width",
                format!("content={content:?}"),
            )
        }
        Some(content) => r.notes.push(format!("viewport: {content}")),
    }
    Ok(r)
}

async fn no_cache_headers(page: &PageSession<'_>, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::NoCacheHeaders;
    let rule = "at the very least, the host page should be served with Cache-Control: no-cache, no-store, \
                Expires: -1 and Pragma: no-cache, so a reload never replays an expired token";
    let at = At::new(ctx, c, rule, HOSTPAGE_DOC);
    // Fetched from the page itself so the host's cookies (sign-in) apply, as they did for the page.
    let d = page.browser.driver()?;
    d.enter_default_frame().await?;
    let v = d
        .execute_async(
            "var done = arguments[arguments.length - 1];\
             fetch(arguments[0], { cache: 'no-store', credentials: 'same-origin', redirect: 'follow' })\
               .then(function (r) { done({ status: r.status, cc: r.headers.get('cache-control'),\
                 expires: r.headers.get('expires'), pragma: r.headers.get('pragma') }); })\
               .catch(function (e) { done({ error: String(e) }); });",
            vec![json!(page.requested_url.as_str())],
        )
        .await?;
    let v = v.json().clone();
    if let Some(e) = v.get("error").and_then(Value::as_str) {
        r.record(
            Should,
            &at,
            "the host page's headers",
            format!("the page could not be fetched again: {e}"),
        );
        return Ok(r);
    }
    let h = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let cc = h("cc").unwrap_or_default().to_ascii_lowercase();
    if !(cc.contains("no-cache") && cc.contains("no-store")) {
        r.record(
            Should,
            &at,
            "Cache-Control: no-cache, no-store",
            format!("Cache-Control: {:?}", h("cc")),
        );
    }
    match h("expires") {
        None => r.record(Should, &at, "Expires: -1", "no Expires header"),
        Some(e) => r.notes.push(format!("Expires: {e}")),
    }
    if !h("pragma")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .contains("no-cache")
    {
        r.record(Should, &at, "Pragma: no-cache", format!("Pragma: {:?}", h("pragma")));
    }
    Ok(r)
}

async fn post_message_origin(page: &PageSession<'_>, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::PostMessageOrigin;
    let rule = "PostMessageOrigin in CheckFileInfo must be the host page's origin (scheme, host and port), or the \
                WOPI client ignores the page's messages and cannot post its own";
    let at = At::new(ctx, c, rule, POSTMESSAGE_DOC);
    let f = page.frame().await?;
    let cfi = match &f.check_file_info {
        Some(cfi) if cfi.error.is_none() => cfi,
        Some(cfi) => {
            let why = cfi.error.clone().unwrap_or_default();
            r.record(
                Must,
                &at.doc("rest/files/CheckFileInfo.rst"),
                "CheckFileInfo answering 200 with JSON",
                why,
            );
            return Ok(r);
        }
        None => {
            r.record(
                Must,
                &at,
                "the frame calling CheckFileInfo",
                "the frame had no WOPISrc or token to call it with",
            );
            return Ok(r);
        }
    };
    match cfi.properties.get("PostMessageOrigin") {
        None => r.record(
            Must,
            &at,
            format!("PostMessageOrigin {}", page.host_origin),
            "no PostMessageOrigin",
        ),
        Some(raw) => match f.post_message_origin.as_deref() {
            Some(o) if o == page.host_origin => r.notes.push(format!("PostMessageOrigin {raw} matches the page")),
            Some(o) => r.record(
                Must,
                &at,
                format!("PostMessageOrigin {}", page.host_origin),
                format!("{raw} (origin {o})"),
            ),
            None => r.record(
                Must,
                &at,
                format!("PostMessageOrigin {}", page.host_origin),
                format!("{raw}, which is not an origin"),
            ),
        },
    }
    Ok(r)
}

/// Waits (bounded) for the page to have received `App_LoadingStatus` from the frame; false if it never did.
async fn wait_loading_status(page: &PageSession<'_>, timeout: Duration) -> Result<bool, PageError> {
    let frame_origin = frame_origin(page);
    Ok(page
        .wait_host_received("App_LoadingStatus", |o| o == frame_origin, timeout)
        .await?
        .is_some())
}

fn frame_origin(page: &PageSession<'_>) -> String {
    page.api.base().origin().ascii_serialization()
}

async fn postmessage_ready(
    page: &PageSession<'_>,
    spec: &CheckSpec,
    ctx: &CheckContext,
) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::PostmessageReady;
    let rule = "until the host page sends Host_PostmessageReady, the WOPI client keeps UI such as Share disabled; \
                the page answers App_LoadingStatus with Host_PostmessageReady, posted to the frame's origin";
    let at = At::new(ctx, c, rule, POSTMESSAGE_DOC);
    if !wait_loading_status(page, spec.timeout).await? {
        let f = page.frame().await?;
        let sent = f.sent.iter().any(|s| s.message_id == "App_LoadingStatus");
        r.record(
            Must,
            &at,
            "the page receiving App_LoadingStatus from the frame",
            if sent {
                format!(
                    "the frame posted it to {} but the page never received it",
                    f.post_message_origin.as_deref().unwrap_or("?")
                )
            } else {
                "the frame could not post it (no usable PostMessageOrigin or CheckFileInfo failed)".to_string()
            },
        );
        return Ok(r);
    }
    let ready = poll(spec.timeout, || async {
        Ok(page.frame().await?.host_ready.then_some(()))
    })
    .await?;
    if ready.is_none() {
        r.learned = Some(PreconditionFailure {
            precondition: Precondition::HandshakeCompleted,
            seen: format!(
                "no Host_PostmessageReady reached the frame from {} within {:?} of App_LoadingStatus",
                page.host_origin, spec.timeout
            ),
        });
        let f = page.frame().await?;
        let other: Vec<String> = f
            .received
            .iter()
            .filter(|m| m.message_id.as_deref() == Some("Host_PostmessageReady"))
            .map(|m| format!("from {} (untrusted)", m.origin))
            .collect();
        r.record(
            Must,
            &at,
            format!(
                "Host_PostmessageReady from {} within {:?}",
                page.host_origin, spec.timeout
            ),
            if other.is_empty() {
                "it never reached the frame (not sent, or posted with a targetOrigin other than the frame's, which the \
                 browser drops)"
                    .to_string()
            } else {
                other.join(", ")
            },
        );
    }
    Ok(r)
}

/// A message the probe page (`/frame-api/probe` of the mock) received.
#[derive(Debug, Clone, serde::Deserialize)]
struct ProbeMessage {
    origin: String,
    data: String,
}

/// Navigates the editor iframe `el` to the mock's probe page on `origin` and waits (at most `timeout`) until the
/// probe runs there. False if it did not.
async fn frame_to_probe(
    page: &PageSession<'_>,
    el: &WebElement,
    origin: &str,
    timeout: Duration,
) -> Result<bool, PageError> {
    let url = format!("{}/frame-api/probe", origin.trim_end_matches('/'));
    let d = page.browser.driver()?;
    d.enter_default_frame().await?;
    el.clone().enter_frame().await?;
    let sent = d
        .execute("location.replace(arguments[0]); return true;", vec![json!(url)])
        .await;
    d.enter_default_frame().await?;
    sent?;
    let there = poll(timeout, || async {
        let d = page.browser.driver()?;
        d.enter_default_frame().await?;
        if el.clone().enter_frame().await.is_err() {
            d.enter_default_frame().await?;
            return Ok(None);
        }
        let v = d
            .execute("return window.__wopiProbe ? String(location.origin) : null;", vec![])
            .await;
        d.enter_default_frame().await?;
        Ok(v.ok()
            .and_then(|v| v.json().as_str().map(str::to_string))
            .filter(|o| o == origin))
    })
    .await?;
    Ok(there.is_some())
}

/// What the probe in iframe `el` received so far.
async fn probe_received(page: &PageSession<'_>, el: &WebElement) -> Result<Vec<ProbeMessage>, PageError> {
    let d = page.browser.driver()?;
    d.enter_default_frame().await?;
    el.clone().enter_frame().await?;
    let v = d
        .execute(
            "return window.__wopiProbe ? JSON.stringify(window.__wopiProbe.received) : '[]';",
            vec![],
        )
        .await;
    d.enter_default_frame().await?;
    let v = v?;
    Ok(v.json()
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default())
}

/// The page's target origin, observed: the frame posts `App_LoadingStatus` once more, the recorder holds it back
/// from the page, the harness moves the iframe to a probe page on the mock's second (untrusted) origin and only
/// then lets the page see the message. A page posting its answer to the client's origin has it dropped by the
/// browser; one posting to `*` delivers it to the probe. Then the same again with the probe on the client's own
/// origin, where the answer must arrive: otherwise the page did not answer the replay and nothing was observed.
async fn target_origin(page: &PageSession<'_>, spec: &CheckSpec, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::TargetOrigin;
    let rule = "the host page posts its messages to the WOPI client frame's origin (the targetOrigin argument of \
                postMessage is the client's origin, never \"*\"), so no other page that ends up in the frame reads them";
    let at = At::new(ctx, c, rule, POSTMESSAGE_DOC);
    let client_origin = frame_origin(page);
    let Some(el) = frame_element(page).await? else {
        return Err(PageError::Expectation(
            "no iframe of the page holds the editor frame".into(),
        ));
    };
    let d = page.browser.driver()?;
    d.enter_default_frame().await?;
    el.clone().enter_frame().await?;
    let untrusted = d
        .execute(
            "var c = document.getElementById('cfg'); return c ? JSON.parse(c.textContent).untrustedOrigin : null;",
            vec![],
        )
        .await;
    d.enter_default_frame().await?;
    let Some(untrusted) = untrusted?.json().as_str().map(str::to_string) else {
        return Err(PageError::Expectation(
            "the mock frame names no second origin to move the frame to".into(),
        ));
    };

    // Hold the next App_LoadingStatus back from the page and make the frame post one.
    page.eval(
        "window.__wopiConformance.holdNext = 'App_LoadingStatus'; return true;",
        vec![],
    )
    .await?;
    page.send(&FrameCommand::new("App_LoadingStatus").immediately()).await?;
    let held = poll(spec.timeout, || async {
        let n = page.eval("return window.__wopiConformance.holdCount;", vec![]).await?;
        Ok((n.as_u64().unwrap_or(0) > 0).then_some(()))
    })
    .await?;
    if held.is_none() {
        r.unmet(
            Precondition::MessageDelivered,
            "a second App_LoadingStatus from the frame never reached the page",
        );
        return Ok(r);
    }

    // The frame now holds a page of another origin; the page answers the held message.
    if !frame_to_probe(page, &el, &untrusted, spec.timeout).await? {
        return Err(PageError::Expectation(format!(
            "the editor iframe could not be moved to the probe page on {untrusted}"
        )));
    }
    page.eval("return window.__wopiConformance.release();", vec![]).await?;
    tokio::time::sleep(QUIET.min(spec.timeout)).await;
    let leaked: Vec<ProbeMessage> = probe_received(page, &el)
        .await?
        .into_iter()
        .filter(|m| m.origin == page.host_origin)
        .collect();
    if let Some(m) = leaked.first() {
        let id = serde_json::from_str::<Value>(&m.data)
            .ok()
            .and_then(|v| v.get("MessageId").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "a message".into());
        r.record(
            Must,
            &at,
            format!("the page's answer posted to {client_origin} only, dropped once the frame holds another origin"),
            format!(
                "{id} reached a page on {untrusted} that replaced the editor in the frame: the page posts with \
                 targetOrigin \"*\" (or that origin)"
            ),
        );
        return Ok(r);
    }

    // The same answer must reach the client's origin, or the page never answered and nothing was shown.
    if !frame_to_probe(page, &el, &client_origin, spec.timeout).await? {
        return Err(PageError::Expectation(format!(
            "the editor iframe could not be moved to the probe page on {client_origin}"
        )));
    }
    page.eval("return window.__wopiConformance.release();", vec![]).await?;
    let answered = poll(spec.timeout, || async {
        Ok(probe_received(page, &el)
            .await?
            .into_iter()
            .find(|m| m.origin == page.host_origin))
    })
    .await?;
    match answered {
        Some(m) => r.notes.push(format!(
            "the page's answer reached the frame on {client_origin} ({}) and not a page on {untrusted}",
            m.data.chars().take(80).collect::<String>()
        )),
        None => r.unmet(
            Precondition::HandshakeCompleted,
            format!(
                "the page answered the frame's first App_LoadingStatus but not the replayed one within {:?}, so where \
                 it posts could not be observed",
                spec.timeout
            ),
        ),
    }
    Ok(r)
}

/// Lets the page settle after load, so its own DOM work is not taken for a reaction.
async fn settle(page: &PageSession<'_>, spec: &CheckSpec) -> Result<Mark, PageError> {
    wait_loading_status(page, spec.timeout).await?;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    page.mark().await
}

/// Sends `command` and waits until the page received it (or left); the reaction is then watched for `watch`,
/// returning early once there is one when `until_reaction`.
async fn send_and_watch(
    page: &PageSession<'_>,
    command: FrameCommand,
    mark: &Mark,
    watch: Duration,
    until_reaction: bool,
) -> Result<(bool, Reaction), PageError> {
    let id = command.message_id.clone();
    let untrusted = command.from_untrusted_origin;
    page.send(&command).await?;
    let frame_origin = frame_origin(page);
    let delivered = poll(watch.max(Duration::from_secs(5)), || async {
        if !page.same_page().await? {
            return Ok(Some(true));
        }
        let got = page.host_messages().await?.into_iter().any(|m| {
            m.message_id.as_deref() == Some(id.as_str()) && m.at >= mark.at && ((m.origin == frame_origin) != untrusted)
        });
        Ok(got.then_some(true))
    })
    .await?
    .unwrap_or(false);
    let mut reaction = page.reaction_since(mark, BASELINE_MS).await?;
    if until_reaction {
        let found = poll(watch, || async {
            let r = page.reaction_since(mark, BASELINE_MS).await?;
            Ok(r.any().then_some(r))
        })
        .await?;
        if let Some(rx) = found {
            // A moment more, so what follows the first change (a Blur_Focus after a panel opens) is seen too.
            tokio::time::sleep(Duration::from_millis(300)).await;
            reaction = page.reaction_since(mark, BASELINE_MS).await.unwrap_or(rx);
        }
    } else {
        tokio::time::sleep(watch).await;
        reaction = page.reaction_since(mark, BASELINE_MS).await?;
    }
    Ok((delivered, reaction))
}

async fn untrusted_origin_ignored(
    page: &PageSession<'_>,
    spec: &CheckSpec,
    ctx: &CheckContext,
) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::UntrustedOriginIgnored;
    let rule = "the host page acts only on messages whose origin is the WOPI client frame's; anything else may be \
                a hostile page";
    let at = At::new(ctx, c, rule, POSTMESSAGE_DOC);
    let mark = settle(page, spec).await?;
    let new_name = format!("untrusted-rename-{}", now_ms());
    let frame_origin = frame_origin(page);
    for id in ["UI_Sharing", "UI_FileVersions", "File_Rename", "UI_Close"] {
        // Forced: the mock frame otherwise refuses messages CheckFileInfo does not enable, as Office would.
        let mut cmd = FrameCommand::new(id).untrusted().immediately().forced();
        if id == "File_Rename" {
            cmd = cmd.value("NewName", new_name.clone());
        }
        page.send(&cmd).await?;
    }
    let delivered = poll(spec.timeout, || async {
        if !page.same_page().await? {
            return Ok(Some(()));
        }
        let got = page
            .host_messages()
            .await?
            .iter()
            .any(|m| m.message_id.as_deref() == Some("UI_Close") && m.origin != frame_origin && m.at >= mark.at);
        Ok(got.then_some(()))
    })
    .await?;
    if delivered.is_none() {
        r.unmet(
            Precondition::MessageDelivered,
            "the messages posted from the untrusted origin never reached the page, so ignoring them shows nothing",
        );
        return Ok(r);
    }
    tokio::time::sleep(QUIET.min(spec.timeout)).await;
    let reaction = page.reaction_since(&mark, BASELINE_MS).await?;
    let origins: Vec<String> = page
        .host_messages()
        .await?
        .iter()
        .filter(|m| m.origin != frame_origin && m.at >= mark.at)
        .map(|m| m.origin.clone())
        .collect();
    let from = origins.first().cloned().unwrap_or_else(|| "another origin".into());
    if reaction.any() {
        r.record(
            Must,
            &at,
            format!("UI_Sharing, UI_FileVersions, File_Rename and UI_Close from {from} ignored"),
            format!("the page reacted: {}", reaction.describe()),
        );
    } else {
        r.notes
            .push(format!("messages from {from} were ignored: {}", reaction.describe()));
    }
    Ok(r)
}

fn same_url(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(mut a), Ok(mut b)) => {
            a.set_fragment(None);
            b.set_fragment(None);
            a == b
        }
        _ => a == b,
    }
}

async fn ui_close(page: &PageSession<'_>, spec: &CheckSpec, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::UiClose;
    let rule = "UI_Close is posted when the WOPI client closes; the host navigates to its CloseUrl (or elsewhere \
                appropriate). Without CloseUrl, Office greys out its Close UI";
    let at = At::new(ctx, c, rule, POSTMESSAGE_DOC);
    let f = page.frame().await?;
    let props = properties(&f);
    let close_url = props.get("CloseUrl").and_then(Value::as_str).map(str::to_string);
    if close_url.is_none() {
        r.record(
            Should,
            &at.doc("rest/files/CheckFileInfo.rst"),
            "CheckFileInfo CloseUrl",
            "no CloseUrl: the client's Close/Exit UI is disabled",
        );
    }
    if !flag(&props, "ClosePostMessage") {
        r.not_applicable = Some(
            "not applicable: ClosePostMessage is not declared, so Office does not post UI_Close (it navigates to \
             CloseUrl itself)"
                .into(),
        );
        return Ok(r);
    }
    let mark = settle(page, spec).await?;
    page.send(&FrameCommand::new("UI_Close").immediately()).await?;
    let left = poll(spec.timeout, || async { Ok((!page.same_page().await?).then_some(())) }).await?;
    let d = page.browser.driver()?;
    let now = d.current_url().await.map(|u| u.to_string()).unwrap_or_default();
    if left.is_none() {
        let reaction = page.reaction_since(&mark, BASELINE_MS).await?;
        r.record(
            Must,
            &at,
            format!(
                "navigation to {} after UI_Close",
                close_url.as_deref().unwrap_or("the CloseUrl")
            ),
            format!(
                "still on {now} after {:?}; the page did: {}",
                spec.timeout,
                reaction.describe()
            ),
        );
    } else if let Some(close) = &close_url {
        if same_url(&now, close) {
            r.notes.push(format!("UI_Close navigated to the CloseUrl {now}"));
        } else {
            r.record(
                Should,
                &at,
                format!("navigation to the CloseUrl {close}"),
                format!("navigated to {now}"),
            );
        }
    }
    Ok(r)
}

async fn ui_message(page: &PageSession<'_>, spec: &CheckSpec, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::UiMessage;
    let Some(id) = spec.send.clone() else {
        return Err(PageError::Expectation("UiMessage needs Send".into()));
    };
    let f = page.frame().await?;
    let props = properties(&f);
    let (property, declared) = declared_by(&id, &props);
    let mark = settle(page, spec).await?;
    let new_name = format!("Renamed by wopi-conformance {}", now_ms());
    let mut cmd = FrameCommand::new(id.clone()).immediately();
    if !declared {
        // Office would not send it; the mock must be told to.
        cmd = cmd.forced();
    }
    if id == "File_Rename" {
        cmd = cmd.value("NewName", new_name.clone());
    }
    if declared {
        let (delivered, reaction) = send_and_watch(page, cmd, &mark, spec.timeout, true).await?;
        if !delivered {
            r.unmet(
                Precondition::MessageDelivered,
                format!("{id}, posted by the frame, never reached the page"),
            );
            return Ok(r);
        }
        let rule = format!(
            "CheckFileInfo declares {property}, so the WOPI client sends {id} instead of showing its own UI; the host \
             page must handle it (postmessage.rst)"
        );
        let at = At::new(ctx, c, &rule, POSTMESSAGE_DOC);
        if !delivered {
            r.record(
                Must,
                &at,
                format!("{id} reaching the page"),
                "the page never received it",
            );
        } else if !reaction.any() {
            r.record(
                Must,
                &at,
                format!("the page handling {id} (declared by {property})"),
                format!("after {:?} the page did {}", spec.timeout, reaction.describe()),
            );
        } else {
            r.notes.push(format!("{id} handled: {}", reaction.describe()));
            if id == "File_Rename" && reaction.title.as_deref().is_none_or(|t| !t.contains(&new_name)) {
                r.notes.push(
                    "the page title does not show the new name (fine if the page shows the name elsewhere)".into(),
                );
            }
        }
    } else {
        let (delivered, reaction) = send_and_watch(page, cmd, &mark, QUIET.min(spec.timeout), false).await?;
        if !delivered {
            // Ignoring a message that never arrived shows nothing.
            r.unmet(
                Precondition::MessageDelivered,
                format!("{id}, posted by the frame, never reached the page, so whether it ignores it is unknown"),
            );
        } else if reaction.any() {
            r.record(
                Should,
                &At::new(
                    ctx,
                    c,
                    &format!("the WOPI client sends {id} only when CheckFileInfo sets {property}"),
                    POSTMESSAGE_DOC,
                ),
                format!("{id} ignored, as CheckFileInfo does not declare {property}"),
                format!(
                    "the page handled it ({}); declare {property}=true, or Office never sends {id} and this UI is \
                     unreachable",
                    reaction.describe()
                ),
            );
        } else {
            r.notes.push(format!("{property} not declared; {id} ignored"));
        }
    }
    Ok(r)
}

/// Closes whatever host UI is open: Escape, then a visible Close/Cancel/× control of the top-level page.
async fn close_host_ui(page: &PageSession<'_>) -> Result<Option<String>, PageError> {
    let d = page.browser.driver()?;
    d.enter_default_frame().await?;
    let v = d
        .execute(
            "var want = /^(close|cancel|done|ok|×|x)$/i;\
             document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));\
             var els = document.querySelectorAll('button, [role=button], a, input[type=button]');\
             for (var i = 0; i < els.length; i++) {\
               var e = els[i], r = e.getBoundingClientRect();\
               if (r.width === 0 || r.height === 0) { continue; }\
               var label = (e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent || e.value || '').trim();\
               if (want.test(label) || /close/i.test(e.getAttribute('aria-label') || '')) { return e; }\
             }\
             return null;",
            vec![],
        )
        .await?;
    if v.json().is_null() {
        return Ok(None);
    }
    let el = v.element()?;
    let label = el.text().await.unwrap_or_default();
    el.click().await?;
    Ok(Some(label))
}

async fn focus_messages(
    page: &PageSession<'_>,
    spec: &CheckSpec,
    ctx: &CheckContext,
) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::FocusMessages;
    let rule = "hosts send Blur_Focus when their UI is drawn over the WOPI client frame and Grab_Focus when it \
                closes, posted to the frame's origin";
    let f = page.frame().await?;
    let props = properties(&f);
    let candidates: Vec<String> = spec
        .send
        .iter()
        .cloned()
        .chain(["UI_Sharing".to_string(), "UI_FileVersions".to_string()])
        .collect();
    let Some(trigger) = candidates.into_iter().find(|m| declared_by(m, &props).1) else {
        r.not_applicable = Some(
            "not applicable: CheckFileInfo declares neither FileSharingPostMessage nor FileVersionPostMessage, so \
             there is no host UI to open over the frame and no focus exchange to check"
                .into(),
        );
        return Ok(r);
    };
    let mark = settle(page, spec).await?;
    let (delivered, reaction) = send_and_watch(
        page,
        FrameCommand::new(trigger.clone()).immediately(),
        &mark,
        spec.timeout,
        true,
    )
    .await?;
    if !delivered {
        r.unmet(
            Precondition::MessageDelivered,
            format!("{trigger}, posted by the frame to open host UI, never reached the page"),
        );
        return Ok(r);
    }
    let focus = |id: &'static str, since: usize| page.wait_frame_received(id, since, spec.timeout);
    let blur = focus("Blur_Focus", mark.frame_received).await?;
    let missing = Missing::should(
        format!("Blur_Focus from {} after {trigger} opened host UI", page.host_origin),
        format!("no Blur_Focus reached the frame; the page did: {}", reaction.describe()),
    );
    if !r.judge_from_host(ctx, c, page, "Blur_Focus", blur, missing, rule) {
        return Ok(r);
    }
    let before_close = page.frame().await?.received.len();
    match close_host_ui(page).await? {
        None => {
            r.notes
                .push("no Close control found in the host UI: Grab_Focus not checked".into());
            return Ok(r);
        }
        Some(label) => r.notes.push(format!("closed the host UI with {:?}", label.trim())),
    }
    let grab = focus("Grab_Focus", before_close).await?;
    let missing = Missing::should(
        format!("Grab_Focus from {} after the host UI closed", page.host_origin),
        "no Grab_Focus reached the frame".into(),
    );
    r.judge_from_host(ctx, c, page, "Grab_Focus", grab, missing, rule);
    Ok(r)
}

async fn exchange(page: &PageSession<'_>, spec: &CheckSpec, ctx: &CheckContext) -> Result<CheckResult, PageError> {
    let mut r = CheckResult::default();
    let c = Check::Exchange;
    let rule = "the host page answers the WOPI client's messages as postmessage.rst describes, posting to the \
                frame's origin";
    let at = At::new(ctx, c, rule, POSTMESSAGE_DOC);
    let mark = page.mark().await?;
    let mut since = mark.frame_received;
    if let Some(id) = spec.send.as_deref() {
        if id == "App_LoadingStatus" {
            // The frame posts it itself once loaded; the answer may already be there.
            since = 0;
        } else {
            page.send(&FrameCommand::new(id).immediately()).await?;
        }
    }
    let Some(expect) = spec.expect_message.as_deref() else {
        if let Some(id) = spec.send.as_deref() {
            let frame_origin = frame_origin(page);
            if page
                .wait_host_received(id, |o| o == frame_origin, spec.timeout)
                .await?
                .is_none()
                && page.same_page().await?
            {
                r.record(Must, &at, format!("{id} reaching the page"), "never received");
            }
        }
        return Ok(r);
    };
    let got = page.wait_frame_received(expect, since, spec.timeout).await?;
    let missing = Missing::must(
        format!("{expect} from {} within {:?}", page.host_origin, spec.timeout),
        "it never reached the frame".into(),
    );
    r.judge_from_host(ctx, c, page, expect, got, missing, rule);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_name_round_trips() {
        for c in Check::ALL {
            assert_eq!(Check::parse(c.name()), Some(*c));
        }
        assert_eq!(Check::parse("formpost"), None);
    }

    #[test]
    fn specs_validate_their_attributes() {
        let s = CheckSpec::new(
            None,
            "edit",
            Some("App_LoadingStatus"),
            Some("Host_PostmessageReady"),
            30,
        )
        .expect("generic exchange");
        assert_eq!(s.check, Check::Exchange);
        let e = CheckSpec::new(Some("Nope"), "edit", None, None, 30).expect_err("unknown");
        assert!(e.contains("FormPost"), "{e}");
        assert!(CheckSpec::new(Some("UiMessage"), "edit", None, None, 30).is_err());
        assert_eq!(
            CheckSpec::new(Some("TokenTtl"), "view", None, None, 0)
                .expect("spec")
                .timeout,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn messages_map_to_their_checkfileinfo_property() {
        let props: Map<String, Value> = serde_json::from_value(json!({
            "FileSharingPostMessage": true, "FileVersionPostMessage": false, "SupportsRename": true
        }))
        .expect("map");
        assert_eq!(
            declared_by("UI_Sharing", &props),
            ("FileSharingPostMessage".into(), true)
        );
        assert_eq!(
            declared_by("UI_FileVersions", &props),
            ("FileVersionPostMessage".into(), false)
        );
        assert_eq!(declared_by("UI_Close", &props), ("ClosePostMessage".into(), false));
        assert_eq!(declared_by("File_Rename", &props), ("SupportsRename".into(), true));
        let mut no_rename = props.clone();
        no_rename.insert("UserCanRename".into(), Value::Bool(false));
        assert!(!declared_by("File_Rename", &no_rename).1);
    }

    #[test]
    fn urls_compare_without_fragment() {
        assert!(same_url("http://h/a?x=1#top", "http://h/a?x=1"));
        assert!(!same_url("http://h/a", "http://h/b"));
    }
}
