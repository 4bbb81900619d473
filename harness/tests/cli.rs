//! The `wopi-conformance` binary as a user runs it: help and exit codes, `list`, suite errors, an embedded run
//! writing every report format, an unreachable host, a run against the reference host as an external process,
//! and `report --from`.
// Test helpers may unwrap: a failure there is a test failure with its message.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wopi-conformance");

/// A small suite: a prereq, two passing cases in two categories.
const SMALL_SUITE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<WopiValidation>
  <Resources>
    <File Id="Doc" Name="doc.txt" FilePath="small/" />
  </Resources>
  <PrereqCases>
    <TestCase Name="Small.CheckFileInfoAnswers" Category="WopiCore">
      <Description>CheckFileInfo answers 200.</Description>
      <Requests>
        <CheckFileInfo />
      </Requests>
    </TestCase>
  </PrereqCases>
  <TestGroup Name="Basics">
    <PrereqTests>
      <PrereqTest>Small.CheckFileInfoAnswers</PrereqTest>
    </PrereqTests>
    <TestCases>
      <TestCase Name="Basics.FileInfo" Category="WopiCore">
        <Description>CheckFileInfo has BaseFileName.</Description>
        <Requests>
          <CheckFileInfo>
            <Validators>
              <ResponseCodeValidator ExpectedCode="200" />
              <JsonResponseContentValidator>
                <StringProperty Name="BaseFileName" IsRequired="true" />
              </JsonResponseContentValidator>
            </Validators>
          </CheckFileInfo>
        </Requests>
      </TestCase>
      <TestCase Name="Basics.PutThenGet" Category="OfficeOnline">
        <Description>GetFile returns what PutFile stored.</Description>
        <Requests>
          <Lock Lock="small-lock" />
          <PutFile Lock="small-lock" ResourceId="Doc" />
          <GetFile>
            <Validators>
              <ResponseCodeValidator ExpectedCode="200" />
              <ResponseContentValidator ExpectedResourceId="Doc" />
            </Validators>
          </GetFile>
        </Requests>
        <CleanupRequests>
          <Unlock Lock="small-lock" />
        </CleanupRequests>
      </TestCase>
    </TestCases>
  </TestGroup>
</WopiValidation>
"#;

/// A suite whose only case expects the wrong status, so it fails.
const FAILING_SUITE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<WopiValidation>
  <TestGroup Name="Wrong">
    <TestCases>
      <TestCase Name="Wrong.Expects404" Category="WopiCore">
        <Description>Expects 404 from a file that exists.</Description>
        <Requests>
          <CheckFileInfo>
            <Validators>
              <ResponseCodeValidator ExpectedCode="404" />
            </Validators>
          </CheckFileInfo>
        </Requests>
      </TestCase>
    </TestCases>
  </TestGroup>
</WopiValidation>
"#;

/// Microsoft's validator files next to the workspace, when this machine has them (never copied into the project).
fn validator_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/validator");
    dir.join("TestCases.xml").is_file().then_some(dir)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the binary in `dir` with a deadline, so a hang fails the test instead of stalling it. Output is drained
/// on threads as it comes, so a chatty run cannot block on a full pipe.
fn run_in(dir: &Path, args: &[&str], deadline: Duration) -> Output {
    let mut command = Command::new(BIN);
    // The temporary directory is outside the workspace, so the binary would not find the validator's files
    // next to it: name them, as a user would.
    if let Some(validator) = validator_dir() {
        command.env("WOPI_VALIDATOR_DIR", validator);
    }
    let mut child = command
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "wopi-conformance {args:?} did not finish within {deadline:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&stdout.join().unwrap()),
                String::from_utf8_lossy(&stderr.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

#[test]
fn help_documents_every_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["run", "--help"][..]] {
        let out = run_in(dir.path(), args, Duration::from_secs(10));
        let (stdout, _) = text(&out);
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(stdout.contains("Exit status:"), "{stdout}");
        for line in [
            "  0    nothing failed",
            "  1    at least one case failed",
            "  2    usage error",
            "  3    the host",
        ] {
            assert!(stdout.contains(line), "{args:?} help lacks {line:?}:\n{stdout}");
        }
    }
    let out = run_in(dir.path(), &["run", "--help"], Duration::from_secs(10));
    let (stdout, _) = text(&out);
    for flag in [
        "-w, --wopisrc",
        "-t, --token",
        "-l, --token-ttl",
        "-g, --group",
        "-n, --case",
        "-e, --category",
        "-s,",
    ] {
        assert!(stdout.contains(flag), "run --help lacks {flag}:\n{stdout}");
    }
}

