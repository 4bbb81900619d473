//! The command line of `wopi-conformance`: argument types (clap derive), exit codes, case selection and where
//! suites are found. `main.rs` dispatches on [`Command`]; everything here is free of I/O except the suite-file scan.
//!
//! ## Subcommands
//! | command | what |
//! |---|---|
//! | `run` | run suites: in-process (no target), against `--wopisrc`, or with `--provision CMD` (a file per case) |
//! | `list` | what `run` would run with the same filters: `suite::Group::Case [Category]` |
//! | `report --from run.json` | render a saved JSON report again (HTML, JUnit, Markdown, JSON) |
//! | `host` | the reference host on its own (the `wopi-reference-host` binary's command line) |
//! | `office --listen ADDR [--profile P]` | the mock client (Office, Collabora or ONLYOFFICE discovery) on its own; prints its discovery URL |
//! | `bench` | cases per second of full embedded runs, serial and with `--jobs`, and peak memory |
//! | `mutation` | the fault matrix: every built-in case against the reference host's faults ([`crate::mutation`]) |
//!
//! ## Validator compatibility
//! The short flags of Microsoft's validator work unchanged (`-w -t -l -c -g -n -e -s -d`, and the long forms
//! `--token_ttl`, `--testgroup`, `--testname`, `--testcategory`, `--ignore-skipped`, `--include-delaytests`), so
//! `wopivalidator -w URL -t TOKEN -l TTL` becomes `wopi-conformance run -w URL -t TOKEN -l TTL`. Two deliberate
//! differences: a skipped case never makes the exit code non-zero (the validator's does unless `-s`), and
//! `-n` takes a glob (a name without `*` or `?` still matches exactly, as before).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

use crate::browser::HostPageTemplate;
use crate::exec::Filters;
use crate::report::ReportOutputs;
use crate::suite::Category;

/// Exit codes of every subcommand, shown in `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit status:
  0    nothing failed (passed, skipped with a reason, or SHOULD-only warnings)
  1    at least one case failed or was blocked (by its refused setup, or by state another case left behind)
  2    usage error, a suite that does not parse (file:line:column), or a report not written
  3    the host cannot be reached, stopped answering part-way (the request it stopped on is named and every
       report is still written), the --deadline passed, or the first prereq failed and no case passed
  130  interrupted by Ctrl-C, SIGTERM or SIGHUP (servers and browser stopped, no report written)";

/// The process exit status, one variant per documented code ([`EXIT_CODES_HELP`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// Nothing failed.
    Success,
    /// A case failed.
    CaseFailed,
    /// Bad arguments or a suite that does not load.
    Usage,
    /// The host is unreachable or the first prereq failed.
    Unreachable,
    /// Ctrl-C.
    Interrupted,
}

impl ExitStatus {
    /// The numeric code returned to the shell.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::CaseFailed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Unreachable => 3,
            ExitStatus::Interrupted => 130,
        }
    }
}

/// `wopi-conformance`: WOPI conformance suites against any host, with a reference host and a mock Office client.
#[derive(Debug, Parser)]
#[command(
    name = "wopi-conformance",
    version,
    about = "Checks a WOPI host against the WOPI rules: Microsoft's validator suites plus our own, with signed \
             requests from a mock Office for the web, and reports people and CI can read.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// Log line format on stderr. The level comes from RUST_LOG (default: warn, info for `host` and `office`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run suites. Without a target, starts the reference host and the mock Office client in-process and runs every
    /// built-in suite against them.
    #[command(after_help = EXIT_CODES_HELP)]
    Run(Box<RunArgs>),
    /// List the cases `run` would run with the same filters (`suite::Group::Case [Category]`).
    #[command(after_help = EXIT_CODES_HELP)]
    List(ListArgs),
    /// Render a saved JSON report again in other formats.
    #[command(after_help = EXIT_CODES_HELP)]
    Report(ReportArgs),
    /// Run the reference host on its own (same options as the `wopi-reference-host` binary).
    #[command(name = "host")]
    Host(wopi_reference_host::cli::HostArgs),
    /// Run the mock Office for the web client on its own and print its discovery URL (Ctrl-C stops it).
    Office(OfficeArgs),
    /// Measure cases per second of full runs against the embedded host, serial and with --jobs, and peak memory.
    Bench(BenchArgs),
    /// Prove the built-in suites: run them against the reference host with each of its faults on, one at a time,
    /// and show which case catches which fault (needs a build with `--features faults`).
    Mutation(crate::mutation::MutationArgs),
}

