//! One recorded WOPI exchange (a request and what came back), as reports show it.
//!
//! Access tokens never reach a transcript: [`redact_url`] replaces the `access_token` query value,
//! [`redact_header`] drops the values of headers that carry secrets, [`redact_secret`] removes a known token
//! wherever it stands, and [`Exchange::scrub`] applies all of that (plus [`redact_token_params`] for tokens a host
//! minted and echoed in free text) to a whole exchange. Every crate of the toolkit redacts through these functions.
//! The body preview is bounded so a hostile host cannot make a report grow without limit.

use serde::{Deserialize, Serialize};

use crate::headers::{X_WOPI_PROOF, X_WOPI_PROOF_OLD};

/// The longest body preview kept in a transcript, in bytes.
pub const BODY_PREVIEW_LIMIT: usize = 4096;

/// What stands in place of a redacted secret.
pub const REDACTED: &str = "[redacted]";

/// A request as it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The URL with the access token redacted.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body_size: u64,
    pub body_preview: String,
}

/// What came back, or why nothing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordedOutcome {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body_size: u64,
        body_preview: String,
    },
    /// A transport-level failure: refused connection, timeout, oversized body, TLS error, ...
    TransportError { message: String },
}

/// One exchange with its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// A short label of what the exchange was for, e.g. `Lock` or `CheckFileInfo`.
    pub label: String,
    pub request: RecordedRequest,
    pub outcome: RecordedOutcome,
    pub elapsed_ms: f64,
}

/// Header names whose values are secrets or signatures and are kept out of reports.
const SECRET_HEADERS: &[&str] = &["Authorization", "Cookie", "Set-Cookie", X_WOPI_PROOF, X_WOPI_PROOF_OLD];

/// The shortest secret [`scrub_text`] replaces: a shorter one (a mutated token such as `x`) would also match
/// ordinary text and wreck the report, and says nothing about a real token anyway.
pub const MIN_SCRUBBED_SECRET_LEN: usize = 4;

impl RecordedRequest {
    /// Adds a header to the record: secret headers by name ([`redact_header`]), and `secret` (the request's
    /// token) wherever it stands in any other value ([`redact_secret`]).
    pub fn record_header(&mut self, name: &str, value: &str, secret: &str) {
        self.headers.push(redact_header_and_secret(name, value, secret));
    }
}

impl Exchange {
    /// Removes every token from the exchange, in every text it holds (URL, header values, body previews, transport
    /// message): `access_token` parameters ([`redact_token_params`]) and each of `secrets` ([`scrub_text`]).
    pub fn scrub(&mut self, secrets: &[String]) {
        let scrub = |t: &mut String| *t = scrub_text(t, secrets);
        let r = &mut self.request;
        scrub(&mut r.url);
        scrub(&mut r.body_preview);
        r.headers.iter_mut().for_each(|(_, v)| scrub(v));
        match &mut self.outcome {
            RecordedOutcome::Response {
                headers, body_preview, ..
            } => {
                scrub(body_preview);
                headers.iter_mut().for_each(|(_, v)| scrub(v));
            }
            RecordedOutcome::TransportError { message } => scrub(message),
        }
    }
}

/// `text` with every `access_token` parameter ([`redact_token_params`]) and every one of `secrets` at least
/// [`MIN_SCRUBBED_SECRET_LEN`] long replaced by [`REDACTED`].
pub fn scrub_text(text: &str, secrets: &[String]) -> String {
    let mut t = redact_token_params(text);
    for s in secrets.iter().filter(|s| s.len() >= MIN_SCRUBBED_SECRET_LEN) {
        if t.contains(s.as_str()) {
            t = t.replace(s.as_str(), REDACTED);
        }
    }
    t
}