#[test]
fn unknown_flag_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["run", "--no-such-flag"], Duration::from_secs(10));
    assert_eq!(code(&out), 2);
}

#[test]
fn list_shows_cases_with_their_category_and_applies_filters() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "small.xml", SMALL_SUITE);
    let suite = suite.to_str().unwrap();

    let out = run_in(dir.path(), &["list", "-c", suite], Duration::from_secs(10));
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "ext_small::Basics::Basics.FileInfo [WopiCore]",
            "ext_small::Basics::Basics.PutThenGet [OfficeOnline]"
        ]
    );
    assert!(stderr.contains("2 cases in 1 suites"), "{stderr}");

    let out = run_in(
        dir.path(),
        &["list", "-c", suite, "-e", "OfficeOnline"],
        Duration::from_secs(10),
    );
    assert_eq!(
        text(&out).0.lines().collect::<Vec<_>>(),
        ["ext_small::Basics::Basics.PutThenGet [OfficeOnline]"]
    );
    let out = run_in(
        dir.path(),
        &["list", "-c", suite, "--case", "*FileInfo"],
        Duration::from_secs(10),
    );
    assert_eq!(
        text(&out).0.lines().collect::<Vec<_>>(),
        ["ext_small::Basics::Basics.FileInfo [WopiCore]"]
    );
    let out = run_in(
        dir.path(),
        &["list", "-c", suite, "-g", "NoSuchGroup"],
        Duration::from_secs(10),
    );
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out).0, "");
}

#[test]
fn list_without_arguments_includes_the_built_in_suites() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["list"], Duration::from_secs(20));
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stderr}");
    // The suites compiled into the binary (the temporary directory has none) and, when present, the validator's
    // file (named with WOPI_VALIDATOR_DIR by run_in).
    assert!(stdout.lines().any(|l| l.starts_with("ext_")), "{stdout}");
    if validator_dir().is_some() {
        assert!(stdout.contains("core::Locks::"), "{stdout}");
        assert!(!stderr.contains("not found"), "{stderr}");
    }
}

#[test]
fn a_suite_that_does_not_parse_exits_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let broken = SMALL_SUITE.replace(
        "<CheckFileInfo />\n      </Requests>",
        "<CheckFileInfo>\n      </Requests>",
    );
    let suite = write(dir.path(), "broken.xml", &broken);
    let located = regex::Regex::new(r"broken\.xml:\d+:\d+").unwrap();
    for command in ["list", "run"] {
        let out = run_in(
            dir.path(),
            &[command, "-c", suite.to_str().unwrap()],
            Duration::from_secs(10),
        );
        let (_, stderr) = text(&out);
        assert_eq!(code(&out), 2, "{command}: {stderr}");
        assert!(located.is_match(&stderr), "{command}: no file:line:col in {stderr}");
    }
    let out = run_in(dir.path(), &["run", "-c", "missing.xml"], Duration::from_secs(10));
    assert_eq!(code(&out), 2);
    assert!(text(&out).1.contains("missing.xml"), "{}", text(&out).1);
}

