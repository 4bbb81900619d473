//! RenameContainer (`rest/containers/RenameContainer.rst`): `X-WOPI-RequestedName` is UTF-7.

use axum::response::Response;
use serde_json::json;
use wopi_protocol::headers::X_WOPI_REQUESTED_NAME;
use wopi_protocol::names::FileName;

use super::utf7;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::wopi::request::{ContainerRequest, json, single_header};

/// 200 with the new `Name`; 400 with `X-WOPI-InvalidContainerNameError` for a name the host cannot take.
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let requested = if req.state.faults.has(Fault::RenameContainerNotDecoded) {
        single_header(&req.headers, X_WOPI_REQUESTED_NAME)?.map(str::to_owned)
    } else {
        utf7(&req, X_WOPI_REQUESTED_NAME)?
    };
    let Some(requested) = requested else {
        return Err(WopiError::BadRequest("X-WOPI-RequestedName is required".into()));
    };
    let name = FileName::new_with_max(requested, req.state.limits.file_name_max_length)
        .map_err(|e| WopiError::InvalidContainerName(e.to_string()))?;
    let renamed = req.state.store.rename_container(&req.id, name).await?;
    Ok(json(&json!({ "Name": renamed.name })))
}
