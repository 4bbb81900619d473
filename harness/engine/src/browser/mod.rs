//! Host page and postMessage checks in a real headless Chromium (issue 7).
//!
//! Half of a WOPI integration lives in the browser: the host page must POST the token into the editor iframe
//! and answer the editor's postMessages. [`BrowserRunner`] opens a host page (the reference host's, or any
//! host's through a URL template, `--host-page`) whose iframe loads the mock Office frame, and runs one
//! [`checks::Check`] per `<ext:PostMessage>` step. The browser starts at the first step and is shared by the run
//! (steps take turns on it).
//!
//! | module | what it holds |
//! |---|---|
//! | [`driver`] | chromedriver + headless Chromium, started and torn down without leaving processes behind |
//! | [`page`] | a loaded host page, the recorder script observing it, both sides' messages |
//! | [`frame_api`] | the mock frame's admin endpoints (what the frame saw, messages to send) |
//! | [`checks`] | the checks, each returning failures with evidence |
//! | [`precondition`] | what each check needs to have happened first; unmet, the step fails with that reason |
//!
//! A precondition one step finds unmet (a page that never loads the frame, a PostMessageOrigin that is not the
//! page's origin) is remembered per host page: later steps needing it wait at most [`KNOWN_UNMET_WAIT`], and
//! [`BrowserRunner::unmet_summary`] names it once for the run's summary.

pub mod checks;
pub mod driver;
pub mod frame_api;
pub mod page;
pub mod precondition;

use std::time::Duration;

use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};
use url::Url;
use wopi_protocol::discovery::Discovery;

pub use checks::{Check, CheckSpec};
pub use driver::{Browser, BrowserError, BrowserOptions};
pub use precondition::{PRECONDITION_NOT_MET, Precondition, PreconditionFailure};

use crate::report::model::{DocRef, Failure};
use crate::suite::PostMessageStep;
use checks::CheckContext;
use frame_api::FrameApi;
use page::{PageError, PageSession};

/// A host page URL with `{file_id}`, `{wopisrc}` and `{action}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPageTemplate(String);

impl HostPageTemplate {
    /// Checks that the template gives an http(s) URL once filled.
    pub fn new(template: impl Into<String>) -> Result<HostPageTemplate, String> {
        let t = HostPageTemplate(template.into());
        let example = Url::parse("http://host.invalid/wopi/files/example").map_err(|e| e.to_string())?;
        let filled = t.fill(&example, "view")?;
        if !matches!(filled.scheme(), "http" | "https") {
            return Err(format!("host page template {:?} is not an http(s) URL", t.0));
        }
        Ok(t)
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The page URL for the file at `wopisrc` and `action`. `{file_id}` is the last path segment of WOPISrc,
    /// `{wopisrc}` the whole WOPISrc, percent-encoded.
    pub fn fill(&self, wopisrc: &Url, action: &str) -> Result<Url, String> {
        let file_id = wopisrc
            .path_segments()
            .and_then(|mut s| s.rfind(|p| !p.is_empty()))
            .unwrap_or("");
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let mut src = wopisrc.clone();
        src.set_query(None);
        let filled = self
            .0
            .replace("{file_id}", file_id)
            .replace("{wopisrc}", &enc(src.as_str()))
            .replace("{action}", &enc(action));
        Url::parse(&filled).map_err(|e| format!("host page template {:?} gives {filled:?}: {e}", self.0))
    }
}

/// The check a suite step asks for (`<ext:PostMessage Check=".." Action=".." Send=".." ExpectMessage=".."
/// TimeoutSeconds="..">`); a step without `Check` is an [`Check::Exchange`].
pub fn spec_from_step(step: &PostMessageStep) -> Result<CheckSpec, String> {
    CheckSpec::new(
        step.check.as_deref(),
        &step.action,
        step.send.as_deref(),
        step.expect_message.as_deref(),
        step.timeout_seconds,
    )
}

/// What one browser step produced, for the runner to put into the case result.
#[derive(Debug, Clone, Default)]
pub struct StepOutcome {
    pub failures: Vec<Failure>,
    pub notes: Vec<String>,
    /// PNG screenshots, base64 (taken when the step failed).
    pub screenshots: Vec<String>,
    /// The step could not run here (no browser installed), with the reason.
    pub skipped: Option<String>,
    /// The check could not observe its rule: something it needs did not happen on the page. The step then also
    /// carries a failure (check `precondition`, `actual` starting [`PRECONDITION_NOT_MET`]), so it never passes.
    pub precondition: Option<PreconditionFailure>,
}

/// How long a step waits for a precondition this run already found unmet on the same host page (a page that
/// never loads the frame, a PostMessageOrigin that is not the page's origin): long enough for a page that works
/// this time, short enough that a broken page does not cost every case its full timeout.
pub const KNOWN_UNMET_WAIT: Duration = Duration::from_secs(2);

/// [`KNOWN_UNMET_WAIT`] for the frame itself, counted from when the page finished loading: a page that loads the
/// frame submits its form from its own scripts, and the request reaches the mock on loopback in milliseconds.
pub const KNOWN_UNMET_FRAME_WAIT: Duration = Duration::from_secs(1);

/// Preconditions found unmet on one host page during a run: recognised once, then every later step needing them
/// waits only [`KNOWN_UNMET_WAIT`], and the run's summary names them.
#[derive(Debug, Default)]
struct KnownUnmet {
    /// Unmet the last time they were looked at: waited for briefly.
    now: std::collections::BTreeSet<Precondition>,
    /// Every precondition unmet at some point of the run: the first reason seen and how many steps it ended.
    history: std::collections::BTreeMap<Precondition, (String, usize)>,
}

enum State {
    NotStarted,
    Running(Box<Browser>),
    /// Starting failed; every later step is skipped with this reason instead of retrying.
    Failed(String),
}

/// Runs `<ext:PostMessage>` steps on one shared browser.
pub struct BrowserRunner {
    options: BrowserOptions,
    api: FrameApi,
    template: HostPageTemplate,
    /// Shared with [`BrowserRunner::for_target`] copies: one browser, steps taking turns.
    state: Arc<Mutex<State>>,
    discovery: OnceCell<Discovery>,
    /// Per host page (not shared by [`BrowserRunner::for_target`] copies).
    known_unmet: std::sync::Mutex<KnownUnmet>,
}

impl std::fmt::Debug for BrowserRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserRunner")
            .field("template", &self.template)
            .field("mock", &self.api.base().as_str())
            .finish_non_exhaustive()
    }
}

