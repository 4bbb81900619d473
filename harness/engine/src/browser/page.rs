//! One host page open in the browser with the mock editor frame inside it, and what both sides saw.
//!
//! The host side is observed by a recorder script that Chromium runs before any script of every top-level page
//! ([`RECORDER_JS`], installed with the DevTools `Page.addScriptToEvaluateOnNewDocument`): it logs every message
//! the page receives (with `MessageEvent.origin`), DOM mutations, `window.open` calls and `document.title`, so a
//! check can tell whether the page reacted to a message without knowing anything about the page. The frame side
//! is the mock's report ([`super::frame_api`]): the form fields, the messages it received with their origins and
//! what it sent.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use thirtyfour::prelude::*;
use url::Url;
use wopi_mock_office::frame::{FrameCommand, FrameReport, ReceivedMessage};

use super::driver::{Browser, BrowserError};
use super::frame_api::FrameApi;

/// The recorder. It runs in every top-level document before the page's own scripts, so the page's first
/// messages (`App_LoadingStatus`) are recorded too; frames are left alone.
pub const RECORDER_JS: &str = r#"
(function () {
  if (window.top !== window || window.__wopiConformance) { return; }
  var rec = window.__wopiConformance = {
    pageId: Math.random().toString(36).slice(2) + Date.now().toString(36),
    received: [], mutations: [], opened: [], loadedAt: Date.now()
  };
  function text(d) {
    if (typeof d === 'string') { return d; }
    try { return JSON.stringify(d); } catch (_) { return String(d); }
  }
  // Held messages (see HOLD below) live outside `rec`, which is read as JSON.
  var held = [], replaying = false;
  rec.holdNext = null; rec.holdCount = 0;
  window.addEventListener('message', function (e) {
    if (replaying) { return; }
    var id = null;
    try { var m = typeof e.data === 'string' ? JSON.parse(e.data) : e.data; id = (m && typeof m.MessageId === 'string') ? m.MessageId : null; } catch (_) {}
    if (rec.received.length < 500) {
      rec.received.push({ origin: String(e.origin), messageId: id, data: text(e.data).slice(0, 2000), at: Date.now() });
    }
    // HOLD: when armed, the next message with this id is kept from the page until `release()`, so the page answers
    // it after the harness moved the frame elsewhere (how the page's targetOrigin is judged).
    if (rec.holdNext !== null && id === rec.holdNext && held.length < 10) {
      rec.holdNext = null;
      rec.holdCount += 1;
      held.push({ data: e.data, origin: e.origin, lastEventId: e.lastEventId, source: e.source });
      e.stopImmediatePropagation();
    }
  }, true);
  // Dispatches every held message to the page again, as it arrived (data, origin, source window).
  rec.release = function () {
    held.forEach(function (h) {
      replaying = true;
      try {
        window.dispatchEvent(new MessageEvent('message', { data: h.data, origin: h.origin, lastEventId: h.lastEventId, source: h.source }));
      } finally { replaying = false; }
    });
    return held.length;
  };
  var open = window.open;
  window.open = function (u) {
    if (rec.opened.length < 100) { rec.opened.push({ url: String(u), at: Date.now() }); }
    return open.apply(window, arguments);
  };
  function describe(n) {
    if (!n || n.nodeType !== 1) { n = n && n.parentElement; }
    if (!n) { return '?'; }
    return n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') +
      (typeof n.className === 'string' && n.className ? '.' + n.className.trim().split(/\s+/).join('.') : '');
  }
  function observe() {
    new MutationObserver(function (list) {
      list.forEach(function (m) {
        if (rec.mutations.length < 5000) {
          rec.mutations.push({ type: m.type, target: describe(m.target), attribute: m.attributeName || null, at: Date.now() });
        }
      });
    }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
  }
  if (document.documentElement) { observe(); } else { document.addEventListener('DOMContentLoaded', observe); }
})();
"#;

/// A message the host page received, as the recorder saw it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostMessage {
    pub origin: String,
    pub message_id: Option<String>,
    pub data: String,
    pub at: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct Mutation {
    #[serde(rename = "type")]
    kind: String,
    target: String,
    attribute: Option<String>,
    at: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct Opened {
    url: String,
    at: f64,
}

/// The recorder's state.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recorded {
    page_id: String,
    received: Vec<HostMessage>,
    mutations: Vec<Mutation>,
    opened: Vec<Opened>,
}

/// What the host page did between two instants.
#[derive(Debug, Clone, Default)]
pub struct Reaction {
    /// The page navigated away (its URL now, if readable).
    pub navigated_to: Option<String>,
    /// DOM mutations, summarised (`attributes hidden on div#panel`).
    pub mutations: Vec<String>,
    /// `window.open` calls.
    pub opened: Vec<String>,
    /// Messages the frame received from the host page in the window.
    pub to_frame: Vec<String>,
    /// `document.title` changed to this.
    pub title: Option<String>,
    /// The page's DOM was already changing before the message, so mutations were not counted.
    pub noisy: bool,
}

impl Reaction {
    /// Whether the page visibly did anything.
    pub fn any(&self) -> bool {
        self.navigated_to.is_some()
            || (!self.noisy && !self.mutations.is_empty())
            || !self.opened.is_empty()
            || !self.to_frame.is_empty()
            || self.title.is_some()
    }

    /// One line for a report.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(u) = &self.navigated_to {
            parts.push(format!("navigated to {u}"));
        }
        if !self.mutations.is_empty() && !self.noisy {
            let shown: Vec<&str> = self.mutations.iter().take(5).map(String::as_str).collect();
            parts.push(format!(
                "{} DOM change(s): {}{}",
                self.mutations.len(),
                shown.join("; "),
                if self.mutations.len() > 5 { "; ..." } else { "" }
            ));
        }
        if !self.opened.is_empty() {
            parts.push(format!("opened {}", self.opened.join(", ")));
        }
        if !self.to_frame.is_empty() {
            parts.push(format!("posted {} to the frame", self.to_frame.join(", ")));
        }
        if let Some(t) = &self.title {
            parts.push(format!("title became {t:?}"));
        }
        if parts.is_empty() {
            if self.noisy {
                "no navigation, popup, title change or message (DOM changes not counted: the page changes its DOM \
                 continuously)"
                    .to_string()
            } else {
                "nothing (no DOM change, navigation, popup, title change or message)".to_string()
            }
        } else {
            parts.join("; ")
        }
    }
}

