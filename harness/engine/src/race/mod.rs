//! The lock-race suite: N clients race the lock family (Lock, Unlock, RefreshLock, UnlockAndRelock, GetLock,
//! PutFile, GetFile) on one file from a fixed seed, and the history is judged against the lock rules of
//! `rest/files/*.rst`.
//!
//! - [`model`]: the sequential lock model of one file.
//! - [`run`]: the seeded schedule and its concurrent execution over HTTP, recorded on one monotonic clock.
//! - [`check`]: the rules (answers, losers told the holder, one holder at a time, content, linearizability).
//!
//! [`run_race`] runs one race; when a rule breaks it shrinks the schedule (re-running reduced schedules, dropping
//! later operations, whole clients, then chunks of operations, greedily) and reports the shortest interleaving
//! that still broke a rule. Races are timing-dependent, so each reduced schedule gets a few tries before it is
//! judged to pass.

pub mod check;
pub mod model;
pub mod run;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio::time::Instant;
use wopi_mock_office::client::{WopiClient, WopiTarget};
use wopi_protocol::transcript::Exchange;

use crate::report::model::{DocRef, Failure};

pub use check::{Rule, Violation};
pub use run::{History, Schedule};

/// The most clients a race may have.
pub const MAX_CLIENTS: u16 = 64;
/// The most operations a race may plan (bounds the history the linearizability search sees).
pub const MAX_OPERATIONS: u32 = 2_000;
/// How many times a reduced schedule is run before it is judged to pass.
const SHRINK_TRIES: u32 = 3;
/// Exchanges of a passing race kept in a suite step's transcript (a failing one keeps its whole shrunk run).
const TRANSCRIPT_ON_PASS: usize = 50;
/// How long requests still in flight at the end of the budget may take before they are abandoned.
const GRACE: Duration = Duration::from_secs(5);

/// Which operations the clients race.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpMix {
    /// Lock with each client's own ID only.
    LockOnly,
    /// Lock, Unlock (own, learned and other IDs), RefreshLock, GetLock.
    LockUnlock,
    /// Lock, UnlockAndRelock (with own, learned and stale old IDs), Unlock, GetLock.
    Relock,
    /// Lock, Unlock, PutFile with own, learned, stale and other clients' IDs (unique bodies), GetFile.
    PutFile,
    /// All of the above, and RefreshLock with stale IDs.
    #[default]
    Mixed,
}

impl OpMix {
    /// Every mix, as written in suites.
    pub const ALL: [OpMix; 5] = [
        OpMix::LockOnly,
        OpMix::LockUnlock,
        OpMix::Relock,
        OpMix::PutFile,
        OpMix::Mixed,
    ];

    /// The name used in suites (`Mix="..."`).
    pub fn name(self) -> &'static str {
        match self {
            OpMix::LockOnly => "LockOnly",
            OpMix::LockUnlock => "LockUnlock",
            OpMix::Relock => "Relock",
            OpMix::PutFile => "PutFile",
            OpMix::Mixed => "Mixed",
        }
    }
}

impl fmt::Display for OpMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OpMix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OpMix::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<&str> = OpMix::ALL.iter().map(|m| m.name()).collect();
            format!("Mix=\"{s}\" is unknown; expected one of: {}", names.join(", "))
        })
    }
}

/// One race's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceConfig {
    /// Concurrent clients (1..=[`MAX_CLIENTS`]).
    pub clients: u16,
    /// Planned operations, dealt round-robin to the clients (1..=[`MAX_OPERATIONS`]).
    pub operations: u32,
    /// The schedule's seed.
    pub seed: u64,
    pub mix: OpMix,
    /// Wall-clock budget of one run; clients stop sending when it is over.
    pub budget: Duration,
    /// Wall-clock budget for shrinking a failure.
    pub shrink_budget: Duration,
    /// Step limit of the linearizability search.
    pub max_search_steps: u64,
    /// How far the host's clock was stepped ahead of real time (the runner's `<ext:AdvanceClock>` total): proofs
    /// are timestamped that far ahead, on the host's timeline. Not a suite attribute.
    pub clock_offset: Duration,
    /// The host's instances (see [`crate::instances`]): client `i` sends through instance `i` modulo their number,
    /// so a lock kept per instance, or checked and set in separate transactions, loses the race. Not a suite
    /// attribute; empty for one instance.
    pub instances: Vec<url::Url>,
}

