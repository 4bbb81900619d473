//! The mutation matrix as a test (issue 6): the built-in suites against the clean reference host (everything
//! passes), then against the host with each fault of `reference-host/src/faults.rs` switched on alone. Every fault
//! must be caught by a case, and every case must catch a fault or say in its description, after `No fault:`, why
//! none can be injected.
//!
//! The matrix is also `docs/mutation-matrix.md`: `WOPI_WRITE_MATRIX=1 cargo test -p wopi-harness --test mutation`
//! writes it, and without the variable this test fails when the committed file differs from the fresh matrix, so
//! the document never drifts from the suites. Needs Debian's `chromium` and `chromium-driver` for the host-page
//! cases (scripts/test.sh and .ci/run install them).

use std::path::Path;
use std::time::{Duration, Instant};

use wopi_harness::mutation::{
    FaultRow, MATRIX_DOC, MatrixOptions, MatrixProgress, default_suites_dir, load_builtin_suites, run_matrix,
};
use wopi_reference_host::faults::Fault;

/// A line per run on stderr, so a slow or stuck fault is visible with `--nocapture`.
struct Lines;

impl MatrixProgress for Lines {
    fn clean_finished(&self, passed: usize, total: usize, took: Duration) {
        eprintln!("clean host: {passed}/{total} passed ({:.1} s)", took.as_secs_f64());
    }

    fn fault_finished(&self, row: &FaultRow, done: usize, total: usize, took: Duration) {
        eprintln!(
            "[{done}/{total}] {}: {} catching cases{} ({:.1} s)",
            row.fault,
            row.caught_by.len(),
            row.error
                .as_deref()
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default(),
            took.as_secs_f64()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_and_every_case_catches_a_fault() {
    let started = Instant::now();
    let suites = load_builtin_suites(&default_suites_dir()).expect("the built-in suites load");
    let mut options = MatrixOptions::new(suites);
    // Faults one after another: each run already keeps both cores busy.
    options.jobs = 1;
    assert_eq!(options.faults.len(), Fault::ALL.len());
    let matrix = run_matrix(&options, &Lines).await;
    eprintln!("matrix done in {:.0} s", started.elapsed().as_secs_f64());

    let markdown = matrix.to_markdown();
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(MATRIX_DOC);
    let mut problems = matrix.defects();
    if std::env::var_os("WOPI_WRITE_MATRIX").is_some_and(|v| v == "1") {
        std::fs::write(&doc, &markdown).expect("write docs/mutation-matrix.md");
        eprintln!("wrote {}", doc.display());
    } else {
        let committed = std::fs::read_to_string(&doc).unwrap_or_default();
        if committed != markdown {
            let fresh = std::env::temp_dir().join("mutation-matrix.md");
            let _ = std::fs::write(&fresh, &markdown);
            problems.push(format!(
                "{MATRIX_DOC} is out of date (fresh matrix in {}); regenerate it with \
                 `WOPI_WRITE_MATRIX=1 cargo test -p wopi-harness --test mutation`",
                fresh.display()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the mutation matrix is not complete:\n  {}",
        problems.join("\n  ")
    );
    // The matrix is real: every fault ran and the clean host ran every case.
    assert_eq!(matrix.faults.len(), Fault::ALL.len());
    assert!(matrix.faults.iter().all(|f| f.error.is_none()));
    assert!(matrix.cases.len() > 100, "only {} cases", matrix.cases.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn scratch_one_fault() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let suites = load_builtin_suites(&default_suites_dir()).expect("the built-in suites load");
    let mut options = MatrixOptions::new(suites);
    let name = std::env::var("FAULT").unwrap_or_else(|_| "HostPageTokenInUrl".into());
    options.faults = vec![name.parse().expect("fault")];
    if std::env::var_os("NO_BROWSER").is_some() {
        options.browser = None;
    }
    let matrix = run_matrix(&options, &Lines).await;
    std::fs::write("/tmp/mut/one.md", matrix.to_markdown()).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn scratch_durations() {
    use std::sync::Arc;
    use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
    use wopi_harness::exec::{ClockControl, NoProgress, RunOptions, Runner, TargetSource};
    let mut suites = load_builtin_suites(&default_suites_dir()).expect("load");
    for s in &mut suites {
        for g in &mut s.groups {
            g.cases.retain(|c| !wopi_harness::mutation::is_browser_case(c));
        }
    }
    let t0 = Instant::now();
    let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.expect("start");
    eprintln!("start {:?}", t0.elapsed());
    let client = target.mock().client(Default::default()).expect("client");
    let p = Arc::new(target.provisioner());
    let clock: Arc<dyn ClockControl> = p.clone();
    let schemas = wopi_harness::validate::SchemaStore::load(&wopi_harness::suite::validator_dir().join("JsonSchemas"));
    let jobs: usize = std::env::var("JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(2);
    let runner = Runner::new(suites, client, schemas, TargetSource::Provisioned(p), RunOptions { jobs, ..RunOptions::default() })
        .expect("runner")
        .with_clock(clock);
    let t1 = Instant::now();
    let out = runner.run(&NoProgress).await;
    eprintln!("run {:?}", t1.elapsed());
    let t2 = Instant::now();
    target.shutdown().await;
    eprintln!("stop {:?}", t2.elapsed());
    let mut cases = out.report.cases.clone();
    cases.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
    for c in cases.iter().take(15) {
        eprintln!("{:8.0} ms {}", c.duration_ms, c.id);
    }
    let total: f64 = cases.iter().map(|c| c.duration_ms).sum();
    eprintln!("sum {total:.0} ms over {} cases", cases.len());
}
