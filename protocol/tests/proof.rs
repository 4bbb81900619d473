//! Proof keys against Microsoft's published vectors (`shared/wopi-docs/proofkey-vectors.json`, read at run time,
//! never copied) and against the fixed test keys in `fixtures/proof-keys/`.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use serde_json::Value;
use wopi_protocol::dotnet::MalformedTicks;
use wopi_protocol::proof::{
    AttemptFailure, KeyError, MAX_CLOCK_SKEW_FUTURE, MAX_PROOF_AGE, ProofAccepted, ProofError, ProofHeaders,
    ProofKeyPair, ProofKeys, ProofPublicKey, Ticks, expected_proof, sign_request, verify,
};

/// Base64 of "INVALID": the value the validator's ProofKeyMutator puts in a header it breaks.
const INVALID: &str = "SU5WQUxJRA==";
const TOKEN: &str = "tok%2Fen";
const URL: &str = "https://host.example:8443/wopi/files/abc?access_token=tok%2Fen&access_token_ttl=0";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn vectors() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        let path = workspace_root().join("../shared/wopi-docs/proofkey-vectors.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        serde_json::from_str(&text).expect("vectors are JSON")
    })
}

fn disc(field: &str) -> &'static str {
    vectors()["discovery"][field]
        .as_str()
        .expect("discovery field is a string")
}

fn cases() -> &'static [Value] {
    vectors()["cases"].as_array().expect("cases is an array")
}

fn vector_keys_from_modulus() -> ProofKeys {
    ProofKeys {
        current: ProofPublicKey::from_modulus_exponent(disc("modulus"), disc("exponent")).expect("current key"),
        old: Some(ProofPublicKey::from_modulus_exponent(disc("oldmodulus"), disc("oldexponent")).expect("old key")),
    }
}

fn vector_keys_from_blob() -> ProofKeys {
    ProofKeys {
        current: ProofPublicKey::from_csp_blob(disc("value")).expect("current blob"),
        old: Some(ProofPublicKey::from_csp_blob(disc("oldvalue")).expect("old blob")),
    }
}

fn fixture(name: &str) -> &'static ProofKeyPair {
    static KEYS: OnceLock<[ProofKeyPair; 3]> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        ["current", "old", "next"].map(|n| {
            let path = workspace_root().join(format!("fixtures/proof-keys/{n}.pem"));
            let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            ProofKeyPair::from_pkcs8_pem(&pem).unwrap_or_else(|e| panic!("{n}.pem: {e}"))
        })
    });
    match name {
        "current" => &keys[0],
        "old" => &keys[1],
        "next" => &keys[2],
        other => panic!("no fixture key {other}"),
    }
}

fn fixture_keys() -> ProofKeys {
    ProofKeys {
        current: fixture("current").public(),
        old: Some(fixture("old").public()),
    }
}

fn at(ticks: Ticks) -> SystemTime {
    ticks.to_system_time().expect("representable")
}

fn ts() -> Ticks {
    // 2026-01-01T00:00:00Z, fixed so tests never depend on the clock.
    Ticks(Ticks::UNIX_EPOCH.0 + 1_767_225_600 * 10_000_000)
}

fn headers(proof: &str, proof_old: Option<&str>, timestamp: Ticks) -> ProofHeaders {
    ProofHeaders::from_values(Some(proof), proof_old, Some(&timestamp.to_string())).expect("headers")
}

fn sign(key: &str, token: &str, url: &str, timestamp: Ticks) -> String {
    fixture(key).sign(&expected_proof(token, url, timestamp))
}

// ----- official vectors -----

fn expected_combination(case_name: &str) -> Option<ProofAccepted> {
    if case_name.starts_with("test_proof_current_key") {
        Some(ProofAccepted::CurrentKey)
    } else if case_name.starts_with("test_old_proof_current_key") {
        Some(ProofAccepted::ProofOldWithCurrentKey)
    } else if case_name.starts_with("test_proof_old_key") {
        Some(ProofAccepted::ProofWithOldKey)
    } else {
        None
    }
}

