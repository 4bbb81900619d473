//! Proof-key checking (`online/scenarios/proofkeys.rst`): the three accepted combinations, the rejected ones, the
//! 20-minute window, and key rotation with a single, rate-limited, single-flight discovery refetch.
//!
//! A tiny axum server in each test plays the WOPI client's discovery endpoint, built with
//! `wopi_protocol::discovery` from the fixed test keys in `fixtures/proof-keys/`, and counts how often it is read.

#![allow(clippy::unwrap_used)] // test helpers and assertions

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use http::{HeaderMap, HeaderValue};
use wopi_protocol::discovery::{Action, App, Discovery, NetZone, ProofKeyElement};
use wopi_protocol::proof::{ProofAccepted, ProofError, ProofKeyPair, Ticks, sign_request};
use wopi_reference_host::clock::{Clock, TestClock};
use wopi_reference_host::proof::{DiscoveryError, ProofCheckConfig, ProofChecker, ProofFailure, Refetch, TokenTrust};

const URL: &str = "https://host.example/wopi/files/abc?access_token=tok";
const TOKEN: &str = "tok";

fn key(name: &str) -> ProofKeyPair {
    let path = format!("{}/../fixtures/proof-keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    ProofKeyPair::from_pkcs8_pem(&pem).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

struct Keys {
    current: ProofKeyPair,
    old: ProofKeyPair,
    next: ProofKeyPair,
}

fn keys() -> Keys {
    Keys {
        current: key("current"),
        old: key("old"),
        next: key("next"),
    }
}

/// Discovery XML publishing `current` (and `old`) with one Word action.
pub fn discovery_xml(client_base: &str, current: &ProofKeyPair, old: Option<&ProofKeyPair>) -> String {
    let cur = current.public();
    let old = old.map(ProofKeyPair::public);
    Discovery {
        net_zones: vec![NetZone {
            name: "external-http".to_owned(),
            apps: vec![App {
                name: "Word".to_owned(),
                fav_icon_url: Some(format!("{client_base}/favicon.ico")),
                check_license: None,
                actions: vec![Action {
                    name: "view".to_owned(),
                    ext: Some("docx".to_owned()),
                    progid: None,
                    urlsrc: format!("{client_base}/wv/wordviewerframe.aspx?<ui=UI_LLCC&>"),
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
            oldvalue: old.as_ref().map(|k| k.to_csp_blob()).unwrap_or_default(),
            oldmodulus: old.as_ref().map(|k| k.modulus_b64()).unwrap_or_default(),
            oldexponent: old.as_ref().map(|k| k.exponent_b64()).unwrap_or_default(),
        }),
    }
    .to_xml()
}

/// How the fake discovery endpoint answers.
#[derive(Clone)]
enum Mode {
    Serve,
    Status(StatusCode),
    Slow(Duration),
    Huge,
}

#[derive(Clone)]
struct Fake {
    xml: Arc<RwLock<String>>,
    mode: Arc<RwLock<Mode>>,
    hits: Arc<AtomicUsize>,
}

struct DiscoveryServer {
    url: url::Url,
    fake: Fake,
}

impl DiscoveryServer {
    async fn start(xml: String) -> Self {
        let fake = Fake {
            xml: Arc::new(RwLock::new(xml)),
            mode: Arc::new(RwLock::new(Mode::Serve)),
            hits: Arc::new(AtomicUsize::new(0)),
        };
        let app = axum::Router::new()
            .route("/hosting/discovery", axum::routing::get(serve))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let url = url::Url::parse(&format!("http://{addr}/hosting/discovery")).expect("url");
        Self { url, fake }
    }

    fn hits(&self) -> usize {
        self.fake.hits.load(Ordering::SeqCst)
    }

    fn publish(&self, xml: String) {
        *self.fake.xml.write().expect("lock") = xml;
    }

    fn set_mode(&self, mode: Mode) {
        *self.fake.mode.write().expect("lock") = mode;
    }
}

async fn serve(State(fake): State<Fake>) -> axum::response::Response {
    fake.hits.fetch_add(1, Ordering::SeqCst);
    let mode = fake.mode.read().expect("lock").clone();
    match mode {
        Mode::Serve => {
            let xml = fake.xml.read().expect("lock").clone();
            ([(http::header::CONTENT_TYPE, "text/xml")], xml).into_response()
        }
        Mode::Status(code) => code.into_response(),
        Mode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            fake.xml.read().expect("lock").clone().into_response()
        }
        Mode::Huge => vec![b' '; 9 * 1024 * 1024].into_response(),
    }
}

struct Setup {
    server: DiscoveryServer,
    clock: Arc<TestClock>,
    checker: ProofChecker,
    keys: Keys,
}

const MIN_INTERVAL: Duration = Duration::from_secs(60);

async fn setup() -> Setup {
    let keys = keys();
    let server = DiscoveryServer::start(discovery_xml("https://client.example", &keys.current, Some(&keys.old))).await;
    let clock = Arc::new(TestClock::default());
    let cfg = ProofCheckConfig {
        discovery_url: server.url.clone(),
        refetch_min_interval: MIN_INTERVAL,
        fetch_timeout: Duration::from_secs(2),
    };
    let checker = ProofChecker::new(cfg, clock.clone(), reqwest::Client::new());
    Setup {
        server,
        clock,
        checker,
        keys,
    }
}

fn headers(proof: Option<&str>, proof_old: Option<&str>, ts: Ticks) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(p) = proof {
        h.insert("X-WOPI-Proof", HeaderValue::from_str(p).expect("header"));
    }
    if let Some(p) = proof_old {
        h.insert("X-WOPI-ProofOld", HeaderValue::from_str(p).expect("header"));
    }
    h.insert(
        "X-WOPI-TimeStamp",
        HeaderValue::from_str(&ts.to_string()).expect("header"),
    );
    h
}

impl Setup {
    fn now(&self) -> Ticks {
        Ticks::from_system_time(self.clock.now())
    }

    /// Headers with X-WOPI-Proof signed by `proof` and X-WOPI-ProofOld by `proof_old` (None = header absent).
    fn signed(&self, proof: &ProofKeyPair, proof_old: Option<&ProofKeyPair>, ts: Ticks) -> HeaderMap {
        let p = sign_request(proof, None, TOKEN, URL, ts).proof;
        let o = proof_old.map(|k| sign_request(k, None, TOKEN, URL, ts).proof);
        headers(Some(&p), o.as_deref(), ts)
    }

    async fn check(&self, h: &HeaderMap) -> Result<ProofAccepted, ProofFailure> {
        self.checker.check(URL, TOKEN, h).await
    }
}

fn signature_rejected(r: Result<ProofAccepted, ProofFailure>) -> Refetch {
    match r {
        Err(ProofFailure::Rejected {
            source: ProofError::SignatureMismatch { .. },
            refetch,
        }) => refetch,
        other => panic!("expected a signature rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn valid_request_is_accepted_and_discovery_is_read_once() {
    let s = setup().await;
    for _ in 0..20 {
        let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
        assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    }
    assert_eq!(s.server.hits(), 1, "discovery must be fetched once and cached");
}

#[tokio::test]
async fn current_valid_old_valid() {
    let s = setup().await;
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
}

#[tokio::test]
async fn current_valid_old_invalid() {
    let s = setup().await;
    let h = s.signed(&s.keys.current, Some(&s.keys.next), s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
}

#[tokio::test]
async fn current_invalid_old_signed_with_current_key() {
    let s = setup().await;
    let h = s.signed(&s.keys.next, Some(&s.keys.current), s.now());
    assert_eq!(
        s.check(&h).await.expect("accepted"),
        ProofAccepted::ProofOldWithCurrentKey
    );
    assert_eq!(s.server.hits(), 1, "an accepted combination needs no refetch");
}

#[tokio::test]
async fn current_signed_with_old_key_old_invalid() {
    let s = setup().await;
    let h = s.signed(&s.keys.old, Some(&s.keys.next), s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::ProofWithOldKey);
}

#[tokio::test]
async fn current_invalid_old_signed_with_old_key_is_rejected() {
    let s = setup().await;
    let h = s.signed(&s.keys.next, Some(&s.keys.old), s.now());
    // The first failure triggers one refetch; discovery still publishes the same keys.
    assert_eq!(signature_rejected(s.check(&h).await), Refetch::KeysUnchanged);
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn both_invalid_is_rejected() {
    let s = setup().await;
    let h = s.signed(&s.keys.next, Some(&s.keys.next), s.now());
    signature_rejected(s.check(&h).await);
    // Garbage that is not even base64.
    let h = headers(Some("not a signature"), Some("!!"), s.now());
    assert!(matches!(s.check(&h).await, Err(ProofFailure::Rejected { .. })));
}

#[tokio::test]
async fn proof_over_a_different_url_or_token_is_rejected() {
    let s = setup().await;
    let ts = s.now();
    let p = sign_request(
        &s.keys.current,
        Some(&s.keys.old),
        TOKEN,
        "http://internal:8080/wopi/files/abc",
        ts,
    );
    let h = headers(Some(&p.proof), p.proof_old.as_deref(), ts);
    signature_rejected(s.check(&h).await);
    let h = s.signed(&s.keys.current, Some(&s.keys.old), ts);
    signature_rejected(s.checker.check(URL, "another-token", &h).await);
    // The URL comparison is case-insensitive by construction (the pre-image upper-cases it).
    assert_eq!(
        s.checker.check(&URL.to_uppercase(), TOKEN, &h).await.expect("accepted"),
        ProofAccepted::CurrentKey
    );
}

#[tokio::test]
async fn missing_or_duplicated_headers_are_rejected() {
    let s = setup().await;
    let h = headers(None, None, s.now());
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::Rejected {
            source: ProofError::MissingHeader(_),
            refetch: Refetch::NotApplicable
        })
    ));
    let mut h = s.signed(&s.keys.current, None, s.now());
    h.remove("X-WOPI-TimeStamp");
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::Rejected {
            source: ProofError::MissingHeader(_),
            ..
        })
    ));
    let mut h = s.signed(&s.keys.current, None, s.now());
    h.insert("X-WOPI-TimeStamp", HeaderValue::from_static("yesterday"));
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::Rejected {
            source: ProofError::MalformedTimestamp(_),
            ..
        })
    ));
    let mut h = s.signed(&s.keys.current, None, s.now());
    let again = h.get("X-WOPI-Proof").cloned().expect("proof");
    h.append("X-WOPI-Proof", again);
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::BadHeader("X-WOPI-Proof"))
    ));
}

