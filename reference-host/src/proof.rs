//! Proof-key checking of incoming WOPI requests, and the cached WOPI discovery it depends on.
//!
//! The WOPI client signs every request with the key it publishes in its discovery XML
//! (`online/scenarios/proofkeys.rst`). The host:
//!
//! - fetches discovery once and keeps the *parsed* keys ([`DiscoveryCache`]); no request re-reads or re-parses it;
//! - verifies `X-WOPI-Proof` / `X-WOPI-ProofOld` / `X-WOPI-TimeStamp` against those keys with
//!   [`wopi_protocol::proof::verify`] (the three accepted combinations, the 20-minute window, no future stamps);
//! - when a signature fails with the cached keys, fetches discovery again **once** and retries, because the client
//!   may have rotated its keys since the host last looked. That refetch is single-flight (100 concurrent failures
//!   cause one fetch) and rate-limited ([`ProofCheckConfig::refetch_min_interval`]) so a flood of forged requests
//!   cannot turn the host into a load generator against the client. Only failures that fresh keys could cure may
//!   spend that budget: a signature that is well-formed but does not match, under a well-formed timestamp inside the
//!   20-minute window, on a request whose access token this host issued. Junk (no base64, stale or missing
//!   timestamps, made-up tokens) is refused without touching discovery;
//! - when a request verifies only through a rotation combination (`X-WOPI-ProofOld` with the current key, or
//!   `X-WOPI-Proof` with the old key), refreshes discovery in the background (`online/discovery.rst`: re-run
//!   discovery "when proof key validation fails, or when it succeeds using the old key"). That refresh has its own
//!   rate limit, so forged requests that spent the failure budget cannot delay picking up a genuine rotation.
//!
//! Every fetch is bounded by a timeout and a body-size cap; a failed fetch is a [`ProofFailure`] naming it.
//! After a failed fetch the host waits [`ProofCheckConfig::refetch_min_interval`] before trying again, except while
//! it has never had keys: then every request is refused anyway, so it retries with a short backoff
//! ([`FIRST_KEYS_RETRY_MIN`] doubling up to [`FIRST_KEYS_RETRY_MAX`]). A host started before its WOPI client (the
//! README's order) then serves the first request after the client is up, instead of refusing requests for seconds.
//! The host page ([`crate::hostpage`]) reads its action URLs from the same cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use tokio::sync::Mutex;
use wopi_protocol::discovery::Discovery;
use wopi_protocol::headers::{X_WOPI_PROOF, X_WOPI_PROOF_OLD, X_WOPI_TIMESTAMP};
use wopi_protocol::proof::{AttemptFailure, ProofAccepted, ProofError, ProofHeaders, ProofKeys};

use crate::clock::Clock;
use crate::faults::{Fault, FaultSet};

/// Largest discovery document the host accepts. Real discovery documents are far smaller; the cap only exists so a
/// misconfigured URL (a video, an endless stream) cannot exhaust memory.
pub const MAX_DISCOVERY_BYTES: usize = 8 * 1024 * 1024;

/// How long a fetched discovery is trusted before the next use fetches it again. The docs ask hosts to re-run
/// discovery every 12 to 24 hours (`online/discovery.rst`), independently of the refetch on a failed proof.
pub const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(12 * 60 * 60);

/// The first wait before fetching discovery again after a failed fetch, while the host has never had keys.
pub const FIRST_KEYS_RETRY_MIN: Duration = Duration::from_millis(250);

/// The longest wait between fetches while the host has never had keys: at most one fetch per second, so a stream
/// of requests to a host whose client is down cannot turn it into a load generator against the client's discovery.
/// Never longer than [`ProofCheckConfig::refetch_min_interval`].
pub const FIRST_KEYS_RETRY_MAX: Duration = Duration::from_secs(1);

/// Where the WOPI client's discovery lives and how eagerly the host may fetch it.
#[derive(Debug, Clone)]
pub struct ProofCheckConfig {
    /// The WOPI client's discovery URL (`…/hosting/discovery`).
    pub discovery_url: url::Url,
    /// Minimum time between two refetches caused by failed proofs, between two background refreshes caused by
    /// rotation combinations (counted separately), and the wait before retrying after a failed fetch once the host
    /// has had keys (before that, the wait is the shorter backoff of [`FIRST_KEYS_RETRY_MIN`]). The first fetch and
    /// the refresh after [`DISCOVERY_MAX_AGE`] are not held back by it.
    pub refetch_min_interval: Duration,
    /// Bound on one whole fetch: connecting, headers and body.
    pub fetch_timeout: Duration,
}