fn run_vectors(keys: &ProofKeys) {
    let mut valid = 0;
    let mut invalid = 0;
    for case in cases() {
        let name = case["name"].as_str().expect("name");
        let timestamp = Ticks(case["timestamp"].as_u64().expect("timestamp"));
        let h = ProofHeaders::from_values(
            case["proof"].as_str(),
            case["proof_old"].as_str(),
            Some(&timestamp.to_string()),
        )
        .expect("vector headers parse");
        let token = case["access_token"].as_str().expect("token");
        let url = case["url"].as_str().expect("url");
        let result = verify(keys, &h, token, url, at(timestamp));
        if case["valid"].as_bool().expect("valid") {
            valid += 1;
            let want = expected_combination(name).unwrap_or_else(|| panic!("{name}: unknown valid case"));
            assert_eq!(result, Ok(want), "{name}");
        } else {
            invalid += 1;
            assert!(
                matches!(result, Err(ProofError::SignatureMismatch { .. })),
                "{name}: {result:?}"
            );
        }
    }
    assert_eq!(
        (valid, invalid),
        (6, 2),
        "the vector file has 6 valid and 2 invalid cases"
    );
}

#[test]
fn official_vectors_with_modulus_exponent_keys() {
    run_vectors(&vector_keys_from_modulus());
}

#[test]
fn official_vectors_with_csp_blob_keys() {
    run_vectors(&vector_keys_from_blob());
}

#[test]
fn vector_proofs_verify_with_the_single_key_api() {
    let keys = vector_keys_from_modulus();
    let old = keys.old.as_ref().expect("old");
    let case = &cases()[0];
    let msg = expected_proof(
        case["access_token"].as_str().expect("token"),
        case["url"].as_str().expect("url"),
        Ticks(case["timestamp"].as_u64().expect("ts")),
    );
    assert!(keys.current.verify(&msg, case["proof"].as_str().expect("proof")));
    assert!(!old.verify(&msg, case["proof"].as_str().expect("proof")));
}

#[test]
fn csp_blob_decodes_to_the_published_modulus_and_exponent() {
    let keys_m = vector_keys_from_modulus();
    let keys_b = vector_keys_from_blob();
    assert_eq!(keys_m, keys_b);
    assert_eq!(keys_b.current.modulus_b64(), disc("modulus"));
    assert_eq!(keys_b.current.exponent_b64(), disc("exponent"));
    let old = keys_b.old.expect("old");
    assert_eq!(old.modulus_b64(), disc("oldmodulus"));
    assert_eq!(old.exponent_b64(), disc("oldexponent"));
    assert_eq!(keys_b.current.bits(), 2048);
}

#[test]
fn to_csp_blob_reproduces_the_published_blob_byte_for_byte() {
    let keys = vector_keys_from_modulus();
    assert_eq!(keys.current.to_csp_blob(), disc("value"));
    assert_eq!(keys.old.expect("old").to_csp_blob(), disc("oldvalue"));
}

#[test]
fn fixture_keys_round_trip_through_the_csp_blob_and_modulus_forms() {
    for name in ["current", "old", "next"] {
        let public = fixture(name).public();
        assert_eq!(ProofPublicKey::from_csp_blob(&public.to_csp_blob()), Ok(public.clone()));
        let again = ProofPublicKey::from_modulus_exponent(&public.modulus_b64(), &public.exponent_b64());
        assert_eq!(again, Ok(public.clone()), "{name}");
        assert_eq!(public.bits(), 2048, "{name}");
        let blob = STANDARD.decode(public.to_csp_blob()).expect("b64");
        assert_eq!(&blob[..12], b"\x06\x02\x00\x00\x00\xa4\x00\x00RSA1");
        assert_eq!(blob.len(), 20 + 256);
    }
}

// ----- fixture keys -----

#[test]
fn fixture_keys_are_distinct() {
    let a = fixture("current").public();
    let b = fixture("old").public();
    let c = fixture("next").public();
    assert!(a != b && b != c && a != c);
}

#[test]
fn sign_then_verify_round_trip_with_fixture_keys() {
    let msg = expected_proof(TOKEN, URL, ts());
    for name in ["current", "old", "next"] {
        let sig = fixture(name).sign(&msg);
        assert_eq!(STANDARD.decode(&sig).expect("b64").len(), 256);
        assert!(fixture(name).public().verify(&msg, &sig), "{name}");
        assert_eq!(
            fixture(name).try_sign(&msg),
            Ok(sig.clone()),
            "PKCS#1 v1.5 is deterministic"
        );
        let mut other = msg.clone();
        other[5] ^= 1;
        assert!(!fixture(name).public().verify(&other, &sig), "{name}: tampered message");
    }
    assert!(!fixture("old").public().verify(&msg, &fixture("current").sign(&msg)));
}

#[test]
fn pkcs8_pem_round_trip_and_pkcs1_fallback() {
    let key = fixture("current");
    let pem = key.to_pkcs8_pem().expect("encode");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let again = ProofKeyPair::from_pkcs8_pem(&pem).expect("decode");
    assert_eq!(again.public(), key.public());
    assert_eq!(ProofKeyPair::from_pem(&pem).expect("from_pem").public(), key.public());
    assert!(matches!(
        ProofKeyPair::from_pkcs8_pem("not a pem"),
        Err(KeyError::Pem(_))
    ));
    let bad_pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert!(matches!(ProofKeyPair::from_pem(bad_pkcs1), Err(KeyError::Pem(m)) if m.contains("PKCS#1")));
}