#[tokio::test]
async fn stale_timestamp_is_rejected_without_refetch() {
    let s = setup().await;
    let ts = Ticks::from_system_time(s.clock.now() - Duration::from_secs(20 * 60 + 1));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), ts);
    match s.check(&h).await {
        Err(ProofFailure::Rejected {
            source: ProofError::TimestampTooOld { age_secs },
            refetch,
        }) => {
            assert_eq!(age_secs, 20 * 60 + 1);
            assert_eq!(refetch, Refetch::NotApplicable);
        }
        other => panic!("expected a stale-timestamp rejection, got {other:?}"),
    }
    assert_eq!(s.server.hits(), 1, "new keys cannot cure an old timestamp");

    // The same request is fine while it is young, and goes stale as the clock moves.
    let ts = s.now();
    let h = s.signed(&s.keys.current, Some(&s.keys.old), ts);
    s.clock.advance(Duration::from_secs(19 * 60));
    assert!(s.check(&h).await.is_ok());
    s.clock.advance(Duration::from_secs(2 * 60));
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::Rejected {
            source: ProofError::TimestampTooOld { .. },
            ..
        })
    ));
}

#[tokio::test]
async fn future_timestamp_is_rejected() {
    let s = setup().await;
    let ts = Ticks::from_system_time(s.clock.now() + Duration::from_secs(10 * 60));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), ts);
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::Rejected {
            source: ProofError::TimestampInFuture { .. },
            refetch: Refetch::NotApplicable
        })
    ));
}