impl Default for RaceConfig {
    fn default() -> Self {
        RaceConfig {
            clients: 16,
            operations: 400,
            seed: 42,
            mix: OpMix::Mixed,
            budget: Duration::from_secs(30),
            shrink_budget: Duration::from_secs(30),
            max_search_steps: 5_000_000,
            clock_offset: Duration::ZERO,
            instances: Vec::new(),
        }
    }
}

impl RaceConfig {
    /// The attributes of `<ext:LockRace>` in a suite.
    pub const ATTRIBUTES: &'static [&'static str] =
        &["Clients", "Operations", "Seed", "Mix", "BudgetSeconds", "ShrinkSeconds"];

    /// A configuration from suite attributes (any of [`RaceConfig::ATTRIBUTES`]; the rest default). The error
    /// says which attribute is wrong and what was expected.
    pub fn from_attributes<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<RaceConfig, String> {
        fn number<T: FromStr>(name: &str, value: &str, what: &str) -> Result<T, String> {
            value
                .trim()
                .parse()
                .map_err(|_| format!("{name}=\"{value}\" is not {what}"))
        }
        let mut c = RaceConfig::default();
        for (name, value) in attrs {
            match name {
                "Clients" => c.clients = number(name, value, "a whole number")?,
                "Operations" => c.operations = number(name, value, "a whole number")?,
                "Seed" => c.seed = number(name, value, "a whole number")?,
                "Mix" => c.mix = value.parse()?,
                "BudgetSeconds" => c.budget = Duration::from_secs(number(name, value, "a whole number of seconds")?),
                "ShrinkSeconds" => {
                    c.shrink_budget = Duration::from_secs(number(name, value, "a whole number of seconds")?)
                }
                other => {
                    return Err(format!(
                        "unknown attribute {other} on <ext:LockRace>; expected one of: {}",
                        Self::ATTRIBUTES.join(", ")
                    ));
                }
            }
        }
        c.validate()?;
        Ok(c)
    }

    /// Whether the numbers are in range.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_CLIENTS).contains(&self.clients) {
            return Err(format!("Clients must be between 1 and {MAX_CLIENTS}"));
        }
        if !(1..=MAX_OPERATIONS).contains(&self.operations) {
            return Err(format!("Operations must be between 1 and {MAX_OPERATIONS}"));
        }
        if self.budget.is_zero() || self.budget > Duration::from_secs(600) {
            return Err("BudgetSeconds must be between 1 and 600".to_owned());
        }
        if self.shrink_budget > Duration::from_secs(600) {
            return Err("ShrinkSeconds must be at most 600".to_owned());
        }
        Ok(())
    }
}

/// Why a race could not be judged at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RaceError {
    /// The configuration is out of range.
    #[error("invalid lock race: {0}")]
    Config(String),
    /// Preparing the file failed (the host did not answer GetLock or GetFile before the race).
    #[error("{0}")]
    Setup(String),
}

/// A broken rule, after shrinking.
#[derive(Debug, Clone)]
pub struct RaceFailure {
    pub rule: Rule,
    /// One line: what broke.
    pub summary: String,
    /// The operations of the reported (shrunk) run, the final reads included.
    pub operations: usize,
    /// The operations planned in the first run.
    pub original_operations: usize,
    /// The shrunk run's history.
    pub history: History,
    /// The operations of `history` the violation points at.
    pub marked: Vec<usize>,
}

