//! The result of a conformance run: what the runner produces and every report format renders.
//!
//! This is also the documented JSON report (`--json`): the schema is versioned by [`SCHEMA_VERSION`] and any
//! change to a field's meaning bumps it. Tokens never appear here: transcripts are redacted when recorded.

use serde::{Deserialize, Serialize};
use wopi_protocol::transcript::Exchange;

/// Version of the JSON report schema. Bump on any incompatible change.
///
/// Version 2 added the outcomes `blocked` and `not_run`, `CaseResult::blocked_by` / `left_dirty` / `setting`, and the
/// run-level `host_stopped`, `deadline_passed`, `root_causes` and `notes`.
pub const SCHEMA_VERSION: u32 = 2;

/// A whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    /// `wopi-conformance` version that produced the run.
    pub tool_version: String,
    /// RFC 3339 UTC start time.
    pub started_at: String,
    pub duration_ms: f64,
    pub target: TargetInfo,
    pub cases: Vec<CaseResult>,
    /// The host stopped answering part-way: the request it stopped on. The cases after it are `not_run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_stopped: Option<HostStopped>,
    /// `--deadline` passed before every case ran: what was left is `not_run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_passed: Option<String>,
    /// The few causes that explain most failures, largest first ([`RunReport::compute_root_causes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub root_causes: Vec<RootCause>,
    /// Run-level notes a reader must see first (a suite that was not found, a hint about the host's setup).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Where the host stopped answering: the first request of the run of transport failures that ended it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStopped {
    /// Id of the case that sent the request.
    pub case: String,
    /// The request's label (`PutRelativeFile`, `Lock#2`).
    pub request: String,
    /// What was sent: method, URL (token removed) and the WOPI headers that made it particular.
    pub sent: String,
    /// What happened instead of a response (`the connection closed before a response`).
    pub error: String,
    /// The whole finding in one sentence, as the console's first summary line says it.
    pub message: String,
}

/// One cause shared by several failed cases: the same operation failing the same check with the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootCause {
    /// The WOPI operation (the failing request's label without its number), e.g. `PutRelativeFile`.
    pub operation: String,
    /// The check that failed (`ResponseCode`, `Transport`, ...).
    pub check: String,
    /// What was expected and what came back, in words: `answers 500 (an HTML page) instead of 200`.
    pub summary: String,
    /// How many failed cases this explains.
    pub count: usize,
    /// The ids of those cases, in run order.
    pub cases: Vec<String>,
}

/// What was tested.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The WOPISrc under test with the access token removed, or a description for per-case provisioned files.
    pub wopisrc: String,
    /// `embedded reference host` or `external host`.
    pub host_kind: String,
    /// Client profile: `office`, `collabora` or `onlyoffice`.
    pub profile: String,
    /// Suite files that were loaded, as given.
    pub suites: Vec<String>,
}

/// The verdict of one case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    Passed,
    Failed,
    /// Not run, with a reason (a prereq failed, a filter, a capability the host does not declare).
    Skipped,
    /// Passed every MUST but missed a SHOULD.
    Warning,
    /// Could not start: its setup failed (the host's answer is in the reason and transcript), or the shared file was
    /// left in a state the harness could not undo by the case named in `blocked_by`. Neither passed nor failed.
    Blocked,
    /// Never sent: the host had stopped answering, or the run's deadline had passed.
    NotRun,
}

impl Outcome {
    /// The word reports use (`passed`, `not run`, ...).
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Warning => "warning",
            Outcome::Blocked => "blocked",
            Outcome::NotRun => "not run",
        }
    }
}

/// A documentation page a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRef {
    /// Path under the WOPI docs, e.g. `rest/files/Lock.rst`.
    pub page: String,
    /// Public URL of the page, when known.
    pub url: Option<String>,
}

/// One check that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Label of the request whose answer broke the rule (`Lock`, `GetFile#2`).
    pub request: String,
    /// The validator or check that failed (`ResponseCode`, `ResponseHeader X-WOPI-Lock`).
    pub check: String,
    pub expected: String,
    pub actual: String,
    /// The requirement in words, ideally the sentence of the docs.
    pub rule: Option<String>,
    pub doc: Option<DocRef>,
    /// Only a SHOULD was broken: the case is a warning, not a failure.
    pub should_only: bool,
}

