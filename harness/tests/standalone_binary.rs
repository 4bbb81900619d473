//! One binary carries everything: `wopi-conformance`, alone in an empty directory outside any source tree, with
//! an empty environment, runs every built-in suite against its embedded reference host, and its first line of
//! output says that Microsoft's TestCases.xml was not found, how many cases that leaves out and how to point at it.
//!
//! The binary under test is the one cargo built for this test (`CARGO_BIN_EXE_wopi-conformance`), not a release
//! build: both come from the same sources and the same `build.rs`, so the suites are compiled in the same way, and
//! nothing the binary reads at run time depends on the profile (no `cfg(debug_assertions)` in how suites, the
//! validator or its schemas are found). The test build also enables the `faults` feature, which only adds
//! `run --fault`; no fault is switched on here. A release binary (or `cargo install --path harness`) is therefore
//! self-contained the same way, without spending a second build on it.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wopi_harness::suite;

const BIN: &str = env!("CARGO_BIN_EXE_wopi-conformance");

fn source_tree() -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).expect("the workspace")
}

/// The source tree's built-in suites (every `*.xml` directly in `suites/`; the profile suites run only with
/// `--profile`), read by the test itself to know what the binary must have carried.
fn source_suites() -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(source_tree().join("suites")).expect("suites/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "xml") {
            let parsed = suite::load(&path).unwrap_or_else(|e| panic!("{e}"));
            out.push((
                path.file_name().expect("a name").to_string_lossy().into_owned(),
                parsed.cases().count(),
            ));
        }
    }
    out.sort();
    out
}

/// Microsoft's validator files next to the workspace, when this machine has them.
fn validator_dir() -> Option<PathBuf> {
    let dir = source_tree().join("../shared/validator");
    dir.join("TestCases.xml").is_file().then_some(dir)
}

fn browser_installed() -> bool {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .any(|b| Command::new("which").arg(b).output().is_ok_and(|o| o.status.success()))
}

/// The binary, alone in a fresh directory under the system temp dir. A hard link when the file system allows it
/// (the debug binary is large and the disk is shared), else a copy: either way the program runs from that path
/// and finds nothing of the source tree next to it.
struct Alone {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Alone {
    fn new() -> Alone {
        let dir = tempfile::Builder::new()
            .prefix("wopi-standalone-")
            .tempdir_in(std::env::temp_dir())
            .expect("a temporary directory");
        // The run looks for the validator in `shared/validator` of its directory and every one above it; the
        // test is only meaningful where none of them leads back to this machine's copy (or to any source tree).
        for d in dir.path().ancestors() {
            for reachable in ["shared/validator", "suites", "Cargo.toml"] {
                assert!(
                    !d.join(reachable).exists(),
                    "{} has {reachable}: choose a TMPDIR outside any source tree for this test",
                    d.display()
                );
            }
        }
        let bin = dir.path().join("wopi-conformance");
        if std::fs::hard_link(BIN, &bin).is_err() {
            std::fs::copy(BIN, &bin).expect("copying the binary");
        }
        let entries: Vec<_> = std::fs::read_dir(dir.path()).expect("the directory").collect();
        assert_eq!(entries.len(), 1, "the binary is alone");
        Alone { dir, bin }
    }

    /// Runs the binary in its directory with an empty environment but PATH (for Chromium) and HOME; stdout and
    /// stderr go to one pipe, as in a terminal or a CI log, so "the first line" is the first line a user sees.
    /// Returns the exit code and the merged output.
    fn run(&self, args: &[&str], extra_env: &[(&str, &Path)], deadline: Duration) -> (i32, String) {
        let (mut reader, writer) = std::io::pipe().expect("a pipe");
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(writer.try_clone().expect("a second pipe end"))
            .stderr(writer);
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("the copied binary starts");
        // The parent's copies of the write end must go, or the reader never sees end of file.
        drop(command);
        let drain = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = reader.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for the binary") {
                break status;
            }
            if start.elapsed() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "wopi-conformance {args:?} did not finish within {deadline:?}:\n{}",
                    drain.join().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        (status.code().unwrap_or(-1), drain.join().expect("the output"))
    }
}

