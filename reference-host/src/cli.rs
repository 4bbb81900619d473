//! The command line of `wopi-reference-host` (also `wopi-conformance host`): serve, seed, and provisioning
//! subcommands.
//!
//! Standard output carries only machine-readable JSON lines (the `--seed` line, one line per provisioned file);
//! logs go to standard error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use clap::{Parser, Subcommand};
use url::Url;
use wopi_protocol::ids::FileId;

use crate::configuration::Configuration;
use crate::store::UserId;
use crate::{Config, DEFAULT_USER, app, serve};

/// Run the WOPI reference host.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "wopi-reference-host",
    version,
    about = "A complete, correct WOPI host for conformance testing"
)]
pub struct HostArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "WOPI_HOST_LISTEN")]
    pub listen: SocketAddr,
    /// Data directory (SQLite database); a temporary directory, deleted on exit, when absent.
    #[arg(long, env = "WOPI_HOST_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Keep everything in this PostgreSQL database (`postgres://user@host:port/db`) instead of the embedded SQLite
    /// one. Several instances (different `--listen`) on one database behave as one host; lock expiry is measured
    /// by the database server's clock.
    #[arg(long, env = "WOPI_HOST_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Base URL clients use to reach this host (for WOPISrc values and signed-URL checks behind proxies);
    /// defaults to http://{listen}.
    #[arg(long, env = "WOPI_HOST_PUBLIC_URL")]
    pub public_url: Option<Url>,
    /// The WOPI client's discovery URL, for proof keys and the host page.
    #[arg(long, env = "WOPI_HOST_DISCOVERY_URL")]
    pub discovery_url: Option<Url>,
    /// Do not check proof keys (accept unsigned requests). Logged loudly; for tests only.
    #[arg(long)]
    pub no_proof_keys: bool,
    /// Create `test.wopitest` (if missing) and print `{"wopisrc":…,"access_token":…,"access_token_ttl":…}` on
    /// standard output before serving.
    #[arg(long)]
    pub seed: bool,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 36_000)]
    pub token_ttl_secs: u64,
    /// Largest file accepted, in bytes.
    #[arg(long, default_value_t = 100 * 1024 * 1024)]
    pub max_file_size: u64,
    /// A test configuration's lock lifetime in seconds, instead of the docs' 30 minutes, so the harness can run
    /// the lock-expiry cases by waiting (`wopi-conformance run --lock-ttl` with the same value). Never in
    /// production: Office renews locks every few minutes on the assumption that they last 30.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=1800))]
    pub lock_ttl: Option<u64>,
    /// The host configuration: which of the docs' host-wide choices this host makes, declared in CheckFileInfo and
    /// honoured by the handlers (the README's "Host configurations").
    #[arg(long, value_enum, default_value_t = Configuration::Default, env = "WOPI_HOST_CONFIGURATION",
        value_name = "NAME")]
    pub configuration: Configuration,
    /// Switch on a named fault (repeatable). Only in builds with the `faults` feature.
    #[cfg(feature = "faults")]
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<crate::faults::Fault>,
    /// Provisioning subcommand; without one, the host serves.
    #[command(subcommand)]
    pub command: Option<HostCommand>,
}

/// Provisioning subcommands. They open the data directory directly, so the host must not be running on it.
#[derive(Debug, Clone, Subcommand)]
pub enum HostCommand {
    /// Create or update a user.
    AddUser {
        /// User ID (A-Z a-z 0-9 . _ ~ @ -).
        id: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Make the user read-only (UserCanWrite false).
        #[arg(long)]
        read_only: bool,
    },
    /// Create a file in the root container (replacing the content of a same-named file) and print its WOPISrc and
    /// a token as one JSON line.
    AddFile {
        /// File name with extension.
        name: String,
        /// Read the initial content from this path (empty when absent).
        #[arg(long)]
        content: Option<PathBuf>,
        /// Owner, and the user the token is for.
        #[arg(long, default_value = DEFAULT_USER)]
        user: String,
    },
    /// Print a fresh WOPISrc and token for a user on an existing file.
    Token {
        /// File ID.
        file_id: String,
        /// The user the token is for.
        #[arg(long, default_value = DEFAULT_USER)]
        user: String,
    },
}

