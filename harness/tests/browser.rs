//! The host page suite in headless Chromium (issue 7): every check passes on the reference host's page, and each
//! faulty variant of the page (reference host `faults` feature) fails the check that matches its fault.
//!
//! One browser serves the whole file: the cases run one after another in a single test, on reference hosts
//! started one per variant. Needs Debian's `chromium` and `chromium-driver` (scripts/test.sh installs them).

use std::path::Path;
use std::time::{Duration, Instant};

use url::Url;
use wopi_harness::browser::{
    Browser, BrowserOptions, BrowserRunner, Check, CheckSpec, HostPageTemplate, PRECONDITION_NOT_MET, Precondition,
    StepOutcome,
};
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::suite::{self, Step};
use wopi_reference_host::faults::{Fault, FaultSet};

/// The `<ext:PostMessage>` steps of suites/postmessage.xml, with their case names.
fn suite_steps() -> Vec<(String, CheckSpec)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites/postmessage.xml");
    let s = suite::load(&path).expect("suites/postmessage.xml loads");
    let mut out = Vec::new();
    for g in &s.groups {
        for c in &g.cases {
            for step in &c.requests {
                if let Step::PostMessage(p) = step {
                    let spec = wopi_harness::browser::spec_from_step(p).expect("valid step");
                    out.push((c.name.clone(), spec));
                }
            }
        }
    }
    out
}

struct Variant {
    target: EmbeddedTarget,
    runner: BrowserRunner,
}

/// A reference host (with `faults`) and its mock; `shared` is the runner whose browser it reuses.
async fn variant(faults: FaultSet, shared: Option<&BrowserRunner>) -> Variant {
    let target = EmbeddedTarget::start(EmbeddedOptions {
        faults,
        ..EmbeddedOptions::default()
    })
    .await
    .expect("embedded host and mock start");
    let template = HostPageTemplate::new(target.host_page_template()).expect("template");
    let mock = target.mock().base_url.clone();
    let runner = match shared {
        Some(r) => r.for_target(mock, template),
        None => BrowserRunner::new(mock, template, BrowserOptions::default()),
    }
    .expect("runner");
    Variant { target, runner }
}

async fn run(v: &Variant, name: &str, spec: &CheckSpec) -> StepOutcome {
    let file = v.target.provisioner().fresh_file().await.expect("fresh file");
    let wopisrc = Url::parse(&file.wopisrc).expect("wopisrc");
    let t0 = Instant::now();
    let out = v
        .runner
        .run_step(spec, &wopisrc, &format!("PostMessage {}", spec.check.name()))
        .await;
    eprintln!(
        "{name} [{}]: {} failure(s), {:?}, {} ms",
        spec.check.name(),
        out.failures.iter().filter(|f| !f.should_only).count(),
        out.skipped,
        t0.elapsed().as_millis()
    );
    out
}