impl RaceFailure {
    /// The failure message: the summary, the rule, and the interleaving that broke it.
    pub fn message(&self, seed: u64) -> String {
        format!(
            "{}\nrule: {}\nshortest failing interleaving found ({} operations, from {} planned; seed {seed}, run {}):\n{}",
            self.summary,
            self.rule.statement(),
            self.operations,
            self.original_operations,
            self.history.tag,
            check::interleaving(&self.history, &self.marked)
        )
    }
}

/// The result of [`run_race`].
#[derive(Debug, Clone)]
pub struct RaceOutcome {
    pub config: RaceConfig,
    /// Runs made (the first one and every shrinking run).
    pub runs: u32,
    /// Operations in the first run's history.
    pub first_run_operations: usize,
    pub elapsed: Duration,
    /// Remarks that are not failures.
    pub notes: Vec<String>,
    /// `None` when every rule held.
    pub failure: Option<RaceFailure>,
    /// The exchanges of the reported run (the shrunk failing run, or the first run), in send order.
    pub transcript: Vec<Exchange>,
}

impl RaceOutcome {
    /// The failure as a report entry for request `label`, `None` when it passed.
    pub fn report_failure(&self, label: &str) -> Option<Failure> {
        let f = self.failure.as_ref()?;
        Some(Failure {
            request: label.to_owned(),
            check: format!("LockRace {}", f.rule.name()),
            expected: f.rule.statement().to_owned(),
            actual: f.message(self.config.seed),
            rule: Some(f.rule.statement().to_owned()),
            doc: Some(DocRef {
                page: f.rule.doc_page().to_owned(),
                url: None,
            }),
            should_only: false,
        })
    }

    /// Whether every rule held.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// The failure message, if it failed.
    pub fn failure_message(&self) -> Option<String> {
        self.failure.as_ref().map(|f| f.message(self.config.seed))
    }
}

/// Runs and checks schedules, counting runs.
struct Racer<'a> {
    client: &'a WopiClient,
    target: &'a WopiTarget,
    config: &'a RaceConfig,
    runs: u32,
    /// Random per call of [`run_race`]: two races on one file with the same seed (the validator's one-file mode)
    /// must not share lock IDs or bodies, or a body left by the first would pass for one the second sent.
    nonce: String,
}

impl Racer<'_> {
    async fn run(&mut self, schedule: &Schedule) -> Result<(History, check::CheckReport), RaceError> {
        let tag = format!("s{}r{}.{}", self.config.seed, self.runs, self.nonce);
        self.runs += 1;
        let timing = run::Timing {
            budget: self.config.budget,
            grace: GRACE,
            clock_offset: self.config.clock_offset,
            instances: self.config.instances.clone(),
        };
        let history = run::execute(self.client, self.target, schedule, &tag, timing).await?;
        let report = check::check(&history, self.config.max_search_steps);
        Ok((history, report))
    }

    /// Runs `schedule` up to [`SHRINK_TRIES`] times; the first failing history, if any.
    async fn fails(&mut self, schedule: &Schedule) -> Result<Option<(History, Violation)>, RaceError> {
        for _ in 0..SHRINK_TRIES {
            let (history, report) = self.run(schedule).await?;
            if let Some(v) = report.violation {
                return Ok(Some((history, v)));
            }
        }
        Ok(None)
    }
}

