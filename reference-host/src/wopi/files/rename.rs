//! RenameFile (`rest/files/RenameFile.rst`).

use axum::response::Response;
use serde_json::json;
use wopi_protocol::cspp::coauth::Presented;
use wopi_protocol::headers::{X_WOPI_COAUTH_LOCK_ID, X_WOPI_LOCK, X_WOPI_REQUESTED_NAME};

use super::utf7_header;
use crate::AppState;
use crate::error::WopiError;
use crate::faults::deviations::rename::Deviations;
use crate::store::Rename;
use crate::tokens::Resource;
use crate::wopi::request::{FileRequest, json, lock_header, single_header};

/// RenameFile: `X-WOPI-RequestedName` is UTF-7 and has no extension; the response `Name` has none either.
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    let deviate = Deviations::of(req.state.faults);
    req.caller.require_write()?;
    let Some(requested) = utf7_header(&req, X_WOPI_REQUESTED_NAME)? else {
        return Err(WopiError::BadRequest("X-WOPI-RequestedName is required".into()));
    };
    // X-WOPI-Lock is validated as a WOPI lock id; with CSPP Plus (rename-file-plus) X-WOPI-CoauthLockId may come
    // instead, both is a 400, and empty counts as absent.
    lock_header(&req.headers, X_WOPI_LOCK)?;
    let presented = Presented::from_headers(
        single_header(&req.headers, X_WOPI_LOCK)?,
        single_header(&req.headers, X_WOPI_COAUTH_LOCK_ID)?,
    )
    .map_err(|e| WopiError::BadRequest(e.to_string()))?;
    let current = req.state.store.file(&req.id, req.now).await?;
    let name = match current
        .name
        .renamed_with_max(&requested, req.state.limits.file_name_max_length)
    {
        Ok(name) => name,
        Err(_) if deviate.accepts_invalid_name() => return Ok(json(&json!({ "Name": requested }))),
        Err(e) => return Err(WopiError::InvalidFileName(e.to_string())),
    };
    let rename = Rename {
        id: req.id.clone(),
        presented,
        name,
        now: req.now,
    };
    let renamed = req.state.store.rename_file(rename).await?;
    let reported = deviate.reported_name(&renamed.name);
    // Collabora needs `Url` as well, or it reverts the rename in its UI (ecosystem.md §1.4); the ID and so the
    // WOPISrc are unchanged (RenameFile.rst).
    let token = req.state.tokens.issue_until(
        &req.caller.user.id,
        &Resource::File(renamed.id.clone()),
        req.caller.claims.expires_at_ms,
    );
    let url = AppState::with_token(&req.state.wopi_src(&renamed.id), &token);
    Ok(json(&json!({ "Name": reported, "Url": url })))
}