#[tokio::test]
async fn key_rotation_is_accepted_after_exactly_one_refetch() {
    let s = setup().await;
    s.checker.prefetch().await;
    assert_eq!(s.server.hits(), 1);
    // The client rotates: next becomes current, current becomes old.
    s.server.publish(discovery_xml(
        "https://client.example",
        &s.keys.next,
        Some(&s.keys.current),
    ));
    // A request signed only with the new key fails against the cached keys, so the host reads discovery again.
    let h = s.signed(&s.keys.next, None, s.now());
    assert_eq!(
        s.check(&h).await.expect("accepted after refetch"),
        ProofAccepted::CurrentKey
    );
    assert_eq!(s.server.hits(), 2, "exactly one refetch");
    // From now on the new keys are cached.
    for _ in 0..5 {
        let h = s.signed(&s.keys.next, Some(&s.keys.current), s.now());
        assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    }
    // A machine that still signs with the now-old key is accepted through the old key.
    let h = s.signed(&s.keys.current, None, s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::ProofWithOldKey);
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn concurrent_failures_cause_a_single_refetch() {
    let s = Arc::new(setup().await);
    s.checker.prefetch().await;
    s.server.publish(discovery_xml(
        "https://client.example",
        &s.keys.next,
        Some(&s.keys.current),
    ));
    let h = s.signed(&s.keys.next, None, s.now());
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (s, h) = (s.clone(), h.clone());
            tokio::spawn(async move { s.check(&h).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task").expect("accepted"), ProofAccepted::CurrentKey);
    }
    assert_eq!(s.server.hits(), 2, "100 concurrent failures must share one refetch");

    // Forged requests racing: still at most one fetch per interval.
    s.clock.advance(MIN_INTERVAL);
    let h = s.signed(&s.keys.old, Some(&s.keys.old), s.now());
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (s, h) = (s.clone(), h.clone());
            tokio::spawn(async move { s.check(&h).await })
        })
        .collect();
    for t in tasks {
        signature_rejected(t.await.expect("task"));
    }
    assert_eq!(s.server.hits(), 3);
}

