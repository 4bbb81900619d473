//! The lock-race suite against the in-process reference host: the clean host passes every mix; with the
//! non-atomic Lock fault the default race finds the bug in every one of 20 seeds and prints a short interleaving.
//! Plus the checker on hand-written histories.
#![allow(clippy::unwrap_used)] // test helpers and assertions

use std::time::Duration;

use bytes::Bytes;
use url::Url;
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::race::check::{self, Rule};
use wopi_harness::race::run::{FINAL_CLIENT, History, Initial, OpRecord, Received, SentCall};
use wopi_harness::race::{OpMix, RaceConfig, run_race};
use wopi_mock_office::client::{ClientConfig, WopiClient, WopiTarget};
use wopi_protocol::transcript::{Exchange, RecordedOutcome, RecordedRequest};
use wopi_reference_host::faults::{Fault, FaultSet};

/// The embedded host with `faults`, a client and a fresh (empty) file.
async fn setup(faults: FaultSet) -> (EmbeddedTarget, WopiClient, WopiTarget) {
    let host = EmbeddedTarget::start(EmbeddedOptions {
        faults,
        ..EmbeddedOptions::default()
    })
    .await
    .unwrap();
    let client = host.mock().client(ClientConfig::default()).unwrap();
    let target = fresh_file(&host).await;
    (host, client, target)
}