fn must_failures(out: &StepOutcome) -> Vec<String> {
    out.failures
        .iter()
        .filter(|f| !f.should_only)
        .map(|f| format!("{}: expected {}, got {}", f.check, f.expected, f.actual))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_page_suite_in_headless_chromium() {
    let steps = suite_steps();
    assert!(steps.len() >= 12, "the suite covers every check: {}", steps.len());
    let started = Instant::now();

    // The correct page passes every check.
    let good = variant(FaultSet::default(), None).await;
    let mut problems = Vec::new();
    for (name, spec) in &steps {
        let out = run(&good, name, spec).await;
        assert!(out.skipped.is_none(), "{name}: skipped: {:?}", out.skipped);
        // Not even a SHOULD is missed by the reference page.
        if !out.failures.is_empty() {
            problems.push(format!("{name}: {:?}\n  notes: {:?}", out.failures, out.notes));
        }
        if out.failures.is_empty() {
            assert!(out.screenshots.is_empty(), "{name}: no screenshot when passing");
        }
    }
    assert!(
        problems.is_empty(),
        "the reference host page fails:\n{}",
        problems.join("\n")
    );

    // Lock and token expiry cases step the host's clock by hours; the frame's proofs must follow it, or every
    // browser case that runs after them in one `run` is refused as stale (CheckFileInfo answers 500).
    good.target.provisioner().advance_clock(Duration::from_secs(3 * 3600));
    let (name, spec) = steps
        .iter()
        .find(|(_, s)| s.check == Check::PostmessageReady)
        .expect("the suite has a PostmessageReady case");
    let out = run(&good, name, spec).await;
    assert!(
        must_failures(&out).is_empty(),
        "{name} after a 3-hour clock step: {:?}\n  notes: {:?}",
        out.failures,
        out.notes
    );

    // Each faulty page fails the check that matches its fault, with a screenshot and both sides' messages.
    let cases: &[(Fault, Check)] = &[
        (Fault::HostPageTokenInUrl, Check::TokenInBody),
        (Fault::HostPageTtlInSeconds, Check::TokenTtl),
        (Fault::HostPageNoPostmessageReady, Check::PostmessageReady),
        (Fault::HostPageWrongTargetOrigin, Check::PostmessageReady),
        (Fault::HostPageAcceptsAnyOrigin, Check::UntrustedOriginIgnored),
        (Fault::HostPageIgnoresClose, Check::UiClose),
        (Fault::HostPageActionUrlWithoutWopiSrc, Check::FormPost),
        (Fault::HostPageFrameNotFullWindow, Check::FrameFillsWindow),
        (Fault::HostPageNoViewportMeta, Check::ViewportMeta),
        (Fault::HostPageNoCacheHeaders, Check::NoCacheHeaders),
        (Fault::HostPagePostMessageOriginWithoutPort, Check::PostMessageOrigin),
        (Fault::HostPageIgnoresSharing, Check::UiMessage),
        (Fault::HostPageIgnoresFileVersions, Check::UiMessage),
        (Fault::HostPageIgnoresRename, Check::UiMessage),
        (Fault::HostPagePostMessageStarTarget, Check::TargetOrigin),
    ];
    // Each UiMessage fault breaks the handling of one message: the case that sends it.
    let sends = |fault: Fault| match fault {
        Fault::HostPageIgnoresSharing => Some("UI_Sharing"),
        Fault::HostPageIgnoresFileVersions => Some("UI_FileVersions"),
        Fault::HostPageIgnoresRename => Some("File_Rename"),
        _ => None,
    };
    for (fault, check) in cases {
        let v = variant(FaultSet::of([*fault]), Some(&good.runner)).await;
        let (name, spec) = steps
            .iter()
            .find(|(_, s)| s.check == *check && (sends(*fault).is_none() || s.send.as_deref() == sends(*fault)))
            .unwrap_or_else(|| panic!("the suite has a {} case for {fault}", check.name()));
        // A fault shows as something that never happens: a shorter wait keeps the test fast.
        let mut spec = spec.clone();
        spec.timeout = Duration::from_secs(8);
        let out = run(&v, name, &spec).await;
        // The cache headers are a SHOULD of hostpage.rst: their fault is a warning and nothing else.
        if *fault == Fault::HostPageNoCacheHeaders {
            assert!(
                must_failures(&out).is_empty() && !out.failures.is_empty(),
                "{fault:?} is warned about, not failed, by {name}: {:?}; notes: {:?}",
                out.failures,
                out.notes
            );
        } else {
            assert!(
                !must_failures(&out).is_empty(),
                "{fault:?} is not caught by {name}; notes: {:?}",
                out.notes
            );
        }
        assert!(
            out.failures.iter().all(|f| f.check == check.name()),
            "{fault:?}: failures name the check: {:?}",
            out.failures
        );
        assert_eq!(out.screenshots.len(), 1, "{fault:?}: one screenshot");
        assert!(
            out.notes
                .iter()
                .any(|n| n.starts_with("host page received:") || n.starts_with("host page:")),
            "{fault:?}: host side in the notes: {:?}",
            out.notes
        );
        assert!(
            out.notes.iter().any(|n| n.starts_with("frame received:")),
            "{fault:?}: frame side in the notes: {:?}",
            out.notes
        );
        v.target.shutdown().await;
    }
    // One browser served every variant; closing it through any runner ends its processes.
    good.runner.shutdown().await;
    good.target.shutdown().await;
    eprintln!("browser suite: {} s", started.elapsed().as_secs());
    assert!(started.elapsed() < Duration::from_secs(600));
}

/// Pages that break what the postMessage checks stand on: every case that needs it ends with "precondition not
/// met" (never a pass), the cases that judge only the page itself still run, and the whole suite, at its real
/// timeouts, ends in well under a minute because the problem is recognised once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precondition_breaking_pages_pass_no_case_that_needs_them() {
    let steps = suite_steps();
    // (fault, the first precondition it breaks)
    let breaking: &[(Fault, Precondition)] = &[
        (Fault::HostPageFormUsesGet, Precondition::FormPosted),
        (
            Fault::HostPagePostMessageOriginWithoutPort,
            Precondition::LoadingStatusReceived,
        ),
        (Fault::HostPageNoPostmessageReady, Precondition::HandshakeCompleted),
    ];
    let mut root: Option<Variant> = None;
    for (fault, broken) in breaking {
        let v = variant(FaultSet::of([*fault]), root.as_ref().map(|r| &r.runner)).await;
        let started = Instant::now();
        for (name, spec) in &steps {
            let out = run(&v, name, spec).await;
            assert!(out.skipped.is_none(), "{fault:?} {name}: skipped: {:?}", out.skipped);
            if spec.check.preconditions().contains(broken) {
                let p = out
                    .precondition
                    .as_ref()
                    .unwrap_or_else(|| panic!("{fault:?}: {name} ran without {broken:?}: {:?}", out.failures));
                assert!(p.precondition <= *broken, "{fault:?} {name}: {p:?}");
                assert!(
                    out.failures
                        .iter()
                        .any(|f| !f.should_only && f.actual.starts_with(PRECONDITION_NOT_MET)),
                    "{fault:?} {name}: the precondition is a failure: {:?}",
                    out.failures
                );
            } else {
                // The page checks judge the page itself, which these faults leave alone (but the form's method).
                assert!(out.precondition.is_none(), "{fault:?} {name}: {:?}", out.precondition);
            }
        }
        let took = started.elapsed();
        eprintln!("{fault:?}: the postMessage suite took {} s", took.as_secs());
        assert!(took < Duration::from_secs(60), "{fault:?}: {took:?}");
        let summary = v.runner.unmet_summary();
        assert!(
            summary.iter().any(|l| l.contains(broken.describe())),
            "{fault:?}: the summary names it: {summary:?}"
        );
        if root.is_none() {
            root = Some(v);
        } else {
            v.target.shutdown().await;
        }
    }
    // Pages that never load the editor frame: an error page (the host's answer to an action it does not know, a
    // plain-text 400) and a page that loads fine but has no frame (the mock's probe page). Recognised in the first
    // case, every later case ends within a few seconds.
    let Some(r) = root else {
        panic!("the first variant ran");
    };
    let host = r.target.host_page_template();
    let host = host.split("/host/").next().unwrap_or_default().to_string();
    let mock = r.target.mock().base_url.as_str().trim_end_matches('/').to_string();
    for (what, template) in [
        (
            "an error page",
            format!("{host}/host/{{file_id}}?action=nonsense-{{action}}"),
        ),
        (
            "a page without a frame",
            format!("{mock}/frame-api/probe?file={{file_id}}"),
        ),
    ] {
        let no_frame = Variant {
            runner: r
                .runner
                .for_target(
                    r.target.mock().base_url.clone(),
                    HostPageTemplate::new(template).expect("template"),
                )
                .expect("runner"),
            target: EmbeddedTarget::start(EmbeddedOptions::default())
                .await
                .expect("a host for the files"),
        };
        let started = Instant::now();
        for (name, spec) in &steps {
            let out = run(&no_frame, name, spec).await;
            let p = out
                .precondition
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: {name} ran without the frame: {:?}", out.failures));
            assert_eq!(p.precondition, Precondition::FrameLoaded, "{what}: {name}");
        }
        let took = started.elapsed();
        eprintln!("{what}: the postMessage suite took {} s", took.as_secs());
        assert!(took < Duration::from_secs(60), "{what}: {took:?}");
        no_frame.target.shutdown().await;
    }
    r.runner.shutdown().await;
    r.target.shutdown().await;
}

