//! The HTTP side of the mock: `/hosting/discovery` shaped like Office for the web's (`online/discovery.rst`), the
//! editor frame at every action's `urlsrc`, and admin endpoints under `/admin/`.
//!
//! Discovery has one net-zone named after the scheme (`internal-http` for a plain-HTTP mock, `external-https`
//! behind TLS, as Office names its zones), with the apps Word, Excel, PowerPoint and WopiTest (`.wopitest`), each
//! action's `urlsrc` pointing back here with the documented `<name=PLACEHOLDER&>` parameters, and a `proof-key`
//! element carrying the current and old public keys in both forms (CSP blob, modulus/exponent).
//!
//! Admin endpoints change the keys and drive the frame; they answer loopback peers, or anyone presenting the
//! configured secret in [`ADMIN_SECRET_HEADER`] (the mock may listen on a LAN address for a host in a VM).
//!
//! | route | what |
//! |---|---|
//! | `GET /hosting/discovery` | the discovery XML of the configured [`ClientProfile`] |
//! | `GET /hosting/capabilities` | Collabora's capabilities JSON (Collabora and ONLYOFFICE profiles; 404 for Office) |
//! | `GET /health` | `ok` |
//! | `GET, POST /office/{app}/{action}` | the editor frame (see [`crate::frame`]) |
//! | `GET /admin/keys` | public keys and generation |
//! | `POST /admin/keys/rotate`, `/admin/keys/fresh`, `/admin/keys/fixed` | rotation, new keys, back to the fixed keys |
//! | `GET /admin/frames`, `GET /admin/frame/{session}` (`latest` works) | what a frame received |
//! | `POST /admin/frame/{session}/send` | make the frame post a message to the host page |
//! | `POST /admin/frame/{session}/close` | end the frame's edit session (unlock), see [`MockConfig::frame_editing`] |

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;
use wopi_protocol::discovery::Discovery;
use wopi_protocol::proof::{ProofKeys, ProofPublicKey};

use crate::MockError;
use crate::client::{ClientConfig, ClientError, WopiClient};
use crate::frame::{self, FrameCommand, FrameReport, FrameState, FrameStore, FrameSummary, SendError};
use crate::keys::{self, KeyRing, SharedKeys};
use crate::profile::ClientProfile;

/// The header carrying the admin secret for peers that are not on loopback.
pub const ADMIN_SECRET_HEADER: &str = "X-Mock-Admin-Secret";

/// The path of the discovery document.
pub const DISCOVERY_PATH: &str = "hosting/discovery";

/// Where the keys come from.
#[derive(Debug, Clone, Default)]
pub enum KeySource {
    /// The fixed test keys in `fixtures/proof-keys/` (a host configured once keeps trusting the mock).
    #[default]
    Fixed,
    /// Newly generated keys.
    Fresh,
    /// A ring shared with the caller (e.g. the harness's own clients).
    Shared(SharedKeys),
}

/// How the mock runs.
#[derive(Debug, Clone)]
pub struct MockConfig {
    pub keys: KeySource,
    /// The base URL put into discovery; `None` means `http://<listener address>/`.
    pub public_base_url: Option<Url>,
    /// A second origin on the same listener for the frame's "untrusted" nested iframe; `None` means the other
    /// loopback spelling (`localhost` for `127.0.0.1` and back).
    pub untrusted_base_url: Option<Url>,
    /// Lets non-loopback peers use the admin endpoints with [`ADMIN_SECRET_HEADER`].
    pub admin_secret: Option<String>,
    /// Transport settings of the frame's server-side WOPI calls.
    pub frame_client: ClientConfig,
    /// Make the frame behave like an editor after CheckFileInfo: GetFile for every action, and for `edit` and
    /// `editnew` a Lock held until the frame sends `UI_Close` or `POST /admin/frame/{session}/close` (editnew on
    /// an empty file writes a template first). Off by default: then the frame only calls CheckFileInfo.
    pub frame_editing: bool,
    /// The client whose discovery (and `/hosting/capabilities`) the mock serves; see [`crate::profile`].
    pub profile: ClientProfile,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            keys: KeySource::Fixed,
            public_base_url: None,
            untrusted_base_url: None,
            admin_secret: None,
            frame_client: ClientConfig {
                total_timeout: Duration::from_secs(15),
                ..ClientConfig::default()
            },
            frame_editing: false,
            profile: ClientProfile::Office,
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) keys: SharedKeys,
    pub(crate) base_url: Url,
    pub(crate) admin_secret: Option<Arc<str>>,
    pub(crate) profile: ClientProfile,
    /// What the frame's pages use ([`frame::routes`] takes it out through [`FromRef`]).
    pub(crate) frame: FrameState,
}

