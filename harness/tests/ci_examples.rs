//! The CI examples in `docs/ci/` work as written: every `wopi-conformance` command in them is one the README
//! documents (the same subcommand with the same flags), every flag is one the binary's `--help` lists, and the
//! files' shell commands, run here as the CI would run them, start the reference host, run the suites against it
//! and leave the reports behind.
//!
//! The YAML is read line by line (the workspace has no YAML crate, and the files keep to a plain subset): a GitHub
//! step's `run:` block, a GitLab job's `before_script:`/`script:`/`after_script:` items. Two kinds of line are not
//! run: `cargo build` (the test's own binary is put where the build leaves it, `target/release/wopi-conformance`:
//! the same sources, see `standalone_binary.rs` for why that binary is equivalent) and `apt-get` (the packages,
//! curl and jq, are installed by scripts/test.sh). The two fixed ports are replaced by free ones, so parallel tests
//! cannot collide.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_wopi-conformance");
const HOST_ADDR: &str = "127.0.0.1:8080";
const DISCOVERY_ADDR: &str = "127.0.0.1:8090";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(workspace().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// One GitHub Actions step: its `run:` lines and whether it runs after a failure (`if: always()`).
#[derive(Debug, Default)]
struct GithubStep {
    name: String,
    run: Vec<String>,
    always: bool,
}

/// The steps of a GitHub Actions workflow that have `run:` (`uses:` steps are actions, not commands).
fn github_steps(yaml: &str) -> Vec<GithubStep> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut steps: Vec<GithubStep> = Vec::new();
    // Indentation of `steps:`, then of its items' dashes.
    let mut steps_key: Option<usize> = None;
    let mut item_dash: Option<usize> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed == "steps:" {
            steps_key = Some(indent(line));
            item_dash = None;
            continue;
        }
        let Some(key) = steps_key else { continue };
        if indent(line) <= key {
            steps_key = None;
            continue;
        }
        let (key_indent, text) = match trimmed.strip_prefix("- ") {
            Some(rest) if item_dash.is_none_or(|d| d == indent(line)) => {
                item_dash = Some(indent(line));
                steps.push(GithubStep::default());
                (indent(line) + 2, rest)
            }
            _ => (indent(line), trimmed),
        };
        let Some(step) = steps.last_mut() else { continue };
        if item_dash.is_some_and(|d| key_indent != d + 2) {
            continue; // a line inside `with:` or another nested block
        }
        if let Some(v) = text.strip_prefix("name:") {
            step.name = v.trim().to_owned();
        } else if let Some(v) = text.strip_prefix("if:") {
            step.always = v.trim() == "always()";
        } else if let Some(v) = text.strip_prefix("run:") {
            if v.trim() == "|" {
                while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > key_indent) {
                    if !lines[i].trim().is_empty() {
                        step.run.push(lines[i].trim().to_owned());
                    }
                    i += 1;
                }
            } else {
                step.run.push(v.trim().to_owned());
            }
        }
    }
    steps.into_iter().filter(|s| !s.run.is_empty()).collect()
}

/// A GitLab job's script sections: (`before_script` + `script`, `after_script`), one item per line.
fn gitlab_scripts(yaml: &str) -> (Vec<String>, Vec<String>) {
    let mut main = Vec::new();
    let mut after = Vec::new();
    let mut section: Option<(usize, bool)> = None;
    for line in yaml.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some((key_indent, is_after)) = section {
            if indent(line) > key_indent {
                if let Some(item) = trimmed.strip_prefix("- ") {
                    if is_after {
                        after.push(item.to_owned());
                    } else {
                        main.push(item.to_owned());
                    }
                }
                continue;
            }
            section = None;
        }
        match trimmed {
            "before_script:" | "script:" => section = Some((indent(line), false)),
            "after_script:" => section = Some((indent(line), true)),
            _ => {}
        }
    }
    (main, after)
}

