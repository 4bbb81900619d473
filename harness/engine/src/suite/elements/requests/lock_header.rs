//! `X-WOPI-Lock`, which the lock family and the writes send: from a required `Lock` attribute, or always (empty
//! when the attribute is absent) as the validator's RenameFile and PutChunkedFile do.

use wopi_protocol::headers as h;

use super::wire::Wire;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;

/// The required `Lock` attribute.
pub(super) fn required(b: &Builder, r: &Node) -> R<String> {
    b.req(r, "Lock")
}

pub(super) fn send(w: &mut Wire, lock: &str) {
    w.header(h::X_WOPI_LOCK, lock);
}

/// Sent even without a value: the header is then empty.
pub(super) fn send_or_empty(w: &mut Wire, lock: Option<&str>) {
    w.header(h::X_WOPI_LOCK, lock.unwrap_or(""));
}