#[test]
fn debug_does_not_print_the_private_key() {
    let key = fixture("current");
    let debug = format!("{key:?}");
    assert!(debug.contains("redacted"), "{debug}");
    assert!(debug.contains("2048"), "{debug}");
    let pem = key.to_pkcs8_pem().expect("encode");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    // No 16-character run of the private DER's base64 may appear.
    for start in (0..body.len().saturating_sub(16)).step_by(16) {
        assert!(!debug.contains(&body[start..start + 16]), "{debug}");
    }
}

#[test]
fn generated_keys_are_2048_bit_and_sign() {
    let key = ProofKeyPair::generate().expect("generate");
    assert_eq!(key.public().bits(), 2048);
    assert_eq!(key.public().exponent_b64(), "AQAB");
    let msg = expected_proof("t", "u", Ticks(1));
    assert!(key.public().verify(&msg, &key.sign(&msg)));
}

// ----- the three accepted combinations and the rejected ones -----

#[test]
fn accepted_current_key() {
    let signed = sign_request(fixture("current"), Some(fixture("old")), TOKEN, URL, ts());
    let h = ProofHeaders::from_values(
        Some(&signed.proof),
        signed.proof_old.as_deref(),
        Some(&signed.timestamp.to_string()),
    )
    .expect("headers");
    assert_eq!(
        verify(&fixture_keys(), &h, TOKEN, URL, at(ts())),
        Ok(ProofAccepted::CurrentKey)
    );
    // CurrentValid.OldInvalid
    let h = headers(&signed.proof, Some(INVALID), ts());
    assert_eq!(
        verify(&fixture_keys(), &h, TOKEN, URL, at(ts())),
        Ok(ProofAccepted::CurrentKey)
    );
}

#[test]
fn accepted_proof_old_with_current_key() {
    // Validator KeyRelation="Ahead": the client already signs with a key the host knows as current.
    let h = headers(INVALID, Some(&sign("current", TOKEN, URL, ts())), ts());
    assert_eq!(
        verify(&fixture_keys(), &h, TOKEN, URL, at(ts())),
        Ok(ProofAccepted::ProofOldWithCurrentKey)
    );
}

#[test]
fn accepted_proof_with_old_key() {
    // Validator KeyRelation="Behind": the signing machine still has the host's old key as its current one.
    let h = headers(&sign("old", TOKEN, URL, ts()), Some(INVALID), ts());
    assert_eq!(
        verify(&fixture_keys(), &h, TOKEN, URL, at(ts())),
        Ok(ProofAccepted::ProofWithOldKey)
    );
}

#[test]
fn rejected_proof_invalid_and_proof_old_signed_with_old_key() {
    // CurrentInvalid.OldValidSignedWithOldKey: ProofOld is never checked against the old key.
    let h = headers(INVALID, Some(&sign("old", TOKEN, URL, ts())), ts());
    let err = verify(&fixture_keys(), &h, TOKEN, URL, at(ts())).expect_err("must reject");
    let ProofError::SignatureMismatch { attempts } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(attempts.0.len(), 3);
    assert_eq!(
        attempts.0[0].failure,
        AttemptFailure::WrongLength {
            expected: 256,
            found: 7
        }
    );
    assert_eq!(attempts.0[1].combination, ProofAccepted::ProofOldWithCurrentKey);
    assert_eq!(attempts.0[1].failure, AttemptFailure::Mismatch);
    let msg = err.to_string();
    assert!(
        msg.contains("X-WOPI-ProofOld with the current key: signature does not match"),
        "{msg}"
    );
}

#[test]
fn rejected_both_invalid_is_reported_as_malformed() {
    let h = headers(INVALID, Some(INVALID), ts());
    let err = verify(&fixture_keys(), &h, TOKEN, URL, at(ts())).expect_err("must reject");
    assert!(matches!(err, ProofError::MalformedSignature { .. }), "{err:?}");
    let h = headers("%%% not base64 %%%", None, ts());
    let err = verify(&fixture_keys(), &h, TOKEN, URL, at(ts())).expect_err("must reject");
    let ProofError::MalformedSignature { attempts } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(attempts.0[0].failure, AttemptFailure::NotBase64);
    assert_eq!(attempts.0[1].failure, AttemptFailure::HeaderAbsent);
}

