//! The mutation matrix: proof that every built-in case catches a real bug and every bug is caught (issue 6).
//!
//! [`run_matrix`] runs the built-in suites against the clean embedded reference host (every case must pass), then
//! once per [`Fault`] of the reference host's `faults` feature, one fault at a time, each on a fresh host with its
//! own data directory and a fresh mock client. A case *catches* a fault when it passed on the clean host and fails
//! (or warns, for a SHOULD) with the fault on. The [`MutationMatrix`] then names the defects:
//! - faults no case catches (a rule the suites do not really check),
//! - cases that catch no fault and do not say why none can be injected (their description carries no
//!   [`NO_FAULT_MARKER`]),
//! - cases that do not pass on the clean host, and runs that could not be carried out.
//!
//! With a fault on, only the cases that passed on the clean host run (no other case can catch anything), and only on
//! the fault's side: REST cases for a REST fault, browser cases (`<ext:PostMessage>` steps, one shared headless
//! Chromium, on a host of their own) for a host-page fault. Leaving a case out can only hide a catch, never invent
//! one, and a browser run per REST fault would multiply the matrix's time for nothing.
//!
//! The matrix renders to Markdown (`docs/mutation-matrix.md`, written by `tests/mutation.rs` so it never drifts) and
//! to the run-report formats (one entry per fault, per clean-host problem and per case) through
//! [`MutationMatrix::to_run_report`]. `wopi-conformance mutation` is [`run_mutation_command`].
//!
//! Faults that end the host's process ([`Fault::in_process_hazard`], such as `ExitOnUtf7RelativeName`) are never
//! run here: every host of the matrix is embedded in this process. They are proven against a host started as a
//! process of its own (`harness/tests/hostile.rs`), and the matrix names them with the reason.
//!
//! Fault injection needs the harness's `faults` feature (which switches on the reference host's); without it the
//! model and rendering still build and the command explains how to get a build that can run it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wopi_mock_office::ClientProfile;
use wopi_reference_host::faults::Fault;

use crate::report::model::{CaseResult, Outcome, RunReport, SCHEMA_VERSION, TargetInfo};
use crate::suite::{self, Step, Suite, SuiteError, TestCase};

/// A case that can catch no fault says so in its description with this marker, followed by the reason
/// (for example `No fault: runs only for anonymous sessions, which the reference host does not offer.`).
pub const NO_FAULT_MARKER: &str = "No fault:";

/// Where the generated matrix lives, relative to the workspace root.
pub const MATRIX_DOC: &str = "docs/mutation-matrix.md";

/// How a case reacted to a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchKind {
    /// The case failed: a MUST of the docs was broken.
    Failed,
    /// The case warned: only a SHOULD was broken.
    Warning,
}

/// One case that caught a fault.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Catch {
    /// `suite::Group::Case`.
    pub case: String,
    pub kind: CatchKind,
}

/// One fault's row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRow {
    /// The fault's name ([`Fault::name`]).
    pub fault: String,
    /// Cases that passed on the clean host and failed or warned with this fault on, in case order.
    pub caught_by: Vec<Catch>,
    /// Cases that passed on the clean host and were skipped with this fault on (a prereq broke): these do not
    /// count as catches, since a skipped case never fails a run.
    pub skipped: Vec<String>,
    /// Whether the browser cases ran against this fault.
    pub browser_cases_ran: bool,
    /// The run could not be carried out (the host did not start, the run timed out).
    pub error: Option<String>,
}

impl FaultRow {
    /// Whether at least one case caught the fault.
    pub fn caught(&self) -> bool {
        !self.caught_by.is_empty()
    }
}

/// One case of the suites, as the matrix sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRow {
    /// `suite::Group::Case`.
    pub id: String,
    /// The text after [`NO_FAULT_MARKER`] in the description, when it has one.
    pub no_fault_reason: Option<String>,
    /// The case has `<ext:PostMessage>` steps (runs in a browser).
    pub browser: bool,
}

/// A case that did not pass on the clean host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanProblem {
    pub case: String,
    pub outcome: Outcome,
    /// The runner's reason (first failure, or why it was skipped).
    pub reason: String,
}

/// The whole matrix: faults × cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationMatrix {
    /// Suite files run, relative to the workspace root where possible.
    pub suites: Vec<String>,
    /// Every case of those suites, in suite order.
    pub cases: Vec<CaseRow>,
    /// One row per fault run, in [`Fault::ALL`] order.
    pub faults: Vec<FaultRow>,
    /// Cases that failed or warned on the clean host (a defect of the host or the suite).
    pub clean_failures: Vec<CleanProblem>,
    /// Cases skipped on the clean host, with the reason (they cannot catch anything here).
    pub clean_skipped: Vec<CleanProblem>,
    /// Runs that could not be carried out, and what the matrix left out (no browser).
    pub errors: Vec<String>,
    /// What this matrix did not cover, for the reader (no browser, a fault subset).
    pub scope_notes: Vec<String>,
}

impl MutationMatrix {
    /// Faults no case caught.
    pub fn uncaught_faults(&self) -> Vec<&FaultRow> {
        self.faults.iter().filter(|f| !f.caught()).collect()
    }

    /// For every case, the faults it caught (case ids with no catch are absent).
    pub fn catches_by_case(&self) -> BTreeMap<&str, Vec<(&str, CatchKind)>> {
        let mut out: BTreeMap<&str, Vec<(&str, CatchKind)>> = BTreeMap::new();
        for row in &self.faults {
            for c in &row.caught_by {
                out.entry(c.case.as_str())
                    .or_default()
                    .push((row.fault.as_str(), c.kind));
            }
        }
        out
    }

    /// Cases that caught no fault, with their marker reason if they have one.
    pub fn idle_cases(&self) -> Vec<&CaseRow> {
        let caught = self.catches_by_case();
        self.cases
            .iter()
            .filter(|c| !caught.contains_key(c.id.as_str()))
            .collect()
    }

    /// Cases that caught no fault and do not carry [`NO_FAULT_MARKER`]: a defect.
    pub fn unjustified_idle_cases(&self) -> Vec<&CaseRow> {
        self.idle_cases()
            .into_iter()
            .filter(|c| c.no_fault_reason.is_none())
            .collect()
    }

    /// Cases that carry [`NO_FAULT_MARKER`] yet caught a fault: the marker is stale (not a defect of the
    /// matrix, but the description says something untrue).
    pub fn stale_markers(&self) -> Vec<&CaseRow> {
        let caught = self.catches_by_case();
        self.cases
            .iter()
            .filter(|c| c.no_fault_reason.is_some() && caught.contains_key(c.id.as_str()))
            .collect()
    }

    /// Everything the matrix requires holds: the clean host passes, every fault is caught, every case catches a
    /// fault or says why it cannot, and every run was carried out.
    pub fn is_complete(&self) -> bool {
        self.clean_failures.is_empty()
            && self.errors.is_empty()
            && self.uncaught_faults().is_empty()
            && self.unjustified_idle_cases().is_empty()
    }

