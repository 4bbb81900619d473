//! Every report format rendered from one fixed run: snapshots, a JSON round trip, the schema document checked
//! against real output, escaping of a hostile host's data, and the HTML page opened in headless Chromium.
//!
//! Review snapshot changes with `cargo insta review` (or `INSTA_UPDATE=always` and `git diff`).

// A test that unwraps fails with the error, which is what a test should do.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use wopi_harness::report::console::{self, ConsoleReporter, Progress};
use wopi_harness::report::{
    CaseResult, DocRef, Failure, HostStopped, Outcome, ReportError, ReportOutputs, RunReport, SCHEMA_VERSION,
    TargetInfo, html, json, junit, markdown, render_from_json, write_reports,
};
use wopi_protocol::transcript::{Exchange, RecordedOutcome, RecordedRequest};

/// A 1×1 PNG.
const PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const HOSTILE_BODY: &str = "<script>alert(1)</script>";

fn headers(h: &[(&str, &str)]) -> Vec<(String, String)> {
    h.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn exchange(
    label: &str,
    method: &str,
    url: &str,
    req: &[(&str, &str)],
    status: u16,
    resp: &[(&str, &str)],
    body: &str,
) -> Exchange {
    Exchange {
        label: label.into(),
        request: RecordedRequest {
            method: method.into(),
            url: url.into(),
            headers: headers(req),
            body_size: 0,
            body_preview: String::new(),
        },
        outcome: RecordedOutcome::Response {
            status,
            headers: headers(resp),
            body_size: body.len() as u64,
            body_preview: body.into(),
        },
        elapsed_ms: 3.25,
    }
}

fn lock_doc() -> DocRef {
    DocRef {
        page: "rest/files/Lock.rst".into(),
        url: None,
    }
}

fn case(group: &str, name: &str, outcome: Outcome) -> CaseResult {
    CaseResult {
        id: format!("core::{group}::{name}"),
        suite: "core".into(),
        group: group.into(),
        name: name.into(),
        category: "WopiCore".into(),
        description: String::new(),
        doc: None,
        outcome,
        reason: None,
        failures: Vec::new(),
        duration_ms: 12.5,
        transcript: Vec::new(),
        screenshots: Vec::new(),
        notes: Vec::new(),
        blocked_by: None,
        left_dirty: None,
        // As in embedded mode: every case names the reference-host configuration it ran on.
        configuration: Some("default".into()),
    }
}

const URL: &str = "http://127.0.0.1:8080/wopi/files/doc1?access_token=[redacted]&access_token_ttl=0";

/// The fixed run every snapshot renders.
fn fixture() -> RunReport {
    let mut passed = case("Locks", "LockOnUnlockedFile", Outcome::Passed);
    passed.description = "Lock on an unlocked file succeeds with 200.".into();
    passed.transcript = vec![exchange(
        "Lock",
        "POST",
        URL,
        &[
            ("X-WOPI-Override", "LOCK"),
            ("X-WOPI-Lock", "lock-a"),
            ("X-WOPI-Proof", "[redacted]"),
        ],
        200,
        &[("Content-Length", "0")],
        "",
    )];

    let mut failed = case("Locks", "LockMismatchReturnsCurrentLock", Outcome::Failed);
    failed.description =
        "Locking a file locked with another id returns 409 Conflict and the current lock in X-WOPI-Lock.".into();
    failed.doc = Some(lock_doc());
    failed.duration_ms = 41.0;
    failed.failures = vec![
        Failure {
            request: "Lock#2".into(),
            check: "ResponseCode".into(),
            expected: "409".into(),
            actual: "200".into(),
            rule: Some("If the file is currently locked and the X-WOPI-Lock value doesn't match the lock currently on the file, the host must return a 409 Conflict.".into()),
            doc: Some(lock_doc()),
            should_only: false,
        },
        Failure {
            request: "Lock#2".into(),
            check: "ResponseHeader X-WOPI-Lock".into(),
            expected: "lock-a".into(),
            actual: "(missing)".into(),
            rule: Some("A 409 response must include an X-WOPI-Lock header containing the value of the current lock.".into()),
            doc: Some(DocRef { page: "rest/files/Lock.rst".into(), url: Some("https://learn.microsoft.com/en-us/microsoft-365/cloud-storage-partner-program/rest/files/lock".into()) }),
            should_only: false,
        },
    ];
    failed.reason = None;
    failed.transcript = vec![
        exchange(
            "Lock",
            "POST",
            URL,
            &[("X-WOPI-Override", "LOCK"), ("X-WOPI-Lock", "lock-a")],
            200,
            &[],
            "",
        ),
        exchange(
            "Lock#2",
            "POST",
            URL,
            &[("X-WOPI-Override", "LOCK"), ("X-WOPI-Lock", "lock-b")],
            200,
            &[("Content-Length", "0")],
            "",
        ),
        exchange(
            "Unlock (cleanup)",
            "POST",
            URL,
            &[("X-WOPI-Override", "UNLOCK"), ("X-WOPI-Lock", "lock-a")],
            200,
            &[],
            "",
        ),
    ];

    let mut skipped = case("Coauth", "CoauthLockSequence", Outcome::Skipped);
    skipped.category = "WopiCoauth".into();
    skipped.reason = Some("prerequisite SupportsCoauth failed: CheckFileInfo has no SupportsCoauth: true".into());
    skipped.duration_ms = 0.0;

    let mut warning = CaseResult {
        id: "ext_recommended::CheckFileInfo::BreadcrumbsPresent".into(),
        suite: "ext_recommended".into(),
        group: "CheckFileInfo".into(),
        name: "BreadcrumbsPresent".into(),
        ..case("x", "y", Outcome::Warning)
    };
    warning.description =
        "CheckFileInfo should return BreadcrumbBrandName so the editor can show where the file lives.".into();
    warning.reason = Some("BreadcrumbBrandName is missing (recommended)".into());
    warning.failures = vec![Failure {
        request: "CheckFileInfo".into(),
        check: "JsonProperty BreadcrumbBrandName".into(),
        expected: "a non-empty string".into(),
        actual: "absent".into(),
        rule: Some("Hosts should provide breadcrumb properties.".into()),
        doc: Some(DocRef {
            page: "rest/files/CheckFileInfo.rst#breadcrumb-properties".into(),
            url: None,
        }),
        should_only: true,
    }];
    warning.transcript = vec![exchange(
        "CheckFileInfo",
        "GET",
        URL,
        &[],
        200,
        &[("Content-Type", "application/json")],
        r#"{"BaseFileName":"doc1.docx","Size":12,"Version":"v1"}"#,
    )];

    let mut hostile = case("Hostile", "EchoesMarkup", Outcome::Failed);
    hostile.configuration = Some("no-relative".into());
    hostile.description = "A host that answers with markup must be shown as text <b>not bold</b>.".into();
    hostile.reason = Some("GetFile: ResponseCode: expected 200, got 500 <img src=x onerror=alert(3)>".into());
    hostile.failures = vec![Failure {
        request: "GetFile".into(),
        check: "ResponseCode".into(),
        expected: "200".into(),
        actual: "500 </pre><script>alert(2)</script>".into(),
        rule: None,
        doc: Some(DocRef {
            page: "javascript:alert(4)".into(),
            url: Some("javascript:alert(5)".into()),
        }),
        should_only: false,
    }];
    hostile.transcript = vec![
        exchange(
            "GetFile",
            "GET",
            "http://127.0.0.1:8080/wopi/files/doc1/contents?access_token=[redacted]",
            &[("X-WOPI-MaxExpectedSize", "1048576")],
            500,
            &[("Content-Type", "text/html"), ("X-Evil", "\"><svg onload=alert(6)>")],
            HOSTILE_BODY,
        ),
        Exchange {
            label: "GetFile#2".into(),
            request: RecordedRequest {
                method: "GET".into(),
                url: "http://127.0.0.1:8080/wopi/files/doc1/contents?access_token=[redacted]".into(),
                headers: Vec::new(),
                body_size: 0,
                body_preview: String::new(),
            },
            outcome: RecordedOutcome::TransportError {
                message: "timed out after 10 s <script>".into(),
            },
            elapsed_ms: 10000.0,
        },
    ];
    hostile.screenshots = vec![PIXEL_PNG.into(), "\"><script>alert(7)</script>".into()];
    hostile.notes = vec!["postMessage seen: <i>App_LoadingStatus</i>".into()];

    let mut failed_too = case("Locks", "UnlockAndRelockOnOtherLock", Outcome::Failed);
    failed_too.failures = vec![failed.failures[0].clone()];
    failed_too.transcript = failed.transcript.clone();
    failed_too.reason = Some("Lock#2: ResponseCode: expected 409, got 200".into());

    let mut blocked = case("Locks", "RefreshLockExtends", Outcome::Blocked);
    blocked.blocked_by = Some(failed.id.clone());
    blocked.reason = Some(format!(
        "blocked by {}: the shared file is still as that case left it (left the file locked with 'lock-b'; Unlock with 'lock-b' answered 409)",
        failed.id
    ));
    failed.left_dirty = Some("left the file locked with 'lock-b'; Unlock with 'lock-b' answered 409".into());

    let mut not_run_a = case("Naming", "Utf7SuggestedTarget", Outcome::NotRun);
    not_run_a.reason = Some("not run: the host had stopped answering (see the top of the report)".into());
    let mut not_run_b = case("Naming", "Utf7RelativeTarget", Outcome::NotRun);
    not_run_b.reason = not_run_a.reason.clone();

    let mut report = RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        started_at: "2026-11-25T20:00:00Z".into(),
        duration_ms: 1234.5,
        target: TargetInfo {
            wopisrc: "http://127.0.0.1:8080/wopi/files/doc1".into(),
            host_kind: "external host".into(),
            profile: "office".into(),
            suites: vec![
                "../shared/validator/TestCases.xml".into(),
                "suites/recommended.xml".into(),
            ],
        },
        cases: vec![passed, failed, failed_too, blocked, skipped, warning, hostile, not_run_a, not_run_b],
        host_stopped: Some(HostStopped {
            case: "core::Hostile::EchoesMarkup".into(),
            request: "GetFile#2".into(),
            sent: "GET http://127.0.0.1:8080/wopi/files/doc1/contents?access_token=[redacted] with X-WOPI-MaxExpectedSize '1048576'".into(),
            error: "transport failure: connection closed before message completed".into(),
            message: "The host stopped answering during `core::Hostile::EchoesMarkup`: GetFile#2 (GET http://127.0.0.1:8080/wopi/files/doc1/contents?access_token=[redacted]): the connection closed before a response. This request probably crashed it.".into(),
        }),
        deadline_passed: None,
        root_causes: Vec::new(),
        notes: vec!["The first signed request got 500: is the host's discovery URL this run's mock Office?".into()],
    };
    report.root_causes = report.compute_root_causes();
    report
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("run.json", json::to_string(&fixture()).unwrap());
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("run.junit.xml", junit::to_string(&fixture()).unwrap());
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("run.md", markdown::render(&fixture()));
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!("run.html", html::render(&fixture()).unwrap());
}

