//! Client profiles (`run --profile collabora|onlyoffice`): the profile suites in `suites/profiles/` load, are picked
//! only for their profile, and pass against the in-process reference host (also sent with the client's own
//! headers); each client's editing session (`wopi_mock_office::profile`) passes end to end; each Collabora fault
//! of the reference host fails its profile case and a named session step; plus Collabora's save precondition
//! (`X-COOL-WOPI-Timestamp`) checked with the mock client directly.
//!
//! The Collabora rules come from `../shared/notes/ecosystem.md` §5 and §3 #51-#56: PutFile carries the
//! `LastModifiedTime` Collabora last saw; if the file changed since, the host answers 409 with
//! `{"COOLStatusCode":1010}` and keeps the file; without the header the save overwrites; a successful save answers
//! the new `LastModifiedTime`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::Method;
use url::Url;
use wopi_harness::cli::{PROFILES_DIR, Profile, SuiteArgs};
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::exec::{ClockControl, NoProgress, RunOptions, Runner, TargetSource};
use wopi_harness::report::model::Outcome;
use wopi_harness::suite;
use wopi_harness::validate::SchemaStore;
use wopi_mock_office::client::{ClientConfig, RawRequest, WopiClient, WopiResponse, WopiTarget};
use wopi_mock_office::profile::{ClientProfile, ClockHook};
use wopi_protocol::headers::{self as h, Override};

fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("suites")
}

fn profile_suite(name: &str) -> PathBuf {
    suites_dir().join(PROFILES_DIR).join(format!("{name}.xml"))
}

#[test]
fn profile_suites_are_planned_only_for_their_profile() {
    let args = SuiteArgs {
        suites_dir: Some(suites_dir()),
        no_validator_suite: true,
        ..SuiteArgs::default()
    };
    let cwd = Path::new(env!("CARGO_MANIFEST_DIR"));
    let office = args.plan_for(cwd, Profile::Office).expect("plan").files;
    assert!(
        office.iter().all(|f| f
            .path()
            .is_some_and(|p| !p.starts_with(suites_dir().join(PROFILES_DIR)))),
        "the office profile runs no profile suite: {office:?}"
    );
    assert_eq!(args.plan(cwd).expect("plan").files, office, "plan() is the office plan");
    for (profile, name) in [(Profile::Collabora, "collabora"), (Profile::Onlyoffice, "onlyoffice")] {
        let files = args.plan_for(cwd, profile).expect("plan").files;
        assert_eq!(files.len(), office.len() + 1, "{name}: the built-in suites plus one");
        assert_eq!(
            files.last().and_then(|f| f.path()),
            Some(profile_suite(name).as_path()),
            "{name}: its own suite, last"
        );
    }
}

