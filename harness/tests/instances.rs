//! Several instances, end to end through the binary: `run --instances 3` (three embedded reference-host
//! instances on one private PostgreSQL) against `run` (one SQLite instance), and the same suites against three
//! `host --database …` processes started by hand and named with `-w … --instance URL2 --instance URL3`.
//! Every built-in suite plus the validator's TestCases.xml (when `../shared/validator` is there).
//!
//! What must hold: every case that passes on the single SQLite instance passes on the three embedded instances,
//! and nothing fails there; the `ext_instances` cases, skipped on one instance, pass. Against the hand-started
//! instances the same verdicts, except cases that need what only the embedded host offers (stepping the host's
//! clock), which are skipped with that reason, never failed.
#![allow(clippy::unwrap_used)] // test helpers and assertions

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wopi_reference_host::pgcluster::PrivateCluster;

const BIN: &str = env!("CARGO_BIN_EXE_wopi-conformance");

/// The validator's definitions next to the workspace, when this machine has them (never copied into the project).
fn validator_suite() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/validator/TestCases.xml");
    p.is_file().then_some(p)
}

fn run_in(dir: &Path, args: &[&str], deadline: Duration) -> Output {
    let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    match validator_suite() {
        Some(p) => args.extend(["--validator-suite".into(), p.display().to_string()]),
        None => args.push("--no-validator-suite".into()),
    }
    let mut child = Command::new(BIN)
        .args(&args)
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
            panic!("{args:?} did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Case id → (outcome, reason) from a `--json` report.
fn verdicts(path: &Path) -> BTreeMap<String, (String, String)> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                (
                    c["outcome"].as_str().unwrap().to_owned(),
                    c["reason"].as_str().unwrap_or("").to_owned(),
                ),
            )
        })
        .collect()
}

/// Case id → the reference-host configuration the embedded run put it on (`harness/src/configurations.rs`).
fn configurations(path: &Path) -> BTreeMap<String, String> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let configuration = c["configuration"].as_str().unwrap_or("default");
            (c["id"].as_str().unwrap().to_owned(), configuration.to_owned())
        })
        .collect()
}

fn check_exit(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}\nstdout (tail):\n{}\nstderr (tail):\n{}",
        tail(&stdout),
        tail(&stderr)
    );
}

