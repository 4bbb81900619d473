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
    // The defaults: cases one at a time within a run (so the catching lists do not depend on scheduling), two
    // fault runs at once.
    let options = MatrixOptions::new(suites);
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