/// Processes whose command line names `dir` (every chromedriver and Chromium process of one browser does).
fn processes_naming(dir: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if e.file_name().to_str().is_some_and(|n| n.parse::<u32>().is_ok())
            && let Ok(cmd) = std::fs::read(e.path().join("cmdline"))
        {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            // Zombies have an empty command line and are gone once reaped.
            if cmd.contains(dir) {
                found.push(format!(
                    "{}: {}",
                    e.file_name().to_string_lossy(),
                    &cmd[..cmd.len().min(120)]
                ));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_leaves_no_browser_process_behind() {
    let browser = Browser::start(&BrowserOptions::default())
        .await
        .expect("browser starts");
    let dir = browser
        .private_dir()
        .expect("private dir")
        .to_string_lossy()
        .into_owned();
    assert!(
        !processes_naming(&dir).is_empty(),
        "chromedriver and Chromium run with the private dir"
    );
    browser.shutdown().await;
    // Killed processes disappear once their parents reap them: allow a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut left = processes_naming(&dir);
    while !left.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        left = processes_naming(&dir);
    }
    assert!(left.is_empty(), "left behind: {left:#?}");
    assert!(!Path::new(&dir).exists(), "the private dir is removed");
}

/// Waits (bounded) until no process names `marker`; what is left after `limit`.
fn left_after(marker: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut left = processes_naming(marker);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        left = processes_naming(marker);
    }
    left
}

/// `wopi-conformance run` of the postMessage suite, stopped by SIGINT, SIGTERM, SIGHUP or SIGKILL while a browser case
/// runs: no chromedriver or Chromium started by that run is left. The run's temporary directory is private
/// (`TMPDIR`), and every browser process it starts names it on its command line (profile, driver log).
#[test]
fn a_run_stopped_by_a_signal_leaves_no_browser_behind() {
    let bin = env!("CARGO_BIN_EXE_wopi-conformance");
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites/postmessage.xml");
    // INT is Ctrl-C, which the binary catches and shuts down from; the others end it without its cooperation.
    for signal in ["INT", "TERM", "HUP", "KILL"] {
        let tmp = tempfile::Builder::new()
            .prefix("wopi-signal-test-")
            .tempdir()
            .expect("temp dir");
        let marker = tmp.path().to_string_lossy().into_owned();
        let mut child = std::process::Command::new(bin)
            .arg("run")
            .arg("-c")
            .arg(&suite)
            .arg("--no-validator-suite")
            .env("TMPDIR", tmp.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("wopi-conformance starts");
        // Chromium runs once a browser case started; a moment more puts the run inside one.
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if processes_naming(&marker).iter().any(|p| p.contains("chromium --")) {
                break;
            }
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("SIG{signal}: the run ended ({status}) before its browser started");
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("SIG{signal}: no browser within 90 s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "SIG{signal}: the run is still going"
        );
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIG{signal} sent");
        // Reaped here, so the watchdog sees the harness gone rather than a zombie.
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("SIG{signal}: the run did not end within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let left = left_after(&marker, Duration::from_secs(15));
        assert!(
            left.is_empty(),
            "SIG{signal} (run ended: {status}): left behind: {left:#?}"
        );
    }
}

/// A reference host (with `faults`) whose mock plays `profile`.
async fn profile_variant(
    profile: wopi_mock_office::profile::ClientProfile,
    faults: FaultSet,
    shared: Option<&BrowserRunner>,
) -> Variant {
    let target = EmbeddedTarget::start(EmbeddedOptions {
        profile,
        faults,
        ..EmbeddedOptions::default()
    })
    .await
    .expect("embedded host and mock start");
    let template = HostPageTemplate::new(target.host_page_template()).expect("template");
    let mock = target.mock().base_url.clone();
    let runner = match shared {
        Some(r) => r.for_target(mock, template),
        None => BrowserRunner::new(mock, template, BrowserOptions::default()),
    }
    .expect("runner");
    Variant { target, runner }
}

/// One check on a fresh `.docx` (neither Collabora's nor ONLYOFFICE's discovery lists `wopitest`).
async fn run_on_docx(v: &Variant, spec: &CheckSpec) -> StepOutcome {
    let file = v
        .target
        .provisioner()
        .fresh_file_named("test.docx", bytes::Bytes::new())
        .await
        .expect("fresh file");
    let wopisrc = Url::parse(&file.wopisrc).expect("wopisrc");
    v.runner
        .run_step(spec, &wopisrc, &format!("PostMessage {}", spec.check.name()))
        .await
}

/// The editor frame speaks each client's postMessage dialect (mock-office/src/frame.rs, clients.md §6) and the
/// reference host page does what each client needs: every host-page check of suites/postmessage.xml that applies
/// to the client passes with that client's discovery, frame URL and messages. A page that posts objects instead of
/// JSON text (`HostPagePostsObjects`) passes with Office, which takes either, and fails the handshake with
/// ONLYOFFICE, which ignores anything but strings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_profile_frame_against_the_reference_host_page() {
    use wopi_mock_office::profile::ClientProfile;
    let steps = suite_steps();
    let mut shared: Option<Variant> = None;
    let mut problems = Vec::new();
    for profile in [ClientProfile::Collabora, ClientProfile::Onlyoffice] {
        let v = profile_variant(profile, FaultSet::default(), shared.as_ref().map(|s| &s.runner)).await;
        for (name, spec) in &steps {
            // Collabora's discovery has no `view` action for .docx (`writer` edits it; CO-CRD), so a host page
            // cannot open it for viewing: that case does not apply to Collabora.
            if profile == ClientProfile::Collabora && spec.action == "view" {
                continue;
            }
            let out = run_on_docx(&v, spec).await;
            eprintln!("{profile} {name}: {:?} skipped {:?}", must_failures(&out), out.skipped);
            if !must_failures(&out).is_empty() || out.skipped.is_some() {
                problems.push(format!("{profile} {name}: {:?} {:?}", must_failures(&out), out.skipped));
            }
            // The frame spoke the client's dialect: its App_LoadingStatus messages, in order.
            if spec.check == Check::PostmessageReady {
                let mock = v.target.mock();
                let session = mock.frame_sessions().last().expect("a frame session").session.clone();
                let report = mock.frame_report(&session).expect("frame report");
                assert_eq!(report.profile, profile);
                let statuses: Vec<&str> = report
                    .sent
                    .iter()
                    .filter(|m| m.message_id == "App_LoadingStatus")
                    .map(|m| m.status.as_deref().unwrap_or(""))
                    .collect();
                let expected: &[&str] = match profile {
                    ClientProfile::Collabora => &["Frame_Ready", "Document_Loaded"], // clients.md §6.1
                    _ => &["Document_Loaded"],                                       // clients.md §6.2
                };
                assert_eq!(statuses, expected, "{profile}: {:?}", report.sent);
                assert!(report.host_ready, "{profile}: Host_PostmessageReady reached the frame");
            }
        }
        match &shared {
            None => shared = Some(v),
            Some(_) => v.target.shutdown().await,
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let shared = shared.expect("a runner");
    let (_, ready) = steps
        .iter()
        .find(|(_, s)| s.check == Check::PostmessageReady)
        .expect("the suite has a PostmessageReady case");
    for (profile, caught) in [(ClientProfile::Onlyoffice, true), (ClientProfile::Office, false)] {
        let v = profile_variant(
            profile,
            FaultSet::of([Fault::HostPagePostsObjects]),
            Some(&shared.runner),
        )
        .await;
        let out = run_on_docx(&v, ready).await;
        assert_eq!(
            !must_failures(&out).is_empty(),
            caught,
            "{profile} with HostPagePostsObjects: {:?}",
            out.failures
        );
        v.target.shutdown().await;
    }
    shared.target.shutdown().await;
}
