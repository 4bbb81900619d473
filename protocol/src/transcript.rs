//! One recorded WOPI exchange (a request and what came back), as reports show it.
//!
//! Access tokens never reach a transcript: [`redact_url`] replaces the `access_token` query value, and
//! [`Exchange::record_header`] drops the values of headers that carry secrets. The body preview is bounded so a
//! hostile host cannot make a report grow without limit.

use serde::{Deserialize, Serialize};

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
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "x-wopi-proof",
    "x-wopi-proofold",
];

impl RecordedRequest {
    /// Adds a header to the record, redacting secret values.
    pub fn record_header(&mut self, name: &str, value: &str) {
        self.headers.push(redact_header(name, value));
    }
}

/// Returns the header as it may appear in a report.
pub fn redact_header(name: &str, value: &str) -> (String, String) {
    let lower = name.to_ascii_lowercase();
    if SECRET_HEADERS.contains(&lower.as_str()) {
        (name.to_string(), REDACTED.to_string())
    } else {
        (name.to_string(), value.to_string())
    }
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
            Some((k, _)) if k.eq_ignore_ascii_case("access_token") => format!("{k}={REDACTED}"),
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
    let mut text = text.into_owned();
    if let Some(s) = secret.filter(|s| !s.is_empty()) {
        text = text.replace(s, REDACTED);
    }
    if body.len() > cut {
        text.push_str(&format!("… ({} more bytes)", body.len() - cut));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

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
