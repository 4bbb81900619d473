//! The runner: executes suite cases against a host through the mock Office client and produces a
//! [`RunReport`].
//!
//! Semantics (validator-semantics.md §2.6–2.8), with the engine's faults fixed:
//! - Prereqs run once per run (memoised), not once per case; a failed prereq makes the case **Skipped** with the
//!   prereq's name and first failure as the reason, and the prereq's transcript as evidence.
//! - State flows between the requests of a case (`SaveState` after a request passed, `$State:` and `*StateKey`);
//!   it starts with `OriginalAccessToken` and `OriginalWopiSrc`.
//! - The first failing request ends the case; `<CleanupRequests>` always run, are never validated, and their
//!   failures never change the verdict.
//! - A transport error (refused, timeout, oversized body) fails that case only; a redirect is a response whose
//!   status the checks see, as the engine does since PR #134.
//! - Every request is signed with the mock client's proof keys (so the ProofKeys group is meaningful), and
//!   tokens never appear in a failure message or transcript.
//!
//! Two modes: [`TargetSource::Fixed`] runs cases one after another on one WOPISrc (the validator's way);
//! [`TargetSource::Provisioned`] gives every case its own fresh file and runs `jobs` cases at once, each on its
//! own task. A case that changes what every case in flight sees (`<ext:AdvanceClock>`, `<ext:RotateKeys>`,
//! `ext:Exclusive="true"`) runs alone. After a clock step, proofs are timestamped on the host's timeline.
//! Our extension steps (concurrency, key rotation, clock steps, postMessage) are in `steps`.

mod declared;
pub mod health;
pub mod provision;
pub mod request;
mod single_file;
mod steps;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::OnceCell;
use url::Url;
use wopi_mock_office::client::{ClientConfig, ClientError, RawResponse, WopiClient};
use wopi_protocol::dotnet::{Ticks, bool_str};
use wopi_protocol::transcript::{self, Exchange, scrub_text};

use crate::report::model::{CaseResult, DocRef, Failure, Outcome, RunReport, SCHEMA_VERSION, TargetInfo};
use crate::suite::{
    Category, PostMessageStep, Request, Step, Suite, TestCase, TestGroup, TokenUse, Validator, ValidatorKind,
};
use crate::validate::{self, Context, ResponseView, SchemaStore, State};
use declared::Declared;
use health::{Halt, Health, HealthLimits, TransportKind};
use single_file::{Dirty, Ledger};

pub use provision::{CommandProvisioner, ProvisionError, Provisioner, WithInstances};
// The progress trait lives with the report model it speaks in, so `report` needs nothing from `exec`.
pub use crate::report::progress::{NoProgress, Progress};

/// The file under test: a WOPISrc and its token.
#[derive(Clone)]
pub struct Target {
    pub wopisrc: Url,
    pub access_token: String,
    /// `access_token_ttl` sent with every request (ms since the epoch, or 0).
    pub access_token_ttl: u64,
    /// Base URLs of the host's instances when it runs several (`--instance`), the first being the one `wopisrc`
    /// starts with; empty for one instance. See [`crate::instances`].
    pub instances: Vec<Url>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token never reaches logs.
        f.debug_struct("Target")
            .field("wopisrc", &transcript::redact_url(self.wopisrc.as_str()))
            .field("access_token", &transcript::REDACTED)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("instances", &self.instances.len())
            .finish()
    }
}

/// Where cases get their file.
#[derive(Clone)]
pub enum TargetSource {
    /// One file for every case, run serially (the validator's model).
    Fixed(Target),
    /// A fresh file per case from the provisioner, `jobs` cases at a time.
    Provisioned(Arc<dyn Provisioner>),
}

/// The boxed future [`ClockControl::special_token`] returns: the token, or why there is none.
pub type TokenFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + Send + 'a>>;

/// Hooks into a host the harness controls (the embedded reference host implements them): steps the host's clock
/// forward, for `<ext:AdvanceClock>`, and issues the tokens `<ext:AccessToken Use="..."/>` asks for.
pub trait ClockControl: Send + Sync {
    /// Moves the host's notion of now forward by `by`.
    fn advance(&self, by: Duration) -> Result<(), String>;

    /// The host's current time, when the hook can read it (a test clock that does not tick with real time).
    /// `None` (the default): the host's clock is the real one moved on by every [`ClockControl::advance`].
    fn host_now(&self) -> Option<std::time::SystemTime> {
        None
    }

    /// A token of kind `kind` relative to `target`'s file. `Err` (the default) skips the case with the reason.
    fn special_token<'a>(&'a self, target: &'a Target, kind: TokenUse) -> TokenFuture<'a> {
        let _ = target;
        Box::pin(async move { Err(format!("this host hook cannot issue {kind} tokens")) })
    }
}

/// What a `<ext:PostMessage>` step produced.
#[derive(Debug, Clone, Default)]
pub struct PostMessageOutcome {
    pub failures: Vec<Failure>,
    pub notes: Vec<String>,
    /// PNG screenshots, base64.
    pub screenshots: Vec<String>,
    /// The step could not run (no browser), with the reason: the case is skipped.
    pub skipped: Option<String>,
    /// The step could not observe its rule (reason starts "precondition not met: "); `failures` then holds a
    /// matching failure, so the case fails until the report has an outcome for it.
    pub precondition: Option<String>,
}

/// The boxed future a [`PostMessageDriver`] returns.
pub type PostMessageFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = PostMessageOutcome> + Send + 'a>>;

/// Runs `<ext:PostMessage>` steps in a browser against the case's file; without one such cases are skipped.
pub trait PostMessageDriver: Send + Sync {
    fn run_step<'a>(&'a self, step: &'a PostMessageStep, target: &'a Target, label: &'a str) -> PostMessageFuture<'a>;
}

/// Which cases run. Empty lists select everything.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Suite short names (`core`, `feature`, `ext_*`).
    pub suites: Vec<String>,
    /// Group names, exact.
    pub groups: Vec<String>,
    /// Globs (`*`, `?`) matched against the case name and its id `suite::Group::Case`.
    pub cases: Vec<String>,
    pub categories: Vec<Category>,
}

