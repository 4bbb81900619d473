//! Hosts that break the run rather than one rule (issue 11): a host that accepts and never answers, trickles its
//! answer a byte per second, stalls in the middle of its headers or floods `100 Continue`; a host process that
//! exits on one request; a host that never releases its lock.
//!
//! - The mock Office client bounds every exchange with such a host by its total timeout (these pass on their own).
//! - `wopi-conformance run -w … -t …` against each of them ends with exit status 3 within 30 s and writes every
//!   report; against the reference host started as a process of its own with `ExitOnUtf7RelativeName`, it names
//!   the PutRelativeFile request the host stopped answering on; with `UnlockKeepsLock`, later cases are `blocked`
//!   by the case that left the file locked. These need the runner's host-health tracking, `--request-timeout`
//!   and baseline restore between cases.
//!
//! The hostile server is `support/hostile.rs`.
// Test helpers may unwrap: a failure there is a test failure with its message.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use support::hostile::{Behaviour, HostileServer};
use wopi_mock_office::{ClientConfig, ClientError, KeyRing, WopiClient, WopiTarget};

const BIN: &str = env!("CARGO_BIN_EXE_wopi-conformance");

/// How long a run against a hostile host may take (issue 11: "exit 3 in under 30 seconds").
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// When a run is killed, so that a run that hangs fails the test instead of stalling it.
const KILL_AFTER: Duration = Duration::from_secs(60);

/// The four report files every run below asks for.
const REPORTS: [&str; 4] = ["run.json", "run.html", "j.xml", "s.md"];

// ---- the hostile server against the mock Office client: every exchange bounded by the total timeout ----

#[tokio::test]
async fn every_hostile_behaviour_ends_in_a_client_timeout_within_the_total_timeout() {
    let total = Duration::from_secs(2);
    let config = ClientConfig {
        connect_timeout: Duration::from_secs(1),
        total_timeout: total,
        ..ClientConfig::default()
    };
    let client = WopiClient::new(config, KeyRing::fixed().unwrap().shared()).unwrap();
    // All four at once: each is a wait, and together they show one stuck exchange does not hold up another.
    let checks = Behaviour::ALL.map(|behaviour| {
        let client = client.clone();
        async move {
            let server = HostileServer::start(behaviour).await.unwrap();
            let target = WopiTarget::new(url::Url::parse(&server.wopisrc()).unwrap(), "tok");
            let started = Instant::now();
            let result = client.check_file_info(&target).await;
            let took = started.elapsed();
            assert!(server.connections() >= 1, "{behaviour:?}: the server was never reached");
            (behaviour, result.map(|r| r.status), took)
        }
    });
    for (behaviour, result, took) in futures_util::future::join_all(checks).await {
        assert_eq!(
            result,
            Err(ClientError::Timeout { after: total }),
            "{behaviour:?}: expected a timeout"
        );
        assert!(
            took >= total - Duration::from_millis(100) && took < total + Duration::from_secs(1),
            "{behaviour:?}: the exchange took {took:?} with a total timeout of {total:?}"
        );
    }
}

/// The server really does what each behaviour says: the bytes a raw client reads in the first 2.5 s.
#[tokio::test]
async fn the_hostile_server_sends_what_each_behaviour_says() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for behaviour in Behaviour::ALL {
        let server = HostileServer::start(behaviour).await.unwrap();
        let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        stream
            .write_all(b"GET /wopi/files/1?access_token=tok HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let until = tokio::time::Instant::now() + Duration::from_millis(2500);
        let mut buf = [0u8; 4096];
        while let Ok(Ok(n)) = tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            assert!(n > 0, "{behaviour:?}: the server closed the connection");
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got);
        match behaviour {
            Behaviour::NeverAnswer => assert!(got.is_empty(), "{behaviour:?}: {text:?}"),
            // One byte at once, then one per second.
            Behaviour::Trickle => assert!(matches!(text.as_ref(), "HT" | "HTT" | "HTTP"), "{text:?}"),
            Behaviour::StallInHeaders => {
                assert_eq!(text, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Len")
            }
            Behaviour::FloodContinue => {
                assert!(
                    text.matches("HTTP/1.1 100 Continue\r\n\r\n").count() > 1000,
                    "{} bytes",
                    got.len()
                );
                assert!(
                    text.replace("HTTP/1.1 100 Continue\r\n\r\n", "").len() < 25,
                    "only interim responses"
                );
            }
        }
    }
}