impl HostArgs {
    /// The host configuration these arguments describe.
    pub fn config(&self) -> anyhow::Result<Config> {
        self.config_for(self.listen)
    }

    /// The configuration for a host bound to `bound` (which differs from `--listen` when that has port 0): the
    /// default public URL is `http://{bound}`.
    pub fn config_for(&self, bound: SocketAddr) -> anyhow::Result<Config> {
        let public_url = match &self.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{bound}")).context("building the default public URL")?,
        };
        let mut config = Config::new(public_url);
        config.data_dir = self.data_dir.clone();
        if let Some(url) = &self.database {
            anyhow::ensure!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "--database must be a postgres:// or postgresql:// URL (got {url:?})"
            );
            config.database = Some(url.clone());
        }
        config.discovery_url = self.discovery_url.clone();
        config.proof_keys = !self.no_proof_keys;
        config.token_ttl = Duration::from_secs(self.token_ttl_secs);
        config.max_file_size = self.max_file_size;
        config.lock_ttl = self.lock_ttl.map(Duration::from_secs);
        config.configuration = self.configuration;
        if let Some(ttl) = self.lock_ttl {
            tracing::warn!(
                seconds = ttl,
                "locks expire after {ttl} s instead of 30 minutes (--lock-ttl): a test configuration"
            );
        }
        // This command line is the host's own process (`wopi-reference-host`, `wopi-conformance host`).
        config.own_process = true;
        #[cfg(feature = "faults")]
        {
            config.faults = crate::faults::FaultSet::of(self.faults.iter().copied());
        }
        Ok(config)
    }
}

/// Sets up logging to standard error (`RUST_LOG` filters; default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value).context("serialising output")?);
    Ok(())
}

/// Runs the command line: a provisioning subcommand, or the server until Ctrl-C.
pub async fn cli_main(args: HostArgs) -> anyhow::Result<()> {
    if let Some(command) = &args.command {
        let config = args.config()?;
        anyhow::ensure!(
            config.data_dir.is_some() || config.database.is_some(),
            "provisioning subcommands need --data-dir or --database"
        );
        let (_, state) = app(config).await.context("opening the host's data")?;
        match command {
            HostCommand::AddUser { id, name, read_only } => {
                let user = state.put_user(id, name.as_deref().unwrap_or(id), !read_only).await?;
                print_json(&serde_json::json!({ "user": user.id.as_str(), "can_write": user.can_write }))?;
            }
            HostCommand::AddFile { name, content, user } => {
                let bytes = match content {
                    Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
                    None => Vec::new(),
                };
                let provisioned = state.provision(user, user, name, Bytes::from(bytes)).await?;
                print_json(&provisioned)?;
            }
            HostCommand::Token { file_id, user } => {
                let id = FileId::new(file_id.as_str()).context("file ID")?;
                let user = UserId::new(user.as_str()).context("user ID")?;
                state.store.user(&user).await.context("no such user")?;
                let file = state.store.file(&id, state.now()).await.context("no such file")?;
                print_json(&state.provisioned(&user, &file))?;
            }
        }
        return Ok(());
    }

    // Proof checking can be turned off only explicitly (issue 3): a host started without a discovery URL would
    // otherwise accept unsigned requests silently.
    anyhow::ensure!(
        args.discovery_url.is_some() || args.no_proof_keys,
        "give --discovery-url (the WOPI client's discovery, for proof keys) or --no-proof-keys to run without \
         proof-key checking"
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let (router, state) = app(args.config_for(bound)?).await.context("starting the host")?;
    tracing::info!(listen = %bound, public_url = state.base_url(), data_dir = %state.data_dir().display(),
        "WOPI reference host ready");
    if args.seed {
        let seeded = state.seed().await.context("seeding test.wopitest")?;
        print_json(&seeded)?;
    }
    serve(listener, router, async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handler (unusual): run until the process is killed.
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    })
    .await
    .context("serving")?;
    Ok(())
}
