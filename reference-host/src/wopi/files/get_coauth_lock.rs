//! GetCoauthLock: `POST /wopi/files/{id}` with `X-WOPI-Override: GET_COAUTH_LOCK` (D:coauthoring/get-coauth-lock;
//! `../shared/notes/cspp-plus.md` §2.1). Takes or re-takes a coauth lock; the rules are
//! [`wopi_protocol::cspp::coauth::CoauthTable::get_lock`].

use axum::response::Response;
use bytes::Bytes;
use wopi_protocol::cspp::coauth::{GetCoauthLock, HolderName, MetadataSource};
use wopi_protocol::headers::{
    X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT, X_WOPI_COAUTH_LOCK_ID, X_WOPI_COAUTH_LOCK_METADATA, X_WOPI_COAUTH_LOCK_TYPE,
};

use super::get_coauth_table::{bad, run};
use crate::coauth::CoauthOp;
use crate::error::WopiError;
use crate::wopi::request::{FileRequest, single_header};

/// GetCoauthLock: 400 for a missing or invalid id, type, timeout or metadata; 409 against a WOPI lock (with
/// `X-WOPI-ConflictingLockUsername` when that lock is user-visible) or another id's CoauthExclusive lock; else 200
/// with the table.
pub async fn handle(req: FileRequest, body: Bytes) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let h = |name| single_header(&req.headers, name);
    let metadata = MetadataSource::from_request(h(X_WOPI_COAUTH_LOCK_METADATA)?, &body).map_err(bad)?;
    let get = GetCoauthLock::from_request(
        h(X_WOPI_COAUTH_LOCK_ID)?,
        h(X_WOPI_COAUTH_LOCK_TYPE)?,
        h(X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT)?,
        metadata,
    )
    .map_err(bad)?;
    let user = &req.caller.user;
    // UserFriendlyName must be non-empty in the table (§6.4); a user without one is shown by id.
    let holder = HolderName::new(user.friendly_name.clone())
        .or_else(|| HolderName::new(user.id.as_str()))
        .ok_or_else(|| WopiError::Internal("a user without a name or id".into()))?;
    run(&req, CoauthOp::Get(get, holder)).await
}
