//! AddActivities (CSPP Plus; the request and answer shapes follow `../shared/notes/cspp-plus.md` §7.1, as the
//! validator's AddActivities cases send and judge them).
//!
//! The body is `{"Activities":[{"Type","Id",...}, ...]}`; the answer lists one `{"Id","Status"}` per activity, the id
//! echoed byte for byte. This host supports the `comment` type (Status 0) and answers every other type with 3
//! (UnknownType), never with a 400: a 400 is for a body that is not an activities list at all. Unknown members and
//! malformed timestamps are ignored, as the note's §7.1 says clients send them. The reference host keeps no activity
//! feed: a supported activity is acknowledged and logged.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::WopiError;
use crate::wopi::request::FileRequest;

/// The activity types this host supports.
const SUPPORTED_TYPES: &[&str] = &["comment"];

/// `Status` values of an activity response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Success = 0,
    UnknownType = 3,
}

#[derive(Deserialize)]
struct Request {
    #[serde(rename = "Activities")]
    activities: Vec<Activity>,
}

#[derive(Deserialize)]
struct Activity {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Id")]
    id: String,
}

#[derive(Serialize)]
struct Answer {
    #[serde(rename = "ActivityResponses")]
    activity_responses: Vec<ActivityResponse>,
}

#[derive(Serialize)]
struct ActivityResponse {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Status")]
    status: u8,
}

/// AddActivities: 200 with one response per activity, in request order.
pub async fn handle(req: FileRequest, body: Bytes) -> Result<Response, WopiError> {
    req.state.store.file(&req.id, req.now).await?;
    let request: Request = serde_json::from_slice(&body)
        .map_err(|e| WopiError::BadRequest(format!("the body is not an activities list: {e}")))?;
    let activity_responses = request
        .activities
        .into_iter()
        .map(|a| {
            let status = if SUPPORTED_TYPES.contains(&a.kind.as_str()) {
                tracing::info!(file = %req.id, id = %a.id, kind = %a.kind, "activity recorded");
                Status::Success
            } else {
                Status::UnknownType
            };
            ActivityResponse {
                id: a.id,
                status: status as u8,
            }
        })
        .collect();
    Ok(axum::Json(Answer { activity_responses }).into_response())
}