/// Replaces the value of every `access_token=` parameter in free text (a URL inside a JSON body, a message),
/// up to the next delimiter, so tokens a host mints never reach a report either.
pub fn redact_token_params(text: &str) -> String {
    const KEY: &str = "access_token=";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(found) = lower[i..].find(KEY) {
        let start = i + found + KEY.len();
        out.push_str(&text[i..start]);
        let end = text[start..]
            .find(|c: char| matches!(c, '&' | '"' | '\'' | '<' | '>' | '#' | '\\') || c.is_whitespace())
            .map_or(text.len(), |e| start + e);
        if end > start {
            out.push_str(REDACTED);
        }
        i = end;
    }
    out.push_str(&text[i..]);
    out
}

/// `text` with every occurrence of `secret` (a request's access token) replaced by [`REDACTED`]; unchanged if
/// `secret` is empty.
pub fn redact_secret(text: &str, secret: &str) -> String {
    // Most header values are shorter than a token: skip building a searcher for them (it showed in profiles).
    if secret.is_empty() || text.len() < secret.len() {
        text.to_string()
    } else {
        text.replace(secret, REDACTED)
    }
}

/// Whether a query or form parameter carries the access token (`access_token`, any letter case).
pub fn is_token_param(name: &str) -> bool {
    name.eq_ignore_ascii_case("access_token")
}

/// (name, value) pairs of a query or form with the access token's value redacted, the rest kept.
pub fn redact_token_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            let v = if is_token_param(k) {
                REDACTED.to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

/// Returns the header as it may appear in a report.
pub fn redact_header(name: &str, value: &str) -> (String, String) {
    if SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
        (name.to_string(), REDACTED.to_string())
    } else {
        (name.to_string(), value.to_string())
    }
}

/// [`redact_header`], then `secret` removed from the value wherever it stands ([`redact_secret`]):
/// `Authorization: Bearer <token>` goes by name, a token echoed in any other header by value.
pub fn redact_header_and_secret(name: &str, value: &str, secret: &str) -> (String, String) {
    let (name, value) = redact_header(name, value);
    let value = redact_secret(&value, secret);
    (name, value)
}