/// `run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub suites: SuiteArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub reports: ReportPaths,
    /// Another base URL of the same host: one more instance behind its load balancer (repeatable). Requests
    /// marked `ext:Instance` and the lock-race clients are spread over the WOPISrc's instance and these; the
    /// `ext_instances` suite needs at least one.
    #[arg(long = "instance", value_name = "URL")]
    pub instance: Vec<String>,
    /// Embedded mode: start this many reference-host instances on one private PostgreSQL database (needs Debian's
    /// `postgresql`); 1 is the single SQLite-backed host.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub instances: u16,
    /// Cases run at the same time. Needs a file per case (embedded mode or `--provision`); with one shared
    /// `--wopisrc` file cases always run one after another, as the validator does.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// The WOPI client the run plays, recorded in every report. `collabora` and `onlyoffice` also run the suite
    /// `profiles/<profile>.xml` of the suites directory (what that client asks of a host beyond the shared
    /// protocol); the mock serves that client's discovery and proof keys to the host and its identity headers go
    /// on every request (`wopi_mock_office::profile`). Cases marked `ext:Profiles` for other clients are skipped
    /// with a reason naming the profile.
    #[arg(long, value_enum, default_value_t = Profile::Office)]
    pub profile: Profile,
    /// URL template of the host's own host page, for browser (postMessage) suites: `{wopisrc}`, `{file_id}` and
    /// `{action}` are replaced. Embedded mode uses the reference host's page.
    #[arg(long, value_name = "URL_TEMPLATE")]
    pub host_page: Option<String>,
    /// Embedded mode only: start the reference host with this named fault (repeatable), to watch a case catch
    /// it. Names as in reference-host/src/faults/mod.rs; only in builds with `--features faults`.
    #[cfg(feature = "faults")]
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<wopi_reference_host::faults::Fault>,
    /// Do not drive a browser: cases with postMessage steps are skipped with that reason. Without this flag a
    /// headless Chromium (Debian's `chromium` and `chromedriver`) starts at the first such step, against the
    /// reference host's page in embedded mode or the --host-page template otherwise.
    #[arg(long)]
    pub no_browser: bool,
    /// Embedded mode: run every case on one shared, non-empty file of the reference host, as `-w URL -t TOKEN` runs
    /// against a host builder's `.wopitest` (cases one after another, the file restored between them), instead of a
    /// fresh file per case.
    #[arg(long, conflicts_with_all = ["wopisrc", "provision"])]
    pub single_file: bool,
    /// Do not print a line for each skipped case (the validator's `-s`). Skipped cases never change the exit code.
    #[arg(short = 's', long = "ignore-skipped")]
    pub ignore_skipped: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Time limits of a run.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// The most one exchange with the host may take, in total (connect, headers, body; not an idle timer): `10`,
    /// `10s`, `500ms`, `2m`. After two timeouts (or three transport failures) in a row the harness stops sending,
    /// reports the rest as not run, and exits 3.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,
    /// A budget for the whole run (`15m`, `900`): cases not started by then are reported as not run, every report
    /// is still written, and the exit status is 3.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub deadline: Option<std::time::Duration>,
    /// The host's lock lifetime when its test configuration shortens the 30 minutes of the docs (`60s`). The
    /// lock-expiry cases then run against the host by waiting: a 31-minute step waits 31/30 of this TTL, a
    /// 29-minute one 29/30. Choose 60 s or more, so the one-minute margins around expiry are at least 2 s.
    /// Without it those cases need a host whose clock the harness steps (the embedded reference host).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_ttl: Option<std::time::Duration>,
}

impl Default for LimitArgs {
    fn default() -> Self {
        LimitArgs {
            request_timeout: crate::exec::DEFAULT_REQUEST_TIMEOUT,
            deadline: None,
            lock_ttl: None,
        }
    }
}

/// `10` (seconds), `10s`, `1500ms`, `2m`, `1h`: a positive duration.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (examples: 10, 10s, 500ms, 2m)"))?;
    let secs = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown duration unit {other:?} in {s:?} (use ms, s, m or h)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs < 1.0e7) {
        return Err(format!("{s:?} must be a positive duration"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

impl RunArgs {
    /// `--host-page`, checked: with its placeholders filled in it must be an http(s) URL.
    pub fn host_page_template(&self) -> Result<Option<HostPageTemplate>, UsageError> {
        self.host_page
            .as_deref()
            .map(|t| HostPageTemplate::new(t).map_err(|e| UsageError(format!("--host-page: {e}"))))
            .transpose()
    }
}

/// Where the cases run.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// WOPISrc of the host's `.wopitest` test file (no access token). Without it (and without --provision),
    /// the run is in-process against the reference host.
    #[arg(
        short = 'w',
        long,
        value_name = "URL",
        conflicts_with = "provision",
        requires = "token"
    )]
    pub wopisrc: Option<Url>,
    /// Access token for --wopisrc.
    #[arg(short = 't', long, value_name = "TOKEN", env = "WOPI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// `access_token_ttl` for --wopisrc: expiry in milliseconds since the Unix epoch (0: not given).
    #[arg(
        short = 'l',
        long = "token-ttl",
        visible_alias = "token_ttl",
        value_name = "MS",
        default_value_t = 0
    )]
    pub token_ttl: u64,
    /// A shell command that creates a fresh test file on the host and prints one JSON line
    /// `{"wopisrc": …, "access_token": …, "access_token_ttl": …}`. It runs once per case, so cases can run in
    /// parallel (--jobs).
    #[arg(long, value_name = "CMD")]
    pub provision: Option<String>,
    /// Where the mock Office client serves discovery for the host to fetch (proof keys). Printed at start.
    /// Default: 127.0.0.1 on a free port.
    #[arg(long, value_name = "ADDR")]
    pub discovery_listen: Option<SocketAddr>,
}