impl FromRef<AppState> for FrameState {
    fn from_ref(state: &AppState) -> FrameState {
        state.frame.clone()
    }
}

/// The mock Office server.
pub struct MockOffice;

/// A running mock. Dropping it stops the server too; [`MockOfficeHandle::shutdown`] also waits for it.
pub struct MockOfficeHandle {
    /// `http://127.0.0.1:PORT/` (or the configured public base), always ending in `/`.
    pub base_url: Url,
    /// `<base>/hosting/discovery`.
    pub discovery_url: Url,
    /// The other origin of the same server, for the frame's untrusted nested iframe.
    pub untrusted_base_url: Url,
    /// The address actually bound.
    pub local_addr: SocketAddr,
    /// The key ring discovery publishes and clients sign with.
    pub keys: SharedKeys,
    state: AppState,
    client_config: ClientConfig,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockOffice {
    /// Starts serving on `listener` (in the current tokio runtime) and returns at once.
    pub fn start(listener: TcpListener, config: MockConfig) -> Result<MockOfficeHandle, MockError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MockError::NoRuntime)?;
        let local_addr = listener.local_addr()?;
        let keys = match config.keys {
            KeySource::Fixed => KeyRing::fixed()?.shared(),
            KeySource::Fresh => KeyRing::fresh()?.shared(),
            KeySource::Shared(k) => k,
        };
        let base_url = match config.public_base_url {
            Some(u) => with_trailing_slash(u),
            None => Url::parse(&format!("http://{}/", reachable(local_addr)))
                .map_err(|e| MockError::BaseUrl(e.to_string()))?,
        };
        let untrusted_base_url = match config.untrusted_base_url {
            Some(u) => with_trailing_slash(u),
            None => other_loopback_spelling(&base_url)?,
        };
        let discovery_url = base_url
            .join(DISCOVERY_PATH)
            .map_err(|e| MockError::BaseUrl(e.to_string()))?;
        let state = AppState {
            keys: keys.clone(),
            base_url: base_url.clone(),
            admin_secret: config.admin_secret.map(Arc::from),
            profile: config.profile,
            frame: FrameState {
                untrusted_base_url: untrusted_base_url.clone(),
                frames: FrameStore::default(),
                client: WopiClient::new(config.frame_client.clone(), keys.clone())?,
                frame_editing: config.frame_editing,
                profile: config.profile,
            },
        };
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = runtime.spawn(async move {
            let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    // Either an explicit shutdown or the handle being dropped.
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "mock Office server stopped");
            }
        });
        tracing::info!(%base_url, "mock Office listening");
        Ok(MockOfficeHandle {
            base_url,
            discovery_url,
            untrusted_base_url,
            local_addr,
            keys,
            state,
            client_config: config.frame_client,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

impl MockOfficeHandle {
    /// Rotates the keys: next becomes current, current becomes old (`online/scenarios/proofkeys.rst`).
    pub fn rotate_keys(&self) -> Result<(), MockError> {
        keys::write(&self.keys).rotate()
    }

    /// Replaces every key with a newly generated one.
    pub fn use_fresh_keys(&self) -> Result<(), MockError> {
        let fresh = KeyRing::fresh()?;
        keys::write(&self.keys).replace_with(fresh);
        Ok(())
    }

    /// Goes back to the fixed test keys.
    pub fn use_fixed_keys(&self) -> Result<(), MockError> {
        let fixed = KeyRing::fixed()?;
        keys::write(&self.keys).replace_with(fixed);
        Ok(())
    }

    /// The clock the frame's WOPI calls are timestamped by. Step it together with a host's test clock, or the host
    /// judges the frame's proofs stale.
    pub fn frame_clock(&self) -> &crate::client::ClientClock {
        self.state.frame.client.clock()
    }

    /// A WOPI client that signs with this mock's keys (so hosts that trust this discovery accept it).
    pub fn client(&self, config: ClientConfig) -> Result<WopiClient, ClientError> {
        WopiClient::new(config, self.keys.clone())
    }

    /// The discovery document as currently served.
    pub fn discovery(&self) -> Discovery {
        self.state
            .profile
            .discovery(&self.base_url, &keys::read(&self.keys).proof_keys())
    }

    /// The client this mock plays.
    pub fn profile(&self) -> ClientProfile {
        self.state.profile
    }

    /// The `urlsrc` template of `action` for files with extension `ext` (no dot), as discovery lists it.
    pub fn action_urlsrc(&self, ext: &str, action: &str) -> Option<String> {
        let d = self.discovery();
        d.find_action(ext, action).map(|(_, a)| a.urlsrc.clone())
    }

    /// What the frame of `session` received so far (`latest` for the most recent session).
    pub fn frame_report(&self, session: &str) -> Option<FrameReport> {
        self.state.frame.frames.report(session)
    }

    /// The frame sessions, oldest first.
    pub fn frame_sessions(&self) -> Vec<FrameSummary> {
        self.state.frame.frames.summaries()
    }

    /// Queues a message for the frame of `session` (`latest` works) to post to the host page.
    pub fn send_to_frame(&self, session: &str, command: FrameCommand) -> Result<(), SendError> {
        self.state.frame.frames.push_command(session, command)
    }

    /// Ends the frame's edit session (unlocks the file it locked); `false` if there is no such session.
    pub async fn close_frame(&self, session: &str) -> bool {
        frame::close_session(&self.state.frame, session).await
    }

    /// The transport settings the frame uses for its own WOPI calls.
    pub fn frame_client_config(&self) -> &ClientConfig {
        &self.client_config
    }

    /// Stops the server and waits (at most five seconds) for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                // A peer kept a connection busy past the grace period; stop regardless.
                abort.abort();
            }
        }
    }
}

