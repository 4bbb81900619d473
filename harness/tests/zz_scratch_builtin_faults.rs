//! Scratch: which built-in cases each reference-host fault trips. Not part of the deliverable.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::exec::{ClockControl, NoProgress, RunOptions, Runner, TargetSource};
use wopi_harness::report::model::Outcome;
use wopi_harness::suite;
use wopi_harness::validate::SchemaStore;
use wopi_mock_office::client::ClientConfig;
use wopi_reference_host::faults::{Fault, FaultSet};

async fn run(faults: FaultSet) -> BTreeMap<String, (Outcome, String)> {
    run_sel(faults, false).await
}

async fn run_sel(faults: FaultSet, clock_only: bool) -> BTreeMap<String, (Outcome, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
    let mut suites = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for p in files {
        if p.extension().is_some_and(|x| x == "xml") && !p.ends_with("postmessage.xml") {
            let mut s = suite::load(&p).unwrap();
            for g in &mut s.groups {
                if clock_only { g.cases.retain(|c| c.requests.iter().any(|st| matches!(st, wopi_harness::suite::Step::AdvanceClock { .. }))); }
            }
            s.groups.retain(|g| !g.cases.is_empty());
            suites.push(s);
        }
    }
    let target = EmbeddedTarget::start(EmbeddedOptions { faults, ..EmbeddedOptions::default() }).await.unwrap();
    let client = target.mock().client(ClientConfig::default()).unwrap();
    let provisioner = Arc::new(target.provisioner());
    let clock: Arc<dyn ClockControl> = provisioner.clone();
    let schemas = SchemaStore::load(&suite::validator_dir().join("JsonSchemas"));
    let runner = Runner::new(suites, client, schemas, TargetSource::Provisioned(provisioner), RunOptions::default())
        .unwrap()
        .with_clock(clock);
    let out = runner.run(&NoProgress).await;
    drop(runner);
    target.shutdown().await;
    out.report.cases.iter().map(|c| (c.id.clone(), (c.outcome, c.reason.clone().unwrap_or_default()))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn matrix() {
    let clean = run(FaultSet::none()).await;
    let mut lines = Vec::new();
    for (id, (o, r)) in &clean {
        if *o != Outcome::Passed {
            lines.push(format!("CLEAN {o:?} {id}: {r}"));
        }
    }
    for f in Fault::ALL {
        let got = run(FaultSet::of([*f])).await;
        let mut caught = Vec::new();
        for (id, (o, r)) in &got {
            let base = clean.get(id).map(|x| x.0);
            if base == Some(Outcome::Passed) && *o != Outcome::Passed {
                caught.push(format!("{o:?} {id} -- {}", r.chars().take(160).collect::<String>()));
            }
        }
        lines.push(format!("FAULT {} caught by {}:", f.name(), caught.len()));
        for c in caught {
            lines.push(format!("    {c}"));
        }
    }
    std::fs::write("/tmp/scratch/matrix.txt", lines.join("\n")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn clock_matrix() {
    let base = FaultSet::of([Fault::ProofNotChecked]);
    let clean = run_sel(base, true).await;
    let mut lines = Vec::new();
    for (id, (o, r)) in &clean {
        lines.push(format!("CLEAN {o:?} {id}: {r}"));
    }
    for f in Fault::ALL {
        let got = run_sel(base.with(*f), true).await;
        let mut caught = Vec::new();
        for (id, (o, r)) in &got {
            let b = clean.get(id).map(|x| x.0);
            if b == Some(Outcome::Passed) && *o != Outcome::Passed {
                caught.push(format!("{o:?} {id} -- {}", r.chars().take(160).collect::<String>()));
            }
        }
        if !caught.is_empty() {
            lines.push(format!("FAULT {} caught by {}:", f.name(), caught.len()));
            for c in caught {
                lines.push(format!("    {c}"));
            }
        }
    }
    std::fs::write("/tmp/scratch/clock.txt", lines.join("\n")).unwrap();
}
