//! CheckContainerInfo: `GET /wopi/containers/{id}` (`rest/containers/CheckContainerInfo.rst`).

use axum::response::Response;

use super::container_info;
use crate::error::WopiError;
use crate::wopi::request::{ContainerRequest, json};

/// CheckContainerInfo: `GET /wopi/containers/{id}`.
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    let container = req.state.store.container(&req.id).await?;
    Ok(json(&container_info(&req.caller, &container)))
}