/// Shell words of one command line, up to the first redirection or control operator; quotes are kept as part of
/// the word only where they matter here (a flag never is quoted).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let chars = line.chars();
    let mut paren = 0usize;
    let mut quote: Option<char> = None;
    for c in chars {
        match (quote, c) {
            (Some(q), c) if c == q && paren == 0 => {
                quote = None;
                word.push(c);
            }
            (Some(_), c) => {
                if word.ends_with('$') && c == '(' {
                    paren += 1;
                } else if c == ')' && paren > 0 {
                    paren -= 1;
                }
                word.push(c);
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                word.push(c);
            }
            (None, '(') if word.ends_with('$') => {
                paren += 1;
                word.push(c);
            }
            (None, ')') if paren > 0 => {
                paren -= 1;
                word.push(c);
            }
            (None, c) if c.is_whitespace() && paren == 0 => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let end = words
        .iter()
        .position(|w| matches!(w.as_str(), "&" | "&&" | "|" | "||" | ";") || w.starts_with('>') || w.starts_with("2>"))
        .unwrap_or(words.len());
    words.truncate(end);
    words
}

/// A `wopi-conformance` invocation: its subcommand and the flags it gives (`--flag=value` counts as `--flag`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Invocation {
    subcommand: String,
    flags: BTreeSet<String>,
    line: String,
}

/// The `wopi-conformance` invocation in a command line, if any: the binary named by path or on PATH, or the
/// README's `cargo run --release -p wopi-harness -- …`.
fn invocation(line: &str) -> Option<Invocation> {
    let words = shell_words(line);
    let start = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some("wopi-conformance"))
        .or_else(|| {
            (words.first().map(String::as_str) == Some("cargo") && words.iter().any(|w| w == "wopi-harness"))
                .then(|| words.iter().position(|w| w == "--"))
                .flatten()
        })?;
    let subcommand = words.get(start + 1)?.clone();
    let flags = words[start + 2..]
        .iter()
        .filter(|w| w.starts_with('-'))
        .map(|w| w.split('=').next().unwrap_or(w).to_owned())
        .collect();
    Some(Invocation {
        subcommand,
        flags,
        line: line.to_owned(),
    })
}

/// Every command the README shows: the lines of its fenced and indented code blocks (with `\` continuations
/// joined) and inline code that starts with `wopi-conformance `.
fn readme_invocations(readme: &str) -> Vec<Invocation> {
    let mut code_lines = Vec::new();
    let mut fenced = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let code = if fenced {
            Some(line.trim())
        } else {
            line.strip_prefix("    ")
                .filter(|l| !l.trim_start().starts_with(['-', '|', '*']))
        };
        let Some(code) = code else {
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 1 && part.starts_with("wopi-conformance ") {
                    code_lines.push(part.to_owned());
                }
            }
            continue;
        };
        match code.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(code);
                code_lines.push(std::mem::take(&mut pending));
            }
        }
    }
    code_lines.iter().filter_map(|l| invocation(l)).collect()
}

/// The examples' `wopi-conformance` commands, with the file they come from.
fn example_invocations() -> Vec<(&'static str, Invocation)> {
    let mut out = Vec::new();
    let github = read("docs/ci/github-actions.yml");
    for step in github_steps(&github) {
        out.extend(
            step.run
                .iter()
                .filter_map(|l| invocation(l))
                .map(|i| ("github-actions.yml", i)),
        );
    }
    let (main, after) = gitlab_scripts(&read("docs/ci/gitlab-ci.yml"));
    out.extend(
        main.iter()
            .chain(&after)
            .filter_map(|l| invocation(l))
            .map(|i| ("gitlab-ci.yml", i)),
    );
    out
}

