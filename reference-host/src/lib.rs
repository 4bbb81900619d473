//! # wopi-reference-host
//!
//! A complete, correct WOPI host that every conformance suite is proven against: axum routes for every operation
//! in `../shared/wopi-docs/rest`, routed by the `wopi_protocol::ops` catalogue ([`wopi::dispatch`]), a crate-private
//! store (SQLite or PostgreSQL), HMAC-signed access tokens, proof-key checking ([`proof`]), the host page ([`hostpage`]) and, behind the `faults` cargo
//! feature, named single-rule bugs ([`faults`]) that show each suite case catches a real departure from the docs.
//!
//! ## Data flow of one request
//! `POST /wopi/files/{id}` → [`wopi`] middleware checks the proof headers against the client's discovery keys
//! (500 on failure) → the request context verifies the access token (401) and that it is bound to this file →
//! [`wopi::dispatch`] resolves the operation from the catalogue (400 without `X-WOPI-Override`, 501 for an unknown
//! or unimplemented one) → the operation's module reads its headers with [`wopi_protocol`] parsers (400 on
//! malformed, duplicated or missing headers) and calls one atomic store method, which applies the lock rules of
//! [`locks`] (and, against coauth locks, [`coauth`]) → the result or [`error::WopiError`] becomes the documented status and headers (rewritten by
//! [`faults::layer`] when faults are on).
//!
//! ## Embedding
//! [`app`] builds the router and state from a [`Config`]; [`serve`] runs it on a listener until a shutdown future
//! resolves; [`spawn_for_test`] does both on `127.0.0.1:0` with a [`clock::TestClock`]. A program running the host
//! inside itself uses [`embed`] (files, tokens, the clock) and never the store or token signer. [`cli`] is the command line
//! of the `wopi-reference-host` binary, also offered as `wopi-conformance host`.

pub mod cli;
pub mod clock;
pub mod coauth;
pub mod configuration;
pub mod embed;
pub mod error;
pub mod faults;
pub mod hostpage;
pub mod locks;
pub mod pages;
pub mod pgcluster;
pub mod proof;
pub(crate) mod store;
pub(crate) mod tokens;
pub mod wopi;

/// The few store and token items the crate's own integration tests (`reference-host/tests`) name; the rest of
/// [`store`] and [`tokens`] is private to the crate (an embedding program uses [`embed`]).
pub mod testing {
    pub use crate::store::postgres::{ExpiryClock, PgOptions, PgStore};
    pub use crate::store::{ContentWrite, Store, UserId};
    pub use crate::tokens::{IssuedToken, Resource, epoch_ms};
}

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use bytes::Bytes;
use tokio::net::TcpListener;
use url::Url;
use wopi_protocol::ids::{ContainerId, FileId};
use wopi_protocol::names::FileName;

