//! Validators: each validator element of the suite evaluated against one response, as the C# engine evaluates
//! it (validator-semantics.md §2.3–2.6, §5), producing [`Failure`]s that say what was expected and what came back.
//!
//! Kept from the engine: the always-on Content-Length check; "status is 200" when a request has no
//! `<Validators>` and no status check when it has one; the header comparison rules (names and `=` values
//! case-insensitive, numeric comparators on 32-bit integers); LockMismatchValidator as 409 plus `X-WOPI-Lock`;
//! the JSON property rules, including "a missing optional property passes even with an expected value" and the
//! stricter null rule of StringRegexProperty.
//!
//! Fixed: every case where the engine throws and aborts the whole run (an object where a scalar is expected, a
//! required regex property absent, an unparseable Content-Length, a schema check on a binary response, ...) is
//! here a failure of that request only.

pub mod frames;
// The lenient JSON reader is shared with the suite parser (`ExpectedValue`), so it lives outside `validate`.
pub use crate::lenient_json as json;
mod properties;
pub mod schema;

use std::collections::HashMap;

use http::HeaderMap;

use crate::report::model::Failure;
use crate::suite::{Comparator, ExpectedContent, Severity, Suite, Validator, ValidatorKind};

pub use schema::SchemaStore;

/// The state of one case execution: values saved by `<SaveState>`, read by `$State:` and `*StateKey`.
///
/// A saved value may be `None` (the source was absent), which is different from a key never saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    values: HashMap<String, Option<String>>,
}

impl State {
    pub fn new() -> Self {
        State::default()
    }

    /// `Some(value)` when the key was saved (the value may be `None`).
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        self.values.get(key).map(|v| v.as_deref())
    }

    /// The saved value when it exists and is not empty.
    pub fn get_nonempty(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|v| v.as_deref())
            .filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, key: impl Into<String>, value: Option<String>) {
        self.values.insert(key.into(), value);
    }
}

/// A response as the validators see it.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// The engine treats GetFile, GetChunkedFile, PutChunkedFile and GetSequenceNumber answers as binary: no text.
    pub binary: bool,
}

impl ResponseView<'_> {
    /// A header by case-insensitive name; repeated headers joined with `,` as .NET's WebHeaderCollection does.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<String> = self
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(","))
        }
    }

    /// The body as text (UTF-8, BOM skipped), or `None` for binary responses and empty bodies.
    pub fn text(&self) -> Option<String> {
        if self.binary || self.body.is_empty() {
            return None;
        }
        let body = self.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(self.body);
        Some(String::from_utf8_lossy(body).into_owned())
    }
}

/// What the validators need besides the response.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Label of the request in the case (`Lock`, `GetFile#2`), copied into each failure.
    pub label: &'a str,
    pub state: &'a State,
    pub suite: &'a Suite,
    pub schemas: &'a SchemaStore,
    /// Now, in Unix milliseconds (the ±10-year timestamp rule).
    pub now_ms: i64,
}

impl Context<'_> {
    pub(crate) fn failure(
        &self,
        check: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
        rule: impl Into<String>,
    ) -> Failure {
        Failure {
            request: self.label.to_string(),
            check: check.into(),
            expected: expected.into(),
            actual: actual.into(),
            rule: Some(rule.into()),
            doc: None,
            should_only: false,
        }
    }
}

/// Checks one response: the implicit checks, then `validators` (`None` = the request had no `<Validators>`).
pub fn check_response(validators: Option<&[Validator]>, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let mut out = content_length(resp, ctx);
    match validators {
        None => out.extend(response_code(200, resp, ctx)),
        Some(list) => {
            for v in list {
                out.extend(evaluate(v, resp, ctx));
            }
        }
    }
    out
}

