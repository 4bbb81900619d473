//! The signed WOPI client: what Office for the web sends to a host, byte for byte where the docs say so, plus the
//! deliberate deviations the proof-key suites need.
//!
//! Every request carries the access token in the query string (`access_token=`), `Authorization: Bearer`, the
//! logging headers of `rest/common_headers.rst` (`X-WOPI-ClientVersion`, `X-WOPI-CorrelationId`,
//! `X-WOPI-SessionId`, `X-WOPI-MachineName`), and the proof headers of `online/scenarios/proofkeys.rst` signed over
//! exactly the URL put on the wire. File names go UTF-7 encoded as .NET writes them.
//!
//! The transport is bounded because the host under test is not trusted: a connect timeout and a total timeout
//! (the whole exchange, body included), a cap on response bodies checked against `Content-Length` before any byte
//! is read and again while streaming, and no redirects followed. Each way a host can fail at that level is one
//! [`ClientError`] variant. [`WopiClient::execute`] never panics and always returns the transcript entry, with the
//! token redacted from the URL, the headers and the body previews.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use url::Url;
use wopi_protocol::dotnet::bool_str;
use wopi_protocol::headers::{self as h, Override};
use wopi_protocol::ops::{self, Op};
use wopi_protocol::proof::{ProofKeyPair, ProofSigner, Ticks, sign_request};
use wopi_protocol::transcript::{self, Exchange, RecordedOutcome, RecordedRequest};

use crate::keys::{self, SharedKeys};

/// What the validator's ProofKey mutator puts in place of a signature: base64 of the ASCII text `INVALID`.
pub const INVALID_PROOF: &str = "SU5WQUxJRA==";

/// The most exchanges one client keeps; later ones are counted but not stored, so a runaway loop cannot exhaust
/// memory through the transcript.
pub const MAX_TRANSCRIPT_ENTRIES: usize = 10_000;

/// How the proof headers of one request are made.
///
/// The names follow the validator's ProofKeys cases (`online/scenarios/proofkeys.rst`, "Proof key tests"):
///
/// | mode | `X-WOPI-Proof` | `X-WOPI-ProofOld` | a host must |
/// |---|---|---|---|
/// | `Valid` | current key | old key | accept |
/// | `OldInvalid` | current key | invalid | accept |
/// | `Ahead` | next key (unknown to the host) | current key | accept |
/// | `Behind` | old key | invalid | accept |
/// | `CurrentInvalid` | invalid | old key | reject (500) |
/// | `BothInvalid` | invalid | invalid | reject (500) |
/// | `Unsigned` | absent | absent (no timestamp either) | reject if it verifies proofs |
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProofMode {
    /// Signed as Office signs: current key in `X-WOPI-Proof`, old key in `X-WOPI-ProofOld`.
    #[default]
    Valid,
    /// No proof headers and no timestamp (what Microsoft's command-line validator sends).
    Unsigned,
    /// `X-WOPI-Proof` invalid, `X-WOPI-ProofOld` signed with the old key (ProofKeys.CurrentInvalid.OldValidSignedWithOldKey).
    CurrentInvalid,
    /// `X-WOPI-Proof` valid, `X-WOPI-ProofOld` invalid (ProofKeys.CurrentValid.OldInvalid).
    OldInvalid,
    /// Both invalid (ProofKeys.CurrentInvalid.OldInvalid).
    BothInvalid,
    /// The client rotated before the host re-ran discovery: `X-WOPI-Proof` signed with the next key,
    /// `X-WOPI-ProofOld` with the current one (ProofKeys.CurrentInvalid.OldValidSignedWithCurrentKey).
    Ahead,
    /// The host has the new keys but the client machine still signs with the old one: `X-WOPI-Proof` signed with
    /// the old key, `X-WOPI-ProofOld` invalid (ProofKeys.CurrentValidSignedWithOldKey.OldInvalid).
    Behind,
    /// `X-WOPI-Proof` signed with the current key and no `X-WOPI-ProofOld` header at all.
    CurrentOnly,
    /// The given header values verbatim (`None` omits the header); the timestamp header is still sent.
    Literal {
        proof: Option<String>,
        proof_old: Option<String>,
    },
}

/// The proof of one request: a [`ProofMode`], and optionally a timestamp of any age or a URL to sign other than
/// the one sent (to test that hosts sign what they received).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProofSpec {
    pub mode: ProofMode,
    /// `X-WOPI-TimeStamp` and the signed timestamp; `None` means now.
    pub timestamp: Option<Ticks>,
    /// The URL the signatures cover; `None` means the URL sent.
    pub signed_url: Option<String>,
}

impl ProofSpec {
    /// Signed correctly, now.
    pub fn valid() -> ProofSpec {
        ProofSpec::default()
    }

    /// The given mode, now, over the URL sent.
    pub fn mode(mode: ProofMode) -> ProofSpec {
        ProofSpec {
            mode,
            ..ProofSpec::default()
        }
    }

    /// This spec with a fixed timestamp.
    pub fn at(mut self, timestamp: Ticks) -> ProofSpec {
        self.timestamp = Some(timestamp);
        self
    }

    /// This spec with a timestamp `age` in the past (a negative age is not representable; use [`ProofSpec::at`]
    /// for a future timestamp).
    pub fn aged(self, age: Duration) -> ProofSpec {
        let then = SystemTime::now().checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH);
        self.at(Ticks::from_system_time(then))
    }

    /// This spec signing `url` instead of the URL sent.
    pub fn signing_url(mut self, url: impl Into<String>) -> ProofSpec {
        self.signed_url = Some(url.into());
        self
    }
}

