//! Embedded mode: the reference host and the mock Office client in this process, on loopback, so
//! `wopi-conformance run` with no target (and `cargo test`) needs nothing else.
//!
//! [`EmbeddedTarget::start`] starts the mock first (its discovery URL is what the host fetches proof keys from),
//! then the host with proof checking on and a test clock so suites can step time, and seeds the validator's
//! `test.wopitest`. [`EmbeddedProvisioner`] gives every case a fresh `test.wopitest` of its own, each in its own
//! container, so cases can run in parallel without meeting each other's locks or PutRelativeFile targets.
//! Groups whose prereqs need another host configuration ([`crate::configurations`]) get their files from a
//! reference host started with that configuration on first use, on the same clock, with the same faults and the
//! same discovery. [`EmbeddedTarget::shutdown`] stops every server and waits for them (bounded).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::exec::provision::ProvisionFuture;
use crate::exec::{ClockControl, ProvisionError, Provisioner, Target, TokenFuture};
use crate::suite::TokenUse;
use bytes::Bytes;
use tokio::net::TcpListener;
use url::Url;
use wopi_mock_office::{MockConfig, MockError, MockOffice, MockOfficeHandle};
use wopi_protocol::ids::FileId;
use wopi_reference_host::clock::TestClock;
use wopi_reference_host::configuration::Configuration;
use wopi_reference_host::embed::Embedded;
use wopi_reference_host::faults::FaultSet;
use wopi_reference_host::pgcluster::{ClusterError, PrivateCluster};
use wopi_reference_host::{Config, HostError, Provisioned, SEED_FILE_NAME, TestHost};

/// How to start the embedded pair.
#[derive(Debug, Clone, Default)]
pub struct EmbeddedOptions {
    /// Where the mock serves discovery; `None` is `127.0.0.1:0`.
    pub discovery_listen: Option<SocketAddr>,
    /// Deliberate host bugs (only non-empty with the `faults` feature).
    pub faults: FaultSet,
    /// Reference-host instances to start: 0 or 1 is one SQLite-backed host; more share one private PostgreSQL
    /// cluster (started here, stopped at shutdown) and one test clock, and behave as one host.
    pub instances: u16,
    /// The client the mock plays (its discovery, which the reference host reads its proof keys from).
    pub profile: wopi_mock_office::ClientProfile,
}

/// Why the embedded pair could not start or provision a file.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// The discovery listener could not be bound.
    #[error("cannot listen for the mock Office client on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The mock Office client did not start.
    #[error("mock Office client: {0}")]
    Mock(#[from] MockError),
    /// The reference host did not start or could not create a file.
    #[error("reference host: {0}")]
    Host(#[from] HostError),
    /// The private PostgreSQL cluster for several instances did not start.
    #[error("PostgreSQL for --instances: {0}")]
    Postgres(#[from] ClusterError),
}

/// The running pair.
pub struct EmbeddedTarget {
    mock: MockOfficeHandle,
    host: TestHost,
    /// Instances 1.. when several run (instance 0 is `host`).
    others: Vec<TestHost>,
    /// The database the instances share; stopped after them.
    cluster: Option<PrivateCluster>,
    seed: Provisioned,
    provisioner: EmbeddedProvisioner,
}

impl std::fmt::Debug for EmbeddedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedTarget")
            .field("host", &self.host.base_url)
            .field("discovery", &self.mock.discovery_url.as_str())
            .finish_non_exhaustive()
    }
}

impl EmbeddedTarget {
    /// Starts the mock client and the reference host (pointed at the mock's discovery, proof keys checked) and
    /// seeds `test.wopitest`. Must be called inside a tokio runtime.
    pub async fn start(options: EmbeddedOptions) -> Result<Self, EmbeddedError> {
        let addr = options
            .discovery_listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| EmbeddedError::Bind { addr, source })?;
        let mock = MockOffice::start(
            listener,
            MockConfig {
                profile: options.profile,
                ..MockConfig::default()
            },
        )?;

