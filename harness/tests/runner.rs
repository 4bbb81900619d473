//! The runner against wiremock hosts that answer wrongly in each way a validator element checks: the right case
//! fails, with a message that says what was expected and what came back.

#![allow(clippy::unwrap_used)] // test helpers: a setup that cannot work should panic

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use url::Url;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use wopi_harness::exec::{
    ClockControl, Filters, NoProgress, ProvisionError, Provisioner, RunOptions, RunOutcome, Runner, Target,
    TargetSource,
};
use wopi_harness::report::model::{CaseResult, Outcome};
use wopi_harness::suite::{self, Suite};
use wopi_harness::validate::SchemaStore;
use wopi_mock_office::client::{ClientConfig, WopiClient};
use wopi_mock_office::keys::{self, KeyRing};
use wopi_protocol::proof::{self, ProofHeaders};

const TOKEN: &str = "tok-SECRET-123";

fn suite(body: &str) -> Suite {
    let text = format!(
        r#"<WopiValidation xmlns:ext="{}">
  <Resources>
    <File Id="WordSimpleDocument" Name="WordSimpleDocument.docx" FilePath="Resources\WordSimpleDocument.docx" />
  </Resources>
  {body}
</WopiValidation>"#,
        suite::EXT_NS
    );
    suite::parse_str(&text, Path::new("inline.xml"), "t".into()).unwrap()
}

/// One group `G` with the given test cases.
fn group(cases: &str) -> String {
    format!(r#"<TestGroup Name="G"><TestCases>{cases}</TestCases></TestGroup>"#)
}

fn case(name: &str, requests: &str) -> String {
    format!(
        r#"<TestCase Name="{name}" Category="WopiCore"><Description>d</Description><Requests>{requests}</Requests></TestCase>"#
    )
}

fn client() -> WopiClient {
    let config = ClientConfig {
        total_timeout: Duration::from_secs(5),
        ..ClientConfig::default()
    };
    WopiClient::new(config, KeyRing::fixed().unwrap().shared()).unwrap()
}

fn target(server: &str) -> Target {
    Target {
        wopisrc: Url::parse(&format!("{server}/wopi/files/1")).unwrap(),
        access_token: TOKEN.into(),
        access_token_ttl: 0,
        instances: Vec::new(),
    }
}

fn schemas() -> SchemaStore {
    SchemaStore::load(&suite::validator_dir().join("JsonSchemas"))
}

async fn run_on(s: Suite, server: &str) -> RunOutcome {
    run_with(
        s,
        client(),
        TargetSource::Fixed(target(server)),
        RunOptions::default(),
        None,
    )
    .await
}

async fn run_with(
    s: Suite,
    client: WopiClient,
    source: TargetSource,
    options: RunOptions,
    clock: Option<Arc<dyn ClockControl>>,
) -> RunOutcome {
    let mut runner = Runner::new(vec![s], client, schemas(), source, options).unwrap();
    if let Some(c) = clock {
        runner = runner.with_clock(c);
    }
    runner.run(&NoProgress).await
}

fn case_named<'a>(o: &'a RunOutcome, name: &str) -> &'a CaseResult {
    o.report
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn assert_no_token(o: &RunOutcome) {
    let json = serde_json::to_string(&o.report).unwrap();
    assert!(!json.contains(TOKEN), "the token leaked into the report");
}

/// A host that answers every GET with an empty 200: for cases whose verdicts do not depend on the answer.
async fn server_answering_get_200() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn wrong_status_fails_the_case_with_expected_and_actual() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/wopi/files/1"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let o = run_on(suite(&group(&case("Cfi", "<CheckFileInfo/>"))), &server.uri()).await;
    let c = case_named(&o, "Cfi");
    assert_eq!(c.outcome, Outcome::Failed);
    assert_eq!(c.id, "t::G::Cfi");
    let f = &c.failures[0];
    assert_eq!(
        (f.request.as_str(), f.check.as_str()),
        ("CheckFileInfo", "ResponseCodeValidator")
    );
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("status 200", "status 500"));
    assert_eq!(
        c.reason.as_deref(),
        Some("CheckFileInfo: ResponseCodeValidator: expected status 200, got status 500")
    );
    assert_eq!(c.transcript.len(), 1);
    assert_no_token(&o);
}

