//! DeleteFile (`rest/files/DeleteFile.rst`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::WopiError;
use crate::faults::Fault;
use crate::wopi::request::FileRequest;

/// DeleteFile: 409 with `X-WOPI-Lock` when locked.
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    if req.state.faults.has(Fault::DeleteFileNoop) {
        req.state.store.file(&req.id, req.now).await?;
        return Ok(StatusCode::OK.into_response());
    }
    req.state.store.delete_file(&req.id, req.now).await?;
    Ok(StatusCode::OK.into_response())
}
