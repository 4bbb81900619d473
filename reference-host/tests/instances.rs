//! Several reference-host instances on one PostgreSQL database behave as one host: a lock taken through one is
//! seen and enforced through the others, writes are seen everywhere at once, racing Lock calls spread over the
//! instances have exactly one winner, and expiry is the same everywhere. The cross-instance faults break exactly
//! these properties.
//!
//! Each test starts a private PostgreSQL cluster (initdb into a temporary directory, a free loopback port; as
//! `nobody` when run as root) and stops it at the end; Debian's `postgresql` package must be installed
//! (scripts/test.sh installs it).

#![allow(clippy::unwrap_used)] // test assertions

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use reqwest::StatusCode;
use wopi_reference_host::clock::TestClock;
use wopi_reference_host::faults::{Fault, FaultSet};
use wopi_reference_host::pgcluster::PrivateCluster;
use wopi_reference_host::{TestHost, spawn_for_test_with_clock};

/// `n` instances on one fresh database of a private cluster, sharing one test clock.
struct Instances {
    hosts: Vec<TestHost>,
    clock: Arc<TestClock>,
    // Last: the cluster stops after the hosts are dropped.
    _cluster: PrivateCluster,
}

impl Instances {
    async fn start(n: u32, faults: FaultSet) -> Self {
        let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
            .await
            .unwrap()
            .unwrap();
        let url = cluster.create_database("wopi").await.unwrap();
        let clock = Arc::new(TestClock::new(SystemTime::now()));
        let mut hosts = Vec::new();
        for i in 0..n {
            let mut config = config();
            config.database = Some(url.clone());
            config.instance = i;
            config.faults = faults;
            hosts.push(spawn_for_test_with_clock(config, clock.clone()).await.unwrap());
        }
        Self {
            hosts,
            clock,
            _cluster: cluster,
        }
    }

    /// The same file and token, addressed through instance `i`.
    fn via(&self, t: &Target, i: usize) -> Target {
        let first = &self.hosts[0].base_url;
        Target {
            wopisrc: t.wopisrc.replacen(first.as_str(), &self.hosts[i].base_url, 1),
            token: t.token.clone(),
        }
    }
}

#[tokio::test]
async fn instances_on_one_database_behave_as_one_host() {
    let hosts = Instances::start(3, FaultSet::none()).await;
    let t = new_file(&hosts.hosts[0], "a.docx", b"v1").await;
    let (a, b, c) = (hosts.via(&t, 0), hosts.via(&t, 1), hosts.via(&t, 2));
    assert_ne!(a.wopisrc, b.wopisrc);

    // A lock taken through A is seen and enforced through B and C.
    assert_eq!(lock(&a, "L1").await.status(), StatusCode::OK);
    assert_eq!(get_lock(&b).await, "L1");
    assert_lock_mismatch(&lock(&c, "L2").await, "L1");

    // UnlockAndRelock through A; a PutFile through B with the old lock changes nothing.
    let relock = post(&a, "", "LOCK", &[("X-WOPI-Lock", "L3"), ("X-WOPI-OldLock", "L1")], b"").await;
    assert_eq!(relock.status(), StatusCode::OK);
    assert_lock_mismatch(&put_file(&b, Some("L1"), b"stale").await, "L3");
    assert_eq!(contents(&c).await, b"v1");

    // A PutFile through B is seen by every instance at once.
    let before: Vec<_> = [&a, &b, &c].map(|x| x.clone()).to_vec();
    for x in &before {
        cfi(x).await;
    }
    assert_eq!(put_file(&b, Some("L3"), b"version two").await.status(), StatusCode::OK);
    for x in [&a, &b, &c] {
        let info = cfi(x).await;
        assert_eq!(info["Size"], 11, "{}", x.wopisrc);
        assert_eq!(info["Version"], cfi(&b).await["Version"]);
        assert_eq!(contents(x).await, b"version two");
    }

    // RefreshLock through C extends the lock for everyone; expiry is the same everywhere.
    hosts.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(
        post(&c, "", "REFRESH_LOCK", &[("X-WOPI-Lock", "L3")], b"")
            .await
            .status(),
        StatusCode::OK
    );
    hosts.clock.advance(Duration::from_secs(29 * 60));
    for x in [&a, &b, &c] {
        assert_eq!(get_lock(x).await, "L3", "{}", x.wopisrc);
    }
    hosts.clock.advance(Duration::from_secs(60 + 1));
    for x in [&a, &b, &c] {
        assert_eq!(get_lock(x).await, "", "{}", x.wopisrc);
    }
}