#[tokio::test]
async fn missing_and_wrong_headers_fail() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/wopi/files/1/contents"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("X-WOPI-Override", "LOCK"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-WOPI-ItemVersion", "v1"))
        .mount(&server)
        .await;
    let cases = case(
        "Missing",
        r#"<GetFile><Validators><ResponseHeaderValidator Header="X-WOPI-ItemVersion" IsRequired="true"/></Validators></GetFile>"#,
    ) + &*case(
        "Wrong",
        r#"<Lock Lock="A"><Validators><ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="v2" IsRequired="true"/></Validators></Lock>"#,
    );
    let o = run_on(suite(&group(&cases)), &server.uri()).await;
    let m = case_named(&o, "Missing");
    assert_eq!(m.outcome, Outcome::Failed);
    assert_eq!(
        (m.failures[0].expected.as_str(), m.failures[0].actual.as_str()),
        ("header X-WOPI-ItemVersion present", "header absent")
    );
    let w = case_named(&o, "Wrong");
    assert_eq!(
        (w.failures[0].expected.as_str(), w.failures[0].actual.as_str()),
        ("'v2'", "'v1'")
    );
}

#[tokio::test]
async fn wrong_json_type_fails_the_property_and_the_schema() {
    let server = MockServer::start().await;
    let body =
        r#"{"BaseFileName":"a.wopitest","OwnerId":"o","Size":"3","UserId":"u","Version":"1","UserCanWrite":"yes"}"#;
    Mock::given(method("GET"))
        .and(path("/wopi/files/1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let cases = case(
        "Bool",
        r#"<CheckFileInfo><Validators><JsonResponseContentValidator><BooleanProperty Name="UserCanWrite" ExpectedValue="true" IsRequired="true"/></JsonResponseContentValidator></Validators></CheckFileInfo>"#,
    ) + &*case(
        "Schema",
        r#"<CheckFileInfo><Validators><JsonSchemaValidator Schema="CsppCheckFileInfoSchema"/></Validators></CheckFileInfo>"#,
    );
    let o = run_on(suite(&group(&cases)), &server.uri()).await;
    let b = case_named(&o, "Bool");
    assert_eq!(b.outcome, Outcome::Failed);
    assert_eq!(
        (b.failures[0].expected.as_str(), b.failures[0].actual.as_str()),
        ("a boolean", "\"yes\"")
    );
    let s = case_named(&o, "Schema");
    assert!(
        s.failures[0].actual.contains("#/Size: expected type"),
        "{:?}",
        s.failures
    );
}

#[tokio::test]
async fn lock_mismatch_without_x_wopi_lock_fails() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(409))
        .mount(&server)
        .await;
    let o = run_on(
        suite(&group(&case(
            "Mismatch",
            r#"<Lock Lock="B"><Validators><LockMismatchValidator ExpectedLock="A"/></Validators></Lock>"#,
        ))),
        &server.uri(),
    )
    .await;
    let c = case_named(&o, "Mismatch");
    assert_eq!(c.outcome, Outcome::Failed);
    assert_eq!(c.failures.len(), 1);
    assert_eq!(c.failures[0].check, "LockMismatchValidator X-WOPI-Lock");
    assert_eq!(
        (c.failures[0].expected.as_str(), c.failures[0].actual.as_str()),
        ("header X-WOPI-Lock present", "header absent")
    );
}

/// A host that checks proofs with the mock client's published keys, as proofkeys.rst says.
struct VerifyingHost {
    keys: proof::ProofKeys,
    /// wiremock rebuilds the request URL without the port; the signed URL is the one the client used.
    base: String,
    accept_all: bool,
}

impl Respond for VerifyingHost {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if self.accept_all {
            return ResponseTemplate::new(200).set_body_string("{}");
        }
        let h = |n: &str| req.headers.get(n).and_then(|v| v.to_str().ok());
        let token = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let ok = ProofHeaders::from_values(h("X-WOPI-Proof"), h("X-WOPI-ProofOld"), h("X-WOPI-TimeStamp"))
            .and_then(|p| {
                let url = format!(
                    "{}{}?{}",
                    self.base,
                    req.url.path(),
                    req.url.query().unwrap_or_default()
                );
                proof::verify(&self.keys, &p, &token, &url, SystemTime::now())
            })
            .is_ok();
        if ok {
            ResponseTemplate::new(200).set_body_string("{}")
        } else {
            ResponseTemplate::new(500)
        }
    }
}