#[test]
fn console_summary_snapshot() {
    insta::assert_snapshot!("summary.txt", console::summary(&fixture()));
}

#[test]
fn json_round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let report = fixture();
    json::write(&report, &path).unwrap();
    assert_eq!(json::read(&path).unwrap(), report);
    // The atomic write leaves no temporary file behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("run.json")]);
}

#[test]
fn a_newer_schema_version_is_refused_with_a_clear_message() {
    let mut value: Value = serde_json::from_str(&json::to_string(&fixture()).unwrap()).unwrap();
    value["schema_version"] = Value::from(SCHEMA_VERSION + 1);
    // A newer report may also have changed shape; the version check must come first.
    value["cases"] = Value::from("changed shape");
    let err = json::from_str(&value.to_string(), Path::new("new.json")).unwrap_err();
    assert!(
        matches!(err, ReportError::NewerSchema { found, .. } if found == u64::from(SCHEMA_VERSION) + 1),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("new.json") && msg.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
        "{msg}"
    );
    assert!(msg.contains("upgrade"), "{msg}");

    let err = json::from_str(r#"{"cases": []}"#, Path::new("x.json")).unwrap_err();
    assert!(matches!(err, ReportError::MissingSchemaVersion { .. }), "{err:?}");
    let err = json::from_str("not json", Path::new("x.json")).unwrap_err();
    assert!(matches!(err, ReportError::InvalidJson { .. }), "{err:?}");
}

#[test]
fn junit_has_one_suite_per_group_and_the_transcript_in_failures() {
    let xml = junit::to_string(&fixture()).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let names: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "run",
            "core::Locks",
            "core::Coauth",
            "ext_recommended::CheckFileInfo",
            "core::Hostile",
            "core::Naming"
        ]
    );
    // Blocked is an error (the rule was not checked), not a failure.
    assert_eq!((parsed.tests, parsed.failures, parsed.errors), (9, 3, 1));
    let run_out = parsed.test_suites[0].system_out.as_ref().unwrap().as_str();
    assert!(run_out.starts_with("The host stopped answering"), "{run_out}");
    let locks = &parsed.test_suites[1].test_cases[1];
    match &locks.status {
        quick_junit::TestCaseStatus::NonSuccess {
            message, description, ..
        } => {
            assert_eq!(
                message.as_ref().unwrap().as_str(),
                "Lock#2: ResponseCode: expected 409, got 200"
            );
            let text = description.as_ref().unwrap().as_str();
            assert!(text.contains("ResponseHeader X-WOPI-Lock"), "{text}");
            assert!(
                text.contains("> POST http://127.0.0.1:8080/wopi/files/doc1?access_token=[redacted]"),
                "{text}"
            );
            assert!(
                text.contains("> X-WOPI-Lock: lock-b") && text.contains("< 200 OK"),
                "{text}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let skipped = &parsed.test_suites[2].test_cases[0];
    assert!(
        matches!(&skipped.status, quick_junit::TestCaseStatus::Skipped { message: Some(m), .. } if m.as_str().contains("SupportsCoauth"))
    );
    let warning = &parsed.test_suites[3].test_cases[0];
    assert!(matches!(warning.status, quick_junit::TestCaseStatus::Success { .. }));
    assert!(warning.system_out.as_ref().unwrap().as_str().contains("SHOULD"));
}

#[test]
fn html_shows_hostile_data_as_text() {
    let page = html::render(&fixture()).unwrap();
    // The page's own script is the only one.
    assert_eq!(
        page.matches("<script").count(),
        1,
        "an unescaped <script> reached the page"
    );
    // askama escapes with numeric character references.
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "the host's body must be shown as text"
    );
    assert!(page.contains("&#60;b&#62;not bold&#60;/b&#62;"));
    assert!(!page.contains("<img src=x") && !page.contains("<svg") && !page.contains("<i>App_"));
    assert!(
        !page.contains("href=\"javascript:"),
        "a javascript: URL must never become a link"
    );
    assert!(!page.contains("alert(5)"), "an unsafe doc URL is dropped, not shown");
    // Only the valid PNG is embedded.
    assert_eq!(page.matches("data:image/png;base64,").count(), 1);
    assert!(page.contains("1 screenshot(s) left out"));
    assert!(page.contains("access_token=[redacted]"));
}

#[test]
fn html_loads_nothing_from_the_network() {
    let page = html::render(&fixture()).unwrap();
    for needle in ["<link", "src=\"http", "src='http", "url(http", "@import", "<iframe"] {
        assert!(!page.contains(needle), "found {needle:?}");
    }
    assert!(page.contains("Content-Security-Policy"));
}

#[test]
fn doc_links_point_to_the_published_page() {
    let page = html::render(&fixture()).unwrap();
    assert!(page.contains(
        "href=\"https://learn.microsoft.com/en-us/microsoft-365/cloud-storage-partner-program/rest/files/lock\""
    ));
    assert!(page.contains("cloud-storage-partner-program/rest/files/checkfileinfo#breadcrumb-properties"));
    let md = markdown::render(&fixture());
    assert!(md.contains("[rest/files/Lock.rst](<https://learn.microsoft.com/en-us/microsoft-365/cloud-storage-partner-program/rest/files/lock>)"));
}

#[test]
fn html_redacts_a_token_the_runner_missed() {
    let mut report = fixture();
    // Case 1 failed, so every format shows its transcript.
    report.cases[1].transcript[0].request.url = "http://h/wopi/files/1?access_token=LEAKED-TOKEN".into();
    for (format, text) in [
        ("html", html::render(&report).unwrap()),
        ("markdown", markdown::render(&report)),
        ("junit", junit::to_string(&report).unwrap()),
    ] {
        assert!(!text.contains("LEAKED-TOKEN"), "{format} shows the token");
        assert!(
            text.contains("http://h/wopi/files/1?access_token=[redacted]"),
            "{format} lost the exchange"
        );
    }
}

#[test]
fn markdown_escapes_host_data() {
    let md = markdown::render(&fixture());
    assert!(!md.contains("<img src=x"), "{md}");
    assert!(
        md.contains("&lt;img src=x onerror=alert(3)&gt;") || md.contains("<script>alert(1)</script>\n"),
        "{md}"
    );
    // The hostile body is only ever inside a fenced block.
    let fence_open = md.find("```text").unwrap();
    assert!(md.find(HOSTILE_BODY).unwrap() > fence_open);
}

#[test]
fn write_reports_writes_every_format_and_render_from_json_reproduces_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = |ext: &str| Some(dir.path().join(format!("run.{ext}")));
    let outputs = ReportOutputs {
        json: out("json"),
        junit: out("xml"),
        markdown: out("md"),
        html: out("html"),
    };
    write_reports(&fixture(), &outputs).unwrap();
    for path in [&outputs.json, &outputs.junit, &outputs.markdown, &outputs.html] {
        let len = std::fs::metadata(path.as_ref().unwrap()).unwrap().len();
        assert!(len > 500, "{path:?} is {len} bytes");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(outputs.html.as_ref().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o044,
            0o044,
            "reports are readable by others, unlike a raw temp file"
        );
    }

    let again = tempfile::tempdir().unwrap();
    let html_again = again.path().join("again.html");
    let read = render_from_json(
        outputs.json.as_ref().unwrap(),
        &ReportOutputs {
            html: Some(html_again.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(read, fixture());
    assert_eq!(
        std::fs::read(&html_again).unwrap(),
        std::fs::read(outputs.html.as_ref().unwrap()).unwrap()
    );
}

#[test]
fn write_reports_names_the_path_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no-such-dir").join("run.html");
    let err = write_reports(
        &fixture(),
        &ReportOutputs {
            html: Some(bad.clone()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(&err, ReportError::Write { path, .. } if *path == bad),
        "{err:?}"
    );
    assert!(err.to_string().contains("no-such-dir"));
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn console_reporter_prints_a_line_per_failed_warning_or_skipped_case_then_the_summary() {
    let sink = Shared::default();
    let reporter = ConsoleReporter::to_writer(Box::new(sink.clone()), false);
    let report = fixture();
    reporter.started(report.cases.len());
    for c in &report.cases {
        reporter.case_finished(c);
    }
    reporter.finish(&report);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().take(8).collect();
    assert_eq!(
        lines,
        [
            "FAIL core::Locks::LockMismatchReturnsCurrentLock: Lock#2: ResponseCode: expected 409, got 200",
            "FAIL core::Locks::UnlockAndRelockOnOtherLock: Lock#2: ResponseCode: expected 409, got 200",
            "BLOCKED core::Locks::RefreshLockExtends: blocked by core::Locks::LockMismatchReturnsCurrentLock: the shared file is still as that case left it (left the file locked with 'lock-b'; Unlock with 'lock-b' answered 409)",
            "SKIP core::Coauth::CoauthLockSequence: prerequisite SupportsCoauth failed: CheckFileInfo has no SupportsCoauth: true",
            "WARN ext_recommended::CheckFileInfo::BreadcrumbsPresent: BreadcrumbBrandName is missing (recommended)",
            "FAIL core::Hostile::EchoesMarkup [on no-relative]: GetFile: ResponseCode: expected 200, got 500 <img src=x onerror=alert(3)>",
            "NOT RUN core::Naming::Utf7SuggestedTarget: not run: the host had stopped answering (see the top of the report)",
            "NOT RUN core::Naming::Utf7RelativeTarget: not run: the host had stopped answering (see the top of the report)",
        ]
    );
    // The summary starts with where the host stopped, then what blocked what, then the root causes.
    let summary = console::summary(&report);
    let first = summary.lines().next().unwrap();
    assert!(
        first.starts_with("The host stopped answering during `core::Hostile::EchoesMarkup`"),
        "{first}"
    );
    assert!(
        summary.contains("1 case blocked by state that case core::Locks::LockMismatchReturnsCurrentLock left behind"),
        "{summary}"
    );
    assert!(
        summary.contains("2 cases: Lock ResponseCode: expected 409, got 200"),
        "{summary}"
    );
    assert!(text.ends_with(&console::summary(&report)));
    assert!(!text.contains('\u{1b}'), "no colour codes when colour is off");
}

#[test]
fn console_colour_only_when_asked() {
    let report = fixture();
    assert!(console::summary_styled(&report, true).contains('\u{1b}'));
    assert!(console::case_line(&report.cases[1], true).unwrap().contains('\u{1b}'));
    assert_eq!(
        console::case_line(&report.cases[0], true),
        None,
        "a pass prints no line"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The schema document describes what we write.

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("report-schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A small validator for the keywords report-schema.json uses; an unknown keyword fails the test, so the schema
/// cannot silently grow beyond what this checks.
fn check(schema: &Value, root: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let obj = schema.as_object().unwrap();
    for key in obj.keys() {
        assert!(
            [
                "$schema",
                "$id",
                "$ref",
                "$defs",
                "title",
                "description",
                "type",
                "properties",
                "required",
                "additionalProperties",
                "items",
                "prefixItems",
                "minItems",
                "maxItems",
                "enum",
                "const",
                "oneOf",
                "minimum",
                "format"
            ]
            .contains(&key.as_str()),
            "schema keyword {key} at {at} is not checked by this test"
        );
    }
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").unwrap();
        check(&root["$defs"][name], root, v, at, errors);
    }
    if let Some(t) = obj.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
            _ => panic!("bad type"),
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => panic!("unknown type {t}"),
        });
        if !ok {
            errors.push(format!("{at}: {v} is not {types:?}"));
            return;
        }
    }
    if let Some(e) = obj.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!("{at}: {v} not in {e:?}"));
    }
    if let Some(c) = obj.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} != {c}"));
    }
    if let Some(m) = obj.get("minimum").and_then(Value::as_f64)
        && v.as_f64().is_some_and(|x| x < m)
    {
        errors.push(format!("{at}: {v} < {m}"));
    }
    if let Some(alts) = obj.get("oneOf").and_then(Value::as_array) {
        let matching = alts
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                check(s, root, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: {matching} oneOf alternatives match"));
        }
    }
    if let Some(o) = v.as_object() {
        let props = obj.get("properties").and_then(Value::as_object);
        for req in obj.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !o.contains_key(req.as_str().unwrap()) {
                errors.push(format!("{at}: missing required {req}"));
            }
        }
        for (k, val) in o {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(s, root, val, &format!("{at}.{k}"), errors),
                None if obj.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: property {k} is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let Some(a) = v.as_array() {
        let prefix = obj.get("prefixItems").and_then(Value::as_array);
        for (i, item) in a.iter().enumerate() {
            let s = prefix.and_then(|p| p.get(i)).or_else(|| obj.get("items"));
            if let Some(s) = s.filter(|s| s.is_object()) {
                check(s, root, item, &format!("{at}[{i}]"), errors);
            }
        }
        if obj
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (a.len() as u64) < m)
            || obj
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| (a.len() as u64) > m)
        {
            errors.push(format!("{at}: wrong number of items"));
        }
    }
}

