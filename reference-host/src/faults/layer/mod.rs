//! The response-rewriting layer: the faults that change only what a correct handler answered (a status, a
//! header, a body field), keyed by the operation the catalogue resolved. The handlers never see them.
//!
//! [`answer_instead`] runs before the handler and answers in its place (an operation refused or faked without
//! touching the store); [`rewrite`] runs after it. Faults that must change a handler's logic (what it stores, which
//! rule it applies) stay in the handler behind one named check, and the store's in [`crate::locks`] and the store
//! backends.

pub mod check_file_info;
mod json_body;
mod lock_headers;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use wopi_protocol::headers::{
    ShareUrlType, X_WOPI_EDITORS, X_WOPI_ENUMERATION_INCOMPLETE, X_WOPI_INVALID_FILE_NAME_ERROR, X_WOPI_ITEM_VERSION,
    X_WOPI_LOCK, X_WOPI_URL_TYPE,
};
use wopi_protocol::ops::{Endpoint, Method, Op, PathForm};

use super::Fault;
use crate::AppState;
use crate::error::WopiError;
use crate::wopi::request::single_header;

pub use lock_headers::whole_response;

/// One request as the layer sees it: its operation, where it was addressed, the host and the request headers.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub op: Op,
    pub endpoint: Endpoint,
    pub method: Method,
    pub path: PathForm,
    pub state: &'a AppState,
    pub request: &'a HeaderMap,
}

impl Exchange<'_> {
    fn has(&self, fault: Fault) -> bool {
        self.state.faults.has(fault)
    }
}

/// An answer given in the handler's place: the handler does not run.
pub fn answer_instead(x: &Exchange<'_>) -> Option<Result<Response, WopiError>> {
    match x.op {
        // An empty X-WOPI-Lock "succeeds" without doing anything.
        Op::Lock | Op::Unlock | Op::RefreshLock
            if x.has(Fault::EmptyLockIdAccepted) && matches!(single_header(x.request, X_WOPI_LOCK), Ok(Some(""))) =>
        {
            Some(Ok(StatusCode::OK.into_response()))
        }
        Op::RefreshLock if x.has(Fault::RefreshLockNotImplemented) => {
            Some(Err(WopiError::NotImplemented("REFRESH_LOCK".into())))
        }
        Op::GetLock if x.has(Fault::CapabilityNotImplemented) => {
            Some(Err(WopiError::NotImplemented("GET_LOCK".into())))
        }
        // A strict host refusing a header it does not know: ONLYOFFICE's X-WOPI-Editors.
        Op::PutFile if x.has(Fault::PutFileRejectsEditorsHeader) && x.request.contains_key(X_WOPI_EDITORS) => Some(
            Err(WopiError::BadRequest("unexpected request header X-WOPI-Editors".into())),
        ),
        Op::AddActivities if x.has(Fault::AddActivitiesNotImplemented) => {
            Some(Err(WopiError::NotImplemented("ADD_ACTIVITIES".into())))
        }
        _ => None,
    }
}

/// The handler's answer as the faulty host gives it.
pub async fn rewrite(x: &Exchange<'_>, answer: Result<Response, WopiError>) -> Result<Response, WopiError> {
    let mut response = match answer {
        Ok(response) => response,
        // Collabora's conflict as a plain 409: no {"COOLStatusCode":1010} body.
        Err(WopiError::ModifiedSince) if x.op == Op::PutFile && x.has(Fault::CoolConflictWithoutStatusCode) => {
            return Ok((StatusCode::CONFLICT, "the file changed since X-COOL-WOPI-Timestamp").into_response());
        }
        Err(error) => return Err(error_faults(x, error)),
    };
    if let Some(error) = success_as_error(x, &response) {
        return Err(error);
    }
    header_faults(x, &mut response);
    json_body::rewrite(x, response).await
}

/// Faults that change an error answer.
fn error_faults(x: &Exchange<'_>, error: WopiError) -> WopiError {
    match error {
        // "File not found" from the store escapes as a server error on the file's POST operations.
        WopiError::NotFound
            if x.has(Fault::DeletedFileAnswers500)
                && (x.endpoint, x.method, x.path) == (Endpoint::Files, Method::Post, PathForm::Item) =>
        {
            WopiError::Internal("no such file".into())
        }
        // The 409 for a taken name without X-WOPI-ValidRelativeTarget.
        WopiError::NameExists { .. } if x.op == Op::PutRelativeFile && x.has(Fault::NoValidRelativeTarget) => {
            WopiError::NameExists { valid: None }
        }
        // A missing or unknown X-WOPI-UrlType answered 400 instead of 501.
        WopiError::NotImplemented(_)
            if (x.op, x.endpoint) == (Op::GetShareUrl, Endpoint::Files)
                && x.has(Fault::ShareUrlUnknownTypeBadRequest)
                && !matches!(
                    single_header(x.request, X_WOPI_URL_TYPE).map(|v| v.map(ShareUrlType::parse)),
                    Ok(Some(Ok(_)))
                ) =>
        {
            WopiError::BadRequest("unknown or missing X-WOPI-UrlType".into())
        }
        other => other,
    }
}

/// Faults that turn a success into an error.
fn success_as_error(x: &Exchange<'_>, response: &Response) -> Option<WopiError> {
    let unlocked = response.headers().get(X_WOPI_LOCK).is_some_and(HeaderValue::is_empty);
    (x.op == Op::GetLock && unlocked && x.has(Fault::GetLockUnlockedConflicts)).then_some(WopiError::LockMismatch {
        current: None,
        reason: "the file is not locked",
    })
}

/// Faults that add, drop or change a header of a success.
fn header_faults(x: &Exchange<'_>, response: &mut Response) {
    let headers = response.headers_mut();
    match x.op {
        Op::GetFile if x.has(Fault::GetFileWithoutItemVersion) => {
            headers.remove(X_WOPI_ITEM_VERSION);
        }
        Op::RenameFile if x.has(Fault::InvalidNameErrorOnSuccess) => {
            headers.insert(X_WOPI_INVALID_FILE_NAME_ERROR, HeaderValue::from_static("none"));
        }
        Op::EnumerateAncestors if x.has(Fault::EnumerationIncompleteNotTrue) => {
            headers.insert(X_WOPI_ENUMERATION_INCOMPLETE, HeaderValue::from_static("false"));
        }
        _ => lock_headers::on_success(x, headers),
    }
}