use crate::clock::{Clock, SystemClock, TestClock};
use crate::configuration::{Configuration, Settings};
use crate::faults::FaultSet;
use crate::proof::{DiscoveryCache, ProofCheckConfig, ProofChecker};
use crate::store::postgres::{ExpiryClock, PgOptions, PgStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{FileRecord, NameMode, NewFile, NewUser, Store, StoreError, User, UserId};
use crate::tokens::{IssuedToken, Resource, TokenSigner};

/// The user that `--seed` and the test helpers act as: may read and write.
pub const DEFAULT_USER: &str = "wopi-user";
/// A read-only user (UserCanWrite false), created at start like [`DEFAULT_USER`].
pub const READ_ONLY_USER: &str = "wopi-viewer";
/// The file `--seed` creates; the validator requires a `.wopitest` name.
pub const SEED_FILE_NAME: &str = "test.wopitest";

/// Everything the host needs to start.
#[derive(Clone)]
pub struct Config {
    /// Where the database lives; `None` means a temporary directory deleted when the host stops. Unused for the
    /// store when [`Config::database`] is set.
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL URL (`postgres://user@host:port/db`): keep everything there instead of the embedded SQLite
    /// database, so several instances can share it and behave as one host.
    pub database: Option<String>,
    /// Which clock measures lock expiry on PostgreSQL: the database server's (default), or [`Config::clock`] when
    /// every instance shares it (in-process tests).
    pub expiry_clock: ExpiryClock,
    /// This instance's number among several on one database (0 for the first); only a fault uses it.
    pub instance: u32,
    /// The base URL clients use to reach the host (scheme, host, port and an optional path prefix). WOPISrc values
    /// are built from it, and the proof-key check rebuilds the signed URL from it plus the request's path and
    /// query, so it must be what the client sees (behind a TLS-terminating proxy: the proxy's `https://` URL).
    pub public_url: Url,
    /// The WOPI client's discovery URL (for proof keys and the host page).
    pub discovery_url: Option<Url>,
    /// Check proof keys on every WOPI request (needs `discovery_url`). Turning it off is logged loudly.
    pub proof_keys: bool,
    /// The clock for lock expiry, token expiry and proof timestamps.
    pub clock: Arc<dyn Clock>,
    /// Deliberate bugs (empty unless built with the `faults` feature).
    pub faults: FaultSet,
    /// How long issued access tokens stay valid (the docs recommend about 10 hours).
    pub token_ttl: Duration,
    /// Largest file accepted by PutFile and PutRelativeFile (413 above).
    pub max_file_size: u64,
    /// `FileNameMaxLength`: characters allowed before the extension.
    pub file_name_max_length: usize,
    /// The host runs in a process of its own (the `wopi-reference-host` binary, `wopi-conformance host`), so a
    /// fault may end that process. False by default: an embedded host refuses to start with such a fault
    /// ([`faults::Fault::in_process_hazard`]), since it would end the program that embeds it.
    pub own_process: bool,
    /// A shortened lock lifetime for test configurations (`--lock-ttl`), so a harness can run the lock-expiry
    /// cases by waiting; `None` is the docs' 30 minutes.
    pub lock_ttl: Option<Duration>,
    /// The named host configuration (`--configuration`): what CheckFileInfo declares and the handlers honour.
    pub configuration: Configuration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database", &self.database.as_deref().map(redact_url))
            .field("expiry_clock", &self.expiry_clock)
            .field("instance", &self.instance)
            .field("public_url", &self.public_url.as_str())
            .field("discovery_url", &self.discovery_url.as_ref().map(Url::as_str))
            .field("proof_keys", &self.proof_keys)
            .field("faults", &self.faults)
            .field("token_ttl", &self.token_ttl)
            .field("max_file_size", &self.max_file_size)
            .field("file_name_max_length", &self.file_name_max_length)
            .field("own_process", &self.own_process)
            .field("lock_ttl", &self.lock_ttl)
            .field("configuration", &self.configuration)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Defaults for a host reached at `public_url`: temporary data, no discovery, the system clock, 10-hour tokens,
    /// 100 MiB files, 250-character names, embedded (not [`Config::own_process`]).
    pub fn new(public_url: Url) -> Self {
        Self {
            data_dir: None,
            database: None,
            expiry_clock: ExpiryClock::Database,
            instance: 0,
            public_url,
            discovery_url: None,
            proof_keys: true,
            clock: Arc::new(SystemClock),
            faults: FaultSet::none(),
            token_ttl: Duration::from_secs(10 * 60 * 60),
            max_file_size: 100 * 1024 * 1024,
            file_name_max_length: wopi_protocol::names::DEFAULT_FILE_NAME_MAX_LENGTH,
            own_process: false,
            lock_ttl: None,
            configuration: Configuration::Default,
        }
    }

    /// How long a lock lasts: [`Config::lock_ttl`], else the docs' 30 minutes.
    pub fn lock_lifetime(&self) -> Duration {
        self.lock_ttl.unwrap_or(wopi_protocol::lock::LOCK_EXPIRY)
    }
}

/// Why the host could not start or a provisioning call failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The store could not be opened or written.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// A file-system or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The configuration is inconsistent.
    #[error("configuration: {0}")]
    Config(String),
}