        let mut config = Config::new(mock.base_url.clone());
        config.discovery_url = Some(mock.discovery_url.clone());
        config.proof_keys = true;
        config.faults = options.faults;
        // What a host of another configuration starts from: everything but the database of several instances.
        let template = config.clone();
        // spawn_for_test binds 127.0.0.1:0, fixes public_url to it and installs a TestClock at the current time.
        let (host, others, cluster) = match start_hosts(config, options.instances).await {
            Ok(h) => h,
            Err(e) => {
                mock.shutdown().await;
                return Err(e);
            }
        };
        let seed = match host.embedded().seed().await {
            Ok(s) => s,
            Err(e) => {
                stop_hosts(host, others, cluster).await;
                mock.shutdown().await;
                return Err(e.into());
            }
        };
        let instances = if others.is_empty() {
            Vec::new()
        } else {
            std::iter::once(&host)
                .chain(&others)
                .filter_map(|h| Url::parse(&h.base_url).ok())
                .collect()
        };
        let provisioner = EmbeddedProvisioner {
            instances,
            host: host.embedded(),
            frame_clock: mock.frame_clock().clone(),
            next: Arc::new(AtomicU64::new(1)),
            configured: Arc::new(ConfiguredHosts {
                template,
                clock: host.clock.clone(),
                started: tokio::sync::Mutex::new(BTreeMap::new()),
            }),
        };
        tracing::info!(host = %host.base_url, discovery = %mock.discovery_url, "embedded target started");
        Ok(Self {
            mock,
            host,
            others,
            cluster,
            seed,
            provisioner,
        })
    }

    /// The reference host's base URL (`http://127.0.0.1:PORT`).
    pub fn host_url(&self) -> &str {
        &self.host.base_url
    }

    /// The mock client's discovery URL, which the host trusts for proof keys.
    pub fn discovery_url(&self) -> &Url {
        &self.mock.discovery_url
    }

    /// The mock client (keys for signing, rotation, frame reports).
    pub fn mock(&self) -> &MockOfficeHandle {
        &self.mock
    }

    /// The seeded `test.wopitest` (WOPISrc and token), as `wopi-reference-host --seed` prints it.
    pub fn seed(&self) -> &Provisioned {
        &self.seed
    }

    /// A fresh file per case.
    pub fn provisioner(&self) -> EmbeddedProvisioner {
        self.provisioner.clone()
    }

    /// The host page URL template for browser suites (`{file_id}` and `{action}` are filled per case).
    pub fn host_page_template(&self) -> String {
        format!("{}/host/{{file_id}}?action={{action}}", self.host.base_url)
    }

    /// Stops the host and the mock and waits for both (each bounded by its own grace period).
    pub async fn shutdown(self) {
        let Self {
            mock,
            host,
            others,
            cluster,
            provisioner,
            ..
        } = self;
        provisioner.configured.stop().await;
        stop_hosts(host, others, cluster).await;
        mock.shutdown().await;
        tracing::debug!("embedded target stopped");
    }
}

/// Starts one SQLite-backed host, or `n` hosts on one fresh private PostgreSQL database sharing one test clock.
async fn start_hosts(
    config: Config,
    n: u16,
) -> Result<(TestHost, Vec<TestHost>, Option<PrivateCluster>), EmbeddedError> {
    if n <= 1 {
        return Ok((wopi_reference_host::spawn_for_test(config).await?, Vec::new(), None));
    }
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .map_err(|e| HostError::Config(format!("starting PostgreSQL: {e}")))??;
    let url = cluster.create_database("wopi").await?;
    let mut hosts: Vec<TestHost> = Vec::new();
    for i in 0..n {
        let mut c = config.clone();
        c.database = Some(url.clone());
        c.instance = u32::from(i);
        // The first instance's test clock is every instance's clock.
        let started = match hosts.first() {
            None => wopi_reference_host::spawn_for_test(c).await,
            Some(first) => first.spawn_sibling(c).await,
        };
        match started {
            Ok(h) => hosts.push(h),
            Err(e) => {
                for h in hosts {
                    h.stop().await;
                }
                drop_cluster(cluster).await;
                return Err(e.into());
            }
        }
    }
    let mut hosts = hosts.into_iter();
    let first = hosts
        .next()
        .ok_or_else(|| HostError::Config("no instance started".into()))?;
    tracing::info!(instances = n, database = %cluster.url("wopi"), "embedded instances share one PostgreSQL");
    Ok((first, hosts.collect(), Some(cluster)))
}

async fn stop_hosts(host: TestHost, others: Vec<TestHost>, cluster: Option<PrivateCluster>) {
    for h in others {
        h.stop().await;
    }
    host.stop().await;
    if let Some(c) = cluster {
        drop_cluster(c).await;
    }
}

/// Stopping the cluster runs `pg_ctl stop` (blocking, bounded by its own timeout): off the async threads.
async fn drop_cluster(cluster: PrivateCluster) {
    let _ = tokio::task::spawn_blocking(move || drop(cluster)).await;
}

