//! `<RequestBody>`: the JSON text PutUserInfo and AddActivities send as their body.

use super::wire::Wire;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;

pub(super) const CHILDREN: &[&str] = &["RequestBody"];

/// The non-empty `<RequestBody>` text.
pub(super) fn parse(b: &Builder, r: &Node) -> R<String> {
    b.child(r, "RequestBody")
        .map(|c| c.text.clone())
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| b.err(r.pos, format!("<{}> needs a non-empty <RequestBody>", r.name)))
}

pub(super) fn send(body: &str, w: &mut Wire) {
    w.set_body(body.as_bytes().to_vec());
}