#[test]
fn the_schema_document_describes_the_json_we_write() {
    let schema = schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(
        schema["properties"]["schema_version"]["const"], SCHEMA_VERSION,
        "bump the schema with the version"
    );
    let report: Value = serde_json::from_str(&json::to_string(&fixture()).unwrap()).unwrap();
    let mut errors = Vec::new();
    check(&schema, &schema, &report, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");

    // And it is strict enough to notice a wrong report.
    let mut wrong = report.clone();
    wrong["cases"][0]["outcome"] = Value::from("exploded");
    wrong["cases"][1]["transcript"][0]["outcome"]["status"] = Value::from("200");
    wrong["cases"][2].as_object_mut().unwrap().remove("id");
    let mut errors = Vec::new();
    check(&schema, &schema, &wrong, "$", &mut errors);
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

// ---------------------------------------------------------------------------------------------------------------
// The HTML page in a real browser.

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `page` with `extra` arguments, bounded by a timeout, and returns its stdout.
fn run_chromium(page: &Path, extra: &[String]) -> String {
    let Some(chromium) = chromium() else {
        panic!(
            "chromium is not installed: run scripts/test.sh, which installs Debian's chromium (or `apt-get install chromium`)"
        );
    };
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read stdout on a thread so a full pipe cannot stall the browser while we wait for it.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        out
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

fn page_on_disk(dir: &Path) -> PathBuf {
    let page = dir.join("report.html");
    std::fs::write(&page, html::render(&fixture()).unwrap()).unwrap();
    page
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = page_on_disk(dir.path());
    let shot = dir.path().join("report.png");
    run_chromium(&page, &[format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("chromium wrote no screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank 1280x900 page compresses to a few kB; the rendered report is far larger.
    assert!(
        png.len() > 30_000,
        "screenshot is only {} bytes: the page looks empty",
        png.len()
    );
    // Kept for a person to look at: the test cannot judge whether the page looks right.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(keep.join("report-screenshot.png"), &png).unwrap();
    std::fs::copy(&page, keep.join("report.html")).unwrap();
    eprintln!("screenshot and page kept in {}", keep.display());
}

#[test]
fn html_outcome_filter_runs_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = page_on_disk(dir.path());
    // `#outcome=failed` drives the same filter the checkboxes do; the DOM after the script shows its effect.
    let with_hash = PathBuf::from(format!("{}#outcome=failed", page.display()));
    let dom = run_chromium(&with_hash, &["--dump-dom".to_string()]);
    assert!(
        dom.contains("<html lang=\"en\" class=\"js\">"),
        "the page script did not run to the end:\n{dom}"
    );
    let cases: Vec<&str> = dom
        .split("<details ")
        .skip(1)
        .map(|s| &s[..s.find('>').unwrap()])
        .collect();
    assert_eq!(cases.len(), 9);
    for tag in cases {
        let failed = tag.contains("data-outcome=\"failed\"");
        assert_eq!(tag.contains(" hidden"), !failed, "wrong visibility: {tag}");
    }
    assert!(
        dom.contains("<span id=\"shown\">3</span>"),
        "the count shows the visible cases"
    );
}
