//! Our extension steps (suites/README.md): what the validator cannot express.
//!
//! - `<ext:Concurrent>` sends its requests at the same time, checks each answer with its own validators, then
//!   checks the combined outcome (`<ext:ExpectStatus Code Exactly|AtLeast|AtMost>`).
//! - `<ext:RotateKeys/>` rotates the mock client's proof keys (next → current → old).
//! - `<ext:AdvanceClock Seconds>` steps the host's clock through [`super::ClockControl`]; without one (an
//!   external host) the case is skipped with that reason.
//! - `<ext:PostMessage>` runs through a [`super::PostMessageDriver`] (a browser); without one the case is skipped.
//! - `<ext:ForEach>` never reaches the runner: it is expanded when the suite is loaded.

use std::time::Duration;

use wopi_mock_office::client::WopiTarget;
use wopi_mock_office::keys;

use super::{Answer, CaseExec, Labels, StepsOutcome, harness_failure, request, save_state};
use crate::report::model::Failure;
use crate::suite::Step;
use crate::validate::State;

/// The docs' lock lifetime (rest/concepts.rst: 'WOPI locks must automatically expire after 30 minutes').
const LOCK_LIFETIME_SECS: f64 = 1800.0;

/// Steps the host's clock (and the client's with it, [`super::ClockControl::advance`]) by `seconds`, and keeps the
/// proofs the harness signs on the host's time.
pub(super) fn step_clock(runner: &super::Inner, clock: &dyn super::ClockControl, seconds: u64) -> Result<(), String> {
    clock.advance(Duration::from_secs(seconds))?;
    runner
        .clock_offset
        .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// Runs one extension step; returns true when the case must stop.
pub(super) async fn extension_step(
    exec: &CaseExec<'_>,
    step: &Step,
    labels: &mut Labels,
    state: &mut State,
    out: &mut StepsOutcome,
    secrets: &mut Vec<String>,
) -> bool {
    match step {
        Step::Request(_) => false,
        Step::RotateKeys { .. } => {
            let label = format!("{}{}", exec.label_prefix, labels.next("RotateKeys"));
            let keys = exec.runner.client.keys().clone();
            // Key generation is CPU work: keep it off the async workers.
            let rotated =
                tokio::task::spawn_blocking(move || keys::write(&keys).rotate().map_err(|e| e.to_string())).await;
            match rotated {
                Ok(Ok(())) => {
                    out.notes
                        .push(format!("{label}: the mock client rotated its proof keys"));
                    false
                }
                Ok(Err(e)) => {
                    out.failures
                        .push(harness_failure(&label, &format!("key rotation failed: {e}")));
                    true
                }
                Err(e) => {
                    out.failures
                        .push(harness_failure(&label, &format!("key rotation failed: {e}")));
                    true
                }
            }
        }
        Step::AdvanceClock {
            seconds, lock_expiry, ..
        } => {
            let label = format!("{}{}", exec.label_prefix, labels.next("AdvanceClock"));
            match exec.runner.clock.get() {
                None => match exec.runner.options.lock_ttl.filter(|_| *lock_expiry) {
                    Some(ttl) => {
                        // The docs' 30 minutes become the host's TTL: the step keeps its place relative to expiry.
                        let wait = ttl.mul_f64(*seconds as f64 / LOCK_LIFETIME_SECS);
                        let wait = exec.runner.health.remaining().map_or(wait, |left| wait.min(left));
                        tokio::time::sleep(wait).await;
                        out.notes.push(format!(
                            "{label}: waited {:.1} s for {seconds} s of lock time (--lock-ttl {} s)",
                            wait.as_secs_f64(),
                            ttl.as_secs_f64()
                        ));
                        false
                    }
                    None => {
                        let hint = if *lock_expiry {
                            "; give --lock-ttl with the host's shortened lock lifetime to run it by waiting"
                        } else {
                            ""
                        };
                        out.skipped = Some(format!(
                            "{label}: the host's clock cannot be stepped (only the embedded reference host supports \
                             clock steps){hint}"
                        ));
                        true
                    }
                },
                Some(clock) => match step_clock(exec.runner, clock.as_ref(), *seconds) {
                    Ok(()) => {
                        out.notes.push(format!("{label}: host clock advanced by {seconds} s"));
                        false
                    }
                    Err(e) => {
                        out.failures
                            .push(harness_failure(&label, &format!("clock step failed: {e}")));
                        true
                    }
                },
            }
        }
        Step::LockRace { config, .. } => {
            let label = format!("{}{}", exec.label_prefix, labels.next("LockRace"));
            let target = WopiTarget::new(exec.target.wopisrc.clone(), exec.target.access_token.clone());
            let mut config = config.clone();
            // Proofs follow the host's clock when <ext:AdvanceClock> stepped it.
            config.clock_offset =
                Duration::from_secs(exec.runner.clock_offset.load(std::sync::atomic::Ordering::SeqCst));
            config.instances = exec.target.instances.clone();
            let report = crate::race::run_step(&exec.runner.client, &target, &config, &label).await;
            out.transcript.extend(report.transcript);
            out.notes.extend(report.notes);
            let stop = !report.failures.is_empty();
            out.failures.extend(report.failures);
            stop
        }
        Step::PostMessage(p) => {
            let label = format!("{}{}", exec.label_prefix, labels.next("PostMessage"));
            let Some(driver) = exec.runner.post_message.get() else {
                out.skipped = Some(format!(
                    "{label} ({} page, expecting {}) needs a browser; none is configured for this run",
                    p.action,
                    p.expect_message.as_deref().unwrap_or("no message")
                ));
                return true;
            };
            let r = driver.run_step(p, exec.target, &label).await;
            out.notes.extend(r.notes);
            out.screenshots.extend(r.screenshots);
            if let Some(reason) = r.skipped {
                out.skipped = Some(reason);
                return true;
            }
            let stop = r.failures.iter().any(|f| !f.should_only);
            out.failures.extend(r.failures);
            stop
        }
        Step::Concurrent(c) => {
            let mut built = Vec::new();
            for r in &c.requests {
                for _ in 0..c.repeat {
                    let label = format!("{}{}", exec.label_prefix, labels.next(r.kind.name()));
                    match request::build(r, &label, exec.case, exec.suite, exec.target, state) {
                        Ok(b) => {
                            secrets.push(b.token.clone());
                            built.push((r, label, b));
                        }
                        Err(e) => {
                            out.failures.push(harness_failure(&label, &e.0));
                            return true;
                        }
                    }
                }
            }
            let sends = built.into_iter().map(|(r, label, b)| async move {
                let (answer, ex) = exec.send(b).await;
                (r, label, answer, ex)
            });
            let answers = futures_util::future::join_all(sends).await;
            let mut statuses = Vec::with_capacity(answers.len());
            let mut failures: Vec<Failure> = Vec::new();
            for (r, label, answer, ex) in &answers {
                out.transcript.push(ex.clone());
                failures.extend(exec.check(r, label, answer, state));
                statuses.push(match answer {
                    Answer::Response(resp) => Some(resp.status),
                    Answer::Transport(_) | Answer::Halted(_) => None,
                });
            }
            let shown: Vec<String> = statuses
                .iter()
                .map(|s| s.map_or_else(|| "transport error".to_string(), |s| s.to_string()))
                .collect();
            for e in &c.expect {
                let n = u32::try_from(statuses.iter().filter(|s| **s == Some(e.code)).count()).unwrap_or(u32::MAX);
                if !e.count.holds(n) {
                    failures.push(Failure {
                        request: format!("{}Concurrent", exec.label_prefix),
                        check: format!("ExpectStatus {}", e.code),
                        expected: format!("{} answers with status {}", e.count, e.code),
                        actual: format!("{n} (statuses: {})", shown.join(", ")),
                        rule: Some("the combined outcome of concurrent requests must be consistent".into()),
                        doc: None,
                        should_only: false,
                    });
                }
            }
            let stop = failures.iter().any(|f| !f.should_only);
            if !stop {
                // State from concurrent answers is saved in document order.
                for (r, _, answer, _) in &answers {
                    if let Answer::Response(resp) = answer {
                        save_state(r, resp, state);
                    }
                }
            }
            out.failures.extend(failures);
            stop
        }
    }
}