/// Limits the handlers enforce.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// See [`Config::max_file_size`].
    pub max_file_size: u64,
    /// See [`Config::file_name_max_length`].
    pub file_name_max_length: usize,
    /// See [`Config::token_ttl`].
    pub token_ttl: Duration,
}

/// Keeps a temporary data directory alive as long as any state refers to it.
#[derive(Debug)]
enum DataDir {
    Given(PathBuf),
    Temporary(tempfile::TempDir),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Given(p) => p,
            DataDir::Temporary(t) => t.path(),
        }
    }
}

/// Shared state of a running host; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Users, containers, files, versions and locks.
    pub store: Arc<dyn Store>,
    /// Issues and verifies access tokens.
    pub tokens: Arc<TokenSigner>,
    /// The host's clock.
    pub clock: Arc<dyn Clock>,
    /// Proof-key checking; `None` when disabled (`--no-proof-keys`) or when no discovery URL is configured.
    pub proof: Option<Arc<ProofChecker>>,
    /// The client's discovery (shared with `proof`), for the host page; `None` without a discovery URL.
    pub discovery: Option<Arc<DiscoveryCache>>,
    /// Deliberate bugs.
    pub faults: FaultSet,
    /// Enforced limits.
    pub limits: Limits,
    /// The host-wide choices of its configuration ([`Config::configuration`]).
    pub settings: Settings,
    /// The public base URL, without a trailing slash.
    base: Arc<str>,
    /// The origin of `base` (scheme, host, port), computed once.
    origin: Arc<str>,
    data_dir: Arc<DataDir>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("base", &self.base)
            .field("data_dir", &self.data_dir.path())
            .field("proof", &self.proof.is_some())
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

/// A file created for a user, with everything a client needs to open it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provisioned {
    /// The WOPISrc (no token).
    pub wopisrc: String,
    /// A token for the user on this file.
    pub access_token: String,
    /// The token's expiry in milliseconds since the epoch.
    pub access_token_ttl: u64,
    /// The file's ID.
    #[serde(skip)]
    pub file_id: FileId,
}

impl AppState {
    /// The current time on the host's clock.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The public base URL without a trailing slash (e.g. `http://127.0.0.1:8080`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The WOPISrc of a file: `{base}/wopi/files/{id}`.
    pub fn wopi_src(&self, id: &FileId) -> String {
        format!("{}/wopi/files/{id}", self.base)
    }

    /// The WOPI URL of a container: `{base}/wopi/containers/{id}`.
    pub fn container_url(&self, id: &ContainerId) -> String {
        format!("{}/wopi/containers/{id}", self.base)
    }

    /// The ecosystem endpoint: `{base}/wopi/ecosystem`.
    pub fn ecosystem_url(&self) -> String {
        format!("{}/wopi/ecosystem", self.base)
    }

    /// The host page for a file: `{base}/host/{id}?action={action}` (`view`, `edit` or `editnew`).
    pub fn host_page_url(&self, id: &FileId, action: &str) -> String {
        format!("{}/host/{id}?action={action}", self.base)
    }

    /// The `FileUrl` of a file, before its token is added: `{base}/download/{id}` (served by [`pages`], outside
    /// `/wopi`, since a client fetches it unsigned).
    pub fn file_url(&self, id: &FileId) -> String {
        format!("{}/download/{id}", self.base)
    }

    /// The `WorkflowUrl` of a file: `{base}/workflow/{id}`.
    pub fn workflow_url(&self, id: &FileId) -> String {
        format!("{}/workflow/{id}", self.base)
    }

    /// The share URL of a container: `{base}/browse/{id}?action={action}` (`view` or `edit`).
    pub fn container_page_url(&self, id: &ContainerId, action: &str) -> String {
        format!("{}/browse/{id}?action={action}", self.base)
    }