impl Filters {
    /// Whether a case passes the filters. Prereq cases are never filtered (the engine's category crash, fixed).
    pub fn selects(&self, suite: &Suite, group: &TestGroup, case: &TestCase) -> bool {
        (self.suites.is_empty() || self.suites.iter().any(|s| s == &suite.name))
            && (self.groups.is_empty() || self.groups.iter().any(|g| g == &group.name))
            && (self.categories.is_empty() || self.categories.contains(&case.category))
            && (self.cases.is_empty() || {
                let id = case_id(suite, group, case);
                self.cases
                    .iter()
                    .any(|p| glob_match(p, &case.name) || glob_match(p, &id))
            })
    }
}

/// The default `--request-timeout`: long enough for a slow host's GetFile, short enough that a host that never
/// answers is named within 30 seconds (two timeouts in a row stop the run).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Run settings.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Cases at once in provisioned mode (fixed mode is always serial).
    pub jobs: usize,
    /// Run `HasDelay` groups (their `<Delay>` steps really sleep); otherwise they are skipped with a reason. A runner
    /// with a [`ClockControl`] runs them regardless, stepping the clock instead of sleeping.
    pub include_delay_groups: bool,
    pub filters: Filters,
    /// Recorded in the report.
    pub host_kind: String,
    pub profile: String,
    /// Longest `<Delay>` honoured, so a suite cannot stall a run.
    pub max_delay: Duration,
    /// The total time one exchange may take (the client's own limit; named in the host-stopped finding).
    pub request_timeout: Duration,
    /// When to stop sending because the host stopped answering.
    pub health: HealthLimits,
    /// `--deadline`: the whole run's budget; cases not started by then are `not run`.
    pub deadline: Option<Duration>,
    /// `--lock-ttl`: the host's (shortened) lock lifetime. Lock-expiry clock steps on a host whose clock the
    /// harness cannot step wait this long, scaled, instead of being skipped.
    pub lock_ttl: Option<Duration>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: 1,
            include_delay_groups: false,
            filters: Filters::default(),
            host_kind: "external host".into(),
            profile: "office".into(),
            max_delay: Duration::from_secs(120),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            health: HealthLimits::default(),
            deadline: None,
            lock_ttl: None,
        }
    }
}

/// The result of a run plus what decides the exit code.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub report: RunReport,
    /// The first prereq of the run failed (the host is unreachable or not set up): exit code 3.
    pub first_prereq_failure: Option<String>,
}

/// A selected case, for listing.
#[derive(Debug, Clone)]
pub struct Selected<'s> {
    pub id: String,
    pub suite: &'s Suite,
    pub group: &'s TestGroup,
    pub case: &'s TestCase,
}

/// `suite::Group::Case`.
pub fn case_id(suite: &Suite, group: &TestGroup, case: &TestCase) -> String {
    format!("{}::{}::{}", suite.name, group.name, case.name)
}

/// Glob with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// What a memoised prereq concluded.
#[derive(Debug, Clone)]
struct PrereqResult {
    failure: Option<String>,
    transcript: Vec<Exchange>,
}

/// A prereq of a suite: (suite index, prereq name).
type PrereqKey = (usize, String);

/// What the runner learns once per host configuration ([`Provisioner::configuration`]; one, unnamed, for every
/// other target): its prereq verdicts, the file they ran on, and what its CheckFileInfo declares.
#[derive(Default)]
struct PerConfiguration {
    prereqs: std::sync::Mutex<HashMap<PrereqKey, Arc<OnceCell<PrereqResult>>>>,
    prereq_target: OnceCell<Result<Target, String>>,
    declared: OnceCell<Option<Declared>>,
}

/// The runner. Build with [`Runner::new`], adjust, then [`Runner::run`].
///
/// Cases run on their own tokio tasks (up to `jobs` at once in provisioned mode), so the client-side work of
/// parallel cases (signing) spreads over the runtime's threads.
pub struct Runner {
    inner: Arc<Inner>,
}

/// What the case tasks share.
pub(crate) struct Inner {
    suites: Vec<Arc<Suite>>,
    client: WopiClient,
    /// The same keys, without `Authorization`: GetFromFileUrl is an anonymous download.
    anonymous: WopiClient,
    schemas: Arc<SchemaStore>,
    source: TargetSource,
    clock: std::sync::OnceLock<Arc<dyn ClockControl>>,
    post_message: std::sync::OnceLock<Arc<dyn PostMessageDriver>>,
    options: RunOptions,
    /// Prereqs, their file and the declarations, per host configuration (`None`: the target's only one).
    configurations: std::sync::Mutex<HashMap<Option<String>, Arc<PerConfiguration>>>,
    first_prereq: std::sync::Mutex<Option<Option<String>>>,
    /// Seconds the host's clock was stepped forward by `<ext:AdvanceClock>`: proofs are timestamped on the
    /// host's timeline, as a real client's clock and the host's move together.
    clock_offset: std::sync::atomic::AtomicU64,
    /// Cases that change shared state (clock steps, key rotation) hold it exclusively.
    gate: tokio::sync::RwLock<()>,
    /// Consecutive transport failures and the deadline: when to stop sending.
    health: Health,
    /// Single-file mode: the case that left the shared file in a state the harness could not undo, and how.
    dirty: tokio::sync::Mutex<Option<(String, Dirty)>>,
}

/// Why the runner could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("cannot build the anonymous WOPI client: {0}")]
    Client(#[from] ClientError),
}

impl Runner {
    /// A runner over `suites` sending through `client` (whose keys sign every request).
    pub fn new(
        suites: Vec<Suite>,
        client: WopiClient,
        schemas: SchemaStore,
        source: TargetSource,
        options: RunOptions,
    ) -> Result<Runner, RunnerError> {
        let anon_config = ClientConfig {
            authorization_header: false,
            ..client.config().clone()
        };
        let anonymous = WopiClient::new(anon_config, client.keys().clone())?;
        let suites: Vec<Arc<Suite>> = suites.into_iter().map(Arc::new).collect();
        let options_health = (options.health, options.request_timeout);
        let inner = Inner {
            suites,
            client,
            anonymous,
            schemas: Arc::new(schemas),
            source,
            clock: std::sync::OnceLock::new(),
            post_message: std::sync::OnceLock::new(),
            options,
            configurations: std::sync::Mutex::new(HashMap::new()),
            first_prereq: std::sync::Mutex::new(None),
            clock_offset: std::sync::atomic::AtomicU64::new(0),
            gate: tokio::sync::RwLock::new(()),
            health: Health::new(options_health.0, options_health.1, None),
            dirty: tokio::sync::Mutex::new(None),
        };
        Ok(Runner { inner: Arc::new(inner) })
    }

