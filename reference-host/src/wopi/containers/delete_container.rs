//! DeleteContainer (`rest/containers/DeleteContainer.rst`): only an empty container is deleted.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::WopiError;
use crate::faults::Fault;
use crate::wopi::request::ContainerRequest;

/// 200 when deleted; 409 when not empty.
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    if req.state.faults.has(Fault::DeleteContainerNoop) {
        req.state.store.container(&req.id).await?;
        return Ok(StatusCode::OK.into_response());
    }
    req.state.store.delete_container(&req.id).await?;
    Ok(StatusCode::OK.into_response())
}