/// Transport settings. Every wait is bounded.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// TCP (and TLS) connection establishment.
    pub connect_timeout: Duration,
    /// The whole exchange: connect, send, headers and the full body.
    pub total_timeout: Duration,
    /// The largest response body accepted; a larger `Content-Length` is refused before reading.
    pub max_body_bytes: u64,
    /// `X-WOPI-ClientVersion`.
    pub client_version: String,
    /// `X-WOPI-MachineName`.
    pub machine_name: String,
    /// Also send the token as `Authorization: Bearer <token>` (`rest/common_headers.rst`), besides the query string.
    pub authorization_header: bool,
    /// Accept any TLS certificate (a development host with a self-signed certificate). Off by default.
    pub accept_invalid_certs: bool,
    /// Headers a client profile puts on every request (e.g. Collabora's `X-COOL-WOPI-ServerId`), after the
    /// defaults; see [`crate::profile::ClientProfile::client_config`].
    pub profile_headers: Vec<(String, String)>,
    /// Send `X-WOPI-MachineName` (Office does; Collabora and ONLYOFFICE do not).
    pub machine_name_header: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: 256 * 1024 * 1024,
            client_version: format!("16.0.0.0 (wopi-mock-office {})", env!("CARGO_PKG_VERSION")),
            machine_name: "WOPI-MOCK-OFFICE".to_string(),
            authorization_header: true,
            accept_invalid_certs: false,
            profile_headers: Vec::new(),
            machine_name_header: true,
        }
    }
}

/// Each way a request can fail below the WOPI level. A non-2xx status is not an error: it comes back as a
/// [`RawResponse`] for the caller to judge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The reqwest client could not be built (TLS backend initialisation).
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
    /// The URL is not an absolute http(s) URL.
    #[error("invalid URL `{url}`: {message}")]
    InvalidUrl { url: String, message: String },
    /// A header name or value cannot be sent (control characters, an empty name, ...).
    #[error("header `{name}` cannot be sent: {message}")]
    InvalidHeader { name: String, message: String },
    /// No connection: refused, unreachable, DNS, TLS handshake.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The host did not finish the exchange within the total timeout.
    #[error("no complete response within {} ms", after.as_millis())]
    Timeout { after: Duration },
    /// The response body is larger than allowed; `declared` is the `Content-Length` when that gave it away.
    #[error("response body exceeds the {limit}-byte limit{}", declared.map(|d| format!(" (Content-Length {d})")).unwrap_or_default())]
    BodyTooLarge { limit: u64, declared: Option<u64> },
    /// The host answered with a redirect; WOPI clients do not follow them. `location` has any access token
    /// redacted.
    #[error("redirect {status} to `{location}` (redirects are not followed)")]
    Redirect { status: u16, location: String },
    /// The connection broke or the host spoke malformed HTTP.
    #[error("transport failure: {0}")]
    Io(String),
    /// The body is not the JSON the caller expected.
    #[error("response is not valid JSON: {message}; body starts with: {preview:?}")]
    InvalidJson { message: String, preview: String },
}

/// Where a file is and the token to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WopiTarget {
    /// `https://host/wopi/files/<id>` (the WOPISrc), without `access_token`.
    pub wopisrc: Url,
    pub access_token: String,
}

impl WopiTarget {
    pub fn new(wopisrc: Url, access_token: impl Into<String>) -> WopiTarget {
        WopiTarget {
            wopisrc,
            access_token: access_token.into(),
        }
    }

    /// Splits a URL that carries its own `access_token` (PutRelativeFile's `Url`, a host page's link) into a
    /// target; `None` when it has no token.
    pub fn from_url_with_token(url: &Url) -> Option<WopiTarget> {
        let mut token = None;
        let mut rest = Vec::new();
        for (k, v) in url.query_pairs() {
            if k == "access_token" && token.is_none() {
                token = Some(v.into_owned());
            } else {
                rest.push((k.into_owned(), v.into_owned()));
            }
        }
        let token = token?;
        let mut wopisrc = url.clone();
        wopisrc.set_fragment(None);
        if rest.is_empty() {
            wopisrc.set_query(None);
        } else {
            wopisrc.query_pairs_mut().clear().extend_pairs(rest);
        }
        Some(WopiTarget {
            wopisrc,
            access_token: token,
        })
    }

    /// The request URL: the WOPISrc with `suffix` appended to its path (e.g. `/contents`) and the token added to
    /// the query string (form-encoded, after any query the WOPISrc already has).
    pub fn url(&self, suffix: &str) -> Url {
        let mut url = self.wopisrc.clone();
        if !suffix.is_empty() {
            let path = format!("{}{}", url.path().trim_end_matches('/'), suffix);
            url.set_path(&path);
        }
        url.query_pairs_mut().append_pair("access_token", &self.access_token);
        url
    }
}

/// One request exactly as it should go out (before the client adds its default and proof headers).
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// What the exchange is for, e.g. `Lock`; shown in transcripts.
    pub label: String,
    pub method: Method,
    /// The full URL, `access_token` query parameter included; it is what gets signed unless the proof says otherwise.
    pub url: Url,
    /// The token the proof is computed with (and sent as `Authorization: Bearer`).
    pub access_token: String,
    /// Extra headers; a header here replaces a default header of the same name (case-insensitive).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub proof: ProofSpec,
}