    /// The defects, one line each (empty when [`MutationMatrix::is_complete`]).
    pub fn defects(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.errors {
            out.push(format!("error: {e}"));
        }
        for p in &self.clean_failures {
            out.push(format!(
                "clean host: {} {}: {}",
                p.case,
                outcome_word(p.outcome),
                p.reason
            ));
        }
        for f in self.uncaught_faults() {
            out.push(format!("fault {} is caught by no case", f.fault));
        }
        for c in self.unjustified_idle_cases() {
            out.push(format!(
                "case {} catches no fault and its description has no `{NO_FAULT_MARKER}` reason",
                c.id
            ));
        }
        out
    }

    /// The matrix as Markdown (`docs/mutation-matrix.md`): counts, fault → catching cases, then what is uncaught.
    /// Deterministic: no times or dates, so the committed file can be compared with a fresh run.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let caught = self.faults.iter().filter(|f| f.caught()).count();
        let idle = self.idle_cases();
        let justified = idle.iter().filter(|c| c.no_fault_reason.is_some()).count();
        let catching = self.cases.len() - idle.len();
        md.push_str("# Mutation matrix\n\n");
        md.push_str(
            "Generated by `WOPI_WRITE_MATRIX=1 cargo test -p wopi-harness --test mutation` (the same test fails when \
             this file is out of date); do not edit by hand. `wopi-conformance mutation` (built with \
             `--features faults`) prints the same matrix.\n\n",
        );
        md.push_str(
            "Each fault of the reference host (`reference-host/src/faults/mod.rs`) is switched on alone, on a fresh \
             host, and the built-in suites run against it. A case *catches* the fault when it passes on the clean \
             host and fails with the fault on; **(W)** marks a case that reports it as a warning (a SHOULD of the \
             docs). With a fault on, only the cases that passed on the clean host run (no other case can catch \
             anything), and only on the fault's side: the REST cases for a REST fault, the browser cases (headless \
             Chromium) for a host-page fault. Browser steps wait at most `browser_step_timeout` (8 s by default) \
             here, on the clean host too (a faulty page shows as a message that never arrives, and the suites' own \
             timeouts would make each catch cost minutes).\n\n",
        );
        let pct = |n: usize, d: usize| (n * 100).checked_div(d).unwrap_or(0);
        let _ = writeln!(md, "| | count |\n|---|---|");
        let _ = writeln!(md, "| suites | {} |", self.suites.len());
        let _ = writeln!(md, "| cases | {} |", self.cases.len());
        let _ = writeln!(md, "| faults | {} |", self.faults.len());
        let _ = writeln!(md, "| faults caught | {caught} ({}%) |", pct(caught, self.faults.len()));
        let _ = writeln!(md, "| cases catching at least one fault | {catching} |");
        let _ = writeln!(md, "| cases with a `{NO_FAULT_MARKER}` reason | {justified} |");
        let _ = writeln!(
            md,
            "| cases catching nothing, without a reason | {} |",
            idle.len() - justified
        );
        let _ = writeln!(
            md,
            "| cases not passing on the clean host | {} |",
            self.clean_failures.len()
        );
        md.push('\n');
        md.push_str(&out_of_matrix_markdown());
        if !self.scope_notes.is_empty() {
            md.push_str("Scope:\n\n");
            for n in &self.scope_notes {
                let _ = writeln!(md, "- {n}");
            }
            md.push('\n');
        }

