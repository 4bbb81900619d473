//! Throughput of the reference host over loopback: `cargo bench -p wopi-reference-host`.
//!
//! The host runs in-process on a tokio runtime with **one worker thread** (plus its blocking pool for SQLite
//! writes); the load generator runs on a separate single-threaded runtime. The generator speaks raw HTTP/1.1 over
//! keep-alive connections (many at once) with requests built and proof-signed *before* the timed loop, because
//! signing is the WOPI client's cost, not the host's; so the figures measure the host, not a client library.
//!
//! Scenarios (targets from issue 3, server on one core):
//! - CheckFileInfo with proof checking on (>= 15,000 req/s) and off (>= 50,000 req/s);
//! - GetFile of a 1 MiB file (>= 1,500 req/s);
//! - PutFile of 1 MiB under a lock (every body differs, so each one is a real write);
//! - several instances (issue 14): CheckFileInfo and Lock/Unlock on one SQLite instance and on 1, 2 and 3
//!   instances sharing one private PostgreSQL cluster, printed as ratios to SQLite (`WOPI_BENCH_FILTER=instances`
//!   for these alone);
//! - GetChunkedFile and PutChunkedFile (issue 13) on the validator's Excel and Word Zip-chunking fixtures and on a
//!   generated 10 MiB zip, proof checks off (`WOPI_BENCH_FILTER=chunked`; see `host/chunked.rs`).
//!
//! Environment: `WOPI_BENCH_SECONDS` (timed seconds per scenario, default 5), `WOPI_BENCH_MAX_REQUESTS` (cap per
//! scenario, default 2,000,000; PutFile is capped at 3,000 and PutChunkedFile at 2 GiB of content to bound disk
//! use), `WOPI_BENCH_FILTER` (run only the scenarios whose name contains it, e.g. `off`, `GetFile` or `chunked`).
//!
//! Besides requests per second the bench prints how much CPU the host's threads used (from `/proc`) and requests per
//! host-CPU-second: on a shared machine that is the figure that says what one dedicated core sustains.
//! Everything listens on 127.0.0.1 only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wopi_protocol::discovery::{Action, App, Discovery, NetZone, ProofKeyElement};
use wopi_protocol::proof::{ProofKeyPair, Ticks, sign_request};
use wopi_reference_host::{Config, DEFAULT_USER};

/// GetChunkedFile and PutChunkedFile on the Zip-chunking inputs.
#[path = "host/chunked.rs"]
mod chunked;
/// The CSPP inputs, shared with wopi-protocol's bench.
#[path = "../../protocol/benches/shared/cspp_inputs.rs"]
mod inputs;

const MIB: usize = 1024 * 1024;
/// Name of the host's threads (worker and blocking pool), for CPU accounting.
const SERVER_THREAD: &str = "wopi-host";