impl RawRequest {
    /// A request with no extra headers, an empty body and a valid proof.
    pub fn new(label: impl Into<String>, method: Method, url: Url, access_token: impl Into<String>) -> RawRequest {
        RawRequest {
            label: label.into(),
            method,
            url,
            access_token: access_token.into(),
            headers: Vec::new(),
            body: Bytes::new(),
            proof: ProofSpec::default(),
        }
    }

    /// A request to `target` (`suffix` appended to the WOPISrc path, token in the query).
    pub fn to_target(label: impl Into<String>, method: Method, target: &WopiTarget, suffix: &str) -> RawRequest {
        RawRequest::new(label, method, target.url(suffix), target.access_token.clone())
    }

    /// The request for catalogue operation `op` on `target`: its method, path and `X-WOPI-Override` as
    /// `protocol::ops` gives them, labelled with the operation's name.
    pub fn for_op(op: Op, target: &WopiTarget) -> RawRequest {
        let spec = op.spec();
        let method = match spec.method {
            ops::Method::Get => Method::GET,
            ops::Method::Post => Method::POST,
        };
        let req = RawRequest::to_target(op.name(), method, target, spec.path.suffix());
        match spec.override_op {
            Some(o) => req.override_op(o),
            None => req,
        }
    }

    /// Replaces the transcript label (e.g. `PutRelativeFile (suggested)`).
    pub fn label(mut self, label: impl Into<String>) -> RawRequest {
        self.label = label.into();
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> RawRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds `X-WOPI-Override`.
    pub fn override_op(self, op: Override) -> RawRequest {
        self.header(h::X_WOPI_OVERRIDE, op.as_str())
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> RawRequest {
        self.body = body.into();
        self
    }

    /// Sets the proof.
    pub fn proof(mut self, proof: ProofSpec) -> RawRequest {
        self.proof = proof;
        self
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The typed helpers return the same shape as [`WopiClient::execute`].
pub type WopiResponse = RawResponse;

impl RawResponse {
    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON; a clear error (with the start of the body) if it is not.
    pub fn json(&self) -> Result<serde_json::Value, ClientError> {
        self.json_as()
    }

    /// The body deserialised into `T`.
    pub fn json_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::InvalidJson {
            message: e.to_string(),
            preview: preview(&self.body, 120),
        })
    }
}

fn preview(body: &[u8], max: usize) -> String {
    let cut = body.len().min(max);
    String::from_utf8_lossy(&body[..cut]).into_owned()
}

/// The client's notion of now: the system clock plus a step that only grows.
///
/// A host under test whose clock was stepped forward (the embedded reference host's test clock, for lock and token
/// expiry) judges `X-WOPI-TimeStamp` by its own clock; a client that kept signing with the system time would look
/// hours stale to it. Stepping this clock by the same amount keeps the two in agreement. Clones share the step.
#[derive(Debug, Clone, Default)]
pub struct ClientClock {
    ahead_ms: Arc<AtomicU64>,
}

impl ClientClock {
    /// Moves this clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .ahead_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(v.saturating_add(ms)));
    }

    /// How far ahead of the system clock this clock is.
    pub fn ahead(&self) -> Duration {
        Duration::from_millis(self.ahead_ms.load(Ordering::SeqCst))
    }

    /// Now, by this clock.
    pub fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        now.checked_add(self.ahead()).unwrap_or(now)
    }
}

/// Which key of the ring signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KeyRole {
    Current,
    Old,
    Next,
}

/// The most signatures a [`SignatureMemo`] keeps before it starts again.
const MEMO_CAPACITY: usize = 1024;

/// Signatures already made, by key and message.
///
/// RSA PKCS#1 v1.5 signatures are deterministic, so the same key over the same (token, URL, timestamp) always
/// gives the same proof: a repeat needs no second private-key operation (about 0.25 ms each, most of a run's CPU).
/// Requests only share a timestamp when the caller fixes it, as a lock race does for its burst of simultaneous
/// editors; ordinary requests are stamped with the current time and simply miss. Keyed by the ring's generation,
/// so a rotation never serves a signature of a retired key.
#[derive(Debug, Default)]
struct SignatureMemo {
    map: Mutex<std::collections::HashMap<MemoKey, String>>,
}

/// (key ring generation, which key, signed message).
type MemoKey = (u64, KeyRole, Vec<u8>);

impl SignatureMemo {
    fn sign(&self, generation: u64, role: KeyRole, pair: &ProofKeyPair, message: &[u8]) -> String {
        let key = (generation, role, message.to_vec());
        // A poisoned map still holds only complete entries.
        if let Some(hit) = self.map.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return hit.clone();
        }
        // Signed outside the lock: concurrent misses may sign the same message twice, which is harmless.
        let signature = pair.sign(message);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MEMO_CAPACITY {
            map.clear();
        }
        map.insert(key, signature.clone());
        signature
    }
}

/// What signs one proof header: a key of the ring (through the memo), or a fixed value a [`ProofMode`] asks for.
enum Signer<'a> {
    Key {
        memo: &'a SignatureMemo,
        generation: u64,
        role: KeyRole,
        pair: &'a ProofKeyPair,
    },
    Fixed(String),
}