#[tokio::test]
async fn refetch_is_rate_limited() {
    let s = setup().await;
    s.checker.prefetch().await;
    let forged = s.signed(&s.keys.next, None, s.now());
    assert_eq!(signature_rejected(s.check(&forged).await), Refetch::KeysUnchanged);
    assert_eq!(s.server.hits(), 2);
    // Within the interval: no fetch, and the error says why.
    s.clock.advance(MIN_INTERVAL - Duration::from_secs(1));
    let forged = s.signed(&s.keys.next, None, s.now());
    assert!(matches!(
        signature_rejected(s.check(&forged).await),
        Refetch::Skipped(_)
    ));
    assert_eq!(s.server.hits(), 2);
    // A rotation inside the interval is picked up once the interval has passed.
    s.server.publish(discovery_xml(
        "https://client.example",
        &s.keys.next,
        Some(&s.keys.current),
    ));
    signature_rejected(s.check(&forged).await);
    assert_eq!(s.server.hits(), 2);
    s.clock.advance(Duration::from_secs(1));
    let h = s.signed(&s.keys.next, None, s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    assert_eq!(s.server.hits(), 3);
}

/// Waits (bounded) until the checker holds discovery snapshot `generation`: background refreshes run on their own
/// task.
async fn wait_for_generation(checker: &ProofChecker, generation: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = checker.discovery().snapshot().map_or(0, |snap| snap.generation);
        if now >= generation {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "discovery generation {now}, expected {generation}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn junk_proofs_do_not_spend_the_refetch_budget() {
    let s = setup().await;
    s.checker.prefetch().await;
    // Not base64, a stale timestamp, a timestamp in the future, a malformed timestamp: new keys cure none of them.
    let junk = headers(Some("not a signature"), Some("!!"), s.now());
    assert!(matches!(
        s.check(&junk).await,
        Err(ProofFailure::Rejected {
            source: ProofError::MalformedSignature { .. },
            refetch: Refetch::NotApplicable
        })
    ));
    let stale = Ticks::from_system_time(s.clock.now() - Duration::from_secs(20 * 60 + 1));
    let ahead = Ticks::from_system_time(s.clock.now() + Duration::from_secs(10 * 60));
    for ts in [stale, ahead] {
        let forged = s.signed(&s.keys.next, Some(&s.keys.next), ts);
        assert!(matches!(
            s.check(&forged).await,
            Err(ProofFailure::Rejected {
                refetch: Refetch::NotApplicable,
                ..
            })
        ));
    }
    let mut bad_ts = s.signed(&s.keys.next, None, s.now());
    bad_ts.insert("X-WOPI-TimeStamp", HeaderValue::from_static("1700000000"));
    assert!(s.check(&bad_ts).await.is_err());
    assert_eq!(s.server.hits(), 1, "junk must not make the host read discovery");

    // So a rotation right after the junk is picked up at once.
    s.server.publish(discovery_xml(
        "https://client.example",
        &s.keys.next,
        Some(&s.keys.current),
    ));
    let h = s.signed(&s.keys.next, None, s.now());
    assert_eq!(
        s.check(&h).await.expect("accepted after refetch"),
        ProofAccepted::CurrentKey
    );
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn failures_with_tokens_the_host_did_not_issue_never_refetch() {
    let s = setup().await;
    s.checker.prefetch().await;
    for _ in 0..5 {
        let forged = s.signed(&s.keys.next, None, s.now());
        let r = s.checker.check_with(URL, TOKEN, &forged, TokenTrust::Unknown).await;
        assert!(matches!(signature_rejected(r), Refetch::Skipped(why) if why.contains("access token")));
    }
    assert_eq!(s.server.hits(), 1);
    // The budget is intact for a genuine request after a rotation.
    s.server.publish(discovery_xml(
        "https://client.example",
        &s.keys.next,
        Some(&s.keys.current),
    ));
    let h = s.signed(&s.keys.next, None, s.now());
    assert_eq!(
        s.check(&h).await.expect("accepted after refetch"),
        ProofAccepted::CurrentKey
    );
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn rotation_combination_refreshes_discovery_in_the_background() {
    let s = setup().await;
    s.checker.prefetch().await;
    s.clock.advance(MIN_INTERVAL);
    s.server.publish(discovery_xml(
        "https://client.example",
        &s.keys.next,
        Some(&s.keys.current),
    ));
    // The client rotated: X-WOPI-Proof is signed with the new key, X-WOPI-ProofOld with the key the host holds.
    let h = s.signed(&s.keys.next, Some(&s.keys.current), s.now());
    assert_eq!(
        s.check(&h).await.expect("accepted"),
        ProofAccepted::ProofOldWithCurrentKey
    );
    wait_for_generation(&s.checker, 2).await;
    // The new keys are cached without any request having failed.
    let h = s.signed(&s.keys.next, None, s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    // More rotation-combination requests within the interval do not fetch again.
    let h = s.signed(&s.keys.current, None, s.now());
    for _ in 0..10 {
        assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::ProofWithOldKey);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.server.hits(), 2);
}

#[tokio::test]
async fn forged_requests_cannot_delay_picking_up_a_rotation() {
    let s = setup().await;
    s.checker.prefetch().await;
    s.clock.advance(MIN_INTERVAL);
    // Well-formed forgeries with a genuine token spend the failure budget...
    let forged = s.signed(&s.keys.next, Some(&s.keys.next), s.now());
    assert_eq!(signature_rejected(s.check(&forged).await), Refetch::KeysUnchanged);
    assert_eq!(s.server.hits(), 2);
    s.clock.advance(Duration::from_secs(1));
    assert!(matches!(
        signature_rejected(s.check(&forged).await),
        Refetch::Skipped(_)
    ));
    // ...then the client rotates. Its requests keep working through X-WOPI-ProofOld, never a 500.
    s.server.publish(discovery_xml(
        "https://client.example",
        &s.keys.next,
        Some(&s.keys.current),
    ));
    let genuine = s.signed(&s.keys.next, Some(&s.keys.current), s.now());
    assert_eq!(
        s.check(&genuine).await.expect("accepted"),
        ProofAccepted::ProofOldWithCurrentKey
    );
    assert_eq!(
        s.server.hits(),
        2,
        "a snapshot younger than the interval is not refreshed"
    );
    // Once the snapshot is older than the interval, the next such request refreshes it in the background: no
    // request has to fail first.
    s.clock.advance(MIN_INTERVAL);
    let genuine = s.signed(&s.keys.next, Some(&s.keys.current), s.now());
    assert_eq!(
        s.check(&genuine).await.expect("accepted"),
        ProofAccepted::ProofOldWithCurrentKey
    );
    wait_for_generation(&s.checker, 3).await;
    let h = s.signed(&s.keys.next, None, s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    assert_eq!(s.server.hits(), 3);
}

#[tokio::test]
async fn unreachable_discovery_is_a_failure_naming_it() {
    let s = setup().await;
    s.server.set_mode(Mode::Status(StatusCode::SERVICE_UNAVAILABLE));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    match s.check(&h).await {
        Err(ProofFailure::Discovery(e @ DiscoveryError::Fetch { .. })) => {
            let text = e.to_string();
            assert!(text.contains(s.server.url.as_str()) && text.contains("503"), "{text}");
        }
        other => panic!("expected a discovery failure, got {other:?}"),
    }
    // Within the interval the host does not hammer the client; after it, it tries again and recovers.
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::Discovery(DiscoveryError::RateLimited { .. }))
    ));
    assert_eq!(s.server.hits(), 1);
    s.server.set_mode(Mode::Serve);
    s.clock.advance(MIN_INTERVAL);
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    assert_eq!(s.server.hits(), 2);
}

/// A host that has never had keys refuses every request until a fetch succeeds, so it retries soon: 250 ms after
/// the first failure, doubling up to one fetch per second however many requests arrive (issue 11: a host started
/// before its WOPI client must not refuse requests for the whole refetch interval).
#[tokio::test]
async fn without_keys_the_host_retries_with_a_short_bounded_backoff() {
    let s = setup().await;
    s.server.set_mode(Mode::Status(StatusCode::SERVICE_UNAVAILABLE));
    s.checker.prefetch().await;
    assert_eq!(s.server.hits(), 1);
    let ms = Duration::from_millis;
    // After the n-th failure in a row, requests within the wait are refused without a fetch; the first one after
    // it fetches again.
    for (failures, wait) in [(1, ms(250)), (2, ms(500)), (3, ms(1000)), (4, ms(1000)), (5, ms(1000))] {
        for _ in 0..20 {
            let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
            match s.check(&h).await {
                Err(ProofFailure::Discovery(e @ DiscoveryError::RateLimited { .. })) => {
                    assert!(e.to_string().contains(s.server.url.as_str()), "{e}");
                }
                other => panic!("expected a rate-limited discovery failure, got {other:?}"),
            }
        }
        assert_eq!(
            s.server.hits(),
            failures,
            "no fetch within the {wait:?} after failure {failures}"
        );
        s.clock.advance(wait - ms(1));
        let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
        assert!(s.check(&h).await.is_err());
        assert_eq!(
            s.server.hits(),
            failures,
            "a fetch 1 ms before the {wait:?} wait was over"
        );
        s.clock.advance(ms(1));
        let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
        assert!(matches!(
            s.check(&h).await,
            Err(ProofFailure::Discovery(DiscoveryError::Fetch { .. }))
        ));
        assert_eq!(s.server.hits(), failures + 1);
    }
    // Once the client is up, the next due fetch loads the keys and the request is served.
    s.server.set_mode(Mode::Serve);
    s.clock.advance(ms(1000));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    assert_eq!(s.server.hits(), 7);
}

/// The short backoff is only for a host without keys: once it has had keys, a failed fetch (here the 12-hour
/// refresh) is not retried within the refetch interval, and the old keys keep serving meanwhile.
#[tokio::test]
async fn with_keys_a_failed_fetch_waits_the_full_interval() {
    let s = setup().await;
    s.checker.prefetch().await;
    s.server.set_mode(Mode::Status(StatusCode::SERVICE_UNAVAILABLE));
    s.clock.advance(Duration::from_secs(12 * 60 * 60));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    assert_eq!(s.check(&h).await.expect("old keys serve"), ProofAccepted::CurrentKey);
    assert_eq!(s.server.hits(), 2);
    s.clock.advance(Duration::from_secs(5));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    assert_eq!(s.check(&h).await.expect("old keys serve"), ProofAccepted::CurrentKey);
    assert_eq!(s.server.hits(), 2, "retried within the refetch interval");
    s.clock.advance(MIN_INTERVAL);
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    assert_eq!(s.check(&h).await.expect("old keys serve"), ProofAccepted::CurrentKey);
    assert_eq!(s.server.hits(), 3);
}

#[tokio::test]
async fn discovery_fetch_is_bounded_in_time_and_size() {
    let s = setup().await;
    s.server.set_mode(Mode::Slow(Duration::from_secs(10)));
    let started = std::time::Instant::now();
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    let err = s.check(&h).await.expect_err("timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fetch_timeout (2 s) not honoured"
    );
    assert!(
        matches!(err, ProofFailure::Discovery(DiscoveryError::Fetch { .. })),
        "{err}"
    );

    s.server.set_mode(Mode::Huge);
    s.clock.advance(MIN_INTERVAL);
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    let err = s.check(&h).await.expect_err("too large");
    assert!(err.to_string().contains("larger than"), "{err}");
}

#[tokio::test]
async fn discovery_that_is_not_xml_is_a_parse_failure() {
    let s = setup().await;
    s.server.publish("<html>not discovery".to_owned());
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    assert!(matches!(
        s.check(&h).await,
        Err(ProofFailure::Discovery(DiscoveryError::Parse { .. }))
    ));
}

#[tokio::test]
async fn discovery_is_read_again_after_twelve_hours() {
    let s = setup().await;
    s.checker.prefetch().await;
    s.clock
        .advance(wopi_reference_host::proof::DISCOVERY_MAX_AGE - Duration::from_secs(1));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    s.check(&h).await.expect("accepted");
    assert_eq!(s.server.hits(), 1);
    s.clock.advance(Duration::from_secs(1));
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    s.check(&h).await.expect("accepted");
    assert_eq!(s.server.hits(), 2, "an old discovery is refreshed once");
    // A failed refresh keeps the old keys working.
    s.server.set_mode(Mode::Status(StatusCode::INTERNAL_SERVER_ERROR));
    s.clock.advance(wopi_reference_host::proof::DISCOVERY_MAX_AGE);
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    s.check(&h).await.expect("still accepted with the cached keys");
    assert_eq!(s.server.hits(), 3);
}

#[tokio::test]
async fn an_age_refresh_does_not_hold_up_other_requests() {
    let s = Arc::new(setup().await);
    s.checker.prefetch().await;
    s.server.set_mode(Mode::Slow(Duration::from_secs(10)));
    s.clock.advance(wopi_reference_host::proof::DISCOVERY_MAX_AGE);
    let h = s.signed(&s.keys.current, Some(&s.keys.old), s.now());
    let refresher = {
        let (s, h) = (s.clone(), h.clone());
        tokio::spawn(async move { s.check(&h).await })
    };
    // Let the refresher take the fetch lock, then check that others are served from the old snapshot at once.
    while s.server.hits() < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = std::time::Instant::now();
    assert_eq!(s.check(&h).await.expect("accepted"), ProofAccepted::CurrentKey);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "waited {:?} for the refresh",
        started.elapsed()
    );
    // The refresher itself gives up after fetch_timeout and keeps the old keys.
    assert_eq!(
        refresher.await.expect("task").expect("accepted"),
        ProofAccepted::CurrentKey
    );
}

#[tokio::test]
async fn discovery_without_a_proof_key_refuses_every_request() {
    let s = setup().await;
    let mut d = Discovery::parse(&discovery_xml("https://client.example", &s.keys.current, None)).expect("parse");
    d.proof_key = None;
    s.server.publish(d.to_xml());
    let h = s.signed(&s.keys.current, None, s.now());
    match s.check(&h).await {
        Err(ProofFailure::NoProofKey(why)) => assert!(why.contains("proof-key"), "{why}"),
        other => panic!("expected NoProofKey, got {other:?}"),
    }
}

// ---- The same rules over HTTP: the in-process host answers 500 to every rejected proof ----

mod over_http {
    use super::*;
    use wopi_reference_host::faults::{Fault, FaultSet};
    use wopi_reference_host::{Config, Provisioned, TestHost, spawn_for_test};

    struct Running {
        server: DiscoveryServer,
        host: TestHost,
        file: Provisioned,
        keys: Keys,
        http: reqwest::Client,
    }

    async fn start(faults: FaultSet) -> Running {
        let keys = keys();
        let server =
            DiscoveryServer::start(discovery_xml("https://client.example", &keys.current, Some(&keys.old))).await;
        let mut config = Config::new(url::Url::parse("http://127.0.0.1:1").expect("url"));
        config.discovery_url = Some(server.url.clone());
        config.proof_keys = true;
        config.faults = faults;
        let host = spawn_for_test(config).await.expect("host starts");
        let file = host.file("proof.docx", b"content").await.expect("file");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Running {
            server,
            host,
            file,
            keys,
            http,
        }
    }

    impl Running {
        fn url(&self) -> String {
            format!("{}?access_token={}", self.file.wopisrc, self.file.access_token)
        }

        fn now(&self) -> Ticks {
            Ticks::from_system_time(self.host.clock.now())
        }

        /// CheckFileInfo with X-WOPI-Proof signed by `proof` and X-WOPI-ProofOld by `proof_old`.
        async fn cfi(&self, proof: Option<&ProofKeyPair>, proof_old: Option<&ProofKeyPair>, ts: Ticks) -> u16 {
            let url = self.url();
            let mut req = self.http.get(&url);
            if let Some(k) = proof {
                req = req.header(
                    "X-WOPI-Proof",
                    sign_request(k, None, &self.file.access_token, &url, ts).proof,
                );
                req = req.header("X-WOPI-TimeStamp", ts.to_string());
            }
            if let Some(k) = proof_old {
                req = req.header(
                    "X-WOPI-ProofOld",
                    sign_request(k, None, &self.file.access_token, &url, ts).proof,
                );
            }
            req.send().await.expect("response").status().as_u16()
        }
    }

    #[tokio::test]
    async fn accepted_combinations_get_200_rejected_ones_500() {
        let r = start(FaultSet::none()).await;
        let k = &r.keys;
        let now = r.now();
        assert_eq!(
            r.cfi(Some(&k.current), Some(&k.old), now).await,
            200,
            "CurrentValid.OldValid"
        );
        assert_eq!(
            r.cfi(Some(&k.current), Some(&k.next), now).await,
            200,
            "CurrentValid.OldInvalid"
        );
        assert_eq!(
            r.cfi(Some(&k.next), Some(&k.current), now).await,
            200,
            "CurrentInvalid.OldValidSignedWithCurrentKey"
        );
        assert_eq!(
            r.cfi(Some(&k.old), Some(&k.next), now).await,
            200,
            "CurrentValidSignedWithOldKey.OldInvalid"
        );
        assert_eq!(
            r.cfi(Some(&k.next), Some(&k.old), now).await,
            500,
            "CurrentInvalid.OldValidSignedWithOldKey"
        );
        assert_eq!(
            r.cfi(Some(&k.next), Some(&k.next), now).await,
            500,
            "CurrentInvalid.OldInvalid"
        );
        assert_eq!(r.cfi(None, None, now).await, 500, "unsigned");
        let stale = Ticks::from_system_time(r.host.clock.now() - Duration::from_secs(20 * 60 + 1));
        assert_eq!(
            r.cfi(Some(&k.current), Some(&k.old), stale).await,
            500,
            "TimestampOlderThan20Min"
        );
        let ahead = Ticks::from_system_time(r.host.clock.now() + Duration::from_secs(10 * 60));
        assert_eq!(
            r.cfi(Some(&k.current), Some(&k.old), ahead).await,
            500,
            "timestamp in the future"
        );
    }

    #[tokio::test]
    async fn rotation_over_http_needs_one_refetch() {
        let r = start(FaultSet::none()).await;
        assert_eq!(r.server.hits(), 1, "discovery is read at start");
        r.server.publish(discovery_xml(
            "https://client.example",
            &r.keys.next,
            Some(&r.keys.current),
        ));
        assert_eq!(r.cfi(Some(&r.keys.next), None, r.now()).await, 200);
        assert_eq!(r.cfi(Some(&r.keys.next), Some(&r.keys.current), r.now()).await, 200);
        assert_eq!(r.server.hits(), 2);
    }

    #[tokio::test]
    async fn forgeries_with_made_up_tokens_do_not_block_a_rotation() {
        let r = start(FaultSet::none()).await;
        assert_eq!(r.server.hits(), 1);
        // Well-formed forged proofs over a token the host never issued: 500, and discovery is not read.
        let url = format!("{}?access_token=forged", r.file.wopisrc);
        for _ in 0..5 {
            let ts = r.now();
            let status = r
                .http
                .get(&url)
                .header(
                    "X-WOPI-Proof",
                    sign_request(&r.keys.next, None, "forged", &url, ts).proof,
                )
                .header("X-WOPI-TimeStamp", ts.to_string())
                .send()
                .await
                .expect("response")
                .status();
            assert_eq!(status, 500);
        }
        assert_eq!(r.server.hits(), 1);
        // The client rotates; a genuine request signed only with the new key gets in after one refetch.
        r.server.publish(discovery_xml(
            "https://client.example",
            &r.keys.next,
            Some(&r.keys.current),
        ));
        assert_eq!(r.cfi(Some(&r.keys.next), None, r.now()).await, 200);
        assert_eq!(r.server.hits(), 2);
    }

    #[tokio::test]
    async fn proof_faults_each_break_their_rule() {
        let stale = |r: &Running| Ticks::from_system_time(r.host.clock.now() - Duration::from_secs(3600));

        let r = start(FaultSet::of([Fault::StaleProofAccepted])).await;
        assert_eq!(r.cfi(Some(&r.keys.current), Some(&r.keys.old), stale(&r)).await, 200);
        assert_eq!(
            r.cfi(Some(&r.keys.next), Some(&r.keys.next), r.now()).await,
            500,
            "only the window is broken"
        );

        let r = start(FaultSet::of([Fault::ProofNotChecked])).await;
        assert_eq!(r.cfi(None, None, r.now()).await, 200);

        let r = start(FaultSet::of([Fault::ProofOldWithOldKeyAccepted])).await;
        assert_eq!(r.cfi(Some(&r.keys.next), Some(&r.keys.old), r.now()).await, 200);
        assert_eq!(r.cfi(Some(&r.keys.next), Some(&r.keys.next), r.now()).await, 500);
        assert_eq!(
            r.cfi(Some(&r.keys.next), Some(&r.keys.old), stale(&r)).await,
            500,
            "only the combination rule is broken: the 20-minute window still holds"
        );
        assert_eq!(
            r.cfi(Some(&r.keys.current), Some(&r.keys.old), stale(&r)).await,
            500,
            "a stale timestamp is refused even with a valid proof"
        );

        // proofkeys.rst: three combinations are checked; the fault checks only X-WOPI-Proof with the current key.
        let r = start(FaultSet::of([Fault::ProofOnlyCurrentKey])).await;
        assert_eq!(r.cfi(Some(&r.keys.current), Some(&r.keys.old), r.now()).await, 200);
        assert_eq!(r.cfi(Some(&r.keys.next), Some(&r.keys.current), r.now()).await, 500);
        assert_eq!(r.cfi(Some(&r.keys.old), Some(&r.keys.next), r.now()).await, 500);
        let clean = start(FaultSet::none()).await;
        assert_eq!(
            clean
                .cfi(Some(&clean.keys.next), Some(&clean.keys.current), clean.now())
                .await,
            200
        );
        assert_eq!(
            clean
                .cfi(Some(&clean.keys.old), Some(&clean.keys.next), clean.now())
                .await,
            200
        );

        // proofkeys.rst: "If any one of the values is valid"; the fault also insists on a well-formed ProofOld.
        let r = start(FaultSet::of([Fault::MalformedProofOldRejected])).await;
        let garbage_old = |r: &Running| {
            let url = r.url();
            let ts = r.now();
            r.http
                .get(url.clone())
                .header(
                    "X-WOPI-Proof",
                    sign_request(&r.keys.current, None, &r.file.access_token, &url, ts).proof,
                )
                .header("X-WOPI-ProofOld", "SU5WQUxJRA==")
                .header("X-WOPI-TimeStamp", ts.to_string())
                .send()
        };
        assert_eq!(garbage_old(&r).await.expect("response").status(), 500);
        assert_eq!(r.cfi(Some(&r.keys.current), Some(&r.keys.old), r.now()).await, 200);
        assert_eq!(r.cfi(Some(&r.keys.current), Some(&r.keys.next), r.now()).await, 200);
        assert_eq!(garbage_old(&clean).await.expect("response").status(), 200);

        // proofkeys.rst: the proof covers the full URL including the query string; the fault drops the query.
        let r = start(FaultSet::of([Fault::ProofWithoutQuery])).await;
        assert_eq!(r.cfi(Some(&r.keys.current), Some(&r.keys.old), r.now()).await, 500);
        assert_eq!(
            clean
                .cfi(Some(&clean.keys.current), Some(&clean.keys.old), clean.now())
                .await,
            200
        );

        let r = start(FaultSet::of([Fault::NoDiscoveryRefetch])).await;
        r.server.publish(discovery_xml(
            "https://client.example",
            &r.keys.next,
            Some(&r.keys.current),
        ));
        assert_eq!(
            r.cfi(Some(&r.keys.next), None, r.now()).await,
            500,
            "rotation locks the user out"
        );
        assert_eq!(r.server.hits(), 1);
    }
}
