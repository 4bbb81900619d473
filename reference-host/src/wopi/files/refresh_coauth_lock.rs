//! RefreshCoauthLock: `POST /wopi/files/{id}` with `X-WOPI-Override: REFRESH_COAUTH_LOCK`
//! (D:coauthoring/refresh-coauth-lock; `../shared/notes/cspp-plus.md` §2.2).

use axum::response::Response;
use bytes::Bytes;
use wopi_protocol::cspp::coauth::{MetadataSource, RefreshCoauthLock};
use wopi_protocol::headers::{
    X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT, X_WOPI_COAUTH_LOCK_ID, X_WOPI_COAUTH_LOCK_METADATA,
};

use super::get_coauth_table::{bad, run};
use crate::coauth::CoauthOp;
use crate::error::WopiError;
use crate::wopi::request::{FileRequest, single_header};

/// RefreshCoauthLock: 400 for a missing or invalid id or timeout (the id's length before the lookup, TC 30); 409
/// when the id has no unexpired row; else the expiry moves to now + timeout, non-empty metadata replaces the old,
/// and the answer is 200 with the table.
pub async fn handle(req: FileRequest, body: Bytes) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let h = |name| single_header(&req.headers, name);
    let metadata = MetadataSource::from_request(h(X_WOPI_COAUTH_LOCK_METADATA)?, &body).map_err(bad)?;
    let refresh = RefreshCoauthLock::from_request(
        h(X_WOPI_COAUTH_LOCK_ID)?,
        h(X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT)?,
        metadata,
    )
    .map_err(bad)?;
    run(&req, CoauthOp::Refresh(refresh)).await
}
