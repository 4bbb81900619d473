//! ResponseCodeValidator (and the implicit "status is 200" of a request without `<Validators>`).

use super::{Context, ResponseView};
use crate::report::model::Failure;

/// ResponseCodeValidator: the status must be `expected`.
pub(super) fn check(expected: i32, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
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