#[test]
fn rejected_signed_with_an_unknown_key() {
    let h = headers(
        &sign("next", TOKEN, URL, ts()),
        Some(&sign("next", TOKEN, URL, ts())),
        ts(),
    );
    let err = verify(&fixture_keys(), &h, TOKEN, URL, at(ts())).expect_err("must reject");
    assert!(matches!(err, ProofError::SignatureMismatch { .. }), "{err:?}");
}

#[test]
fn rejected_signed_with_old_key_when_no_old_key_is_published() {
    let keys = ProofKeys {
        current: fixture("current").public(),
        old: None,
    };
    let h = headers(&sign("old", TOKEN, URL, ts()), None, ts());
    let err = verify(&keys, &h, TOKEN, URL, at(ts())).expect_err("must reject");
    let ProofError::SignatureMismatch { attempts } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(attempts.0[2].failure, AttemptFailure::NoOldKey);
}

// ----- timestamp window -----

fn verify_at(offset_from_ts: i64) -> Result<ProofAccepted, ProofError> {
    let h = headers(&sign("current", TOKEN, URL, ts()), None, ts());
    let ticks = ts().0.checked_add_signed(offset_from_ts).expect("in range");
    verify(&fixture_keys(), &h, TOKEN, URL, at(Ticks(ticks)))
}

const SEC: i64 = 10_000_000;

#[test]
fn timestamp_just_under_and_at_20_minutes_is_accepted() {
    assert_eq!(MAX_PROOF_AGE, Duration::from_secs(1200));
    assert_eq!(verify_at(1199 * SEC), Ok(ProofAccepted::CurrentKey));
    assert_eq!(
        verify_at(1200 * SEC),
        Ok(ProofAccepted::CurrentKey),
        "no more than 20 minutes old"
    );
}

#[test]
fn timestamp_just_over_20_minutes_is_rejected() {
    assert_eq!(
        verify_at(1200 * SEC + 1),
        Err(ProofError::TimestampTooOld { age_secs: 1200 })
    );
    assert_eq!(
        verify_at(1201 * SEC),
        Err(ProofError::TimestampTooOld { age_secs: 1201 })
    );
    // The validator's TimestampOlderThan20Min case: a valid signature over 2015-08-17.
    let old = Ticks(635_753_664_000_000_000);
    let h = headers(&sign("current", TOKEN, URL, old), None, old);
    let err = verify(&fixture_keys(), &h, TOKEN, URL, at(ts())).expect_err("must reject");
    assert!(matches!(err, ProofError::TimestampTooOld { .. }), "{err:?}");
}

#[test]
fn timestamp_in_the_future_beyond_skew_is_rejected() {
    assert_eq!(MAX_CLOCK_SKEW_FUTURE, Duration::from_secs(300));
    assert_eq!(verify_at(-299 * SEC), Ok(ProofAccepted::CurrentKey));
    assert_eq!(verify_at(-300 * SEC), Ok(ProofAccepted::CurrentKey));
    assert_eq!(
        verify_at(-301 * SEC),
        Err(ProofError::TimestampInFuture { ahead_secs: 301 })
    );
    assert_eq!(
        verify_at(-365 * 24 * 3600 * SEC),
        Err(ProofError::TimestampInFuture {
            ahead_secs: 365 * 24 * 3600
        })
    );
}

// ----- URL and token -----

#[test]
fn url_differing_only_in_case_still_verifies() {
    let h = headers(&sign("current", TOKEN, URL, ts()), None, ts());
    let upper = URL.to_uppercase();
    let mixed = URL.replace("wopi/files", "WOPI/Files").replace("https", "HTTPS");
    for url in [URL, upper.as_str(), mixed.as_str()] {
        assert_eq!(
            verify(&fixture_keys(), &h, TOKEN, url, at(ts())),
            Ok(ProofAccepted::CurrentKey),
            "{url}"
        );
    }
}

#[test]
fn url_with_a_different_query_port_or_scheme_does_not_verify() {
    let h = headers(&sign("current", TOKEN, URL, ts()), None, ts());
    let variants = [
        URL.replace("access_token_ttl=0", "access_token_ttl=1"),
        URL.split('?').next().expect("path").to_owned(),
        URL.replace(":8443", ""),
        URL.replace("https://", "http://"),
        URL.replace("%2F", "/"),
    ];
    for url in &variants {
        let err = verify(&fixture_keys(), &h, TOKEN, url, at(ts())).expect_err(url);
        assert!(matches!(err, ProofError::SignatureMismatch { .. }), "{url}: {err:?}");
    }
}