/// Why the WOPI client's discovery could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DiscoveryError {
    /// The HTTP exchange failed (connection, timeout, non-2xx status, oversized body).
    #[error("fetching WOPI discovery from {url} failed: {reason}")]
    Fetch {
        /// The discovery URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The document arrived but is not discovery XML.
    #[error("WOPI discovery from {url} could not be parsed: {reason}")]
    Parse {
        /// The discovery URL.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// There is no usable discovery and the last attempt was too recent to try again.
    #[error(
        "WOPI discovery from {url} is unavailable (last attempt {ago:?} ago failed: {last_error}); not retrying for {retry_in:?}"
    )]
    RateLimited {
        /// The discovery URL.
        url: String,
        /// Time since the failed attempt, in whole milliseconds.
        ago: Duration,
        /// The failure of that attempt.
        last_error: String,
        /// Time until a new attempt is allowed, in whole milliseconds.
        retry_in: Duration,
    },
}

/// What happened about re-reading discovery after the cached keys failed to verify a proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refetch {
    /// The failure could not be cured by new keys (bad timestamp, malformed headers, signatures that are not
    /// base64), so none was attempted.
    NotApplicable,
    /// Discovery was fetched again (by this request or a concurrent one) and the new keys rejected the proof too.
    NewKeysRejected,
    /// Discovery was fetched again but its keys were the same as before.
    KeysUnchanged,
    /// Discovery was not fetched again; the reason says why (rate limit, fetch error).
    Skipped(String),
}

impl std::fmt::Display for Refetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refetch::NotApplicable => f.write_str("no discovery refetch applies"),
            Refetch::NewKeysRejected => f.write_str("discovery was fetched again and its new keys rejected it too"),
            Refetch::KeysUnchanged => f.write_str("discovery was fetched again and its keys had not changed"),
            Refetch::Skipped(why) => write!(f, "discovery was not fetched again: {why}"),
        }
    }
}

/// Why a request's proof was not accepted. Every variant is answered with 500, as `proofkeys.rst` requires.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProofFailure {
    /// A proof header is present more than once or is not visible ASCII.
    #[error("proof header {0} is duplicated or not ASCII")]
    BadHeader(&'static str),
    /// The proof headers or their verification failed.
    #[error("proof rejected: {source} ({refetch})")]
    Rejected {
        /// What the protocol check said.
        source: ProofError,
        /// Whether fresh keys were tried.
        refetch: Refetch,
    },
    /// The keys to check against could not be obtained.
    #[error("cannot check the proof: {0}")]
    Discovery(#[from] DiscoveryError),
    /// Discovery was read but publishes no usable proof key.
    #[error("cannot check the proof: WOPI discovery has no usable proof-key element: {0}")]
    NoProofKey(String),
}

/// One successfully fetched and parsed discovery, shared read-only by every request.
#[derive(Debug)]
pub struct DiscoverySnapshot {
    /// The parsed discovery document.
    pub discovery: Discovery,
    /// Its proof keys, imported once; `Err` says why they are unusable.
    keys: Result<ProofKeys, String>,
    /// Increases by one with every successful fetch; tells waiters whether someone else already refreshed.
    pub generation: u64,
    /// When it was fetched, by the host's clock.
    pub fetched_at: SystemTime,
}

impl DiscoverySnapshot {
    /// The proof keys this discovery publishes.
    pub fn proof_keys(&self) -> Result<&ProofKeys, &str> {
        self.keys.as_ref().map_err(String::as_str)
    }
}

/// Book-keeping of fetch attempts, guarded by the single-flight lock.
#[derive(Debug, Default)]
struct FetchBook {
    /// When the last refetch caused by a failed proof started.
    last_proof_refetch: Option<SystemTime>,
    /// The last fetch, if it failed: when, and why.
    last_failure: Option<(SystemTime, DiscoveryError)>,
    /// Failed fetches since the last successful one (sets the backoff while there has never been a snapshot).
    failures_in_a_row: u32,
    fetches: u64,
}

/// Why a fetch is wanted; only the last one is rate-limited when the previous fetch succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// Nothing cached yet.
    Missing,
    /// The snapshot is older than [`DISCOVERY_MAX_AGE`].
    Expired,
    /// A proof failed with the cached keys.
    ProofFailed,
    /// A proof verified only through a rotation combination; fetched in the background.
    RotationHint,
}

