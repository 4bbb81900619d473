//! Against the reference host, in-process: the host, given the mock's discovery URL, accepts the mock's signed
//! requests, rejects each deviation the docs say must be rejected (`online/scenarios/proofkeys.rst`), keeps
//! accepting after key rotations (it re-reads discovery), and the editor flows pass; with a deliberate host fault
//! the matching flow fails.

use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use url::Url;
use wopi_mock_office::client::{ClientConfig, ProofMode, ProofSpec, RawRequest, WopiClient, WopiTarget};
use wopi_mock_office::flows::{self, FlowTimers};
use wopi_mock_office::server::{KeySource, MockConfig, MockOffice, MockOfficeHandle};
use wopi_protocol::proof::Ticks;
use wopi_reference_host::faults::{Fault, FaultSet};
use wopi_reference_host::{Config, TestHost, spawn_for_test};

struct Setup {
    mock: MockOfficeHandle,
    host: TestHost,
    client: WopiClient,
}

async fn setup_with(faults: FaultSet) -> Setup {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    // Fresh keys, so rotating in one test cannot affect another.
    let config = MockConfig {
        keys: KeySource::Fresh,
        ..MockConfig::default()
    };
    let mock = MockOffice::start(listener, config).expect("mock starts");
    let mut host_config = Config::new(Url::parse("http://127.0.0.1:1/").expect("url"));
    host_config.discovery_url = Some(mock.discovery_url.clone());
    host_config.faults = faults;
    let host = spawn_for_test(host_config).await.expect("reference host starts");
    let client = mock
        .client(ClientConfig {
            total_timeout: Duration::from_secs(20),
            ..ClientConfig::default()
        })
        .expect("client");
    Setup { mock, host, client }
}

async fn setup() -> Setup {
    setup_with(FaultSet::none()).await
}

async fn file(host: &TestHost, name: &str, content: &[u8]) -> WopiTarget {
    let p = host.file(name, content).await.expect("file provisioned");
    WopiTarget::new(Url::parse(&p.wopisrc).expect("wopisrc"), p.access_token)
}

async fn cfi_status(client: &WopiClient, t: &WopiTarget, proof: ProofSpec) -> u16 {
    let req = RawRequest::to_target("CheckFileInfo", http::Method::GET, t, "").proof(proof);
    let (result, _) = client.execute(req).await;
    result.expect("the host answers").status
}