    /// Lets `<ext:AdvanceClock>` step the host's clock (embedded host only).
    /// The first hook given is kept.
    pub fn with_clock(self, clock: Arc<dyn ClockControl>) -> Runner {
        let _ = self.inner.clock.set(clock);
        self
    }

    /// Lets `<ext:PostMessage>` steps run (a browser driver).
    /// The first driver given is kept.
    pub fn with_post_message(self, driver: Arc<dyn PostMessageDriver>) -> Runner {
        let _ = self.inner.post_message.set(driver);
        self
    }

    pub fn suites(&self) -> &[Arc<Suite>] {
        &self.inner.suites
    }

    /// The cases the filters select, in document order.
    pub fn selected(&self) -> Vec<Selected<'_>> {
        let mut out = Vec::new();
        for s in &self.inner.suites {
            for g in &s.groups {
                for c in &g.cases {
                    if self.inner.options.filters.selects(s, g, c) {
                        out.push(Selected {
                            id: case_id(s, g, c),
                            suite: s,
                            group: g,
                            case: c,
                        });
                    }
                }
            }
        }
        out
    }

    /// Runs every selected case and reports each to `progress` as it finishes.
    pub async fn run(&self, progress: &dyn Progress) -> RunOutcome {
        let inner = &self.inner;
        let started_at = wopi_protocol::dotnet::rfc3339_seconds(SystemTime::now());
        let t0 = Instant::now();
        let selected: Vec<(usize, usize, usize)> = inner
            .suites
            .iter()
            .enumerate()
            .flat_map(|(si, s)| {
                s.groups.iter().enumerate().flat_map(move |(gi, g)| {
                    g.cases
                        .iter()
                        .enumerate()
                        .filter(move |(_, c)| inner.options.filters.selects(s, g, c))
                        .map(move |(ci, _)| (si, gi, ci))
                })
            })
            .collect();
        progress.started(selected.len());
        if let Some(budget) = inner.options.deadline {
            inner.health.start_deadline(budget);
        }
        let jobs = match inner.source {
            TargetSource::Fixed(_) => 1,
            TargetSource::Provisioned(_) => inner.options.jobs.max(1),
        };
        let mut results: Vec<Option<CaseResult>> = vec![None; selected.len()];
        let mut pending = selected.into_iter().enumerate();
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < jobs {
                let Some((i, (si, gi, ci))) = pending.next() else { break };
                let inner = Arc::clone(&self.inner);
                running.spawn(async move { (i, inner.run_case(si, gi, ci).await) });
            }
            let Some(joined) = running.join_next().await else { break };
            match joined {
                Ok((i, r)) => {
                    progress.case_finished(&r);
                    results[i] = Some(r);
                }
                // A case task that panicked is a harness bug; its slot is reported below instead of lost.
                Err(e) => tracing::error!(error = %e, "a case task failed"),
            }
        }
        let mut cases: Vec<CaseResult> = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| inner.lost_case(i)))
            .collect();
        let host_stopped = inner.health.stopped();
        if let Some(stop) = &host_stopped {
            // The case whose request the host stopped on keeps its failure; after it, a case that met only the
            // dead host was not really run.
            let from = cases.iter().position(|c| c.id == stop.case).map_or(0, |i| i + 1);
            for c in cases.iter_mut().skip(from).filter(|c| only_transport(c)) {
                c.outcome = Outcome::NotRun;
                c.reason = Some("not run: the host had stopped answering (see the top of the report)".into());
            }
        }
        let deadline_passed = inner.options.deadline.and_then(|budget| {
            let n = cases
                .iter()
                .filter(|c| {
                    c.outcome == Outcome::NotRun && c.reason.as_deref().is_some_and(|r| r.contains("--deadline"))
                })
                .count();
            (n > 0).then(|| {
                format!(
                    "The run's --deadline of {} s passed: {n} {} not run.",
                    budget.as_secs(),
                    if n == 1 { "case was" } else { "cases were" }
                )
            })
        });
        let wopisrc = match &inner.source {
            TargetSource::Fixed(t) => transcript::redact_url(t.wopisrc.as_str()),
            TargetSource::Provisioned(_) => "a fresh file per case (provisioned)".to_string(),
        };
        let report = RunReport {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at,
            duration_ms: t0.elapsed().as_secs_f64() * 1000.0,
            target: TargetInfo {
                wopisrc,
                host_kind: inner.options.host_kind.clone(),
                profile: inner.options.profile.clone(),
                suites: inner.suites.iter().map(|s| s.path.display().to_string()).collect(),
            },
            cases,
            host_stopped,
            deadline_passed,
            root_causes: Vec::new(),
            notes: Vec::new(),
        };
        let mut report = report;
        report.root_causes = report.compute_root_causes();
        let first_prereq_failure = inner.first_prereq.lock().map(|g| g.clone().flatten()).unwrap_or(None);
        RunOutcome {
            report,
            first_prereq_failure,
        }
    }
}

impl Inner {
    /// The result standing in for a case whose task died (a harness bug): failed, never silently dropped.
    fn lost_case(&self, index: usize) -> CaseResult {
        let (suite, group, case) = self
            .suites
            .iter()
            .flat_map(|s| {
                s.groups
                    .iter()
                    .flat_map(move |g| g.cases.iter().map(move |c| (s, g, c)))
            })
            .filter(|(s, g, c)| self.options.filters.selects(s, g, c))
            .nth(index)
            .map_or_else(
                || ("?".to_string(), "?".to_string(), "?".to_string()),
                |(s, g, c)| (s.name.clone(), g.name.clone(), c.name.clone()),
            );
        CaseResult {
            id: format!("{suite}::{group}::{case}"),
            suite,
            group,
            name: case,
            outcome: Outcome::Failed,
            reason: Some("the harness task running this case failed (a harness bug; see the log)".into()),
            ..CaseResult::default()
        }
    }