fn main() -> anyhow::Result<()> {
    let seconds: u64 = env_or("WOPI_BENCH_SECONDS", 5);
    let max_requests: u64 = env_or("WOPI_BENCH_MAX_REQUESTS", 2_000_000);
    let duration = Duration::from_secs(seconds.max(1));

    let current = ProofKeyPair::from_pkcs8_pem(include_str!("../../fixtures/proof-keys/current.pem"))?;
    let old = ProofKeyPair::from_pkcs8_pem(include_str!("../../fixtures/proof-keys/old.pem"))?;

    // The host's runtime: one worker thread, as the targets assume.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(SERVER_THREAD)
        .enable_all()
        .build()?;
    // The load generator's runtime: this thread only.
    let load_rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    let discovery_url = server_rt.block_on(start_discovery(discovery_xml(&current, &old)))?;
    let with_proofs = server_rt.block_on(start_host(Some(discovery_url.clone())))?;
    let without_proofs = server_rt.block_on(start_host(None))?;

    println!(
        "wopi-reference-host throughput: server runtime 1 worker thread, load generator 1 thread, raw HTTP/1.1 \
         keep-alive over loopback, {seconds} s per scenario after a 1 s warm-up"
    );
    println!(
        "{:<34} {:>5} {:>9} {:>7} {:>10} {:>8} {:>8} {:>7} {:>9} {:>12} {:>10}  target",
        "scenario",
        "conns",
        "requests",
        "secs",
        "req/s",
        "p50 ms",
        "p99 ms",
        "MiB/s",
        "host CPU",
        "req/host-CPU-s",
        "MiB/CPU-s"
    );
    println!(
        "(host CPU: cores the host's threads used during the timed run, from /proc; req/host-CPU-s: requests per \
         second of host CPU, i.e. what one dedicated core sustains; MiB/s and MiB/CPU-s: file content moved per second \
         of wall time and of host CPU; other processes on the machine share the cores)"
    );

    // Signing happens here, before any timed loop: it is the client's cost.
    let sign = |host: &Host, url: &str| -> Vec<(&'static str, String)> {
        sign_request(&current, Some(&old), &host.token, url, Ticks::now()).header_pairs()
    };

    let filter = std::env::var("WOPI_BENCH_FILTER").ok().map(|f| f.to_lowercase());
    let want = |name: &str| filter.as_deref().is_none_or(|f| name.to_lowercase().contains(f));

    let name = "CheckFileInfo, proof checks on";
    if want(name) {
        let h = &with_proofs;
        let url = format!("{}?access_token={}", h.wopisrc, h.token_q);
        let reqs: Vec<Vec<u8>> = (0..16)
            .map(|_| build("GET", &url, h.addr, &sign(h, &url), b""))
            .collect();
        let r = load_rt.block_on(scenario(
            vec![Lane::new(h.addr, reqs)],
            64,
            duration,
            max_requests,
            None,
        ))?;
        report(name, &r, Some(15_000.0));
    }

    let name = "CheckFileInfo, proof checks off";
    if want(name) {
        let h = &without_proofs;
        let url = format!("{}?access_token={}", h.wopisrc, h.token_q);
        let reqs = vec![build("GET", &url, h.addr, &[], b"")];
        let r = load_rt.block_on(scenario(
            vec![Lane::new(h.addr, reqs)],
            64,
            duration,
            max_requests,
            None,
        ))?;
        report(name, &r, Some(50_000.0));
    }

    let name = "GetFile 1 MiB, proof checks on";
    if want(name) {
        let h = &with_proofs;
        let url = format!("{}/contents?access_token={}", h.wopisrc, h.token_q);
        let reqs: Vec<Vec<u8>> = (0..16)
            .map(|_| build("GET", &url, h.addr, &sign(h, &url), b""))
            .collect();
        let r = load_rt.block_on(scenario(
            vec![Lane::new(h.addr, reqs)],
            16,
            duration,
            max_requests,
            Some(MIB),
        ))?;
        report(name, &r, Some(1_500.0));
    }

    let name = "PutFile 1 MiB, proof checks on";
    if want(name) {
        let h = &with_proofs;
        let lock_url = format!("{}?access_token={}", h.wopisrc, h.token_q);
        let mut lock_headers = sign(h, &lock_url);
        lock_headers.push(("X-WOPI-Override", "LOCK".to_owned()));
        lock_headers.push(("X-WOPI-Lock", "bench-lock".to_owned()));
        let lock = build("POST", &lock_url, h.addr, &lock_headers, b"");
        let lock_status = load_rt.block_on(one_request(h.addr, &lock))?;
        anyhow::ensure!(lock_status == 200, "Lock before PutFile answered {lock_status}");
        let url = format!("{}/contents?access_token={}", h.wopisrc, h.token_q);
        let body = vec![b'x'; MIB];
        let reqs: Vec<Vec<u8>> = (0..4)
            .map(|_| {
                let mut headers = sign(h, &url);
                headers.push(("X-WOPI-Override", "PUT".to_owned()));
                headers.push(("X-WOPI-Lock", "bench-lock".to_owned()));
                build("POST", &url, h.addr, &headers, &body)
            })
            .collect();
        let lane = Lane {
            stamp: Stamp::PutFileBody,
            ..Lane::new(h.addr, reqs)
        };
        let r = load_rt.block_on(scenario(vec![lane], 4, duration, max_requests.min(3_000), Some(MIB)))?;
        report(name, &r, None);
    }

    if want("instances") {
        instances(&load_rt, duration, max_requests)?;
    }

    chunked::scenarios(&load_rt, &server_rt, &without_proofs, duration, max_requests, &want)?;

    drop(load_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}

/// Connections of the Lock/Unlock scenario; each has a file of its own, so every Lock and Unlock answers 200.
const LOCK_CONNECTIONS: usize = 16;

/// CheckFileInfo and Lock/Unlock on one SQLite-backed instance and on 1, 2 and 3 instances sharing a private
/// PostgreSQL cluster, as ratios to SQLite from this one run. Proof checks are off (the store is what differs);
/// each instance runs on a runtime of its own with one worker thread, as separate processes would; connections
/// are spread round-robin over the instances. The PostgreSQL server's CPU is not in the host CPU column.
fn instances(load_rt: &tokio::runtime::Runtime, duration: Duration, max: u64) -> anyhow::Result<()> {
    let cluster = match wopi_reference_host::pgcluster::PrivateCluster::start() {
        Ok(c) => c,
        Err(e) => {
            println!("instances: skipped, no private PostgreSQL cluster: {e}");
            return Ok(());
        }
    };
    println!(
        "several instances: proof checks off, each instance on its own 1-thread runtime, connections round-robin \
         over the instances; PostgreSQL {} on 127.0.0.1 (its CPU is not in the host CPU column)",
        cluster.path().display()
    );
    let mut rows: Vec<(String, f64, f64)> = Vec::new();
    for (label, n) in [
        ("SQLite x1", 0u32),
        ("PostgreSQL x1", 1),
        ("PostgreSQL x2", 2),
        ("PostgreSQL x3", 3),
    ] {
        let database = if n == 0 {
            None
        } else {
            let db = format!("bench{n}");
            Some(load_rt.block_on(cluster.create_database(&db))?)
        };
        let mut runtimes = Vec::new();
        let mut addrs = Vec::new();
        let mut first_state = None;
        for i in 0..n.max(1) {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name(SERVER_THREAD)
                .enable_all()
                .build()?;
            let (addr, state) = rt.block_on(start_instance(database.clone(), i))?;
            addrs.push(addr);
            first_state.get_or_insert(state);
            runtimes.push(rt);
        }
        let state = first_state.ok_or_else(|| anyhow::anyhow!("no instance"))?;
        // Files through the first instance; the same path and token work on every instance.
        let files = runtimes[0].block_on(async {
            let mut files = Vec::new();
            for f in 0..=LOCK_CONNECTIONS {
                let p = state
                    .provision(
                        DEFAULT_USER,
                        DEFAULT_USER,
                        &format!("bench{f}.docx"),
                        Bytes::from_static(b"w"),
                    )
                    .await?;
                let token_q: String = url::form_urlencoded::byte_serialize(p.access_token.as_bytes()).collect();
                files.push(format!("{}?access_token={token_q}", p.wopisrc));
            }
            anyhow::Ok(files)
        })?;
        let cfi_lanes = addrs
            .iter()
            .map(|a| Lane::new(*a, vec![build("GET", &files[0], *a, &[], b"")]))
            .collect();
        let name = format!("CheckFileInfo, {label}");
        let cfi = load_rt.block_on(scenario(cfi_lanes, 64, duration, max, None))?;
        report(&name, &cfi, None);

        let lock_lanes = (0..LOCK_CONNECTIONS)
            .map(|c| {
                let a = addrs[c % addrs.len()];
                let url = &files[c + 1];
                let op = |o: &str| {
                    build(
                        "POST",
                        url,
                        a,
                        &[("X-WOPI-Override", o.to_owned()), ("X-WOPI-Lock", format!("bench-{c}"))],
                        b"",
                    )
                };
                Lane::new(a, vec![op("LOCK"), op("UNLOCK")])
            })
            .collect();
        let name = format!("Lock/Unlock, {label}");
        let locks = load_rt.block_on(scenario(lock_lanes, LOCK_CONNECTIONS, duration, max, None))?;
        report(&name, &locks, None);
        rows.push((label.to_owned(), rate(&cfi), rate(&locks)));
        drop(state);
        for rt in runtimes {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
    }
    if let Some((_, cfi1, lock1)) = rows.first().cloned() {
        println!("ratios to SQLite x1 (requests per second, this run):");
        println!("{:<16} {:>14} {:>14}", "", "CheckFileInfo", "Lock/Unlock");
        for (label, cfi, lock) in &rows {
            println!("{label:<16} {:>14.2} {:>14.2}", cfi / cfi1, lock / lock1);
        }
    }
    drop(cluster);
    Ok(())
}

fn rate(r: &Outcome) -> f64 {
    r.requests as f64 / r.elapsed.as_secs_f64()
}

/// One instance without proof checks: on SQLite (`database` none, a temporary directory) or on PostgreSQL.
async fn start_instance(
    database: Option<String>,
    instance: u32,
) -> anyhow::Result<(SocketAddr, wopi_reference_host::AppState)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config = Config::new(url::Url::parse(&format!("http://{addr}"))?);
    config.proof_keys = false;
    config.database = database;
    config.instance = instance;
    let (router, state) = wopi_reference_host::app(config).await?;
    let keep = state.clone();
    tokio::spawn(async move {
        let _keep = keep;
        wopi_reference_host::serve(listener, router, std::future::pending()).await
    });
    Ok((addr, state))
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Discovery XML with the fixed test keys (the host only needs the proof key).
fn discovery_xml(current: &ProofKeyPair, old: &ProofKeyPair) -> String {
    let (cur, old) = (current.public(), old.public());
    Discovery {
        net_zones: vec![NetZone {
            name: "external-http".to_owned(),
            apps: vec![App {
                name: "Word".to_owned(),
                fav_icon_url: None,
                check_license: None,
                actions: vec![Action {
                    name: "view".to_owned(),
                    ext: Some("docx".to_owned()),
                    progid: None,
                    urlsrc: "http://127.0.0.1:9/wv/wordviewerframe.aspx?<ui=UI_LLCC&>".to_owned(),
                    requires: None,
                    default: true,
                    newprogid: None,
                    newext: None,
                    use_parent: None,
                    targetext: None,
                }],
            }],
        }],
        proof_key: Some(ProofKeyElement {
            value: cur.to_csp_blob(),
            modulus: cur.modulus_b64(),
            exponent: cur.exponent_b64(),
            oldvalue: old.to_csp_blob(),
            oldmodulus: old.modulus_b64(),
            oldexponent: old.exponent_b64(),
        }),
    }
    .to_xml()
}

async fn start_discovery(xml: String) -> anyhow::Result<url::Url> {
    let app = axum::Router::new().route(
        "/hosting/discovery",
        axum::routing::get(move || async move { xml.clone() }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url::Url::parse(&format!("http://{addr}/hosting/discovery"))?)
}

/// A running host with one 1 MiB file.
struct Host {
    addr: SocketAddr,
    wopisrc: String,
    token: String,
    /// The token, URL-encoded for a query string.
    token_q: String,
    /// The host's state, to provision more files.
    state: wopi_reference_host::AppState,
}

async fn start_host(discovery: Option<url::Url>) -> anyhow::Result<Host> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config = Config::new(url::Url::parse(&format!("http://{addr}"))?);
    config.proof_keys = discovery.is_some();
    config.discovery_url = discovery;
    let (router, state) = wopi_reference_host::app(config).await?;
    let file = state
        .provision(DEFAULT_USER, DEFAULT_USER, "bench.docx", Bytes::from(vec![b'w'; MIB]))
        .await?;
    // Keep the state (and its temporary data directory) alive for the whole run.
    let keep = state.clone();
    let host_state = state.clone();
    tokio::spawn(async move {
        let _keep = keep;
        wopi_reference_host::serve(listener, router, std::future::pending()).await
    });
    let token_q = url::form_urlencoded::byte_serialize(file.access_token.as_bytes()).collect();
    Ok(Host {
        addr,
        wopisrc: file.wopisrc,
        token: file.access_token,
        token_q,
        state: host_state,
    })
}

/// One raw HTTP/1.1 request with `Content-Length`.
fn build(method: &str, url: &str, addr: SocketAddr, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(body.len() + 256);
    head(&mut bytes, method, url, addr, headers, body.len());
    bytes.extend_from_slice(body);
    bytes
}

/// Appends a request's line and headers (up to the empty line) for a body of `len` bytes.
fn head(out: &mut Vec<u8>, method: &str, url: &str, addr: SocketAddr, headers: &[(&str, String)], len: usize) {
    use std::io::Write as _;
    let path = url.find("/wopi/").map_or(url, |i| &url[i..]);
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {len}\r\n"
    );
    for (k, v) in headers {
        let _ = write!(out, "{k}: {v}\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

struct Outcome {
    /// CPU time the host's threads used during the run.
    server_cpu: Duration,
    connections: usize,
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    bytes_per_request: Option<usize>,
}

fn report(name: &str, r: &Outcome, target: Option<f64>) {
    let rate = r.requests as f64 / r.elapsed.as_secs_f64();
    let mut lat = r.latencies_us.clone();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
    };
    let ms = |v: Option<u32>| v.map_or_else(|| "-".to_owned(), |us| format!("{:.2}", f64::from(us) / 1000.0));
    let mib = |per_second: f64| {
        r.bytes_per_request.map_or_else(
            || "-".to_owned(),
            |b| format!("{:.1}", per_second * b as f64 / MIB as f64),
        )
    };
    let cores = r.server_cpu.as_secs_f64() / r.elapsed.as_secs_f64();
    let per_core = if r.server_cpu.is_zero() {
        0.0
    } else {
        r.requests as f64 / r.server_cpu.as_secs_f64()
    };
    let verdict = match target {
        Some(t) if rate >= t => format!(">= {t:.0} ok"),
        // On a shared machine the host may not get its core; then the per-CPU figure is the one to judge.
        Some(t) if cores < 0.9 => format!(
            ">= {t:.0} missed, but the host got only {cores:.2} of a core; per host-CPU-second: {}",
            if per_core >= t { "ok" } else { "MISSED" }
        ),
        Some(t) => format!(">= {t:.0} MISSED"),
        None => "-".to_owned(),
    };
    println!(
        "{name:<34} {:>5} {:>9} {:>7.2} {:>10.0} {:>8} {:>8} {:>7} {:>9.2} {:>12.0} {:>10}  {verdict}",
        r.connections,
        r.requests,
        r.elapsed.as_secs_f64(),
        rate,
        ms(pct(0.50)),
        ms(pct(0.99)),
        mib(rate),
        cores,
        per_core,
        mib(per_core),
    );
    if r.errors > 0 {
        println!(
            "  !! {} responses had an unexpected status or broke the connection",
            r.errors
        );
    }
}

/// Checks every request once (200 expected), warms up for a second, then runs `connections` loops until `duration` or `max`.
async fn scenario(
    lanes: Vec<Lane>,
    connections: usize,
    duration: Duration,
    max: u64,
    response_body: Option<usize>,
) -> anyhow::Result<Outcome> {
    let expect = 200;
    let mut own = Vec::new();
    for lane in &lanes {
        for i in 0..lane.len() {
            let parts = lane.parts(i, next_stamp(), &mut own)?;
            let answer = one_exchange(lane.addr, &parts, None).await?;
            anyhow::ensure!(
                answer.status == expect,
                "sanity request answered {}, expected {expect}",
                answer.status
            );
            lane.answered(&answer)?;
        }
    }
    let lanes = Arc::new(lanes);
    run(lanes.clone(), connections, Duration::from_secs(1), max / 10, expect).await?;
    let mut outcome = run(lanes, connections, duration, max, expect).await?;
    outcome.bytes_per_request = response_body;
    Ok(outcome)
}

async fn run(
    lanes: Arc<Vec<Lane>>,
    connections: usize,
    duration: Duration,
    max: u64,
    expect: u16,
) -> anyhow::Result<Outcome> {
    let issued = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = server_cpu_time();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let (lanes, issued, errors, stop) = (lanes.clone(), issued.clone(), errors.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let mut conn: Option<Conn> = None;
            // Connection c drives lane c mod lanes; with one lane the connections start at staggered requests,
            // with a lane per connection each starts at its lane's first request (Lock before Unlock).
            let lane = &lanes[c % lanes.len()];
            let addr = lane.addr;
            let mut i = c / lanes.len();
            let mut own = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if issued.fetch_add(1, Ordering::Relaxed) >= max || Instant::now() >= deadline {
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                let Ok(parts) = lane.parts(i, next_stamp(), &mut own) else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                i += 1;
                let t0 = Instant::now();
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => match Conn::connect(addr).await {
                        Ok(c) => conn.insert(c),
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    },
                };
                match c.exchange(&parts, None).await {
                    Ok(answer) if answer.status == expect && lane.answered(&answer).is_ok() => {
                        latencies.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    Ok(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        conn = None;
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies_us = Vec::new();
    for t in tasks {
        latencies_us.extend(t.await?);
    }
    let elapsed = started.elapsed();
    let server_cpu = server_cpu_time().saturating_sub(cpu_before);
    Ok(Outcome {
        server_cpu,
        connections,
        requests: latencies_us.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        latencies_us,
        bytes_per_request: None,
    })
}

/// The requests one connection cycles through, and the instance it sends them to.
struct Lane {
    addr: SocketAddr,
    requests: Vec<Vec<u8>>,
    /// How each request is made unique before it is sent.
    stamp: Stamp,
}

/// How a lane's requests differ from one send to the next.
enum Stamp {
    /// Sent as built.
    None,
    /// PutFile: a unique number in the first 8 bytes of the 1 MiB body, so that every write stores new bytes
    /// (the store keeps content by its hash and would skip a body it already has).
    PutFileBody,
    /// PutChunkedFile: the request is written per send, with the lane's current sequence number and a unique last chunk.
    Chunked(chunked::Put),
}

impl Lane {
    fn new(addr: SocketAddr, requests: Vec<Vec<u8>>) -> Self {
        Self {
            addr,
            requests,
            stamp: Stamp::None,
        }
    }

    /// How many different requests the sanity check sends once each.
    fn len(&self) -> usize {
        match self.stamp {
            Stamp::Chunked(_) => 1,
            Stamp::None | Stamp::PutFileBody => self.requests.len(),
        }
    }

    /// Request `i` as the byte runs to write, `stamp` a number never used before; `own` is the connection's buffer.
    fn parts<'a>(&'a self, i: usize, stamp: u64, own: &'a mut Vec<u8>) -> anyhow::Result<[&'a [u8]; 2]> {
        match &self.stamp {
            Stamp::None => Ok([&self.requests[i % self.requests.len()], &[]]),
            Stamp::PutFileBody => {
                own.clear();
                own.extend_from_slice(&self.requests[i % self.requests.len()]);
                let body_at = own.len() - MIB;
                own[body_at..body_at + 8].copy_from_slice(&stamp.to_le_bytes());
                Ok([own, &[]])
            }
            Stamp::Chunked(put) => put.parts(stamp, own),
        }
    }

    /// Takes what the lane needs from a 200 answer (a PutChunkedFile lane: the new sequence number).
    fn answered(&self, answer: &Answer) -> anyhow::Result<()> {
        match &self.stamp {
            Stamp::Chunked(put) => put.answered(answer),
            Stamp::None | Stamp::PutFileBody => Ok(()),
        }
    }
}

/// A number no request of this run has used: PutFile bodies and PutChunkedFile last chunks carry it.
fn next_stamp() -> u64 {
    static STAMPS: AtomicU64 = AtomicU64::new(0);
    STAMPS.fetch_add(1, Ordering::Relaxed)
}

async fn one_request(addr: SocketAddr, req: &[u8]) -> anyhow::Result<u16> {
    Ok(one_exchange(addr, &[req, &[]], None).await?.status)
}

/// One request on a new connection, bounded by 30 s; `sink` receives the response body when given.
async fn one_exchange(addr: SocketAddr, parts: &[&[u8]; 2], sink: Option<&mut Vec<u8>>) -> anyhow::Result<Answer> {
    let mut conn = Conn::connect(addr).await?;
    Ok(tokio::time::timeout(Duration::from_secs(30), conn.exchange(parts, sink)).await??)
}

/// What the bench reads of a response.
struct Answer {
    status: u16,
    /// `X-WOPI-SequenceNumber`, when present and a 32-bit integer.
    sequence: Option<i32>,
}

/// A keep-alive HTTP/1.1 connection with a read buffer.
struct Conn {
    stream: TcpStream,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: vec![0; 256 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
        })
    }

    /// Sends one request (its byte runs in order) and reads the whole response, its body into `sink` if given.
    async fn exchange(&mut self, parts: &[&[u8]; 2], mut sink: Option<&mut Vec<u8>>) -> std::io::Result<Answer> {
        for part in parts.iter().filter(|p| !p.is_empty()) {
            self.stream.write_all(part).await?;
        }
        let (a, b) = self.line().await?;
        let status = std::str::from_utf8(&self.buf[a..b])
            .ok()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("bad status line"))?;
        let mut length = None;
        let mut chunked = false;
        let mut sequence = None;
        loop {
            let (a, b) = self.line().await?;
            if a == b {
                break;
            }
            let line = std::str::from_utf8(&self.buf[a..b]).map_err(|_| invalid("header not UTF-8"))?;
            let (name, value) = line.split_once(':').ok_or_else(|| invalid("bad header"))?;
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| invalid("bad content-length"))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if name.eq_ignore_ascii_case("x-wopi-sequencenumber") {
                sequence = value.trim().parse().ok();
            }
        }
        if chunked {
            loop {
                let (a, b) = self.line().await?;
                let size = std::str::from_utf8(&self.buf[a..b])
                    .ok()
                    .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or("").trim(), 16).ok())
                    .ok_or_else(|| invalid("bad chunk size"))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        let (a, b) = self.line().await?;
                        if a == b {
                            break;
                        }
                    }
                    break;
                }
                self.skip(size, sink.as_deref_mut()).await?;
                self.line().await?;
            }
        } else if let Some(n) = length {
            self.skip(n, sink).await?;
        }
        Ok(Answer { status, sequence })
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Err(invalid("response head too large"));
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.end += n;
        Ok(())
    }

    /// The next line without its CRLF, as a range of `buf` valid until the next read.
    async fn line(&mut self) -> std::io::Result<(usize, usize)> {
        loop {
            if let Some(pos) = self.buf[self.start..self.end].iter().position(|b| *b == b'\n') {
                let a = self.start;
                let mut b = a + pos;
                self.start = b + 1;
                if b > a && self.buf[b - 1] == b'\r' {
                    b -= 1;
                }
                return Ok((a, b));
            }
            self.fill().await?;
        }
    }

    /// Reads `n` body bytes, into `sink` if given, else discarding them.
    async fn skip(&mut self, mut n: usize, mut sink: Option<&mut Vec<u8>>) -> std::io::Result<()> {
        let take = (self.end - self.start).min(n);
        if let Some(s) = sink.as_deref_mut() {
            s.extend_from_slice(&self.buf[self.start..self.start + take]);
        }
        self.start += take;
        n -= take;
        while n > 0 {
            let k = self.stream.read(&mut self.buf[..]).await?;
            if k == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let take = k.min(n);
            if let Some(s) = sink.as_deref_mut() {
                s.extend_from_slice(&self.buf[..take]);
            }
            n -= take;
            self.start = take;
            self.end = k;
        }
        Ok(())
    }
}

/// CPU time (user + system) of this process's threads named [`SERVER_THREAD`], from `/proc/self/task/*/stat`;
/// zero where `/proc` is unavailable.
fn server_cpu_time() -> Duration {
    // Clock ticks per second for /proc times; 100 on every Linux configuration this bench targets.
    const TICKS_PER_SEC: u64 = 100;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // Format: pid (comm) state ... field 14 utime, 15 stime; comm may contain spaces, so split after ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with(&SERVER_THREAD[..SERVER_THREAD.len().min(15)]) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        // After ')': index 0 is state (field 3), so utime (field 14) is index 11 and stime index 12.
        ticks += field(11) + field(12);
    }
    Duration::from_millis(ticks * 1000 / TICKS_PER_SEC)
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}