/// Why a page could not be opened or observed. A check turns it into a failure with the evidence so far.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    Browser(#[from] BrowserError),
    #[error("{0}")]
    Mock(#[from] super::frame_api::FrameApiError),
    #[error("{0}")]
    Expectation(String),
}

impl From<WebDriverError> for PageError {
    fn from(e: WebDriverError) -> Self {
        PageError::Browser(BrowserError::from(e))
    }
}

/// A point in time of a page session (browser clock), with the title and how many messages the frame had then.
#[derive(Debug, Clone)]
pub struct Mark {
    pub at: f64,
    pub title: Option<String>,
    pub frame_received: usize,
}

/// A host page loaded with its editor frame.
pub struct PageSession<'a> {
    pub browser: &'a Browser,
    pub api: &'a FrameApi,
    /// The URL the browser was sent to.
    pub requested_url: Url,
    /// The page's URL once loaded (after redirects).
    pub host_url: Url,
    /// `scheme://host:port` of [`Self::host_url`].
    pub host_origin: String,
    /// The mock frame session the page opened.
    pub frame_session: String,
    page_id: String,
}

/// Polls `f` every 100 ms until it returns `Some` or `timeout` passes.
pub async fn poll<T, F, Fut>(timeout: Duration, mut f: F) -> Result<Option<T>, PageError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, PageError>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await? {
            return Ok(Some(v));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn origin_of(u: &Url) -> String {
    u.origin().ascii_serialization()
}

impl<'a> PageSession<'a> {
    /// Loads `url` and waits (at most `timeout`) for the page to load the mock frame and for the frame's script
    /// to run.
    /// `frame_wait` bounds the wait for the frame alone (shorter once a run knows the page never loads it).
    pub async fn open(
        browser: &'a Browser,
        api: &'a FrameApi,
        url: Url,
        timeout: Duration,
        frame_wait: Duration,
    ) -> Result<PageSession<'a>, PageError> {
        let d = browser.driver()?;
        // Leave the previous page first, so its frame stops talking and its sessions are complete.
        browser.goto("about:blank", timeout).await?;
        let before: Vec<String> = api.sessions().await?.into_iter().map(|s| s.session).collect();
        browser.goto(url.as_str(), frame_wait).await?;
        let host_url = d.current_url().await?;
        let host_origin = origin_of(&host_url);
        // An error page never loads the frame: say so now rather than after the whole wait.
        let status = d
            .execute(
                "var n = performance.getEntriesByType('navigation')[0];\
                 return [n && n.responseStatus ? n.responseStatus : 0,\
                   document.body ? String(document.body.innerText).slice(0, 300) : ''];",
                vec![],
            )
            .await
            .map(|r| r.json().clone())
            .unwrap_or_default();
        if let Some(code) = status[0].as_u64().filter(|c| *c >= 400) {
            return Err(PageError::Expectation(format!(
                "the host page at {host_url} answered HTTP {code} ({:?}), so it cannot load the editor frame",
                status[1].as_str().unwrap_or("").trim()
            )));
        }
        let page_id = match recorded(browser).await? {
            Some(r) => r.page_id,
            None => {
                return Err(PageError::Expectation(format!(
                    "the page at {host_url} could not be observed (the recorder script did not run)"
                )));
            }
        };
        let session = poll(frame_wait, || async {
            let now = api.sessions().await?;
            Ok(now
                .into_iter()
                .rev()
                .find(|s| !before.contains(&s.session))
                .map(|s| s.session))
        })
        .await?;
        let Some(frame_session) = session else {
            return Err(PageError::Expectation(format!(
                "within {frame_wait:?} the host page at {host_url} never loaded the editor frame: no request reached \
                 any action URL of the mock's discovery"
            )));
        };
        let page = PageSession {
            browser,
            api,
            requested_url: url,
            host_url,
            host_origin,
            frame_session,
            page_id,
        };
        // The frame's script reports `loaded` once it ran; when the frame could not open the file it never does,
        // and the checks then read why from the report.
        poll(timeout.min(Duration::from_secs(10)), || async {
            Ok(page.frame_report().await?.filter(|r| r.loaded).map(|_| ()))
        })
        .await?;
        Ok(page)
    }

    /// The mock frame's report.
    pub async fn frame_report(&self) -> Result<Option<FrameReport>, PageError> {
        Ok(self.api.report(&self.frame_session).await?)
    }

    /// The mock frame's report, which must exist.
    pub async fn frame(&self) -> Result<FrameReport, PageError> {
        self.frame_report()
            .await?
            .ok_or_else(|| PageError::Expectation("the mock no longer has the frame session".into()))
    }

    /// Waits until the frame has received a message `message_id` after its first `since` messages.
    pub async fn wait_frame_received(
        &self,
        message_id: &str,
        since: usize,
        timeout: Duration,
    ) -> Result<Option<ReceivedMessage>, PageError> {
        poll(timeout, || async {
            Ok(self
                .frame()
                .await?
                .received
                .into_iter()
                .skip(since)
                .find(|m| m.message_id.as_deref() == Some(message_id)))
        })
        .await
    }

    /// Makes the frame post `command` to the host page.
    pub async fn send(&self, command: &FrameCommand) -> Result<(), PageError> {
        Ok(self.api.send(&self.frame_session, command).await?)
    }

    /// Runs `script` in the top-level page and returns its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Result<Value, PageError> {
        let d = self.browser.driver()?;
        d.enter_default_frame().await?;
        let r = d.execute(script, args).await?;
        Ok(r.json().clone())
    }

    /// The browser clock (ms since the epoch) in the page, so recorder timestamps compare.
    pub async fn now_ms(&self) -> Result<f64, PageError> {
        Ok(self.eval("return Date.now();", vec![]).await?.as_f64().unwrap_or(0.0))
    }

    /// Whether the page is still the one that was opened (not navigated away).
    pub async fn same_page(&self) -> Result<bool, PageError> {
        Ok(recorded(self.browser).await?.is_some_and(|r| r.page_id == self.page_id))
    }

    /// The messages the host page received (empty once it navigated away).
    pub async fn host_messages(&self) -> Result<Vec<HostMessage>, PageError> {
        match recorded(self.browser).await? {
            Some(r) if r.page_id == self.page_id => Ok(r.received),
            _ => Ok(Vec::new()),
        }
    }

    /// Waits until the host page received a message `message_id` from an origin other than `not_origin` (or
    /// any origin when `None`).
    pub async fn wait_host_received(
        &self,
        message_id: &str,
        from: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<Option<HostMessage>, PageError> {
        poll(timeout, || async {
            Ok(self
                .host_messages()
                .await?
                .into_iter()
                .find(|m| m.message_id.as_deref() == Some(message_id) && from(&m.origin)))
        })
        .await
    }

    /// Where the exchange stands now, to measure a reaction from.
    pub async fn mark(&self) -> Result<Mark, PageError> {
        let at = self.now_ms().await?;
        let title = self
            .eval("return document.title;", vec![])
            .await?
            .as_str()
            .map(str::to_string);
        let frame_received = self.frame().await?.received.len();
        Ok(Mark {
            at,
            title,
            frame_received,
        })
    }

    /// What the page did since `mark`; DOM changes in the `baseline` ms before the mark mean the page changes its
    /// DOM on its own, and then DOM changes are not counted as a reaction.
    pub async fn reaction_since(&self, mark: &Mark, baseline: f64) -> Result<Reaction, PageError> {
        let mut reaction = Reaction::default();
        match recorded(self.browser).await? {
            Some(r) if r.page_id == self.page_id => {
                reaction.noisy = r.mutations.iter().any(|m| m.at >= mark.at - baseline && m.at < mark.at);
                reaction.mutations = r
                    .mutations
                    .iter()
                    .filter(|m| m.at >= mark.at)
                    .map(|m| match &m.attribute {
                        Some(a) => format!("{} {a} on {}", m.kind, m.target),
                        None => format!("{} in {}", m.kind, m.target),
                    })
                    .collect();
                reaction.opened = r
                    .opened
                    .iter()
                    .filter(|o| o.at >= mark.at)
                    .map(|o| o.url.clone())
                    .collect();
                let title = self
                    .eval("return document.title;", vec![])
                    .await?
                    .as_str()
                    .map(str::to_string);
                if title != mark.title {
                    reaction.title = title;
                }
            }
            _ => {
                let d = self.browser.driver()?;
                reaction.navigated_to = Some(d.current_url().await.map(|u| u.to_string()).unwrap_or_default());
            }
        }
        let frame = self.frame().await?;
        reaction.to_frame = frame
            .received
            .iter()
            .skip(mark.frame_received)
            .filter(|m| m.origin == self.host_origin)
            .map(|m| m.message_id.clone().unwrap_or_else(|| "(not a WOPI message)".into()))
            .collect();
        Ok(reaction)
    }

    /// A PNG screenshot of the window, base64; `None` when the browser cannot take one.
    pub async fn screenshot(&self) -> Option<String> {
        let d = self.browser.driver().ok()?;
        let _ = d.enter_default_frame().await;
        d.screenshot_as_png_base64().await.ok()
    }

    /// The messages seen on both sides, one note each, for a report.
    pub async fn evidence_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        notes.push(format!(
            "host page {} (origin {}), frame session {}",
            self.host_url, self.host_origin, self.frame_session
        ));
        match self.host_messages().await {
            Ok(msgs) if self.same_page().await.unwrap_or(false) => notes.push(format!(
                "host page received: {}",
                if msgs.is_empty() {
                    "nothing".to_string()
                } else {
                    msgs.iter()
                        .map(|m| {
                            format!(
                                "{} from {}",
                                m.message_id.as_deref().unwrap_or("(not a WOPI message)"),
                                m.origin
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )),
            Ok(_) => notes.push("host page: navigated away, its received messages are gone".into()),
            Err(e) => notes.push(format!("host page messages unavailable: {e}")),
        }
        match self.frame_report().await {
            Ok(Some(f)) => {
                notes.push(format!(
                    "frame: {} {} loaded by {} (token from {}), PostMessageOrigin {}, Host_PostmessageReady {}",
                    f.app,
                    f.action,
                    f.method,
                    f.token_source,
                    f.post_message_origin.as_deref().unwrap_or("(none)"),
                    if f.host_ready { "received" } else { "not received" }
                ));
                notes.push(format!(
                    "frame received: {}",
                    if f.received.is_empty() {
                        "nothing".to_string()
                    } else {
                        f.received
                            .iter()
                            .map(|m| {
                                format!(
                                    "{} from {}{}",
                                    m.message_id.as_deref().unwrap_or("(not a WOPI message)"),
                                    m.origin,
                                    if m.trusted { "" } else { " (untrusted)" }
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
                notes.push(format!(
                    "frame sent: {}",
                    if f.sent.is_empty() {
                        "nothing".to_string()
                    } else {
                        f.sent
                            .iter()
                            .map(|m| format!("{} via {} to {}", m.message_id, m.via, m.target_origin))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ));
                if !f.errors.is_empty() {
                    notes.push(format!("frame errors: {}", f.errors.join("; ")));
                }
            }
            Ok(None) => notes.push("frame report: no such session".into()),
            Err(e) => notes.push(format!("frame report unavailable: {e}")),
        }
        notes
    }
}

/// The recorder's state in the current top-level page; `None` if the page has none (navigated to a page the
/// recorder did not run in, or `about:blank`).
async fn recorded(browser: &Browser) -> Result<Option<Recorded>, PageError> {
    let d = browser.driver()?;
    d.enter_default_frame().await?;
    let v = d
        .execute(
            "return window.__wopiConformance ? JSON.stringify(window.__wopiConformance) : null;",
            vec![],
        )
        .await?;
    match v.json() {
        Value::String(s) => Ok(serde_json::from_str(s).ok()),
        _ => Ok(None),
    }
}

/// Installs [`RECORDER_JS`] for every later page of the session.
pub async fn install_recorder(browser: &Browser) -> Result<(), BrowserError> {
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": RECORDER_JS }),
        )
        .await
        .map(|_| ())
}