    async fn run_case(&self, si: usize, gi: usize, ci: usize) -> CaseResult {
        let suite = &self.suites[si];
        let group = &suite.groups[gi];
        let case = &group.cases[ci];
        let t0 = Instant::now();
        let mut result = CaseResult {
            id: case_id(suite, group, case),
            suite: suite.name.clone(),
            group: group.name.clone(),
            name: case.name.clone(),
            category: case.category.to_string(),
            description: case.description.clone(),
            doc: case.documentation_link.as_ref().map(|l| DocRef {
                page: l.clone(),
                url: Some(l.clone()),
            }),
            outcome: Outcome::Passed,
            ..CaseResult::default()
        };
        let mut secrets: Vec<String> = Vec::new();
        let work = self.run_case_inner(si, group, case, &mut result, &mut secrets);
        match self.health.remaining() {
            None => work.await,
            Some(left) => {
                if tokio::time::timeout(left, work).await.is_err() {
                    not_run(&mut result, "the run's --deadline passed while this case ran");
                }
            }
        }
        scrub(&mut result, &secrets);
        // A check without its own page is about the case's documented requirement.
        for f in result.failures.iter_mut().filter(|f| f.doc.is_none()) {
            f.doc.clone_from(&result.doc);
        }
        result.duration_ms = t0.elapsed().as_secs_f64() * 1000.0;
        result
    }

    async fn run_case_inner(
        &self,
        si: usize,
        group: &TestGroup,
        case: &TestCase,
        result: &mut CaseResult,
        secrets: &mut Vec<String>,
    ) {
        let suite = &self.suites[si];
        // Named first, so that every report says where a case would have run even when it is skipped.
        let configuration = match &self.source {
            TargetSource::Fixed(t) => {
                secrets.push(t.access_token.clone());
                None
            }
            TargetSource::Provisioned(p) => p.configuration(&group.prereqs),
        };
        result.configuration.clone_from(&configuration);
        if let Some(halt) = self.health.halted() {
            not_run(result, halt.reason());
            return;
        }
        // With a clock the harness steps (embedded), a <Delay> costs nothing and the group runs without -d.
        if group.has_delay && !self.options.include_delay_groups && self.clock.get().is_none() {
            skip(
                result,
                "the group waits with <Delay> (30-60 s per step); run with the include-delay option",
            );
            return;
        }
        if let Some(reason) = case.not_for_profile(&self.options.profile) {
            skip(result, reason);
            return;
        }
        if let Some(reason) = schemas_used(case).find_map(|id| self.schemas.missing(id)) {
            // The check could not observe its rule here: reported as such, never failed for a host's fault.
            skip(result, reason);
            return;
        }
        for name in &group.prereqs {
            let p = self.prereq(si, name, configuration.as_deref()).await;
            if let Some(reason) = &p.failure {
                skip(result, format!("prerequisite {name} failed: {reason}"));
                result.transcript = p.transcript.clone();
                return;
            }
        }
        let target = match &self.source {
            TargetSource::Fixed(t) => t.clone(),
            TargetSource::Provisioned(p) => {
                match provision_on(p.as_ref(), configuration.as_deref(), &result.id).await {
                    Ok(t) => t,
                    Err(e) => {
                        fail(
                            result,
                            Failure {
                                request: "provision".into(),
                                check: "Provisioner".into(),
                                expected: "a fresh test file".into(),
                                actual: e.to_string(),
                                rule: Some("the provisioning command must create a file and print its WOPISrc".into()),
                                doc: None,
                                should_only: false,
                            },
                        );
                        return;
                    }
                }
            }
        };
        secrets.push(target.access_token.clone());
        let case_id = result.id.clone();
        let per_instance = case
            .requests
            .iter()
            .any(|s| matches!(s, Step::Request(r) if r.instance.is_some()));
        if per_instance && target.instances.len() < 2 {
            // With one door every request meets the same instance: the case could not observe its rule.
            skip(
                result,
                "this case compares what several instances of the host answer; give their URLs with --instance                  (or run --instances N in embedded mode)",
            );
            return;
        }
        if Declared::matter_to(case)
            && let Some(reason) = self
                .declared(configuration.as_deref(), &case_id, &target)
                .await
                .and_then(|d| d.skip_reason(case))
        {
            skip(result, reason);
            return;
        }
        let shared = matches!(self.source, TargetSource::Fixed(_));
        if shared && self.still_dirty(&case_id, &target, result).await {
            return;
        }
        let exec = CaseExec {
            runner: self,
            suite,
            case,
            target: &target,
            label_prefix: String::new(),
            case_id: result.id.clone(),
            ledger: Ledger::default(),
        };
        let outcome = exec.run(secrets).await;
        result.transcript.extend(outcome.transcript);
        result.notes.extend(outcome.notes);
        result.screenshots.extend(outcome.screenshots);
        // Only a case that sent lock IDs or a new name, or raced locks outside the ledger, can leave the file
        // changed in a way the next case would meet.
        let raced = case
            .requests
            .iter()
            .any(|s| matches!(s, Step::LockRace { .. } | Step::Concurrent(_)));
        if shared && self.health.halted().is_none() && (raced || !exec.ledger.is_empty()) {
            self.after_shared_case(&case_id, &target, &exec.ledger, result).await;
        }
        let rotated = case.requests.iter().any(|s| matches!(s, Step::RotateKeys { .. }));
        if rotated && self.clock.get().is_none() && self.health.halted().is_none() {
            self.settle_keys(&case_id, &target, result).await;
        }
        if let Some(reason) = outcome.blocked {
            result.outcome = Outcome::Blocked;
            result.reason = Some(reason);
            return;
        }
        if let Some(reason) = outcome.skipped {
            skip(result, reason);
            return;
        }
        let mut failures = outcome.failures;
        if let Some(f) = result.failures.drain(..).next() {
            // A rule the host broke while the harness restored the file (see `after_shared_case`).
            failures.push(f);
        }
        let must: Vec<&Failure> = failures.iter().filter(|f| !f.should_only).collect();
        result.outcome = if !must.is_empty() {
            Outcome::Failed
        } else if !failures.is_empty() {
            Outcome::Warning
        } else {
            Outcome::Passed
        };
        if let Some(f) = must.first().copied().or(failures.first()) {
            result.reason = Some(summary(f));
        }
        result.failures = failures;
    }