#[test]
fn embedded_run_prints_a_summary_and_writes_all_four_reports() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "small.xml", SMALL_SUITE);
    let args = [
        "run",
        "-c",
        suite.to_str().unwrap(),
        "--json",
        "out/run.json",
        "--junit",
        "out/run.junit.xml",
        "--markdown",
        "out/run.md",
        "--html",
        "out/run.html",
    ];
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let out = run_in(dir.path(), &args, Duration::from_secs(60));
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("reference host (in-process): http://127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("mock Office discovery: http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("2 passed"), "{stdout}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/run.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["target"]["host_kind"], "embedded reference host");
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    assert!(cases.iter().all(|c| c["outcome"] == "passed"), "{cases:?}");
    assert_eq!(cases[0]["id"], "ext_small::Basics::Basics.FileInfo");
    assert!(!cases[1]["transcript"].as_array().unwrap().is_empty());

    let junit = std::fs::read_to_string(dir.path().join("out/run.junit.xml")).unwrap();
    assert_well_formed_xml(&junit);
    assert!(
        junit.contains("<testsuites") && junit.contains("Basics.PutThenGet"),
        "{junit}"
    );

    let md = std::fs::read_to_string(dir.path().join("out/run.md")).unwrap();
    assert!(md.contains('|') && md.contains("Basics"), "{md}");

    let html = std::fs::read_to_string(dir.path().join("out/run.html")).unwrap();
    assert!(
        html.trim_start().to_ascii_lowercase().starts_with("<!doctype html"),
        "{}",
        &html[..200.min(html.len())]
    );
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("Basics.PutThenGet"));

    // Nothing prints or stores a token: every access_token in a URL is redacted.
    let token_param = regex::Regex::new(r#"access_token=([^&"'\s<]*)"#).unwrap();
    let mut seen = 0;
    for s in [&stdout, &stderr, &json.to_string(), &junit, &md, &html] {
        for m in token_param.captures_iter(s) {
            seen += 1;
            assert!(
                matches!(&m[1], "[redacted]" | "%5Bredacted%5D"),
                "a token leaked: {}",
                &m[0]
            );
        }
    }
    assert!(seen > 0, "the transcripts show the request URLs");
}

/// The README's main command, word for word, in a directory of its own: every built-in suite and the validator's
/// TestCases.xml against the embedded reference host, all four reports. Nothing may fail: this is the first thing
/// a new user runs. With a browser installed (scripts/test.sh installs it) the postMessage cases run too.
#[test]
fn the_readme_main_command_passes_every_case_and_writes_all_four_reports() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let prefix = "cargo run --release -p wopi-harness -- ";
    let line = readme
        .lines()
        .find(|l| l.starts_with(prefix) && l.contains(" run "))
        .expect("the README shows the main command");
    let args: Vec<&str> = line[prefix.len()..].split_whitespace().collect();
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &args, Duration::from_secs(600));
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("PASSED:"), "{stdout}");

    let json_path = args.iter().position(|a| *a == "--json").map(|i| args[i + 1]).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(json_path)).unwrap()).unwrap();
    let cases = json["cases"].as_array().unwrap();
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(failed.is_empty(), "failed: {failed:?}");
    // Every built-in suite took part, the browser one included when a browser is installed.
    for suite in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites")).unwrap() {
        let path = suite.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            let stem = path.file_stem().unwrap().to_str().unwrap().replace('-', "_");
            let id = format!("ext_{stem}::");
            assert!(
                cases.iter().any(|c| c["id"].as_str().unwrap().starts_with(&id)),
                "no case of {}",
                path.display()
            );
        }
    }
    if browser_installed() {
        let pm: Vec<&serde_json::Value> = cases.iter().filter(|c| c["suite"] == "ext_postmessage").collect();
        assert!(!pm.is_empty());
        assert!(
            pm.iter().all(|c| c["outcome"] == "passed"),
            "postMessage cases after the other suites: {:?}",
            pm.iter()
                .map(|c| (&c["id"], &c["outcome"], &c["reason"]))
                .collect::<Vec<_>>()
        );
    }
    for flag in ["--html", "--junit", "--markdown"] {
        let i = args.iter().position(|a| *a == flag).unwrap();
        let written = std::fs::metadata(dir.path().join(args[i + 1])).unwrap();
        assert!(written.len() > 0, "{flag} wrote an empty file");
    }
}

fn browser_installed() -> bool {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .any(|b| Command::new("which").arg(b).output().is_ok_and(|o| o.status.success()))
}

#[test]
fn a_failing_case_exits_1_and_report_from_rerenders_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "failing.xml", FAILING_SUITE);
    let out = run_in(
        dir.path(),
        &["run", "-c", suite.to_str().unwrap(), "--json", "run.json"],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("ext_failing::Wrong::Wrong.Expects404"), "{stdout}");

    let out = run_in(
        dir.path(),
        &[
            "report",
            "--from",
            "run.json",
            "--html",
            "again.html",
            "--junit",
            "again.xml",
            "--markdown",
            "again.md",
        ],
        Duration::from_secs(20),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stderr}");
    assert!(stdout.contains("1 cases: 0 passed, 1 failed"), "{stdout}");
    let html = std::fs::read_to_string(dir.path().join("again.html")).unwrap();
    assert!(html.contains("Wrong.Expects404"));
    assert_well_formed_xml(&std::fs::read_to_string(dir.path().join("again.xml")).unwrap());
    assert!(
        std::fs::read_to_string(dir.path().join("again.md"))
            .unwrap()
            .contains("Wrong")
    );

    let out = run_in(
        dir.path(),
        &["report", "--from", "nope.json", "--html", "x.html"],
        Duration::from_secs(10),
    );
    assert_eq!(code(&out), 2);
    let out = run_in(dir.path(), &["report", "--from", "run.json"], Duration::from_secs(10));
    assert_eq!(code(&out), 2, "no output format is a usage error");
}