/// Which host the run targets, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// The reference host and the mock client in-process.
    Embedded,
    /// One shared file on an external host, as the validator runs.
    Shared {
        /// The file's WOPISrc.
        wopisrc: Url,
        /// The access token (never printed).
        access_token: String,
        /// `access_token_ttl` in milliseconds since the epoch.
        access_token_ttl: u64,
    },
    /// A fresh file per case on an external host, from a provisioning command.
    Provisioned {
        /// The shell command.
        command: String,
    },
}

impl TargetArgs {
    /// The validated target. clap already rejects `--wopisrc` without `--token` and `--wopisrc` with
    /// `--provision`; this adds the checks clap cannot express.
    pub fn spec(&self) -> Result<TargetSpec, UsageError> {
        match (&self.wopisrc, &self.provision) {
            (Some(wopisrc), None) => {
                if !matches!(wopisrc.scheme(), "http" | "https") {
                    return Err(UsageError(format!(
                        "--wopisrc must be an http or https URL, got {}",
                        wopisrc.scheme()
                    )));
                }
                if wopisrc.query_pairs().any(|(k, _)| k == "access_token") {
                    return Err(UsageError(
                        "--wopisrc must not carry access_token; pass the token with --token".into(),
                    ));
                }
                let access_token = self
                    .token
                    .clone()
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| UsageError("--wopisrc needs --token".into()))?;
                Ok(TargetSpec::Shared {
                    wopisrc: wopisrc.clone(),
                    access_token,
                    access_token_ttl: self.token_ttl,
                })
            }
            (None, Some(command)) if command.trim().is_empty() => Err(UsageError("--provision needs a command".into())),
            (None, Some(command)) => Ok(TargetSpec::Provisioned {
                command: command.clone(),
            }),
            (None, None) => Ok(TargetSpec::Embedded),
            (Some(_), Some(_)) => Err(UsageError("--wopisrc and --provision exclude each other".into())),
        }
    }
}

/// Which suite files to load.
#[derive(Debug, Clone, Default, Args)]
pub struct SuiteArgs {
    /// A suite file to run instead of the built-in set (repeatable; the validator's `-c`).
    #[arg(short = 'c', long = "config", visible_alias = "suite-file", value_name = "PATH")]
    pub suite_files: Vec<PathBuf>,
    /// Read the built-in suites from this directory (every `*.xml` below it) instead of the copies compiled into
    /// this binary.
    #[arg(long, value_name = "DIR", env = "WOPI_SUITES_DIR")]
    pub suites_dir: Option<PathBuf>,
    /// Microsoft's TestCases.xml, run together with the built-in suites (its JSON schemas are read from
    /// `JsonSchemas/` next to it). Default: `$WOPI_VALIDATOR_DIR/TestCases.xml`, else
    /// `shared/validator/TestCases.xml` in the current directory or the nearest directory above it that has one
    /// (the file is read in place, never copied into this project or this binary).
    #[arg(long, value_name = "PATH")]
    pub validator_suite: Option<PathBuf>,
    /// Do not run the validator's TestCases.xml, only the built-in suites.
    #[arg(long, conflicts_with = "validator_suite")]
    pub no_validator_suite: bool,
}

/// One suite file a run loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuiteSource {
    /// Compiled into the binary ([`crate::builtin`]).
    Builtin(crate::builtin::BuiltinFile),
    /// Read from disk: a `--suites-dir` file, a `-c` file, or the validator's TestCases.xml.
    File(PathBuf),
}