impl Drop for MockOfficeHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn with_trailing_slash(mut u: Url) -> Url {
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u
}

/// The address a client on this machine can reach for `addr` (an unspecified bind address means loopback).
fn reachable(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => format!("127.0.0.1:{}", addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => format!("[::1]:{}", addr.port()),
        _ => addr.to_string(),
    }
}

/// `localhost` for `127.0.0.1` and the reverse; other hosts keep their name (the caller should configure an
/// explicit untrusted base then).
fn other_loopback_spelling(base: &Url) -> Result<Url, MockError> {
    let mut u = base.clone();
    let other = match base.host_str() {
        Some("localhost") => "127.0.0.1",
        Some("127.0.0.1") => "localhost",
        Some("[::1]") => "localhost",
        _ => return Ok(u),
    };
    u.set_host(Some(other)).map_err(|e| MockError::BaseUrl(e.to_string()))?;
    Ok(u)
}

/// The discovery document of Office for the web for a mock at `base` publishing `keys` (kept here for callers
/// that predate [`crate::profile`]).
pub fn build_discovery(base: &Url, keys: &ProofKeys) -> Discovery {
    crate::profile::office::discovery(base, keys)
}

fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route("/keys", get(admin_keys))
        .route("/keys/rotate", post(admin_rotate))
        .route("/keys/fresh", post(admin_fresh))
        .route("/keys/fixed", post(admin_fixed))
        .route("/frames", get(admin_frames))
        .route("/frame/{session}", get(admin_frame))
        .route("/frame/{session}/send", post(admin_frame_send))
        .route("/frame/{session}/close", post(admin_frame_close));
    Router::new()
        .route("/hosting/discovery", get(discovery))
        .route("/hosting/capabilities", get(capabilities))
        .route("/health", get(|| async { "ok" }))
        .route("/favicon/{name}", get(favicon))
        .nest("/admin", admin)
        .merge(frame::routes())
        .with_state(state)
}

async fn discovery(State(state): State<AppState>) -> Response {
    let keys = keys::read(&state.keys).proof_keys();
    let xml = state.profile.discovery_xml(&state.base_url, &keys);
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}

/// `/hosting/capabilities` of Collabora (and ONLYOFFICE's compatible copy); 404 for Office, which has none.
async fn capabilities(State(state): State<AppState>) -> Response {
    match state.profile.capabilities(&state.base_url) {
        Some(json) => Json(json).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "Office for the web serves no /hosting/capabilities",
        )
            .into_response(),
    }
}