#[test]
fn the_binary_alone_runs_every_built_in_suite_and_says_first_that_the_validator_is_missing() {
    let alone = Alone::new();
    let mut args = vec![
        "run",
        "--json",
        "run.json",
        "--junit",
        "junit.xml",
        "--markdown",
        "summary.md",
    ];
    if !browser_installed() {
        args.push("--no-browser");
    }
    let (code, output) = alone.run(&args, &[], Duration::from_secs(600));

    // The first line: not found, how many validator cases that leaves out, how to point at it.
    let first = output.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Microsoft's TestCases.xml not found ("),
        "first line: {first}\n{output}"
    );
    assert!(
        first.contains("--validator-suite") && first.contains("WOPI_VALIDATOR_DIR"),
        "{first}"
    );
    match validator_dir() {
        Some(validator) => {
            // The count the build embedded is the count the parser finds in the file (delay groups included).
            let (code, listed) = alone.run(
                &["list", "--suite", "core"],
                &[("WOPI_VALIDATOR_DIR", &validator)],
                Duration::from_secs(60),
            );
            assert_eq!(code, 0, "{listed}");
            let cases = listed.lines().filter(|l| l.starts_with("core::")).count();
            assert!(cases > 0, "{listed}");
            assert!(
                first.contains(&format!("the validator's {cases} cases are left out")),
                "{first}"
            );
        }
        None => assert!(first.contains("the validator's"), "{first}"),
    }
    assert_eq!(code, 0, "nothing fails against the reference host:\n{output}");
    // Nothing in the output points into the source tree this binary was built from.
    let tree = source_tree().display().to_string();
    assert!(
        !output.contains(&tree),
        "the output names the source tree {tree}:\n{output}"
    );

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(alone.dir.path().join("run.json")).expect("run.json written"))
            .expect("run.json is JSON");
    let expected = source_suites();
    assert!(!expected.is_empty());
    let named: Vec<&str> = report["target"]["suites"]
        .as_array()
        .expect("target.suites")
        .iter()
        .map(|s| s.as_str().expect("a name"))
        .collect();
    let want: Vec<String> = expected.iter().map(|(f, _)| format!("built-in:{f}")).collect();
    assert_eq!(
        named, want,
        "every built-in suite, named as built in, and no validator file"
    );

    let cases = report["cases"].as_array().expect("cases");
    for (file, count) in &expected {
        let name = suite::default_suite_name(Path::new(file));
        let ran: Vec<&Value> = cases.iter().filter(|c| c["suite"] == name.as_str()).collect();
        assert_eq!(ran.len(), *count, "{file}: every case reported");
        for c in ran {
            let outcome = c["outcome"].as_str().unwrap_or_default();
            assert!(
                matches!(outcome, "passed" | "warning" | "skipped"),
                "{}: {outcome} {:?}",
                c["id"],
                c["reason"]
            );
            if outcome == "skipped" {
                assert!(c["reason"].as_str().is_some_and(|r| !r.is_empty()), "{}", c["id"]);
            }
        }
    }
    assert_eq!(
        cases.len(),
        expected.iter().map(|(_, n)| n).sum::<usize>(),
        "no other cases"
    );
    let passed = cases.iter().filter(|c| c["outcome"] == "passed").count();
    assert!(
        passed * 10 >= cases.len() * 8,
        "most cases ran for real: {passed} of {}",
        cases.len()
    );
    // The two cases that check against the validator's JSON schema cannot observe their rule without it: skipped,
    // saying why, never failed.
    let schema_skips: Vec<&Value> = cases
        .iter()
        .filter(|c| c["reason"].as_str().is_some_and(|r| r.contains("JSON schema")))
        .collect();
    assert!(!schema_skips.is_empty());
    assert!(schema_skips.iter().all(|c| c["outcome"] == "skipped"));
    // The report says so too.
    let notes = report["notes"].to_string();
    assert!(notes.contains("Microsoft's validator cases were not run"), "{notes}");
    for written in ["junit.xml", "summary.md"] {
        let len = std::fs::metadata(alone.dir.path().join(written)).map_or(0, |m| m.len());
        assert!(len > 0, "{written} written");
    }
}

#[test]
fn the_binary_alone_finds_the_validator_where_it_is_pointed() {
    let Some(validator) = validator_dir() else {
        eprintln!("no validator files on this machine: nothing to point at");
        return;
    };
    let alone = Alone::new();
    let (code, output) = alone.run(
        &["list"],
        &[("WOPI_VALIDATOR_DIR", &validator)],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0, "{output}");
    assert!(!output.contains("not found"), "{output}");
    assert!(output.lines().any(|l| l.starts_with("core::")), "{output}");
    assert!(output.lines().any(|l| l.starts_with("ext_locks::")), "{output}");
    let testcases = validator.join("TestCases.xml");
    let (code, output) = alone.run(
        &["list", "--validator-suite", testcases.to_str().expect("UTF-8")],
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0, "{output}");
    assert!(output.lines().any(|l| l.starts_with("core::")), "{output}");
}