/// Runs the race `config` describes against `target`, and on failure shrinks it to the shortest interleaving
/// found that still fails. The file is left unlocked when the host allows it.
///
/// Errors only when the file cannot be prepared (the host does not answer GetLock/GetFile before the race);
/// everything the host does during the race is judged into the outcome.
pub async fn run_race(client: &WopiClient, target: &WopiTarget, config: &RaceConfig) -> Result<RaceOutcome, RaceError> {
    config.validate().map_err(RaceError::Config)?;
    let started = Instant::now();
    let schedule = Schedule::generate(config.seed, config.clients, config.operations, config.mix);
    let mut racer = Racer {
        client,
        target,
        config,
        runs: 0,
        nonce: uuid::Uuid::new_v4().simple().to_string().chars().take(6).collect(),
    };
    let (history, report) = racer.run(&schedule).await?;
    let first_run_operations = history.ops.len();
    let mut notes = report.notes;
    if history.budget_exhausted {
        notes.push(format!(
            "the {} s budget ended the race before every planned operation was sent",
            config.budget.as_secs()
        ));
    }
    let Some(violation) = report.violation else {
        cleanup(client, target, config.clock_offset).await;
        return Ok(RaceOutcome {
            config: config.clone(),
            runs: racer.runs,
            first_run_operations,
            elapsed: started.elapsed(),
            notes,
            failure: None,
            transcript: transcript(&history),
        });
    };
    let (schedule, history, violation) = shrink(&mut racer, schedule, history, violation).await?;
    cleanup(client, target, config.clock_offset).await;
    let failure = RaceFailure {
        rule: violation.rule,
        summary: violation.message.clone(),
        operations: history.ops.len(),
        original_operations: config.operations as usize,
        marked: violation.ops.clone(),
        history,
    };
    tracing::debug!(planned = schedule.len(), runs = racer.runs, "lock race shrunk");
    Ok(RaceOutcome {
        config: config.clone(),
        runs: racer.runs,
        first_run_operations,
        elapsed: started.elapsed(),
        notes,
        transcript: transcript(&failure.history),
        failure: Some(failure),
    })
}

/// What a suite step gets from a race: failures for the report, notes, and the exchanges of the reported run.
#[derive(Debug, Clone, Default)]
pub struct StepReport {
    pub failures: Vec<Failure>,
    pub notes: Vec<String>,
    pub transcript: Vec<Exchange>,
}

/// [`run_race`] as one suite step labelled `label` (the runner's `<ext:LockRace>`): a broken rule or a file that
/// cannot be prepared is a failure with its message; a pass adds a note with the race's size and time.
pub async fn run_step(client: &WopiClient, target: &WopiTarget, config: &RaceConfig, label: &str) -> StepReport {
    match run_race(client, target, config).await {
        Ok(outcome) => {
            let mut notes = outcome.notes.clone();
            notes.push(format!(
                "{label}: {} clients, {} operations ({}), seed {}: {} in {} run(s), {:.1} s",
                config.clients,
                config.operations,
                config.mix,
                config.seed,
                if outcome.passed() {
                    "every rule held"
                } else {
                    "a rule broke"
                },
                outcome.runs,
                outcome.elapsed.as_secs_f64()
            ));
            let failures: Vec<Failure> = outcome.report_failure(label).into_iter().collect();
            let mut transcript = outcome.transcript;
            if failures.is_empty() && transcript.len() > TRANSCRIPT_ON_PASS {
                notes.push(format!(
                    "{label}: the transcript keeps the first {TRANSCRIPT_ON_PASS} of {} exchanges",
                    transcript.len()
                ));
                transcript.truncate(TRANSCRIPT_ON_PASS);
            }
            StepReport {
                failures,
                notes,
                transcript,
            }
        }
        Err(e) => StepReport {
            failures: vec![Failure {
                request: label.to_owned(),
                check: "LockRace setup".to_owned(),
                expected: "the file answers GetLock and GetFile with 200 before the race".to_owned(),
                actual: e.to_string(),
                rule: None,
                doc: None,
                should_only: false,
            }],
            notes: Vec::new(),
            transcript: Vec::new(),
        },
    }
}

fn transcript(history: &History) -> Vec<Exchange> {
    history.ops.iter().map(|o| o.exchange.clone()).collect()
}