#[test]
fn profile_suites_parse_name_their_doc_pages_and_have_unique_names() {
    let mut names = std::collections::HashSet::new();
    for path in [profile_suite("collabora"), profile_suite("onlyoffice")] {
        let s = suite::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.cases().count() >= 3, "{}: cases", path.display());
        for (group, case) in s.cases() {
            assert!(
                case.documentation_link
                    .as_deref()
                    .is_some_and(|l| l.starts_with("https://")),
                "{}::{} has a DocumentationLink",
                group.name,
                case.name
            );
            assert!(case.description.contains(".rst"), "{} names its doc page", case.name);
            assert!(names.insert(case.name.clone()), "{} is unique", case.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_suites_pass_against_the_reference_host() {
    let suites = vec![
        suite::load(&profile_suite("collabora")).expect("collabora.xml"),
        suite::load(&profile_suite("onlyoffice")).expect("onlyoffice.xml"),
    ];
    let target = EmbeddedTarget::start(EmbeddedOptions::default())
        .await
        .expect("embedded host starts");
    let client = target.mock().client(ClientConfig::default()).expect("client");
    let provisioner = Arc::new(target.provisioner());
    let clock: Arc<dyn ClockControl> = provisioner.clone();
    let runner = Runner::new(
        suites,
        client,
        SchemaStore::load(&suite::validator_dir().join("JsonSchemas")),
        TargetSource::Provisioned(provisioner),
        RunOptions {
            jobs: 2,
            profile: "collabora".into(),
            ..RunOptions::default()
        },
    )
    .expect("runner")
    .with_clock(clock);
    let outcome = runner.run(&NoProgress).await;
    target.shutdown().await;
    let cases = &outcome.report.cases;
    assert!(cases.len() >= 8, "every profile case ran: {}", cases.len());
    let bad: Vec<String> = cases
        .iter()
        .filter(|c| c.outcome != Outcome::Passed)
        .map(|c| format!("{} {:?} {:?} {:?}", c.id, c.outcome, c.reason, c.failures))
        .collect();
    assert!(bad.is_empty(), "profile cases not passing:\n{}", bad.join("\n"));
}

async fn start() -> (EmbeddedTarget, WopiClient, WopiTarget) {
    let host = EmbeddedTarget::start(EmbeddedOptions::default())
        .await
        .expect("embedded host starts");
    let client = host.mock().client(ClientConfig::default()).expect("client");
    let file = host.provisioner().fresh_file().await.expect("fresh file");
    let target = WopiTarget::new(Url::parse(&file.wopisrc).expect("WOPISrc"), file.access_token);
    (host, client, target)
}

/// PutFile as Collabora sends it: with the lock and, if given, `header: timestamp`.
async fn cool_put(
    client: &WopiClient,
    t: &WopiTarget,
    lock: &str,
    timestamp: Option<(&str, &str)>,
    body: &'static [u8],
) -> WopiResponse {
    let mut req = RawRequest::to_target("PutFile (Collabora)", Method::POST, t, "/contents")
        .override_op(Override::Put)
        .header(h::X_WOPI_LOCK, lock)
        .header("X-COOL-WOPI-IsModifiedByUser", "true")
        .body(body);
    if let Some((name, value)) = timestamp {
        req = req.header(name, value);
    }
    client.send(req).await.expect("PutFile answered")
}

async fn last_modified(client: &WopiClient, t: &WopiTarget) -> String {
    let r = client.check_file_info(t).await.expect("CheckFileInfo");
    r.json().expect("JSON")["LastModifiedTime"]
        .as_str()
        .expect("LastModifiedTime")
        .to_owned()
}

async fn content(client: &WopiClient, t: &WopiTarget) -> Vec<u8> {
    client.get_file(t, None).await.expect("GetFile").body.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collabora_timestamp_guards_saves() {
    let (host, client, file) = start().await;
    assert_eq!(client.lock(&file, "cool").await.expect("Lock").status, 200);

    // The current timestamp: the save goes through and answers the new LastModifiedTime.
    let seen = last_modified(&client, &file).await;
    let r = cool_put(&client, &file, "cool", Some(("X-COOL-WOPI-Timestamp", &seen)), b"first").await;
    assert_eq!(r.status, 200, "a save with the current X-COOL-WOPI-Timestamp");
    let answered = r.json().expect("PutFile answers JSON")["LastModifiedTime"]
        .as_str()
        .expect("LastModifiedTime in the PutFile response")
        .to_owned();
    assert_eq!(
        answered,
        last_modified(&client, &file).await,
        "the answer is CheckFileInfo's new value"
    );

    // Someone else saves (advancing the clock so the time differs), then Collabora saves with its stale stamp.
    host.provisioner().advance_clock(std::time::Duration::from_secs(5));
    assert_eq!(
        cool_put(&client, &file, "cool", None, b"other").await.status,
        200,
        "no header: overwrite"
    );
    let r = cool_put(
        &client,
        &file,
        "cool",
        Some(("X-COOL-WOPI-Timestamp", &answered)),
        b"stale",
    )
    .await;
    assert_eq!(r.status, 409, "a stale X-COOL-WOPI-Timestamp is a conflict");
    let body = r.json().expect("the 409 body is JSON");
    assert_eq!(body["COOLStatusCode"], 1010, "{body}");
    assert_eq!(
        content(&client, &file).await,
        b"other",
        "the conflicting save wrote nothing"
    );

    // The pre-2021 header name is honoured the same way.
    let r = cool_put(
        &client,
        &file,
        "cool",
        Some(("X-LOOL-WOPI-Timestamp", &answered)),
        b"stale",
    )
    .await;
    assert_eq!(r.status, 409, "X-LOOL-WOPI-Timestamp, stale");
    let now = last_modified(&client, &file).await;
    let r = cool_put(&client, &file, "cool", Some(("X-LOOL-WOPI-Timestamp", &now)), b"fresh").await;
    assert_eq!(r.status, 200, "X-LOOL-WOPI-Timestamp, current");
    assert_eq!(content(&client, &file).await, b"fresh");

    // The lock rule still comes first: a wrong lock is a lock mismatch whatever the timestamp.
    let now = last_modified(&client, &file).await;
    let r = cool_put(
        &client,
        &file,
        "other-lock",
        Some(("X-COOL-WOPI-Timestamp", &now)),
        b"x",
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.header(h::X_WOPI_LOCK),
        Some("cool"),
        "a lock mismatch, not a timestamp conflict"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_answers_a_working_url_for_collabora() {
    let (host, client, file) = start().await;
    let r = client
        .rename_file(&file, "renamed-for-cool", None)
        .await
        .expect("RenameFile");
    assert_eq!(r.status, 200);
    let body = r.json().expect("JSON");
    assert_eq!(body["Name"], "renamed-for-cool");
    let url = Url::parse(body["Url"].as_str().expect("Url")).expect("absolute Url");
    let via = WopiTarget::from_url_with_token(&url).expect("Url carries a token");
    assert_eq!(via.wopisrc, file.wopisrc, "the WOPISrc does not change on rename");
    let r = client.check_file_info(&via).await.expect("CheckFileInfo");
    assert_eq!(r.status, 200);
    assert_eq!(r.json().expect("JSON")["BaseFileName"], "renamed-for-cool.wopitest");
    host.shutdown().await;
}

/// The end-to-end editing session of `profile` against the reference host, with the mock serving that client's
/// discovery (the reference host verifies proofs against it).
async fn client_session(profile: ClientProfile) -> wopi_mock_office::flows::FlowOutcome {
    let host = EmbeddedTarget::start(EmbeddedOptions {
        profile,
        ..EmbeddedOptions::default()
    })
    .await
    .expect("embedded host starts");
    let client = host
        .mock()
        .client(profile.client_config(ClientConfig::default()))
        .expect("client");
    let file = host
        .provisioner()
        .fresh_file_with(bytes::Bytes::from_static(b"the document"))
        .await
        .expect("fresh file");
    let target = WopiTarget::new(Url::parse(&file.wopisrc).expect("WOPISrc"), file.access_token);
    let provisioner = host.provisioner();
    let hook: ClockHook = Arc::new(move |by| provisioner.advance_clock(by));
    let outcome = profile
        .session(&client, &target, bytes::Bytes::from_static(b"edited"), Some(hook))
        .await;
    host.shutdown().await;
    outcome
}

fn sent_headers<'a>(outcome: &'a wopi_mock_office::flows::FlowOutcome, label: &str) -> Vec<&'a (String, String)> {
    outcome
        .transcript
        .iter()
        .filter(|e| e.label.contains(label))
        .flat_map(|e| e.request.headers.iter())
        .collect()
}

fn has(headers: &[&(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collabora_session_passes_end_to_end_with_collabora_headers() {
    let out = client_session(ClientProfile::Collabora).await;
    assert!(out.passed(), "collabora session:\n{}", out.failure_summary());
    let steps: Vec<&str> = out.checks.iter().map(|c| c.step.as_str()).collect();
    for needed in [
        "2 open: Lock (SupportsLocks is true) returns 200",
        "5 lock refresh (every 900 s): Lock with the same ID returns 200",
        "6 conflict: PutFile with a stale X-COOL-WOPI-Timestamp returns 409",
        "7 conflict dialog, overwrite: PutFile without X-COOL-WOPI-Timestamp returns 200",
        "9 Save As: PutRelativeFile (full name in UTF-7, no X-WOPI-Lock) returns 200",
        "10 rename: RenameFile with the document as body returns 200",
        "11 close: Unlock returns 200",
    ] {
        assert!(steps.contains(&needed), "missing step {needed:?} in {steps:#?}");
    }
    let puts = sent_headers(&out, "PutFile (Collabora)");
    for h in [
        "X-COOL-WOPI-IsModifiedByUser",
        "X-COOL-WOPI-IsAutosave",
        "X-COOL-WOPI-IsExitSave",
        "X-COOL-WOPI-Timestamp",
    ] {
        assert!(has(&puts, h), "PutFile sends {h}");
    }
    let all = sent_headers(&out, "(Collabora)");
    assert!(has(&all, "X-COOL-WOPI-ServerId") && has(&all, "Authorization"));
    assert!(!has(&all, "X-WOPI-ProofOld"), "Collabora never sends X-WOPI-ProofOld");
    assert!(
        !has(&sent_headers(&out, "PutRelativeFile"), "X-WOPI-Lock"),
        "Save As carries no lock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onlyoffice_session_passes_end_to_end_with_onlyoffice_headers() {
    let out = client_session(ClientProfile::Onlyoffice).await;
    assert!(out.passed(), "onlyoffice session:\n{}", out.failure_summary());
    let steps: Vec<&str> = out.checks.iter().map(|c| c.step.as_str()).collect();
    for needed in [
        "3 second editor opens: Lock with the same ID returns 200",
        "5 editing (every 10 min): RefreshLock returns 200",
        "6 force-save: Version changed (OO-docs: 'must change when the file changes'; ONLYOFFICE/DocumentServer#1716)",
        "7 Save As: PutRelativeFile with a suggested extension returns 200",
        "9 close: Unlock returns 200",
    ] {
        assert!(steps.contains(&needed), "missing step {needed:?} in {steps:#?}");
    }
    let puts = sent_headers(&out, "PutFile (force-save)");
    for h in [
        "X-LOOL-WOPI-IsModifiedByUser",
        "X-LOOL-WOPI-IsAutosave",
        "X-LOOL-WOPI-IsExitSave",
        "X-WOPI-Editors",
        "X-WOPI-Lock",
    ] {
        assert!(has(&puts, h), "PutFile sends {h}");
    }
    assert!(
        !puts.iter().any(|(n, _)| n.starts_with("X-COOL-")),
        "ONLYOFFICE sends only X-LOOL- names"
    );
    let all = sent_headers(&out, "(ONLYOFFICE)");
    assert!(!has(&all, "Authorization"), "no Authorization header");
    assert!(has(&all, "X-WOPI-ProofOld") && has(&all, "X-WOPI-TimeStamp"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_session_is_the_edit_flow() {
    let out = client_session(ClientProfile::Office).await;
    assert!(out.passed(), "office session:\n{}", out.failure_summary());
    assert_eq!(out.flow, "edit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_profile_serves_its_own_discovery_and_capabilities() {
    for profile in ClientProfile::ALL {
        let host = EmbeddedTarget::start(EmbeddedOptions {
            profile,
            ..EmbeddedOptions::default()
        })
        .await
        .expect("embedded host starts");
        let base = host.mock().base_url.clone();
        let http = reqwest::Client::new();
        let xml = http
            .get(host.mock().discovery_url.clone())
            .send()
            .await
            .expect("discovery")
            .text()
            .await
            .expect("body");
        let caps = http
            .get(base.join("hosting/capabilities").expect("url"))
            .send()
            .await
            .expect("capabilities");
        let d = wopi_protocol::discovery::Discovery::parse(&xml).expect("discovery parses");
        match profile {
            ClientProfile::Office => {
                assert!(d.find_action("wopitest", "view").is_some(), "{xml}");
                assert_eq!(caps.status(), 404);
            }
            ClientProfile::Collabora => {
                let (_, a) = d.find_action("docx", "edit").expect("docx edit");
                assert!(a.urlsrc.ends_with("/cool.html?"), "{}", a.urlsrc);
                assert!(!xml.contains("oldvalue"), "single key: {xml}");
                assert_eq!(caps.status(), 200);
                let json: serde_json::Value = caps.json().await.expect("JSON");
                assert_eq!(json["hasTemplateSaveAs"], false);
            }
            ClientProfile::Onlyoffice => {
                let (_, a) = d.find_action("docx", "edit").expect("docx edit");
                assert!(a.urlsrc.contains("/hosting/wopi/word/edit?"), "{}", a.urlsrc);
                assert_eq!(a.requires.as_deref(), Some("locks,update"));
                assert_eq!(caps.status(), 200);
                let json: serde_json::Value = caps.json().await.expect("JSON");
                assert_eq!(json["convert-to"]["endpoint"], "/lool/convert-to");
                assert_eq!(
                    wopi_mock_office::profile::onlyoffice::shared_default_warning(&d.proof_keys().expect("keys")),
                    None,
                    "the mock's generated-era keys are distinct"
                );
            }
        }
        host.shutdown().await;
    }
}

/// Runs `suites/profiles/<profile>.xml` as `run --profile <profile>` does (that client's discovery and headers)
/// against the reference host with `faults`; the outcome of every case by name.
async fn run_profile_suite(
    profile: ClientProfile,
    faults: wopi_reference_host::faults::FaultSet,
) -> Vec<(String, Outcome, String)> {
    let suites = vec![suite::load(&profile_suite(profile.name())).expect("profile suite")];
    let target = EmbeddedTarget::start(EmbeddedOptions {
        profile,
        faults,
        ..EmbeddedOptions::default()
    })
    .await
    .expect("embedded host starts");
    let client = target
        .mock()
        .client(profile.client_config(ClientConfig::default()))
        .expect("client");
    let provisioner = Arc::new(target.provisioner());
    let clock: Arc<dyn ClockControl> = provisioner.clone();
    let runner = Runner::new(
        suites,
        client,
        SchemaStore::load(&suite::validator_dir().join("JsonSchemas")),
        TargetSource::Provisioned(provisioner),
        RunOptions {
            jobs: 2,
            profile: profile.name().into(),
            ..RunOptions::default()
        },
    )
    .expect("runner")
    .with_clock(clock);
    let outcome = runner.run(&NoProgress).await;
    target.shutdown().await;
    outcome
        .report
        .cases
        .iter()
        .map(|c| (c.id.clone(), c.outcome, format!("{:?} {:?}", c.reason, c.failures)))
        .collect()
}

/// Each client-profile fault of the reference host is caught by the profile case its description names, when the
/// suite runs with that client's headers; the correct host passes every case of both profile suites that way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_profile_fault_is_caught_by_its_profile_case() {
    use wopi_reference_host::faults::{Fault, FaultSet};
    for profile in [ClientProfile::Collabora, ClientProfile::Onlyoffice] {
        let clean = run_profile_suite(profile, FaultSet::default()).await;
        let bad: Vec<_> = clean.iter().filter(|(_, o, _)| *o != Outcome::Passed).collect();
        assert!(bad.is_empty(), "{profile} with its own headers, correct host: {bad:#?}");
    }
    let expected: &[(Fault, &[&str])] = &[
        (
            Fault::CoolTimestampIgnored,
            &[
                "Collabora.StaleTimestampConflicts",
                "Collabora.LegacyTimestampConflicts",
            ],
        ),
        (Fault::LoolTimestampIgnored, &["Collabora.LegacyTimestampConflicts"]),
        (
            Fault::CoolConflictWithoutStatusCode,
            &["Collabora.StaleTimestampConflicts"],
        ),
        (
            Fault::PutFileWithoutLastModifiedTime,
            &[
                "Collabora.PutFileAnswersLastModifiedTime",
                "Collabora.StaleTimestampConflicts",
            ],
        ),
        (
            Fault::SupportsLocksDroppedForCollabora,
            &["Collabora.SupportsLocksDeclared"],
        ),
        (
            Fault::PutFileRejectsEditorsHeader,
            &["Onlyoffice.PutFileWithOnlyofficeHeaders"],
        ),
    ];
    // Host-page faults of a profile are proven in the browser (harness/tests/browser.rs,
    // each_client_profile_frame_against_the_reference_host_page).
    let browser = [Fault::HostPagePostsObjects];
    for fault in Fault::ALL
        .iter()
        .filter(|f| f.client_profile().is_some() && !browser.contains(f))
    {
        assert!(
            expected.iter().any(|(f, _)| f == fault),
            "{fault} has an expectation here"
        );
    }
    for (fault, cases) in expected {
        let profile: ClientProfile = fault
            .client_profile()
            .expect("a profile fault")
            .parse()
            .expect("profile");
        let outcomes = run_profile_suite(profile, FaultSet::of([*fault])).await;
        for case in *cases {
            let (_, outcome, why) = outcomes
                .iter()
                .find(|(id, _, _)| id.ends_with(case))
                .unwrap_or_else(|| panic!("{case} ran: {outcomes:#?}"));
            assert_eq!(
                *outcome,
                Outcome::Failed,
                "{fault}: {case} must fail, got {outcome:?} {why}"
            );
        }
    }
}

/// The Collabora session itself catches the profile faults too: each one breaks a named step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collabora_session_names_the_step_each_fault_breaks() {
    use wopi_reference_host::faults::{Fault, FaultSet};
    let cases: &[(Fault, &str)] = &[
        (
            Fault::CoolTimestampIgnored,
            "6 conflict: PutFile with a stale X-COOL-WOPI-Timestamp returns 409",
        ),
        (
            Fault::CoolConflictWithoutStatusCode,
            "6 conflict: the 409 body is {\"COOLStatusCode\":1010}",
        ),
        (
            Fault::PutFileWithoutLastModifiedTime,
            "4 autosave (idle 30 s): PutFile: answers JSON LastModifiedTime",
        ),
        (
            Fault::RelockSameIdConflicts,
            "5 lock refresh (every 900 s): Lock with the same ID returns 200",
        ),
    ];
    for (fault, step) in cases {
        let host = EmbeddedTarget::start(EmbeddedOptions {
            profile: ClientProfile::Collabora,
            faults: FaultSet::of([*fault]),
            ..EmbeddedOptions::default()
        })
        .await
        .expect("embedded host starts");
        let client = host
            .mock()
            .client(ClientProfile::Collabora.client_config(ClientConfig::default()))
            .expect("client");
        let file = host
            .provisioner()
            .fresh_file_with(bytes::Bytes::from_static(b"the document"))
            .await
            .expect("fresh file");
        let target = WopiTarget::new(Url::parse(&file.wopisrc).expect("WOPISrc"), file.access_token);
        let provisioner = host.provisioner();
        let hook: ClockHook = Arc::new(move |by| provisioner.advance_clock(by));
        let out = ClientProfile::Collabora
            .session(&client, &target, bytes::Bytes::from_static(b"edited"), Some(hook))
            .await;
        host.shutdown().await;
        assert!(!out.passed(), "{fault}: the session must fail");
        assert!(
            out.failures().any(|c| c.step.starts_with(step)),
            "{fault}: expected a failure at {step:?}, got:\n{}",
            out.failure_summary()
        );
    }
}
