//! The frame bodies GetChunkedFile and PutChunkedFile read and write (cspp-plus.md §3), and the headers both
//! answer with. The body itself is already bounded by the router's body limit; the frame parser caps every
//! announced size by the bytes that remain, so a header announcing 4 GiB is a 400, not an allocation.

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use wopi_protocol::cspp::frame::{FrameStream, Limits};
use wopi_protocol::cspp::message::from_wire_json;
use wopi_protocol::cspp::properties::SequenceNumber;
use wopi_protocol::headers::X_WOPI_SEQUENCE_NUMBER;

use crate::AppState;
use crate::error::{WopiError, header_value};
use crate::store::FileRecord;
use crate::wopi::request::with_item_version;

/// Frame limits for a request: no chunk and no message larger than the host's file size limit.
pub(super) fn limits(state: &AppState) -> Limits {
    let max = state.limits.max_file_size;
    Limits {
        max_payload: max,
        max_message: max.min(Limits::default().max_message),
        ..Limits::default()
    }
}

/// The frames of a request body and its message; anything malformed is a 400 that says what.
pub(super) fn parse<'a, T: DeserializeOwned>(
    what: &'static str,
    body: &'a Bytes,
    limits: &Limits,
) -> Result<(FrameStream<'a>, T), WopiError> {
    let frames = FrameStream::parse(body, limits).map_err(|e| WopiError::BadRequest(format!("{what} body: {e}")))?;
    let message = from_wire_json(what, frames.message).map_err(|e| WopiError::BadRequest(e.to_string()))?;
    Ok((frames, message))
}

/// 200 with `body` (frames or nothing), `X-WOPI-SequenceNumber` and `X-WOPI-ItemVersion`.
pub(super) fn answer(body: Vec<u8>, sequence: SequenceNumber, file: &FileRecord) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(X_WOPI_SEQUENCE_NUMBER, header_value(&sequence.to_string()));
    with_item_version(response, &file.version_string())
}
