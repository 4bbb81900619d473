//! Every built-in suite under `suites/` loads with the harness's parser and has cases.
//!
//! A suite that fails to load would make `wopi-conformance run` exit with a suite error, so this catches a broken
//! edit of a suite file before any host is involved.

use std::path::{Path, PathBuf};

use wopi_harness::suite;

fn suite_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_builtin_suite_parses_and_has_cases() {
    let files = suite_files();
    assert!(files.len() >= 10, "expected the ten built-in suites, found {files:?}");
    let mut errors = Vec::new();
    for path in &files {
        match suite::load(path) {
            Ok(s) => {
                let n = s.cases().count();
                if n == 0 {
                    errors.push(format!("{}: no test cases", path.display()));
                }
                for (group, case) in s.cases() {
                    if case.documentation_link.as_deref().is_none_or(str::is_empty) {
                        errors.push(format!(
                            "{}: {}::{} has no DocumentationLink",
                            path.display(),
                            group.name,
                            case.name
                        ));
                    }
                    if !case.description.contains(".rst") {
                        errors.push(format!(
                            "{}: {}::{} does not name its doc page",
                            path.display(),
                            group.name,
                            case.name
                        ));
                    }
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert!(errors.is_empty(), "suite problems:\n{}", errors.join("\n"));
}

#[test]
fn case_names_are_unique_across_builtin_suites() {
    let mut seen = std::collections::HashMap::new();
    for path in suite_files() {
        let Ok(s) = suite::load(&path) else { continue };
        for (_, case) in s.cases() {
            if let Some(other) = seen.insert(case.name.clone(), path.clone()) {
                panic!(
                    "case {} is in both {} and {}",
                    case.name,
                    other.display(),
                    path.display()
                );
            }
        }
    }
    assert!(!seen.is_empty());
}
