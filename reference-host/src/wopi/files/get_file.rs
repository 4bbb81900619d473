//! GetFile: `GET /wopi/files/{id}/contents` (`rest/files/GetFile.rst`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use wopi_protocol::headers::{X_WOPI_MAX_EXPECTED_SIZE, parse_size_for};

use crate::error::WopiError;
use crate::faults::Fault;
use crate::wopi::request::{FileRequest, single_header, with_item_version};

/// The value GetFile assumes when `X-WOPI-MaxExpectedSize` is absent: "the maximum value of a 4-byte integer".
const DEFAULT_MAX_EXPECTED_SIZE: u64 = i32::MAX as u64;

/// The content, with `X-WOPI-ItemVersion`; 412 when it is larger than `X-WOPI-MaxExpectedSize`.
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    let max = match single_header(&req.headers, X_WOPI_MAX_EXPECTED_SIZE)? {
        None => DEFAULT_MAX_EXPECTED_SIZE,
        Some(v) => parse_size_for(X_WOPI_MAX_EXPECTED_SIZE, v).map_err(|e| WopiError::BadRequest(e.to_string()))?,
    };
    let (file, data) = req.state.store.content(&req.id, req.now).await?;
    if file.size > max && !req.state.faults.has(Fault::MaxExpectedSizeIgnored) {
        return Err(WopiError::TooLargeForClient);
    }
    let response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        data,
    )
        .into_response();
    Ok(with_item_version(response, &file.version_string()))
}