#[test]
fn token_is_case_sensitive() {
    let h = headers(&sign("current", TOKEN, URL, ts()), None, ts());
    let err = verify(&fixture_keys(), &h, &TOKEN.to_uppercase(), URL, at(ts())).expect_err("token case matters");
    assert!(matches!(err, ProofError::SignatureMismatch { .. }));
}

#[test]
fn expected_proof_layout_is_exact() {
    let got = expected_proof("ab", "https://h/x?q=é", Ticks(0x0102_0304_0506_0708));
    let url = "HTTPS://H/X?Q=É".as_bytes();
    let mut want = vec![0, 0, 0, 2, b'a', b'b'];
    want.extend_from_slice(&u32::try_from(url.len()).expect("small").to_be_bytes());
    want.extend_from_slice(url);
    want.extend_from_slice(&[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(got, want);
    // .NET ToUpperInvariant maps one character to one: "ß" has no single upper-case form and stays.
    let got = expected_proof("", "ß", Ticks(0));
    assert_eq!(&got[4..8], &[0, 0, 0, 2]);
    assert_eq!(&got[8..10], "ß".as_bytes());
}

// ----- Ticks -----

#[test]
fn ticks_known_values() {
    assert_eq!(Ticks::from_system_time(UNIX_EPOCH), Ticks(621_355_968_000_000_000));
    assert_eq!(Ticks::UNIX_EPOCH.to_system_time(), Some(UNIX_EPOCH));
    // 2015-08-17T00:00:00Z (validator-semantics.md §3.1)
    let t = UNIX_EPOCH + Duration::from_secs(1_439_769_600);
    assert_eq!(Ticks::from_system_time(t), Ticks(635_753_664_000_000_000));
    // 0001-01-01T00:00:00Z is tick 0.
    let year1 = UNIX_EPOCH - Duration::from_secs(62_135_596_800);
    assert_eq!(Ticks::from_system_time(year1), Ticks(0));
    assert_eq!(Ticks(0).to_system_time(), Some(year1));
    // Sub-second precision is 100 ns.
    let t = UNIX_EPOCH + Duration::new(1, 123_456_789);
    assert_eq!(Ticks::from_system_time(t), Ticks(621_355_968_011_234_567));
    assert_eq!(
        Ticks(621_355_968_011_234_567).to_system_time(),
        Some(UNIX_EPOCH + Duration::new(1, 123_456_700))
    );
    // The vectors' first case, 635655897610773532, is 2015-04-25T20:16:01.077Z (`date -u -d @1429992961`).
    let v = Ticks(635_655_897_610_773_532).to_system_time().expect("time");
    let since = v.duration_since(UNIX_EPOCH).expect("after epoch");
    assert_eq!(since, Duration::new(1_429_992_961, 77_353_200));
}

#[test]
fn ticks_parse_and_display() {
    assert_eq!(Ticks::parse("635655897610773532"), Ok(Ticks(635_655_897_610_773_532)));
    assert_eq!(Ticks::parse(" 42 "), Ok(Ticks(42)));
    assert_eq!(Ticks(635_655_897_610_773_532).to_string(), "635655897610773532");
    assert_eq!(
        Ticks::parse("3155378975999999999"),
        Ok(Ticks(3_155_378_975_999_999_999))
    );
    for bad in [
        "",
        " ",
        "-1",
        "+1",
        "1.5",
        "12a",
        "0x10",
        "3155378975999999999999",
        "3155378975999999999 0",
    ] {
        assert!(matches!(Ticks::parse(bad), Err(MalformedTicks(_))), "{bad:?}");
    }
    assert!(Ticks::parse("3155378976000000000").is_err(), "past DateTime.MaxValue");
    let long = "9".repeat(10_000);
    let Err(MalformedTicks(shown)) = Ticks::parse(&long) else {
        panic!("must fail")
    };
    assert!(shown.chars().count() < 100, "error message is bounded");
}

#[test]
fn ticks_now_is_after_2026() {
    assert!(Ticks::now() > ts());
}

// ----- headers -----

#[test]
fn proof_headers_from_values() {
    assert_eq!(
        ProofHeaders::from_values(None, Some("x"), Some("1")),
        Err(ProofError::MissingHeader("X-WOPI-Proof"))
    );
    assert_eq!(
        ProofHeaders::from_values(Some("  "), None, Some("1")),
        Err(ProofError::MissingHeader("X-WOPI-Proof"))
    );
    assert_eq!(
        ProofHeaders::from_values(Some("p"), None, None),
        Err(ProofError::MissingHeader("X-WOPI-TimeStamp"))
    );
    assert!(matches!(
        ProofHeaders::from_values(Some("p"), None, Some("yesterday")),
        Err(ProofError::MalformedTimestamp(v)) if v == "yesterday"
    ));
    let h = ProofHeaders::from_values(Some("p"), Some(""), Some("7")).expect("ok");
    assert_eq!(h.proof_old, None);
    assert_eq!(h.timestamp, Ticks(7));
}

#[test]
fn signed_proof_header_pairs() {
    let signed = sign_request(fixture("current"), None, TOKEN, URL, ts());
    assert_eq!(signed.proof_old, None);
    let pairs = signed.header_pairs();
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0], ("X-WOPI-Proof", signed.proof.clone()));
    assert_eq!(pairs[1], ("X-WOPI-TimeStamp", ts().to_string()));
    let signed = sign_request(fixture("current"), Some(fixture("old")), TOKEN, URL, ts());
    let pairs = signed.header_pairs();
    assert_eq!(
        pairs[1],
        ("X-WOPI-ProofOld", signed.proof_old.clone().expect("old signed"))
    );
    assert_eq!(pairs[2], ("X-WOPI-TimeStamp", ts().to_string()));
}