impl BrowserRunner {
    /// `mock_base` is the mock Office client's base URL (its frames are what the page loads); `template` the
    /// host page. Nothing starts until the first step.
    pub fn new(mock_base: Url, template: HostPageTemplate, options: BrowserOptions) -> Result<BrowserRunner, String> {
        let api = FrameApi::new(mock_base).map_err(|e| e.to_string())?;
        Ok(BrowserRunner {
            options,
            api,
            template,
            state: Arc::new(Mutex::new(State::NotStarted)),
            discovery: OnceCell::new(),
            known_unmet: std::sync::Mutex::default(),
        })
    }

    /// A runner for another mock and host page on the same browser (a test suite with several hosts opens one
    /// browser, not one per host).
    pub fn for_target(&self, mock_base: Url, template: HostPageTemplate) -> Result<BrowserRunner, String> {
        Ok(BrowserRunner {
            options: self.options.clone(),
            api: FrameApi::new(mock_base).map_err(|e| e.to_string())?,
            template,
            state: self.state.clone(),
            discovery: OnceCell::new(),
            known_unmet: std::sync::Mutex::default(),
        })
    }

    /// The host page template in use.
    pub fn template(&self) -> &HostPageTemplate {
        &self.template
    }

    /// Runs one check on a freshly loaded host page for the file at `wopisrc`. `label` names the step in failures.
    pub async fn run_step(&self, spec: &CheckSpec, wopisrc: &Url, label: &str) -> StepOutcome {
        let mut state = self.state.lock().await;
        if let State::NotStarted = *state {
            *state = match start(&self.options).await {
                Ok(b) => State::Running(Box::new(b)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot start the browser; browser steps are skipped");
                    State::Failed(e.to_string())
                }
            };
        }
        let browser = match &*state {
            State::Running(b) => b,
            State::Failed(e) => {
                return StepOutcome {
                    skipped: Some(format!("{label}: needs a browser, which could not start: {e}")),
                    ..StepOutcome::default()
                };
            }
            State::NotStarted => {
                return StepOutcome {
                    skipped: Some(format!("{label}: the browser did not start")),
                    ..StepOutcome::default()
                };
            }
        };
        let mut out = StepOutcome::default();
        let harness = |check: &str, expected: &str, actual: String| Failure {
            request: label.to_string(),
            check: check.to_string(),
            expected: expected.to_string(),
            actual,
            rule: Some("the host page loads the WOPI client's editor frame (online/hostpage.rst)".into()),
            doc: Some(DocRef {
                page: "online/hostpage.rst".into(),
                url: None,
            }),
            should_only: false,
        };
        let discovery = match self.discovery.get_or_try_init(|| self.api.discovery()).await {
            Ok(d) => d.clone(),
            Err(e) => {
                out.failures
                    .push(harness("mock discovery", "the mock's discovery", e.to_string()));
                return out;
            }
        };
        let url = match self.template.fill(wopisrc, &spec.action) {
            Ok(u) => u,
            Err(e) => {
                out.failures.push(harness("host page URL", "a host page URL", e));
                return out;
            }
        };
        let ctx = CheckContext {
            wopisrc: wopisrc.clone(),
            discovery,
            label: label.to_string(),
        };
        // Loading is bounded by the step's timeout (and the driver's page-load timeout).
        let frame_wait = self.wait_for(Precondition::FrameLoaded, spec.timeout);
        let page = match PageSession::open(browser, &self.api, url.clone(), spec.timeout, frame_wait).await {
            Ok(p) => p,
            Err(e) => {
                self.unmet(
                    &mut out,
                    label,
                    PreconditionFailure {
                        precondition: Precondition::FrameLoaded,
                        seen: format!("{url}: {e}"),
                    },
                );
                if let Ok(d) = browser.driver()
                    && let Ok(png) = d.screenshot_as_png_base64().await
                {
                    out.screenshots.push(png);
                }
                return out;
            }
        };
        self.met(Precondition::FrameLoaded);
        for p in spec.check.preconditions() {
            let wait = self.wait_for(*p, spec.timeout);
            match precondition::establish(&page, *p, wait).await {
                Ok(None) => self.met(*p),
                Ok(Some(failure)) => {
                    self.unmet(&mut out, label, failure);
                    out.screenshots.extend(page.screenshot().await);
                    out.notes.extend(page.evidence_notes().await);
                    return out;
                }
                Err(e) => {
                    out.failures
                        .push(harness(spec.check.name(), "the page to be observed", e.to_string()));
                    out.screenshots.extend(page.screenshot().await);
                    out.notes.extend(page.evidence_notes().await);
                    return out;
                }
            }
        }
        let limit = spec.timeout * 4 + Duration::from_secs(30);
        let result = match tokio::time::timeout(limit, checks::run_check(&page, spec, &ctx)).await {
            Ok(r) => r,
            Err(_) => Err(PageError::Expectation(format!(
                "the check did not finish within {limit:?}"
            ))),
        };
        match result {
            Ok(r) => {
                out.notes.extend(r.notes.iter().map(|n| format!("{label}: {n}")));
                if r.failures.is_empty() && r.precondition.is_none() {
                    out.skipped = r.not_applicable;
                }
                out.failures = r.failures;
                if let Some(l) = r.learned {
                    self.learn(l);
                }
                if let Some(p) = r.precondition {
                    // Found by the check itself (a message it sent never arrived): not remembered for later steps.
                    out.failures.push(precondition_failure(label, &p));
                    out.precondition = Some(p);
                }
                if !out.failures.is_empty() {
                    out.screenshots.extend(page.screenshot().await);
                    out.notes.extend(page.evidence_notes().await);
                }
            }
            Err(e) => {
                out.failures
                    .push(harness(spec.check.name(), "the check to run", e.to_string()));
                out.screenshots.extend(page.screenshot().await);
                out.notes.extend(page.evidence_notes().await);
            }
        }
        out
    }