/// The WOPI client's discovery, fetched on demand and cached.
///
/// Readers take the current snapshot without waiting on anything but a short read lock; fetches are serialised
/// by an async mutex so concurrent callers share one fetch.
pub struct DiscoveryCache {
    cfg: ProofCheckConfig,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    current: RwLock<Option<Arc<DiscoverySnapshot>>>,
    fetch: Mutex<FetchBook>,
    /// When the last background refresh after a rotation hint was started, in ms since the epoch (0: never). An
    /// atomic rather than a field of [`FetchBook`] so that the hot path of an accepted request never waits on the
    /// fetch lock.
    last_rotation_hint_ms: AtomicU64,
}

impl std::fmt::Debug for DiscoveryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscoveryCache")
            .field("discovery_url", &self.cfg.discovery_url.as_str())
            .field("generation", &self.snapshot().map(|s| s.generation))
            .finish_non_exhaustive()
    }
}

impl DiscoveryCache {
    /// A cache that fetches nothing until first used (or [`DiscoveryCache::get`] is called to warm it).
    pub fn new(cfg: ProofCheckConfig, clock: Arc<dyn Clock>, http: reqwest::Client) -> Self {
        Self {
            cfg,
            clock,
            http,
            current: RwLock::new(None),
            fetch: Mutex::new(FetchBook::default()),
            last_rotation_hint_ms: AtomicU64::new(0),
        }
    }

    /// The configured discovery URL.
    pub fn url(&self) -> &url::Url {
        &self.cfg.discovery_url
    }