impl SuiteSource {
    /// The file on disk, for a suite that is read from one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            SuiteSource::Builtin(_) => None,
            SuiteSource::File(p) => Some(p),
        }
    }

    /// Parses the suite; a built-in one is named `built-in:locks.xml` in its errors and takes its suite name from
    /// its file name, as the same file on disk would (`ext_locks`).
    pub fn load(&self) -> Result<crate::suite::Suite, crate::suite::SuiteError> {
        match self {
            SuiteSource::Builtin(f) => crate::suite::parse_str(
                f.text,
                Path::new(&format!("built-in:{}", f.name)),
                crate::suite::default_suite_name(Path::new(f.name)),
            ),
            SuiteSource::File(p) => crate::suite::load(p),
        }
    }
}

/// Whether Microsoft's TestCases.xml takes part in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidatorSuite {
    /// Found (or given): the last file of the plan.
    Included(PathBuf),
    /// `--no-validator-suite` (with the reason reports give).
    Excluded(&'static str),
    /// `-c` files replace the whole set, the validator's file included (reports add no note).
    Replaced,
    /// Looked for and not found: where the run looked.
    NotFound(String),
}

impl ValidatorSuite {
    /// Where the validator's JSON schemas are read from: `JsonSchemas/` next to the TestCases.xml in use, else
    /// under the default validator directory.
    pub fn schema_dir(&self) -> PathBuf {
        match self {
            ValidatorSuite::Included(file) => file
                .parent()
                .map_or_else(|| PathBuf::from("JsonSchemas"), |d| d.join("JsonSchemas")),
            _ => crate::suite::validator_dir().join("JsonSchemas"),
        }
    }

    /// Why the validator's cases are not in the run, for the reports (`None` when they are).
    pub fn note(&self) -> Option<String> {
        match self {
            ValidatorSuite::Included(_) | ValidatorSuite::Replaced => None,
            ValidatorSuite::Excluded(why) => Some((*why).to_owned()),
            ValidatorSuite::NotFound(_) => self.missing_notice(),
        }
    }

    /// The notice a run prints as its first line when TestCases.xml was looked for and not found: where it
    /// looked, how many cases that leaves out (counted when this binary was built, if the build machine had the
    /// file) and how to point at it.
    pub fn missing_notice(&self) -> Option<String> {
        let ValidatorSuite::NotFound(looked) = self else {
            return None;
        };
        let left_out = match crate::builtin::validator_case_count() {
            Some(n) => format!("the validator's {n} cases are left out"),
            None => "the validator's cases are left out".to_owned(),
        };
        Some(format!(
            "Microsoft's TestCases.xml not found ({looked}): {left_out}, only the built-in suites run \
             (set --validator-suite or WOPI_VALIDATOR_DIR to run Microsoft's cases)"
        ))
    }
}

/// Where the suite files were found, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuitePlan {
    /// The files to load, in order: built-in suites (sorted by name), a profile suite, then the validator's file.
    pub files: Vec<SuiteSource>,
    /// Whether the validator's TestCases.xml is among them, and why not.
    pub validator: ValidatorSuite,
    /// The `--suites-dir` the built-in files were read from (`None` for the compiled-in set and for `-c` files):
    /// reports name its files `built-in:locks.xml` too.
    pub builtin_dir: Option<PathBuf>,
}

impl SuitePlan {
    /// Why the validator's cases are not in the run (`None` when they are).
    pub fn validator_note(&self) -> Option<String> {
        self.validator.note()
    }

    /// How reports name a suite: `built-in:locks.xml` for the built-in suites (compiled in or read from
    /// `--suites-dir`), else the path relative to `cwd` (with `..` where needed), never an absolute path of this
    /// machine; a file on another root keeps only its name.
    pub fn display(&self, source: &SuiteSource, cwd: &Path) -> String {
        match source {
            SuiteSource::Builtin(f) => format!("built-in:{}", f.name),
            SuiteSource::File(path) => self.display_path(path, cwd),
        }
    }

    fn display_path(&self, path: &Path, cwd: &Path) -> String {
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let file = canon(path);
        if let Some(dir) = &self.builtin_dir
            && let Ok(rel) = file.strip_prefix(canon(dir))
        {
            return format!("built-in:{}", rel.display());
        }
        match relative_path(&file, &canon(cwd)) {
            Some(rel) => rel.display().to_string(),
            None => path
                .file_name()
                .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
        }
    }
}