    /// Where the client navigates on close: the host's start page.
    pub fn close_url(&self) -> String {
        format!("{}/", self.base)
    }

    /// The origin (scheme, host, port) of the host page, for `PostMessageOrigin`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A token for `user` on `resource`, valid for [`Config::token_ttl`].
    pub fn issue_token(&self, user: &UserId, resource: &Resource) -> IssuedToken {
        self.tokens.issue(user, resource, self.now(), self.limits.token_ttl)
    }

    /// `url` with `access_token` appended as a query parameter.
    pub fn with_token(url: &str, token: &IssuedToken) -> String {
        let sep = if url.contains('?') { '&' } else { '?' };
        let encoded: String = url::form_urlencoded::byte_serialize(token.access_token.as_bytes()).collect();
        format!("{url}{sep}access_token={encoded}")
    }

    /// Creates or updates a user.
    pub async fn put_user(&self, id: &str, friendly_name: &str, can_write: bool) -> Result<User, HostError> {
        let id = UserId::new(id).map_err(|e| HostError::Config(e.to_string()))?;
        Ok(self
            .store
            .put_user(NewUser {
                id,
                friendly_name: friendly_name.to_owned(),
                can_write,
            })
            .await?)
    }

    /// Creates a file in the root container for `owner` (who must exist) and issues `user` a token for it.
    /// An existing file of the same name gets the new content (a new version).
    pub async fn provision(
        &self,
        owner: &str,
        user: &str,
        name: &str,
        content: Bytes,
    ) -> Result<Provisioned, HostError> {
        let owner = UserId::new(owner).map_err(|e| HostError::Config(e.to_string()))?;
        let user = UserId::new(user).map_err(|e| HostError::Config(e.to_string()))?;
        self.store.user(&owner).await?;
        self.store.user(&user).await?;
        let name = FileName::new_with_max(name, self.limits.file_name_max_length)
            .map_err(|e| HostError::Config(format!("file name {name:?}: {e}")))?;
        let root = self.store.root_container().await?;
        let new = NewFile {
            container: root.id,
            name,
            mode: NameMode::Exact { overwrite: true },
            owner,
            content,
        };
        let created = self.store.create_file(new, self.now()).await?;
        Ok(self.provisioned(&user, &created.file))
    }

    /// The WOPISrc and a fresh token for `user` on an existing file.
    pub fn provisioned(&self, user: &UserId, file: &FileRecord) -> Provisioned {
        let token = self.issue_token(user, &Resource::File(file.id.clone()));
        Provisioned {
            wopisrc: self.wopi_src(&file.id),
            access_token: token.access_token,
            access_token_ttl: token.access_token_ttl,
            file_id: file.id.clone(),
        }
    }