    /// How long to wait for `p`: `timeout`, or [`KNOWN_UNMET_WAIT`] once this page failed it earlier in the run.
    fn wait_for(&self, p: Precondition, timeout: Duration) -> Duration {
        let known = self.known_unmet.lock().map(|k| k.now.contains(&p)).unwrap_or(false);
        match (known, p) {
            (false, _) => timeout,
            (true, Precondition::FrameLoaded) => timeout.min(KNOWN_UNMET_FRAME_WAIT),
            (true, _) => timeout.min(KNOWN_UNMET_WAIT),
        }
    }

    /// `p` held this time: a page that works again is waited for in full.
    fn met(&self, p: Precondition) {
        if let Ok(mut k) = self.known_unmet.lock() {
            k.now.remove(&p);
        }
    }

    /// Remembers a precondition a check found unmet on its way (no step ended on it).
    fn learn(&self, failure: PreconditionFailure) {
        if let Ok(mut k) = self.known_unmet.lock() {
            k.now.insert(failure.precondition);
            k.history.entry(failure.precondition).or_insert((failure.seen, 0));
        }
    }

    /// Ends the step on an unmet precondition: remembered for later steps, and a failure so the case cannot pass.
    fn unmet(&self, out: &mut StepOutcome, label: &str, failure: PreconditionFailure) {
        let mut known_before = false;
        if let Ok(mut k) = self.known_unmet.lock() {
            known_before = !k.now.insert(failure.precondition);
            let entry = k
                .history
                .entry(failure.precondition)
                .or_insert_with(|| (failure.seen.clone(), 0));
            entry.1 += 1;
        }
        if known_before {
            out.notes.push(format!(
                "{label}: {} did not happen earlier in this run on this host page, so it was waited for only briefly",
                failure.precondition.describe(),
            ));
        }
        out.failures.push(precondition_failure(label, &failure));
        out.precondition = Some(failure);
    }

