//! The embedded run puts each group on the reference-host configuration its prereqs need
//! (`harness/src/configurations.rs`), so no group is skipped for a host setting the reference host can make:
//! every suite and the validator's TestCases.xml run once, and every case names its configuration.
//!
//! `cargo test -p wopi-harness --test configurations`

#![allow(clippy::unwrap_used)] // test assertions

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use wopi_harness::configurations;
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::exec::{ClockControl, Filters, NoProgress, RunOptions, Runner, TargetSource};
use wopi_harness::report::model::{CaseResult, Outcome};
use wopi_harness::suite::{self, Suite};
use wopi_harness::validate::SchemaStore;
use wopi_mock_office::client::ClientConfig;
use wopi_reference_host::configuration::Configuration;

fn suites() -> Vec<Suite> {
    let mut files = vec![suite::validator_dir().join("TestCases.xml")];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
    let mut own: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    own.sort();
    files.extend(own);
    files.into_iter().map(|p| suite::load(&p).unwrap()).collect()
}

async fn run(filters: Filters) -> Vec<CaseResult> {
    let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.unwrap();
    let client = target.mock().client(ClientConfig::default()).unwrap();
    let provisioner = Arc::new(target.provisioner());
    let clock: Arc<dyn ClockControl> = provisioner.clone();
    let options = RunOptions {
        jobs: 2,
        filters,
        host_kind: "embedded reference host".into(),
        ..RunOptions::default()
    };
    let schemas = SchemaStore::load(&suite::validator_dir().join("JsonSchemas"));
    let runner = Runner::new(
        suites(),
        client,
        schemas,
        TargetSource::Provisioned(provisioner),
        options,
    )
    .unwrap()
    .with_clock(clock);
    let outcome = runner.run(&NoProgress).await;
    target.shutdown().await;
    outcome.report.cases
}

#[test]
fn no_group_of_any_suite_needs_two_configurations() {
    for s in suites() {
        for g in &s.groups {
            let all = configurations::all_for(&g.prereqs);
            assert!(all.len() <= 1, "{}::{} needs {all:?}", s.name, g.name);
        }
    }
}

#[test]
fn every_prereq_in_the_table_exists_in_a_suite() {
    let suites = suites();
    for (name, _) in configurations::BY_PREREQ {
        assert!(
            suites.iter().any(|s| s.prereq(name).is_some()),
            "the table names {name}, which no suite has"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_case_is_skipped_for_a_setting_every_validator_case_passes_and_each_runs_on_its_configuration() {
    let suites = suites();
    let prereqs_of: BTreeMap<(String, String), Vec<String>> = suites
        .iter()
        .flat_map(|s| {
            s.groups
                .iter()
                .map(move |g| ((s.name.clone(), g.name.clone()), g.prereqs.clone()))
        })
        .collect();
    let cases = run(Filters::default()).await;
    assert!(cases.len() > 400, "{} cases", cases.len());
    let mut on_other = BTreeMap::<String, usize>::new();
    for c in &cases {
        let want = configurations::for_prereqs(&prereqs_of[&(c.suite.clone(), c.group.clone())]);
        assert_eq!(c.configuration.as_deref(), Some(want.name()), "{}", c.id);
        if want != Configuration::Default {
            *on_other.entry(want.name().to_owned()).or_default() += 1;
            assert_eq!(c.outcome, Outcome::Passed, "{} on {want}: {:?}", c.id, c.reason);
        }
        let reason = c.reason.as_deref().unwrap_or_default();
        assert!(
            !(c.outcome == Outcome::Skipped && reason.starts_with("prerequisite")),
            "{} skipped: {reason}",
            c.id
        );
        assert_ne!(c.outcome, Outcome::Failed, "{}: {reason}", c.id);
    }
    // Every case of Microsoft's TestCases.xml passes: CSPP Plus (coauth locks, chunked transfer), the HasDelay
    // groups (their <Delay> steps the clocks) and the groups of other configurations included; none is skipped.
    let validator: Vec<&CaseResult> = cases.iter().filter(|c| c.suite == "core").collect();
    assert_eq!(validator.len(), 224, "TestCases.xml cases");
    for c in &validator {
        assert_eq!(
            c.outcome,
            Outcome::Passed,
            "{} on {:?}: {:?}",
            c.id,
            c.configuration,
            c.reason
        );
    }
    // The groups the default reference host could not run before, by configuration.
    let expected: BTreeMap<String, usize> = [
        ("anonymous", 1),
        ("container-share-urls", 3),
        ("file-url", 2),
        ("no-containers", 6),
        ("no-relative", 7),
        ("workflow", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(on_other, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_put_relative_runs_on_no_relative_and_supported_on_the_default() {
    // Only the validator's PutRelativeFileUnsupported group: it must run on no-relative, where PutRelativeFile is
    // really refused (the group checks 501 for every mode).
    let cases = run(Filters {
        groups: vec!["PutRelativeFileUnsupported".into(), "PutRelativeFile".into()],
        ..Filters::default()
    })
    .await;
    let by_group = |g: &'static str| cases.iter().filter(move |c| c.group == g);
    assert_eq!(by_group("PutRelativeFileUnsupported").count(), 6);
    for c in by_group("PutRelativeFileUnsupported") {
        assert_eq!(c.configuration.as_deref(), Some("no-relative"));
        assert_eq!(c.outcome, Outcome::Passed, "{}: {:?}", c.id, c.reason);
    }
    // The supported group keeps running on the default host, where PutRelativeFile works.
    assert!(by_group("PutRelativeFile").count() > 0);
    for c in by_group("PutRelativeFile") {
        assert_eq!(c.configuration.as_deref(), Some("default"));
        assert_ne!(c.outcome, Outcome::Failed, "{}: {:?}", c.id, c.reason);
    }
}
