//! CreateChildContainer (`rest/containers/CreateChildContainer.rst`).

use axum::response::Response;
use serde_json::json;
use wopi_protocol::names::FileName;

use super::{container_info, pointers, targets};
use crate::error::WopiError;
use crate::faults::Fault;
use crate::store::NameMode;
use crate::wopi::request::{ContainerRequest, json};

/// A child container by suggested (repaired) or exact name.
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let max = req.state.limits.file_name_max_length;
    let (name, mode) = match targets(&req)? {
        (Some(suggested), _) => (FileName::sanitized(&suggested, max), NameMode::Suggested),
        (_, Some(relative)) => {
            // The fault: an exact name "cleaned" to ASCII.
            let relative = if req.state.faults.has(Fault::ContainerNameModified) {
                relative.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect()
            } else {
                relative
            };
            (
                FileName::new_with_max(relative, max).map_err(|e| WopiError::InvalidContainerName(e.to_string()))?,
                NameMode::Exact { overwrite: false },
            )
        }
        (None, None) => return Err(WopiError::BadRequest("no target".into())),
    };
    let created = req.state.store.create_container(&req.id, name, mode).await?;
    Ok(json(&json!({
        "ContainerPointer": pointers(&req.state, &req.caller, std::slice::from_ref(&created))[0],
        "ContainerInfo": container_info(&req.caller, &created),
    })))
}
