//! Host health and the run's deadline: when to stop sending.
//!
//! A host that crashed, hangs, or trickles bytes must not hold a run hostage or bury the one finding that matters
//! under hundreds of "connection refused" failures. [`Health`] counts consecutive transport failures (refused,
//! reset, closed early, timed out) over the whole run; at [`HealthLimits::failures`] in a row (or
//! [`HealthLimits::timeouts`] timeouts in a row, since each costs a whole request timeout) the host is declared
//! stopped. The first request of that streak is the one named: it is the request the host stopped answering on,
//! and often the one that crashed it. Any response, whatever its status, ends a streak.
//!
//! After the stop, and after the deadline, [`Health::halted`] tells senders not to send; the runner reports the
//! cases that were never sent, or that only met the dead host, as `not run`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use wopi_protocol::transcript::Exchange;

use crate::report::model::HostStopped;

/// How many consecutive transport failures stop a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthLimits {
    /// Transport failures of any kind in a row.
    pub failures: u32,
    /// Timeouts in a row (each already waited a whole request timeout).
    pub timeouts: u32,
}

impl Default for HealthLimits {
    fn default() -> Self {
        HealthLimits {
            failures: 3,
            timeouts: 2,
        }
    }
}

/// What kind of transport failure a request met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportKind {
    /// The request timeout passed with no complete response.
    Timeout,
    /// Refused, reset, closed before a response, malformed HTTP.
    Broken,
}

/// Why the runner stops sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The host stopped answering (the finding is in [`Health::stopped`]).
    HostStopped,
    /// `--deadline` passed.
    Deadline,
}

impl Halt {
    /// The reason a case that was not sent carries.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Halt::HostStopped => "not sent: the host had stopped answering (see the top of the report)",
            Halt::Deadline => "not sent: the run's --deadline had passed",
        }
    }
}

/// The first failure of the current streak.
#[derive(Debug, Clone)]
struct StreakStart {
    case: String,
    request: String,
    sent: String,
    error: String,
    kind: TransportKind,
}

#[derive(Debug, Default)]
struct State {
    failures: u32,
    timeouts: u32,
    start: Option<StreakStart>,
    stopped: Option<HostStopped>,
}

/// Shared by every case of a run.
#[derive(Debug)]
pub(crate) struct Health {
    limits: HealthLimits,
    request_timeout: Duration,
    /// Set when the run starts.
    deadline: std::sync::OnceLock<Instant>,
    state: Mutex<State>,
}

impl Health {
    pub(crate) fn new(limits: HealthLimits, request_timeout: Duration, deadline: Option<Instant>) -> Health {
        let cell = std::sync::OnceLock::new();
        if let Some(d) = deadline {
            let _ = cell.set(d);
        }
        Health {
            limits,
            request_timeout,
            deadline: cell,
            state: Mutex::new(State::default()),
        }
    }

    /// Starts the deadline clock (the first call wins).
    pub(crate) fn start_deadline(&self, budget: Duration) {
        let _ = self.deadline.set(Instant::now() + budget);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state holds plain counters; a panic elsewhere cannot leave them half-written.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether to stop sending, and why.
    pub(crate) fn halted(&self) -> Option<Halt> {
        if self.state().stopped.is_some() {
            return Some(Halt::HostStopped);
        }
        if self.deadline.get().is_some_and(|d| Instant::now() >= *d) {
            return Some(Halt::Deadline);
        }
        None
    }

    /// Time left before the deadline (`None`: no deadline).
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.deadline.get().map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The finding, once the host was declared stopped.
    pub(crate) fn stopped(&self) -> Option<HostStopped> {
        self.state().stopped.clone()
    }

    /// A response came back: the streak is over.
    pub(crate) fn answered(&self) {
        let mut s = self.state();
        s.failures = 0;
        s.timeouts = 0;
        s.start = None;
    }

    /// A request of case `case` met a transport failure.
    pub(crate) fn transport_failed(&self, case: &str, exchange: &Exchange, error: &str, kind: TransportKind) {
        let mut s = self.state();
        if s.stopped.is_some() {
            return;
        }
        s.failures += 1;
        if kind == TransportKind::Timeout {
            s.timeouts += 1;
        } else {
            s.timeouts = 0;
        }
        if s.start.is_none() {
            s.start = Some(StreakStart {
                case: case.to_string(),
                request: exchange.label.clone(),
                sent: sent_text(exchange),
                error: error.to_string(),
                kind,
            });
        }
        if s.failures >= self.limits.failures || s.timeouts >= self.limits.timeouts {
            let failures = s.failures;
            if let Some(start) = s.start.clone() {
                s.stopped = Some(self.finding(&start, failures));
            }
        }
    }

    fn finding(&self, start: &StreakStart, failures: u32) -> HostStopped {
        let how = match start.kind {
            TransportKind::Timeout => format!(
                "no complete response within the request timeout of {} s (the host accepts connections but does not \
                 answer, or answers too slowly)",
                self.request_timeout.as_secs_f64()
            ),
            TransportKind::Broken => format!("{}. This request probably crashed it", plain_error(&start.error)),
        };
        let message = format!(
            "The host stopped answering during `{}`: {} ({}): {how}. The harness stopped sending after {failures} \
             transport failures in a row; the cases after it were not run.",
            start.case, start.request, start.sent
        );
        HostStopped {
            case: start.case.clone(),
            request: start.request.clone(),
            sent: start.sent.clone(),
            error: start.error.clone(),
            message,
        }
    }
}

/// Headers that make a request particular (not the signature, time stamps or ids every request carries).
fn telling_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-wopi-")
        && !matches!(
            n.as_str(),
            "x-wopi-proof"
                | "x-wopi-proofold"
                | "x-wopi-timestamp"
                | "x-wopi-correlationid"
                | "x-wopi-sessionid"
                | "x-wopi-override"
        )
}

