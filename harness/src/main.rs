//! `wopi-conformance`: runs WOPI conformance suites against the in-process reference host or any host, lists
//! cases, re-renders saved reports, and runs the reference host or the mock Office client on their own.
//!
//! Run with: `cargo run -p wopi-harness -- run` (everything in-process), `-- run -w URL -t TOKEN -l TTL`
//! (any host), `-- list`, `-- report --from run.json --html run.html`, `-- office --listen 127.0.0.1:8089`.
//! Exit codes are in [`wopi_harness::cli::EXIT_CODES_HELP`] and `--help`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use wopi_harness::browser::{BrowserOptions, BrowserRunner, HostPageTemplate};
use wopi_harness::cli::{
    BenchArgs, Cli, Command, ExitStatus, ListArgs, LogFormat, OfficeArgs, ReportArgs, RunArgs, SuitePlan, SuiteSource,
    TargetSpec,
};
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_harness::exec::{self, CommandProvisioner, RunOptions, Runner, Target, TargetSource};
use wopi_harness::report;
use wopi_harness::report::console::ConsoleReporter;
use wopi_harness::suite::Suite;
use wopi_harness::validate::SchemaStore;
use wopi_mock_office::{ClientConfig, MockConfig, MockOffice, MockOfficeHandle, WopiClient};

/// `println!` that ignores a closed stdout (`wopi-conformance list | head` must not panic).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! esay {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// An error that ends the program, with the exit status it maps to.
#[derive(Debug)]
struct Fail {
    status: ExitStatus,
    error: anyhow::Error,
}

impl Fail {
    fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self {
            status: ExitStatus::Usage,
            error: error.into(),
        }
    }

    fn unreachable(error: impl Into<anyhow::Error>) -> Self {
        Self {
            status: ExitStatus::Unreachable,
            error: error.into(),
        }
    }
}

/// Errors without a more specific status are tool errors (exit 2): the run could not be carried out as asked.
impl From<anyhow::Error> for Fail {
    fn from(error: anyhow::Error) -> Self {
        Self::usage(error)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; real usage errors exit 2 (clap's own convention).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { ExitStatus::Usage.code() } else { 0 });
        }
    };
    init_tracing(cli.log_format, &cli.command);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            esay!("error: cannot start the async runtime: {e}");
            return ExitCode::from(ExitStatus::Usage.code());
        }
    };
    let status = runtime.block_on(async {
        match dispatch(cli).await {
            Ok(status) => status,
            Err(Fail { status, error }) => {
                esay!("error: {error:#}");
                status
            }
        }
    });
    // Servers are stopped by the commands themselves; a stray task must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_secs(2));
    ExitCode::from(status.code())
}