/// Creates a fresh `test.wopitest` per case on the embedded host, each in a container of its own, and steps the
/// host's clock. Cheap to clone; clones share the counter and the clock.
#[derive(Clone)]
pub struct EmbeddedProvisioner {
    host: Embedded,
    /// Base URLs of every instance when several run (see [`crate::instances`]); empty for one.
    instances: Vec<Url>,
    /// The mock client's frame clock, stepped with the host's so the frame's proofs stay fresh to the host.
    frame_clock: wopi_mock_office::client::ClientClock,
    next: Arc<AtomicU64>,
    /// The hosts of configurations other than the default, started when a group first needs one.
    configured: Arc<ConfiguredHosts>,
}

/// The reference hosts of other configurations ([`crate::configurations`]): each one SQLite-backed host on the
/// default host's clock, with its faults and discovery, started on first use and stopped with the target.
struct ConfiguredHosts {
    template: wopi_reference_host::Config,
    clock: Arc<TestClock>,
    started: tokio::sync::Mutex<BTreeMap<Configuration, TestHost>>,
}

impl ConfiguredHosts {
    /// The host of `configuration`, started now if it is not running yet.
    async fn host(&self, configuration: Configuration) -> Result<Embedded, EmbeddedError> {
        let mut started = self.started.lock().await;
        if let Some(h) = started.get(&configuration) {
            return Ok(h.embedded());
        }
        let mut config = self.template.clone();
        config.configuration = configuration;
        let host = wopi_reference_host::spawn_for_test_with_clock(config, self.clock.clone()).await?;
        tracing::info!(%configuration, host = %host.base_url, "embedded reference host of another configuration started");
        let embedded = host.embedded();
        started.insert(configuration, host);
        Ok(embedded)
    }

    /// The started host whose base URL `url` is under, if any.
    async fn serving(&self, url: &Url) -> Option<Embedded> {
        let started = self.started.lock().await;
        started
            .values()
            .find(|h| url.as_str().starts_with(&format!("{}/", h.base_url)))
            .map(TestHost::embedded)
    }

    async fn stop(&self) {
        let hosts = std::mem::take(&mut *self.started.lock().await);
        for h in hosts.into_values() {
            h.stop().await;
        }
    }
}

impl std::fmt::Debug for EmbeddedProvisioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedProvisioner")
            .field("host", &self.host.base_url())
            .finish_non_exhaustive()
    }
}

impl EmbeddedProvisioner {
    /// A new, empty `test.wopitest` owned by and writable for the default user, in a new container
    /// `case-N` under the root, with a fresh token.
    pub async fn fresh_file(&self) -> Result<Provisioned, EmbeddedError> {
        self.fresh_file_with(Bytes::new()).await
    }

    /// One file for a whole single-file run (`TargetSource::Fixed`), as a host builder's `.wopitest`: with
    /// `content`, in its own container like every provisioned file.
    pub async fn shared_target(&self, content: Bytes) -> Result<Target, EmbeddedError> {
        let file = self.fresh_file_with(content).await?;
        let wopisrc = Url::parse(&file.wopisrc).map_err(|e| HostError::Config(format!("invalid WOPISrc: {e}")))?;
        Ok(Target {
            wopisrc,
            access_token: file.access_token,
            access_token_ttl: file.access_token_ttl,
            instances: self.instances.clone(),
        })
    }