// ----- malformed keys: errors, never panics -----

fn vector_blob() -> Vec<u8> {
    STANDARD.decode(disc("value")).expect("b64")
}

fn blob_err(mutate: impl FnOnce(&mut Vec<u8>)) -> KeyError {
    let mut blob = vector_blob();
    mutate(&mut blob);
    ProofPublicKey::from_csp_blob(&STANDARD.encode(blob)).expect_err("must fail")
}

#[test]
fn csp_blob_errors_name_the_problem() {
    assert!(matches!(
        ProofPublicKey::from_csp_blob("!!"),
        Err(KeyError::NotBase64 { field: "CSP blob", .. })
    ));
    assert_eq!(blob_err(|b| b.truncate(19)), KeyError::BlobTooShort { len: 19 });
    assert!(matches!(blob_err(|b| b[0] = 0x07), KeyError::BlobType { found: 7, hint } if hint.contains("PRIVATE")));
    assert!(matches!(blob_err(|b| b[0] = 0x01), KeyError::BlobType { found: 1, .. }));
    assert_eq!(blob_err(|b| b[1] = 3), KeyError::BlobVersion { found: 3 });
    assert_eq!(blob_err(|b| b[2] = 1), KeyError::BlobReserved { found: 1 });
    assert_eq!(blob_err(|b| b[5] = 0x99), KeyError::BlobAlgorithm { found: 0x9900 });
    assert_eq!(blob_err(|b| b[8] = b'D'), KeyError::BlobMagic { found: "DSA1".into() });
    assert_eq!(blob_err(|b| b[12] = 1), KeyError::BlobBitLength { bitlen: 0x801 });
    assert_eq!(
        blob_err(|b| b.truncate(200)),
        KeyError::BlobLength {
            bitlen: 2048,
            expected: 276,
            found: 200
        }
    );
    assert_eq!(
        blob_err(|b| b.push(0)),
        KeyError::BlobLength {
            bitlen: 2048,
            expected: 276,
            found: 277
        }
    );
    // A signature-key blob (CALG_RSA_SIGN) has the same layout and is accepted.
    let mut blob = vector_blob();
    blob[5] = 0x24;
    assert!(ProofPublicKey::from_csp_blob(&STANDARD.encode(blob)).is_ok());
    // Exponent 1 in the blob.
    assert!(matches!(
        blob_err(|b| b[16..20].copy_from_slice(&[1, 0, 0, 0])),
        KeyError::BadExponent(_)
    ));
    // An even modulus.
    assert!(matches!(blob_err(|b| b[20] &= 0xfe), KeyError::InvalidKey(_)));
    // A tiny but well-formed blob: 8-bit modulus.
    let tiny = [
        6, 2, 0, 0, 0, 0xa4, 0, 0, b'R', b'S', b'A', b'1', 8, 0, 0, 0, 3, 0, 0, 0, 0xb5,
    ];
    assert_eq!(
        ProofPublicKey::from_csp_blob(&STANDARD.encode(tiny)),
        Err(KeyError::ModulusTooSmall { bits: 8 })
    );
}

