//! The JUnit report (`--junit`), built with quick-junit so CI systems show one test per case.
//!
//! - one `<testsuite>` per `suite::group`, in run order; one `<testcase>` per case, `classname` = `suite::group`;
//! - failed: `<failure message="first failure on one line" type="check">` whose text is every failure followed by
//!   the transcript (method, redacted URL, status, headers, body previews);
//! - skipped: `<skipped message="reason">`; not run: `<skipped message="not run: reason">`;
//! - blocked: `<error type="Blocked" message="blocked: reason">` (the run could not check the case's rule);
//! - the run's headlines (host stopped, deadline, blocked by another case) and root causes: `<system-out>` of a
//!   first `<testsuite name="run">` that holds no test cases;
//! - warning: a passing test case (a SHOULD is not a failure) with the unmet recommendations in `<system-out>`;
//! - `time` on the report, every suite and every case.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::{CaseResult, Outcome, RunReport};
use super::text::{case_reason, doc_url, failures_text, transcript_text};
use super::{ReportError, write_atomic};

/// Builds the quick-junit model of a run.
pub fn build(report: &RunReport) -> Report {
    let mut junit = Report::new("wopi-conformance");
    junit.set_time(duration(report.duration_ms));
    let mut suites: Vec<(String, TestSuite, f64)> = Vec::new();
    let overview = super::text::overview_text(report);
    if !overview.is_empty() {
        let mut run = TestSuite::new("run");
        run.set_system_out(overview);
        suites.push(("run".to_string(), run, 0.0));
    }
    for case in &report.cases {
        let key = format!("{}::{}", case.suite, case.group);
        let index = match suites.iter().position(|(k, _, _)| *k == key) {
            Some(i) => i,
            None => {
                suites.push((key.clone(), TestSuite::new(key.as_str()), 0.0));
                suites.len() - 1
            }
        };
        let (_, suite, time) = &mut suites[index];
        *time += finite(case.duration_ms);
        suite.add_test_case(test_case(case, &key));
    }
    for (_, mut suite, time) in suites {
        suite.set_time(duration(time));
        junit.add_test_suite(suite);
    }
    junit
}

/// The JUnit XML of a run.
pub fn to_string(report: &RunReport) -> Result<String, ReportError> {
    build(report).to_string().map_err(ReportError::SerializeJunit)
}

/// Writes the JUnit XML to `path` atomically.
pub fn write(report: &RunReport, path: &Path) -> Result<(), ReportError> {
    write_atomic(path, to_string(report)?.as_bytes())
}

fn test_case(case: &CaseResult, classname: &str) -> TestCase {
    let reason = case_reason(case);
    let status = match case.outcome {
        Outcome::Passed | Outcome::Warning => TestCaseStatus::success(),
        Outcome::Failed => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(reason.as_deref().unwrap_or("failed"));
            if let Some(first) = case.failures.first() {
                s.set_type(first.check.as_str());
            }
            s.set_description(details(case));
            s
        }
        Outcome::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason.as_deref().unwrap_or("skipped"));
            s
        }
        // Blocked is not a verdict on the case's rule, so it is an error (the run could not check it), not a failure.
        Outcome::Blocked => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(format!(
                "blocked: {}",
                reason.as_deref().unwrap_or("no reason recorded")
            ));
            s.set_type("Blocked");
            s.set_description(details(case));
            s
        }
        Outcome::NotRun => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!(
                "not run: {}",
                reason.as_deref().unwrap_or("no reason recorded")
            ));
            s
        }
    };
    let mut tc = TestCase::new(case.name.as_str(), status);
    tc.set_classname(classname);
    tc.set_time(duration(case.duration_ms));
    tc.add_property(("category", case.category.as_str()));
    if let Some(configuration) = &case.configuration {
        tc.add_property(("configuration", configuration.as_str()));
    }
    if case.outcome == Outcome::Warning {
        let mut out = String::from("warning: passed, but a recommendation (SHOULD) is not met\n");
        if let Some(r) = &reason {
            out.push_str(r);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&details(case));
        tc.set_system_out(out);
    }
    tc
}

/// The requirement, every failure, then the transcript.
fn details(case: &CaseResult) -> String {
    let mut text = String::new();
    if !case.description.trim().is_empty() {
        text.push_str(&format!("Requirement: {}\n", case.description.trim()));
    }
    if let Some(doc) = &case.doc {
        text.push_str(&format!(
            "Documentation: {}\n",
            doc_url(doc).unwrap_or_else(|| doc.page.clone())
        ));
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&failures_text(&case.failures));
    if !case.transcript.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str("Transcript:\n");
        text.push_str(&transcript_text(&case.transcript));
    }
    text
}

fn finite(ms: f64) -> f64 {
    if ms.is_finite() && ms > 0.0 { ms } else { 0.0 }
}

fn duration(ms: f64) -> Duration {
    Duration::from_secs_f64(finite(ms) / 1000.0)
}