/// Logs go to stderr so stdout stays for results (JSON lines of `host`, the case list, the summary).
fn init_tracing(format: LogFormat, command: &Command) {
    let default = match command {
        Command::Host(_) | Command::Office(_) => "info",
        // In-process, the reference host logs every request it rightly refuses (bad proofs, wrong locks) at warn;
        // those are the expected answers under test, not problems of the run. The connection pool of an embedded
        // PostgreSQL run warns when its private cluster stops at the end of the run, which is expected too.
        Command::Run(_) | Command::Bench(_) | Command::Mutation(_) => {
            "warn,wopi_reference_host=error,wopi_mock_office=error,deadpool=error,tokio_postgres=error"
        }
        Command::List(_) | Command::Report(_) => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation can only fail if something installed a subscriber first; keep that one.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn dispatch(cli: Cli) -> Result<ExitStatus, Fail> {
    match cli.command {
        Command::Run(args) => run(*args).await,
        Command::List(args) => list(args),
        Command::Report(args) => rerender(args),
        Command::Host(args) => {
            wopi_reference_host::cli::cli_main(args).await?;
            Ok(ExitStatus::Success)
        }
        Command::Office(args) => office(args).await,
        Command::Bench(args) => bench(args).await,
        Command::Mutation(args) => Ok(match wopi_harness::mutation::run_mutation_command(args).await {
            0 => ExitStatus::Success,
            1 => ExitStatus::CaseFailed,
            _ => ExitStatus::Usage,
        }),
    }
}

/// Loads every planned suite; the first that does not parse is a usage error naming file:line:column.
fn load_suites(files: &[SuiteSource]) -> Result<Vec<Suite>, Fail> {
    let mut suites: Vec<Suite> = Vec::with_capacity(files.len());
    for file in files {
        let suite = file.load().map_err(Fail::usage)?;
        if let Some(other) = suites.iter().find(|s| s.name == suite.name) {
            return Err(Fail::usage(anyhow::anyhow!(
                "suites {} and {} both have the name `{}`; rename one file",
                other.path.display(),
                suite.path.display(),
                suite.name
            )));
        }
        suites.push(suite);
    }
    Ok(suites)
}

/// When Microsoft's TestCases.xml was looked for and not found, says so before anything else is printed: what is
/// left out and how to point at it (stderr, so `list`'s stdout stays one case per line).
fn announce_missing_validator(plan: &SuitePlan) {
    if let Some(notice) = plan.validator.missing_notice() {
        esay!("{notice}");
    }
}

fn current_dir() -> Result<std::path::PathBuf, Fail> {
    std::env::current_dir()
        .context("reading the current directory")
        .map_err(Fail::usage)
}

fn list(args: ListArgs) -> Result<ExitStatus, Fail> {
    let plan = args.suites.plan(&current_dir()?).map_err(Fail::usage)?;
    announce_missing_validator(&plan);
    let suites = load_suites(&plan.files)?;
    let filters = args.filters.filters();
    let (mut listed, mut delayed) = (0usize, 0usize);
    let mut out = String::new();
    for suite in &suites {
        for (group, case) in suite.cases().filter(|(g, c)| filters.selects(suite, g, c)) {
            let id = exec::case_id(suite, group, case);
            if group.has_delay && !args.filters.include_delay {
                // Listed, since `run` reports them (as skipped), but not counted as runnable.
                delayed += 1;
                out.push_str(&format!("{id} [{}] (HasDelay: skipped without -d)\n", case.category));
            } else {
                listed += 1;
                out.push_str(&format!("{id} [{}]\n", case.category));
            }
        }
    }
    if !out.is_empty() {
        say!("{}", out.trim_end());
    }
    // The count goes to stderr so stdout is exactly one case per line (for `wc -l`, `grep`, scripts).
    let more = if delayed > 0 {
        format!(", {delayed} more in delay groups (-d)")
    } else {
        String::new()
    };
    esay!("{listed} cases in {} suites{more}", suites.len());
    Ok(ExitStatus::Success)
}

fn rerender(args: ReportArgs) -> Result<ExitStatus, Fail> {
    if !args.outputs.any() {
        return Err(Fail::usage(anyhow::anyhow!(
            "report: give at least one of --html, --junit, --markdown, --json"
        )));
    }
    let read = report::render_from_json(&args.from, &args.outputs.outputs()).map_err(Fail::usage)?;
    let totals = read.totals();
    for (flag, path) in [
        ("html", &args.outputs.html),
        ("junit", &args.outputs.junit),
        ("markdown", &args.outputs.markdown),
        ("json", &args.outputs.json),
    ] {
        if let Some(p) = path {
            say!("{flag}: {}", display(p));
        }
    }
    say!(
        "{} cases: {} passed, {} failed, {} skipped, {} warnings",
        totals.total(),
        totals.passed,
        totals.failed,
        totals.skipped,
        totals.warning
    );
    Ok(ExitStatus::Success)
}

async fn office(args: OfficeArgs) -> Result<ExitStatus, Fail> {
    wopi_mock_office::run_standalone_profile(args.listen, args.profile.client())
        .await
        .with_context(|| format!("mock Office on {}", args.listen))?;
    Ok(ExitStatus::Success)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// What `run` started and must stop again, whatever happens.
enum Running {
    Embedded(Box<EmbeddedTarget>),
    External(Box<MockOfficeHandle>),
}

impl Running {
    /// The mock client's base URL (its editor frames are what a host page loads).
    fn mock_base(&self) -> url::Url {
        match self {
            Running::Embedded(t) => t.mock().base_url.clone(),
            Running::External(m) => m.base_url.clone(),
        }
    }

    /// Where the mock serves discovery (what the host must fetch its proof keys from).
    fn discovery_url(&self) -> url::Url {
        match self {
            Running::Embedded(t) => t.mock().discovery_url.clone(),
            Running::External(m) => m.discovery_url.clone(),
        }
    }

    async fn shutdown(self) {
        match self {
            Running::Embedded(t) => t.shutdown().await,
            Running::External(m) => (*m).shutdown().await,
        }
    }
}

async fn run(args: RunArgs) -> Result<ExitStatus, Fail> {
    let spec = args.target.spec().map_err(Fail::usage)?;
    if !run_faults(&args).is_empty() && spec != TargetSpec::Embedded {
        return Err(Fail::usage(anyhow::anyhow!(
            "--fault applies only to the embedded reference host (no --wopisrc)"
        )));
    }
    // Suites load before anything starts, so a suite error costs nothing and exits 2 at once.
    let plan = args
        .suites
        .plan_for(&current_dir()?, args.profile)
        .map_err(Fail::usage)?;
    announce_missing_validator(&plan);
    let suites = load_suites(&plan.files)?;
    let schemas = SchemaStore::load(&plan.validator.schema_dir());
    if let TargetSpec::Shared { wopisrc, .. } = &spec {
        preflight(wopisrc).await.map_err(Fail::unreachable)?;
    }
    if let (TargetSpec::Shared { .. }, 2..) = (&spec, args.jobs) {
        tracing::warn!("--jobs is ignored with one shared --wopisrc file: cases run one after another");
    }
    // Checked before anything starts, so a typo surfaces at once.
    let host_page = args.host_page_template().map_err(Fail::usage)?;

    let other_instances =
        wopi_harness::instances::parse_instances(&args.instance).map_err(|e| Fail::usage(anyhow::anyhow!(e)))?;
    if !other_instances.is_empty() && matches!(spec, TargetSpec::Embedded) {
        return Err(Fail::usage(anyhow::anyhow!(
            "--instance names instances of an external host; in embedded mode use --instances N"
        )));
    }
    let (running, client, source, clock, host_kind) = match &spec {
        TargetSpec::Embedded => {
            let target = EmbeddedTarget::start(EmbeddedOptions {
                discovery_listen: args.target.discovery_listen,
                faults: run_faults(&args),
                instances: args.instances,
                // The client plays the profile for the whole run: its discovery (and proof keys) for the host, its
                // headers on every request (client_config). Cases that need what only Office's discovery has
                // (`.wopitest` actions, an old proof key) say so with `ext:Profiles` and are skipped.
                profile: args.profile.client(),
            })
            .await
            .context("starting the embedded reference host and mock Office client")?;
            say!("reference host (in-process): {}", target.host_url());
            say!("mock Office discovery: {}", target.discovery_url());
            let client = target
                .mock()
                .client(client_config(&args))
                .context("building the WOPI client")?;
            let provisioner = Arc::new(target.provisioner());
            let clock: Arc<dyn exec::ClockControl> = provisioner.clone();
            let source = if args.single_file {
                // As `-w/-t` against a host builder's `.wopitest`: one non-empty file for every case.
                match provisioner
                    .shared_target(bytes::Bytes::from_static(b"the shared test file of a single-file run"))
                    .await
                {
                    Ok(t) => TargetSource::Fixed(t),
                    Err(e) => {
                        target.shutdown().await;
                        return Err(Fail::usage(anyhow::Error::new(e).context("creating the shared file")));
                    }
                }
            } else {
                TargetSource::Provisioned(provisioner)
            };
            (
                Running::Embedded(Box::new(target)),
                client,
                source,
                Some(clock),
                "embedded reference host",
            )
        }
        TargetSpec::Shared {
            wopisrc,
            access_token,
            access_token_ttl,
        } => {
            let target = Target {
                wopisrc: wopisrc.clone(),
                access_token: access_token.clone(),
                access_token_ttl: *access_token_ttl,
                instances: wopi_harness::instances::for_wopisrc(wopisrc, &other_instances),
            };
            let (mock, client) = external(
                args.target.discovery_listen,
                client_config(&args),
                args.profile.client(),
            )
            .await?;
            (
                Running::External(Box::new(mock)),
                client,
                TargetSource::Fixed(target),
                None,
                "external host",
            )
        }
        TargetSpec::Provisioned { command } => {
            let (mock, client) = external(
                args.target.discovery_listen,
                client_config(&args),
                args.profile.client(),
            )
            .await?;
            let provisioner: Arc<dyn exec::Provisioner> = Arc::new(CommandProvisioner::new(command.clone()));
            let source = TargetSource::Provisioned(Arc::new(wopi_harness::exec::WithInstances::new(
                provisioner,
                other_instances.clone(),
            )));
            (Running::External(Box::new(mock)), client, source, None, "external host")
        }
    };

    let options = RunOptions {
        jobs: usize::from(args.jobs),
        include_delay_groups: args.filters.include_delay,
        filters: args.filters.filters(),
        host_kind: host_kind.to_owned(),
        profile: args.profile.as_str().to_owned(),
        request_timeout: args.limits.request_timeout,
        deadline: args.limits.deadline,
        lock_ttl: args.limits.lock_ttl,
        ..RunOptions::default()
    };
    let discovery_url = running.discovery_url();
    let runner = match Runner::new(suites, client, schemas, source, options) {
        Ok(r) => r,
        Err(e) => {
            running.shutdown().await;
            return Err(Fail::usage(e));
        }
    };
    let runner = match clock {
        Some(c) => runner.with_clock(c),
        None => runner,
    };
    let browser = match browser_steps(&args, &running, host_page) {
        Ok(b) => b,
        Err(e) => {
            running.shutdown().await;
            return Err(e);
        }
    };
    let runner = match &browser {
        Some(b) => runner.with_post_message(b.clone()),
        None => runner,
    };
    let progress = ConsoleReporter::stdout().ignore_skipped(args.ignore_skipped);
    let outcome = tokio::select! {
        outcome = runner.run(&progress) => Some(outcome),
        _ = ctrl_c() => None,
    };
    drop(runner);
    if let Some(b) = &browser {
        b.shutdown().await;
    }
    running.shutdown().await;
    let Some(outcome) = outcome else {
        esay!("interrupted: the host and the mock client were stopped; no report was written");
        return Ok(ExitStatus::Interrupted);
    };

    let mut outcome = outcome;
    let cwd = current_dir()?;
    let rep = &mut outcome.report;
    rep.target.suites = plan.files.iter().map(|f| plan.display(f, &cwd)).collect();
    if let Some(note) = plan.validator_note() {
        rep.notes
            .push(format!("Microsoft's validator cases were not run: {note}"));
    }
    if let Some(hint) = discovery_hint(&outcome.first_prereq_failure, rep, &discovery_url) {
        rep.notes.push(hint);
    }
    rep.notes.extend(profile_notes(args.profile.client(), rep));
    progress.finish(&outcome.report);
    // A host page problem that ended many browser steps at once is named once, after the totals.
    for line in browser.iter().flat_map(|b| b.unmet_summary()) {
        say!("{line}");
    }
    let outputs = args.reports.outputs();
    report::write_reports(&outcome.report, &outputs).context("writing reports")?;
    for (flag, path) in [
        ("json", &outputs.json),
        ("junit", &outputs.junit),
        ("markdown", &outputs.markdown),
        ("html", &outputs.html),
    ] {
        if let Some(p) = path {
            say!("{flag} report: {}", display(p));
        }
    }

    let totals = outcome.report.totals();
    if let Some(stop) = &outcome.report.host_stopped {
        esay!("error: {}", stop.message);
        return Ok(ExitStatus::Unreachable);
    }
    if let Some(d) = &outcome.report.deadline_passed {
        esay!("error: {d}");
        return Ok(ExitStatus::Unreachable);
    }
    if let Some(reason) = &outcome.first_prereq_failure
        && totals.passed + totals.warning == 0
    {
        esay!("error: the first prerequisite failed, so nothing could be checked: {reason}");
        return Ok(ExitStatus::Unreachable);
    }
    Ok(if totals.failed > 0 || totals.blocked > 0 {
        ExitStatus::CaseFailed
    } else {
        ExitStatus::Success
    })
}

/// The WOPI client's limits for `run`: `--request-timeout` bounds every exchange as a whole.
fn client_config(args: &RunArgs) -> ClientConfig {
    let total = args.limits.request_timeout;
    let defaults = args.profile.client().client_config(ClientConfig::default());
    ClientConfig {
        connect_timeout: defaults.connect_timeout.min(total),
        total_timeout: total,
        ..defaults
    }
}

/// The browser for postMessage steps: the reference host's page in embedded mode, the --host-page template for an
/// external host, none with --no-browser or without a template (those cases are then skipped with the reason).
fn browser_steps(
    args: &RunArgs,
    running: &Running,
    host_page: Option<HostPageTemplate>,
) -> Result<Option<Arc<BrowserRunner>>, Fail> {
    if args.no_browser {
        return Ok(None);
    }
    let template = match (running, host_page) {
        (Running::Embedded(t), _) => HostPageTemplate::new(t.host_page_template())
            .map_err(|e| Fail::usage(anyhow::anyhow!("the reference host's page template: {e}")))?,
        (Running::External(_), Some(t)) => t,
        (Running::External(_), None) => return Ok(None),
    };
    let runner = BrowserRunner::new(running.mock_base(), template, BrowserOptions::default())
        .map_err(|e| Fail::usage(anyhow::anyhow!("setting up the browser: {e}")))?;
    Ok(Some(Arc::new(runner)))
}

/// When the host answered 500 to the run's first signed requests, the likely cause is its proof-key setup: says
/// what to check.
fn discovery_hint(
    first_prereq_failure: &Option<String>,
    report: &report::RunReport,
    discovery: &url::Url,
) -> Option<String> {
    let prereq_500 = first_prereq_failure
        .as_deref()
        .is_some_and(|r| r.contains("got status 500"));
    let first_500 = report
        .cases
        .iter()
        .flat_map(|c| c.transcript.first())
        .next()
        .is_some_and(|e| {
            matches!(
                e.outcome,
                wopi_protocol::transcript::RecordedOutcome::Response { status: 500, .. }
            )
        });
    (prereq_500 || first_500).then(|| {
        format!(
            "The host answered 500 to a signed request. If it checks proof keys: is the host's discovery URL this              run's mock Office, {discovery}, or an `office` with the same fixed keys (fixtures/proof-keys)? A host              started before the mock Office may also still be waiting to fetch discovery again."
        )
    })
}

/// The faults `run --fault` asks for (always none without the `faults` feature).
#[cfg(feature = "faults")]
fn run_faults(args: &RunArgs) -> wopi_reference_host::faults::FaultSet {
    wopi_reference_host::faults::FaultSet::of(args.faults.iter().copied())
}

#[cfg(not(feature = "faults"))]
fn run_faults(_args: &RunArgs) -> wopi_reference_host::faults::FaultSet {
    wopi_reference_host::faults::FaultSet::none()
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP (a CI time limit, a closed terminal), so the run stops its servers and its
/// browser the same way for each; a signal whose handler cannot be installed never resolves (the browser's
/// watchdog still cleans up after a kill).
async fn ctrl_c() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let wait = |kind: SignalKind| async move {
            match signal(kind) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = wait(SignalKind::terminate()) => {}
            () = wait(SignalKind::hangup()) => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}

/// What a report says about a client profile other than Office: which client the run played, how many cases
/// did not apply to it, and for ONLYOFFICE the warning about its old default proof keys (clients.md §7).
fn profile_notes(profile: wopi_mock_office::ClientProfile, rep: &report::RunReport) -> Vec<String> {
    use wopi_mock_office::ClientProfile;
    if profile == ClientProfile::Office {
        return Vec::new();
    }
    let prefix = format!("does not apply to the {} profile", profile.name());
    let skipped = rep
        .cases
        .iter()
        .filter(|c| c.reason.as_deref().is_some_and(|r| r.starts_with(&prefix)))
        .count();
    let mut notes = vec![format!(
        "Client profile {}: the mock client played it for the whole run (its discovery and proof keys for the host, \
         its headers on every request); {skipped} case(s) do not apply to it and were skipped, each saying why.",
        profile.name()
    )];
    if profile == ClientProfile::Onlyoffice {
        notes.push(
            "Warning: ONLYOFFICE Docs before 8.3 shipped one proof key pair, the same on every installation \
             (api.onlyoffice.com/editors/wopi/proofkeys; removed in 8.3): a host that trusts a server still on those \
             keys verifies nothing. This run's mock signs with keys of its own; check that your ONLYOFFICE server \
             publishes its own (wopi.privateKey, wopi.privateKeyOld) and that current and old differ."
                .to_string(),
        );
    }
    notes
}

/// For an external host: the mock client serving discovery (the host fetches the proof keys there), and a WOPI
/// client signing with its keys.
async fn external(
    listen: Option<std::net::SocketAddr>,
    config: ClientConfig,
    profile: wopi_mock_office::ClientProfile,
) -> Result<(MockOfficeHandle, WopiClient), Fail> {
    let addr = listen.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("--discovery-listen {addr}: cannot listen"))?;
    let config_mock = MockConfig {
        profile,
        ..MockConfig::default()
    };
    let mock = MockOffice::start(listener, config_mock).context("starting the mock client")?;
    say!(
        "mock Office discovery: {} (point the host's proof-key discovery URL here)",
        mock.discovery_url
    );
    match mock.client(config) {
        Ok(client) => Ok((mock, client)),
        Err(e) => {
            mock.shutdown().await;
            Err(Fail::usage(anyhow::Error::new(e).context("building the WOPI client")))
        }
    }
}

/// Whether anything accepts TCP connections where the WOPISrc points, within a few seconds: a closed port or a
/// black-holed address is reported as unreachable (exit 3) before any case runs.
async fn preflight(wopisrc: &url::Url) -> anyhow::Result<()> {
    const WAIT: Duration = Duration::from_secs(5);
    let host = wopisrc.host_str().context("--wopisrc has no host")?.to_owned();
    let port = wopisrc.port_or_known_default().context("--wopisrc has no port")?;
    let connect = async {
        let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .with_context(|| format!("cannot resolve {host}"))?
            .collect();
        let mut last = None;
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(anyhow::Error::new(e).context(format!("connecting to {addr}"))),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("{host} resolves to no address")))
    };
    match tokio::time::timeout(WAIT, connect).await {
        Ok(result) => result.with_context(|| format!("the host at {host}:{port} cannot be reached")),
        Err(_) => Err(anyhow::anyhow!(
            "the host at {host}:{port} did not accept a connection within {WAIT:?}"
        )),
    }
}

/// Full runs against the embedded host, serial and with `--jobs`; prints the best cases/s of each, the CPU time
/// per case of that run (user + system, all threads: comparable on a loaded machine, where wall time is not) and
/// the process's peak resident memory. Verdicts are not checked here: `run` does that.
async fn bench(args: BenchArgs) -> Result<ExitStatus, Fail> {
    let plan = args.suites.plan(&current_dir()?).map_err(Fail::usage)?;
    announce_missing_validator(&plan);
    let suites = load_suites(&plan.files)?;
    let schema_dir = plan.validator.schema_dir();
    let build = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    say!(
        "benchmark: {} suites, embedded reference host, best of {} runs, {build}",
        suites.len(),
        args.iterations
    );
    let mut settings = vec![1u16];
    if args.jobs > 1 {
        settings.push(args.jobs);
    }
    let mut tally = String::new();
    for jobs in settings {
        let (cases, best, cpu, outcomes) = bench_setting(&suites, &schema_dir, &args, jobs).await?;
        tally = outcomes;
        let secs = best.as_secs_f64().max(f64::EPSILON);
        let cpu = match cpu {
            Some(cpu) => format!(", CPU {:.2} ms/case", cpu.as_secs_f64() * 1000.0 / cases.max(1) as f64),
            None => String::new(),
        };
        say!(
            "  --jobs {jobs}: {cases} cases in {:.0} ms = {:.0} cases/s{cpu}",
            secs * 1000.0,
            cases as f64 / secs
        );
    }
    say!("  outcomes: {tally}");
    match peak_rss_kib() {
        Some(kib) => say!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => say!("peak memory: not available on this platform"),
    }
    Ok(ExitStatus::Success)
}

/// The fastest of `args.iterations` runs with `jobs` cases at once: (cases, duration, CPU time of that run). Each
/// run gets a new embedded host (its start is not timed), so runs do not inherit each other's files, locks or clock
/// steps.
async fn bench_setting(
    suites: &[Suite],
    schema_dir: &Path,
    args: &BenchArgs,
    jobs: u16,
) -> Result<(usize, Duration, Option<Duration>, String), Fail> {
    let mut best: Option<(usize, Duration, Option<Duration>, String)> = None;
    for _ in 0..args.iterations {
        let target = EmbeddedTarget::start(EmbeddedOptions::default())
            .await
            .context("starting the embedded reference host and mock Office client")?;
        let client = match target.mock().client(ClientConfig::default()) {
            Ok(c) => c,
            Err(e) => {
                target.shutdown().await;
                return Err(Fail::usage(anyhow::Error::new(e).context("building the WOPI client")));
            }
        };
        let provisioner = Arc::new(target.provisioner());
        let options = RunOptions {
            jobs: usize::from(jobs),
            include_delay_groups: args.filters.include_delay,
            filters: args.filters.filters(),
            host_kind: "embedded reference host".to_owned(),
            ..RunOptions::default()
        };
        let source = TargetSource::Provisioned(provisioner.clone());
        let runner = match Runner::new(suites.to_vec(), client, SchemaStore::load(schema_dir), source, options) {
            Ok(r) => r.with_clock(provisioner),
            Err(e) => {
                target.shutdown().await;
                return Err(Fail::usage(e));
            }
        };
        let cpu_before = process_cpu_time();
        let start = std::time::Instant::now();
        let outcome = runner.run(&exec::NoProgress).await;
        let took = start.elapsed();
        let cpu = process_cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before));
        drop(runner);
        target.shutdown().await;
        if best.as_ref().is_none_or(|(_, b, _, _)| took < *b) {
            best = Some((outcome.report.cases.len(), took, cpu, outcome_tally(&outcome.report)));
        }
    }
    best.ok_or_else(|| Fail::usage(anyhow::anyhow!("no benchmark iteration ran")))
}