async fn favicon() -> Response {
    // A host may show the icon; an empty icon keeps the page from logging a 404.
    ([(header::CONTENT_TYPE, "image/x-icon")], Vec::<u8>::new()).into_response()
}

/// Admin access: a loopback peer, or the configured secret in [`ADMIN_SECRET_HEADER`].
pub(crate) struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| *peer);
        let presented = parts.headers.get(ADMIN_SECRET_HEADER).map(|v| v.as_bytes());
        if admin_allowed(peer, presented, state.admin_secret.as_deref()) {
            Ok(Admin)
        } else {
            Err((
                StatusCode::FORBIDDEN,
                "admin endpoints answer loopback peers, or the X-Mock-Admin-Secret header",
            ))
        }
    }
}

/// A loopback peer (IPv4-mapped IPv6 included), or a peer presenting the configured secret.
fn admin_allowed(peer: Option<SocketAddr>, presented: Option<&[u8]>, secret: Option<&str>) -> bool {
    if peer.is_some_and(|p| p.ip().to_canonical().is_loopback()) {
        return true;
    }
    match (secret, presented) {
        (Some(secret), Some(presented)) => constant_time_eq(secret.as_bytes(), presented),
        _ => false,
    }
}

/// Compares without an early exit, so the secret cannot be guessed byte by byte from response times.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A public key as the admin endpoints show it.
#[derive(Debug, Serialize)]
struct KeyView {
    modulus: String,
    exponent: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct KeysView {
    generation: u64,
    current: KeyView,
    old: Option<KeyView>,
    next: KeyView,
}

fn key_view(k: &ProofPublicKey) -> KeyView {
    KeyView {
        modulus: k.modulus_b64(),
        exponent: k.exponent_b64(),
        value: k.to_csp_blob(),
    }
}

fn keys_view(keys: &SharedKeys) -> KeysView {
    let ring = keys::read(keys);
    KeysView {
        generation: ring.generation(),
        current: key_view(&ring.current().public()),
        old: ring.old().map(|k| key_view(&k.public())),
        next: key_view(&ring.next().public()),
    }
}

async fn admin_keys(_: Admin, State(state): State<AppState>) -> Json<KeysView> {
    Json(keys_view(&state.keys))
}

/// Runs a key change off the async workers (key generation takes tens of milliseconds).
async fn change_keys(
    state: AppState,
    change: impl FnOnce(&SharedKeys) -> Result<(), MockError> + Send + 'static,
) -> Response {
    let keys = state.keys.clone();
    let done = tokio::task::spawn_blocking(move || change(&keys)).await;
    match done {
        Ok(Ok(())) => Json(keys_view(&state.keys)).into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("key change did not finish: {e}"),
        )
            .into_response(),
    }
}

async fn admin_rotate(_: Admin, State(state): State<AppState>) -> Response {
    change_keys(state, |k| keys::write(k).rotate()).await
}

async fn admin_fresh(_: Admin, State(state): State<AppState>) -> Response {
    change_keys(state, |k| {
        let fresh = KeyRing::fresh()?;
        keys::write(k).replace_with(fresh);
        Ok(())
    })
    .await
}

async fn admin_fixed(_: Admin, State(state): State<AppState>) -> Response {
    change_keys(state, |k| {
        let fixed = KeyRing::fixed()?;
        keys::write(k).replace_with(fixed);
        Ok(())
    })
    .await
}

async fn admin_frames(_: Admin, State(state): State<AppState>) -> Json<Vec<FrameSummary>> {
    Json(state.frame.frames.summaries())
}

async fn admin_frame(_: Admin, State(state): State<AppState>, Path(session): Path<String>) -> Response {
    match state.frame.frames.report(&session) {
        Some(r) => Json(r).into_response(),
        None => (StatusCode::NOT_FOUND, "no such frame session").into_response(),
    }
}

async fn admin_frame_close(_: Admin, State(state): State<AppState>, Path(session): Path<String>) -> Response {
    if frame::close_session(&state.frame, &session).await {
        match state.frame.frames.report(&session) {
            Some(r) => Json(r).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        }
    } else {
        (StatusCode::NOT_FOUND, "no such frame session").into_response()
    }
}