/// One case as run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// `suite::Group::Case`, the name a `cargo test` filter uses.
    pub id: String,
    pub suite: String,
    pub group: String,
    pub name: String,
    /// Validator category: `WopiCore`, `OfficeOnline`, `OfficeNativeClient`, `WopiCoauth`, ...
    pub category: String,
    pub description: String,
    pub doc: Option<DocRef>,
    pub outcome: Outcome,
    /// Why it was skipped, or a one-line summary of the first failure.
    pub reason: Option<String>,
    pub failures: Vec<Failure>,
    pub duration_ms: f64,
    /// Every exchange of the case, prereqs and cleanup included, tokens redacted.
    pub transcript: Vec<Exchange>,
    /// Evidence from a browser: PNG screenshots, base64-encoded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screenshots: Vec<String>,
    /// Free-form notes (messages seen by a browser frame, etc.).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// For a blocked case: the id of the case that left the shared file in a state that could not be undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
    /// Single-file mode: how this case left the shared file when the harness could not bring it back
    /// (`left the file locked with 'abc'; Unlock with 'abc' answered 409`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_dirty: Option<String>,
    /// The host configuration the case ran on, when the target offers several (the embedded reference host:
    /// `default`, `no-relative`, ...); absent for a host the harness does not configure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub warning: usize,
    #[serde(default)]
    pub blocked: usize,
    #[serde(default)]
    pub not_run: usize,
}

impl Totals {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Warning => self.warning += 1,
            Outcome::Blocked => self.blocked += 1,
            Outcome::NotRun => self.not_run += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped + self.warning + self.blocked + self.not_run
    }

    /// The run's verdict: a failed or blocked case fails it, a case not run leaves it incomplete.
    pub fn verdict(&self) -> Verdict {
        if self.failed > 0 || self.blocked > 0 {
            Verdict::Failed
        } else if self.not_run > 0 {
            Verdict::Incomplete
        } else {
            Verdict::Passed
        }
    }

    /// The counts of a totals line in their order ("3 passed", "1 failed", …, "2 warnings"), with the blocked and
    /// not-run counts only where either is non-zero; each report format adds its own markup around them.
    pub fn count_phrases(&self) -> Vec<String> {
        let mut out = vec![
            format!("{} passed", self.passed),
            format!("{} failed", self.failed),
            format!("{} skipped", self.skipped),
            super::text::plural(self.warning, "warning"),
        ];
        if self.blocked + self.not_run > 0 {
            out.push(format!("{} blocked", self.blocked));
            out.push(format!("{} not run", self.not_run));
        }
        out
    }
}

/// The overall verdict of a run, from its [`Totals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    Incomplete,
}

