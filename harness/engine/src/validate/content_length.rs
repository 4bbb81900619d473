//! ContentLengthValidator, always on (the engine adds it to every request).

use super::{Context, ResponseView};
use crate::report::model::Failure;

/// ContentLengthValidator: when a Content-Length header is present it must equal the bytes received.
pub(super) fn check(resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
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
