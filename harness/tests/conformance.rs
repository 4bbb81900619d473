//! Every case of the built-in suites and of Microsoft's TestCases.xml as a libtest-mimic trial named
//! `suite::Group::Case`, run against the in-process reference host and mock Office client.
//!
//! Run with `cargo test -p wopi-harness --test conformance` (`-- Locks::` runs one group, `--list` lists).
//! The selected cases run once, before the trials are reported (each case has its own fresh file, so they run in
//! parallel); a trial then passes or fails with the case's verdict and message. A case that was skipped (a prereq
//! the reference host does not declare, a delay group) is an ignored trial, and its reason is printed at the end,
//! with the pass/fail/skip counts of the validator's cases. `WOPI_CONFORMANCE_SERIAL=1` runs every case on the one
//! seeded `test.wopitest`, one after another, as Microsoft's validator does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::exec::{self, ClockControl, Filters, NoProgress, RunOptions, Runner, TargetSource};
use wopi_harness::report::model::{CaseResult, Outcome};
use wopi_harness::suite::{self, Suite};
use wopi_harness::validate::SchemaStore;
use wopi_mock_office::client::ClientConfig;

fn suite_files() -> Vec<PathBuf> {
    let mut files = vec![suite::validator_dir().join("TestCases.xml")];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
    let mut own: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "xml"))
                .collect()
        })
        .unwrap_or_default();
    own.sort();
    files.extend(own);
    files
}

/// libtest's name filter: substring (or exact with `--exact`), minus `--skip`.
fn wanted(args: &Arguments, id: &str) -> bool {
    let matches = |f: &str| if args.exact { id == f } else { id.contains(f) };
    args.filter.as_deref().is_none_or(matches) && !args.skip.iter().any(|s| matches(s))
}

fn failure_message(c: &CaseResult) -> String {
    let mut msg = format!("{}\n", c.description);
    for f in &c.failures {
        msg.push_str(&format!(
            "  {} {}\n    expected: {}\n    actual:   {}\n",
            f.request, f.check, f.expected, f.actual
        ));
    }
    for ex in &c.transcript {
        let status = match &ex.outcome {
            wopi_protocol::transcript::RecordedOutcome::Response { status, .. } => status.to_string(),
            wopi_protocol::transcript::RecordedOutcome::TransportError { message } => {
                format!("transport error: {message}")
            }
        };
        msg.push_str(&format!(
            "  {} {} {} -> {status}\n",
            ex.label, ex.request.method, ex.request.url
        ));
    }
    msg
}

fn main() {
    let args = Arguments::from_args();
    let mut suites: Vec<Suite> = Vec::new();
    for path in suite_files() {
        match suite::load(&path) {
            Ok(s) => suites.push(s),
            Err(e) => {
                eprintln!("suite error: {e}");
                std::process::exit(2);
            }
        }
    }
    let all: Vec<(String, String)> = suites
        .iter()
        .flat_map(|s| {
            s.cases()
                .map(move |(g, c)| (exec::case_id(s, g, c), c.category.to_string()))
        })
        .collect();
    if args.list {
        let trials = all
            .into_iter()
            .map(|(id, cat)| Trial::test(id, || Ok(())).with_kind(cat))
            .collect();
        libtest_mimic::run(&args, trials).exit();
    }

    let selected: Vec<String> = all
        .iter()
        .filter(|(id, _)| wanted(&args, id))
        .map(|(id, _)| id.clone())
        .collect();
    let filters = if selected.iter().any(|id| id.contains(['*', '?'])) {
        Filters::default()
    } else {
        Filters {
            cases: selected,
            ..Filters::default()
        }
    };
    let jobs = args
        .test_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            std::process::exit(101);
        }
    };
    let outcome = runtime.block_on(async {
        let target = EmbeddedTarget::start(EmbeddedOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let client = target
            .mock()
            .client(ClientConfig::default())
            .map_err(|e| e.to_string())?;
        let provisioner = Arc::new(target.provisioner());
        let clock: Arc<dyn ClockControl> = provisioner.clone();
        let schemas = SchemaStore::load(&suite::validator_dir().join("JsonSchemas"));
        let options = RunOptions {
            jobs,
            filters,
            host_kind: "embedded reference host".into(),
            ..RunOptions::default()
        };
        // WOPI_CONFORMANCE_SERIAL=1 runs the validator's way: every case, one after another, on the one seeded file.
        let source = if std::env::var_os("WOPI_CONFORMANCE_SERIAL").is_some() {
            let seed = target.seed();
            let wopisrc = url::Url::parse(&seed.wopisrc).map_err(|e| e.to_string())?;
            TargetSource::Fixed(exec::Target {
                wopisrc,
                access_token: seed.access_token.clone(),
                access_token_ttl: seed.access_token_ttl,
                instances: Vec::new(),
            })
        } else {
            TargetSource::Provisioned(provisioner)
        };
        let runner = Runner::new(suites, client, schemas, source, options)
            .map_err(|e| e.to_string())?
            .with_clock(clock);
        let outcome = runner.run(&NoProgress).await;
        target.shutdown().await;
        Ok::<_, String>(outcome)
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cannot start the embedded reference host: {e}");
            std::process::exit(101);
        }
    };

    let mut skipped = Vec::new();
    let (mut core_pass, mut core_fail, mut core_skip) = (0, 0, 0);
    let trials: Vec<Trial> = outcome
        .report
        .cases
        .into_iter()
        .map(|c| {
            let core = c.suite == "core";
            let id = c.id.clone();
            let kind = c.category.clone();
            match c.outcome {
                Outcome::Passed | Outcome::Warning => {
                    core_pass += usize::from(core);
                    Trial::test(id, || Ok(())).with_kind(kind)
                }
                // Blocked and not run are failures here: against the reference host every case must get a verdict.
                Outcome::Failed | Outcome::Blocked | Outcome::NotRun => {
                    core_fail += usize::from(core);
                    let msg = failure_message(&c);
                    Trial::test(id, move || Err(Failed::from(msg))).with_kind(kind)
                }
                Outcome::Skipped => {
                    core_skip += usize::from(core);
                    skipped.push(format!("  {}: {}", c.id, c.reason.unwrap_or_default()));
                    Trial::test(id, || Ok(())).with_kind(kind).with_ignored_flag(true)
                }
            }
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if !skipped.is_empty() {
        eprintln!("\nskipped (ignored) cases and why:\n{}", skipped.join("\n"));
    }
    eprintln!("\nvalidator TestCases.xml: {core_pass} passed, {core_fail} failed, {core_skip} skipped");
    conclusion.exit();
}
