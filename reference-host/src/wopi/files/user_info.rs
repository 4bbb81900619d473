//! PutUserInfo (`rest/files/PutUserInfo.rst`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::error::WopiError;
use crate::wopi::request::FileRequest;

/// PutUserInfo.rst: "The UserInfo string ... has a maximum size of 1024 ASCII characters."
pub const MAX_USER_INFO_CHARS: usize = 1024;

/// PutUserInfo: the body (at most 1024 characters) is kept per user and returned as `UserInfo`.
pub async fn handle(req: FileRequest, body: Bytes) -> Result<Response, WopiError> {
    // The file must exist: the operation is addressed to it even though the data belongs to the user.
    req.state.store.file(&req.id, req.now).await?;
    let info = String::from_utf8(body.to_vec()).map_err(|_| WopiError::BadRequest("UserInfo is not UTF-8".into()))?;
    if info.chars().count() > MAX_USER_INFO_CHARS {
        return Err(WopiError::BadRequest(format!(
            "UserInfo is longer than {MAX_USER_INFO_CHARS} characters"
        )));
    }
    req.state.store.set_user_info(&req.caller.user.id, info).await?;
    Ok(StatusCode::OK.into_response())
}