#[test]
fn modulus_exponent_errors_name_the_problem() {
    let e = ProofPublicKey::from_modulus_exponent("not base64!", "AQAB").expect_err("bad");
    assert!(matches!(e, KeyError::NotBase64 { field: "modulus", .. }));
    let e = ProofPublicKey::from_modulus_exponent(disc("modulus"), "***").expect_err("bad");
    assert!(matches!(e, KeyError::NotBase64 { field: "exponent", .. }));
    assert_eq!(
        ProofPublicKey::from_modulus_exponent("AQ==", "AQAB"),
        Err(KeyError::ModulusTooSmall { bits: 1 })
    );
    assert_eq!(
        ProofPublicKey::from_modulus_exponent("", "AQAB"),
        Err(KeyError::Empty { field: "modulus" })
    );
    assert_eq!(
        ProofPublicKey::from_modulus_exponent("AAAA", "AQAB"),
        Err(KeyError::Empty { field: "modulus" })
    );
    assert_eq!(
        ProofPublicKey::from_modulus_exponent(disc("modulus"), ""),
        Err(KeyError::Empty { field: "exponent" })
    );
    let huge = STANDARD.encode(vec![0xffu8; 1025]);
    assert_eq!(
        ProofPublicKey::from_modulus_exponent(&huge, "AQAB"),
        Err(KeyError::ModulusTooLarge { bits: 8200 })
    );
    for exp in ["AQ==", "Ag==", "AQAAAAAB"] {
        let e = ProofPublicKey::from_modulus_exponent(disc("modulus"), exp).expect_err(exp);
        assert!(matches!(e, KeyError::BadExponent(_)), "{exp}: {e:?}");
    }
    // Missing padding is tolerated, a leading zero byte in the exponent too.
    let m = disc("modulus").trim_end_matches('=');
    assert!(ProofPublicKey::from_modulus_exponent(m, "AAEAAQ==").is_ok());
    // Errors read as sentences naming the problem.
    let msg = ProofPublicKey::from_modulus_exponent("AQ==", "AQAB")
        .expect_err("tiny")
        .to_string();
    assert!(msg.contains("1 bits") && msg.contains("1024"), "{msg}");
}

#[test]
fn wrong_length_or_garbage_signatures_do_not_verify() {
    let key = fixture("current").public();
    let msg = expected_proof(TOKEN, URL, ts());
    let good = STANDARD.decode(fixture("current").sign(&msg)).expect("b64");
    for sig in [
        String::new(),
        "@@@".to_owned(),
        STANDARD.encode(&good[1..]),
        STANDARD.encode([&good[..], &[0]].concat()),
        STANDARD.encode(vec![0xffu8; 256]),
        STANDARD.encode(vec![0u8; 256]),
    ] {
        assert!(!key.verify(&msg, &sig), "{sig}");
    }
}

// ----- properties -----

fn decode_layout(bytes: &[u8]) -> Option<(Vec<u8>, Vec<u8>, u64)> {
    fn field(bytes: &[u8], at: &mut usize) -> Option<Vec<u8>> {
        let len = u32::from_be_bytes(bytes.get(*at..*at + 4)?.try_into().ok()?) as usize;
        *at += 4;
        let v = bytes.get(*at..*at + len)?.to_vec();
        *at += len;
        Some(v)
    }
    let mut at = 0;
    let token = field(bytes, &mut at)?;
    let url = field(bytes, &mut at)?;
    let ts = field(bytes, &mut at)?;
    if at != bytes.len() {
        return None;
    }
    Some((token, url, u64::from_be_bytes(ts.try_into().ok()?)))
}