impl ProofSigner for Signer<'_> {
    fn sign_proof(&self, message: &[u8]) -> String {
        match self {
            Signer::Key {
                memo,
                generation,
                role,
                pair,
            } => memo.sign(*generation, *role, pair, message),
            Signer::Fixed(value) => value.clone(),
        }
    }
}

/// The signed WOPI client. Cloning shares the connection pool, the key ring, the session id and the transcript;
/// [`WopiClient::new_session`] starts a separate editor session (new `X-WOPI-SessionId`, own transcript).
#[derive(Debug, Clone)]
pub struct WopiClient {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    keys: SharedKeys,
    session_id: String,
    transcript: Arc<Mutex<Vec<Exchange>>>,
    clock: ClientClock,
    signatures: Arc<SignatureMemo>,
}

impl WopiClient {
    /// Builds a client that signs with `keys`.
    pub fn new(config: ClientConfig, keys: SharedKeys) -> Result<WopiClient, ClientError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            // A backstop; the exchange as a whole is also bounded by `tokio::time::timeout` in `execute`.
            .timeout(config.total_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            // The host under test is reached directly, never through a proxy from the environment.
            .no_proxy()
            .tls_danger_accept_invalid_certs(config.accept_invalid_certs)
            .user_agent(concat!("wopi-mock-office/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Build(error_chain(&e)))?;
        Ok(WopiClient {
            http,
            config: Arc::new(config),
            keys,
            session_id: uuid::Uuid::new_v4().to_string(),
            transcript: Arc::new(Mutex::new(Vec::new())),
            clock: ClientClock::default(),
            signatures: Arc::new(SignatureMemo::default()),
        })
    }

    /// The same client (connections, keys, signatures, clock) with a different cap on response bodies. Cheaper than
    /// [`WopiClient::new`], which builds a new connection pool and loads the system's TLS roots.
    pub fn with_max_body_bytes(&self, max_body_bytes: u64) -> WopiClient {
        WopiClient {
            config: Arc::new(ClientConfig {
                max_body_bytes,
                ..(*self.config).clone()
            }),
            ..self.clone()
        }
    }

    /// The same client signing by `clock` (shared with whoever steps it).
    pub fn with_clock(mut self, clock: ClientClock) -> WopiClient {
        self.clock = clock;
        self
    }

    /// The clock proofs are timestamped by when a [`ProofSpec`] gives no time.
    pub fn clock(&self) -> &ClientClock {
        &self.clock
    }

    /// A client for another editor session: same connections and keys, a new `X-WOPI-SessionId`, an empty
    /// transcript of its own.
    pub fn new_session(&self) -> WopiClient {
        WopiClient {
            session_id: uuid::Uuid::new_v4().to_string(),
            transcript: Arc::new(Mutex::new(Vec::new())),
            ..self.clone()
        }
    }

    /// The key ring this client signs with.
    pub fn keys(&self) -> &SharedKeys {
        &self.keys
    }

    /// The transport settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The `X-WOPI-SessionId` this client sends.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Removes and returns the exchanges recorded by [`WopiClient::send`] and the typed helpers.
    pub fn take_transcript(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.lock_transcript())
    }

    /// A copy of the exchanges recorded so far.
    pub fn transcript(&self) -> Vec<Exchange> {
        self.lock_transcript().clone()
    }

    fn lock_transcript(&self) -> std::sync::MutexGuard<'_, Vec<Exchange>> {
        // A poisoned transcript is still a valid list of complete entries (each push is one operation).
        self.transcript.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, exchange: Exchange) {
        let mut t = self.lock_transcript();
        if t.len() < MAX_TRANSCRIPT_ENTRIES {
            t.push(exchange);
        }
    }

    /// The headers the client adds to every request, before proofs and the caller's own headers.
    fn default_headers(&self, token: &str) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(6);
        if self.config.authorization_header {
            out.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
        out.push((h::X_WOPI_CLIENT_VERSION.to_string(), self.config.client_version.clone()));
        if self.config.machine_name_header {
            out.push((h::X_WOPI_MACHINE_NAME.to_string(), self.config.machine_name.clone()));
        }
        out.push((h::X_WOPI_CORRELATION_ID.to_string(), uuid::Uuid::new_v4().to_string()));
        out.push((h::X_WOPI_SESSION_ID.to_string(), self.session_id.clone()));
        out.extend(self.config.profile_headers.iter().cloned());
        out
    }

