//! The HTML report (`--html`): one self-contained page a person opens in a browser.
//!
//! The page is rendered by askama from `harness/engine/templates/report.html`, compiled into the binary. It has no
//! external fetches (inline CSS and JS, screenshots as `data:` URIs) and a Content-Security-Policy that forbids
//! them. Everything that comes from a run is escaped by the template engine: the view structs below hold plain
//! strings, never pre-built markup, so a host that answers with `<script>` gets its body shown as text.

use askama::Template;
use base64::Engine as _;
use wopi_protocol::transcript::{Exchange, RecordedOutcome, redact_header, redact_url};

use super::ReportError;
use super::model::{CaseResult, DocRef, Failure, Outcome, RootCause, RunReport, Totals, Verdict};
use super::text::{case_reason, doc_url, format_ms, outcome_name, status_text};

/// Renders the run as one HTML document.
pub fn render(report: &RunReport) -> Result<String, ReportError> {
    Page::new(report).render().map_err(ReportError::RenderHtml)
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    title: String,
    tool_version: String,
    started_at: String,
    duration: String,
    wopisrc: String,
    host_kind: String,
    profile: String,
    suites: String,
    verdict: &'static str,
    verdict_class: &'static str,
    totals: Totals,
    total: usize,
    groups: Vec<GroupView>,
    /// Whether the cases name host configurations (a column in the group table).
    show_configurations: bool,
    cases: Vec<CaseView>,
    /// Host stopped, deadline, blocked-by lines: shown above everything.
    headlines: Vec<String>,
    root_causes: Vec<RootCause>,
}

struct GroupView {
    name: String,
    /// The host configuration the group ran on (empty when the target has none).
    configuration: String,
    totals: Totals,
    total: usize,
    /// Bar segment widths in percent, in the order passed, warning, skipped, failed.
    segments: Vec<(&'static str, String)>,
}

struct CaseView {
    /// A DOM id made only of ASCII alphanumerics and dashes, whatever the case name holds.
    anchor: String,
    id: String,
    name: String,
    group: String,
    category: String,
    /// The host configuration the case ran on, when the target has named ones.
    configuration: Option<String>,
    outcome: &'static str,
    outcome_label: &'static str,
    description: String,
    reason: Option<String>,
    duration: String,
    doc: Option<LinkView>,
    failures_title: &'static str,
    failures: Vec<FailureView>,
    exchanges: Vec<ExchangeView>,
    screenshots: Vec<String>,
    bad_screenshots: usize,
    notes: Vec<String>,
    open: bool,
}

struct LinkView {
    label: String,
    url: Option<String>,
}

struct FailureView {
    request: String,
    check: String,
    expected: String,
    actual: String,
    rule: Option<String>,
    doc: Option<LinkView>,
    should_only: bool,
}

struct ExchangeView {
    label: String,
    method: String,
    url: String,
    elapsed: String,
    request_headers: Vec<(String, String)>,
    request_body: Option<BodyView>,
    /// `None` for a transport error.
    status: Option<u16>,
    status_text: &'static str,
    status_class: &'static str,
    transport_error: Option<String>,
    response_headers: Vec<(String, String)>,
    response_body: Option<BodyView>,
}

struct BodyView {
    size: u64,
    preview: String,
}

impl Page {
    fn new(report: &RunReport) -> Self {
        let totals = report.totals();
        let (verdict, verdict_class) = match totals.verdict() {
            Verdict::Failed => ("Failed", "failed"),
            Verdict::Incomplete => ("Incomplete", "failed"),
            Verdict::Passed if totals.warning > 0 => ("Passed with warnings", "warning"),
            Verdict::Passed => ("Passed", "passed"),
        };
        let configurations = report.configurations_by_group();
        let groups = report
            .totals_by_group()
            .into_iter()
            .map(|(name, t)| GroupView {
                configuration: configurations.get(&name).cloned().unwrap_or_default(),
                segments: segments(&t),
                total: t.total(),
                totals: t,
                name,
            })
            .collect();
        let mut anchors = std::collections::HashSet::new();
        let cases = report
            .cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // A stable link target (`#case-core-Locks-DoubleLock`) that survives added cases; the index only
                // breaks the rare tie between ids that differ in punctuation alone.
                let mut anchor = anchor_for(&c.id);
                if !anchors.insert(anchor.clone()) {
                    anchor = format!("{anchor}-{i}");
                    anchors.insert(anchor.clone());
                }
                CaseView::new(anchor, c)
            })
            .collect();
        Self {
            title: format!("WOPI conformance: {verdict}"),
            tool_version: report.tool_version.clone(),
            started_at: report.started_at.clone(),
            duration: format_ms(report.duration_ms),
            wopisrc: redact_url(&report.target.wopisrc),
            host_kind: report.target.host_kind.clone(),
            profile: report.target.profile.clone(),
            suites: report.target.suites.join(", "),
            verdict,
            verdict_class,
            total: totals.total(),
            totals,
            groups,
            show_configurations: !configurations.is_empty(),
            cases,
            headlines: report.headlines(),
            root_causes: if totals.failed > 1 {
                super::text::root_causes(report)
            } else {
                Vec::new()
            },
        }
    }
}

fn segments(t: &Totals) -> Vec<(&'static str, String)> {
    let total = t.total().max(1) as f64;
    [
        ("passed", t.passed),
        ("warning", t.warning),
        ("skipped", t.skipped),
        ("failed", t.failed),
        ("blocked", t.blocked),
        ("not_run", t.not_run),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(class, n)| (class, format!("{:.2}", n as f64 * 100.0 / total)))
    .collect()
}