    /// Single-file mode, before a case: when an earlier case left the file in a state the harness could not undo,
    /// looks again (a lock may have expired since) and, if it is still so, blocks this case naming that one.
    /// Returns true when the case is blocked.
    async fn still_dirty(&self, case_id: &str, target: &Target, result: &mut CaseResult) -> bool {
        let mut dirty = self.dirty.lock().await;
        let Some((culprit, _)) = dirty.as_ref() else {
            return false;
        };
        let culprit = culprit.clone();
        let mut transcript = Vec::new();
        match self
            .restore_baseline(case_id, target, &Ledger::default(), &mut transcript)
            .await
        {
            Ok(()) => {
                *dirty = None;
                result.notes.push(format!(
                    "the shared file, left dirty by {culprit}, was found clean again before this case"
                ));
                result.transcript.extend(transcript);
                false
            }
            Err(now) => {
                result.transcript.extend(transcript);
                result.outcome = Outcome::Blocked;
                result.reason = Some(format!(
                    "blocked by {culprit}: the shared file is still as that case left it ({})",
                    now.how
                ));
                result.blocked_by = Some(culprit);
                true
            }
        }
    }

    /// Single-file mode, after a case and its cleanup: brings the file back, or records how the case left it.
    async fn after_shared_case(&self, case_id: &str, target: &Target, ledger: &Ledger, result: &mut CaseResult) {
        let mut transcript = Vec::new();
        let restored = self.restore_baseline(case_id, target, ledger, &mut transcript).await;
        result.transcript.extend(transcript);
        if let Err(dirty) = restored {
            result.left_dirty = Some(dirty.how.clone());
            result.notes.push(format!(
                "the harness could not bring the shared file back: {}",
                dirty.how
            ));
            if let Some(f) = &dirty.host_fault {
                result.failures.push(f.clone());
            }
            *self.dirty.lock().await = Some((case_id.to_string(), dirty));
        }
    }