        md.push_str("## Faults and the cases that catch them\n\n| Fault | Cases | Catching cases |\n|---|---|---|\n");
        for row in &self.faults {
            let cases = if row.caught_by.is_empty() {
                "**none**".to_owned()
            } else {
                row.caught_by
                    .iter()
                    .map(|c| match c.kind {
                        CatchKind::Failed => format!("`{}`", c.case),
                        CatchKind::Warning => format!("`{}` (W)", c.case),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(md, "| {} | {} | {} |", row.fault, row.caught_by.len(), md_cell(&cases));
        }
        md.push('\n');

        md.push_str("## Faults no case catches\n\n");
        let uncaught = self.uncaught_faults();
        if uncaught.is_empty() {
            md.push_str("None.\n\n");
        } else {
            for f in uncaught {
                match &f.error {
                    Some(e) => {
                        let _ = writeln!(md, "- {} (the run failed: {})", f.fault, md_inline(e));
                    }
                    None => {
                        let _ = writeln!(md, "- {}", f.fault);
                    }
                }
            }
            md.push('\n');
        }

        md.push_str("## Cases that catch no fault\n\n");
        let unjustified: Vec<_> = idle.iter().filter(|c| c.no_fault_reason.is_none()).collect();
        if unjustified.is_empty() {
            let _ = writeln!(
                md,
                "Every case that catches nothing says why, after `{NO_FAULT_MARKER}`:\n"
            );
        } else {
            let _ = writeln!(
                md,
                "Without a `{NO_FAULT_MARKER}` reason in the description (each needs a fault that it catches, or \
                 the reason):\n"
            );
            for c in &unjustified {
                let _ = writeln!(md, "- `{}`", c.id);
            }
            md.push_str("\nWith a reason:\n\n");
        }
        let justified: Vec<_> = idle
            .iter()
            .filter_map(|c| c.no_fault_reason.as_ref().map(|r| (c, r)))
            .collect();
        if justified.is_empty() {
            md.push_str("None.\n\n");
        } else {
            md.push_str("| Case | Why no fault can be injected |\n|---|---|\n");
            for (c, r) in justified {
                let _ = writeln!(md, "| `{}` | {} |", c.id, md_cell(r));
            }
            md.push('\n');
        }

        let stale = self.stale_markers();
        if !stale.is_empty() {
            let _ = writeln!(
                md,
                "Cases whose description says `{NO_FAULT_MARKER}` but that do catch a fault (the reason is stale):\n"
            );
            for c in stale {
                let _ = writeln!(md, "- `{}`", c.id);
            }
            md.push('\n');
        }

        md.push_str("## Clean host\n\n");
        if self.clean_failures.is_empty() {
            md.push_str("No case fails or warns on the clean reference host.\n");
        } else {
            md.push_str("Cases that fail or warn on the clean reference host:\n\n");
            md.push_str("| Case | Outcome | Reason |\n|---|---|---|\n");
            for p in &self.clean_failures {
                let _ = writeln!(
                    md,
                    "| `{}` | {} | {} |",
                    p.case,
                    outcome_word(p.outcome),
                    md_cell(&p.reason)
                );
            }
        }
        if !self.clean_skipped.is_empty() {
            md.push_str("\nCases skipped on the clean reference host (they can catch nothing here):\n\n");
            md.push_str("| Case | Why skipped |\n|---|---|\n");
            for p in &self.clean_skipped {
                let _ = writeln!(md, "| `{}` | {} |", p.case, md_cell(&p.reason));
            }
        }
        if !self.errors.is_empty() {
            md.push_str("\n## Errors\n\n");
            for e in &self.errors {
                let _ = writeln!(md, "- {}", md_inline(e));
            }
        }
        md
    }

    /// The matrix as a run report, so `--json`, `--junit` and `--html` work as for `run`: suite `mutation`, group
    /// `faults` (one entry per fault: passed when caught), `clean host` (one per case that did not pass there) and
    /// `cases` (one per case: passed when it catches a fault, skipped with its reason, failed otherwise).
    pub fn to_run_report(&self, started_at: String, duration: Duration) -> RunReport {
        let entry =
            |group: &str, name: &str, outcome: Outcome, reason: Option<String>, notes: Vec<String>| CaseResult {
                id: format!("mutation::{group}::{name}"),
                suite: "mutation".into(),
                group: group.into(),
                name: name.into(),
                category: "Mutation".into(),
                outcome,
                reason,
                notes,
                ..CaseResult::default()
            };
        let mut cases = Vec::new();
        for e in &self.errors {
            cases.push(entry("errors", "run", Outcome::Failed, Some(e.clone()), Vec::new()));
        }
        for row in &self.faults {
            let notes: Vec<String> = row
                .caught_by
                .iter()
                .map(|c| match c.kind {
                    CatchKind::Failed => c.case.clone(),
                    CatchKind::Warning => format!("{} (warning)", c.case),
                })
                .collect();
            let (outcome, reason) = match (&row.error, row.caught()) {
                (_, true) => (
                    Outcome::Passed,
                    Some(format!("caught by {} cases", row.caught_by.len())),
                ),
                (Some(e), false) => (Outcome::Failed, Some(format!("the run failed: {e}"))),
                (None, false) => (Outcome::Failed, Some("no case catches this fault".to_owned())),
            };
            cases.push(entry("faults", &row.fault, outcome, reason, notes));
        }
        for p in &self.clean_failures {
            cases.push(entry(
                "clean host",
                &p.case,
                Outcome::Failed,
                Some(format!("{} on the clean host: {}", outcome_word(p.outcome), p.reason)),
                Vec::new(),
            ));
        }
        let by_case = self.catches_by_case();
        for c in &self.cases {
            let (outcome, reason, notes) = match (by_case.get(c.id.as_str()), &c.no_fault_reason) {
                (Some(faults), _) => (
                    Outcome::Passed,
                    Some(format!("catches {} faults", faults.len())),
                    faults.iter().map(|(f, _)| (*f).to_owned()).collect(),
                ),
                (None, Some(r)) => (Outcome::Skipped, Some(format!("{NO_FAULT_MARKER} {r}")), Vec::new()),
                (None, None) => (
                    Outcome::Failed,
                    Some(format!(
                        "catches no fault and its description has no `{NO_FAULT_MARKER}` reason"
                    )),
                    Vec::new(),
                ),
            };
            cases.push(entry("cases", &c.id, outcome, reason, notes));
        }
        RunReport {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at,
            duration_ms: duration.as_secs_f64() * 1000.0,
            target: TargetInfo {
                wopisrc: "the embedded reference host, once clean and once per fault".into(),
                host_kind: "embedded reference host (mutation matrix)".into(),
                profile: "office".into(),
                suites: self.suites.clone(),
            },
            cases,
            host_stopped: None,
            deadline_passed: None,
            root_causes: Vec::new(),
            notes: Vec::new(),
        }
    }
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Skipped => "skipped",
        Outcome::Warning => "warned",
        Outcome::Blocked => "blocked",
        Outcome::NotRun => "not run",
    }
}

/// Text safe inside a Markdown table cell: one line, pipes escaped.
fn md_cell(s: &str) -> String {
    md_inline(s).replace('|', "\\|")
}

/// Text on one Markdown line.
fn md_inline(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The faults the matrix never runs (they end the host's process, see [`Fault::in_process_hazard`]), as a Markdown
/// paragraph with the reason for each; empty when there are none. Part of [`MutationMatrix::to_markdown`].
pub fn out_of_matrix_markdown() -> String {
    let mut md = String::new();
    for fault in Fault::ALL {
        if let Some(why) = fault.in_process_hazard() {
            if md.is_empty() {
                md.push_str("Not in the matrix, because every host here is embedded in the harness's process:\n\n");
            }
            let _ = writeln!(md, "- {fault}: {}", md_inline(why));
        }
    }
    if !md.is_empty() {
        md.push('\n');
    }
    let mut profiles = String::new();
    for fault in Fault::ALL {
        if let Some(why) = fault.outside_matrix() {
            if profiles.is_empty() {
                profiles.push_str("Not in the matrix, because the matrix cannot show them:\n\n");
            }
            let _ = writeln!(profiles, "- {fault}: {}", md_inline(why));
        }
    }
    if !profiles.is_empty() {
        md.push_str(&profiles);
        md.push('\n');
    }
    md
}

/// The text after [`NO_FAULT_MARKER`] in a description, trimmed; `None` without the marker or with nothing after it.
pub fn no_fault_reason(description: &str) -> Option<String> {
    let at = description.find(NO_FAULT_MARKER)?;
    let reason = md_inline(description[at + NO_FAULT_MARKER.len()..].trim());
    (!reason.is_empty()).then_some(reason)
}

/// Whether a case runs in a browser (has an `<ext:PostMessage>` step).
pub fn is_browser_case(case: &TestCase) -> bool {
    case.requests.iter().any(|s| matches!(s, Step::PostMessage(_)))
}

/// Whether a fault only shows on several instances of the host (the matrix runs it on three, on PostgreSQL).
/// Whether a case compares what several instances answer (`ext:Instance` on a request): it skips on one instance.
pub fn uses_instances(case: &TestCase) -> bool {
    case.requests
        .iter()
        .any(|s| matches!(s, crate::suite::Step::Request(r) if r.instance.is_some()))
}

pub fn is_instance_fault(fault: Fault) -> bool {
    matches!(
        fault,
        Fault::LocksInProcessMemory
            | Fault::LockCheckSeparateTransaction
            | Fault::CheckFileInfoCachePerInstance
            | Fault::ExpiryByInstanceClock
    )
}

/// Whether a fault changes the host page (so the browser cases must run against it).
pub fn is_host_page_fault(fault: Fault) -> bool {
    fault.name().starts_with("HostPage")
}

/// Why the built-in suites could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MutationError {
    #[error("reading the suites directory {}: {source}", dir.display())]
    ReadDir { dir: PathBuf, source: std::io::Error },
    #[error("no *.xml suites in {}", .0.display())]
    NoSuites(PathBuf),
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error("unknown fault {0:?} (see reference-host/src/faults/mod.rs for the names)")]
    UnknownFault(String),
}

/// The built-in suites: every `*.xml` directly in `dir`, sorted by file name (the validator's own files are not
/// built-in: the matrix proves our cases).
pub fn load_builtin_suites(dir: &Path) -> Result<Vec<Suite>, MutationError> {
    let entries = std::fs::read_dir(dir).map_err(|source| MutationError::ReadDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| MutationError::ReadDir {
                dir: dir.to_path_buf(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(MutationError::NoSuites(dir.to_path_buf()));
    }
    files
        .iter()
        .map(|f| suite::load(f).map_err(MutationError::from))
        .collect()
}

/// The built-in suites compiled into the binary ([`crate::builtin`]; profile suites excluded), as
/// [`load_builtin_suites`] reads them from a directory.
pub fn load_compiled_in_suites() -> Result<Vec<Suite>, MutationError> {
    crate::builtin::suites()
        .map(|f| crate::cli::SuiteSource::Builtin(f).load().map_err(MutationError::from))
        .collect()
}

/// The profile suites compiled into the binary (`profiles/<profile>.xml`), each with the client it is run as.
pub fn load_compiled_in_profile_suites() -> Result<Vec<(ClientProfile, Suite)>, MutationError> {
    ClientProfile::ALL
        .into_iter()
        .filter_map(|p| crate::builtin::profile_suite(p.name()).map(|f| (p, f)))
        .map(|(p, f)| Ok((p, crate::cli::SuiteSource::Builtin(f).load()?)))
        .collect()
}

/// The `suites/` directory of the source tree this crate was built from.
pub fn default_suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("suites")
}

/// How to run the matrix.
#[derive(Debug, Clone)]
pub struct MatrixOptions {
    /// The suites to prove (normally [`load_builtin_suites`]).
    pub suites: Vec<Suite>,
    /// The profile suites, each run with its client's discovery and headers (normally
    /// [`load_compiled_in_profile_suites`]; left out in single-file mode).
    pub profile_suites: Vec<(ClientProfile, Suite)>,
    /// The faults to switch on, one at a time (normally [`Fault::in_process`]; any with an
    /// [`Fault::in_process_hazard`] is left out of the run and named in its scope notes).
    pub faults: Vec<Fault>,
    /// Fault runs at the same time, each with its own host (they cannot meet).
    pub jobs: usize,
    /// Cases at once within one run. More than 1 lets faults that couple cases through host-wide state catch
    /// different cases from run to run.
    pub case_jobs: usize,
    /// Run the browser cases in headless Chromium (against the clean host and the host-page faults). `None`
    /// leaves the browser cases and the host-page faults out of the matrix (noted in its scope).
    pub browser: Option<crate::browser::BrowserOptions>,
    /// Longest one run (clean or one fault) may take before it is abandoned and recorded as an error.
    pub run_timeout: Duration,
    /// The longest a browser step waits here (its `TimeoutSeconds` is lowered to this). A faulty page shows as a
    /// message that never comes, so every caught host-page fault costs full waits; the clean run uses the same cap,
    /// so a case that passes on the clean host passed within it.
    pub browser_step_timeout: Duration,
    /// Single-file mode: every case of a run on one shared, non-empty file (`TargetSource::Fixed`), as
    /// `run -w URL -t TOKEN` runs against a host builder's `.wopitest`, instead of a fresh file per case.
    pub single_file: bool,
}

impl MatrixOptions {
    /// Every fault, with a browser; cases one at a time within a run, two fault runs at once.
    ///
    /// Some faults couple cases through host-wide state (a GetLock that reports another file's lock, the limit on
    /// discovery refetches), so with cases in parallel the catching lists would depend on scheduling and the
    /// committed matrix could not be compared with a fresh one. A serial run waits on the network more than it
    /// computes, so two of them (on separate hosts, which cannot meet) fit two cores.
    pub fn new(suites: Vec<Suite>) -> MatrixOptions {
        let profile_suites = load_compiled_in_profile_suites().unwrap_or_else(|e| {
            tracing::error!(error = %e, "a compiled-in profile suite does not parse; the matrix runs without them");
            Vec::new()
        });
        MatrixOptions {
            suites,
            profile_suites,
            faults: Fault::in_matrix().collect(),
            jobs: 2,
            case_jobs: 1,
            browser: Some(crate::browser::BrowserOptions::default()),
            run_timeout: Duration::from_secs(600),
            browser_step_timeout: Duration::from_secs(8),
            single_file: false,
        }
    }
}

/// `suites` with every `<ext:PostMessage>` wait lowered to at most `cap`.
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
fn cap_browser_waits(mut suites: Vec<Suite>, cap: Duration) -> Vec<Suite> {
    let cap = cap.as_secs().max(1);
    for step in suites
        .iter_mut()
        .flat_map(|s| s.groups.iter_mut())
        .flat_map(|g| g.cases.iter_mut())
        .flat_map(|c| c.requests.iter_mut())
    {
        if let crate::suite::Step::PostMessage(p) = step {
            p.timeout_seconds = p.timeout_seconds.min(cap);
        }
    }
    suites
}

/// Told about the matrix's progress, for a console line per run.
pub trait MatrixProgress: Send + Sync {
    /// The clean run finished: `passed` of `total` cases passed.
    fn clean_finished(&self, passed: usize, total: usize, took: Duration);
    /// A fault run finished (`done` of `total` so far).
    fn fault_finished(&self, row: &FaultRow, done: usize, total: usize, took: Duration);
}

/// A [`MatrixProgress`] that says nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMatrixProgress;

impl MatrixProgress for NoMatrixProgress {
    fn clean_finished(&self, _passed: usize, _total: usize, _took: Duration) {}
    fn fault_finished(&self, _row: &FaultRow, _done: usize, _total: usize, _took: Duration) {}
}

/// Compares one fault's run with the clean run.
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
fn fault_row(
    fault: Fault,
    clean: &BTreeMap<String, Outcome>,
    cases: &[CaseRow],
    run: Result<Vec<CaseResult>, String>,
    browser_cases_ran: bool,
) -> FaultRow {
    let mut row = FaultRow {
        fault: fault.name().to_owned(),
        caught_by: Vec::new(),
        skipped: Vec::new(),
        browser_cases_ran,
        error: None,
    };
    let results = match run {
        Ok(r) => r,
        Err(e) => {
            row.error = Some(e);
            return row;
        }
    };
    let by_id: BTreeMap<&str, Outcome> = results.iter().map(|r| (r.id.as_str(), r.outcome)).collect();
    // Case order, so the rows read like the suites.
    for case in cases {
        if clean.get(&case.id) != Some(&Outcome::Passed) {
            continue;
        }
        match by_id.get(case.id.as_str()) {
            Some(Outcome::Failed) => row.caught_by.push(Catch {
                case: case.id.clone(),
                kind: CatchKind::Failed,
            }),
            Some(Outcome::Warning) => row.caught_by.push(Catch {
                case: case.id.clone(),
                kind: CatchKind::Warning,
            }),
            // Blocked and not run are not catches: the case never got to check its rule.
            Some(Outcome::Skipped | Outcome::Blocked | Outcome::NotRun) => row.skipped.push(case.id.clone()),
            Some(Outcome::Passed) | None => {}
        }
    }
    row
}

/// Every case of `suites` the matrix covers, in suite order (browser cases only with `include_browser`).
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
fn case_rows(suites: &[Suite], include_browser: bool) -> Vec<CaseRow> {
    let mut cases = Vec::new();
    for s in suites {
        for (group, case) in s.cases() {
            let browser = is_browser_case(case);
            if browser && !include_browser {
                continue;
            }
            cases.push(CaseRow {
                id: crate::exec::case_id(s, group, case),
                no_fault_reason: no_fault_reason(&case.description),
                browser,
            });
        }
    }
    cases
}

/// Each case's outcome on the clean host (empty when the clean run failed).
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
fn clean_outcomes(clean: &Result<Vec<CaseResult>, String>) -> BTreeMap<String, Outcome> {
    match clean {
        Ok(results) => results.iter().map(|r| (r.id.clone(), r.outcome)).collect(),
        Err(_) => BTreeMap::new(),
    }
}

/// Builds the matrix from the clean run and the fault rows (separate from the running, so it can be tested
/// without hosts).
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
fn assemble(
    suites: &[Suite],
    cases: Vec<CaseRow>,
    clean: Result<Vec<CaseResult>, String>,
    faults: Vec<FaultRow>,
    scope_notes: Vec<String>,
) -> MutationMatrix {
    let mut errors = Vec::new();
    let mut clean_failures = Vec::new();
    let mut clean_skipped = Vec::new();
    match clean {
        Ok(results) => {
            for r in results {
                let problem = CleanProblem {
                    case: r.id,
                    outcome: r.outcome,
                    reason: r.reason.unwrap_or_default(),
                };
                match problem.outcome {
                    Outcome::Passed => {}
                    Outcome::Skipped => clean_skipped.push(problem),
                    Outcome::Failed | Outcome::Warning | Outcome::Blocked | Outcome::NotRun => {
                        clean_failures.push(problem)
                    }
                }
            }
        }
        Err(e) => errors.push(format!("clean host: {e}")),
    }
    for row in &faults {
        if let Some(e) = &row.error {
            errors.push(format!("fault {}: {e}", row.fault));
        }
    }
    MutationMatrix {
        suites: suites.iter().map(|s| relative_to_workspace(&s.path)).collect(),
        cases,
        faults,
        clean_failures,
        clean_skipped,
        errors,
        scope_notes,
    }
}

/// `suites/locks.xml` for a path inside the workspace, else the path as given.
fn relative_to_workspace(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (p, r) = (canon(path), canon(&root));
    p.strip_prefix(&r)
        .map(|rel| rel.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| path.display().to_string())
}

#[cfg(feature = "faults")]
pub use running::run_matrix;

#[cfg(feature = "faults")]
mod running {
    //! Runs the suites against embedded hosts: the part that needs fault injection.

    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use futures_util::StreamExt;
    use wopi_mock_office::ClientProfile;
    use wopi_mock_office::client::ClientConfig;
    use wopi_reference_host::faults::{Fault, FaultSet};

    use super::{
        FaultRow, MatrixOptions, MatrixProgress, MutationMatrix, assemble, case_rows, clean_outcomes, fault_row,
        is_browser_case, is_host_page_fault,
    };
    use crate::browser::{BrowserRunner, HostPageTemplate};
    use crate::embedded::{EmbeddedOptions, EmbeddedTarget};
    use crate::exec::{ClockControl, NoProgress, PostMessageDriver, RunOptions, Runner, TargetSource};
    use crate::report::model::{CaseResult, Outcome};
    use crate::suite::{self, Suite};
    use crate::validate::SchemaStore;

    /// The suites with only the cases `keep` selects (by case and id; groups left empty are dropped).
    fn filter_cases(suites: &[Suite], keep: impl Fn(&crate::suite::TestCase, &str) -> bool) -> Vec<Suite> {
        suites
            .iter()
            .map(|s| {
                let mut out = s.clone();
                for (g, original) in out.groups.iter_mut().zip(&s.groups) {
                    g.cases.retain(|c| keep(c, &crate::exec::case_id(s, original, c)));
                }
                out.groups.retain(|g| !g.cases.is_empty());
                out
            })
            .filter(|s| !s.groups.is_empty())
            .collect()
    }

    /// One shared browser for every run (started at the first browser step, closed at the end).
    struct SharedBrowser {
        options: crate::browser::BrowserOptions,
        root: tokio::sync::OnceCell<BrowserRunner>,
    }

    impl SharedBrowser {
        /// A runner for this target's mock and host page, on the shared browser.
        async fn for_target(&self, target: &EmbeddedTarget) -> Result<BrowserRunner, String> {
            let mock = target.mock().base_url.clone();
            let template = HostPageTemplate::new(target.host_page_template())?;
            let root = self
                .root
                .get_or_try_init(|| async { BrowserRunner::new(mock.clone(), template.clone(), self.options.clone()) })
                .await?;
            root.for_target(mock, template)
        }

        async fn shutdown(&self) {
            if let Some(root) = self.root.get() {
                root.shutdown().await;
            }
        }
    }

    /// How the cases of one run meet the host.
    #[derive(Debug, Clone, Copy)]
    struct Shape {
        /// Cases at once (provisioned mode only).
        case_jobs: usize,
        /// One shared file for every case.
        single_file: bool,
        /// Three PostgreSQL-backed instances even without a cross-instance fault (the clean run of the cases
        /// that compare instances, which skip on one instance).
        several_instances: bool,
        /// The client the run plays: its discovery for the host, its headers on every request.
        profile: ClientProfile,
    }

    /// The shared file's starting content in single-file mode: not empty, as a host builder's `.wopitest` often
    /// is, so an unlocked PutFile on it must be refused.
    const SHARED_FILE_CONTENT: &[u8] = b"the shared test file of a single-file mutation run";

    /// The REST cases against one fresh host, then (with a browser) the browser cases against another: browser
    /// steps wait for pages for seconds, and on a host of their own they cannot slow down or reorder the REST
    /// cases (whose proofs and clock steps are timing-sensitive).
    async fn run_config(
        suites: &Suites,
        faults: FaultSet,
        shape: Shape,
        browser: Option<&SharedBrowser>,
        timeout: Duration,
    ) -> Result<Vec<CaseResult>, String> {
        let mut results = run_once(suites.rest.clone(), faults, shape, None, timeout).await?;
        for (profile, own) in &suites.profiles {
            let as_client = Shape {
                profile: *profile,
                ..shape
            };
            let more = run_once(own.clone(), faults, as_client, None, timeout)
                .await
                .map_err(|e| format!("{profile} profile suite: {e}"))?;
            results.extend(more);
        }
        if let Some(b) = browser
            && !suites.browser.is_empty()
        {
            // Browser steps take turns on the one browser: more jobs would only queue.
            let more = run_once(
                suites.browser.clone(),
                faults,
                Shape { case_jobs: 1, ..shape },
                Some(b),
                timeout,
            )
            .await
            .map_err(|e| format!("browser cases: {e}"))?;
            results.extend(more);
        }
        Ok(results)
    }

    /// The suites split into REST cases and browser cases, and the profile suites' (REST) cases per client.
    struct Suites {
        rest: Vec<Suite>,
        browser: Vec<Suite>,
        profiles: Vec<(ClientProfile, Vec<Suite>)>,
    }

    /// One run of `suites` against a fresh embedded host with `faults` on.
    async fn run_once(
        suites: Vec<Suite>,
        faults: FaultSet,
        shape: Shape,
        browser: Option<&SharedBrowser>,
        timeout: Duration,
    ) -> Result<Vec<CaseResult>, String> {
        if suites.is_empty() {
            return Ok(Vec::new());
        }
        // The cross-instance faults only show on several instances: run them (and only them) on three
        // PostgreSQL-backed instances, so the single-instance matrix keeps its speed.
        let instances = if shape.several_instances || faults.iter().any(super::is_instance_fault) {
            3
        } else {
            1
        };
        let target = EmbeddedTarget::start(EmbeddedOptions {
            faults,
            instances,
            profile: shape.profile,
            ..EmbeddedOptions::default()
        })
        .await
        .map_err(|e| format!("the embedded host did not start: {e}"))?;
        let result = run_on(&target, suites, shape, browser, timeout).await;
        target.shutdown().await;
        result
    }

    async fn run_on(
        target: &EmbeddedTarget,
        suites: Vec<Suite>,
        shape: Shape,
        browser: Option<&SharedBrowser>,
        timeout: Duration,
    ) -> Result<Vec<CaseResult>, String> {
        let client = target
            .mock()
            .client(shape.profile.client_config(ClientConfig::default()))
            .map_err(|e| format!("building the WOPI client: {e}"))?;
        let provisioner = Arc::new(target.provisioner());
        let clock: Arc<dyn ClockControl> = provisioner.clone();
        let schemas = SchemaStore::load(&suite::validator_dir().join("JsonSchemas"));
        let options = RunOptions {
            jobs: shape.case_jobs.max(1),
            host_kind: "embedded reference host".into(),
            profile: shape.profile.name().into(),
            ..RunOptions::default()
        };
        let source = if shape.single_file {
            let content = bytes::Bytes::from_static(SHARED_FILE_CONTENT);
            let shared = provisioner
                .shared_target(content)
                .await
                .map_err(|e| format!("creating the shared file: {e}"))?;
            TargetSource::Fixed(shared)
        } else {
            TargetSource::Provisioned(provisioner)
        };
        let mut runner = Runner::new(suites, client, schemas, source, options)
            .map_err(|e| e.to_string())?
            .with_clock(clock);
        if let Some(b) = browser {
            let driver: Arc<dyn PostMessageDriver> = Arc::new(b.for_target(target).await?);
            runner = runner.with_post_message(driver);
        }
        match tokio::time::timeout(timeout, runner.run(&NoProgress)).await {
            Ok(outcome) => Ok(outcome.report.cases),
            Err(_) => Err(format!("the run did not finish within {timeout:?}")),
        }
    }

    /// Runs the matrix: the clean host first, then each fault alone on a fresh host (`options.jobs` at a time).
    pub async fn run_matrix(options: &MatrixOptions, progress: &dyn MatrixProgress) -> MutationMatrix {
        let include_browser = options.browser.is_some();
        let browser = options.browser.clone().map(|o| SharedBrowser {
            options: o,
            root: tokio::sync::OnceCell::new(),
        });
        let all = Suites {
            rest: filter_cases(&options.suites, |c, _| !is_browser_case(c)),
            browser: if include_browser {
                super::cap_browser_waits(
                    filter_cases(&options.suites, |c, _| is_browser_case(c)),
                    options.browser_step_timeout,
                )
            } else {
                Vec::new()
            },
            profiles: if options.single_file {
                Vec::new()
            } else {
                options
                    .profile_suites
                    .iter()
                    .map(|(p, s)| (*p, filter_cases(std::slice::from_ref(s), |c, _| !is_browser_case(c))))
                    .collect()
            },
        };
        let mut scope_notes = Vec::new();
        if options.single_file && !options.profile_suites.is_empty() {
            scope_notes.push("single-file mode: the profile suites are not part of this matrix".to_owned());
        }
        // The profile suites' cases are proven like the others when they take part.
        let proven: Vec<Suite> = options
            .suites
            .iter()
            .cloned()
            .chain(
                all.profiles
                    .iter()
                    .filter(|(_, s)| !s.is_empty())
                    .flat_map(|(p, _)| options.profile_suites.iter().filter(move |(q, _)| q == p))
                    .map(|(_, s)| s.clone()),
            )
            .collect();
        // Every host here is embedded: a fault that ends the process would end the matrix (and its test) too.
        let (requested, hazards): (Vec<Fault>, Vec<Fault>) = options
            .faults
            .iter()
            .copied()
            .partition(|f| f.in_process_hazard().is_none());
        for fault in hazards {
            scope_notes.push(format!(
                "{fault} was asked for but not run: {}",
                fault.in_process_hazard().unwrap_or_default()
            ));
        }
        let faults: Vec<Fault> = if include_browser {
            requested.clone()
        } else {
            scope_notes
                .push("no browser: the browser cases and the host-page faults are not part of this matrix".to_owned());
            requested.iter().copied().filter(|f| !is_host_page_fault(*f)).collect()
        };
        let runnable = Fault::in_matrix().count();
        if requested.len() < runnable {
            scope_notes.push(format!("only {} of the {runnable} faults were run", requested.len()));
        }

        let t0 = Instant::now();
        let shape = Shape {
            case_jobs: options.case_jobs,
            single_file: options.single_file,
            several_instances: false,
            profile: ClientProfile::Office,
        };
        let mut clean = run_config(&all, FaultSet::none(), shape, browser.as_ref(), options.run_timeout).await;
        // The cases that compare instances skip on one: their clean verdicts come from three clean instances, so
        // they take part in the cross-instance fault runs.
        let per_instance = Suites {
            rest: filter_cases(&all.rest, |c, _| super::uses_instances(c)),
            browser: Vec::new(),
            profiles: Vec::new(),
        };
        if faults.iter().copied().any(super::is_instance_fault)
            && !per_instance.rest.is_empty()
            && let Ok(results) = &mut clean
        {
            let several = Shape {
                several_instances: true,
                ..shape
            };
            match run_config(&per_instance, FaultSet::none(), several, None, options.run_timeout).await {
                Ok(more) => {
                    for m in more {
                        if let Some(r) = results.iter_mut().find(|r| r.id == m.id) {
                            *r = m;
                        }
                    }
                }
                Err(e) => clean = Err(format!("the clean run on three instances: {e}")),
            }
        }
        match &clean {
            Ok(r) => progress.clean_finished(
                r.iter().filter(|c| c.outcome == Outcome::Passed).count(),
                r.len(),
                t0.elapsed(),
            ),
            Err(e) => tracing::error!(error = %e, "the clean run failed"),
        }

        let total = faults.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let cases = case_rows(&proven, include_browser);
        let clean_map = clean_outcomes(&clean);
        // A fault run needs only the cases that passed on the clean host (no other case can catch anything), and
        // only the fault's side: the REST cases for a REST fault, the browser cases for a host-page fault.
        let passed = |_: &crate::suite::TestCase, id: &str| clean_map.get(id) == Some(&Outcome::Passed);
        let rest_only = Suites {
            rest: filter_cases(&all.rest, passed),
            browser: Vec::new(),
            profiles: all
                .profiles
                .iter()
                .map(|(p, s)| (*p, filter_cases(s, passed)))
                .collect(),
        };
        let browser_only = Suites {
            rest: Vec::new(),
            browser: filter_cases(&all.browser, passed),
            profiles: Vec::new(),
        };
        let mut rows: Vec<(usize, FaultRow)> = futures_util::stream::iter(faults.iter().copied().enumerate())
            .map(|(i, fault)| {
                let with_browser = include_browser && is_host_page_fault(fault);
                let (split, browser) = if is_host_page_fault(fault) {
                    (&browser_only, browser.as_ref())
                } else {
                    (&rest_only, None)
                };
                let (done, clean_map, cases) = (&done, &clean_map, &cases);
                async move {
                    let started = Instant::now();
                    let run =
                        run_config(split, FaultSet::none().with(fault), shape, browser, options.run_timeout).await;
                    let row = fault_row(fault, clean_map, cases, run, with_browser);
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    progress.fault_finished(&row, n, total, started.elapsed());
                    (i, row)
                }
            })
            .buffer_unordered(options.jobs.max(1))
            .collect()
            .await;
        rows.sort_by_key(|(i, _)| *i);
        if let Some(b) = &browser {
            b.shutdown().await;
        }
        assemble(
            &proven,
            cases,
            clean,
            rows.into_iter().map(|(_, r)| r).collect(),
            scope_notes,
        )
    }
}

/// `wopi-conformance mutation`: the arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct MutationArgs {
    /// Read the built-in suites from this directory (every `*.xml` in it) instead of the copies compiled into the
    /// binary.
    #[arg(long, value_name = "DIR", env = "WOPI_SUITES_DIR")]
    pub suites_dir: Option<PathBuf>,
    /// Only this fault (repeatable; names as in reference-host/src/faults/mod.rs). Default: every fault.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Fault runs at the same time, each with its own host.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=16))]
    pub jobs: u16,
    /// Cases at the same time within one run (more than 1 makes the catching lists depend on scheduling).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub case_jobs: u16,
    /// Leave out the browser cases and the host-page faults (no Chromium needed).
    #[arg(long)]
    pub no_browser: bool,
    /// Single-file mode: each run puts every case on one shared, non-empty file, as `run -w URL -t TOKEN` does
    /// against a host builder's `.wopitest` (cases run one after another).
    #[arg(long)]
    pub single_file: bool,
    /// Write the matrix as Markdown (as in docs/mutation-matrix.md).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write the matrix as a JSON run report (one entry per fault, per clean-host problem and per case).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the matrix as JUnit XML (same entries as --json).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the matrix as one HTML page (same entries as --json).
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
}

/// Runs `wopi-conformance mutation` and returns the exit code: 0 when the clean host passes and every fault is
/// caught and every case catches a fault or says why not, 1 otherwise, 2 for a usage error (a suite that does not
/// load, an unknown fault, a report not written, or a build without the `faults` feature).
pub async fn run_mutation_command(args: MutationArgs) -> i32 {
    #[cfg(feature = "faults")]
    {
        command::run(args).await
    }
    #[cfg(not(feature = "faults"))]
    {
        let _ = args;
        eprintln_safe(
            "error: this wopi-conformance was built without fault injection; run \
             `cargo run -p wopi-harness --features faults -- mutation`",
        );
        2
    }
}

/// `eprintln!` that ignores a closed stderr.
fn eprintln_safe(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(feature = "faults")]
mod command {
    //! The command's console output and report files.