/// `case-` and the id with every run of characters other than ASCII letters and digits as one `-`.
fn anchor_for(id: &str) -> String {
    let mut out = String::from("case-");
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

impl CaseView {
    fn new(anchor: String, c: &CaseResult) -> Self {
        let (screenshots, bad_screenshots) = screenshots(&c.screenshots);
        Self {
            anchor,
            id: c.id.clone(),
            name: c.name.clone(),
            group: format!("{}::{}", c.suite, c.group),
            category: c.category.clone(),
            configuration: c.configuration.clone(),
            outcome: outcome_name(c.outcome),
            outcome_label: match c.outcome {
                Outcome::Passed => "Passed",
                Outcome::Failed => "Failed",
                Outcome::Skipped => "Skipped",
                Outcome::Warning => "Warning",
                Outcome::Blocked => "Blocked",
                Outcome::NotRun => "Not run",
            },
            description: c.description.trim().to_string(),
            reason: case_reason(c).filter(|_| c.outcome != Outcome::Passed),
            duration: format_ms(c.duration_ms),
            doc: c.doc.as_ref().map(link),
            failures_title: if c.outcome == Outcome::Warning {
                "Recommendations not met"
            } else {
                "What failed"
            },
            failures: c.failures.iter().map(FailureView::new).collect(),
            exchanges: c.transcript.iter().map(ExchangeView::new).collect(),
            screenshots,
            bad_screenshots,
            notes: c.notes.clone(),
            open: matches!(c.outcome, Outcome::Failed | Outcome::Blocked),
        }
    }
}

fn link(doc: &DocRef) -> LinkView {
    LinkView {
        label: doc.page.clone(),
        url: doc_url(doc),
    }
}

/// Screenshots that really are base64 PNGs, and how many were not.
///
/// Only what decodes to a PNG goes into a `data:image/png` URI, so nothing else can be smuggled into an `src`.
fn screenshots(encoded: &[String]) -> (Vec<String>, usize) {
    let mut good = Vec::new();
    let mut bad = 0;
    for s in encoded {
        let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        match base64::engine::general_purpose::STANDARD.decode(&compact) {
            Ok(bytes) if bytes.starts_with(b"\x89PNG\r\n\x1a\n") => good.push(compact),
            _ => bad += 1,
        }
    }
    (good, bad)
}

impl FailureView {
    fn new(f: &Failure) -> Self {
        Self {
            request: f.request.clone(),
            check: f.check.clone(),
            expected: f.expected.clone(),
            actual: f.actual.clone(),
            rule: f.rule.clone(),
            doc: f.doc.as_ref().map(link),
            should_only: f.should_only,
        }
    }
}

impl ExchangeView {
    fn new(ex: &Exchange) -> Self {
        let req = &ex.request;
        let headers = |h: &[(String, String)]| h.iter().map(|(n, v)| redact_header(n, v)).collect::<Vec<_>>();
        let mut view = Self {
            label: ex.label.clone(),
            method: req.method.clone(),
            url: redact_url(&req.url),
            elapsed: format_ms(ex.elapsed_ms),
            request_headers: headers(&req.headers),
            request_body: body(req.body_size, &req.body_preview),
            status: None,
            status_text: "",
            status_class: "error",
            transport_error: None,
            response_headers: Vec::new(),
            response_body: None,
        };
        match &ex.outcome {
            RecordedOutcome::Response {
                status,
                headers: h,
                body_size,
                body_preview,
            } => {
                view.status = Some(*status);
                view.status_text = status_text(*status);
                view.status_class = match status {
                    200..=299 => "s2xx",
                    300..=399 => "s3xx",
                    400..=499 => "s4xx",
                    _ => "s5xx",
                };
                view.response_headers = headers(h);
                view.response_body = body(*body_size, body_preview);
            }
            RecordedOutcome::TransportError { message } => view.transport_error = Some(message.clone()),
        }
        view
    }
}

fn body(size: u64, preview: &str) -> Option<BodyView> {
    (size > 0 || !preview.is_empty()).then(|| BodyView {
        size,
        preview: preview.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_safe_and_unique() {
        assert_eq!(
            anchor_for("core::ProofKeys::ProofKeys.CurrentInvalid.OldValid"),
            "case-core-ProofKeys-ProofKeys-CurrentInvalid-OldValid"
        );
        assert_eq!(anchor_for("x::\"><y"), "case-x-y");
        let mut report = RunReport {
            schema_version: super::super::SCHEMA_VERSION,
            tool_version: String::new(),
            started_at: String::new(),
            duration_ms: 0.0,
            target: super::super::TargetInfo {
                wopisrc: String::new(),
                host_kind: String::new(),
                profile: String::new(),
                suites: Vec::new(),
            },
            ..RunReport::default()
        };
        for id in ["s::g::a.b", "s::g::a-b"] {
            report.cases.push(CaseResult {
                id: id.into(),
                suite: "s".into(),
                group: "g".into(),
                name: id.into(),
                category: String::new(),
                description: String::new(),
                doc: None,
                outcome: Outcome::Passed,
                ..CaseResult::default()
            });
        }
        let page = Page::new(&report);
        let anchors: Vec<&str> = page.cases.iter().map(|c| c.anchor.as_str()).collect();
        assert_eq!(anchors, ["case-s-g-a-b", "case-s-g-a-b-1"]);
    }
}