    /// The proof headers for `spec` over `url` and `token`, signed through [`sign_request`] as any client signs.
    fn proof_headers(&self, spec: &ProofSpec, url: &str, token: &str) -> Vec<(String, String)> {
        if spec.mode == ProofMode::Unsigned {
            return Vec::new();
        }
        let timestamp = spec
            .timestamp
            .unwrap_or_else(|| Ticks::from_system_time(self.clock.now()));
        let signed_url = spec.signed_url.as_deref().unwrap_or(url);
        // Copy the keys out so the lock is not held while signing (a few milliseconds each).
        let (generation, current, old, next): (u64, ProofKeyPair, ProofKeyPair, ProofKeyPair) = {
            let ring = keys::read(&self.keys);
            let current = ring.current().clone();
            let old = ring.old().cloned().unwrap_or_else(|| current.clone());
            (ring.generation(), current, old, ring.next().clone())
        };
        let key = |role: KeyRole| {
            let pair = match role {
                KeyRole::Current => &current,
                KeyRole::Old => &old,
                KeyRole::Next => &next,
            };
            Signer::Key {
                memo: &self.signatures,
                generation,
                role,
                pair,
            }
        };
        let invalid = || Signer::Fixed(INVALID_PROOF.to_string());
        let (proof, proof_old) = match &spec.mode {
            ProofMode::Unsigned => return Vec::new(),
            ProofMode::Valid => (key(KeyRole::Current), Some(key(KeyRole::Old))),
            ProofMode::CurrentInvalid => (invalid(), Some(key(KeyRole::Old))),
            ProofMode::OldInvalid => (key(KeyRole::Current), Some(invalid())),
            ProofMode::BothInvalid => (invalid(), Some(invalid())),
            ProofMode::Ahead => (key(KeyRole::Next), Some(key(KeyRole::Current))),
            ProofMode::Behind => (key(KeyRole::Old), Some(invalid())),
            ProofMode::CurrentOnly => (key(KeyRole::Current), None),
            ProofMode::Literal { proof, proof_old } => (
                Signer::Fixed(proof.clone().unwrap_or_default()),
                proof_old.clone().map(Signer::Fixed),
            ),
        };
        // `Literal { proof: None, .. }` omits X-WOPI-Proof, which a well-behaved signer never does.
        let omit_proof = matches!(spec.mode, ProofMode::Literal { proof: None, .. });
        sign_request(&proof, proof_old.as_ref(), token, signed_url, timestamp)
            .header_pairs()
            .into_iter()
            .filter(|(name, _)| !(omit_proof && *name == h::X_WOPI_PROOF))
            .map(|(name, value)| (name.to_string(), value))
            .collect()
    }

