//! What GetCoauthLock and RefreshCoauthLock share (CSPP Plus, `plus: coauthoring/*`): the coauth lock attributes
//! and their headers. `CoauthLockMetadataAsBody` sends the metadata as a JSON body *instead of* the header (the
//! engine's "SentAsBodyAndHeader" case sends only the body).

use serde_json::json;
use wopi_protocol::headers as h;

use super::wire::Wire;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{CoauthLockRequest, CoauthLockType};

pub(super) const ATTRS: &[&str] = &[
    "CoauthLockId",
    "CoauthLockExpirationTimeout",
    "CoauthLockMetadata",
    "CoauthLockMetadataAsBody",
];

/// The shared attributes, with the lock type GetCoauthLock read first.
pub(super) fn parse(b: &Builder, r: &Node, lock_type: Option<CoauthLockType>) -> R<CoauthLockRequest> {
    Ok(CoauthLockRequest {
        lock_type,
        coauth_lock_id: b.opt(r, "CoauthLockId").unwrap_or_default(),
        expiration_timeout: b.parse_attr(r, "CoauthLockExpirationTimeout", "an unsigned 32-bit number")?,
        metadata: b.opt(r, "CoauthLockMetadata"),
        metadata_as_body: b.opt(r, "CoauthLockMetadataAsBody"),
    })
}

pub(super) fn send(c: &CoauthLockRequest, w: &mut Wire) {
    if let Some(t) = c.lock_type {
        let t = match t {
            CoauthLockType::Coauth => "Coauth",
            CoauthLockType::CoauthExclusive => "CoauthExclusive",
            CoauthLockType::None => "None",
        };
        w.header(h::X_WOPI_COAUTH_LOCK_TYPE, t);
    }
    w.header(h::X_WOPI_COAUTH_LOCK_ID, &c.coauth_lock_id);
    if let Some(t) = c.expiration_timeout {
        w.header(h::X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT, &t.to_string());
    }
    match &c.metadata_as_body {
        Some(m) => w.set_body(json!({ "CoauthLockMetadata": m }).to_string().into_bytes()),
        None => {
            if let Some(m) = &c.metadata {
                w.header(h::X_WOPI_COAUTH_LOCK_METADATA, m);
            }
        }
    }
}