fn help_of(subcommand: &str) -> String {
    let out = Command::new(BIN)
        .args([subcommand, "--help"])
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{subcommand} --help: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_wopi_conformance_command_of_the_examples_is_documented_and_its_flags_exist() {
    let examples = example_invocations();
    let readme = readme_invocations(&read("README.md"));
    assert!(readme.len() > 5, "the README's commands are found: {readme:#?}");
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let subs: BTreeSet<&str> = examples
            .iter()
            .filter(|(f, _)| *f == file)
            .map(|(_, i)| i.subcommand.as_str())
            .collect();
        assert_eq!(
            subs,
            BTreeSet::from(["host", "run"]),
            "{file} starts a host and runs the suites"
        );
        let run = examples
            .iter()
            .find(|(f, i)| *f == file && i.subcommand == "run")
            .map(|(_, i)| i)
            .expect("a run");
        for report in ["--junit", "--markdown", "--html"] {
            assert!(run.flags.contains(report), "{file}: the run writes {report}");
        }
        assert!(
            run.flags.contains("--wopisrc") || run.flags.contains("-w"),
            "{file}: the run targets the host"
        );
    }
    let flag_in_help = |help: &str, flag: &str| {
        let re = regex::Regex::new(&format!(r"(^|[\s,\[]){}([\s,=<\]]|$)", regex::escape(flag))).expect("a regex");
        help.lines().any(|l| re.is_match(l))
    };
    for (file, inv) in &examples {
        assert!(
            readme
                .iter()
                .any(|r| r.subcommand == inv.subcommand && r.flags == inv.flags),
            "{file}: `{}` is not a command the README documents (subcommand {} with flags {:?}); the README's {} \
             commands: {:#?}",
            inv.line,
            inv.subcommand,
            inv.flags,
            inv.subcommand,
            readme
                .iter()
                .filter(|r| r.subcommand == inv.subcommand)
                .collect::<Vec<_>>()
        );
        let help = help_of(&inv.subcommand);
        for flag in &inv.flags {
            assert!(
                flag_in_help(&help, flag),
                "{file}: {flag} is not in `wopi-conformance {} --help`",
                inv.subcommand
            );
        }
    }
    // The checker itself: a flag the binary does not have, or one the README does not show, is caught.
    let help = help_of("run");
    assert!(!flag_in_help(&help, "--no-such-flag"));
    let undocumented = invocation("wopi-conformance run --wopisrc x --token y --no-browser --json r.json").unwrap();
    assert!(
        !readme
            .iter()
            .any(|r| r.subcommand == undocumented.subcommand && r.flags == undocumented.flags)
    );
}