/// Evaluates one validator element (recursively for Or/And).
pub fn evaluate(v: &Validator, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let mut failures = match &v.kind {
        ValidatorKind::ResponseCode { expected } => response_code(*expected, resp, ctx),
        ValidatorKind::ResponseHeader {
            header,
            expected_value,
            expected_state_key,
            comparator,
            is_required,
            should_match,
            case_sensitive,
        } => response_header(
            header,
            expected_value.as_deref(),
            expected_state_key.as_deref(),
            *comparator,
            *is_required,
            *should_match,
            *case_sensitive,
            resp,
            ctx,
        ),
        ValidatorKind::ResponseHeaderAbsent { header } => match resp.header(header) {
            None => Vec::new(),
            Some(actual) => vec![ctx.failure(
                format!("ResponseHeaderValidator {header} ext:Absent"),
                format!("no {header} header"),
                format!("'{actual}'"),
                format!("the response should not include {header}"),
            )],
        },
        ValidatorKind::LockMismatch { expected_lock } => {
            let mut f = response_code(409, resp, ctx);
            for x in &mut f {
                x.check = "LockMismatchValidator".into();
                x.rule = Some("a lock mismatch must be answered with 409 Conflict".into());
            }
            let mut h = response_header(
                "X-WOPI-Lock",
                Some(expected_lock),
                None,
                Comparator::Eq,
                !expected_lock.is_empty(),
                true,
                // The validator engine's rule; a suite adds ext:CaseSensitive on its own header check.
                false,
                resp,
                ctx,
            );
            for x in &mut h {
                x.check = "LockMismatchValidator X-WOPI-Lock".into();
            }
            f.extend(h);
            f
        }
        ValidatorKind::JsonContent {
            should_exist,
            properties,
            no_null_properties,
        } => properties::json_content(*should_exist, properties, *no_null_properties, resp, ctx),
        ValidatorKind::JsonSchema { schema } => json_schema(schema, resp, ctx),
        ValidatorKind::ResponseContent { expected } => response_content(expected, resp, ctx),
        ValidatorKind::Or(children) => {
            let results: Vec<Vec<Failure>> = children.iter().map(|c| evaluate(c, resp, ctx)).collect();
            if results.iter().any(Vec::is_empty) {
                Vec::new()
            } else {
                let all: Vec<Failure> = results.into_iter().flatten().collect();
                vec![
                    ctx.failure(
                        "Or",
                        all.iter()
                            .map(|f| format!("{}: {}", f.check, f.expected))
                            .collect::<Vec<_>>()
                            .join(" OR "),
                        all.iter()
                            .map(|f| format!("{}: {}", f.check, f.actual))
                            .collect::<Vec<_>>()
                            .join("; "),
                        "at least one of the alternatives must hold",
                    ),
                ]
            }
        }
        ValidatorKind::And(children) => children.iter().flat_map(|c| evaluate(c, resp, ctx)).collect(),
        ValidatorKind::Frames(f) => frames::frames_validator(f, resp, ctx),
    };
    if v.severity == Severity::Should {
        for f in &mut failures {
            f.should_only = true;
        }
    }
    failures
}

/// ContentLengthValidator: when a Content-Length header is present it must equal the bytes received.
fn content_length(resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let Some(h) = resp.header("content-length") else {
        return Vec::new();
    };
    let received = resp.body.len();
    match h.trim().parse::<u64>() {
        Ok(n) if usize::try_from(n).is_ok_and(|n| n == received) => Vec::new(),
        Ok(n) => vec![ctx.failure(
            "ContentLengthValidator",
            format!("{n} bytes (Content-Length)"),
            format!("{received} bytes"),
            "the body length must match the Content-Length header",
        )],
        Err(_) => vec![ctx.failure(
            "ContentLengthValidator",
            "a Content-Length that is a number",
            format!("Content-Length: {h}"),
            "the Content-Length header must be a decimal number",
        )],
    }
}

fn response_code(expected: i32, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    if i32::from(resp.status) == expected {
        return Vec::new();
    }
    vec![ctx.failure(
        "ResponseCodeValidator",
        format!("status {expected}"),
        format!("status {}", resp.status),
        format!("the response status must be {expected}"),
    )]
}