#[test]
fn an_unreachable_host_exits_3_within_seconds_without_printing_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "small.xml", SMALL_SUITE);
    let port = free_port();
    let wopisrc = format!("http://127.0.0.1:{port}/wopi/files/1");
    let start = Instant::now();
    let out = run_in(
        dir.path(),
        &[
            "run",
            "-c",
            suite.to_str().unwrap(),
            "-w",
            &wopisrc,
            "-t",
            "SECRET-TOKEN-4711",
            "-l",
            "0",
        ],
        Duration::from_secs(20),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 3, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(start.elapsed() < Duration::from_secs(8), "took {:?}", start.elapsed());
    assert!(stderr.contains("cannot be reached"), "{stderr}");
    assert!(!stdout.contains("SECRET-TOKEN-4711") && !stderr.contains("SECRET-TOKEN-4711"));
}

#[test]
fn run_against_the_reference_host_as_an_external_process() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "small.xml", SMALL_SUITE);
    let (host_port, office_port, run_port) = (free_port(), free_port(), free_port());
    // The mock on its own (`office`), started before the host so the host's first discovery fetch succeeds. The
    // run's own mock (on --discovery-listen) signs with the same fixed test keys, so the host trusts it too.
    let mut office = Process(
        Command::new(BIN)
            .args(["office", "--listen", &format!("127.0.0.1:{office_port}")])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let discovery = format!("http://127.0.0.1:{office_port}/hosting/discovery");
    let office_out = BufReader::new(office.0.stdout.take().unwrap());
    let printed: Vec<String> = office_out.lines().take(2).map(Result::unwrap).collect();
    assert!(
        printed.iter().any(|l| l.contains(&discovery)),
        "office printed {printed:?}"
    );

    let mut host = Process(
        Command::new(BIN)
            .args([
                "host",
                "--listen",
                &format!("127.0.0.1:{host_port}"),
                "--discovery-url",
                &discovery,
                "--seed",
            ])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = host.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let seeded: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let wopisrc = seeded["wopisrc"].as_str().unwrap();
    let token = seeded["access_token"].as_str().unwrap();
    let ttl = seeded["access_token_ttl"].to_string();

    let out = run_in(
        dir.path(),
        &[
            "run",
            "-c",
            suite.to_str().unwrap(),
            "-w",
            wopisrc,
            "-t",
            token,
            "-l",
            &ttl,
            "--discovery-listen",
            &format!("127.0.0.1:{run_port}"),
            "--json",
            "ext.json",
        ],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "mock Office discovery: http://127.0.0.1:{run_port}/hosting/discovery"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("2 passed"), "{stdout}");
    let json = std::fs::read_to_string(dir.path().join("ext.json")).unwrap();
    assert!(json.contains("\"host_kind\": \"external host\""), "{json}");
    for s in [&stdout, &stderr, &json] {
        assert!(!s.contains(token), "the token leaked");
    }

    // The same file through --provision: the command prints the seed line again for every case.
    let provision = format!("printf '%s\\n' '{}'", line.trim());
    let out = run_in(
        dir.path(),
        &[
            "run",
            "-c",
            suite.to_str().unwrap(),
            "--provision",
            &provision,
            "--json",
            "prov.json",
        ],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("2 passed"), "{stdout}");
    let json = std::fs::read_to_string(dir.path().join("prov.json")).unwrap();
    assert!(json.contains("provisioned"), "{json}");
    assert!(
        !json.contains(token) && !stdout.contains(token) && !stderr.contains(token),
        "the token leaked"
    );
}

/// Kills a server process when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn assert_well_formed_xml(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML at {}: {e}\n{xml}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unbalanced XML:\n{xml}");
}