    /// A new file called `name` holding `content` (a client profile whose discovery has no `wopitest` action
    /// needs a `.docx`).
    pub async fn fresh_file_named(&self, name: &str, content: Bytes) -> Result<Provisioned, EmbeddedError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Ok(self
            .host
            .create_file_in_new_container(&format!("case-{n}"), name, content)
            .await?)
    }

    /// A new file holding `content`.
    pub async fn fresh_file_with(&self, content: Bytes) -> Result<Provisioned, EmbeddedError> {
        self.fresh_file_on(&self.host, content).await
    }

    /// A new, empty file on the reference host of `configuration` (started now if need be).
    pub async fn fresh_file_in(&self, configuration: Configuration) -> Result<Provisioned, EmbeddedError> {
        let host = match configuration {
            Configuration::Default => self.host.clone(),
            other => self.configured.host(other).await?,
        };
        self.fresh_file_on(&host, Bytes::new()).await
    }

    async fn fresh_file_on(&self, host: &Embedded, content: Bytes) -> Result<Provisioned, EmbeddedError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Ok(host
            .create_file_in_new_container(&format!("case-{n}"), SEED_FILE_NAME, content)
            .await?)
    }

    /// The host that serves `target` (the default one, or that of another configuration).
    async fn host_of(&self, target: &Target) -> Embedded {
        self.configured
            .serving(&target.wopisrc)
            .await
            .unwrap_or_else(|| self.host.clone())
    }

    fn target_of(&self, file: Provisioned) -> Result<Target, ProvisionError> {
        let wopisrc = Url::parse(&file.wopisrc)
            .map_err(|e| ProvisionError::Other(format!("the host built an invalid WOPISrc: {e}")))?;
        Ok(Target {
            wopisrc,
            access_token: file.access_token,
            access_token_ttl: file.access_token_ttl,
            instances: self.instances.clone(),
        })
    }

    /// Moves the host's clock forward (lock expiry, token expiry) without waiting, and the mock client's frame
    /// clock with it: a browser step after the jump must not look hours stale to the host.
    pub fn advance_clock(&self, by: Duration) {
        self.host.advance_clock(by);
        self.frame_clock.advance(by);
    }

    /// The host's current time.
    pub fn now(&self) -> std::time::SystemTime {
        self.host.now()
    }
}

impl Provisioner for EmbeddedProvisioner {
    fn provision<'a>(&'a self, case_id: &'a str) -> ProvisionFuture<'a> {
        Box::pin(async move {
            let file = self
                .fresh_file()
                .await
                .map_err(|e| ProvisionError::Other(format!("{case_id}: {e}")))?;
            self.target_of(file)
        })
    }

    fn configuration(&self, prereqs: &[String]) -> Option<String> {
        Some(crate::configurations::for_prereqs(prereqs).name().to_owned())
    }

    fn provision_on<'a>(&'a self, configuration: &'a str, case_id: &'a str) -> ProvisionFuture<'a> {
        Box::pin(async move {
            let c = Configuration::from_name(configuration)
                .ok_or_else(|| ProvisionError::Other(format!("no host configuration named {configuration:?}")))?;
            let file = self
                .fresh_file_in(c)
                .await
                .map_err(|e| ProvisionError::Other(format!("{case_id} (configuration {c}): {e}")))?;
            self.target_of(file)
        })
    }
}

impl EmbeddedProvisioner {
    /// A token for the file behind `target` (its WOPISrc's last path segment) that expired a minute ago on the
    /// host's clock, signed by the host's own key: only its lifetime is wrong.
    pub async fn expired_token(&self, target: &Target) -> Result<String, String> {
        let id = target
            .wopisrc
            .path_segments()
            .and_then(|mut s| s.next_back())
            .ok_or_else(|| "the WOPISrc has no file id".to_string())?;
        let file = FileId::new(id).map_err(|e| format!("the WOPISrc's file id '{id}' is invalid: {e}"))?;
        let host = self.host_of(target).await;
        let expired = host.now() - Duration::from_secs(60);
        host.file_token_until(&file, expired).map_err(|e| e.to_string())
    }

    /// A valid token, from the host serving `target`, for a new file that is not the one behind any case.
    pub async fn other_file_token(&self, target: &Target) -> Result<String, String> {
        let host = self.host_of(target).await;
        self.fresh_file_on(&host, Bytes::new())
            .await
            .map(|p| p.access_token)
            .map_err(|e| e.to_string())
    }
}

impl ClockControl for EmbeddedProvisioner {
    fn advance(&self, by: Duration) -> Result<(), String> {
        self.advance_clock(by);
        Ok(())
    }

    fn host_now(&self) -> Option<std::time::SystemTime> {
        Some(self.now())
    }

