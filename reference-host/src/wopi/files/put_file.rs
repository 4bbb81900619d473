//! PutFile: `POST /wopi/files/{id}/contents` with `X-WOPI-Override: PUT` (`rest/files/PutFile.rst`).

use axum::response::Response;
use serde_json::json;
use wopi_protocol::headers::X_WOPI_LOCK;

use super::check_size;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::store::ContentWrite;
use crate::wopi::iso8601;
use crate::wopi::request::{Body, FileRequest, body_bytes, json, lock_header, single_header, with_item_version};

/// Collabora Online's PutFile precondition header, and its name before 2021.
const X_COOL_WOPI_TIMESTAMP: &str = "X-COOL-WOPI-Timestamp";
const X_LOOL_WOPI_TIMESTAMP: &str = "X-LOOL-WOPI-Timestamp";

/// Writes the body under the lock rules of [`crate::locks`]; 200 with the new `X-WOPI-ItemVersion`.
pub async fn handle(req: FileRequest, body: Body) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let lock = lock_header(&req.headers, X_WOPI_LOCK)?;
    let if_last_modified = cool_timestamp(&req)?;
    let content = body_bytes(body)?;
    check_size(&req.state, content.len())?;
    let file = req
        .state
        .store
        .put_content(ContentWrite {
            id: req.id.clone(),
            lock,
            content,
            author: req.caller.user.id.clone(),
            now: req.now,
            if_last_modified,
        })
        .await?;
    // Collabora reads the new LastModifiedTime from the body for its next X-COOL-WOPI-Timestamp (ecosystem.md §5);
    // other clients ignore the body.
    let body = json!({ "LastModifiedTime": iso8601(file.last_modified) });
    Ok(with_item_version(json(&body), &file.version_string()))
}

/// Collabora Online's save precondition: the `LastModifiedTime` it last saw, in `X-COOL-WOPI-Timestamp` (or
/// `X-LOOL-WOPI-Timestamp`, its name before 2021). Absent or empty means "overwrite whatever is there".
fn cool_timestamp(req: &FileRequest) -> Result<Option<String>, WopiError> {
    let faults = &req.state.faults;
    if faults.has(Fault::CoolTimestampIgnored) {
        return Ok(None);
    }
    let value = match single_header(&req.headers, X_COOL_WOPI_TIMESTAMP)? {
        Some(v) => Some(v),
        None if faults.has(Fault::LoolTimestampIgnored) => None,
        None => single_header(&req.headers, X_LOOL_WOPI_TIMESTAMP)?,
    };
    Ok(value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned))
}
