//! The lock-race suite over three reference-host instances on one private PostgreSQL (embedded
//! `--instances 3`): the clients are spread over the instances, so a lock kept in each instance's memory, or
//! checked and written in separate transactions, loses the race. Each of those faults is found in 20 of 20
//! seeded races; the clean three-instance host passes.
#![allow(clippy::unwrap_used)] // test helpers and assertions

use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::exec::Provisioner;
use wopi_harness::race::{RaceConfig, run_race};
use wopi_mock_office::client::{ClientConfig, WopiTarget};
use wopi_reference_host::faults::{Fault, FaultSet};

async fn three_instances(faults: FaultSet) -> EmbeddedTarget {
    EmbeddedTarget::start(EmbeddedOptions {
        faults,
        instances: 3,
        ..EmbeddedOptions::default()
    })
    .await
    .unwrap()
}

/// A fresh file (as the runner gives each case) and the three instances' base URLs.
async fn fresh(host: &EmbeddedTarget) -> (WopiTarget, Vec<url::Url>) {
    let target = host.provisioner().provision("race").await.unwrap();
    assert_eq!(target.instances.len(), 3, "{:?}", target.instances);
    (WopiTarget::new(target.wopisrc, target.access_token), target.instances)
}

/// Runs the default race for seeds 1..=20 and asserts every one fails.
async fn found_in_20_of_20(fault: Fault) {
    let host = three_instances(FaultSet::of([fault])).await;
    let client = host.mock().client(ClientConfig::default()).unwrap();
    let mut found = 0;
    let mut sample = String::new();
    for seed in 1..=20u64 {
        let (target, instances) = fresh(&host).await;
        let config = RaceConfig {
            seed,
            instances,
            ..RaceConfig::default()
        };
        let outcome = run_race(&client, &target, &config).await.unwrap();
        let Some(message) = outcome.failure_message() else {
            panic!("{fault:?}, seed {seed}: the race over three instances did not find the fault");
        };
        // The failing interleaving marks its culprits and names instances' requests.
        assert!(message.contains("<<"), "{fault:?}, seed {seed}: {message}");
        found += 1;
        if sample.is_empty() {
            sample = message;
        }
    }
    assert_eq!(found, 20);
    eprintln!("{fault:?}: found in {found} of 20; first shrunk interleaving:\n{sample}");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_three_instance_host_passes_the_default_race() {
    let host = three_instances(FaultSet::none()).await;
    let client = host.mock().client(ClientConfig::default()).unwrap();
    for seed in [1u64, 2] {
        let (target, instances) = fresh(&host).await;
        let config = RaceConfig {
            seed,
            instances,
            ..RaceConfig::default()
        };
        let outcome = run_race(&client, &target, &config).await.unwrap();
        assert!(
            outcome.passed(),
            "seed {seed}: {}",
            outcome.failure_message().unwrap_or_default()
        );
        assert_eq!(outcome.first_run_operations, 402, "seed {seed}");
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_in_process_memory_are_found_in_20_of_20_races_over_three_instances() {
    found_in_20_of_20(Fault::LocksInProcessMemory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_check_in_a_separate_transaction_is_found_in_20_of_20_races_over_three_instances() {
    found_in_20_of_20(Fault::LockCheckSeparateTransaction).await;
}
