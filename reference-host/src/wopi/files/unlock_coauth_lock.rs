//! UnlockCoauthLock: `POST /wopi/files/{id}` with `X-WOPI-Override: UNLOCK_COAUTH_LOCK`
//! (D:coauthoring/unlock-coauth-lock; `../shared/notes/cspp-plus.md` §2.3).

use axum::response::Response;
use wopi_protocol::cspp::coauth::CoauthLockId;
use wopi_protocol::headers::X_WOPI_COAUTH_LOCK_ID;

use super::get_coauth_table::{bad, run};
use crate::coauth::CoauthOp;
use crate::error::WopiError;
use crate::wopi::request::{FileRequest, single_header};

/// UnlockCoauthLock: 400 for a missing or invalid id (length before the lookup, TC 29); 409 for an unknown or
/// expired id; else the row goes and the answer is 200. The docs define no body; the table rides along, as for the
/// other coauth operations, with the new version.
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let id = CoauthLockId::from_header(single_header(&req.headers, X_WOPI_COAUTH_LOCK_ID)?).map_err(bad)?;
    run(&req, CoauthOp::Unlock(id)).await
}
