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

//!
//! One module per validator element (as the C# validator has `Validators/*.cs`); [`evaluate`] only dispatches.

mod content_length;
mod context;
pub mod frames;
mod json_schema;
// The lenient JSON reader is shared with the suite parser (`ExpectedValue`), so it lives outside `validate`.
pub use crate::lenient_json as json;
mod json_content;
mod lock_mismatch;
mod or;
mod response_code;
mod response_content;
mod response_header;
pub mod schema;

use crate::report::model::Failure;
use crate::suite::{Severity, Validator, ValidatorKind};

pub use context::{Context, ResponseView, State};
pub use schema::SchemaStore;

/// Checks one response: the implicit checks, then `validators` (`None` = the request had no `<Validators>`).
pub fn check_response(validators: Option<&[Validator]>, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let mut out = content_length::check(resp, ctx);
    match validators {
        None => out.extend(response_code::check(200, resp, ctx)),
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
        ValidatorKind::ResponseCode { expected } => response_code::check(*expected, resp, ctx),
        ValidatorKind::ResponseHeader {
            header,
            expected_value,
            expected_state_key,
            comparator,
            is_required,
            should_match,
            case_sensitive,
        } => response_header::check(
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
        ValidatorKind::ResponseHeaderAbsent { header } => response_header::absent(header, resp, ctx),
        ValidatorKind::LockMismatch { expected_lock } => lock_mismatch::check(expected_lock, resp, ctx),
        ValidatorKind::JsonContent {
            should_exist,
            properties,
            no_null_properties,
        } => json_content::check(*should_exist, properties, *no_null_properties, resp, ctx),
        ValidatorKind::JsonSchema { schema } => json_schema::check(schema, resp, ctx),
        ValidatorKind::ResponseContent { expected } => response_content::check(expected, resp, ctx),
        ValidatorKind::Or(children) => or::check(children, resp, ctx),
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

#[cfg(test)]
mod coauth_tests;
#[cfg(test)]
mod tests;