fn proof_cases() -> String {
    let c = |name: &str, mutator: &str, code: u16| {
        case(
            name,
            &format!(
                r#"<CheckFileInfo><Mutators>{mutator}</Mutators><Validators><ResponseCodeValidator ExpectedCode="{code}"/></Validators></CheckFileInfo>"#
            ),
        )
    };
    [
        c("CurrentValid.OldValid", "", 200),
        c("CurrentValid.OldInvalid", r#"<ProofKey MutateOld="true"/>"#, 200),
        c("Ahead", r#"<ProofKey KeyRelation="Ahead"/>"#, 200),
        c("Behind", r#"<ProofKey KeyRelation="Behind"/>"#, 200),
        c("CurrentInvalid", r#"<ProofKey MutateCurrent="true"/>"#, 500),
        c(
            "BothInvalid",
            r#"<ProofKey MutateCurrent="true" MutateOld="true"/>"#,
            500,
        ),
        c("Old", r#"<ProofKey Timestamp="2015-08-17T00:00:00Z"/>"#, 500),
    ]
    .concat()
}

#[tokio::test]
async fn proof_key_cases_pass_on_a_verifying_host_and_a_bad_proof_accepted_fails() {
    let client = client();
    let published = keys::read(client.keys()).proof_keys();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(VerifyingHost {
            keys: published.clone(),
            base: server.uri(),
            accept_all: false,
        })
        .mount(&server)
        .await;
    let o = run_with(
        suite(&group(&proof_cases())),
        client.clone(),
        TargetSource::Fixed(target(&server.uri())),
        RunOptions::default(),
        None,
    )
    .await;
    for c in &o.report.cases {
        assert_eq!(c.outcome, Outcome::Passed, "{}: {:?}", c.name, c.failures);
    }

    let lax = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(VerifyingHost {
            keys: published,
            base: lax.uri(),
            accept_all: true,
        })
        .mount(&lax)
        .await;
    let o = run_with(
        suite(&group(&proof_cases())),
        client,
        TargetSource::Fixed(target(&lax.uri())),
        RunOptions::default(),
        None,
    )
    .await;
    let failed: Vec<&str> = o
        .report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, ["CurrentInvalid", "BothInvalid", "Old"]);
    let f = &case_named(&o, "BothInvalid").failures[0];
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("status 500", "status 200"));
}

#[tokio::test]
async fn a_failed_prereq_skips_with_its_reason_and_runs_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/wopi/files/1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"SupportsLocks": false}"#))
        .expect(1)
        .mount(&server)
        .await;
    let body = r#"<PrereqCases><TestCase Name="LocksPrereq" Category="WopiCore"><Description>d</Description><Requests>
        <CheckFileInfo><Validators><JsonResponseContentValidator><BooleanProperty Name="SupportsLocks" ExpectedValue="true" IsRequired="true"/></JsonResponseContentValidator></Validators></CheckFileInfo>
      </Requests></TestCase></PrereqCases>
      <TestGroup Name="Locks"><PrereqTests><PrereqTest>LocksPrereq</PrereqTest></PrereqTests><TestCases>"#
        .to_string()
        + &*case("A", r#"<Lock Lock="x"/>"#)
        + &*case("B", r#"<Lock Lock="y"/>"#)
        + "</TestCases></TestGroup>";
    let o = run_on(suite(&body), &server.uri()).await;
    for c in &o.report.cases {
        assert_eq!(c.outcome, Outcome::Skipped);
        let reason = c.reason.as_deref().unwrap();
        assert!(
            reason.starts_with(
                "prerequisite LocksPrereq failed: LocksPrereq/CheckFileInfo: BooleanProperty SupportsLocks"
            ),
            "{reason}"
        );
        assert_eq!(c.transcript.len(), 1, "the prereq's exchange is the evidence");
    }
    assert!(o.first_prereq_failure.is_some());
}

#[tokio::test]
async fn a_transport_error_fails_one_case_and_the_run_continues() {
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let cases = case("One", "<CheckFileInfo/>") + &*case("Two", "<CheckFileInfo/>");
    let o = run_on(suite(&group(&cases)), &format!("http://{addr}")).await;
    assert_eq!(o.report.cases.len(), 2);
    for c in &o.report.cases {
        assert_eq!(c.outcome, Outcome::Failed);
        assert_eq!(c.failures[0].check, "Transport");
        assert_eq!(c.failures[0].expected, "an HTTP response");
    }
}

#[tokio::test]
async fn state_flows_into_override_urls_and_cleanup_always_runs() {
    let server = MockServer::start().await;
    let new_url = format!("{}/wopi/files/new?access_token=child-token", server.uri());
    Mock::given(method("POST"))
        .and(path("/wopi/files/1"))
        .and(header("X-WOPI-Override", "PUT_RELATIVE"))
        .and(header("X-WOPI-SuggestedTarget", "madeup+AF8-name.wopitest"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(format!(r#"{{"Name":"madeup_name.wopitest","Url":"{new_url}"}}"#)),
        )
        .mount(&server)
        .await;
    // The case fails on its second request, and the cleanup still deletes the new file, with its own token.
    Mock::given(method("GET"))
        .and(path("/wopi/files/new"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/wopi/files/new"))
        .and(header("X-WOPI-Override", "DELETE"))
        .and(header("Authorization", "Bearer child-token"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let c = r#"<TestCase Name="Flow" Category="WopiCore"><Description>d</Description><Requests>
        <PutRelativeFile Name="madeup_name.wopitest" ResourceId="WordSimpleDocument" PutRelativeFileMode="Suggested">
          <SaveState><State Name="NewFileUrl" Source="Url"/></SaveState>
        </PutRelativeFile>
        <CheckFileInfo OverrideUrl="$State:NewFileUrl"/>
      </Requests><CleanupRequests><DeleteFile OverrideUrl="$State:NewFileUrl"/></CleanupRequests></TestCase>"#;
    let o = run_on(suite(&group(c)), &server.uri()).await;
    let r = case_named(&o, "Flow");
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(r.failures[0].request, "CheckFileInfo");
    assert_eq!(r.transcript.len(), 3);
    assert_eq!(r.transcript[2].label, "cleanup/DeleteFile");
    let json = serde_json::to_string(&o.report).unwrap();
    assert!(!json.contains("child-token") && !json.contains(TOKEN));
}

#[tokio::test]
async fn a_state_key_never_saved_fails_the_case_instead_of_aborting() {
    let server = server_answering_get_200().await;
    let cases = case("NoState", r#"<CheckFileInfo OverrideUrl="$State:Nope"/>"#) + &*case("Next", "<CheckFileInfo/>");
    let o = run_on(suite(&group(&cases)), &server.uri()).await;
    let c = case_named(&o, "NoState");
    assert_eq!(c.outcome, Outcome::Failed);
    assert!(c.failures[0].actual.contains("$State:Nope"), "{:?}", c.failures);
    assert_eq!(case_named(&o, "Next").outcome, Outcome::Passed);
}

#[tokio::test]
async fn concurrent_step_checks_the_combined_outcome() {
    let server = MockServer::start().await;
    // A host without lock arbitration: both concurrent Locks win.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let c = case(
        "Race",
        r#"<ext:Concurrent><Lock Lock="A"><Validators/></Lock><Lock Lock="B"><Validators/></Lock>
             <ext:ExpectStatus Code="200" Exactly="1"/><ext:ExpectStatus Code="409" Exactly="1"/></ext:Concurrent>"#,
    );
    let o = run_on(suite(&group(&c)), &server.uri()).await;
    let r = case_named(&o, "Race");
    assert_eq!(r.outcome, Outcome::Failed);
    let labels: Vec<&str> = r.transcript.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(r.transcript.len(), 2, "{labels:?}");
    assert_eq!(r.failures.len(), 2);
    assert_eq!(r.failures[0].expected, "exactly 1 answers with status 200");
    assert_eq!(r.failures[0].actual, "2 (statuses: 200, 200)");
}

#[tokio::test]
async fn should_failures_make_a_warning() {
    let server = server_answering_get_200().await;
    let c = case(
        "Rec",
        r#"<CheckFileInfo><Validators><ResponseCodeValidator ExpectedCode="200"/><ResponseHeaderValidator Header="X-WOPI-ItemVersion" IsRequired="true" ext:Severity="Should"/></Validators></CheckFileInfo>"#,
    );
    let o = run_on(suite(&group(&c)), &server.uri()).await;
    assert_eq!(case_named(&o, "Rec").outcome, Outcome::Warning);
}

struct StepClock(AtomicU64);

impl ClockControl for StepClock {
    fn advance(&self, by: Duration) -> Result<(), String> {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn clock_steps_need_a_clock_hook_and_key_rotation_rotates() {
    let server = server_answering_get_200().await;
    let c = case(
        "Clock",
        r#"<CheckFileInfo/><ext:AdvanceClock Seconds="1801"/><CheckFileInfo/>"#,
    ) + &*case("Rotate", r#"<ext:RotateKeys/><CheckFileInfo/>"#);
    let o = run_on(suite(&group(&c)), &server.uri()).await;
    let clock = case_named(&o, "Clock");
    assert_eq!(clock.outcome, Outcome::Skipped);
    assert!(clock.reason.as_deref().unwrap().contains("clock cannot be stepped"));

    let hook = Arc::new(StepClock(AtomicU64::new(0)));
    let client = client();
    let before = keys::read(client.keys()).generation();
    let o = run_with(
        suite(&group(&c)),
        client.clone(),
        TargetSource::Fixed(target(&server.uri())),
        RunOptions::default(),
        Some(hook.clone()),
    )
    .await;
    assert_eq!(case_named(&o, "Clock").outcome, Outcome::Passed);
    assert_eq!(hook.0.load(Ordering::SeqCst), 1801);
    assert_eq!(case_named(&o, "Rotate").outcome, Outcome::Passed);
    assert_eq!(keys::read(client.keys()).generation(), before + 1);
}

/// Hands out `/wopi/files/<n>` for each case, counting calls.
struct CountingProvisioner {
    base: String,
    ids: Mutex<Vec<String>>,
}

impl Provisioner for CountingProvisioner {
    fn provision<'a>(&'a self, case_id: &'a str) -> wopi_harness::exec::provision::ProvisionFuture<'a> {
        Box::pin(async move {
            let mut ids = self.ids.lock().map_err(|_| ProvisionError::Other("poisoned".into()))?;
            ids.push(case_id.to_string());
            let n = ids.len();
            Ok(Target {
                wopisrc: Url::parse(&format!("{}/wopi/files/p{n}", self.base)).unwrap(),
                access_token: TOKEN.into(),
                access_token_ttl: 0,
                instances: Vec::new(),
            })
        })
    }
}

#[tokio::test]
async fn provisioned_mode_gives_each_case_its_own_file_and_runs_in_parallel() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    let cases: String = (0..6).map(|i| case(&format!("C{i}"), "<CheckFileInfo/>")).collect();
    let p = Arc::new(CountingProvisioner {
        base: server.uri(),
        ids: Mutex::new(Vec::new()),
    });
    let options = RunOptions {
        jobs: 3,
        ..RunOptions::default()
    };
    let t0 = std::time::Instant::now();
    let o = run_with(
        suite(&group(&cases)),
        client(),
        TargetSource::Provisioned(p.clone()),
        options,
        None,
    )
    .await;
    assert!(
        t0.elapsed() < Duration::from_millis(1100),
        "cases did not overlap: {:?}",
        t0.elapsed()
    );
    assert!(o.report.cases.iter().all(|c| c.outcome == Outcome::Passed));
    // Results stay in document order.
    let names: Vec<&str> = o.report.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["C0", "C1", "C2", "C3", "C4", "C5"]);
    let mut ids = p.ids.lock().unwrap().clone();
    ids.sort();
    assert_eq!(ids.len(), 6);
    assert!(ids.contains(&"t::G::C3".to_string()));
}

#[tokio::test]
async fn filters_select_by_group_glob_and_category() {
    let server = server_answering_get_200().await;
    let cases = case("Lock.One", "<CheckFileInfo/>")
        + &*case("Lock.Two", "<CheckFileInfo/>")
        + &*case("Other", "<CheckFileInfo/>");
    let options = RunOptions {
        filters: Filters {
            cases: vec!["Lock.*".into()],
            ..Filters::default()
        },
        ..RunOptions::default()
    };
    let o = run_with(
        suite(&group(&cases)),
        client(),
        TargetSource::Fixed(target(&server.uri())),
        options,
        None,
    )
    .await;
    assert_eq!(o.report.cases.len(), 2);
    let options = RunOptions {
        filters: Filters {
            categories: vec![wopi_harness::suite::Category::WopiCoauth],
            ..Filters::default()
        },
        ..RunOptions::default()
    };
    let o = run_with(
        suite(&group(&cases)),
        client(),
        TargetSource::Fixed(target(&server.uri())),
        options,
        None,
    )
    .await;
    assert!(o.report.cases.is_empty());
}

#[tokio::test]
async fn an_exclusive_case_never_overlaps_another() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let cases = r#"<TestCase Name="Alone" Category="WopiCore" ext:Exclusive="true"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>"#
        .to_string()
        + &*case("Other", "<CheckFileInfo/>");
    let p = Arc::new(CountingProvisioner {
        base: server.uri(),
        ids: Mutex::new(Vec::new()),
    });
    let options = RunOptions {
        jobs: 2,
        ..RunOptions::default()
    };
    let t0 = std::time::Instant::now();
    let o = run_with(
        suite(&group(&cases)),
        client(),
        TargetSource::Provisioned(p),
        options,
        None,
    )
    .await;
    assert!(o.report.cases.iter().all(|c| c.outcome == Outcome::Passed));
    assert!(
        t0.elapsed() >= Duration::from_millis(600),
        "the exclusive case overlapped: {:?}",
        t0.elapsed()
    );
}

/// A GetChunkedFile answer: the message frame, the chunks, the end frame.
fn chunked_answer(content: &str, send_chunk: bool) -> Vec<u8> {
    use wopi_protocol::cspp::{message, spooky::ChunkId};
    let message = serde_json::json!({
        "ContentProperties": [{"Name": "P", "Retention": "KeepOnContentChange", "Value": "V"}],
        "Signatures": [{"ChunkSignatures": [{"ChunkId": ChunkId::of(content.as_bytes()).to_string(), "Length": content.len()}],
                        "ChunkingScheme": "FullFile", "StreamId": "MainContent"}],
    });
    let chunks: Vec<&[u8]> = if send_chunk {
        vec![content.as_bytes()]
    } else {
        Vec::new()
    };
    message::write_body("answer", &message, chunks).unwrap()
}

/// A request body parsed as a frame stream.
fn parse_frames(body: &[u8]) -> wopi_protocol::cspp::frame::FrameStream<'_> {
    wopi_protocol::cspp::frame::FrameStream::parse(body, &wopi_protocol::cspp::frame::Limits::default()).unwrap()
}

fn get_chunked_case(name: &str) -> String {
    case(
        name,
        r#"<GetChunkedFile>
             <ContentPropertiesToReturn><ContentPropertyToReturn Value="P"/></ContentPropertiesToReturn>
             <ContentFilters><ContentFilter ChunkingScheme="FullFile" StreamId="MainContent" ChunksToReturn="All" AlreadyExistingContent=""/></ContentFilters>
             <Validators>
               <ResponseCodeValidator ExpectedCode="200"/>
               <FramesValidator MessageJsonPayloadSchema="GetChunkedFileResponseSchema" ExpectedHostBlobsCount="1">
                 <ContentStreamValidator StreamId="MainContent" ExpectedChunkingScheme="FullFile" AlreadyExistingContent="" ExpectedContent="SampleTextVersion-1"/>
                 <ContentPropertyValidator Name="P" ExpectedValue="V" ExpectedRetention="KeepOnContentChange"/>
               </FramesValidator>
             </Validators>
           </GetChunkedFile>"#,
    )
}

#[tokio::test]
async fn get_chunked_file_frames_are_checked() {
    let good = MockServer::start().await;
    Mock::given(header("X-WOPI-Override", "GET_CHUNKED_FILE"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(chunked_answer("SampleTextVersion-1", true)))
        .mount(&good)
        .await;
    let o = run_on(suite(&group(&get_chunked_case("Get"))), &good.uri()).await;
    let c = case_named(&o, "Get");
    assert_eq!(c.outcome, Outcome::Passed, "{:?}", c.failures);
    // The request is a frame stream whose message names the stream and the property.
    let reqs = good.received_requests().await.unwrap();
    let frames = parse_frames(&reqs[0].body);
    assert!(frames.chunks.is_empty());
    let message = String::from_utf8(frames.message.to_vec()).unwrap();
    assert_eq!(
        message,
        r#"{"ContentFilters":[{"AlreadyKnownChunks":[],"ChunkingScheme":"FullFile","ChunksToReturn":"All","StreamId":"MainContent"}],"ContentPropertiesToReturn":["P"]}"#
    );

    let wrong = MockServer::start().await;
    Mock::given(header("X-WOPI-Override", "GET_CHUNKED_FILE"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(chunked_answer("SampleTextVersion-2", true)))
        .mount(&wrong)
        .await;
    let o = run_on(suite(&group(&get_chunked_case("Get"))), &wrong.uri()).await;
    let c = case_named(&o, "Get");
    assert_eq!(c.outcome, Outcome::Failed);
    assert_eq!(c.failures[0].check, "FramesValidator");
    assert_eq!(c.failures[0].expected, "stream MainContent: 'SampleTextVersion-1'");
    assert_eq!(c.failures[0].actual, "'SampleTextVersion-2'");

    let missing = MockServer::start().await;
    Mock::given(header("X-WOPI-Override", "GET_CHUNKED_FILE"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(chunked_answer("SampleTextVersion-1", false)))
        .mount(&missing)
        .await;
    let o = run_on(suite(&group(&get_chunked_case("Get"))), &missing.uri()).await;
    let c = case_named(&o, "Get");
    let checks: Vec<&str> = c.failures.iter().map(|f| f.expected.as_str()).collect();
    assert_eq!(
        checks,
        ["1 distinct chunks", "stream MainContent rebuilt from its signature"]
    );
}

#[tokio::test]
async fn put_chunked_file_sends_the_delta_and_the_sequence_number() {
    let server = MockServer::start().await;
    Mock::given(header("X-WOPI-Override", "PUT_CHUNKED_FILE"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-WOPI-SequenceNumber", "8"))
        .mount(&server)
        .await;
    let c = case(
        "Put",
        r#"<PutChunkedFile SequenceNumber="7" CoauthLockId="C1">
             <ContentProperties><ContentProperty Name="P" Value="V" Retention="KeepOnContentChange"/></ContentProperties>
             <ContentStreams>
               <ContentStream ChunkingScheme="FullFile" StreamId="MainContent" NewContent="new" LastKnownHostContent="old"/>
               <ContentStream ChunkingScheme="FullFile" StreamId="Alternate" NewContent="same" LastKnownHostContent="same"/>
             </ContentStreams>
             <Validators><ResponseHeaderValidator Header="X-WOPI-SequenceNumber" Comparator="&gt;" ExpectedValue="7"/></Validators>
           </PutChunkedFile>"#,
    );
    let o = run_on(suite(&group(&c)), &server.uri()).await;
    assert_eq!(
        case_named(&o, "Put").outcome,
        Outcome::Passed,
        "{:?}",
        case_named(&o, "Put").failures
    );
    let reqs = server.received_requests().await.unwrap();
    let r = &reqs[0];
    assert_eq!(r.url.path(), "/wopi/files/1/contents");
    let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(h("X-WOPI-SequenceNumber").as_deref(), Some("7"));
    assert_eq!(h("X-WOPI-CoauthLockId").as_deref(), Some("C1"));
    assert_eq!(h("X-WOPI-Lock").as_deref(), Some(""));
    let frames = parse_frames(&r.body);
    // Message, one chunk (only "new": "same" is already on the host), end.
    assert_eq!(frames.chunks.len(), 1);
    assert_eq!(frames.chunks[0].1, b"new");
    let message: serde_json::Value = serde_json::from_slice(frames.message).unwrap();
    assert_eq!(message["Signatures"][1]["StreamId"], "Alternate");
    assert_eq!(message["ContentProperties"][0]["Retention"], "KeepOnContentChange");
}

/// Issues a fixed token for `<ext:AccessToken>` and records which kinds were asked for.
struct TokenHook(Mutex<Vec<suite::TokenUse>>);

impl ClockControl for TokenHook {
    fn advance(&self, _by: Duration) -> Result<(), String> {
        Ok(())
    }

    fn special_token<'a>(&'a self, _target: &'a Target, kind: suite::TokenUse) -> wopi_harness::exec::TokenFuture<'a> {
        if let Ok(mut asked) = self.0.lock() {
            asked.push(kind);
        }
        Box::pin(async move { Ok(format!("minted-{kind}")) })
    }
}

#[tokio::test]
async fn access_token_use_asks_the_hook_and_is_skipped_without_one() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("access_token", "minted-expired"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let c = case(
        "Expired",
        r#"<CheckFileInfo><ext:AccessToken Use="expired"/><Validators><ResponseCodeValidator ExpectedCode="401"/></Validators></CheckFileInfo>"#,
    );
    // No hook (an external host): skipped, with the reason.
    let o = run_on(suite(&group(&c)), &server.uri()).await;
    let r = case_named(&o, "Expired");
    assert_eq!(r.outcome, Outcome::Skipped);
    assert!(
        r.reason.as_deref().unwrap().contains("embedded host only"),
        "{:?}",
        r.reason
    );

    // A hook without token support: skipped too.
    let o = run_with(
        suite(&group(&c)),
        client(),
        TargetSource::Fixed(target(&server.uri())),
        RunOptions::default(),
        Some(Arc::new(StepClock(AtomicU64::new(0)))),
    )
    .await;
    assert_eq!(case_named(&o, "Expired").outcome, Outcome::Skipped);

    // With one: the minted token is what reaches the host.
    let hook = Arc::new(TokenHook(Mutex::new(Vec::new())));
    let o = run_with(
        suite(&group(&c)),
        client(),
        TargetSource::Fixed(target(&server.uri())),
        RunOptions::default(),
        Some(hook.clone()),
    )
    .await;
    assert_eq!(case_named(&o, "Expired").outcome, Outcome::Passed);
    assert_eq!(*hook.0.lock().unwrap(), vec![suite::TokenUse::Expired]);
}

/// A host clock the hook can read: stopped at `at`.
struct ReadableClock {
    at: SystemTime,
}

impl ClockControl for ReadableClock {
    fn advance(&self, _by: Duration) -> Result<(), String> {
        Ok(())
    }

    fn host_now(&self) -> Option<SystemTime> {
        Some(self.at)
    }
}

#[tokio::test]
async fn proof_age_is_measured_from_the_host_clock() {
    let server = server_answering_get_200().await;
    let c = case(
        "Aged",
        r#"<CheckFileInfo><Mutators><ProofKey ext:AgeSeconds="1210"/></Mutators></CheckFileInfo>"#,
    );
    let stamp_of = |r: &Request| -> u64 {
        r.headers
            .get("X-WOPI-TimeStamp")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    // A readable host clock (stopped a day ago) is used as it is.
    let at = SystemTime::now() - Duration::from_secs(86_400);
    let hook = Arc::new(ReadableClock { at });
    let o = run_with(
        suite(&group(&c)),
        client(),
        TargetSource::Fixed(target(&server.uri())),
        RunOptions::default(),
        Some(hook),
    )
    .await;
    assert_eq!(case_named(&o, "Aged").outcome, Outcome::Passed);
    let reqs = server.received_requests().await.unwrap();
    let expected = proof::Ticks::from_system_time(at - Duration::from_secs(1210)).0;
    assert_eq!(stamp_of(reqs.last().unwrap()), expected);

    // Otherwise the runner's clock plus its steps: 1801 s ahead, 1210 s back.
    let o = run_with(
        suite(&group(&(case("Step", r#"<ext:AdvanceClock Seconds="1801"/>"#) + &*c))),
        client(),
        TargetSource::Fixed(target(&server.uri())),
        RunOptions::default(),
        Some(Arc::new(StepClock(AtomicU64::new(0)))),
    )
    .await;
    assert_eq!(case_named(&o, "Aged").outcome, Outcome::Passed);
    let reqs = server.received_requests().await.unwrap();
    let sent = stamp_of(reqs.last().unwrap());
    let expected = proof::Ticks::from_system_time(SystemTime::now() + Duration::from_secs(591)).0;
    // Within a minute of the expected stamp (the run takes well under that).
    assert!(
        expected.abs_diff(sent) < 60 * 10_000_000,
        "sent {sent}, expected about {expected}"
    );
}

#[tokio::test]
async fn a_case_needing_an_operation_the_host_declares_unsupported_is_skipped_not_failed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"BaseFileName":"a.wopitest","UserCanNotWriteRelative":true,"SupportsRename":true,"UserCanRename":true}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(header("X-WOPI-Override", "PUT_RELATIVE"))
        .respond_with(ResponseTemplate::new(501))
        .mount(&server)
        .await;
    let cases = case(
        "RenameMadeFile",
        r#"<PutRelativeFile PutRelativeFileMode="Suggested" Name=".wopitest" ResourceId="WordSimpleDocument" />
           <RenameFile Name="renamed" />"#,
    ) + &*case(
        "RelativeRefused",
        r#"<PutRelativeFile PutRelativeFileMode="Suggested" Name=".wopitest" ResourceId="WordSimpleDocument">
             <Validators><ResponseCodeValidator ExpectedCode="501" /></Validators>
           </PutRelativeFile>"#,
    );
    let o = run_on(suite(&group(&cases)), &server.uri()).await;
    let made = case_named(&o, "RenameMadeFile");
    assert_eq!(made.outcome, Outcome::Skipped, "{:?}", made.failures);
    let reason = made.reason.as_deref().unwrap();
    assert!(
        reason.contains("PutRelativeFile") && reason.contains("UserCanNotWriteRelative is true"),
        "{reason}"
    );
    // Expecting the refusal is the case's subject: it runs and passes.
    assert_eq!(case_named(&o, "RelativeRefused").outcome, Outcome::Passed);
}

#[tokio::test]
async fn refused_setup_blocks_the_case_with_the_hosts_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"BaseFileName":"a.wopitest","SupportsLocks":true}"#),
        )
        .mount(&server)
        .await;
    // Locked by someone else: the harness's setup Lock is refused.
    Mock::given(header("X-WOPI-Override", "LOCK"))
        .respond_with(ResponseTemplate::new(409).insert_header("X-WOPI-Lock", "someone-else"))
        .mount(&server)
        .await;
    let c = r#"<TestCase Name="NeedsContent" Category="WopiCore" UploadDocumentOnSetup="true" ResourceId="WordSimpleDocument">
          <Description>d</Description><Requests><GetFile /></Requests></TestCase>"#;
    let o = run_on(suite(&group(c)), &server.uri()).await;
    let r = case_named(&o, "NeedsContent");
    assert_eq!(r.outcome, Outcome::Blocked);
    let reason = r.reason.as_deref().unwrap();
    assert!(
        reason.contains("setup Lock") && reason.contains("409") && reason.contains("someone-else"),
        "{reason}"
    );
    // Never an unlocked PutFile on a file that may not be empty.
    let reqs = server.received_requests().await.unwrap();
    assert!(
        !reqs
            .iter()
            .any(|r| r.url.path().ends_with("/contents") && r.method.as_str() == "POST"),
        "no PutFile after a refused setup Lock"
    );
    assert!(
        r.transcript.iter().any(|e| e.label == "setup/Lock"),
        "setup is in the transcript"
    );
}

#[tokio::test]
async fn a_dead_host_stops_the_run_naming_the_first_request_it_did_not_answer() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let cases: String = ["One", "Two", "Three", "Four", "Five"]
        .iter()
        .map(|n| case(n, r#"<Lock Lock="x"><Validators /></Lock>"#))
        .collect();
    let o = run_on(suite(&group(&cases)), &format!("http://{addr}")).await;
    let outcomes: Vec<Outcome> = o.report.cases.iter().map(|c| c.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Failed,
            Outcome::NotRun,
            Outcome::NotRun,
            Outcome::NotRun,
            Outcome::NotRun
        ]
    );
    let stop = o.report.host_stopped.as_ref().expect("the stop is reported");
    assert_eq!(stop.case, "t::G::One");
    assert_eq!(stop.request, "Lock");
    assert!(
        stop.sent.contains("X-WOPI-Override LOCK") && stop.sent.contains("X-WOPI-Lock 'x'"),
        "{}",
        stop.sent
    );
    assert!(
        stop.message
            .starts_with("The host stopped answering during `t::G::One`"),
        "{}",
        stop.message
    );
    assert!(!stop.message.contains(TOKEN));
}