    /// `--seed`: makes sure `test.wopitest` exists for [`DEFAULT_USER`] (empty when new, unchanged otherwise) and
    /// returns its WOPISrc and a token.
    pub async fn seed(&self) -> Result<Provisioned, HostError> {
        let user = UserId::new(DEFAULT_USER).map_err(|e| HostError::Config(e.to_string()))?;
        let root = self.store.root_container().await?;
        match self.store.file_by_name(&root.id, SEED_FILE_NAME, self.now()).await {
            Ok(file) => Ok(self.provisioned(&user, &file)),
            Err(StoreError::NotFound) => {
                self.provision(DEFAULT_USER, DEFAULT_USER, SEED_FILE_NAME, Bytes::new())
                    .await
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Builds the host's router and state: opens the store, makes sure the default users exist, loads or creates the
/// token key, and sets up proof checking. A fault that would end the process ([`faults::Fault::in_process_hazard`])
/// is refused unless [`Config::own_process`] says the host has a process of its own.
pub async fn app(config: Config) -> Result<(Router, AppState), HostError> {
    refuse_in_process_hazards(&config)?;
    let data_dir = match &config.data_dir {
        Some(dir) => DataDir::Given(dir.clone()),
        None => DataDir::Temporary(
            tempfile::Builder::new()
                .prefix("wopi-reference-host-")
                .tempdir()
                .map_err(|source| HostError::Io {
                    what: "creating a temporary data directory".into(),
                    source,
                })?,
        ),
    };
    let (store, key) = match &config.database {
        Some(url) => open_postgres(&config, url).await?,
        None => open_sqlite(&data_dir, config.faults, config.lock_lifetime()).await?,
    };
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| HostError::Config("could not create a random token key".into()))?;

    let (proof, discovery) = proof_checking(&config)?;
    if config.configuration != Configuration::Default {
        tracing::info!(configuration = %config.configuration, settings = ?config.configuration.settings(),
            "host configuration");
    }
    for fault in config.faults.iter() {
        tracing::warn!(%fault, "FAULT ENABLED: this host deliberately breaks a WOPI rule");
    }

    let base = config.public_url.as_str().trim_end_matches('/').to_owned();
    let origin = config.public_url.origin().ascii_serialization();
    let state = AppState {
        store,
        tokens: Arc::new(TokenSigner::new(key)),
        clock: config.clock.clone(),
        proof,
        discovery,
        faults: config.faults,
        limits: Limits {
            max_file_size: config.max_file_size,
            file_name_max_length: config.file_name_max_length,
            token_ttl: config.token_ttl,
        },
        settings: config.configuration.settings(),
        base: base.into(),
        origin: origin.into(),
        data_dir: Arc::new(data_dir),
    };
    state.put_user(DEFAULT_USER, "WOPI Test User", true).await?;
    state.put_user(READ_ONLY_USER, "WOPI Read-only User", false).await?;
    if let Some(checker) = &state.proof {
        checker.prefetch().await;
    }
    let router = wopi::router(state.clone())
        .merge(hostpage::router())
        .merge(pages::router())
        .with_state(state.clone());
    Ok((router, state))
}

/// Faults that end the host's process may only run in a host with a process of its own.
fn refuse_in_process_hazards(config: &Config) -> Result<(), HostError> {
    if !config.own_process
        && let Some((fault, why)) = config
            .faults
            .iter()
            .find_map(|f| f.in_process_hazard().map(|why| (f, why)))
    {
        return Err(HostError::Config(format!(
            "fault {fault} cannot run in an embedded host: {why}"
        )));
    }
    Ok(())
}

/// The proof checker (when proof keys are on and a discovery URL is given) and the discovery cache it shares
/// with the host page.
type ProofParts = (Option<Arc<ProofChecker>>, Option<Arc<DiscoveryCache>>);

fn proof_checking(config: &Config) -> Result<ProofParts, HostError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| HostError::Config(format!("HTTP client: {e}")))?;
    let (proof, discovery) = match (&config.discovery_url, config.proof_keys) {
        (Some(url), check) => {
            let cfg = ProofCheckConfig {
                discovery_url: url.clone(),
                refetch_min_interval: Duration::from_secs(10),
                fetch_timeout: Duration::from_secs(10),
            };
            let cache = Arc::new(DiscoveryCache::new(cfg, config.clock.clone(), http));
            let checker = check.then(|| {
                Arc::new(ProofChecker::with_cache(cache.clone(), config.clock.clone()).with_faults(config.faults))
            });
            (checker, Some(cache))
        }
        (None, _) => (None, None),
    };
    if proof.is_none() {
        let why = if config.discovery_url.is_none() {
            "no --discovery-url was given"
        } else {
            "--no-proof-keys"
        };
        tracing::warn!(
            why,
            "PROOF-KEY CHECKING IS OFF: this host accepts WOPI requests that no WOPI client signed. Use only for tests."
        );
    }
    Ok((proof, discovery))
}

/// A random 32-byte token key, or an empty vector when the OS has no randomness (refused by the caller: an
/// all-zero key would make tokens forgeable).
fn random_key() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    if getrandom::fill(&mut key).is_err() {
        key.clear();
    }
    key
}