fn tail(s: &str) -> &str {
    let at = s.len().saturating_sub(6000);
    let at = (at..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(s.len());
    &s[at..]
}

/// Kills a server process when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits (bounded) until something accepts connections on `port`.
fn wait_listening(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn three_postgres_instances_embedded_and_by_hand_pass_what_one_sqlite_instance_passes() {
    let dir = tempfile::tempdir().unwrap();
    let deadline = Duration::from_secs(120);

    let out = run_in(dir.path(), &["run", "--no-browser", "--json", "single.json"], deadline);
    check_exit(&out, "run (one SQLite instance)");
    let single = verdicts(&dir.path().join("single.json"));

    let out = run_in(
        dir.path(),
        &["run", "--instances", "3", "--no-browser", "--json", "multi.json"],
        deadline,
    );
    check_exit(&out, "run --instances 3");
    let multi = verdicts(&dir.path().join("multi.json"));
    let configured = configurations(&dir.path().join("multi.json"));

    assert_eq!(
        single.keys().collect::<Vec<_>>(),
        multi.keys().collect::<Vec<_>>(),
        "the same cases"
    );
    let mut instance_cases = 0;
    for (id, (one, why)) in &single {
        let (three, reason) = &multi[id];
        assert_ne!(three, "failed", "{id} failed on three instances: {reason}");
        if id.starts_with("ext_instances::") {
            instance_cases += 1;
            assert_eq!(one, "skipped", "{id} on one instance");
            assert_eq!(three, "passed", "{id} on three instances ({reason})");
        } else {
            assert_eq!(one, three, "{id}: one instance {one} ({why}), three {three} ({reason})");
        }
    }
    assert!(instance_cases >= 5, "{instance_cases} ext_instances cases");
    assert!(single.values().filter(|(o, _)| o == "passed").count() > 200);

    // The same against hosts started by hand, pointed at the run's mock Office discovery (they fetch it again
    // when the run's mock comes up): one on SQLite, then three on one private PostgreSQL.
    let run_port = free_port();
    let discovery = format!("http://127.0.0.1:{run_port}/hosting/discovery");
    let one_by_hand = {
        let port = free_port();
        let data = tempfile::tempdir().unwrap();
        let host = start_host(&["--data-dir", data.path().to_str().unwrap()], port, &discovery);
        by_hand_run(dir.path(), host, &[port], run_port, "hand1.json", deadline)
    };
    let cluster = PrivateCluster::start().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let database = rt.block_on(cluster.create_database("wopi")).unwrap();
    let three_by_hand = {
        let ports = [free_port(), free_port(), free_port()];
        // The first seeds (and creates the schema); the others join the same database.
        let first = start_host(&["--database", &database], ports[0], &discovery);
        let _others = [
            start_host(&["--database", &database, "--no-seed"], ports[1], &discovery),
            start_host(&["--database", &database, "--no-seed"], ports[2], &discovery),
        ];
        by_hand_run(dir.path(), first, &ports, run_port, "hand3.json", deadline)
    };
    drop(cluster);

    // Three by hand against one by hand: the same verdicts, except ext_instances (skipped on one).
    for (id, (one, why)) in &one_by_hand {
        let (three, reason) = &three_by_hand[id];
        assert_ne!(three, "failed", "{id} failed on three hand-started instances: {reason}");
        if id.starts_with("ext_instances::") {
            assert_eq!(one, "skipped", "{id} on one instance");
        } else {
            assert_eq!(
                one, three,
                "{id} by hand: one instance {one} ({why}), three {three} ({reason})"
            );
        }
    }
    // Three by hand against three embedded: equal, except cases skipped for what only the embedded host
    // offers (stepping its clock, also for the <Delay> of HasDelay groups; tokens the harness issues; a file in a
    // renamable container of its own).
    let embedded_only = [
        "the host's clock cannot be stepped",
        "the group waits with <Delay>",
        "needs a token the harness can issue",
        "prerequisite UserCanRenameContainerPrereq failed",
    ];
    let mut differ = Vec::new();
    let mut instance_cases = 0;
    for (id, (three, _)) in &multi {
        let (by_hand, reason) = &three_by_hand[id];
        if id.starts_with("ext_instances::") && by_hand == "passed" {
            instance_cases += 1;
        }
        if by_hand != three {
            assert_eq!(
                by_hand, "skipped",
                "{id}: {three} embedded, {by_hand} by hand ({reason})"
            );
            // Or the embedded run put the group on another configuration of the reference host, whose prereq the
            // hand-started default host rightly fails.
            let other_configuration = configured[id] != "default" && reason.starts_with("prerequisite ");
            assert!(
                other_configuration || embedded_only.iter().any(|r| reason.contains(r)),
                "{id}: {three} embedded, skipped by hand for another reason: {reason}"
            );
            differ.push(format!("{id}: {three} embedded, skipped by hand ({reason})"));
        }
    }
    // Lock seen everywhere, stale PutFile after a relock elsewhere, Version and Size agree: no clock needed.
    assert!(
        instance_cases >= 3,
        "{instance_cases} ext_instances cases passed by hand"
    );
    eprintln!(
        "{} of {} verdicts differ between embedded and by hand, all embedded-only skips:\n{}",
        differ.len(),
        multi.len(),
        differ.join("\n")
    );
}

/// Starts a `host` process on `port` with `extra` options; seeds (prints the WOPISrc line) unless `--no-seed`.
fn start_host(extra: &[&str], port: u16, discovery: &str) -> Process {
    let listen = format!("127.0.0.1:{port}");
    let seed = !extra.contains(&"--no-seed");
    let mut args = vec!["host", "--listen", &listen, "--discovery-url", discovery];
    args.extend(extra.iter().filter(|a| **a != "--no-seed"));
    if seed {
        args.push("--seed");
    }
    Process(
        Command::new(BIN)
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Reads the seeded WOPISrc from `first`, waits for every instance, runs every suite with `-w … -t …` and the
/// other instances as `--instance`, stops the hosts and returns the verdicts.
fn by_hand_run(
    dir: &Path,
    mut first: Process,
    ports: &[u16],
    run_port: u16,
    json: &str,
    deadline: Duration,
) -> BTreeMap<String, (String, String)> {
    let mut line = String::new();
    BufReader::new(first.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let seeded: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    for p in ports {
        wait_listening(*p);
    }
    let ttl = seeded["access_token_ttl"].to_string();
    let listen = format!("127.0.0.1:{run_port}");
    let others: Vec<String> = ports[1..].iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    let mut args = vec![
        "run",
        "-w",
        seeded["wopisrc"].as_str().unwrap(),
        "-t",
        seeded["access_token"].as_str().unwrap(),
        "-l",
        &ttl,
        "--discovery-listen",
        &listen,
        "--no-browser",
        "--json",
        json,
    ];
    for o in &others {
        args.extend(["--instance", o]);
    }
    let out = run_in(dir, &args, deadline);
    drop(first);
    check_exit(&out, &format!("run -w … with {} hand-started instance(s)", ports.len()));
    verdicts(&dir.join(json))
}