/// `path` relative to `base` (both absolute), with `..` steps; `None` when they share no root.
fn relative_path(path: &Path, base: &Path) -> Option<PathBuf> {
    use std::path::Component;
    if !path.is_absolute() {
        return Some(path.to_path_buf());
    }
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Only the root in common: a relative path would climb through the whole tree.
    if common <= 1 {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    Some(out)
}

/// Profile suites: `profiles/<profile>.xml` among the built-in suites, loaded only with that `--profile`.
pub const PROFILES_DIR: &str = "profiles";

impl SuiteArgs {
    /// Resolves the suite files for the Office profile. `cwd` is where relative paths are shown from.
    pub fn plan(&self, cwd: &Path) -> Result<SuitePlan, UsageError> {
        self.plan_for(cwd, Profile::Office)
    }

    /// Resolves the suite files: the built-in suites (compiled in, or every `*.xml` below `--suites-dir`); a
    /// profile other than Office adds `profiles/<profile>.xml` after them when it exists; then the validator's
    /// TestCases.xml when found. Explicit suite files (`-c`) are taken as they are.
    pub fn plan_for(&self, cwd: &Path, profile: Profile) -> Result<SuitePlan, UsageError> {
        if !self.suite_files.is_empty() {
            for f in &self.suite_files {
                if !f.is_file() {
                    return Err(UsageError(format!("suite file {} does not exist", f.display())));
                }
            }
            return Ok(SuitePlan {
                files: self.suite_files.iter().cloned().map(SuiteSource::File).collect(),
                validator: ValidatorSuite::Replaced,
                builtin_dir: None,
            });
        }
        let mut files = Vec::new();
        let builtin_dir = match &self.suites_dir {
            Some(dir) if dir.is_dir() => {
                let mut found = Vec::new();
                collect_xml(dir, &mut found).map_err(|e| UsageError(format!("reading {}: {e}", dir.display())))?;
                found.sort();
                files.extend(found.into_iter().map(SuiteSource::File));
                if profile != Profile::Office {
                    let extra = dir.join(PROFILES_DIR).join(format!("{}.xml", profile.as_str()));
                    if extra.is_file() {
                        files.push(SuiteSource::File(extra));
                    }
                }
                Some(dir.clone())
            }
            Some(dir) => return Err(UsageError(format!("suites directory {} does not exist", dir.display()))),
            None => {
                files.extend(crate::builtin::suites().map(SuiteSource::Builtin));
                if profile != Profile::Office {
                    files.extend(crate::builtin::profile_suite(profile.as_str()).map(SuiteSource::Builtin));
                }
                None
            }
        };
        let validator = if self.no_validator_suite {
            ValidatorSuite::Excluded("--no-validator-suite was given")
        } else if let Some(v) = &self.validator_suite {
            if !v.is_file() {
                return Err(UsageError(format!("--validator-suite {} does not exist", v.display())));
            }
            ValidatorSuite::Included(v.clone())
        } else {
            match crate::suite::find_validator_dir(cwd) {
                Ok(dir) if dir.join("TestCases.xml").is_file() => ValidatorSuite::Included(dir.join("TestCases.xml")),
                Ok(dir) => ValidatorSuite::NotFound(format!("{} has no TestCases.xml", dir.display())),
                Err(looked) => ValidatorSuite::NotFound(looked),
            }
        };
        if let ValidatorSuite::Included(v) = &validator {
            files.push(SuiteSource::File(v.clone()));
        }
        if files.is_empty() {
            let from = builtin_dir
                .as_ref()
                .map_or_else(|| "the binary".to_owned(), |d| d.display().to_string());
            return Err(UsageError(format!(
                "no suites to run: {from} has no *.xml files and no validator suite was found{}",
                validator.note().map(|n| format!(" ({n})")).unwrap_or_default()
            )));
        }
        Ok(SuitePlan {
            files,
            validator,
            builtin_dir,
        })
    }
}

/// Every `*.xml` file below `dir` (recursively; hidden entries and the profile suites in [`PROFILES_DIR`]
/// skipped).
fn collect_xml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_str().is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() && entry.file_name() == PROFILES_DIR {
            continue;
        }
        if kind.is_dir() {
            collect_xml(&path, out)?;
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) {
            out.push(path);
        }
    }
    Ok(())
}

/// Which cases to run.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only this suite (repeatable): `core` is the validator's TestCases.xml, `ext_<file stem>` ours.
    #[arg(long = "suite", value_name = "NAME")]
    pub suite: Vec<String>,
    /// Only this group, matched exactly (repeatable; the validator's `-g`).
    #[arg(short = 'g', long = "group", visible_alias = "testgroup", value_name = "NAME")]
    pub group: Vec<String>,
    /// Only cases whose name or full id `suite::Group::Case` matches this glob (`*`, `?`; repeatable; the
    /// validator's `-n`, which took an exact name: a name without wildcards still matches exactly).
    #[arg(short = 'n', long = "case", visible_alias = "testname", value_name = "GLOB")]
    pub case: Vec<String>,
    /// Only cases of this category: All, WopiCore, OfficeOnline, OfficeNativeClient, WopiCoauth (the validator's
    /// `-e`; case-insensitive; repeatable). Prereqs are never filtered by category (the validator's crash, fixed).
    #[arg(short = 'e', long = "category", visible_alias = "testcategory", value_name = "CATEGORY",
          value_parser = parse_category_filter)]
    pub category: Vec<CategoryFilter>,
    /// Also run groups marked `HasDelay="true"` against a remote host (they sleep; the validator's `-d`). Without
    /// it their cases are reported as skipped with that reason. The embedded host runs them always: its clock and
    /// the mock client's are stepped instead of waiting.
    #[arg(short = 'd', long = "include-delay", visible_alias = "include-delaytests")]
    pub include_delay: bool,
}