/// What the benchmarked run concluded, so a reader sees what the rate counts: skipped cases are part of a full run
/// (prereqs the host does not declare), and the browser cases are skipped here because the bench runs no browser.
fn outcome_tally(report: &report::RunReport) -> String {
    use wopi_harness::report::Outcome;
    let count = |o: Outcome| report.cases.iter().filter(|c| c.outcome == o).count();
    let browser = report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Skipped && c.reason.as_deref().is_some_and(|r| r.contains("needs a browser")))
        .count();
    format!(
        "{} passed, {} failed, {} warnings, {} skipped ({browser} of them browser cases: the bench runs no browser)",
        count(Outcome::Passed),
        count(Outcome::Failed),
        count(Outcome::Warning),
        count(Outcome::Skipped)
    )
}

/// User plus system CPU time of this process, all threads (Linux `/proc/self/stat`, fields 14 and 15). They count
/// clock ticks of `USER_HZ`, which is 100 on every Linux ABI (10 ms resolution, fine over a whole run).
fn process_cpu_time() -> Option<Duration> {
    const USER_HZ: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may contain spaces; fields are counted after its `)`.
    let mut rest = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let utime: u64 = rest.nth(11)?.parse().ok()?;
    let stime: u64 = rest.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

/// Peak resident set size of this process in KiB (Linux `/proc/self/status`, `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