#[tokio::test]
async fn the_host_accepts_signed_requests_and_rejects_each_documented_deviation() {
    let s = setup().await;
    let t = file(&s.host, "proof.wopitest", b"x").await;
    let accepted = [
        ("valid (CurrentValid.OldValid)", ProofSpec::valid()),
        (
            "old invalid (CurrentValid.OldInvalid)",
            ProofSpec::mode(ProofMode::OldInvalid),
        ),
        (
            "ahead (CurrentInvalid.OldValidSignedWithCurrentKey)",
            ProofSpec::mode(ProofMode::Ahead),
        ),
        (
            "behind (CurrentValidSignedWithOldKey.OldInvalid)",
            ProofSpec::mode(ProofMode::Behind),
        ),
        ("current only", ProofSpec::mode(ProofMode::CurrentOnly)),
        (
            "a 19-minute-old timestamp",
            ProofSpec::valid().aged(Duration::from_secs(19 * 60)),
        ),
    ];
    for (what, proof) in accepted {
        assert_eq!(cfi_status(&s.client, &t, proof).await, 200, "{what} must be accepted");
    }
    let other_url = t.url("").as_str().replace("/wopi/files/", "/wopi/files/other");
    let rejected = [
        (
            "current invalid (CurrentInvalid.OldValidSignedWithOldKey)",
            ProofSpec::mode(ProofMode::CurrentInvalid),
        ),
        (
            "both invalid (CurrentInvalid.OldInvalid)",
            ProofSpec::mode(ProofMode::BothInvalid),
        ),
        ("unsigned", ProofSpec::mode(ProofMode::Unsigned)),
        (
            "TimestampOlderThan20Min",
            ProofSpec::valid().aged(Duration::from_secs(21 * 60)),
        ),
        // The validator's timestamp: 2015-08-17T00:00:00Z.
        (
            "the validator's 2015 timestamp",
            ProofSpec::valid().at(Ticks(635_753_664_000_000_000)),
        ),
        (
            "a URL other than the one sent",
            ProofSpec::valid().signing_url(other_url),
        ),
        (
            "garbage signatures",
            ProofSpec::mode(ProofMode::Literal {
                proof: Some("%%%".into()),
                proof_old: None,
            }),
        ),
    ];
    for (what, proof) in rejected {
        assert_eq!(
            cfi_status(&s.client, &t, proof).await,
            500,
            "{what} must be rejected with 500"
        );
    }
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn requests_keep_being_accepted_after_rotations() {
    let s = setup().await;
    let t = file(&s.host, "rotate.wopitest", b"x").await;
    assert_eq!(cfi_status(&s.client, &t, ProofSpec::valid()).await, 200);
    // One rotation: the host still has the previous current key, which now signs X-WOPI-ProofOld.
    s.mock.rotate_keys().expect("rotate");
    assert_eq!(
        cfi_status(&s.client, &t, ProofSpec::valid()).await,
        200,
        "after one rotation"
    );
    // Two rotations: neither signature verifies with the keys the host started with, so it must re-read
    // discovery. Its refetch is rate-limited to one per 10 s of its clock, so move that clock on.
    s.mock.rotate_keys().expect("rotate");
    s.host.clock.advance(Duration::from_secs(11));
    assert_eq!(
        cfi_status(&s.client, &t, ProofSpec::valid()).await,
        200,
        "after two rotations (refetch)"
    );
    // Replacing every key (nothing in common with what the host cached) works the same way.
    s.mock.use_fresh_keys().expect("fresh keys");
    s.host.clock.advance(Duration::from_secs(11));
    assert_eq!(
        cfi_status(&s.client, &t, ProofSpec::valid()).await,
        200,
        "after replacing every key"
    );
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn a_host_that_never_refetches_discovery_fails_after_rotation() {
    let s = setup_with(FaultSet::of([Fault::NoDiscoveryRefetch])).await;
    let t = file(&s.host, "stale.wopitest", b"x").await;
    assert_eq!(cfi_status(&s.client, &t, ProofSpec::valid()).await, 200);
    s.mock.rotate_keys().expect("rotate");
    s.mock.rotate_keys().expect("rotate");
    s.host.clock.advance(Duration::from_secs(11));
    assert_eq!(cfi_status(&s.client, &t, ProofSpec::valid()).await, 500);
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn the_deviations_reach_the_host_as_intended() {
    // A host that accepts ProofOld signed with the old key, or stale timestamps, lets exactly those through: the
    // mock's CurrentInvalid really signs X-WOPI-ProofOld with the old key, and an aged proof is otherwise valid.
    let s = setup_with(FaultSet::of([
        Fault::ProofOldWithOldKeyAccepted,
        Fault::StaleProofAccepted,
    ]))
    .await;
    let t = file(&s.host, "faults.wopitest", b"x").await;
    assert_eq!(
        cfi_status(&s.client, &t, ProofSpec::mode(ProofMode::CurrentInvalid)).await,
        200
    );
    assert_eq!(
        cfi_status(&s.client, &t, ProofSpec::valid().aged(Duration::from_secs(21 * 60))).await,
        200
    );
    assert_eq!(
        cfi_status(&s.client, &t, ProofSpec::mode(ProofMode::BothInvalid)).await,
        500
    );
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn the_edit_flow_stores_content_changes_the_version_and_releases_the_lock() {
    let s = setup().await;
    let t = file(&s.host, "edit.wopitest", b"original").await;
    let outcome = flows::edit(
        &s.client,
        &t,
        Bytes::from_static(b"edited by mock office"),
        FlowTimers::fast(),
    )
    .await;
    assert!(outcome.passed(), "{}", outcome.failure_summary());
    let labels: Vec<&str> = outcome.transcript.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(&labels[..4], ["CheckFileInfo", "GetFile", "Lock", "RefreshLock"]);
    assert!(
        labels.iter().filter(|l| **l == "RefreshLock").count() >= 3,
        "{labels:?}"
    );
    assert!(labels.contains(&"PutFile") && labels.contains(&"Unlock") && labels.contains(&"GetLock"));
    for check in ["Version changed after PutFile", "GetFile returns the saved content"] {
        assert!(outcome.checks.iter().any(|c| c.step == check && c.passed), "{check}");
    }
    // What the host stored, seen through a separate session.
    let stored = s.client.new_session().get_file(&t, None).await.expect("GetFile");
    assert_eq!(&stored.body[..], b"edited by mock office");
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn the_two_editor_flow_sees_409_with_the_first_editors_lock() {
    let s = setup().await;
    let t = file(&s.host, "shared.wopitest", b"shared").await;
    let outcome = flows::two_editors(&s.client, &t).await;
    assert!(outcome.passed(), "{}", outcome.failure_summary());
    let conflict = outcome
        .transcript
        .iter()
        .find(|e| e.label == "editor B: Lock")
        .expect("B's Lock");
    let (status, headers) = match &conflict.outcome {
        wopi_protocol::transcript::RecordedOutcome::Response { status, headers, .. } => (*status, headers.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(status, 409);
    let a_lock = outcome
        .transcript
        .iter()
        .find(|e| e.label == "editor A: Lock")
        .and_then(|e| e.request.headers.iter().find(|(n, _)| n == "X-WOPI-Lock"))
        .map(|(_, v)| v.clone())
        .expect("A's lock header");
    assert!(
        headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("X-WOPI-Lock") && *v == a_lock),
        "{headers:?}"
    );
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn the_other_flows_pass_against_the_reference_host() {
    let s = setup().await;
    let viewed = file(&s.host, "view.wopitest", b"to be viewed").await;
    let outcome = flows::view(&s.client, &viewed).await;
    assert!(outcome.passed(), "view: {}", outcome.failure_summary());

    let empty = file(&s.host, "new.wopitest", b"").await;
    let outcome = flows::edit_new(&s.client, &empty, Bytes::from_static(b"template")).await;
    assert!(outcome.passed(), "editnew: {}", outcome.failure_summary());

    let source = file(&s.host, "source.wopitest", b"source").await;
    let outcome = flows::save_as(
        &s.client,
        &source,
        "copy of source.wopitest",
        Bytes::from_static(b"saved as"),
    )
    .await;
    assert!(outcome.passed(), "save as: {}", outcome.failure_summary());

    let binary = file(&s.host, "old format.doc", b"binary doc").await;
    let outcome = flows::convert(&s.client, &binary, "docx", Bytes::from_static(b"converted docx")).await;
    assert!(outcome.passed(), "convert: {}", outcome.failure_summary());

    let renamed = file(&s.host, "before.wopitest", b"r").await;
    let outcome = flows::rename(&s.client, &renamed, "after").await;
    assert!(outcome.passed(), "rename: {}", outcome.failure_summary());
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn flows_catch_a_host_that_breaks_the_rules() {
    let s = setup_with(FaultSet::of([
        Fault::ConflictWithoutLockHeader,
        Fault::PutFileKeepsVersion,
    ]))
    .await;
    let t = file(&s.host, "faulty.wopitest", b"x").await;
    let two = flows::two_editors(&s.client, &t).await;
    assert!(!two.passed());
    assert!(
        two.failures().any(|c| c.step.contains("A's lock ID")),
        "{}",
        two.failure_summary()
    );
    let edit = flows::edit(&s.client, &t, Bytes::from_static(b"new"), FlowTimers::fast()).await;
    assert!(!edit.passed());
    assert!(
        edit.failures().any(|c| c.step == "Version changed after PutFile"),
        "{}",
        edit.failure_summary()
    );
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn a_host_that_lets_the_second_editor_steal_the_lock_fails_and_the_file_is_left_unlocked() {
    let s = setup_with(FaultSet::of([Fault::LockMismatchAnswers200])).await;
    let t = file(&s.host, "stolen.wopitest", b"x").await;
    let outcome = flows::two_editors(&s.client, &t).await;
    assert!(!outcome.passed());
    assert!(
        outcome
            .failures()
            .any(|c| c.step == "editor B: Lock while A holds the lock returns 409"),
        "{}",
        outcome.failure_summary()
    );
    // The clean-up released B's stolen lock, so the next flow starts from an unlocked file.
    let lock = s.client.new_session().get_lock(&t).await.expect("GetLock");
    assert_eq!(lock.header("X-WOPI-Lock"), Some(""));
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn the_frame_opens_a_session_on_the_reference_host() {
    let s = setup().await;
    let p = s.host.file("frame.wopitest", b"frame").await.expect("file");
    let mut url = s.mock.base_url.join("office/wopitest/view").expect("url");
    url.query_pairs_mut().append_pair("WOPISrc", &p.wopisrc);
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http");
    let ttl = p.access_token_ttl.to_string();
    let resp = http
        .post(url)
        .form(&[
            ("access_token", p.access_token.as_str()),
            ("access_token_ttl", ttl.as_str()),
        ])
        .send()
        .await
        .expect("frame answers");
    assert_eq!(resp.status(), 200);
    let report = s.mock.frame_report("latest").expect("report");
    assert_eq!(report.check_file_info.as_ref().and_then(|c| c.status), Some(200));
    assert_eq!(report.access_token_ttl.as_deref(), Some(ttl.as_str()));
    let origin = Url::parse(&s.host.base_url)
        .expect("host url")
        .origin()
        .ascii_serialization();
    assert_eq!(report.post_message_origin.as_deref(), Some(origin.as_str()));
    s.host.stop().await;
    s.mock.shutdown().await;
}

#[tokio::test]
async fn an_editing_frame_locks_the_file_until_it_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = MockConfig {
        keys: KeySource::Fresh,
        frame_editing: true,
        ..MockConfig::default()
    };
    let mock = MockOffice::start(listener, config).expect("mock starts");
    let mut host_config = Config::new(Url::parse("http://127.0.0.1:1/").expect("url"));
    host_config.discovery_url = Some(mock.discovery_url.clone());
    let host = spawn_for_test(host_config).await.expect("host starts");
    let client = mock.client(ClientConfig::default()).expect("client");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http");

    let open = |action: &'static str, p: wopi_reference_host::Provisioned| {
        let mut url = mock.base_url.join(&format!("office/wopitest/{action}")).expect("url");
        url.query_pairs_mut().append_pair("WOPISrc", &p.wopisrc);
        let req = http.post(url).form(&[("access_token", p.access_token.clone())]);
        async move { req.send().await.expect("frame answers").status() }
    };

    // edit: GetFile and Lock; the lock is the frame's until it sends UI_Close.
    let p = host.file("edited.wopitest", b"content").await.expect("file");
    let target = WopiTarget::new(Url::parse(&p.wopisrc).expect("url"), p.access_token.clone());
    assert_eq!(open("edit", p).await, 200);
    let report = mock.frame_report("latest").expect("report");
    let labels: Vec<&str> = report.transcript.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["CheckFileInfo", "GetFile", "Lock"]);
    let lock_id = report.lock_id.clone().expect("a lock was taken");
    assert!(report.lock_held);
    let held = client.get_lock(&target).await.expect("GetLock");
    assert_eq!(held.header("X-WOPI-Lock"), Some(lock_id.as_str()));
    // The page reports that it sent UI_Close: the frame unlocks.
    let event = serde_json::json!({"kind": "sent", "message_id": "UI_Close", "via": "frame", "target_origin": "x"});
    let api = mock
        .base_url
        .join(&format!("frame-api/{}/event", report.session))
        .expect("url");
    assert_eq!(http.post(api).json(&event).send().await.expect("event").status(), 204);
    let after = mock.frame_report(&report.session).expect("report");
    assert!(!after.lock_held);
    assert_eq!(after.transcript.last().map(|e| e.label.as_str()), Some("Unlock"));
    let free = client.get_lock(&target).await.expect("GetLock");
    assert_eq!(free.header("X-WOPI-Lock"), Some(""));

    // editnew on an empty file writes the template without a lock, then locks; the admin endpoint closes it.
    let p = host.file("blank.wopitest", b"").await.expect("file");
    let target = WopiTarget::new(Url::parse(&p.wopisrc).expect("url"), p.access_token.clone());
    assert_eq!(open("editnew", p).await, 200);
    let report = mock.frame_report("latest").expect("report");
    let labels: Vec<&str> = report.transcript.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["CheckFileInfo", "PutFile", "GetFile", "Lock"]);
    let close = mock
        .base_url
        .join(&format!("admin/frame/{}/close", report.session))
        .expect("url");
    assert_eq!(http.post(close).send().await.expect("close").status(), 200);
    assert!(!mock.frame_report(&report.session).expect("report").lock_held);
    let stored = client.get_file(&target, None).await.expect("GetFile");
    assert!(!stored.body.is_empty(), "the template was written");

    // view: GetFile only, no lock.
    let p = host.file("viewed.wopitest", b"v").await.expect("file");
    assert_eq!(open("view", p).await, 200);
    let report = mock.frame_report("latest").expect("report");
    assert_eq!(report.lock_id, None);
    assert_eq!(report.transcript.len(), 2);
    host.stop().await;
    mock.shutdown().await;
}