    /// The complete header list for `req`: defaults, then proofs, then the caller's headers replacing any default
    /// of the same name.
    pub fn headers_for(&self, req: &RawRequest) -> Vec<(String, String)> {
        let mut headers = self.default_headers(&req.access_token);
        headers.extend(self.proof_headers(&req.proof, req.url.as_str(), &req.access_token));
        for (name, _) in &req.headers {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
        headers.extend(req.headers.iter().cloned());
        headers
    }

    /// Sends `req` and returns the outcome together with its transcript entry. Never panics; the entry is
    /// returned whatever happened. Nothing is added to the client's own transcript (see [`WopiClient::send`]).
    pub async fn execute(&self, req: RawRequest) -> (Result<RawResponse, ClientError>, Exchange) {
        let started = Instant::now();
        let headers = self.headers_for(&req);
        let mut recorded = RecordedRequest {
            method: req.method.to_string(),
            url: transcript::redact_url(req.url.as_str()),
            headers: Vec::with_capacity(headers.len()),
            body_size: req.body.len() as u64,
            body_preview: transcript::body_preview(&req.body, Some(&req.access_token)),
        };
        for (name, value) in &headers {
            recorded.record_header(name, value, &req.access_token);
        }
        let result = self.exchange(&req, headers).await;
        let outcome = match &result {
            Ok(resp) => response_outcome(resp, &req.access_token),
            Err(ClientError::Redirect { status, location }) => RecordedOutcome::Response {
                status: *status,
                headers: vec![("Location".to_string(), location.clone())],
                body_size: 0,
                body_preview: String::new(),
            },
            Err(e) => RecordedOutcome::TransportError {
                message: transcript::redact_secret(&e.to_string(), &req.access_token),
            },
        };
        let exchange = Exchange {
            label: req.label.clone(),
            request: recorded,
            outcome,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        (result, exchange)
    }

    /// [`WopiClient::execute`], recording the exchange in this client's transcript.
    pub async fn send(&self, req: RawRequest) -> Result<RawResponse, ClientError> {
        let (result, exchange) = self.execute(req).await;
        self.record(exchange);
        result
    }

    async fn exchange(&self, req: &RawRequest, headers: Vec<(String, String)>) -> Result<RawResponse, ClientError> {
        if !matches!(req.url.scheme(), "http" | "https") {
            return Err(ClientError::InvalidUrl {
                url: transcript::redact_url(req.url.as_str()),
                message: "only http and https are supported".to_string(),
            });
        }
        let mut builder = self.http.request(req.method.clone(), req.url.clone());
        for (name, value) in headers {
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| ClientError::InvalidHeader {
                name: name.clone(),
                message: e.to_string(),
            })?;
            // `from_bytes` admits non-ASCII (obs-text), so a test can send a raw UTF-8 name on purpose.
            let header_value = HeaderValue::from_bytes(value.as_bytes()).map_err(|e| ClientError::InvalidHeader {
                name: name.clone(),
                message: e.to_string(),
            })?;
            builder = builder.header(header_name, header_value);
        }
        if !req.body.is_empty() || req.method == Method::POST || req.method == Method::PUT {
            builder = builder.body(req.body.clone());
        }
        let limit = self.config.max_body_bytes;
        let total = self.config.total_timeout;
        let work = async move {
            let mut resp = builder.send().await.map_err(|e| classify(e, total))?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            if (300..400).contains(&status)
                && let Some(location) = headers.get(http::header::LOCATION)
            {
                // The Location may carry the access token back; errors end up in reports, so redact it here.
                return Err(ClientError::Redirect {
                    status,
                    location: transcript::redact_url(&String::from_utf8_lossy(location.as_bytes())),
                });
            }
            let declared = headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if let Some(len) = declared.filter(|&len| len > limit) {
                return Err(ClientError::BodyTooLarge {
                    limit,
                    declared: Some(len),
                });
            }
            let capacity = declared.unwrap_or(0).min(1024 * 1024) as usize;
            let mut body = BytesMut::with_capacity(capacity);
            while let Some(chunk) = resp.chunk().await.map_err(|e| classify(e, total))? {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(ClientError::BodyTooLarge { limit, declared });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawResponse {
                status,
                headers,
                body: body.freeze(),
            })
        };
        match tokio::time::timeout(total, work).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout { after: total }),
        }
    }

    // ---- typed helpers: one per WOPI file operation, recorded in the client's transcript ----

    /// CheckFileInfo: `GET /wopi/files/(id)`.
    pub async fn check_file_info(&self, t: &WopiTarget) -> Result<WopiResponse, ClientError> {
        self.send(RawRequest::for_op(Op::CheckFileInfo, t)).await
    }

    /// GetFile: `GET /wopi/files/(id)/contents`, with `X-WOPI-MaxExpectedSize` if given.
    pub async fn get_file(&self, t: &WopiTarget, max_expected: Option<u64>) -> Result<WopiResponse, ClientError> {
        let mut req = RawRequest::for_op(Op::GetFile, t);
        if let Some(max) = max_expected {
            req = req.header(h::X_WOPI_MAX_EXPECTED_SIZE, max.to_string());
        }
        self.send(req).await
    }

    /// PutFile: `POST /wopi/files/(id)/contents` with `X-WOPI-Override: PUT`.
    pub async fn put_file(
        &self,
        t: &WopiTarget,
        lock: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Result<WopiResponse, ClientError> {
        let mut req = RawRequest::for_op(Op::PutFile, t).body(body);
        if let Some(lock) = lock {
            req = req.header(h::X_WOPI_LOCK, lock);
        }
        self.send(req).await
    }

    fn lock_request(op: Op, t: &WopiTarget, lock: &str) -> RawRequest {
        RawRequest::for_op(op, t).header(h::X_WOPI_LOCK, lock)
    }

    /// Lock: `X-WOPI-Override: LOCK`.
    pub async fn lock(&self, t: &WopiTarget, lock: &str) -> Result<WopiResponse, ClientError> {
        self.send(Self::lock_request(Op::Lock, t, lock)).await
    }

    /// Unlock: `X-WOPI-Override: UNLOCK`.
    pub async fn unlock(&self, t: &WopiTarget, lock: &str) -> Result<WopiResponse, ClientError> {
        self.send(Self::lock_request(Op::Unlock, t, lock)).await
    }

    /// RefreshLock: `X-WOPI-Override: REFRESH_LOCK`.
    pub async fn refresh_lock(&self, t: &WopiTarget, lock: &str) -> Result<WopiResponse, ClientError> {
        self.send(Self::lock_request(Op::RefreshLock, t, lock)).await
    }

    /// UnlockAndRelock: `X-WOPI-Override: LOCK` with `X-WOPI-OldLock`.
    pub async fn unlock_and_relock(
        &self,
        t: &WopiTarget,
        new_lock: &str,
        old_lock: &str,
    ) -> Result<WopiResponse, ClientError> {
        let req = Self::lock_request(Op::UnlockAndRelock, t, new_lock).header(h::X_WOPI_OLD_LOCK, old_lock);
        self.send(req).await
    }

    /// GetLock: `X-WOPI-Override: GET_LOCK`.
    pub async fn get_lock(&self, t: &WopiTarget) -> Result<WopiResponse, ClientError> {
        self.send(RawRequest::for_op(Op::GetLock, t)).await
    }

    /// PutRelativeFile in suggested mode: `X-WOPI-SuggestedTarget` (an extension like `.docx` or a full name),
    /// UTF-7 encoded.
    pub async fn put_relative_suggested(
        &self,
        t: &WopiTarget,
        suggested: &str,
        body: impl Into<Bytes>,
    ) -> Result<WopiResponse, ClientError> {
        let body = body.into();
        let req = RawRequest::for_op(Op::PutRelativeFile, t)
            .label("PutRelativeFile (suggested)")
            .header(h::X_WOPI_SUGGESTED_TARGET, wopi_protocol::utf7::encode(suggested))
            .header(h::X_WOPI_SIZE, body.len().to_string())
            .body(body);
        self.send(req).await
    }

    /// PutRelativeFile as the `convert` action sends it (`online/scenarios/conversion.rst`): suggested mode with the
    /// new extension (e.g. `.docx`) and `X-WOPI-FileConversion`.
    pub async fn put_relative_conversion(
        &self,
        t: &WopiTarget,
        new_extension: &str,
        body: impl Into<Bytes>,
    ) -> Result<WopiResponse, ClientError> {
        let body = body.into();
        let req = RawRequest::for_op(Op::PutRelativeFile, t)
            .label("PutRelativeFile (conversion)")
            .header(h::X_WOPI_SUGGESTED_TARGET, wopi_protocol::utf7::encode(new_extension))
            .header(h::X_WOPI_SIZE, body.len().to_string())
            .header(h::X_WOPI_FILE_CONVERSION, bool_str(true))
            .body(body);
        self.send(req).await
    }

    /// PutRelativeFile in relative mode: `X-WOPI-RelativeTarget` (UTF-7) and `X-WOPI-OverwriteRelativeTarget`.
    pub async fn put_relative_relative(
        &self,
        t: &WopiTarget,
        name: &str,
        overwrite: bool,
        body: impl Into<Bytes>,
    ) -> Result<WopiResponse, ClientError> {
        let body = body.into();
        let req = RawRequest::for_op(Op::PutRelativeFile, t)
            .label("PutRelativeFile (relative)")
            .header(h::X_WOPI_RELATIVE_TARGET, wopi_protocol::utf7::encode(name))
            .header(h::X_WOPI_OVERWRITE_RELATIVE_TARGET, bool_str(overwrite))
            .header(h::X_WOPI_SIZE, body.len().to_string())
            .body(body);
        self.send(req).await
    }

    /// RenameFile: `X-WOPI-RequestedName` (the new name without extension, UTF-7) and the lock if any.
    pub async fn rename_file(
        &self,
        t: &WopiTarget,
        requested_name: &str,
        lock: Option<&str>,
    ) -> Result<WopiResponse, ClientError> {
        let mut req = RawRequest::for_op(Op::RenameFile, t)
            .header(h::X_WOPI_REQUESTED_NAME, wopi_protocol::utf7::encode(requested_name));
        if let Some(lock) = lock {
            req = req.header(h::X_WOPI_LOCK, lock);
        }
        self.send(req).await
    }

    /// DeleteFile: `X-WOPI-Override: DELETE`.
    pub async fn delete_file(&self, t: &WopiTarget) -> Result<WopiResponse, ClientError> {
        self.send(RawRequest::for_op(Op::DeleteFile, t)).await
    }

    /// PutUserInfo: `X-WOPI-Override: PUT_USER_INFO` with the info string as the body.
    pub async fn put_user_info(&self, t: &WopiTarget, info: &str) -> Result<WopiResponse, ClientError> {
        let req = RawRequest::for_op(Op::PutUserInfo, t).body(Bytes::copy_from_slice(info.as_bytes()));
        self.send(req).await
    }

    /// GetShareUrl: `X-WOPI-Override: GET_SHARE_URL` with `X-WOPI-UrlType` (`ReadOnly` or `ReadWrite`).
    pub async fn get_share_url(&self, t: &WopiTarget, url_type: &str) -> Result<WopiResponse, ClientError> {
        let req = RawRequest::for_op(Op::GetShareUrl, t).header(h::X_WOPI_URL_TYPE, url_type);
        self.send(req).await
    }

    /// EnumerateAncestors: `GET /wopi/files/(id)/ancestry`.
    pub async fn enumerate_ancestors(&self, t: &WopiTarget) -> Result<WopiResponse, ClientError> {
        self.send(RawRequest::for_op(Op::EnumerateAncestors, t)).await
    }
}