impl RunReport {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for c in &self.cases {
            t.add(c.outcome);
        }
        t
    }

    /// Totals per group, in first-seen order.
    pub fn totals_by_group(&self) -> Vec<(String, Totals)> {
        let mut out: Vec<(String, Totals)> = Vec::new();
        for c in &self.cases {
            let key = format!("{}::{}", c.suite, c.group);
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, t)) => t.add(c.outcome),
                None => {
                    let mut t = Totals::default();
                    t.add(c.outcome);
                    out.push((key, t));
                }
            }
        }
        out
    }

    /// The host configuration each group (`suite::Group`, as in [`RunReport::totals_by_group`]) ran on, when the
    /// target offers several (several names joined with `, ` should a group ever span more than one); empty when no
    /// case names one.
    pub fn configurations_by_group(&self) -> std::collections::BTreeMap<String, String> {
        let mut seen: std::collections::BTreeMap<String, Vec<&str>> = std::collections::BTreeMap::new();
        for c in &self.cases {
            if let Some(name) = &c.configuration {
                let names = seen.entry(format!("{}::{}", c.suite, c.group)).or_default();
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        seen.into_iter().map(|(g, names)| (g, names.join(", "))).collect()
    }

    /// Blocked cases grouped by the case whose leftover state blocked them, in run order: (culprit id, count).
    pub fn blocked_by_case(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for c in self.cases.iter().filter(|c| c.outcome == Outcome::Blocked) {
            let Some(culprit) = &c.blocked_by else { continue };
            match out.iter_mut().find(|(k, _)| k == culprit) {
                Some((_, n)) => *n += 1,
                None => out.push((culprit.clone(), 1)),
            }
        }
        out
    }

    /// What a reader must see before any table, in order: where the host stopped answering, the deadline, the
    /// cases blocked by another case's leftovers, and the run's notes. Every format prints these first.
    pub fn headlines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(h) = &self.host_stopped {
            out.push(h.message.clone());
        }
        if let Some(d) = &self.deadline_passed {
            out.push(d.clone());
        }
        for (culprit, n) in self.blocked_by_case() {
            let how = self
                .cases
                .iter()
                .find(|c| c.id == culprit)
                .and_then(|c| c.left_dirty.as_deref())
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            let cases = if n == 1 { "1 case" } else { &format!("{n} cases") };
            out.push(format!("{cases} blocked by state that case {culprit} left behind{how}"));
        }
        let own_setup = self
            .cases
            .iter()
            .filter(|c| c.outcome == Outcome::Blocked && c.blocked_by.is_none())
            .count();
        if own_setup > 0 {
            let cases = if own_setup == 1 {
                "1 case"
            } else {
                &format!("{own_setup} cases")
            };
            out.push(format!(
                "{cases} blocked because the host refused their setup (see each case's reason)"
            ));
        }
        out.extend(self.notes.iter().cloned());
        out
    }

    /// Groups the failed cases by (operation, check, what came back) of the failure that stopped each, largest
    /// first (ties in run order). A host builder fixes the top line first.
    pub fn compute_root_causes(&self) -> Vec<RootCause> {
        let mut out: Vec<RootCause> = Vec::new();
        for c in self.cases.iter().filter(|c| c.outcome == Outcome::Failed) {
            let Some(f) = c.failures.iter().find(|f| !f.should_only).or(c.failures.first()) else {
                continue;
            };
            let operation = operation_of(&f.request);
            let body = c
                .transcript
                .iter()
                .rev()
                .find(|e| e.label == f.request)
                .and_then(body_kind)
                .map(|k| format!(" ({k})"))
                .unwrap_or_default();
            let summary = if f.check == "Transport" {
                format!("gets no response: {}", f.actual)
            } else if let (Some(got), Some(want)) =
                (f.actual.strip_prefix("status "), f.expected.strip_prefix("status "))
            {
                format!("answers {got}{body} instead of {want}")
            } else {
                format!("{}: expected {}, got {}{body}", f.check, f.expected, f.actual)
            };
            match out
                .iter_mut()
                .find(|r| r.operation == operation && r.check == f.check && r.summary == summary)
            {
                Some(r) => {
                    r.count += 1;
                    r.cases.push(c.id.clone());
                }
                None => out.push(RootCause {
                    operation,
                    check: f.check.clone(),
                    summary,
                    count: 1,
                    cases: vec![c.id.clone()],
                }),
            }
        }
        // A stable sort keeps run order among equals.
        out.sort_by_key(|r| std::cmp::Reverse(r.count));
        out
    }
}

/// The operation a request label names: `Prereq/Lock#2` and `cleanup/Lock` are both `Lock`.
fn operation_of(label: &str) -> String {
    let last = label.rsplit('/').next().unwrap_or(label);
    let base = match last.rsplit_once('#') {
        Some((b, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => b,
        _ => last,
    };
    base.to_string()
}

/// What kind of body a recorded response had, when that helps tell causes apart.
fn body_kind(e: &Exchange) -> Option<&'static str> {
    let wopi_protocol::transcript::RecordedOutcome::Response { headers, body_size, .. } = &e.outcome else {
        return None;
    };
    let ctype = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    if *body_size == 0 {
        Some("empty body")
    } else if ctype.contains("html") {
        Some("an HTML page")
    } else if ctype.contains("json") {
        Some("JSON")
    } else {
        None
    }
}
