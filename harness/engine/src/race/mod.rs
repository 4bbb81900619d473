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

use std::time::Duration;

use tokio::time::Instant;
use wopi_mock_office::client::{WopiClient, WopiTarget};
use wopi_protocol::transcript::Exchange;

use crate::report::model::{DocRef, Failure};

pub use check::{Rule, Violation};
pub use run::{History, Schedule};
// The race's parameters are part of the suite model (`<ext:LockRace>`), so the parser needs no engine module.
pub use crate::suite::race_config::{MAX_CLIENTS, MAX_OPERATIONS, OpMix, RaceConfig};

/// How many times a reduced schedule is run before it is judged to pass.
const SHRINK_TRIES: u32 = 3;
/// Exchanges of a passing race kept in a suite step's transcript (a failing one keeps its whole shrunk run).
const TRANSCRIPT_ON_PASS: usize = 50;
/// How long requests still in flight at the end of the budget may take before they are abandoned.
const GRACE: Duration = Duration::from_secs(5);

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