/// `postgres://user:secret@host/db` without the password, for logs.
fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

async fn open_sqlite(
    data_dir: &DataDir,
    faults: FaultSet,
    lock_lifetime: std::time::Duration,
) -> Result<(Arc<dyn Store>, Vec<u8>), HostError> {
    // Opening SQLite and reading the key are blocking calls: keep them off the async runtime.
    let dir = data_dir.path().to_path_buf();
    let temporary = matches!(data_dir, DataDir::Temporary(_));
    let (store, key) = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
        let store = SqliteStore::open_with(&dir, faults, lock_lifetime)?;
        if temporary {
            store.relax_durability_for_temporary_dir()?;
        }
        let key = store.meta_or_init("token_key", random_key)?;
        Ok((store, key))
    })
    .await
    .map_err(|e| HostError::Config(format!("opening the store: {e}")))??;
    Ok((Arc::new(store), key))
}

async fn open_postgres(config: &Config, url: &str) -> Result<(Arc<dyn Store>, Vec<u8>), HostError> {
    let mut options = PgOptions::new(url);
    options.expiry_clock = config.expiry_clock;
    options.faults = config.faults;
    options.instance = config.instance;
    options.lock_lifetime = config.lock_lifetime();
    let store = PgStore::open(options).await?;
    // The key is shared through the database: a token issued by one instance verifies on every other.
    let key = store.meta_or_init("token_key", random_key).await?;
    tracing::info!(database = %redact_url(url), expiry_clock = ?config.expiry_clock, "store: PostgreSQL");
    Ok((Arc::new(store), key))
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

/// A host running in-process for tests.
pub struct TestHost {
    /// `http://127.0.0.1:{port}` (no trailing slash).
    pub base_url: String,
    /// The running host's state (store, tokens, ...).
    pub state: AppState,
    /// The host's clock; advance it to expire locks and tokens.
    pub clock: Arc<TestClock>,
    /// The data directory in use.
    pub data_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for TestHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHost")
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl TestHost {
    /// Stops the server, waits for it, and releases the data directory (so a new host can open it).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }

    /// Creates a file as [`DEFAULT_USER`] and returns its WOPISrc and token.
    pub async fn file(&self, name: &str, content: &[u8]) -> Result<Provisioned, HostError> {
        self.state
            .provision(DEFAULT_USER, DEFAULT_USER, name, Bytes::copy_from_slice(content))
            .await
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a host on `127.0.0.1:0` with a [`TestClock`] at the current time; `public_url` is set to the bound
/// address and `clock` is replaced.
pub async fn spawn_for_test(config: Config) -> Result<TestHost, HostError> {
    spawn_for_test_with_clock(config, Arc::new(TestClock::new(SystemTime::now()))).await
}

/// [`spawn_for_test`] with a given clock (for example one shared across a restart).
pub async fn spawn_for_test_with_clock(mut config: Config, clock: Arc<TestClock>) -> Result<TestHost, HostError> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|source| HostError::Io {
        what: "binding 127.0.0.1:0".into(),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| HostError::Io {
        what: "reading the bound address".into(),
        source,
    })?;
    let base_url = format!("http://{addr}");
    config.public_url = Url::parse(&base_url).map_err(|e| HostError::Config(e.to_string()))?;
    config.clock = clock.clone();
    // Instances of one test share this clock, so it (not the database's) must measure lock expiry.
    config.expiry_clock = ExpiryClock::Host;
    let (router, state) = app(config).await?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, async {
        let _ = rx.await;
    }));
    Ok(TestHost {
        base_url,
        data_dir: state.data_dir().to_path_buf(),
        state,
        clock,
        shutdown: Some(tx),
        task: Some(task),
    })
}