    /// After a case rotated the client's keys on a host whose clock the harness cannot step: waits (bounded) until
    /// the host accepts a proof made with the new current key alone. Hosts rightly rate-limit discovery refetches
    /// (the reference host: one per 10 s), so without this the next cases would meet a host that has not caught
    /// up yet and fail for a rotation they did not make.
    async fn settle_keys(&self, case_id: &str, target: &Target, result: &mut CaseResult) {
        const SETTLE: Duration = Duration::from_secs(15);
        let started = Instant::now();
        let limit = self.health.remaining().map_or(SETTLE, |left| left.min(SETTLE));
        let last = loop {
            let mut url = target.wopisrc.clone();
            url.query_pairs_mut().append_pair("access_token", &target.access_token);
            let mut raw = wopi_mock_office::client::RawRequest::new(
                "settle/CheckFileInfo",
                http::Method::GET,
                url,
                target.access_token.clone(),
            );
            raw.proof = wopi_mock_office::client::ProofSpec::mode(wopi_mock_office::client::ProofMode::OldInvalid);
            let (answer, ex) = self.transmit(case_id, &self.client, raw, None).await;
            let accepted = matches!(&answer, Answer::Response(r) if r.status == 200);
            if accepted || started.elapsed() >= limit || !matches!(answer, Answer::Response(_)) {
                let waited = started.elapsed().as_secs_f64();
                result.notes.push(if accepted {
                    format!("after the key rotation the host accepted the new key alone after {waited:.1} s")
                } else {
                    format!(
                        "after the key rotation the host still refused a proof made with the new key alone after                          {waited:.1} s; later cases may fail on proof keys for that reason"
                    )
                });
                break ex;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        result.transcript.push(last);
    }

    /// What the host's CheckFileInfo declares, read once per run and host configuration from `target` (`None` when
    /// it cannot be read).
    pub(crate) async fn declared(
        &self,
        configuration: Option<&str>,
        case_id: &str,
        target: &Target,
    ) -> Option<Declared> {
        self.per_configuration(configuration)
            .declared
            .get_or_init(|| async {
                let mut url = target.wopisrc.clone();
                url.query_pairs_mut().append_pair("access_token", &target.access_token);
                let raw = wopi_mock_office::client::RawRequest::new(
                    "declarations/CheckFileInfo",
                    http::Method::GET,
                    url,
                    target.access_token.clone(),
                );
                match self.transmit(case_id, &self.client, raw, None).await.0 {
                    Answer::Response(r) if r.status == 200 => Declared::from_body(&r.body),
                    _ => None,
                }
            })
            .await
            .clone()
    }

    /// Sends one request through `client` unless the run has halted, keeps the host-health count, and notes lock
    /// IDs and renames in `ledger`.
    pub(crate) async fn transmit(
        &self,
        case_id: &str,
        client: &WopiClient,
        raw: wopi_mock_office::client::RawRequest,
        ledger: Option<&Ledger>,
    ) -> (Answer, Exchange) {
        if let Some(halt) = self.health.halted() {
            let ex = transcript::Exchange {
                label: raw.label.clone(),
                request: transcript::RecordedRequest {
                    method: raw.method.to_string(),
                    url: transcript::redact_url(raw.url.as_str()),
                    headers: Vec::new(),
                    body_size: raw.body.len() as u64,
                    body_preview: String::new(),
                },
                outcome: transcript::RecordedOutcome::TransportError {
                    message: halt.reason().to_string(),
                },
                elapsed_ms: 0.0,
            };
            return (Answer::Halted(halt), ex);
        }
        let mut raw = raw;
        let offset = self.clock_offset.load(std::sync::atomic::Ordering::SeqCst);
        if offset > 0 && raw.proof.timestamp.is_none() {
            // After `<ext:AdvanceClock>` proofs are stamped on the host's timeline.
            let ahead = i64::try_from(offset).unwrap_or(i64::MAX);
            raw.proof.timestamp = Some(Ticks::now().saturating_add_secs(ahead));
        }
        if let Some(l) = ledger {
            l.sending(&raw);
        }
        let keep = ledger.map(|_| raw.clone());
        let (res, ex) = client.execute(raw).await;
        let answer = match res {
            Ok(r) => Answer::Response(r),
            Err(ClientError::Redirect { status, location }) => {
                let mut headers = http::HeaderMap::new();
                if let Ok(v) = http::HeaderValue::from_str(&location) {
                    headers.insert(http::header::LOCATION, v);
                }
                Answer::Response(RawResponse {
                    status,
                    headers,
                    body: bytes::Bytes::new(),
                })
            }
            Err(e) => {
                let kind = match e {
                    ClientError::Timeout { .. } => Some(TransportKind::Timeout),
                    ClientError::Connect(_) | ClientError::Io(_) => Some(TransportKind::Broken),
                    _ => None,
                };
                if let Some(kind) = kind {
                    self.health.transport_failed(case_id, &ex, &e.to_string(), kind);
                }
                Answer::Transport(e.to_string())
            }
        };
        if matches!(answer, Answer::Response(_)) {
            self.health.answered();
        }
        if let (Some(l), Some(raw)) = (ledger, keep) {
            l.answered(&raw, &answer);
        }
        (answer, ex)
    }

    /// What the run learnt so far about `configuration`.
    fn per_configuration(&self, configuration: Option<&str>) -> Arc<PerConfiguration> {
        let mut map = self
            .configurations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(configuration.map(str::to_owned)).or_default().clone()
    }

    /// Runs (once per run and host configuration) the prereq `name` of suite `si`.
    async fn prereq(&self, si: usize, name: &str, configuration: Option<&str>) -> PrereqResult {
        let per = self.per_configuration(configuration);
        let cell = {
            let mut prereqs = per.prereqs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            prereqs.entry((si, name.to_owned())).or_default().clone()
        };
        cell.get_or_init(|| async {
            let suite = &self.suites[si];
            let Some(case) = suite.prereq(name) else {
                return PrereqResult {
                    failure: Some(format!("no prereq named {name}")),
                    transcript: Vec::new(),
                };
            };
            let target = match self.prereq_target(&per, configuration).await {
                Ok(t) => t,
                Err(e) => {
                    return PrereqResult {
                        failure: Some(e),
                        transcript: Vec::new(),
                    };
                }
            };
            let mut secrets = vec![target.access_token.clone()];
            let exec = CaseExec {
                runner: self,
                suite,
                case,
                target: &target,
                label_prefix: format!("{name}/"),
                case_id: format!("{}::prereq::{name}", suite.name),
                ledger: Ledger::default(),
            };
            let out = exec.run(&mut secrets).await;
            let must: Vec<&Failure> = out.failures.iter().filter(|f| !f.should_only).collect();
            let failure = out
                .skipped
                .clone()
                .or_else(|| must.first().map(|f| scrub_text(&summary(f), &secrets)));
            let mut transcript = out.transcript;
            for ex in &mut transcript {
                ex.scrub(&secrets);
            }
            let result = PrereqResult { failure, transcript };
            if let Ok(mut first) = self.first_prereq.lock()
                && first.is_none()
            {
                *first = Some(result.failure.clone());
            }
            result
        })
        .await
        .clone()
    }

    async fn prereq_target(&self, per: &PerConfiguration, configuration: Option<&str>) -> Result<Target, String> {
        per.prereq_target
            .get_or_init(|| async {
                match &self.source {
                    TargetSource::Fixed(t) => Ok(t.clone()),
                    TargetSource::Provisioned(p) => provision_on(p.as_ref(), configuration, "prereqs")
                        .await
                        .map_err(|e| format!("provisioning failed: {e}")),
                }
            })
            .await
            .clone()
    }
}

/// A file from `p` on `configuration`, or on its only one.
fn provision_on<'a>(
    p: &'a dyn Provisioner,
    configuration: Option<&'a str>,
    case_id: &'a str,
) -> provision::ProvisionFuture<'a> {
    match configuration {
        Some(c) => p.provision_on(c, case_id),
        None => p.provision(case_id),
    }
}

/// What executing one case's steps produced.
#[derive(Debug, Default)]
pub(crate) struct StepsOutcome {
    pub(crate) failures: Vec<Failure>,
    pub(crate) transcript: Vec<Exchange>,
    pub(crate) notes: Vec<String>,
    pub(crate) screenshots: Vec<String>,
    /// A step could not run here (clock step on an external host, browser step): the case is skipped.
    pub(crate) skipped: Option<String>,
    /// The case's setup was refused by the host: the case is blocked with this reason.
    pub(crate) blocked: Option<String>,
}

/// One execution of one case (or prereq) against one target.
pub(crate) struct CaseExec<'r> {
    pub(crate) runner: &'r Inner,
    pub(crate) suite: &'r Suite,
    pub(crate) case: &'r TestCase,
    pub(crate) target: &'r Target,
    pub(crate) label_prefix: String,
    /// The case's id (for the host-health finding).
    pub(crate) case_id: String,
    /// Lock IDs and renames the case sent (single-file mode undoes them).
    pub(crate) ledger: Ledger,
}

/// A response or why there is none.
pub(crate) enum Answer {
    Response(RawResponse),
    Transport(String),
    /// Not sent: the run had halted (host stopped, deadline).
    Halted(Halt),
}

