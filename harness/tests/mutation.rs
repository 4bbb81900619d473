//! The mutation matrix as a test (issue 6): the built-in suites against the clean reference host (everything
//! passes), then against the host with each fault of `reference-host/src/faults/mod.rs` switched on alone. Every fault
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
    FaultRow, MATRIX_DOC, MatrixOptions, MatrixProgress, default_suites_dir, load_builtin_suites,
    out_of_matrix_markdown, run_matrix,
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
    assert_eq!(options.faults.len(), Fault::in_matrix().count());
    let matrix = run_matrix(&options, &Lines).await;
    eprintln!("matrix done in {:.0} s", started.elapsed().as_secs_f64());

    let markdown = matrix.to_markdown();
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(MATRIX_DOC);
    // Every defect counts, an idle case without a `No fault:` reason included.
    let mut problems: Vec<String> = matrix.defects();
    if std::env::var_os("WOPI_WRITE_MATRIX").is_some_and(|v| v == "1") {
        std::fs::write(&doc, &markdown).expect("write docs/mutation-matrix.md");
        eprintln!("wrote {}", doc.display());
    } else {
        let committed = std::fs::read_to_string(&doc).unwrap_or_default();
        let drift = drift(&committed, &markdown);
        if !drift.is_empty() {
            let fresh = std::env::temp_dir().join("mutation-matrix.md");
            let _ = std::fs::write(&fresh, &markdown);
            problems.push(format!(
                "{MATRIX_DOC} is out of date (fresh matrix in {}); regenerate it with \
                 `WOPI_WRITE_MATRIX=1 cargo test -p wopi-harness --test mutation`; first difference: {}",
                fresh.display(),
                drift[0]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the mutation matrix is not complete:\n  {}",
        problems.join("\n  ")
    );
    // The matrix is real: every fault ran and the clean host ran every case.
    assert_eq!(matrix.faults.len(), Fault::in_matrix().count());
    assert!(matrix.faults.iter().all(|f| f.error.is_none()));
    assert!(matrix.cases.len() > 100, "only {} cases", matrix.cases.len());
}

/// How the committed matrix differs from a fresh one, one entry per differing line. A lock race may catch a fault
/// in one run and not in the next (its interleavings depend on timing), so a fault row whose list of catching cases
/// changed is accepted as long as the fault is caught in both; every other line must match.
fn drift(committed: &str, fresh: &str) -> Vec<String> {
    let (old, new): (Vec<&str>, Vec<&str>) = (committed.lines().collect(), fresh.lines().collect());
    if old.len() != new.len() {
        return vec![format!("{} lines committed, {} fresh", old.len(), new.len())];
    }
    // `| Fault | n | cases |` with n > 0: the fault's name and that it is caught.
    let caught_row = |line: &str| -> Option<String> {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        match cells.as_slice() {
            ["", name, n, _, ""] if name.parse::<Fault>().is_ok() && n.parse::<usize>().is_ok_and(|n| n > 0) => {
                Some((*name).to_owned())
            }
            _ => None,
        }
    };
    old.iter()
        .zip(&new)
        .filter(|(a, b)| a != b && (caught_row(a).is_none() || caught_row(a) != caught_row(b)))
        .map(|(a, b)| format!("committed {a:?}, fresh {b:?}"))
        .collect()
}

#[test]
fn drift_tolerates_only_a_changed_list_of_catching_cases() {
    let doc = "# M\n| LockNeverExpires | 2 | `a`, `b` |\n| NonAtomicLock | 0 | **none** |\n";
    assert!(drift(doc, doc).is_empty());
    let other_cases = doc.replace("| 2 | `a`, `b` |", "| 3 | `a`, `b`, `c` |");
    assert!(drift(doc, &other_cases).is_empty());
    let now_uncaught = doc.replace("| 2 | `a`, `b` |", "| 0 | **none** |");
    assert_eq!(drift(doc, &now_uncaught).len(), 1);
    let now_caught = doc.replace("| 0 | **none** |", "| 1 | `a` |");
    assert_eq!(drift(doc, &now_caught).len(), 1);
    assert_eq!(drift(doc, &doc.replace("# M", "# N")).len(), 1);
    assert_eq!(drift(doc, &format!("{doc}more\n")).len(), 1);
}

/// The faults CI proves in single-file mode (issue 11): every rule about the file's own state, which is what one
/// shared file carries from case to case (locks, content, version, name), plus the proof and token checks every
/// request meets. The whole matrix in single-file mode takes as long again as the embedded one, so CI runs this
/// slice; `cargo run -p wopi-harness --features faults -- mutation --single-file` runs every fault (README).
const SINGLE_FILE_SLICE: &[&str] = &[
    "LockMismatchAnswers200",
    "ConflictWithoutLockHeader",
    "UnlockUnlockedAnswers200",
    "RelockIgnoresOldLock",
    "UnlockKeepsLock",
    "EmptyLockHeaderDropped",
    "MaxExpectedSizeIgnored",
    "PutFileWrongLockAccepted",
    "PutUnlockedNonEmptyAccepted",
    "PutUnlockedEmptyRejected",
    "PutFileKeepsVersion",
    "StaleGetFileCache",
    "RenameNameWithExtension",
    "DeleteLockedFile",
    "StaleProofAccepted",
    "TokenNotBoundToResource",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_file_mode_catches_every_fault_of_the_slice() {
    let started = Instant::now();
    let suites = load_builtin_suites(&default_suites_dir()).expect("the built-in suites load");
    let mut options = MatrixOptions::new(suites);
    options.single_file = true;
    // The slice is REST faults only: the browser cases open the host page, not the shared file's state.
    options.browser = None;
    options.faults = SINGLE_FILE_SLICE
        .iter()
        .map(|n| n.parse::<Fault>().unwrap_or_else(|e| panic!("{n}: {e}")))
        .collect();
    let matrix = run_matrix(&options, &Lines).await;
    eprintln!("single-file slice done in {:.0} s", started.elapsed().as_secs_f64());
    assert!(matrix.errors.is_empty(), "runs failed: {:?}", matrix.errors);
    assert!(
        matrix.clean_failures.is_empty(),
        "cases that do not pass on the clean host in single-file mode: {:?}",
        matrix
            .clean_failures
            .iter()
            .map(|p| format!("{} ({:?}): {}", p.case, p.outcome, p.reason))
            .collect::<Vec<_>>()
    );
    let uncaught: Vec<&str> = matrix.uncaught_faults().iter().map(|f| f.fault.as_str()).collect();
    assert!(
        uncaught.is_empty(),
        "faults no case catches in single-file mode: {uncaught:?}"
    );
    assert_eq!(matrix.faults.len(), SINGLE_FILE_SLICE.len());
}

/// The faults that end the host's process are not in the matrix (every host there is embedded in this test's
/// process); the committed document says which and why, and the default options leave them out.
#[test]
fn process_ending_faults_are_named_and_left_out() {
    let note = out_of_matrix_markdown();
    assert!(note.contains("- ExitOnUtf7RelativeName: "), "{note}");
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(MATRIX_DOC))
        .expect("the committed matrix");
    assert!(doc.contains(&note), "{MATRIX_DOC} does not carry the note:\n{note}");
    let options = MatrixOptions::new(Vec::new());
    assert!(!options.faults.contains(&Fault::ExitOnUtf7RelativeName));
    // The client-profile faults take part (the matrix runs each profile suite with its client), but for the
    // one host-page fault only ONLYOFFICE's frame shows, proven by tests/browser.rs.
    assert!(note.contains("- HostPagePostsObjects: "), "{note}");
    assert_eq!(options.faults.len(), Fault::ALL.len() - 2, "all but those two");
    assert!(
        options.faults.contains(&Fault::CoolTimestampIgnored)
            && options.faults.contains(&Fault::PutFileRejectsEditorsHeader)
    );
    let profiles: Vec<&str> = options.profile_suites.iter().map(|(p, _)| p.name()).collect();
    assert_eq!(
        profiles,
        ["collabora", "onlyoffice"],
        "the profile suites are proven too"
    );
}