#[allow(clippy::too_many_arguments)]
fn response_header(
    header: &str,
    expected_value: Option<&str>,
    expected_state_key: Option<&str>,
    comparator: Comparator,
    is_required: bool,
    should_match: bool,
    case_sensitive: bool,
    resp: &ResponseView<'_>,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let check = if case_sensitive {
        format!("ResponseHeaderValidator {header} ext:CaseSensitive")
    } else {
        format!("ResponseHeaderValidator {header}")
    };
    let Some(actual) = resp.header(header) else {
        if is_required {
            return vec![ctx.failure(
                check,
                format!("header {header} present"),
                "header absent",
                format!("the response must include {header}"),
            )];
        }
        return Vec::new();
    };
    let expected: Option<String> = match expected_state_key.and_then(|k| ctx.state.get_nonempty(k)) {
        Some(v) => Some(v.to_string()),
        None => expected_value.map(str::to_string),
    };
    match comparator {
        Comparator::Eq => {
            let Some(expected) = expected else { return Vec::new() };
            if !should_match && actual.is_empty() && expected.is_empty() {
                return vec![ctx.failure(
                    check,
                    "any non-empty value",
                    "an empty value",
                    format!("{header} must not be empty"),
                )];
            }
            let equal = if case_sensitive {
                actual == expected
            } else {
                actual.eq_ignore_ascii_case(&expected) || actual.to_lowercase() == expected.to_lowercase()
            };
            let how = if case_sensitive {
                "compared exactly, case included"
            } else {
                "compared ignoring case"
            };
            match (should_match, equal) {
                (true, false) => vec![ctx.failure(
                    check,
                    format!("'{expected}'"),
                    format!("'{actual}'"),
                    format!("{header} must be '{expected}' ({how})"),
                )],
                (false, true) => vec![ctx.failure(
                    check,
                    format!("anything but '{expected}'"),
                    format!("'{actual}'"),
                    format!("{header} must differ from '{expected}'"),
                )],
                _ => Vec::new(),
            }
        }
        op => {
            let exp_text = expected.unwrap_or_default();
            let a = actual.trim().parse::<i32>();
            let e = exp_text.trim().parse::<i32>();
            let (Ok(a), Ok(e)) = (a, e) else {
                return vec![ctx.failure(
                    check,
                    format!(
                        "a 32-bit integer {} {}",
                        op.symbol(),
                        if exp_text.is_empty() {
                            "(no expected value)"
                        } else {
                            &exp_text
                        }
                    ),
                    format!("'{actual}'"),
                    format!(
                        "{header} must compare as an integer with {}",
                        if exp_text.is_empty() {
                            "a saved value that was never saved"
                        } else {
                            &exp_text
                        }
                    ),
                )];
            };
            let holds = match op {
                Comparator::Gt => a > e,
                Comparator::Ge => a >= e,
                Comparator::Lt => a < e,
                Comparator::Le => a <= e,
                Comparator::Eq => a == e,
            };
            if holds {
                Vec::new()
            } else {
                vec![ctx.failure(
                    check,
                    format!("{} {e}", op.symbol()),
                    a.to_string(),
                    format!("{header} must be {} {e}", op.symbol()),
                )]
            }
        }
    }
}

fn json_schema(schema: &str, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let check = format!("JsonSchemaValidator {schema}");
    if resp.binary {
        return vec![ctx.failure(
            check,
            "a JSON body",
            "a binary response",
            "a schema applies only to JSON responses",
        )];
    }
    let Some(text) = resp.text() else {
        return vec![ctx.failure(
            check,
            format!("a JSON body matching {schema}"),
            "an empty body",
            "the response must have a JSON body",
        )];
    };
    let value = match json::parse_lenient(&text) {
        Ok(v) => v,
        Err(e) => {
            return vec![ctx.failure(
                check,
                format!("a JSON body matching {schema}"),
                format!("not JSON ({e})"),
                "the response must be JSON",
            )];
        }
    };
    match ctx.schemas.validate(schema, &value) {
        Err(e) => vec![ctx.failure(check, format!("a body matching {schema}"), "schema unavailable", e)],
        Ok(errors) if errors.is_empty() => Vec::new(),
        Ok(errors) => vec![ctx.failure(
            check,
            format!("a body matching {schema}"),
            errors.join("; "),
            format!("the body must match the {schema} JSON schema"),
        )],
    }
}

fn response_content(expected: &ExpectedContent, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let (what, bytes) = match expected {
        ExpectedContent::Resource(id) => match ctx.suite.resource(id) {
            Some(r) => (format!("the bytes of resource {id}"), r.bytes()),
            None => {
                return vec![ctx.failure(
                    "ResponseContentValidator",
                    format!("resource {id}"),
                    "unknown resource",
                    "suite error",
                )];
            }
        },
        ExpectedContent::Text(t) => (format!("'{t}'"), t.as_bytes().to_vec()),
    };
    if resp.body == bytes.as_slice() {
        return Vec::new();
    }
    vec![ctx.failure(
        "ResponseContentValidator",
        format!("{what} ({} bytes)", bytes.len()),
        format!(
                "{} bytes: {}",
                resp.body.len(),
                wopi_protocol::transcript::body_preview(resp.body, None)
                    .chars()
                    .take(120)
                    .collect::<String>()
            ),
        "the body must be exactly the content written before",
    )]
}

#[cfg(test)]
mod tests;