impl CaseExec<'_> {
    async fn run(&self, secrets: &mut Vec<String>) -> StepsOutcome {
        // A case that steps the host's clock or rotates the client's keys changes the world for every case in
        // flight (locks expire, proofs go stale): it runs alone; all other cases share the gate.
        let steps_clock = self.runner.clock.get().is_some();
        let exclusive = self.case.exclusive
            || self.case.requests.iter().any(|s| match s {
                Step::AdvanceClock { .. } | Step::RotateKeys { .. } => true,
                // A <Delay> steps the host's clock when the harness controls it.
                Step::Request(r) => steps_clock && matches!(r.kind, crate::suite::RequestKind::Delay { .. }),
                _ => false,
            });
        let (_shared, _exclusive) = if exclusive {
            (None, Some(self.runner.gate.write().await))
        } else {
            (Some(self.runner.gate.read().await), None)
        };
        let mut out = StepsOutcome::default();
        let mut state = State::new();
        state.set("OriginalAccessToken", Some(self.target.access_token.clone()));
        state.set("OriginalWopiSrc", Some(self.target.wopisrc.to_string()));
        let mut labels = Labels::default();

        if self.case.upload_document_on_setup
            && let Some(id) = &self.case.resource_id
        {
            self.setup_upload(id, &mut out).await;
        }
        let steps = if out.blocked.is_some() {
            &[][..]
        } else {
            &self.case.requests[..]
        };
        for step in steps {
            let stop = match step {
                Step::Request(r) => self.request_step(r, &mut labels, &mut state, &mut out, secrets).await,
                other => steps::extension_step(self, other, &mut labels, &mut state, &mut out, secrets).await,
            };
            if stop {
                break;
            }
        }
        // Cleanup always runs, is never validated, and never changes the verdict.
        for r in &self.case.cleanup {
            let label = format!("{}cleanup/{}", self.label_prefix, labels.next(r.kind.name()));
            match request::build(r, &label, self.case, self.suite, self.target, &state) {
                Ok(b) => {
                    secrets.push(b.token.clone());
                    let (_, ex) = self.send(b).await;
                    out.transcript.push(ex);
                }
                Err(e) => out.notes.push(format!("{label} not sent: {e}")),
            }
        }
        out
    }

    /// `UploadDocumentOnSetup`: the case's resource becomes the file's content, the careful way
    /// ([`single_file`]); a refused step blocks the case.
    async fn setup_upload(&self, id: &str, out: &mut StepsOutcome) {
        let Some(res) = self.suite.resource(id) else { return };
        let done = self
            .runner
            .setup_content(
                &self.case_id,
                self.target,
                bytes::Bytes::from(res.bytes()),
                &self.label_prefix,
                &mut out.transcript,
            )
            .await;
        if let Err(reason) = done {
            out.blocked = Some(reason);
        }
    }

    /// Sends a built request and normalises the outcome (a redirect is a response).
    pub(crate) async fn send(&self, mut b: request::Built) -> (Answer, Exchange) {
        let client = if b.anonymous {
            &self.runner.anonymous
        } else {
            &self.runner.client
        };
        if let Some(age) = b.proof_age_secs {
            let offset = self.runner.clock_offset.load(std::sync::atomic::Ordering::SeqCst);
            // A host clock the hook can read is exact (the embedded host's is stopped between steps); otherwise
            // the host's clock is ours plus the steps.
            let stamp = match self.runner.clock.get().and_then(|c| c.host_now()) {
                Some(host_now) => Ticks::from_system_time(host_now).saturating_add_secs(age.saturating_neg()),
                None => Ticks::now().saturating_add_secs(i64::try_from(offset).unwrap_or(i64::MAX).saturating_sub(age)),
            };
            b.raw.proof.timestamp = Some(stamp);
        }
        self.runner
            .transmit(&self.case_id, client, b.raw, Some(&self.ledger))
            .await
    }

    /// Runs one request step; returns true when the case must stop.
    async fn request_step(
        &self,
        r: &Request,
        labels: &mut Labels,
        state: &mut State,
        out: &mut StepsOutcome,
        secrets: &mut Vec<String>,
    ) -> bool {
        let label = format!("{}{}", self.label_prefix, labels.next(r.kind.name()));
        if let crate::suite::RequestKind::Delay { seconds } = r.kind {
            let Some(s) = seconds else {
                out.failures
                    .push(harness_failure(&label, "Delay needs DelayTimeInSeconds"));
                return true;
            };
            // A host whose clock the harness controls (embedded) has its clock and the client's stepped instead:
            // the HasDelay groups run in milliseconds. Any other host is really waited for (run with -d).
            let Some(clock) = self.runner.clock.get() else {
                tokio::time::sleep(Duration::from_secs(u64::from(s)).min(self.runner.options.max_delay)).await;
                return false;
            };
            return match steps::step_clock(self.runner, clock.as_ref(), u64::from(s)) {
                Ok(()) => {
                    out.notes
                        .push(format!("{label}: host clock advanced by {s} s instead of waiting"));
                    false
                }
                Err(e) => {
                    out.failures
                        .push(harness_failure(&label, &format!("clock step failed: {e}")));
                    true
                }
            };
        }
        let mut built = match request::build(r, &label, self.case, self.suite, self.target, state) {
            Ok(b) => b,
            Err(e) => {
                out.failures.push(harness_failure(&label, &e.0));
                return true;
            }
        };
        if let Some(kind) = r.token_use {
            // Only a host the harness controls can mint an expired token or one for another file.
            let Some(hook) = self.runner.clock.get() else {
                out.skipped = Some(format!(
                    "<ext:AccessToken Use=\"{kind}\"> needs a token the harness can issue (embedded host only)"
                ));
                return true;
            };
            match hook.special_token(self.target, kind).await {
                Ok(t) => request::swap_token(&mut built, t),
                Err(e) => {
                    out.skipped = Some(format!("<ext:AccessToken Use=\"{kind}\">: {e}"));
                    return true;
                }
            }
        }
        secrets.push(built.token.clone());
        let (answer, ex) = self.send(built).await;
        out.transcript.push(ex);
        let failures = self.check(r, &label, &answer, state);
        let stop = failures.iter().any(|f| !f.should_only);
        out.failures.extend(failures);
        if !stop && let Answer::Response(resp) = &answer {
            save_state(r, resp, state);
        }
        stop
    }

    /// Validates one answer.
    pub(crate) fn check(&self, r: &Request, label: &str, answer: &Answer, state: &State) -> Vec<Failure> {
        match answer {
            Answer::Halted(h) => vec![Failure {
                request: label.to_string(),
                check: "Transport".into(),
                expected: "an HTTP response".into(),
                actual: h.reason().to_string(),
                rule: Some("the host must answer every request".into()),
                doc: None,
                should_only: false,
            }],
            Answer::Transport(e) => vec![Failure {
                request: label.to_string(),
                check: "Transport".into(),
                expected: "an HTTP response".into(),
                actual: e.clone(),
                rule: Some("the host must answer every request".into()),
                doc: None,
                should_only: false,
            }],
            Answer::Response(resp) => {
                let view = ResponseView {
                    status: resp.status,
                    headers: &resp.headers,
                    body: &resp.body,
                    binary: r.kind.binary_response(),
                };
                let ctx = Context {
                    label,
                    state,
                    suite: self.suite,
                    schemas: &self.runner.schemas,
                    now_ms: now_ms(),
                };
                validate::check_response(r.validators.as_deref(), &view, &ctx)
            }
        }
    }
}