    /// The cached snapshot, if any, without fetching.
    pub fn snapshot(&self) -> Option<Arc<DiscoverySnapshot>> {
        // A poisoned lock means a panic elsewhere while swapping an Arc; the Option inside is still whole.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many fetches were started since the cache was created (successful or not).
    pub async fn fetch_count(&self) -> u64 {
        self.fetch.lock().await.fetches
    }

    /// The cached discovery; fetched first when there is none yet or it is older than [`DISCOVERY_MAX_AGE`]
    /// (an old snapshot is still returned when that refresh fails).
    pub async fn get(&self) -> Result<Arc<DiscoverySnapshot>, DiscoveryError> {
        match self.snapshot() {
            Some(snap) if !self.is_expired(&snap) => Ok(snap),
            // Only one request refreshes an old snapshot; the others keep using it rather than wait for the fetch.
            Some(snap) => match self.fetch.try_lock() {
                Ok(book) => Ok(self
                    .refresh_locked(book, Some(snap.generation), Trigger::Expired)
                    .await
                    .unwrap_or(snap)),
                Err(_) => Ok(snap),
            },
            None => self.refresh(None, Trigger::Missing).await,
        }
    }

    fn is_expired(&self, snap: &DiscoverySnapshot) -> bool {
        self.clock
            .now()
            .duration_since(snap.fetched_at)
            .is_ok_and(|age| age >= DISCOVERY_MAX_AGE)
    }

    /// Fetches discovery again because a proof failed with the keys of snapshot `seen_generation`.
    ///
    /// Nothing is fetched when a newer snapshot already exists (a concurrent caller refreshed while this one
    /// waited: the single flight), or when the last such refetch, or the last failed fetch, is more recent than
    /// [`ProofCheckConfig::refetch_min_interval`]. Returns the newest snapshot; `Err` only when there is none.
    pub async fn refetch(&self, seen_generation: u64) -> Result<Arc<DiscoverySnapshot>, DiscoveryError> {
        self.refresh(Some(seen_generation), Trigger::ProofFailed).await
    }

    /// Starts a background refresh because a request signed for the keys of snapshot `seen_generation` verified only
    /// through a rotation combination: the client has rotated (or is rotating) its keys. Returns at once.
    ///
    /// At most one such refresh starts per [`ProofCheckConfig::refetch_min_interval`], independently of the
    /// refetches after failed proofs, and none while the cached snapshot is younger than that interval; it fetches
    /// nothing when a newer snapshot already exists or a fetch failed within the interval. Returns whether a
    /// refresh was started.
    pub fn refresh_after_rotation_hint(self: &Arc<Self>, seen_generation: u64) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        let now = self.clock.now();
        // A snapshot fetched within the interval already reflects any rotation worth knowing about (a signing machine
        // lagging behind the host is the usual reason for `X-WOPI-Proof` with the old key).
        if self.snapshot().is_some_and(|snap| {
            now.duration_since(snap.fetched_at)
                .is_ok_and(|age| age < self.cfg.refetch_min_interval)
        }) {
            return false;
        }
        let now_ms = crate::tokens::epoch_ms(now);
        let interval_ms = u64::try_from(self.cfg.refetch_min_interval.as_millis()).unwrap_or(u64::MAX);
        let claimed = self
            .last_rotation_hint_ms
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
                // A clock that went backwards (now < last) does not block refreshes.
                let due = last == 0 || now_ms < last || now_ms - last >= interval_ms;
                due.then_some(now_ms.max(1))
            })
            .is_ok();
        if !claimed {
            return false;
        }
        let cache = Arc::clone(self);
        runtime.spawn(async move {
            if let Err(e) = cache.refresh(Some(seen_generation), Trigger::RotationHint).await {
                tracing::warn!(error = %e, "background WOPI discovery refresh after a key rotation failed");
            }
        });
        true
    }

    async fn refresh(&self, seen: Option<u64>, trigger: Trigger) -> Result<Arc<DiscoverySnapshot>, DiscoveryError> {
        let book = self.fetch.lock().await;
        self.refresh_locked(book, seen, trigger).await
    }

    /// The body of [`DiscoveryCache::refresh`], run while holding the single-flight lock.
    async fn refresh_locked(
        &self,
        mut book: tokio::sync::MutexGuard<'_, FetchBook>,
        seen: Option<u64>,
        trigger: Trigger,
    ) -> Result<Arc<DiscoverySnapshot>, DiscoveryError> {
        let current = self.snapshot();
        if let Some(snap) = &current
            && Some(snap.generation) != seen
        {
            return Ok(snap.clone());
        }
        let now = self.clock.now();
        let interval = self.cfg.refetch_min_interval;
        // A clock that went backwards must not block fetches until it catches up, hence `duration_since(..).ok()`.
        let recent = |at: SystemTime| now.duration_since(at).ok().filter(|ago| *ago < interval);
        // Without any snapshot every request is refused until a fetch succeeds, so retry soon (bounded by the
        // backoff); with one, the old keys keep serving and the full interval applies.
        let retry_after = match &current {
            None => first_keys_backoff(book.failures_in_a_row, interval),
            Some(_) => interval,
        };
        if let Some((at, error)) = &book.last_failure
            && let Some(ago) = now.duration_since(*at).ok().filter(|ago| *ago < retry_after)
        {
            let whole_ms = |d: Duration| Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            return current.ok_or_else(|| DiscoveryError::RateLimited {
                url: self.cfg.discovery_url.to_string(),
                ago: whole_ms(ago),
                last_error: error.to_string(),
                retry_in: whole_ms(retry_after - ago),
            });
        }
        if trigger == Trigger::ProofFailed
            && let Some(snap) = &current
            && book.last_proof_refetch.and_then(recent).is_some()
        {
            return Ok(snap.clone());
        }
        if trigger == Trigger::ProofFailed {
            book.last_proof_refetch = Some(now);
        }
        book.fetches += 1;
        match self.fetch_and_parse().await {
            Ok(discovery) => {
                let keys = discovery.proof_keys().map_err(|e| e.to_string());
                if let Err(why) = &keys {
                    tracing::warn!(url = %self.cfg.discovery_url, %why, "WOPI discovery has no usable proof key");
                }
                let generation = current.as_ref().map_or(1, |s| s.generation + 1);
                let snap = Arc::new(DiscoverySnapshot {
                    discovery,
                    keys,
                    generation,
                    fetched_at: now,
                });
                *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(snap.clone());
                book.last_failure = None;
                book.failures_in_a_row = 0;
                tracing::info!(url = %self.cfg.discovery_url, generation, ?trigger, "WOPI discovery fetched");
                Ok(snap)
            }
            Err(e) => {
                tracing::warn!(error = %e, ?trigger, "WOPI discovery fetch failed");
                book.last_failure = Some((now, e.clone()));
                book.failures_in_a_row = book.failures_in_a_row.saturating_add(1);
                current.ok_or(e)
            }
        }
    }

    /// One bounded fetch: the timeout covers connect, headers and body; the body is read in chunks up to
    /// [`MAX_DISCOVERY_BYTES`].
    async fn fetch_and_parse(&self) -> Result<Discovery, DiscoveryError> {
        let url = self.cfg.discovery_url.to_string();
        let fetch_err = |reason: String| DiscoveryError::Fetch {
            url: url.clone(),
            reason,
        };
        let body = tokio::time::timeout(self.cfg.fetch_timeout, async {
            let mut resp = self
                .http
                .get(self.cfg.discovery_url.clone())
                .send()
                .await
                .map_err(|e| fetch_err(error_chain(&e)))?;
            if !resp.status().is_success() {
                return Err(fetch_err(format!("HTTP status {}", resp.status())));
            }
            if resp.content_length().is_some_and(|n| n > MAX_DISCOVERY_BYTES as u64) {
                return Err(fetch_err(format!("body is larger than {MAX_DISCOVERY_BYTES} bytes")));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| fetch_err(error_chain(&e)))? {
                if body.len() + chunk.len() > MAX_DISCOVERY_BYTES {
                    return Err(fetch_err(format!("body is larger than {MAX_DISCOVERY_BYTES} bytes")));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        })
        .await
        .map_err(|_| fetch_err(format!("no complete answer within {:?}", self.cfg.fetch_timeout)))??;
        let text = String::from_utf8(body).map_err(|_| DiscoveryError::Parse {
            url: url.clone(),
            reason: "body is not UTF-8".to_owned(),
        })?;
        // Parsing a large document is CPU work; keep it off the request-serving threads.
        tokio::task::spawn_blocking(move || Discovery::parse(&text).map_err(|e| e.to_string()))
            .await
            .map_err(|e| DiscoveryError::Parse {
                url: url.clone(),
                reason: format!("parser task failed: {e}"),
            })?
            .map_err(|reason| DiscoveryError::Parse { url, reason })
    }
}

/// The wait after the `failures`-th failed fetch in a row while the host has never had keys:
/// [`FIRST_KEYS_RETRY_MIN`], doubling with each failure, at most [`FIRST_KEYS_RETRY_MAX`] and never more than the
/// configured `interval`.
fn first_keys_backoff(failures: u32, interval: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_KEYS_RETRY_MIN
        .saturating_mul(1 << doublings)
        .min(FIRST_KEYS_RETRY_MAX)
        .min(interval)
}

/// `reqwest` errors hide the useful part (connection refused, timeout) in their source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Checks the proof headers of WOPI requests against the WOPI client's published keys.
pub struct ProofChecker {
    cache: Arc<DiscoveryCache>,
    clock: Arc<dyn Clock>,
    faults: FaultSet,
}

impl std::fmt::Debug for ProofChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofChecker")
            .field("cache", &self.cache)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

impl ProofChecker {
    /// A checker with its own discovery cache. Nothing is fetched until [`ProofChecker::prefetch`] or the first
    /// [`ProofChecker::check`].
    pub fn new(cfg: ProofCheckConfig, clock: Arc<dyn Clock>, http: reqwest::Client) -> Self {
        let cache = Arc::new(DiscoveryCache::new(cfg, clock.clone(), http));
        Self {
            cache,
            clock,
            faults: FaultSet::none(),
        }
    }

    /// A checker sharing an existing discovery cache (for example with the host page).
    pub fn with_cache(cache: Arc<DiscoveryCache>, clock: Arc<dyn Clock>) -> Self {
        Self {
            cache,
            clock,
            faults: FaultSet::none(),
        }
    }

    /// The same checker, breaking the proof-key rules named in `faults` (`StaleProofAccepted`, `ProofNotChecked`,
    /// `ProofOldWithOldKeyAccepted`, `NoDiscoveryRefetch`, `ProofOnlyCurrentKey`, `MalformedProofOldRejected`,
    /// `ProofAgeInWholeMinutes`, `ProofAgeLimitFiveMinutes`);
    /// without the `faults` feature nothing changes. (`ProofWithoutQuery` is applied where the signed URL is built, in [`crate::wopi`].)
    #[must_use]
    pub fn with_faults(mut self, faults: FaultSet) -> Self {
        self.faults = faults;
        self
    }

    /// The discovery cache this checker reads its keys from.
    pub fn discovery(&self) -> &Arc<DiscoveryCache> {
        &self.cache
    }

    /// Fetches discovery now so the first request does not pay for it. A failure is logged, not returned: the
    /// host still starts, and the next request tries again (subject to the rate limit).
    pub async fn prefetch(&self) {
        match self.cache.get().await {
            Ok(snap) if snap.proof_keys().is_ok() => {
                tracing::info!(url = %self.cache.url(), "proof keys loaded from WOPI discovery");
            }
            Ok(snap) => {
                tracing::warn!(url = %self.cache.url(), why = snap.proof_keys().err().unwrap_or_default(),
                    "WOPI discovery has no usable proof key; every WOPI request will be refused");
            }
            Err(e) => tracing::warn!(error = %e, "could not prefetch WOPI discovery; will retry on first request"),
        }
    }

    /// Checks one request. `signed_url` is the full request URL as the client saw it (rebuilt from the host's
    /// public base URL, query string included); `access_token` is the request's token.
    ///
    /// Accepts one of the three combinations of `proofkeys.rst` within the 20-minute window. When the signatures
    /// fail with the cached keys, discovery is fetched again once (single-flight, rate-limited) and the check is
    /// repeated with the new keys. Same as [`ProofChecker::check_with`] with a token that may trigger a refetch.
    pub async fn check(
        &self,
        signed_url: &str,
        access_token: &str,
        headers: &HeaderMap,
    ) -> Result<ProofAccepted, ProofFailure> {
        self.check_with(signed_url, access_token, headers, TokenTrust::Issued)
            .await
    }

    /// [`ProofChecker::check`], saying whether the request's access token is one this host issued. A request with
    /// a made-up token is checked the same way but never makes the host fetch discovery again: anyone can send
    /// those, and each would otherwise spend the refetch budget that a genuine key rotation needs.
    pub async fn check_with(
        &self,
        signed_url: &str,
        access_token: &str,
        headers: &HeaderMap,
        token: TokenTrust,
    ) -> Result<ProofAccepted, ProofFailure> {
        if self.faults.has(Fault::ProofNotChecked) {
            return Ok(ProofAccepted::CurrentKey);
        }
        let proof_headers = ProofHeaders::from_values(
            single_header(headers, X_WOPI_PROOF)?,
            single_header(headers, X_WOPI_PROOF_OLD)?,
            single_header(headers, X_WOPI_TIMESTAMP)?,
        )
        .map_err(|source| ProofFailure::Rejected {
            source,
            refetch: Refetch::NotApplicable,
        })?;

        let snap = self.cache.get().await?;
        let first = match snap.proof_keys() {
            Ok(keys) => self
                .verify(keys, &proof_headers, access_token, signed_url)
                .map_err(Some),
            // No usable keys in the cached discovery: fresh discovery is tried once, like a signature failure.
            Err(_) => Err(None),
        };
        let source = match first {
            Ok(accepted) => {
                if accepted != ProofAccepted::CurrentKey && !self.faults.has(Fault::NoDiscoveryRefetch) {
                    // The client signs with a key we do not hold as current, or the host is ahead of a signing
                    // machine: keys are rotating. Pick up the new discovery without holding this request.
                    if self.cache.refresh_after_rotation_hint(snap.generation) {
                        tracing::info!(%accepted, "proof accepted through a rotation combination; refreshing discovery");
                    }
                }
                return Ok(accepted);
            }
            Err(Some(e)) if curable_by_new_keys(&e) => Some(e),
            Err(Some(source)) => {
                return Err(ProofFailure::Rejected {
                    source,
                    refetch: Refetch::NotApplicable,
                });
            }
            Err(None) => None,
        };

        // The client may have rotated its keys since we last looked: read discovery again, once.
        let skipped = if self.faults.has(Fault::NoDiscoveryRefetch) {
            "refetching is switched off by the NoDiscoveryRefetch fault".to_owned()
        } else if token == TokenTrust::Unknown {
            "the access token is not one this host issued, so it may not trigger a refetch".to_owned()
        } else {
            match self.cache.refetch(snap.generation).await {
                Ok(fresh) if fresh.generation != snap.generation => {
                    return self.check_again(&snap, &fresh, &proof_headers, signed_url, access_token);
                }
                Ok(_) => "the last refetch was too recent".to_owned(),
                Err(e) => e.to_string(),
            }
        };
        Err(match (source, snap.proof_keys()) {
            (Some(source), _) => ProofFailure::Rejected {
                source,
                refetch: Refetch::Skipped(skipped),
            },
            (None, Err(why)) => ProofFailure::NoProofKey(format!("{why}; {skipped}")),
            // Not reachable (no error means the keys were usable); say so rather than panic.
            (None, Ok(_)) => ProofFailure::NoProofKey(skipped),
        })
    }

    /// The retry with freshly fetched keys.
    fn check_again(
        &self,
        before: &DiscoverySnapshot,
        fresh: &DiscoverySnapshot,
        proof_headers: &ProofHeaders,
        signed_url: &str,
        access_token: &str,
    ) -> Result<ProofAccepted, ProofFailure> {
        let keys = fresh
            .proof_keys()
            .map_err(|why| ProofFailure::NoProofKey(why.to_owned()))?;
        match self.verify(keys, proof_headers, access_token, signed_url) {
            Ok(accepted) => {
                tracing::info!(
                    generation = fresh.generation,
                    "proof accepted after refetching WOPI discovery"
                );
                Ok(accepted)
            }
            Err(source) => {
                let refetch = if before.proof_keys().is_ok_and(|old| old == keys) {
                    Refetch::KeysUnchanged
                } else {
                    Refetch::NewKeysRejected
                };
                Err(ProofFailure::Rejected { source, refetch })
            }
        }
    }

    /// [`wopi_protocol::proof::verify`] at the host's time. A host running verification faults verifies as
    /// [`crate::faults::proof`] says instead.
    fn verify(
        &self,
        keys: &ProofKeys,
        headers: &ProofHeaders,
        access_token: &str,
        signed_url: &str,
    ) -> Result<ProofAccepted, ProofError> {
        let now = self.clock.now();
        if !self.faults.is_empty() {
            return crate::faults::proof::verify(&self.faults, keys, headers, access_token, signed_url, now);
        }
        wopi_protocol::proof::verify(keys, headers, access_token, signed_url, now)
    }
}

/// Whether the request's access token is one this host issued (signature and expiry checked), which decides
/// whether its failed proof may make the host fetch discovery again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTrust {
    /// A token this host issued and that has not expired.
    Issued,
    /// Anything else: absent, forged, expired, malformed.
    Unknown,
}

/// Whether fresh keys could make this failed check pass: only a signature that has the shape of one (base64 of a
/// key-sized value, or of another key size after the client changed key length) and does not verify. Timestamp
/// and header failures are checked before any signature and cannot be cured by keys; values that are not even
/// base64 are junk.
fn curable_by_new_keys(error: &ProofError) -> bool {
    match error {
        ProofError::SignatureMismatch { .. } => true,
        ProofError::MalformedSignature { attempts } => attempts
            .0
            .iter()
            .any(|a| matches!(a.failure, AttemptFailure::WrongLength { .. })),
        ProofError::MissingHeader(_)
        | ProofError::MalformedTimestamp(_)
        | ProofError::TimestampTooOld { .. }
        | ProofError::TimestampInFuture { .. } => false,
    }
}

/// The value of a proof header that may appear at most once. A repeated header is refused rather than guessed at.
fn single_header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<Option<&'h str>, ProofFailure> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(ProofFailure::BadHeader(name));
    }
    first.to_str().map(Some).map_err(|_| ProofFailure::BadHeader(name))
}