/// Greedy shrinking within the shrink budget: cut every operation planned after the ones that broke the rule,
/// then drop whole clients, then chunks of operations (halving the chunk size down to one).
async fn shrink(
    racer: &mut Racer<'_>,
    schedule: Schedule,
    history: History,
    violation: Violation,
) -> Result<(Schedule, History, Violation), RaceError> {
    let deadline = Instant::now() + racer.config.shrink_budget;
    let mut best = (schedule, history, violation);

    // Operations planned after the last one involved cannot have caused it (unless the final reads saw it).
    let involved = best
        .2
        .ops
        .iter()
        .map(|&i| best.1.ops[i].planned)
        .max()
        .unwrap_or(u32::MAX);
    if involved != u32::MAX {
        let later: Vec<u32> = best.0.op_ids().into_iter().filter(|&id| id > involved).collect();
        if !later.is_empty() {
            let candidate = best.0.without(&later);
            if let Some((h, v)) = racer.fails(&candidate).await? {
                best = (candidate, h, v);
            }
        }
    }

    let clients: Vec<u16> = best.0.clients.iter().map(|c| c.client).collect();
    for client in clients {
        if Instant::now() >= deadline || best.0.clients.len() <= 1 {
            break;
        }
        let ids: Vec<u32> = best
            .0
            .clients
            .iter()
            .filter(|c| c.client == client)
            .flat_map(|c| c.ops.iter().map(|o| o.id))
            .collect();
        let candidate = best.0.without(&ids);
        if candidate.is_empty() {
            continue;
        }
        if let Some((h, v)) = racer.fails(&candidate).await? {
            best = (candidate, h, v);
        }
    }

    let mut chunk = (best.0.len() / 2).max(1);
    'sizes: loop {
        let mut ids = best.0.op_ids();
        ids.sort_unstable();
        let mut at = 0;
        while at < ids.len() {
            if Instant::now() >= deadline {
                break 'sizes;
            }
            let end = (at + chunk).min(ids.len());
            let candidate = best.0.without(&ids[at..end]);
            if !candidate.is_empty()
                && let Some((h, v)) = racer.fails(&candidate).await?
            {
                best = (candidate, h, v);
                ids = best.0.op_ids();
                ids.sort_unstable();
                continue;
            }
            at = end;
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    Ok(best)
}

/// Releases whatever lock the race left (best effort: the verdict is already made).
async fn cleanup(client: &WopiClient, target: &WopiTarget, clock_offset: Duration) {
    for _ in 0..3 {
        let (result, _) = client
            .execute(run::SentCall::GetLock.request(target, clock_offset))
            .await;
        let Some(lock) = result
            .ok()
            .and_then(|r| r.header(wopi_protocol::headers::X_WOPI_LOCK).map(str::to_owned))
            .filter(|l| !l.is_empty())
        else {
            return;
        };
        let _ = client
            .execute(run::SentCall::Unlock { lock }.request(target, clock_offset))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_attributes_parse_and_bad_ones_are_explained() {
        let c = RaceConfig::from_attributes([
            ("Clients", "8"),
            ("Operations", "100"),
            ("Seed", "7"),
            ("Mix", "Relock"),
        ])
        .unwrap();
        assert_eq!((c.clients, c.operations, c.seed, c.mix), (8, 100, 7, OpMix::Relock));
        assert_eq!(RaceConfig::from_attributes([]).unwrap(), RaceConfig::default());
        let e = RaceConfig::from_attributes([("Mix", "Everything")]).unwrap_err();
        assert!(e.contains("LockOnly, LockUnlock, Relock, PutFile, Mixed"), "{e}");
        let e = RaceConfig::from_attributes([("Clients", "0")]).unwrap_err();
        assert!(e.contains("between 1 and 64"), "{e}");
        let e = RaceConfig::from_attributes([("Clients", "many")]).unwrap_err();
        assert!(e.contains("not a whole number"), "{e}");
        let e = RaceConfig::from_attributes([("Clinets", "3")]).unwrap_err();
        assert!(e.contains("unknown attribute Clinets"), "{e}");
    }
}