/// Replaces the value of every `access_token` query parameter with [`REDACTED`].
///
/// Works on any string, even one that does not parse as a URL, because what a host returns is not trusted to be
/// well formed.
pub fn redact_url(url: &str) -> String {
    let Some((base, rest)) = url.split_once('?') else {
        return url.to_string();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (rest, None),
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_token_param(k) => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect();
    let mut out = format!("{base}?{}", redacted.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Returns at most [`BODY_PREVIEW_LIMIT`] bytes of a body as text, cut on a character boundary, with any
/// occurrence of `secret` (an access token) redacted.
pub fn body_preview(body: &[u8], secret: Option<&str>) -> String {
    let cut = body.len().min(BODY_PREVIEW_LIMIT);
    let text = String::from_utf8_lossy(&body[..cut]);
    let mut text = redact_secret(&text, secret.unwrap_or(""));
    if body.len() > cut {
        text.push_str(&format!("… ({} more bytes)", body.len() - cut));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scrub_removes_tokens_from_text_and_urls() {
        let s = scrub_text("https://h/f?access_token=SECRET1 and SECRET2", &["SECRET2".to_string()]);
        assert_eq!(s, "https://h/f?access_token=[redacted] and [redacted]");
        let body = r#"{"Url":"http://h/f?a=1&ACCESS_TOKEN=abc","Name":"x"}"#;
        assert_eq!(
            redact_token_params(body),
            r#"{"Url":"http://h/f?a=1&ACCESS_TOKEN=[redacted]","Name":"x"}"#
        );
        // Too short to scrub by value: a mutated one-letter token would hit every `x` in the report.
        assert_eq!(scrub_text("x marks", &["x".to_string()]), "x marks");
        assert_eq!(redact_token_params("access_token=&b"), "access_token=&b");
    }

    #[test]
    fn a_whole_exchange_is_scrubbed() {
        let secrets = ["TOKEN123".to_string()];
        let mut ex = Exchange {
            label: "L".into(),
            request: RecordedRequest {
                method: "GET".into(),
                url: "http://h/TOKEN123?access_token=other".into(),
                headers: vec![("X-Echo".into(), "a TOKEN123".into())],
                body_size: 8,
                body_preview: "TOKEN123".into(),
            },
            outcome: RecordedOutcome::Response {
                status: 200,
                headers: vec![("Location".into(), "http://h/?access_token=minted".into())],
                body_size: 8,
                body_preview: "is TOKEN123".into(),
            },
            elapsed_ms: 1.0,
        };
        ex.scrub(&secrets);
        let text = serde_json::to_string(&ex).unwrap();
        assert!(
            !text.contains("TOKEN123") && !text.contains("minted") && !text.contains("other"),
            "{text}"
        );
        let mut failed = Exchange {
            outcome: RecordedOutcome::TransportError {
                message: "refused TOKEN123".into(),
            },
            ..ex
        };
        failed.scrub(&secrets);
        assert_eq!(
            failed.outcome,
            RecordedOutcome::TransportError {
                message: "refused [redacted]".into()
            }
        );
    }

    #[test]
    fn header_values_and_form_pairs_lose_the_token() {
        assert_eq!(
            redact_header_and_secret("X-Echo", "tok tok", "tok"),
            ("X-Echo".to_string(), "[redacted] [redacted]".to_string())
        );
        assert_eq!(redact_header_and_secret("X-WOPI-Proof", "sig", "").1, REDACTED);
        assert_eq!(redact_secret("abc", ""), "abc");
        let pairs = vec![
            ("Access_Token".to_string(), "t".to_string()),
            ("access_token_ttl".to_string(), "5".to_string()),
        ];
        assert_eq!(
            redact_token_pairs(&pairs),
            vec![
                ("Access_Token".to_string(), REDACTED.to_string()),
                ("access_token_ttl".to_string(), "5".to_string())
            ]
        );
    }

    proptest! {
        #[test]
        fn no_secret_survives_scrubbing(before in ".{0,40}", secret in "[A-Z0-9]{4,20}", after in ".{0,40}") {
            let text = format!("{before}{secret}{after}{secret}");
            prop_assert!(!scrub_text(&text, std::slice::from_ref(&secret)).contains(&secret));
            prop_assert!(!redact_secret(&text, &secret).contains(&secret));
        }

        #[test]
        fn token_params_never_survive(prefix in "[a-z/:?&=]{0,20}", token in "[A-Za-z0-9%._-]{1,30}") {
            let text = format!("{prefix}access_token={token}");
            prop_assert!(redact_token_params(&text).ends_with("access_token=[redacted]"));
        }
    }

    #[test]
    fn access_token_is_redacted_wherever_it_stands() {
        assert_eq!(
            redact_url("http://h/wopi/files/1?a=1&access_token=SECRET&b=2#x"),
            "http://h/wopi/files/1?a=1&access_token=[redacted]&b=2#x"
        );
        assert_eq!(redact_url("http://h/wopi/files/1"), "http://h/wopi/files/1");
        assert_eq!(
            redact_url("not a url?ACCESS_TOKEN=s"),
            "not a url?ACCESS_TOKEN=[redacted]"
        );
    }

    #[test]
    fn proof_headers_are_redacted_and_others_kept() {
        assert_eq!(redact_header("X-WOPI-Proof", "sig").1, REDACTED);
        assert_eq!(redact_header("X-WOPI-Lock", "abc").1, "abc");
    }

    #[test]
    fn body_preview_is_bounded_and_redacts_the_token() {
        let body = vec![b'a'; BODY_PREVIEW_LIMIT + 10];
        let p = body_preview(&body, None);
        assert!(p.ends_with("(10 more bytes)"));
        assert_eq!(body_preview(b"token=tok123", Some("tok123")), "token=[redacted]");
        // A multi-byte character cut in half must not panic.
        let mut b = vec![b'a'; BODY_PREVIEW_LIMIT - 1];
        b.extend_from_slice("é".as_bytes());
        let _ = body_preview(&b, None);
    }
}