proptest! {
    #[test]
    fn expected_proof_layout_round_trips(token in ".{0,64}", url in "[ -~]{0,200}", ticks in any::<u64>()) {
        let bytes = expected_proof(&token, &url, Ticks(ticks));
        let (t, u, ts) = decode_layout(&bytes).expect("layout decodes");
        prop_assert_eq!(t, token.as_bytes().to_vec());
        prop_assert_eq!(u, url.to_ascii_uppercase().into_bytes());
        prop_assert_eq!(ts, ticks);
    }

    #[test]
    fn expected_proof_lengths_decode_for_any_unicode(token in "\\PC{0,32}", url in "\\PC{0,64}") {
        let bytes = expected_proof(&token, &url, Ticks(1));
        let (t, u, ts) = decode_layout(&bytes).expect("layout decodes");
        prop_assert_eq!(t, token.as_bytes().to_vec());
        prop_assert!(String::from_utf8(u).is_ok());
        prop_assert_eq!(ts, 1);
    }

    #[test]
    fn verify_never_panics_on_arbitrary_headers(
        proof in proptest::option::of(".{0,400}"),
        proof_old in proptest::option::of(".{0,400}"),
        timestamp in proptest::option::of(prop_oneof![".{0,30}", "[0-9]{1,22}"]),
        token in ".{0,40}",
        url in ".{0,80}",
    ) {
        if let Ok(h) = ProofHeaders::from_values(proof.as_deref(), proof_old.as_deref(), timestamp.as_deref()) {
            let now = h.timestamp.to_system_time().unwrap_or(UNIX_EPOCH);
            let result = verify(&fixture_keys(), &h, &token, &url, now);
            prop_assert!(result.is_err(), "a random string never verifies");
        }
    }

    #[test]
    fn random_base64_signatures_of_the_right_length_never_verify(bytes in proptest::collection::vec(any::<u8>(), 256)) {
        let h = headers(&STANDARD.encode(&bytes), Some(&STANDARD.encode(&bytes)), ts());
        prop_assert!(verify(&fixture_keys(), &h, TOKEN, URL, at(ts())).is_err());
    }

    #[test]
    fn key_parsers_never_panic(value in ".{0,300}", modulus in proptest::collection::vec(any::<u8>(), 0..300),
                               exponent in proptest::collection::vec(any::<u8>(), 0..9)) {
        let _ = ProofPublicKey::from_csp_blob(&value);
        let _ = ProofPublicKey::from_modulus_exponent(&value, &value);
        let _ = ProofPublicKey::from_modulus_exponent(&STANDARD.encode(&modulus), &STANDARD.encode(&exponent));
        let mut blob = vec![6, 2, 0, 0, 0, 0xa4, 0, 0, b'R', b'S', b'A', b'1'];
        let bitlen = u32::try_from(modulus.len() * 8).expect("small");
        blob.extend_from_slice(&bitlen.to_le_bytes());
        let mut e4 = exponent.clone();
        e4.resize(4, 0);
        blob.extend_from_slice(&e4);
        blob.extend_from_slice(&modulus);
        let _ = ProofPublicKey::from_csp_blob(&STANDARD.encode(&blob));
    }
}

/// The fixture `current` key as the pure-Rust `rsa` crate sees it: the independent implementation the aws-lc-rs
/// verifier inside [`ProofPublicKey`] is checked against.
fn rsa_crate_current() -> &'static rsa::PrivateKey {
    static KEY: OnceLock<rsa::PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs8::DecodePrivateKey as _;
        let path = workspace_root().join("fixtures/proof-keys/current.pem");
        let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        rsa::PrivateKey::from_pkcs8_pem(&pem).expect("current.pem for the rsa crate")
    })
}

proptest! {
    // rsa signing costs milliseconds (more in debug): a few cases are enough to catch a disagreement.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn rsa_crate_signatures_and_aws_lc_verification_agree(
        message in proptest::collection::vec(any::<u8>(), 0..400),
        flip in any::<proptest::sample::Index>(),
    ) {
        let rsa_sig = rsa_crate_current().pkcs1v15_sign::<sha2::Sha256>(&message).expect("rsa signs");
        let rsa_b64 = STANDARD.encode(&rsa_sig);
        let public = fixture("current").public();
        prop_assert!(public.verify(&message, &rsa_b64), "an rsa-crate signature must verify");
        // ProofKeyPair signs on aws-lc-rs; PKCS#1 v1.5 is deterministic, so the bytes must be identical.
        prop_assert_eq!(fixture("current").sign(&message), rsa_b64.clone());
        // Both libraries reject the same tampered signature.
        let mut bad = rsa_sig.clone();
        let at = flip.index(bad.len());
        bad[at] ^= 0x01;
        let rsa_accepts_bad =
            rsa_crate_current().to_public_key().pkcs1v15_verify::<sha2::Sha256>(&message, &bad).is_ok();
        prop_assert!(!rsa_accepts_bad);
        prop_assert!(!public.verify(&message, &STANDARD.encode(&bad)));
        // And a signature of this message is not one of a different message.
        let mut other = message.clone();
        other.push(0);
        prop_assert!(!public.verify(&other, &rsa_b64));
    }
}

/// Writes fresh `fixtures/proof-keys/{current,old,next}.pem`. The committed keys were made with
/// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`; this is the equivalent without OpenSSL.
/// Run only on purpose (`cargo test -p wopi-protocol --test proof -- --ignored generate_fixture_keys`): every host
/// configured with the old keys stops trusting the mock client.
#[test]
#[ignore = "rewrites the committed fixture keys"]
fn generate_fixture_keys() {
    let dir = workspace_root().join("fixtures/proof-keys");
    for name in ["current", "old", "next"] {
        let pem = ProofKeyPair::generate()
            .expect("generate")
            .to_pkcs8_pem()
            .expect("encode");
        let tmp = dir.join(format!("{name}.pem.tmp"));
        std::fs::write(&tmp, pem).expect("write");
        std::fs::rename(&tmp, dir.join(format!("{name}.pem"))).expect("rename");
    }
}