    use std::time::{Duration, Instant, SystemTime};

    use super::{
        FaultRow, MatrixOptions, MatrixProgress, MutationArgs, MutationError, eprintln_safe, load_builtin_suites,
        load_compiled_in_suites, run_matrix,
    };
    use crate::report::{self, ReportOutputs};
    use wopi_reference_host::faults::Fault;

    /// One line per run on stderr.
    struct Lines;

    impl MatrixProgress for Lines {
        fn clean_finished(&self, passed: usize, total: usize, took: Duration) {
            eprintln_safe(&format!(
                "clean host: {passed} of {total} cases passed ({:.1} s)",
                took.as_secs_f64()
            ));
        }

        fn fault_finished(&self, row: &FaultRow, done: usize, total: usize, took: Duration) {
            let what = match (&row.error, row.caught_by.len()) {
                (Some(e), _) => format!("run failed: {e}"),
                (None, 0) => "NOT CAUGHT".to_owned(),
                (None, n) => format!("caught by {n} cases"),
            };
            eprintln_safe(&format!(
                "[{done}/{total}] {}: {what} ({:.1} s)",
                row.fault,
                took.as_secs_f64()
            ));
        }
    }

    pub(super) async fn run(args: MutationArgs) -> i32 {
        let loaded = match &args.suites_dir {
            Some(dir) => load_builtin_suites(dir),
            None => load_compiled_in_suites(),
        };
        let suites = match loaded {
            Ok(s) => s,
            Err(e) => {
                eprintln_safe(&format!("error: {e}"));
                return 2;
            }
        };
        let mut faults = Vec::new();
        for name in &args.faults {
            match name.parse::<Fault>() {
                Ok(f) => faults.push(f),
                Err(_) => {
                    eprintln_safe(&format!("error: {}", MutationError::UnknownFault(name.clone())));
                    return 2;
                }
            }
        }
        let mut options = MatrixOptions::new(suites);
        if !faults.is_empty() {
            options.faults = faults;
        }
        options.jobs = usize::from(args.jobs);
        options.case_jobs = usize::from(args.case_jobs);
        options.single_file = args.single_file;
        if args.no_browser {
            options.browser = None;
        }
        let started_at = wopi_protocol::dotnet::rfc3339_seconds(SystemTime::now());
        let t0 = Instant::now();
        let matrix = run_matrix(&options, &Lines).await;
        let took = t0.elapsed();

        let mut status = 0;
        if let Some(path) = &args.markdown
            && let Err(e) = report::write_atomic(path, matrix.to_markdown().as_bytes())
        {
            eprintln_safe(&format!("error: {e}"));
            status = 2;
        }
        let outputs = ReportOutputs {
            json: args.json.clone(),
            junit: args.junit.clone(),
            markdown: None,
            html: args.html.clone(),
        };
        if let Err(e) = report::write_reports(&matrix.to_run_report(started_at, took), &outputs) {
            eprintln_safe(&format!("error: {e}"));
            status = 2;
        }

        let caught = matrix.faults.iter().filter(|f| f.caught()).count();
        let idle = matrix.idle_cases();
        eprintln_safe(&format!(
            "{} faults, {caught} caught; {} cases, {} catch nothing ({} of them say why); {} not passing on the clean \
             host ({:.0} s)",
            matrix.faults.len(),
            matrix.cases.len(),
            idle.len(),
            idle.iter().filter(|c| c.no_fault_reason.is_some()).count(),
            matrix.clean_failures.len(),
            took.as_secs_f64()
        ));
        let defects = matrix.defects();
        for d in &defects {
            eprintln_safe(&format!("  {d}"));
        }
        if status != 0 {
            return status;
        }
        if defects.is_empty() { 0 } else { 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, outcome: Outcome) -> CaseResult {
        CaseResult {
            id: id.into(),
            suite: "s".into(),
            group: "g".into(),
            name: id.into(),
            category: "WopiCore".into(),
            description: String::new(),
            doc: None,
            outcome,
            reason: Some("why".into()),
            ..CaseResult::default()
        }
    }

    fn suite() -> Suite {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<WopiValidation>
  <Resources><File Id="F" Name="test.wopitest" FilePath="x"/></Resources>
  <TestGroup Name="G">
    <TestCases>
      <TestCase Name="A" Category="WopiCore"><Description>Checks A.</Description><Requests><CheckFileInfo/></Requests></TestCase>
      <TestCase Name="B" Category="WopiCore"><Description>Checks B.</Description><Requests><CheckFileInfo/></Requests></TestCase>
      <TestCase Name="C" Category="WopiCore"><Description>Checks C. No fault: the
        reference host cannot break it.</Description><Requests><CheckFileInfo/></Requests></TestCase>
      <TestCase Name="D" Category="WopiCore"><Description>Checks D.</Description><Requests><CheckFileInfo/></Requests></TestCase>
    </TestCases>
  </TestGroup>
</WopiValidation>"#;
        suite::parse_str(xml, Path::new("t.xml"), "t".into()).expect("test suite parses")
    }

    /// The matrix of `suite` from a clean run and fault runs, as `run_matrix` assembles it.
    fn build(
        suite: &Suite,
        clean: Vec<CaseResult>,
        runs: Vec<(Fault, Result<Vec<CaseResult>, String>)>,
    ) -> MutationMatrix {
        let suites = std::slice::from_ref(suite);
        let cases = case_rows(suites, true);
        let clean = Ok(clean);
        let clean_map = clean_outcomes(&clean);
        let rows = runs
            .into_iter()
            .map(|(f, run)| fault_row(f, &clean_map, &cases, run, false))
            .collect();
        assemble(suites, cases, clean, rows, Vec::new())
    }

    fn sample() -> MutationMatrix {
        let s = suite();
        let clean = vec![
            result("t::G::A", Outcome::Passed),
            result("t::G::B", Outcome::Passed),
            result("t::G::C", Outcome::Passed),
            result("t::G::D", Outcome::Failed),
        ];
        let f1 = vec![
            result("t::G::A", Outcome::Failed),
            result("t::G::B", Outcome::Warning),
            result("t::G::C", Outcome::Passed),
            result("t::G::D", Outcome::Failed),
        ];
        let f2 = vec![
            result("t::G::A", Outcome::Skipped),
            result("t::G::B", Outcome::Passed),
            result("t::G::C", Outcome::Passed),
            result("t::G::D", Outcome::Failed),
        ];
        build(
            &s,
            clean,
            vec![
                (Fault::LockNeverExpires, Ok(f1)),
                (Fault::DeleteLockedFile, Ok(f2)),
                (Fault::SizeAsString, Err("host did not start".into())),
            ],
        )
    }

    #[test]
    fn reasons_are_read_after_the_marker() {
        assert_eq!(
            no_fault_reason("Checks X. No fault:  only for\n  anonymous users."),
            Some("only for anonymous users.".into())
        );
        assert_eq!(no_fault_reason("Checks X."), None);
        assert_eq!(no_fault_reason("Checks X. No fault:   "), None);
    }

    #[test]
    fn catches_need_a_clean_pass_and_skips_do_not_count() {
        let m = sample();
        assert_eq!(m.cases.len(), 4);
        let f1 = &m.faults[0];
        assert_eq!(
            f1.caught_by,
            vec![
                Catch {
                    case: "t::G::A".into(),
                    kind: CatchKind::Failed
                },
                Catch {
                    case: "t::G::B".into(),
                    kind: CatchKind::Warning
                },
            ],
            "D failed on the clean host too, so it catches nothing"
        );
        let f2 = &m.faults[1];
        assert!(!f2.caught());
        assert_eq!(f2.skipped, vec!["t::G::A".to_owned()]);
        assert_eq!(m.faults[2].error.as_deref(), Some("host did not start"));
        assert_eq!(m.clean_failures.len(), 1);
        assert_eq!(m.clean_failures[0].case, "t::G::D");
    }

    #[test]
    fn defects_name_uncaught_faults_idle_cases_and_clean_failures() {
        let m = sample();
        assert!(!m.is_complete());
        let uncaught: Vec<_> = m.uncaught_faults().iter().map(|f| f.fault.as_str()).collect();
        assert_eq!(uncaught, vec!["DeleteLockedFile", "SizeAsString"]);
        let idle: Vec<_> = m.idle_cases().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(idle, vec!["t::G::C", "t::G::D"]);
        let unjustified: Vec<_> = m.unjustified_idle_cases().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(unjustified, vec!["t::G::D"]);
        let defects = m.defects();
        assert!(
            defects.iter().any(|d| d.contains("clean host: t::G::D failed")),
            "{defects:?}"
        );
        assert!(
            defects
                .iter()
                .any(|d| d.contains("fault DeleteLockedFile is caught by no case"))
        );
        assert!(defects.iter().any(|d| d.contains("case t::G::D catches no fault")));
        assert!(defects.iter().any(|d| d.starts_with("error: fault SizeAsString")));
        assert!(m.stale_markers().is_empty());
    }

    #[test]
    fn a_full_matrix_is_complete() {
        let s = suite();
        let pass = |ids: &[&str]| ids.iter().map(|i| result(i, Outcome::Passed)).collect::<Vec<_>>();
        let clean = pass(&["t::G::A", "t::G::B", "t::G::C", "t::G::D"]);
        let mut f = pass(&["t::G::C"]);
        f.extend(["t::G::A", "t::G::B", "t::G::D"].map(|i| result(i, Outcome::Failed)));
        let m = build(&s, clean, vec![(Fault::LockNeverExpires, Ok(f))]);
        assert!(m.is_complete(), "{:?}", m.defects());
        let md = m.to_markdown();
        assert!(md.contains("| faults caught | 1 (100%) |"), "{md}");
        assert!(
            md.contains("| LockNeverExpires | 3 | `t::G::A`, `t::G::B`, `t::G::D` |"),
            "{md}"
        );
        assert!(
            md.contains("| `t::G::C` | the reference host cannot break it. |"),
            "{md}"
        );
        assert!(md.contains("## Faults no case catches\n\nNone."), "{md}");
    }

    #[test]
    fn markdown_lists_what_is_missing() {
        let md = sample().to_markdown();
        assert!(md.contains("| faults | 3 |"), "{md}");
        assert!(md.contains("| faults caught | 1 (33%) |"), "{md}");
        assert!(md.contains("| DeleteLockedFile | 0 | **none** |"), "{md}");
        assert!(md.contains("`t::G::B` (W)"), "{md}");
        assert!(
            md.contains("- SizeAsString (the run failed: host did not start)"),
            "{md}"
        );
        assert!(md.contains("- `t::G::D`"), "{md}");
        assert!(md.contains("| `t::G::D` | failed | why |"), "{md}");
    }

    #[test]
    fn run_report_has_an_entry_per_fault_problem_and_case() {
        let r = sample().to_run_report("2026-01-01T00:00:00Z".into(), Duration::from_secs(1));
        let get = |id: &str| {
            r.cases
                .iter()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("{id} missing"))
        };
        assert_eq!(get("mutation::faults::LockNeverExpires").outcome, Outcome::Passed);
        assert_eq!(get("mutation::faults::DeleteLockedFile").outcome, Outcome::Failed);
        assert_eq!(get("mutation::clean host::t::G::D").outcome, Outcome::Failed);
        assert_eq!(get("mutation::cases::t::G::A").outcome, Outcome::Passed);
        assert_eq!(get("mutation::cases::t::G::C").outcome, Outcome::Skipped);
        assert_eq!(get("mutation::cases::t::G::D").outcome, Outcome::Failed);
        assert_eq!(r.totals().total(), 1 + 3 + 1 + 4);
    }

    #[test]
    fn host_page_faults_are_recognised() {
        assert!(is_host_page_fault(Fault::HostPageIgnoresClose));
        assert!(!is_host_page_fault(Fault::LockNeverExpires));
        // 16 in the matrix, and HostPagePostsObjects, which only ONLYOFFICE's frame shows (Fault::outside_matrix).
        assert_eq!(Fault::ALL.iter().filter(|f| is_host_page_fault(**f)).count(), 17);
    }
}