/// `<SaveState>` after a request passed (engine: only then).
pub(crate) fn save_state(r: &Request, resp: &RawResponse, state: &mut State) {
    if r.save_state.is_empty() {
        return;
    }
    let json = if r.kind.binary_response() {
        None
    } else {
        std::str::from_utf8(resp.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&resp.body))
            .ok()
            .and_then(|t| validate::json::parse_lenient(t).ok())
    };
    for s in &r.save_state {
        let value = match s.source_type {
            crate::suite::StateSource::Header => {
                let values: Vec<String> = resp
                    .headers
                    .get_all(s.source.as_str())
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .collect();
                Some(values.join(",")).filter(|v| !v.is_empty())
            }
            crate::suite::StateSource::JsonBody => {
                json.as_ref().and_then(|j| match validate::json::select(j, &s.source) {
                    Ok(Some(v)) => match v {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Bool(b) => Some(bool_str(*b).into()),
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    },
                    _ => None,
                })
            }
        };
        state.set(s.name.clone(), value);
    }
}

/// Numbers repeated request labels within a case: `Lock`, `Lock#2`, ...
#[derive(Debug, Default)]
pub(crate) struct Labels {
    seen: HashMap<&'static str, usize>,
}

impl Labels {
    pub(crate) fn next(&mut self, name: &'static str) -> String {
        let n = self.seen.entry(name).or_insert(0);
        *n += 1;
        if *n == 1 {
            name.to_string()
        } else {
            format!("{name}#{n}")
        }
    }
}

pub(crate) fn harness_failure(label: &str, message: &str) -> Failure {
    Failure {
        request: label.to_string(),
        check: "Harness".into(),
        expected: "a request the harness can send".into(),
        actual: message.to_string(),
        rule: Some(message.to_string()),
        doc: None,
        should_only: false,
    }
}

fn not_run(result: &mut CaseResult, reason: impl Into<String>) {
    result.outcome = Outcome::NotRun;
    result.reason = Some(reason.into());
}

/// Whether everything that went wrong in a case is a transport failure (or an unsent request): such a case met a
/// dead host and says nothing about its rule.
fn only_transport(c: &CaseResult) -> bool {
    match c.outcome {
        Outcome::Failed => c
            .failures
            .iter()
            .filter(|f| !f.should_only)
            .all(|f| f.check == "Transport"),
        Outcome::Skipped => c
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("Transport") || r.contains("not sent:")),
        _ => false,
    }
}

/// The JSON schemas a case's checks name (JsonSchemaValidator, FramesValidator payloads), nested ones included.
fn schemas_used(case: &TestCase) -> impl Iterator<Item = &str> {
    fn walk<'a>(v: &'a Validator, out: &mut Vec<&'a str>) {
        match &v.kind {
            ValidatorKind::JsonSchema { schema } => out.push(schema),
            ValidatorKind::Frames(f) => out.push(&f.message_json_payload_schema),
            ValidatorKind::Or(vs) | ValidatorKind::And(vs) => vs.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for step in &case.requests {
        let requests: &[Request] = match step {
            Step::Request(r) => std::slice::from_ref(r),
            Step::Concurrent(c) => &c.requests,
            _ => &[],
        };
        for v in requests.iter().flat_map(|r| r.validators.iter().flatten()) {
            walk(v, &mut out);
        }
    }
    out.into_iter()
}

fn skip(result: &mut CaseResult, reason: impl Into<String>) {
    result.outcome = Outcome::Skipped;
    result.reason = Some(reason.into());
}

fn fail(result: &mut CaseResult, f: Failure) {
    result.outcome = Outcome::Failed;
    result.reason = Some(summary(&f));
    result.failures.push(f);
}

/// One line: `Lock: ResponseCodeValidator: expected status 409, got status 200`.
pub fn summary(f: &Failure) -> String {
    format!("{}: {}: expected {}, got {}", f.request, f.check, f.expected, f.actual)
}

/// Removes every token from what a case reports, transcript included.
fn scrub(result: &mut CaseResult, secrets: &[String]) {
    for f in &mut result.failures {
        f.expected = scrub_text(&f.expected, secrets);
        f.actual = scrub_text(&f.actual, secrets);
        if let Some(r) = &mut f.rule {
            *r = scrub_text(r, secrets);
        }
    }
    if let Some(r) = &mut result.reason {
        *r = scrub_text(r, secrets);
    }
    for n in &mut result.notes {
        *n = scrub_text(n, secrets);
    }
    for ex in &mut result.transcript {
        ex.scrub(secrets);
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names_and_ids() {
        assert!(glob_match("Locks::*", "Locks::Lock.Conflict"));
        assert!(glob_match("*Conflict", "Lock.Conflict"));
        assert!(glob_match("Lock.?onflict", "Lock.Conflict"));
        assert!(!glob_match("Lock", "Lock.Conflict"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn target_debug_hides_the_token() {
        let t = Target {
            wopisrc: Url::parse("http://h/wopi/files/1").unwrap(),
            access_token: "SECRET".into(),
            access_token_ttl: 0,
            instances: Vec::new(),
        };
        assert!(!format!("{t:?}").contains("SECRET"));
    }
}
