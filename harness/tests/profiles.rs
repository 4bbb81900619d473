//! Client profiles (`run --profile collabora|onlyoffice`): the profile suites in `suites/profiles/` load, are picked
//! only for their profile, and pass against the in-process reference host; plus Collabora's save precondition
//! (`X-COOL-WOPI-Timestamp`), which no suite element can send, checked with the mock client directly.
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