#[test]
fn bench_reports_cases_per_second_serial_and_parallel_and_peak_memory() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "small.xml", SMALL_SUITE);
    let out = run_in(
        dir.path(),
        &[
            "bench",
            "-c",
            suite.to_str().unwrap(),
            "--iterations",
            "1",
            "--jobs",
            "2",
        ],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let rate = regex::Regex::new(r"--jobs (\d): 2 cases in \d+ ms = \d+ cases/s").unwrap();
    let jobs: Vec<&str> = rate
        .captures_iter(&stdout)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(jobs, ["1", "2"], "{stdout}");
    // What the rate counts is shown with it.
    assert!(
        stdout.contains("outcomes: 2 passed, 0 failed, 0 warnings, 0 skipped"),
        "{stdout}"
    );
    assert!(stdout.contains("peak memory (VmHWM): "), "{stdout}");
}

/// A suite whose only prereq cannot pass on any correct host, so every case is skipped.
const UNMET_PREREQ_SUITE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<WopiValidation>
  <PrereqCases>
    <TestCase Name="Never.Met" Category="WopiCore">
      <Description>Expects 404 from the test file.</Description>
      <Requests>
        <CheckFileInfo>
          <Validators>
            <ResponseCodeValidator ExpectedCode="404" />
          </Validators>
        </CheckFileInfo>
      </Requests>
    </TestCase>
  </PrereqCases>
  <TestGroup Name="Blocked">
    <PrereqTests>
      <PrereqTest>Never.Met</PrereqTest>
    </PrereqTests>
    <TestCases>
      <TestCase Name="Blocked.One" Category="WopiCore">
        <Description>Never runs.</Description>
        <Requests>
          <CheckFileInfo />
        </Requests>
      </TestCase>
    </TestCases>
  </TestGroup>
</WopiValidation>
"#;

#[test]
fn a_failed_first_prereq_exits_3_and_dash_s_hides_the_skipped_lines() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "unmet.xml", UNMET_PREREQ_SUITE);
    let suite = suite.to_str().unwrap();

    let out = run_in(dir.path(), &["run", "-c", suite], Duration::from_secs(60));
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 3, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("SKIP ext_unmet::Blocked::Blocked.One: prerequisite Never.Met failed"),
        "{stdout}"
    );
    assert!(stderr.contains("the first prerequisite failed"), "{stderr}");

    let out = run_in(dir.path(), &["run", "-c", suite, "-s"], Duration::from_secs(60));
    let (stdout, _) = text(&out);
    assert_eq!(code(&out), 3);
    assert!(!stdout.contains("SKIP "), "{stdout}");
    assert!(stdout.contains("1 skipped"), "the summary still counts it: {stdout}");
}

/// Single-file mode (issue 11): a host whose Unlock answers 200 but never releases the lock. The first case that
/// leaves a lock behind fails with the host's answer to the harness's own Unlock ("Baseline"), the cases after it
/// are blocked naming it, and every report and the summary say so.
#[test]
fn a_lock_the_host_never_releases_blocks_later_cases_naming_the_culprit() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "run",
            "--single-file",
            "--no-browser",
            "--no-validator-suite",
            "--fault",
            "UnlockKeepsLock",
            "--json",
            "run.json",
            "--markdown",
            "run.md",
        ],
        Duration::from_secs(240),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 1, "a failed and blocked run exits 1\n{stdout}\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 2);
    let cases = report["cases"].as_array().unwrap();
    let culprit = cases
        .iter()
        .find(|c| c.get("left_dirty").is_some())
        .expect("one case is named as having left the file dirty");
    let culprit_id = culprit["id"].as_str().unwrap();
    assert_eq!(culprit["outcome"], "failed", "{culprit}");
    assert!(
        culprit["left_dirty"]
            .as_str()
            .unwrap()
            .starts_with("left the file locked with '"),
        "{culprit}"
    );
    assert!(
        culprit["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "Baseline" && f["actual"].as_str().unwrap().contains("stayed locked")),
        "{culprit}"
    );
    let blocked: Vec<&serde_json::Value> = cases.iter().filter(|c| c["outcome"] == "blocked").collect();
    assert!(blocked.len() > 20, "later cases are blocked: {}", blocked.len());
    assert!(blocked.iter().all(|c| c["blocked_by"] == culprit_id));
    let headline = format!(
        "{} cases blocked by state that case {culprit_id} left behind",
        blocked.len()
    );
    assert!(stdout.contains(&headline), "{stdout}");
    let md = std::fs::read_to_string(dir.path().join("run.md")).unwrap();
    assert!(md.contains("blocked by state that case"), "{md}");
    // No case after the culprit failed for the lock it left: they are blocked, not failed.
    let at = cases.iter().position(|c| c["id"] == culprit_id).unwrap();
    let failed_after: Vec<&str> = cases[at + 1..]
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(failed_after.is_empty(), "failed after the culprit: {failed_after:?}");
}