/// A `--category` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryFilter {
    /// Every category.
    All,
    /// One category.
    Only(Category),
}

fn parse_category_filter(s: &str) -> Result<CategoryFilter, String> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(CategoryFilter::All);
    }
    Category::parse(s).map(CategoryFilter::Only).ok_or_else(|| {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown category {s:?}; expected All, {}", names.join(", "))
    })
}

impl FilterArgs {
    /// The runner's filters for these flags (`All` anywhere means every category).
    pub fn filters(&self) -> Filters {
        let categories = if self.category.contains(&CategoryFilter::All) {
            Vec::new()
        } else {
            self.category
                .iter()
                .filter_map(|c| match c {
                    CategoryFilter::Only(c) => Some(*c),
                    CategoryFilter::All => None,
                })
                .collect()
        };
        Filters {
            suites: self.suite.clone(),
            groups: self.group.clone(),
            cases: self.case.clone(),
            categories,
        }
    }
}

/// `--junit --json --markdown --html PATH`.
#[derive(Debug, Clone, Default, Args)]
pub struct ReportPaths {
    /// Write a JUnit XML report (one testcase per case).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the JSON report (versioned schema; `report --from` reads it back).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write a Markdown summary (for a CI job summary).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write one self-contained HTML page.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
}

impl ReportPaths {
    /// The report writer's view of these paths.
    pub fn outputs(&self) -> ReportOutputs {
        ReportOutputs {
            json: self.json.clone(),
            junit: self.junit.clone(),
            markdown: self.markdown.clone(),
            html: self.html.clone(),
        }
    }

    /// Whether any report file was asked for.
    pub fn any(&self) -> bool {
        self.junit.is_some() || self.json.is_some() || self.markdown.is_some() || self.html.is_some()
    }
}

/// The client profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Microsoft Office for the web.
    Office,
    /// Collabora Online.
    Collabora,
    /// ONLYOFFICE Docs.
    Onlyoffice,
}

impl Profile {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Office => "office",
            Profile::Collabora => "collabora",
            Profile::Onlyoffice => "onlyoffice",
        }
    }

    /// The mock client's profile for this choice.
    pub fn client(self) -> wopi_mock_office::ClientProfile {
        match self {
            Profile::Office => wopi_mock_office::ClientProfile::Office,
            Profile::Collabora => wopi_mock_office::ClientProfile::Collabora,
            Profile::Onlyoffice => wopi_mock_office::ClientProfile::Onlyoffice,
        }
    }
}

/// `list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub suites: SuiteArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// `report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A JSON report written by `run --json`.
    #[arg(long, value_name = "PATH")]
    pub from: PathBuf,
    #[command(flatten)]
    pub outputs: ReportPaths,
}

/// `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub suites: SuiteArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Runs per setting; the fastest is reported (the first warms caches).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub iterations: u16,
    /// The parallel setting compared with the serial run.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
}

/// `office`.
#[derive(Debug, Clone, Args)]
pub struct OfficeArgs {
    /// Address to listen on (discovery at `http://ADDR/hosting/discovery`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8089")]
    pub listen: SocketAddr,
    /// The client whose discovery is served: `collabora` also serves `/hosting/capabilities` and a single-key
    /// `<proof-key>`, `onlyoffice` its two-part discovery (see `wopi_mock_office::profile`).
    #[arg(long, value_enum, default_value_t = Profile::Office)]
    pub profile: Profile,
}