/// `POST http://h/wopi/files/1 (X-WOPI-Override PUT_RELATIVE) with X-WOPI-SuggestedTarget '+AGQ-.docx'`.
pub(crate) fn sent_text(ex: &Exchange) -> String {
    let r = &ex.request;
    let find = |name: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let mut out = format!("{} {}", r.method, r.url);
    if let Some(o) = find("X-WOPI-Override") {
        out.push_str(&format!(" (X-WOPI-Override {o})"));
    }
    let telling: Vec<String> = r
        .headers
        .iter()
        .filter(|(k, _)| telling_header(k))
        .map(|(k, v)| format!("{k} '{}'", short(v)))
        .collect();
    if !telling.is_empty() {
        out.push_str(" with ");
        out.push_str(&telling.join(", "));
    }
    if r.body_size > 0 {
        out.push_str(&format!(", {} body bytes", r.body_size));
    }
    out
}

/// A header value cut to 80 characters, so one hostile header cannot fill the summary.
fn short(v: &str) -> String {
    match v.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &v[..cut]),
        None => v.to_string(),
    }
}

/// The client's error in words a host builder reads at once.
fn plain_error(error: &str) -> String {
    let lower = error.to_ascii_lowercase();
    if lower.contains("connection closed before message completed")
        || lower.contains("incomplete")
        || lower.contains("reset")
    {
        format!("the connection closed before a response ({error})")
    } else if lower.contains("refused") {
        format!("the connection was refused ({error})")
    } else {
        error.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wopi_protocol::transcript::{RecordedOutcome, RecordedRequest};

    fn exchange(label: &str) -> Exchange {
        Exchange {
            label: label.into(),
            request: RecordedRequest {
                method: "POST".into(),
                url: "http://h/wopi/files/1?access_token=[redacted]".into(),
                headers: vec![
                    ("X-WOPI-Override".into(), "PUT_RELATIVE".into()),
                    ("X-WOPI-SuggestedTarget".into(), "+AGQ-.docx".into()),
                    ("X-WOPI-Proof".into(), "abc".into()),
                ],
                body_size: 3,
                body_preview: String::new(),
            },
            outcome: RecordedOutcome::TransportError {
                message: "closed".into(),
            },
            elapsed_ms: 1.0,
        }
    }

    #[test]
    fn the_first_request_of_the_streak_is_named() {
        let h = Health::new(HealthLimits::default(), Duration::from_secs(10), None);
        h.transport_failed(
            "ext_naming::G::C",
            &exchange("PutRelativeFile"),
            "transport failure: connection closed before message completed",
            TransportKind::Broken,
        );
        assert!(h.halted().is_none());
        h.transport_failed(
            "ext_naming::G::D",
            &exchange("Lock"),
            "cannot connect: refused",
            TransportKind::Broken,
        );
        h.transport_failed(
            "ext_naming::G::E",
            &exchange("Lock"),
            "cannot connect: refused",
            TransportKind::Broken,
        );
        assert_eq!(h.halted(), Some(Halt::HostStopped));
        let s = h.stopped().expect("stopped");
        assert_eq!(s.case, "ext_naming::G::C");
        assert_eq!(s.request, "PutRelativeFile");
        assert!(s.sent.contains("X-WOPI-SuggestedTarget '+AGQ-.docx'"), "{}", s.sent);
        assert!(!s.sent.contains("X-WOPI-Proof"), "{}", s.sent);
        assert!(s.message.contains("probably crashed it"), "{}", s.message);
        assert!(s.message.contains("closed before a response"), "{}", s.message);
    }

    #[test]
    fn a_response_ends_the_streak() {
        let h = Health::new(HealthLimits::default(), Duration::from_secs(10), None);
        for _ in 0..2 {
            h.transport_failed("a", &exchange("Lock"), "refused", TransportKind::Broken);
        }
        h.answered();
        for _ in 0..2 {
            h.transport_failed("b", &exchange("Lock"), "refused", TransportKind::Broken);
        }
        assert!(h.halted().is_none());
    }

    #[test]
    fn two_timeouts_stop_the_run() {
        let h = Health::new(HealthLimits::default(), Duration::from_secs(10), None);
        h.transport_failed(
            "a",
            &exchange("CheckFileInfo"),
            "no complete response",
            TransportKind::Timeout,
        );
        h.transport_failed("b", &exchange("Lock"), "no complete response", TransportKind::Timeout);
        let s = h.stopped().expect("stopped");
        assert!(s.message.contains("request timeout of 10 s"), "{}", s.message);
    }

    #[test]
    fn a_passed_deadline_halts() {
        let h = Health::new(HealthLimits::default(), Duration::from_secs(10), Some(Instant::now()));
        assert_eq!(h.halted(), Some(Halt::Deadline));
    }
}