fn response_outcome(resp: &RawResponse, token: &str) -> RecordedOutcome {
    RecordedOutcome::Response {
        status: resp.status,
        headers: resp
            .headers
            .iter()
            .map(|(n, v)| {
                transcript::redact_header_and_secret(n.as_str(), &String::from_utf8_lossy(v.as_bytes()), token)
            })
            .collect(),
        body_size: resp.body.len() as u64,
        body_preview: transcript::body_preview(&resp.body, Some(token)),
    }
}

/// Maps a reqwest error to the variant a report can explain.
fn classify(e: reqwest::Error, total: Duration) -> ClientError {
    // reqwest puts the request URL (with the access token) into its messages; errors end up in reports.
    let e = e.without_url();
    let detail = error_chain(&e);
    if e.is_timeout() {
        // reqwest's own timeout is set to the same total as ours; report it the same way.
        ClientError::Timeout { after: total }
    } else if e.is_connect() {
        ClientError::Connect(detail)
    } else if e.is_builder() {
        ClientError::InvalidUrl {
            url: String::new(),
            message: detail,
        }
    } else {
        ClientError::Io(detail)
    }
}

/// The error and its sources on one line (reqwest's Display alone hides the cause).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyRing;
    use wopi_protocol::proof::{ProofAccepted, ProofHeaders, verify};

    fn client() -> WopiClient {
        WopiClient::new(ClientConfig::default(), KeyRing::fixed().expect("keys").shared()).expect("client")
    }

    fn target() -> WopiTarget {
        WopiTarget::new(
            Url::parse("http://127.0.0.1:9/wopi/files/abc").expect("url"),
            "tok en+/=",
        )
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn verify_headers(c: &WopiClient, req: &RawRequest) -> Result<ProofAccepted, wopi_protocol::proof::ProofError> {
        let headers = c.headers_for(req);
        let ph = ProofHeaders::from_values(
            header(&headers, h::X_WOPI_PROOF),
            header(&headers, h::X_WOPI_PROOF_OLD),
            header(&headers, h::X_WOPI_TIMESTAMP),
        )?;
        let keys = keys::read(c.keys()).proof_keys();
        verify(&keys, &ph, &req.access_token, req.url.as_str(), SystemTime::now())
    }

    #[test]
    fn a_repeated_fixed_timestamp_reuses_the_signature_until_the_keys_rotate() {
        let c = client();
        let at = Ticks::from_system_time(SystemTime::now());
        let req = || RawRequest::new("GetLock", Method::POST, target().url(""), "tok").proof(ProofSpec::valid().at(at));
        let proof_of = |c: &WopiClient| {
            let headers = c.headers_for(&req());
            (
                header(&headers, h::X_WOPI_PROOF).map(str::to_owned),
                header(&headers, h::X_WOPI_PROOF_OLD).map(str::to_owned),
            )
        };
        let first = proof_of(&c);
        assert_eq!(proof_of(&c.new_session()), first);
        assert!(verify_headers(&c, &req()).is_ok());
        keys::write(c.keys()).rotate().unwrap();
        let rotated = proof_of(&c);
        assert_ne!(
            rotated.0, first.0,
            "a rotation must not serve the retired key's signature"
        );
        // After the rotation the old key signs ProofOld: it is the key that signed Proof before.
        assert_eq!(rotated.1, first.0);
        assert!(verify_headers(&c, &req()).is_ok());
    }

    #[test]
    fn a_stepped_clock_timestamps_proofs_ahead_and_clones_share_the_step() {
        let c = client();
        let session = c.new_session();
        c.clock().advance(Duration::from_secs(3 * 3600));
        let req = RawRequest::new("CheckFileInfo", Method::GET, target().url(""), "tok");
        // Judged at the system time the proof is three hours in the future: refused.
        assert!(verify_headers(&session, &req).is_err());
        let headers = session.headers_for(&req);
        let ph = ProofHeaders::from_values(
            header(&headers, h::X_WOPI_PROOF),
            header(&headers, h::X_WOPI_PROOF_OLD),
            header(&headers, h::X_WOPI_TIMESTAMP),
        )
        .unwrap();
        let keys = keys::read(session.keys()).proof_keys();
        let host_now = SystemTime::now() + Duration::from_secs(3 * 3600);
        assert!(verify(&keys, &ph, "tok", req.url.as_str(), host_now).is_ok());
        assert!(session.clock().ahead() >= Duration::from_secs(3 * 3600));
    }

    #[test]
    fn target_urls_carry_the_token_in_the_query() {
        let t = target();
        assert_eq!(
            t.url("/contents").as_str(),
            "http://127.0.0.1:9/wopi/files/abc/contents?access_token=tok+en%2B%2F%3D"
        );
        let back = WopiTarget::from_url_with_token(&t.url("")).expect("token found");
        assert_eq!(back, t);
        let with_query = WopiTarget::new(Url::parse("http://h/wopi/files/1?x=y").expect("url"), "t");
        assert_eq!(
            with_query.url("/contents").as_str(),
            "http://h/wopi/files/1/contents?x=y&access_token=t"
        );
    }

    #[test]
    fn each_proof_mode_is_accepted_or_rejected_as_the_docs_say() {
        let c = client();
        let base = RawRequest::to_target("CheckFileInfo", Method::GET, &target(), "");
        let case = |mode: ProofMode| verify_headers(&c, &base.clone().proof(ProofSpec::mode(mode)));
        assert_eq!(case(ProofMode::Valid).expect("valid"), ProofAccepted::CurrentKey);
        assert_eq!(
            case(ProofMode::OldInvalid).expect("old invalid"),
            ProofAccepted::CurrentKey
        );
        assert_eq!(
            case(ProofMode::Ahead).expect("ahead"),
            ProofAccepted::ProofOldWithCurrentKey
        );
        assert_eq!(case(ProofMode::Behind).expect("behind"), ProofAccepted::ProofWithOldKey);
        assert!(case(ProofMode::CurrentInvalid).is_err());
        assert!(case(ProofMode::BothInvalid).is_err());
        assert!(case(ProofMode::Unsigned).is_err());
    }

    #[test]
    fn an_old_timestamp_or_another_url_fails_verification() {
        let c = client();
        let base = RawRequest::to_target("CheckFileInfo", Method::GET, &target(), "");
        let old = base
            .clone()
            .proof(ProofSpec::valid().aged(Duration::from_secs(21 * 60)));
        assert!(verify_headers(&c, &old).is_err());
        let recent = base.clone().proof(ProofSpec::valid().aged(Duration::from_secs(60)));
        assert!(verify_headers(&c, &recent).is_ok());
        let other = base.proof(ProofSpec::valid().signing_url("http://127.0.0.1:9/wopi/files/other?access_token=x"));
        assert!(verify_headers(&c, &other).is_err());
    }

    #[test]
    fn explicit_headers_replace_defaults_and_unsigned_sends_no_timestamp() {
        let c = client();
        let req = RawRequest::to_target("x", Method::GET, &target(), "")
            .header("x-wopi-machinename", "OTHER")
            .proof(ProofSpec::mode(ProofMode::Unsigned));
        let headers = c.headers_for(&req);
        assert_eq!(header(&headers, h::X_WOPI_MACHINE_NAME), Some("OTHER"));
        assert_eq!(
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(h::X_WOPI_MACHINE_NAME))
                .count(),
            1
        );
        assert_eq!(header(&headers, h::X_WOPI_TIMESTAMP), None);
        assert_eq!(header(&headers, h::X_WOPI_PROOF), None);
        assert_eq!(header(&headers, h::X_WOPI_SESSION_ID), Some(c.session_id()));
        assert_eq!(header(&headers, "Authorization"), Some("Bearer tok en+/="));
        assert_ne!(c.new_session().session_id(), c.session_id());
    }

    #[test]
    fn json_errors_say_what_the_body_was() {
        let resp = RawResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"{\"a\": "),
        };
        match resp.json() {
            Err(ClientError::InvalidJson { preview, .. }) => assert_eq!(preview, "{\"a\": "),
            other => panic!("expected InvalidJson, got {other:?}"),
        }
    }
}
