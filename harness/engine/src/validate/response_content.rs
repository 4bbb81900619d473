//! ResponseContentValidator: the body must be exactly a resource's bytes or a given text.

use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::ExpectedContent;

/// ResponseContentValidator: the body must be exactly the expected bytes.
pub(super) fn check(expected: &ExpectedContent, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
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