    fn special_token<'a>(&'a self, target: &'a Target, kind: TokenUse) -> TokenFuture<'a> {
        Box::pin(async move {
            match kind {
                TokenUse::Expired => self.expired_token(target).await,
                TokenUse::OtherFile => self.other_file_token(target).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wopi_reference_host::embed::TokenCheck;

    #[tokio::test]
    async fn start_seeds_and_provisions_distinct_files_then_stops() {
        let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.unwrap();
        assert!(target.seed().wopisrc.starts_with(target.host_url()));
        assert!(target.discovery_url().as_str().ends_with("/hosting/discovery"));

        let p = target.provisioner();
        let a = p.fresh_file().await.unwrap();
        let b = p.fresh_file().await.unwrap();
        assert_ne!(a.wopisrc, b.wopisrc);
        assert_ne!(a.wopisrc, target.seed().wopisrc);
        assert!(!a.access_token.is_empty());

        let before = p.now();
        p.advance_clock(Duration::from_secs(31 * 60));
        assert_eq!(p.now().duration_since(before).unwrap(), Duration::from_secs(31 * 60));

        let t = Provisioner::provision(&p, "s::G::C").await.unwrap();
        assert!(t.wopisrc.as_str().starts_with(target.host_url()));
        ClockControl::advance(&p, Duration::from_secs(1)).unwrap();
        assert_eq!(
            p.now().duration_since(before).unwrap(),
            Duration::from_secs(31 * 60 + 1)
        );

        // The hook's tokens: expired-but-genuine for this file, and valid for another file.
        let expired = ClockControl::special_token(&p, &t, TokenUse::Expired).await.unwrap();
        let id = FileId::new(t.wopisrc.path_segments().unwrap().next_back().unwrap()).unwrap();
        assert_eq!(
            p.host.check_token(&expired),
            TokenCheck::Expired { file: Some(id.clone()) }
        );
        let other = ClockControl::special_token(&p, &t, TokenUse::OtherFile).await.unwrap();
        match p.host.check_token(&other) {
            TokenCheck::Valid { file: Some(file) } => assert_ne!(file, id),
            check => panic!("the other file's token is {check:?}"),
        }

        let host = target.host_url().to_owned();
        target.shutdown().await;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        assert!(
            client.get(format!("{host}/")).send().await.is_err(),
            "host still answers after shutdown"
        );
    }

    #[tokio::test]
    async fn other_configurations_get_their_own_host_on_the_same_clock() {
        let target = EmbeddedTarget::start(EmbeddedOptions::default()).await.unwrap();
        let p = target.provisioner();
        assert_eq!(
            Provisioner::configuration(&p, &["UserCanNotWriteRelativePrereq".to_owned()]).as_deref(),
            Some("no-relative")
        );
        assert_eq!(Provisioner::configuration(&p, &[]).as_deref(), Some("default"));
        let on_default = Provisioner::provision_on(&p, "default", "s::G::A").await.unwrap();
        let other = Provisioner::provision_on(&p, "no-relative", "s::G::B").await.unwrap();
        let again = Provisioner::provision_on(&p, "no-relative", "s::G::C").await.unwrap();
        assert!(on_default.wopisrc.as_str().starts_with(target.host_url()));
        assert!(
            !other.wopisrc.as_str().starts_with(target.host_url()),
            "{}",
            other.wopisrc
        );
        assert_eq!(
            other.wopisrc.origin(),
            again.wopisrc.origin(),
            "one host per configuration"
        );
        assert!(Provisioner::provision_on(&p, "no-such", "s::G::D").await.is_err());

        // The host really is configured (and checks the mock's proofs): CheckFileInfo declares
        // UserCanNotWriteRelative.
        let wopi = target.mock().client(Default::default()).unwrap();
        let mut url = other.wopisrc.clone();
        url.query_pairs_mut().append_pair("access_token", &other.access_token);
        let raw = wopi_mock_office::client::RawRequest::new(
            "CheckFileInfo",
            http::Method::GET,
            url,
            other.access_token.clone(),
        );
        let answer = wopi.send(raw).await.unwrap();
        assert_eq!(answer.status, 200);
        let info: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(info["UserCanNotWriteRelative"], true);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();

        // One clock: a step moves both hosts; the hook's tokens come from the host serving the target.
        let before = p.now();
        ClockControl::advance(&p, Duration::from_secs(60)).unwrap();
        let other_host = p.host_of(&other).await;
        assert_eq!(
            other_host.now().duration_since(before).unwrap(),
            Duration::from_secs(60)
        );
        let expired = ClockControl::special_token(&p, &other, TokenUse::Expired)
            .await
            .unwrap();
        assert!(matches!(other_host.check_token(&expired), TokenCheck::Expired { .. }));
        assert_eq!(
            p.host.check_token(&expired),
            TokenCheck::Invalid,
            "signed by the other host's key"
        );

        let other_base = other.wopisrc.origin().ascii_serialization();
        target.shutdown().await;
        assert!(
            client.get(format!("{other_base}/")).send().await.is_err(),
            "still answers after shutdown"
        );
    }
}