/// A request with a body (PutFile) is bounded the same way: the server drains it and never answers.
#[tokio::test]
async fn a_request_with_a_body_is_bounded_too() {
    let total = Duration::from_secs(2);
    let config = ClientConfig {
        total_timeout: total,
        ..ClientConfig::default()
    };
    let client = WopiClient::new(config, KeyRing::fixed().unwrap().shared()).unwrap();
    for behaviour in [Behaviour::NeverAnswer, Behaviour::FloodContinue] {
        let server = HostileServer::start(behaviour).await.unwrap();
        let target = WopiTarget::new(url::Url::parse(&server.wopisrc()).unwrap(), "tok");
        let started = Instant::now();
        let body = vec![b'x'; 1024 * 1024];
        let result = client.put_file(&target, Some("lock"), body).await;
        let took = started.elapsed();
        assert_eq!(
            result.map(|r| r.status),
            Err(ClientError::Timeout { after: total }),
            "{behaviour:?}"
        );
        assert!(took < total + Duration::from_secs(1), "{behaviour:?}: took {took:?}");
    }
}

// ---- `wopi-conformance run -w … -t …` against hostile hosts (need the runner's host-health work) ----

/// What a finished run left behind.
struct Finished {
    status: ExitStatus,
    took: Duration,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Both streams, for messages whose stream is not part of the contract.
    fn console(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs the binary in `dir`, killing it after [`KILL_AFTER`] (then the test fails with what it printed).
fn run_in(dir: &Path, args: &[&str]) -> Finished {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > KILL_AFTER {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "wopi-conformance {args:?} was still running after {KILL_AFTER:?} (killed)\nstdout:\n{}\nstderr:\n{}",
                stdout.join().unwrap(),
                stderr.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    Finished {
        status,
        took,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Reads a pipe to the end on a thread, so a chatty process never blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// The run's arguments against `wopisrc`, with every report format.
fn run_args<'a>(wopisrc: &'a str, token: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", "-w", wopisrc, "-t", token, "--no-browser"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "--json",
        REPORTS[0],
        "--html",
        REPORTS[1],
        "--junit",
        REPORTS[2],
        "--markdown",
        REPORTS[3],
    ]);
    args
}

/// Every report was written, and the JSON one parses; returns it.
fn reports_written(dir: &Path, run: &Finished) -> serde_json::Value {
    for name in REPORTS {
        let path = dir.join(name);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(
            len > 0,
            "{name} was not written (or is empty)\nstdout:\n{}\nstderr:\n{}",
            run.stdout,
            run.stderr
        );
    }
    let json = std::fs::read_to_string(dir.join(REPORTS[0])).unwrap();
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("run.json does not parse: {e}\n{json}"))
}

/// One hostile behaviour against the binary with default settings: exit 3 within 30 s, every report written.
async fn run_against(behaviour: Behaviour) {
    let server = HostileServer::start(behaviour).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wopisrc = server.wopisrc();
    let path = dir.path().to_path_buf();
    let args: Vec<String> = run_args(&wopisrc, "tok", &[]).into_iter().map(String::from).collect();
    // The server lives on this runtime; the blocking wait for the process runs beside it.
    let run = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_in(&path, &args)
    })
    .await
    .unwrap();
    assert!(
        server.connections() >= 1,
        "{behaviour:?}: the run never reached the host"
    );
    assert_eq!(
        run.code(),
        Some(3),
        "{behaviour:?}: exit status after {:?}\n{}",
        run.took,
        run.console()
    );
    assert!(
        run.took < RUN_LIMIT,
        "{behaviour:?}: the run took {:?} (limit {RUN_LIMIT:?})\n{}",
        run.took,
        run.console()
    );
    reports_written(dir.path(), &run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_never_answers_ends_the_run_with_exit_3_within_30_s() {
    run_against(Behaviour::NeverAnswer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_trickles_ends_the_run_with_exit_3_within_30_s() {
    run_against(Behaviour::Trickle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_stalls_in_its_headers_ends_the_run_with_exit_3_within_30_s() {
    run_against(Behaviour::StallInHeaders).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_floods_100_continue_ends_the_run_with_exit_3_within_30_s() {
    run_against(Behaviour::FloodContinue).await;
}

// ---- the reference host as a process of its own, with a fault that breaks the run ----

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

/// `wopi-conformance host --fault FAULT --seed`, its discovery URL on the mock Office that a run will start on
/// `office_port`; returns the process, the seed's WOPISrc, token and TTL, and the host's stderr.
fn start_host(fault: &str, office_port: u16) -> (Process, String, String, String, std::thread::JoinHandle<String>) {
    let mut host = Process(
        Command::new(BIN)
            .args([
                "host",
                "--fault",
                fault,
                "--listen",
                "127.0.0.1:0",
                "--seed",
                "--discovery-url",
                &format!("http://127.0.0.1:{office_port}/hosting/discovery"),
            ])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = drain(host.0.stderr.take().unwrap());
    let mut line = String::new();
    BufReader::new(host.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let seed: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let field = |k: &str| match &seed[k] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // The host's first discovery fetch (at start, before the run's mock exists) failed; a host without keys
    // retries 250 ms after that. Starting the run later than that means its first request finds the mock up and
    // the host allowed to fetch again, so no request is refused for a reason that is not the host's fault.
    std::thread::sleep(Duration::from_millis(400));
    (
        host,
        field("wopisrc"),
        field("access_token"),
        field("access_token_ttl"),
        stderr,
    )
}

/// The report's cases: `(id, outcome, blocked_by)`.
fn cases(json: &serde_json::Value) -> Vec<(String, String, Option<String>)> {
    json["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("the report has no `cases` array"))
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["outcome"].as_str().unwrap_or_default().to_owned(),
                c["blocked_by"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// A host process that exits on a PutRelativeFile with a UTF-7 name: the run stops sending, exits 3, and says
/// which request the host stopped answering on.
#[test]
fn a_host_that_exits_on_a_request_is_named_and_the_run_exits_3() {
    let office_port = free_port();
    let (mut host, wopisrc, token, ttl, host_stderr) = start_host("ExitOnUtf7RelativeName", office_port);
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{office_port}");
    let run = run_in(
        dir.path(),
        &run_args(&wopisrc, &token, &["-l", &ttl, "--discovery-listen", &listen]),
    );

    // The fault really fired: the host process is gone, with the fault's exit status.
    let exited = host.0.try_wait().unwrap();
    let _ = host.0.kill();
    let host_log = host_stderr.join().unwrap();
    assert_eq!(
        exited.and_then(|s| s.code()),
        Some(70),
        "the host did not exit through ExitOnUtf7RelativeName\nhost log:\n{host_log}\nrun:\n{}",
        run.console()
    );
    assert!(host_log.contains("ExitOnUtf7RelativeName"), "{host_log}");

    assert_eq!(
        run.code(),
        Some(3),
        "exit status after {:?}\n{}",
        run.took,
        run.console()
    );
    assert!(run.took < RUN_LIMIT, "the run took {:?}\n{}", run.took, run.console());
    let json = reports_written(dir.path(), &run);
    let stopped = &json["host_stopped"];
    assert!(
        stopped.is_object(),
        "the JSON report has no top-level `host_stopped` object:\n{json:#}"
    );
    let request = stopped["request"].as_str().unwrap_or_default();
    assert!(request.contains("PutRelativeFile"), "host_stopped: {stopped:#}");
    let case = stopped["case"].as_str().unwrap_or_default();
    assert!(
        cases(&json).iter().any(|(id, _, _)| id == case),
        "host_stopped names case {case:?}, which is not in the report"
    );
    assert!(
        !stopped["message"].as_str().unwrap_or_default().is_empty(),
        "host_stopped: {stopped:#}"
    );
    assert!(
        run.console().contains("stopped answering"),
        "the summary does not say the host stopped answering:\n{}",
        run.console()
    );
    // Cases after the crash are not run, not failed or skipped one by one with "connection refused".
    assert!(
        cases(&json).iter().any(|(_, outcome, _)| outcome == "not_run"),
        "no case is `not_run`"
    );
    for s in [&run.stdout, &run.stderr] {
        assert!(!s.contains(&token), "the token leaked");
    }
}

/// A host whose Unlock answers 200 but keeps the lock: in single-file mode the file stays locked, so the cases
/// after the one that locked it are `blocked`, naming that case, instead of failing with 409 for a reason that is
/// not theirs.
#[test]
fn a_lock_the_host_never_releases_blocks_later_cases_naming_the_culprit() {
    let office_port = free_port();
    let (_host, wopisrc, token, ttl, _host_stderr) = start_host("UnlockKeepsLock", office_port);
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{office_port}");
    let run = run_in(
        dir.path(),
        &run_args(&wopisrc, &token, &["-l", &ttl, "--discovery-listen", &listen]),
    );
    // Cases that check Unlock fail (the fault breaks their rule): exit 1, not a usage error or an unreachable host.
    assert_eq!(
        run.code(),
        Some(1),
        "exit status after {:?}\n{}",
        run.took,
        run.console()
    );
    let json = reports_written(dir.path(), &run);
    let all = cases(&json);
    let blocked: Vec<_> = all.iter().filter(|(_, outcome, _)| outcome == "blocked").collect();
    assert!(!blocked.is_empty(), "no case is `blocked`\n{}", run.console());
    for (id, _, culprit) in &blocked {
        let culprit = culprit
            .as_deref()
            .unwrap_or_else(|| panic!("blocked case {id} has no `blocked_by`"));
        let position = |wanted: &str| all.iter().position(|(other, _, _)| other == wanted);
        let (at, by) = (position(id), position(culprit));
        assert!(
            by.is_some(),
            "{id} is blocked by {culprit:?}, which is not in the report"
        );
        assert!(by < at, "{id} is blocked by {culprit}, which comes after it");
        assert!(
            all[by.unwrap_or_default()].1 != "blocked",
            "the culprit {culprit} of {id} is itself blocked"
        );
    }
}