#[test]
fn the_examples_publish_junit_the_markdown_summary_and_the_html_report() {
    let github = read("docs/ci/github-actions.yml");
    let steps = github_steps(&github);
    assert!(
        steps
            .iter()
            .any(|s| s.always && s.run.iter().any(|l| l.contains(">> \"$GITHUB_STEP_SUMMARY\""))),
        "the Markdown summary goes to the run page even when cases fail: {steps:#?}"
    );
    for needle in [
        "actions/upload-artifact",
        "report.html",
        "action-junit-report",
        "junit.xml",
    ] {
        assert!(github.contains(needle), "github-actions.yml: {needle}");
    }
    let gitlab = read("docs/ci/gitlab-ci.yml");
    let lines: Vec<&str> = gitlab.lines().map(str::trim).collect();
    let reports = lines.iter().position(|l| *l == "reports:").expect("artifacts:reports");
    assert_eq!(lines.get(reports + 1), Some(&"junit: junit.xml"));
    assert!(lines.contains(&"when: always") && lines.contains(&"- report.html"));
    let (_, after) = gitlab_scripts(&gitlab);
    assert!(after.iter().any(|l| l.starts_with("cat summary.md")), "{after:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A directory laid out as a CI checkout after the build: the test's binary where `cargo build --release` puts it.
/// Stops the host the example started (by the pid it wrote) if the example did not.
struct Checkout {
    dir: tempfile::TempDir,
    host_port: u16,
    discovery_port: u16,
}

impl Checkout {
    fn new() -> Checkout {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let release = dir.path().join("target/release");
        std::fs::create_dir_all(&release).expect("target/release");
        let bin = release.join("wopi-conformance");
        // A hard link where possible: the debug binary is large and the disk is shared.
        if std::fs::hard_link(BIN, &bin).is_err() {
            std::fs::copy(BIN, &bin).expect("copying the binary");
        }
        Checkout {
            dir,
            host_port: free_port(),
            discovery_port: free_port(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The example's lines as they are run here: without the build and package installs, on free ports.
    fn script(&self, lines: &[String]) -> String {
        let mut out = String::new();
        for line in lines {
            if line.starts_with("cargo build") || line.starts_with("apt-get") {
                continue;
            }
            let line = line
                .replace(HOST_ADDR, &format!("127.0.0.1:{}", self.host_port))
                .replace(DISCOVERY_ADDR, &format!("127.0.0.1:{}", self.discovery_port));
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// Runs a script with bash as the CI runs it (`-eo pipefail`), output to `log`; returns whether it succeeded.
    fn bash(&self, script: &str, env: &[(&str, String)], log: &str, deadline: Duration) -> bool {
        let file = self.path(&format!("{log}.sh"));
        std::fs::write(&file, script).expect("writing the script");
        let out = std::fs::File::create(self.path(log)).expect("a log file");
        let err = out.try_clone().expect("a log file");
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "warn")
            .env_remove("WOPI_VALIDATOR_DIR")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("bash starts");
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("waiting for bash") {
                return status.success();
            }
            if start.elapsed() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{log} did not finish within {deadline:?}:\n{}", self.log(log));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// The host's pid, if the example wrote it and the process is still running (a zombie waiting for whoever
    /// adopted it counts as gone).
    fn live_host(&self) -> Option<u32> {
        let pid: u32 = self.log("host.pid").trim().parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        (state != Some("Z")).then_some(pid)
    }

    /// Whether the host is gone within a few seconds (it shuts down gracefully on SIGTERM).
    fn host_stops(&self) -> bool {
        let start = Instant::now();
        while self.live_host().is_some() {
            if start.elapsed() > Duration::from_secs(10) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }

    /// What every example must leave: the reports, with every case of a passing run against the reference host.
    fn assert_reports(&self, logs: &str) {
        for name in ["junit.xml", "summary.md", "report.html", "run.json"] {
            let len = std::fs::metadata(self.path(name)).map_or(0, |m| m.len());
            assert!(len > 0, "{name} was not written:\n{logs}");
        }
        let run: Value = serde_json::from_str(&self.log("run.json")).expect("run.json is JSON");
        assert_eq!(run["target"]["host_kind"], "external host");
        let cases = run["cases"].as_array().expect("cases");
        assert!(cases.len() > 100, "every built-in suite ran: {} cases", cases.len());
        let failed: Vec<&Value> = cases
            .iter()
            .filter(|c| c["outcome"] == "failed")
            .map(|c| &c["id"])
            .collect();
        assert!(
            failed.is_empty(),
            "failed against the reference host: {failed:?}\n{logs}"
        );
        assert!(self.log("junit.xml").contains("<testsuites"));
        assert!(self.log("summary.md").contains('|'));
        assert!(self.log("report.html").to_ascii_lowercase().contains("<!doctype html"));
        assert!(self.host_stops(), "the example stops the host it started\n{logs}");
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(pid) = self.live_host() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

#[test]
fn the_github_actions_workflow_runs_as_written() {
    let steps = github_steps(&read("docs/ci/github-actions.yml"));
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Build wopi-conformance",
            "Start the host",
            "Run the suites",
            "Markdown summary",
            "Stop the host"
        ]
    );
    let checkout = Checkout::new();
    let github_path = checkout.path("github_path");
    let summary = checkout.path("step_summary");
    std::fs::write(&github_path, "").expect("GITHUB_PATH");
    std::fs::write(&summary, "").expect("GITHUB_STEP_SUMMARY");
    let mut failed = false;
    let mut logs = String::new();
    for (i, step) in steps.iter().enumerate() {
        if failed && !step.always {
            continue;
        }
        // As the runner does: each step in a shell of its own, with the directories added to $GITHUB_PATH by
        // earlier steps in front of PATH.
        let mut path: Vec<String> = checkout.log("github_path").lines().rev().map(str::to_owned).collect();
        path.push(std::env::var("PATH").unwrap_or_default());
        let env = [
            ("PATH", path.join(":")),
            ("GITHUB_PATH", github_path.display().to_string()),
            ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
        ];
        let log = format!("step{i}.log");
        let ok = checkout.bash(&checkout.script(&step.run), &env, &log, Duration::from_secs(600));
        logs.push_str(&format!(
            "--- {} ({})\n{}\n",
            step.name,
            if ok { "ok" } else { "failed" },
            checkout.log(&log)
        ));
        failed |= !ok;
    }
    assert!(
        !failed,
        "a step failed:\n{logs}\nhost.log:\n{}",
        checkout.log("host.log")
    );
    checkout.assert_reports(&logs);
    assert_eq!(
        checkout.log("step_summary"),
        checkout.log("summary.md"),
        "the Markdown summary is on the run page"
    );
}

#[test]
fn the_gitlab_ci_job_runs_as_written() {
    let (main, after) = gitlab_scripts(&read("docs/ci/gitlab-ci.yml"));
    assert!(main.len() >= 5 && !after.is_empty(), "{main:?} {after:?}");
    let checkout = Checkout::new();
    // GitLab runs before_script and script in one shell, after_script in another, whatever the script's outcome.
    let ok = checkout.bash(&checkout.script(&main), &[], "script.log", Duration::from_secs(600));
    let after_ok = checkout.bash(&checkout.script(&after), &[], "after.log", Duration::from_secs(60));
    let logs = format!(
        "script:\n{}\nafter_script:\n{}\nhost.log:\n{}",
        checkout.log("script.log"),
        checkout.log("after.log"),
        checkout.log("host.log")
    );
    assert!(ok && after_ok, "{logs}");
    checkout.assert_reports(&logs);
    assert!(
        checkout.log("after.log").contains(checkout.log("summary.md").trim()),
        "the Markdown summary is in the job log"
    );
}

#[test]
fn the_line_readers_find_what_the_files_hold() {
    let yaml = "jobs:\n  j:\n    steps:\n      - uses: a/b@v1\n      - name: One\n        if: always()\n        run: |\n          echo a\n\n          echo b\n      - name: Two\n        run: echo c\n";
    let steps = github_steps(yaml);
    assert_eq!(steps.len(), 2, "{steps:#?}");
    assert_eq!(steps[0].run, ["echo a", "echo b"]);
    assert!(steps[0].always && !steps[1].always);
    assert_eq!(steps[1].run, ["echo c"]);
    let (main, after) = gitlab_scripts(
        "job:\n  before_script:\n    - a\n  script:\n    - b\n    # no\n    - c\n  after_script:\n    - d\n  artifacts:\n    paths:\n      - x\n",
    );
    assert_eq!(main, ["a", "b", "c"]);
    assert_eq!(after, ["d"]);
    let inv =
        invocation(r#"./target/release/wopi-conformance run --token "$(jq -r .t h.json)" --x=1 -w u > out &"#).unwrap();
    assert_eq!(inv.subcommand, "run");
    assert_eq!(
        inv.flags,
        BTreeSet::from(["--token".to_owned(), "--x".to_owned(), "-w".to_owned()])
    );
    assert!(
        invocation("cargo run --release -p wopi-harness -- list --suite x").is_some_and(|i| i.subcommand == "list")
    );
    assert!(invocation("echo wopi-conformance").is_none());
}