async fn admin_frame_send(
    _: Admin,
    State(state): State<AppState>,
    Path(session): Path<String>,
    Json(command): Json<FrameCommand>,
) -> Response {
    match state.frame.frames.push_command(&session, command) {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e @ SendError::NoSession(_)) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
        Err(e) => (StatusCode::CONFLICT, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ProofMode, ProofSpec, RawRequest, WopiTarget};
    use std::time::SystemTime;
    use wopi_protocol::headers as h;
    use wopi_protocol::proof::{ProofAccepted, ProofHeaders, verify};

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn what_the_mock_publishes_in_discovery_verifies_what_it_signs() {
        // The production path end to end: keys written by ProofKeyElement::from_keys into discovery XML, read
        // back by the parser, and headers signed by sign_request, all checked by proof::verify (the functions the
        // official proof-key vectors test).
        let c = WopiClient::new(ClientConfig::default(), KeyRing::fixed().expect("keys").shared()).expect("client");
        let published = keys::read(c.keys()).proof_keys();
        let base = Url::parse("http://127.0.0.1:9/").expect("url");
        let xml = build_discovery(&base, &published).to_xml();
        let keys = wopi_protocol::discovery::Discovery::parse(&xml)
            .expect("discovery parses")
            .proof_keys()
            .expect("keys");
        assert_eq!(keys, published);
        let target = WopiTarget::new(Url::parse("http://127.0.0.1:9/wopi/files/abc").expect("url"), "tok");
        let req = RawRequest::new("CheckFileInfo", http::Method::GET, target.url(""), "tok");
        let headers = c.headers_for(&req);
        let names: Vec<&str> = headers
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| n.starts_with("X-WOPI-Proof") || *n == h::X_WOPI_TIMESTAMP)
            .collect();
        assert_eq!(names, [h::X_WOPI_PROOF, h::X_WOPI_PROOF_OLD, h::X_WOPI_TIMESTAMP]);
        let ph = ProofHeaders::from_values(
            header(&headers, h::X_WOPI_PROOF),
            header(&headers, h::X_WOPI_PROOF_OLD),
            header(&headers, h::X_WOPI_TIMESTAMP),
        )
        .expect("headers");
        assert_eq!(
            verify(&keys, &ph, "tok", req.url.as_str(), SystemTime::now()),
            Ok(ProofAccepted::CurrentKey)
        );
        // A literal mode sends exactly what it names and nothing in place of an omitted header.
        let literal = req.proof(ProofSpec::mode(ProofMode::Literal {
            proof: None,
            proof_old: Some("x".into()),
        }));
        let headers = c.headers_for(&literal);
        assert_eq!(header(&headers, h::X_WOPI_PROOF), None);
        assert_eq!(header(&headers, h::X_WOPI_PROOF_OLD), Some("x"));
        assert!(header(&headers, h::X_WOPI_TIMESTAMP).is_some());
    }

    #[test]
    fn the_untrusted_origin_is_the_other_loopback_spelling() {
        let a = Url::parse("http://127.0.0.1:8080/").expect("url");
        assert_eq!(
            other_loopback_spelling(&a).expect("other").as_str(),
            "http://localhost:8080/"
        );
        let b = Url::parse("http://localhost:8080/").expect("url");
        assert_eq!(
            other_loopback_spelling(&b).expect("other").as_str(),
            "http://127.0.0.1:8080/"
        );
    }

    #[test]
    fn admin_access_needs_loopback_or_the_secret() {
        let lan: SocketAddr = "192.168.1.5:4000".parse().expect("addr");
        let loopback: SocketAddr = "127.0.0.1:4000".parse().expect("addr");
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:4000".parse().expect("addr");
        assert!(admin_allowed(Some(loopback), None, None));
        assert!(admin_allowed(Some(mapped), None, None));
        assert!(!admin_allowed(Some(lan), None, None));
        assert!(!admin_allowed(None, None, None));
        assert!(!admin_allowed(Some(lan), Some(b"guess"), Some("s3cret")));
        assert!(!admin_allowed(Some(lan), Some(b"s3cret"), None));
        assert!(admin_allowed(Some(lan), Some(b"s3cret"), Some("s3cret")));
    }

    #[test]
    fn constant_time_eq_compares_contents_and_length() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }
}