/// A command-line mistake the parser could not catch; exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("wopi-conformance").chain(args.iter().copied()))
    }

    #[test]
    fn suite_paths_are_shown_relative_or_as_built_in() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let builtin = root.join("proj").join("suites");
        std::fs::create_dir_all(&builtin).unwrap();
        std::fs::write(builtin.join("locks.xml"), "").unwrap();
        let shared = root.join("shared").join("validator");
        std::fs::create_dir_all(&shared).unwrap();
        std::fs::write(shared.join("TestCases.xml"), "").unwrap();
        let plan = SuitePlan {
            files: Vec::new(),
            validator: ValidatorSuite::Replaced,
            builtin_dir: Some(builtin.clone()),
        };
        let cwd = root.join("proj");
        let file = |p: PathBuf| SuiteSource::File(p);
        assert_eq!(
            plan.display(&file(builtin.join("locks.xml")), &cwd),
            "built-in:locks.xml"
        );
        assert_eq!(
            plan.display(&file(shared.join("TestCases.xml")), &cwd),
            "../shared/validator/TestCases.xml"
        );
        assert_eq!(
            plan.display(&file(PathBuf::from("/TestCases.xml")), &cwd),
            "TestCases.xml"
        );
        let compiled_in = crate::builtin::suites().next().expect("a built-in suite");
        assert_eq!(
            plan.display(&SuiteSource::Builtin(compiled_in), &cwd),
            format!("built-in:{}", compiled_in.name)
        );
    }

    #[test]
    fn durations_parse_with_and_without_units() {
        use std::time::Duration;
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        for bad in ["", "0", "-1", "ten", "5d", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad} must be refused");
        }
        let cli = parse(&["run", "--request-timeout", "3s", "--deadline", "1m", "--lock-ttl", "60"]).unwrap();
        let Command::Run(run) = cli.command else { panic!("run") };
        assert_eq!(run.limits.request_timeout, Duration::from_secs(3));
        assert_eq!(run.limits.deadline, Some(Duration::from_secs(60)));
        assert_eq!(run.limits.lock_ttl, Some(Duration::from_secs(60)));
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn validator_short_flags_are_accepted() {
        let cli = parse(&[
            "run",
            "-w",
            "http://h/wopi/files/1",
            "-t",
            "tok",
            "-l",
            "1234",
            "-g",
            "Locks",
            "-n",
            "Lock*",
            "-e",
            "wopicore",
            "-s",
            "-d",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("expected run")
        };
        assert_eq!(
            run.target.spec().unwrap(),
            TargetSpec::Shared {
                wopisrc: Url::parse("http://h/wopi/files/1").unwrap(),
                access_token: "tok".into(),
                access_token_ttl: 1234
            }
        );
        assert!(run.ignore_skipped);
        assert!(run.filters.include_delay);
        let filters = run.filters.filters();
        assert_eq!(filters.groups, vec!["Locks".to_string()]);
        assert_eq!(filters.cases, vec!["Lock*".to_string()]);
        assert_eq!(filters.categories, vec![Category::WopiCore]);
    }

    #[test]
    fn validator_long_flag_spellings_are_accepted() {
        let cli = parse(&[
            "run",
            "--wopisrc",
            "http://h/x",
            "--token",
            "t",
            "--token_ttl",
            "5",
            "--testgroup",
            "G",
            "--testname",
            "N",
            "--testcategory",
            "All",
            "--include-delaytests",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("expected run")
        };
        assert_eq!(run.target.token_ttl, 5);
        assert!(run.filters.filters().categories.is_empty());
        assert!(run.filters.include_delay);
    }

    #[test]
    fn wopisrc_without_token_is_a_usage_error() {
        let err = parse(&["run", "--wopisrc", "http://h/x"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn wopisrc_and_provision_exclude_each_other() {
        let err = parse(&["run", "-w", "http://h/x", "-t", "t", "--provision", "echo"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn token_in_wopisrc_is_refused() {
        let cli = parse(&["run", "-w", "http://h/x?access_token=secret", "-t", "t"]).unwrap();
        let Command::Run(run) = cli.command else {
            panic!("expected run")
        };
        assert!(run.target.spec().unwrap_err().0.contains("access_token"));
    }

    #[test]
    fn no_target_means_embedded() {
        let cli = parse(&["run"]).unwrap();
        let Command::Run(run) = cli.command else {
            panic!("expected run")
        };
        assert_eq!(run.target.spec().unwrap(), TargetSpec::Embedded);
        assert_eq!(run.jobs, 1);
    }

    #[test]
    fn host_page_template_must_be_a_url() {
        let run = |t: &str| {
            let cli = parse(&["run", "--host-page", t]).unwrap();
            let Command::Run(run) = cli.command else {
                panic!("expected run")
            };
            run.host_page_template().map(|t| t.map(|t| t.as_str().to_owned()))
        };
        assert_eq!(
            run("http://h/host/{file_id}?action={action}").unwrap().as_deref(),
            Some("http://h/host/{file_id}?action={action}")
        );
        assert!(run("not a url {file_id}").is_err());
        assert!(run("ftp://h/{file_id}").is_err());
    }

    #[test]
    fn unknown_category_is_refused() {
        let err = parse(&["list", "-e", "Nope"]).unwrap_err();
        assert!(err.to_string().contains("unknown category"), "{err}");
    }

    #[test]
    fn jobs_must_be_positive() {
        assert!(parse(&["run", "--jobs", "0"]).is_err());
        assert!(parse(&["run", "--jobs", "4"]).is_ok());
    }

    #[test]
    fn explicit_suite_files_replace_the_built_in_set() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("mine.xml");
        std::fs::write(&f, "<WopiValidation/>").unwrap();
        let args = SuiteArgs {
            suite_files: vec![f.clone()],
            ..SuiteArgs::default()
        };
        let plan = args.plan(dir.path()).unwrap();
        assert_eq!(plan.files, vec![SuiteSource::File(f)]);
        assert_eq!(
            plan.validator_note(),
            None,
            "-c replaces the validator's file without a note"
        );
        let missing = SuiteArgs {
            suite_files: vec![dir.path().join("nope.xml")],
            ..SuiteArgs::default()
        };
        assert!(missing.plan(dir.path()).unwrap_err().0.contains("does not exist"));
    }

    #[test]
    fn suites_dir_is_scanned_recursively_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("suites/sub")).unwrap();
        std::fs::write(dir.path().join("suites/b.xml"), "").unwrap();
        std::fs::write(dir.path().join("suites/a.xml"), "").unwrap();
        std::fs::write(dir.path().join("suites/README.md"), "").unwrap();
        std::fs::write(dir.path().join("suites/sub/c.xml"), "").unwrap();
        let args = SuiteArgs {
            suites_dir: Some(dir.path().join("suites")),
            no_validator_suite: true,
            ..SuiteArgs::default()
        };
        let plan = args.plan(dir.path()).unwrap();
        let names: Vec<_> = plan
            .files
            .iter()
            .map(|f| f.path().unwrap().strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            vec![
                PathBuf::from("suites/a.xml"),
                PathBuf::from("suites/b.xml"),
                PathBuf::from("suites/sub/c.xml")
            ]
        );
        assert!(plan.validator_note().is_some());
    }

    #[test]
    fn without_suites_dir_the_compiled_in_suites_run_even_where_a_suites_directory_exists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("suites")).unwrap();
        std::fs::write(dir.path().join("suites/other.xml"), "").unwrap();
        let args = SuiteArgs {
            no_validator_suite: true,
            ..SuiteArgs::default()
        };
        let plan = args.plan(dir.path()).unwrap();
        let built_in: Vec<_> = crate::builtin::suites().map(SuiteSource::Builtin).collect();
        assert!(!built_in.is_empty());
        assert_eq!(plan.files, built_in);
        assert_eq!(plan.builtin_dir, None);
        let collabora = args.plan_for(dir.path(), Profile::Collabora).unwrap();
        assert_eq!(collabora.files.len(), built_in.len() + 1);
        assert!(matches!(collabora.files.last(), Some(SuiteSource::Builtin(f)) if f.name == "profiles/collabora.xml"));
    }

    #[test]
    fn a_missing_validator_suite_is_announced_with_what_it_leaves_out_and_how_to_point_at_it() {
        let missing = ValidatorSuite::NotFound("no shared/validator in /x or above".into());
        let notice = missing.missing_notice().unwrap();
        assert!(notice.starts_with("Microsoft's TestCases.xml not found (no shared/validator in /x or above): "));
        assert!(
            notice.contains("--validator-suite") && notice.contains("WOPI_VALIDATOR_DIR"),
            "{notice}"
        );
        match crate::builtin::validator_case_count() {
            Some(n) => assert!(
                notice.contains(&format!("the validator's {n} cases are left out")),
                "{notice}"
            ),
            None => assert!(notice.contains("the validator's cases are left out"), "{notice}"),
        }
        assert_eq!(missing.note(), Some(notice));
        assert_eq!(
            ValidatorSuite::Excluded("--no-validator-suite was given").missing_notice(),
            None
        );
        assert_eq!(
            ValidatorSuite::Included(PathBuf::from("/v/TestCases.xml")).missing_notice(),
            None
        );
        assert_eq!(
            ValidatorSuite::Included(PathBuf::from("/v/TestCases.xml")).schema_dir(),
            PathBuf::from("/v/JsonSchemas")
        );
    }

    #[test]
    fn exit_codes_match_the_help_text() {
        for status in [
            ExitStatus::Success,
            ExitStatus::CaseFailed,
            ExitStatus::Usage,
            ExitStatus::Unreachable,
            ExitStatus::Interrupted,
        ] {
            assert!(
                EXIT_CODES_HELP.contains(&format!("\n  {:<4} ", status.code())),
                "{status:?}"
            );
        }
    }
}