/// Single-file mode renames the shared file back after every case that renamed it, and checks the name.
#[test]
fn single_file_mode_renames_the_file_back_after_each_rename() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "run",
            "--single-file",
            "--no-browser",
            "--no-validator-suite",
            "--suite",
            "ext_rename",
            "--json",
            "run.json",
        ],
        Duration::from_secs(120),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(code(&out), 0, "{stdout}\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run.json")).unwrap()).unwrap();
    let renamed_back: Vec<&serde_json::Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["transcript"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["label"] == "baseline/RenameFile")
        })
        .collect();
    assert!(renamed_back.len() >= 5, "cases renamed back: {}", renamed_back.len());
    for c in renamed_back {
        let check = c["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .rfind(|e| e["label"] == "baseline/CheckFileInfo")
            .expect("the name is checked after renaming back");
        let body = check["outcome"]["body_preview"].as_str().unwrap();
        assert!(
            body.contains(r#""BaseFileName":"test.wopitest""#),
            "{}: {body}",
            c["id"]
        );
    }
}

/// `run --profile P` plays that client for the whole run (its discovery and keys for the embedded host): every
/// report names the profile, the cases marked `ext:Profiles` for other clients are skipped with a reason naming the
/// profile, and with ONLYOFFICE every report warns about its old shared default keys.
#[test]
fn run_with_a_profile_records_it_in_every_report_and_skips_what_does_not_apply() {
    for profile in ["collabora", "onlyoffice"] {
        let dir = tempfile::tempdir().unwrap();
        let args = [
            "run",
            "--profile",
            profile,
            "--no-browser",
            "--no-validator-suite",
            "--json",
            "run.json",
            "--junit",
            "run.junit.xml",
            "--markdown",
            "run.md",
            "--html",
            "run.html",
        ];
        let out = run_in(dir.path(), &args, Duration::from_secs(300));
        let (stdout, stderr) = text(&out);
        assert_eq!(code(&out), 0, "{profile}: stdout:\n{stdout}\nstderr:\n{stderr}");
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&read("run.json")).unwrap();
        assert_eq!(json["target"]["profile"], profile);
        let note = format!("Client profile {profile}: the mock client played it for the whole run");
        let warning = "ONLYOFFICE Docs before 8.3 shipped one proof key pair, the same on every installation";
        for (name, text) in [
            ("console", stdout.clone()),
            ("json", json.to_string()),
            ("junit", read("run.junit.xml")),
            ("markdown", read("run.md")),
            ("html", read("run.html")),
        ] {
            assert!(text.contains(&note), "{profile}: the {name} report names the profile");
            assert_eq!(
                text.contains(warning),
                profile == "onlyoffice",
                "{profile}: the {name} report warns about ONLYOFFICE's default keys only for ONLYOFFICE"
            );
        }
        let case = |id: &str| {
            json["cases"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"].as_str().is_some_and(|i| i.ends_with(id)))
                .unwrap_or_else(|| panic!("{id} in the run"))
                .clone()
        };
        let behind = case("ProofCombinations.ClientBehind");
        let page = case("HostPage.TokenInFormBody");
        let not_for = format!("does not apply to the {profile} profile");
        assert!(
            page["reason"].as_str().unwrap().starts_with(&not_for),
            "{profile}: {page}"
        );
        if profile == "collabora" {
            assert_eq!(behind["outcome"], "skipped", "{behind}");
            assert!(behind["reason"].as_str().unwrap().starts_with(&not_for), "{behind}");
        } else {
            assert_eq!(behind["outcome"], "passed", "ONLYOFFICE publishes an old key: {behind}");
        }
    }
}
