//! GetRootContainer: `GET /wopi/ecosystem/root_container_pointer` (`rest/ecosystem/GetRootContainer.rst`).

use axum::response::Response;
use serde_json::json;

use crate::error::WopiError;
use crate::wopi::containers::{container_info, pointers};
use crate::wopi::request::{EcosystemRequest, json};

/// GetRootContainer: `GET /wopi/ecosystem/root_container_pointer`.
pub async fn handle(req: EcosystemRequest) -> Result<Response, WopiError> {
    let root = req.state.store.root_container().await?;
    Ok(json(&json!({
        "ContainerPointer": pointers(&req.state, &req.caller, std::slice::from_ref(&root))[0],
        "ContainerInfo": container_info(&req.caller, &root),
    })))
}
