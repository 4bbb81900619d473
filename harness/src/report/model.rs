//! The result of a conformance run: what the runner produces and every report format renders.
//!
//! This is also the documented JSON report (`--json`): the schema is versioned by [`SCHEMA_VERSION`] and any
//! change to a field's meaning bumps it. Tokens never appear here: transcripts are redacted when recorded.

use serde::{Deserialize, Serialize};
use wopi_protocol::transcript::Exchange;

/// Version of the JSON report schema. Bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    /// `wopi-conformance` version that produced the run.
    pub tool_version: String,
    /// RFC 3339 UTC start time.
    pub started_at: String,
    pub duration_ms: f64,
    pub target: TargetInfo,
    pub cases: Vec<CaseResult>,
}

/// What was tested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// Not run, with a reason (a prereq failed, a filter, a capability the host does not declare).
    Skipped,
    /// Passed every MUST but missed a SHOULD.
    Warning,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub warning: usize,
}

impl Totals {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Warning => self.warning += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped + self.warning
    }
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
}