/// `n` concurrent Lock calls with distinct IDs, round-robin over the instances: how many answered 200.
async fn lock_race(hosts: &Instances, t: &Target, n: usize) -> usize {
    let mut tasks = Vec::new();
    for i in 0..n {
        let target = hosts.via(t, i % hosts.hosts.len());
        tasks.push(tokio::spawn(async move {
            lock(&target, &format!("race-{i}")).await.status()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap() == StatusCode::OK {
            winners += 1;
        }
    }
    winners
}

#[tokio::test]
async fn racing_locks_across_instances_have_one_winner() {
    let hosts = Instances::start(3, FaultSet::none()).await;
    for round in 0..5 {
        let t = new_file(&hosts.hosts[0], &format!("race{round}.docx"), b"x").await;
        assert_eq!(lock_race(&hosts, &t, 24).await, 1, "round {round}");
    }
}

#[tokio::test]
async fn cross_instance_faults_break_what_they_name() {
    // Locks in process memory: B does not see A's lock and grants a second one.
    let hosts = Instances::start(2, FaultSet::of([Fault::LocksInProcessMemory])).await;
    let t = new_file(&hosts.hosts[0], "m.docx", b"x").await;
    assert_eq!(lock(&hosts.via(&t, 0), "A").await.status(), StatusCode::OK);
    assert_eq!(get_lock(&hosts.via(&t, 1)).await, "");
    assert_eq!(lock(&hosts.via(&t, 1), "B").await.status(), StatusCode::OK);
    drop(hosts);

    // Check and write in separate transactions: racing Lock calls can all win.
    let hosts = Instances::start(3, FaultSet::of([Fault::LockCheckSeparateTransaction])).await;
    let t = new_file(&hosts.hosts[0], "s.docx", b"x").await;
    assert!(lock_race(&hosts, &t, 24).await > 1);
    drop(hosts);

    // A per-instance CheckFileInfo cache: A still reports the old Version after a PutFile through B.
    let hosts = Instances::start(2, FaultSet::of([Fault::CheckFileInfoCachePerInstance])).await;
    let t = new_file(&hosts.hosts[0], "c.docx", b"x").await;
    let (a, b) = (hosts.via(&t, 0), hosts.via(&t, 1));
    assert_eq!(lock(&a, "L").await.status(), StatusCode::OK);
    let old = cfi(&a).await["Version"].clone();
    assert_eq!(put_file(&b, Some("L"), b"new").await.status(), StatusCode::OK);
    assert_ne!(cfi(&b).await["Version"], old);
    assert_eq!(cfi(&a).await["Version"], old);
    drop(hosts);

    // Expiry by each instance's own (skewed) clock: 28 minutes after locking, B already calls the lock expired.
    let hosts = Instances::start(2, FaultSet::of([Fault::ExpiryByInstanceClock])).await;
    let t = new_file(&hosts.hosts[0], "e.docx", b"x").await;
    assert_eq!(lock(&hosts.via(&t, 0), "L").await.status(), StatusCode::OK);
    hosts.clock.advance(Duration::from_secs(28 * 60));
    assert_eq!(get_lock(&hosts.via(&t, 0)).await, "L");
    assert_eq!(get_lock(&hosts.via(&t, 1)).await, "");
}

#[tokio::test]
async fn database_clock_measures_expiry_in_production_mode() {
    // With the database clock, the host's own (test) clock does not expire a lock: only the server's time does.
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap()
        .unwrap();
    let url = cluster.create_database("wopi").await.unwrap();
    let mut config = config();
    config.database = Some(url);
    let host = wopi_reference_host::spawn_for_test(config).await.unwrap();
    // spawn_for_test chooses the host clock (tests step it); switch a second store to the database clock.
    let t = new_file(&host, "d.docx", b"x").await;
    assert_eq!(lock(&t, "L").await.status(), StatusCode::OK);
    let mut options = wopi_reference_host::testing::PgOptions::new(cluster.url("wopi"));
    options.expiry_clock = wopi_reference_host::testing::ExpiryClock::Database;
    let store = wopi_reference_host::testing::PgStore::open(options).await.unwrap();
    use wopi_reference_host::testing::Store;
    let id = wopi_protocol::ids::FileId::new(t.file_id()).unwrap();
    let far_future = SystemTime::now() + Duration::from_secs(3 * 3600);
    let record = store.file(&id, far_future).await.unwrap();
    assert_eq!(record.lock.map(|l| l.id.as_str().to_owned()).as_deref(), Some("L"));
    host.stop().await;
}

/// Coauth locks live in the shared database: a coauth lock taken through one instance keeps WOPI locks out through
/// another, every instance lists the same table with the same version, and a release anywhere frees the file
/// everywhere (cspp-plus.md §6.1, §6.4).
#[tokio::test]
async fn instances_agree_on_coauth_locks() {
    let hosts = Instances::start(2, FaultSet::none()).await;
    let t = new_file(&hosts.hosts[0], "c.docx", b"v1").await;
    let (a, b) = (hosts.via(&t, 0), hosts.via(&t, 1));
    assert_eq!(get_coauth_lock(&a, "C1").await.status(), StatusCode::OK);
    let refused = lock(&b, "L1").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(
        header(&refused, "X-WOPI-Lock"),
        None,
        "no X-WOPI-Lock while coauth rows exist"
    );
    let (va, ids_a) = coauth_table(&a).await;
    let (vb, ids_b) = coauth_table(&b).await;
    assert_eq!((va, ids_a), (vb, ids_b.clone()));
    assert_eq!(ids_b, vec!["C1".to_string()]);
    let unlocked = post(&b, "", "UNLOCK_COAUTH_LOCK", &[("X-WOPI-CoauthLockId", "C1")], b"").await;
    assert_eq!(unlocked.status(), StatusCode::OK);
    assert_eq!(lock(&a, "L1").await.status(), StatusCode::OK);
    assert_eq!(get_coauth_lock(&b, "C2").await.status(), StatusCode::CONFLICT);
    assert!(coauth_table(&a).await.1.is_empty());

    // Racing a WOPI Lock through one instance against a coauth lock through the other: one mechanism wins.
    assert_eq!(unlock(&a, "L1").await.status(), StatusCode::OK);
    let (lock_a, coauth_b) = tokio::join!(lock(&a, "L2"), get_coauth_lock(&b, "C3"));
    let won = [lock_a.status(), coauth_b.status()];
    assert_eq!(won.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{won:?}");
    let listed = coauth_table(&b).await.1;
    assert_eq!(
        listed.is_empty(),
        lock_a.status() == StatusCode::OK,
        "the table agrees with the winner"
    );
}