async fn fresh_file(host: &EmbeddedTarget) -> WopiTarget {
    let file = host.provisioner().fresh_file().await.unwrap();
    WopiTarget::new(Url::parse(&file.wopisrc).unwrap(), file.access_token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_host_passes_every_mix() {
    let (host, client, target) = setup(FaultSet::none()).await;
    let default = RaceConfig::default();
    let outcome = run_race(&client, &target, &default).await.unwrap();
    assert!(outcome.passed(), "{}", outcome.failure_message().unwrap_or_default());
    assert_eq!(outcome.runs, 1);
    assert_eq!(
        outcome.first_run_operations, 402,
        "400 planned plus the final GetFile and GetLock"
    );
    for mix in OpMix::ALL {
        let config = RaceConfig {
            mix,
            operations: 160,
            seed: 7,
            ..RaceConfig::default()
        };
        let outcome = run_race(&client, &target, &config).await.unwrap();
        assert!(
            outcome.passed(),
            "{mix}: {}",
            outcome.failure_message().unwrap_or_default()
        );
        assert_eq!(outcome.transcript.len(), 162, "{mix}");
    }
    // The race leaves the file unlocked.
    let lock = client.get_lock(&target).await.unwrap();
    assert_eq!(lock.header("X-WOPI-Lock").unwrap_or(""), "");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_races_with_one_seed_on_one_file_never_share_ids_or_bodies() {
    // Otherwise a body the first race left could pass for one the second sent (the validator's one-file mode).
    let (host, client, target) = setup(FaultSet::none()).await;
    let config = RaceConfig {
        clients: 2,
        operations: 6,
        mix: OpMix::PutFile,
        ..RaceConfig::default()
    };
    let sent = |outcome: &wopi_harness::race::RaceOutcome| -> Vec<String> {
        outcome
            .transcript
            .iter()
            .flat_map(|e| e.request.headers.iter())
            .filter(|(n, _)| n.eq_ignore_ascii_case("X-WOPI-Lock"))
            .map(|(_, v)| v.clone())
            .collect()
    };
    let first = run_race(&client, &target, &config).await.unwrap();
    let second = run_race(&client, &target, &config).await.unwrap();
    assert!(first.passed() && second.passed());
    let (a, b) = (sent(&first), sent(&second));
    assert!(!a.is_empty() && !b.is_empty());
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} / {b:?}");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_race_is_judged_without_running_out_of_search_steps() {
    let (host, client, target) = setup(FaultSet::none()).await;
    for mix in [OpMix::Mixed, OpMix::PutFile] {
        let config = RaceConfig {
            clients: wopi_harness::race::MAX_CLIENTS,
            operations: wopi_harness::race::MAX_OPERATIONS,
            mix,
            ..RaceConfig::default()
        };
        let outcome = run_race(&client, &target, &config).await.unwrap();
        assert!(
            outcome.passed(),
            "{mix}: {}",
            outcome.failure_message().unwrap_or_default()
        );
        // No "not decided" or "budget" note: every operation was sent and the search finished.
        assert!(outcome.notes.is_empty(), "{mix}: {:?}", outcome.notes);
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_atomic_lock_is_found_in_20_of_20_seeded_races() {
    let (host, client, _) = setup(FaultSet::of([Fault::NonAtomicLock])).await;
    let mut longest = 0;
    let mut sample = String::new();
    for seed in 1..=20u64 {
        // A fresh file per race, as the runner gives each case.
        let target = fresh_file(&host).await;
        let config = RaceConfig {
            seed,
            ..RaceConfig::default()
        };
        let outcome = run_race(&client, &target, &config).await.unwrap();
        let failure = outcome
            .failure
            .as_ref()
            .unwrap_or_else(|| panic!("seed {seed}: the race did not find the non-atomic Lock"));
        assert!(
            matches!(
                failure.rule,
                Rule::OneHolder | Rule::Linearizable | Rule::LosersToldHolder
            ),
            "seed {seed}: {:?}",
            failure.rule
        );
        // Found within the default budget: the first run was not cut short.
        assert_eq!(outcome.first_run_operations, 402, "seed {seed}");
        let message = outcome.failure_message().unwrap();
        assert!(message.contains("<<"), "the culprits are marked: {message}");
        // Shrunk: two racing clients and the final reads are enough.
        assert!(
            failure.operations <= 8,
            "seed {seed}: {} operations\n{message}",
            failure.operations
        );
        if failure.operations > longest {
            longest = failure.operations;
            sample = message;
        }
    }
    eprintln!("longest shrunk interleaving ({longest} operations):\n{sample}");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_with_a_wrong_lock_that_writes_is_reported_with_its_body() {
    let (host, client, target) = setup(FaultSet::of([Fault::PutFileWrongLockAccepted])).await;
    let config = RaceConfig {
        mix: OpMix::PutFile,
        operations: 200,
        ..RaceConfig::default()
    };
    let outcome = run_race(&client, &target, &config).await.unwrap();
    let message = outcome.failure_message().expect("the wrong-lock PutFile is found");
    assert!(message.contains("PutFile"), "{message}");
    host.shutdown().await;
}

/// A host that says yes to everything: every lock operation 200, GetLock always "unlocked".
async fn yes_host() -> wiremock::MockServer {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, ResponseTemplate};
    let server = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("X-WOPI-Override", "GET_LOCK"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-WOPI-Lock", ""))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/wopi/files/1/contents"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"content".to_vec()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(5)
        .mount(&server)
        .await;
    server
}

fn plain_client() -> WopiClient {
    let config = ClientConfig {
        total_timeout: Duration::from_secs(5),
        ..ClientConfig::default()
    };
    WopiClient::new(config, wopi_mock_office::keys::KeyRing::fixed().unwrap().shared()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_grants_every_lock_fails_with_a_short_interleaving() {
    let server = yes_host().await;
    let target = WopiTarget::new(Url::parse(&format!("{}/wopi/files/1", server.uri())).unwrap(), "tok");
    let config = RaceConfig {
        clients: 4,
        operations: 40,
        mix: OpMix::LockOnly,
        ..RaceConfig::default()
    };
    let report = wopi_harness::race::run_step(&plain_client(), &target, &config, "LockRace").await;
    assert_eq!(report.failures.len(), 1, "{:?}", report.notes);
    let failure = &report.failures[0];
    // Shrinking keeps whatever still fails: here a single Lock that GetLock then denies is the shortest story.
    assert!(
        matches!(failure.check.as_str(), "LockRace OneHolder" | "LockRace Linearizable"),
        "{}",
        failure.check
    );
    assert!(failure.actual.contains("from 40 planned"), "{}", failure.actual);
    assert!(
        failure.actual.lines().filter(|l| l.contains(" Lock ")).count() <= 2,
        "{}",
        failure.actual
    );
    assert!(!report.transcript.is_empty());
    assert!(
        report
            .transcript
            .iter()
            .all(|e| !format!("{e:?}").contains("tok&") && !format!("{e:?}").contains("=tok"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_cannot_answer_getlock_is_a_setup_failure_not_a_crash() {
    use wiremock::{Mock, ResponseTemplate};
    let server = wiremock::MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let target = WopiTarget::new(Url::parse(&format!("{}/wopi/files/1", server.uri())).unwrap(), "tok");
    let report = wopi_harness::race::run_step(&plain_client(), &target, &RaceConfig::default(), "LockRace").await;
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].check, "LockRace setup");
    assert!(
        report.failures[0]
            .actual
            .contains("GetLock before the race answered 500"),
        "{}",
        report.failures[0].actual
    );
}

// ---- the checker on hand-written histories ----

fn exchange(label: &str) -> Exchange {
    Exchange {
        label: label.to_owned(),
        request: RecordedRequest {
            method: "POST".into(),
            url: "http://host/wopi/files/1".into(),
            headers: Vec::new(),
            body_size: 0,
            body_preview: String::new(),
        },
        outcome: RecordedOutcome::TransportError {
            message: "hand-written".into(),
        },
        elapsed_ms: 0.0,
    }
}

fn op(client: u16, call: SentCall, status: u16, lock: Option<&str>, ms: (u64, u64)) -> OpRecord {
    let body = matches!(call, SentCall::GetFile).then(Bytes::new);
    OpRecord {
        client,
        planned: 0,
        exchange: exchange(call.name()),
        call,
        invoked: Duration::from_millis(ms.0),
        returned: Some(Duration::from_millis(ms.1)),
        received: Received::Response {
            status,
            lock: lock.map(str::to_owned),
            version: None,
            body,
        },
    }
}

fn lock(id: &str) -> SentCall {
    SentCall::Lock { lock: id.into() }
}

fn unlock(id: &str) -> SentCall {
    SentCall::Unlock { lock: id.into() }
}

fn history(ops: Vec<OpRecord>) -> History {
    History {
        tag: "hand".into(),
        initial: Initial {
            holder: None,
            content: Bytes::new(),
            version: None,
        },
        ops,
        budget_exhausted: false,
    }
}

#[test]
fn a_linearizable_history_passes() {
    let h = history(vec![
        op(0, lock("A"), 200, None, (0, 10)),
        op(1, lock("B"), 409, Some("A"), (1, 9)),
        op(0, unlock("A"), 200, None, (11, 12)),
        op(1, unlock("A"), 409, None, (11, 13)),
        op(1, lock("B"), 200, None, (14, 15)),
        op(FINAL_CLIENT, SentCall::GetFile, 200, None, (16, 17)),
        op(FINAL_CLIENT, SentCall::GetLock, 200, Some("B"), (18, 19)),
    ]);
    let report = check::check(&h, 100_000);
    assert_eq!(report.violation, None);
}

#[test]
fn a_loser_told_a_holder_that_had_already_left_is_not_linearizable() {
    // c1's Lock starts after c0's Unlock returned, yet it is told A holds the lock: no order explains that.
    let h = history(vec![
        op(0, lock("A"), 200, None, (0, 1)),
        op(0, unlock("A"), 200, None, (2, 3)),
        op(1, lock("B"), 409, Some("A"), (4, 5)),
        op(FINAL_CLIENT, SentCall::GetLock, 200, None, (6, 7)),
    ]);
    let v = check::check(&h, 100_000).violation.expect("not linearizable");
    assert_eq!(v.rule, Rule::Linearizable);
    assert!(v.ops.contains(&2), "{v:?}");
    let printed = check::interleaving(&h, &v.ops);
    assert!(
        printed.contains("Lock B") && printed.contains("409 X-WOPI-Lock=\"A\""),
        "{printed}"
    );
}

#[test]
fn two_overlapping_winners_break_the_one_holder_rule() {
    let h = history(vec![
        op(0, lock("A"), 200, None, (0, 20)),
        op(1, lock("B"), 200, None, (1, 21)),
        op(FINAL_CLIENT, SentCall::GetLock, 200, Some("B"), (30, 31)),
    ]);
    let v = check::check(&h, 100_000).violation.expect("two holders");
    assert_eq!(v.rule, Rule::OneHolder);
    assert_eq!(v.ops, vec![0, 1]);
}

#[test]
fn a_loser_must_be_told_the_holder() {
    let h = history(vec![
        op(0, lock("A"), 200, None, (0, 1)),
        op(1, lock("B"), 409, None, (2, 3)),
    ]);
    let v = check::check(&h, 100_000).violation.expect("no X-WOPI-Lock");
    assert_eq!(v.rule, Rule::LosersToldHolder);
    assert!(v.message.contains("missing"), "{}", v.message);
}

#[test]
fn a_refused_put_whose_body_is_read_back_breaks_the_content_rule() {
    let body = Bytes::from_static(b"stale body");
    let mut read = op(FINAL_CLIENT, SentCall::GetFile, 200, None, (10, 11));
    if let Received::Response { body: b, .. } = &mut read.received {
        *b = Some(body.clone());
    }
    let h = history(vec![
        op(0, lock("A"), 200, None, (0, 1)),
        op(1, SentCall::PutFile { lock: "B".into(), body }, 409, Some("A"), (2, 3)),
        read,
    ]);
    let v = check::check(&h, 100_000).violation.expect("stale write");
    assert_eq!(v.rule, Rule::Content);
    assert_eq!(v.ops, vec![1, 2]);
}

#[test]
fn a_write_that_keeps_the_version_breaks_the_content_rule() {
    let body = Bytes::from_static(b"new body");
    let mut read = op(FINAL_CLIENT, SentCall::GetFile, 200, None, (10, 11));
    if let Received::Response { body: b, version, .. } = &mut read.received {
        *b = Some(body.clone());
        *version = Some("v1".into());
    }
    let mut h = history(vec![
        op(0, lock("A"), 200, None, (0, 1)),
        op(0, SentCall::PutFile { lock: "A".into(), body }, 200, None, (2, 3)),
        read.clone(),
    ]);
    h.initial.version = Some("v1".into());
    let v = check::check(&h, 100_000).violation.expect("version kept");
    assert_eq!(v.rule, Rule::Content);
    assert!(v.message.contains("stayed \"v1\""), "{}", v.message);
    // With a new version the same history passes.
    if let Received::Response { version, .. } = &mut h.ops[2].received {
        *version = Some("v2".into());
    }
    assert_eq!(check::check(&h, 100_000).violation, None);
}