    /// The preconditions this host page did not meet, with the first reason seen and how many steps each ended,
    /// one line each: for the run's summary.
    pub fn unmet_summary(&self) -> Vec<String> {
        let Ok(k) = self.known_unmet.lock() else {
            return Vec::new();
        };
        k.history
            .iter()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(p, (seen, n))| {
                format!(
                    "browser: {n} step(s) could not observe their rule; they need {}, which did not happen on {}: \
                     {seen}",
                    p.describe(),
                    self.template.as_str()
                )
            })
            .collect()
    }

    /// Closes the browser (if it started; for every runner sharing it) and waits for its processes to end.
    pub async fn shutdown(&self) {
        let mut state = self.state.lock().await;
        if let State::Running(b) = std::mem::replace(&mut *state, State::NotStarted) {
            b.shutdown().await;
        }
    }
}

/// The failure that keeps a step whose precondition was not met from passing.
fn precondition_failure(label: &str, p: &PreconditionFailure) -> Failure {
    Failure {
        request: label.to_string(),
        check: "precondition".into(),
        expected: p.precondition.describe().to_string(),
        actual: format!("{PRECONDITION_NOT_MET}{}", p.seen),
        rule: Some(format!(
            "a browser check that cannot observe its rule does not pass; it needs: {}",
            p.precondition.describe()
        )),
        doc: Some(DocRef {
            page: p.precondition.doc().into(),
            url: None,
        }),
        should_only: false,
    }
}

async fn start(options: &BrowserOptions) -> Result<Browser, BrowserError> {
    let browser = Browser::start(options).await?;
    if let Err(e) = page::install_recorder(&browser).await {
        browser.shutdown().await;
        return Err(e);
    }
    Ok(browser)
}

/// `<ext:PostMessage>` steps of the runner go through the browser: the one place a suite step becomes a check.
impl crate::exec::PostMessageDriver for BrowserRunner {
    fn run_step<'a>(
        &'a self,
        step: &'a PostMessageStep,
        target: &'a crate::exec::Target,
        label: &'a str,
    ) -> crate::exec::PostMessageFuture<'a> {
        Box::pin(async move {
            let spec = match spec_from_step(step) {
                Ok(spec) => spec,
                Err(e) => {
                    return crate::exec::PostMessageOutcome {
                        failures: vec![Failure {
                            request: label.to_owned(),
                            check: "PostMessage step".into(),
                            expected: "a browser check this harness knows".into(),
                            actual: e,
                            rule: None,
                            doc: Some(DocRef {
                                page: "suites/README.md".into(),
                                url: None,
                            }),
                            should_only: false,
                        }],
                        ..Default::default()
                    };
                }
            };
            let out = BrowserRunner::run_step(self, &spec, &target.wopisrc, label).await;
            crate::exec::PostMessageOutcome {
                failures: out.failures,
                notes: out.notes,
                screenshots: out.screenshots,
                skipped: out.skipped,
                precondition: out.precondition.map(|p| p.reason()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_file_id_wopisrc_and_action() {
        let t = HostPageTemplate::new("https://host.example/open?file={file_id}&action={action}&src={wopisrc}")
            .expect("valid");
        let src = Url::parse("http://127.0.0.1:8080/wopi/files/abc-1?access_token=secret").expect("url");
        let u = t.fill(&src, "edit").expect("filled");
        assert_eq!(
            u.as_str(),
            "https://host.example/open?file=abc-1&action=edit&src=http%3A%2F%2F127.0.0.1%3A8080%2Fwopi%2Ffiles%2Fabc-1"
        );
        assert!(!u.as_str().contains("secret"), "the token never reaches the page URL");
        assert!(HostPageTemplate::new("ftp://x/{file_id}").is_err());
        assert!(HostPageTemplate::new("not a url {file_id}").is_err());
    }
}
