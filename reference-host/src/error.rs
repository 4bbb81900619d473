//! WOPI error responses: one variant per documented failure, each with its status code and headers.
//!
//! Bodies are short plain-text reasons for people reading logs; internal details (SQL errors, paths) are logged
//! with `tracing` and never sent. 409 lock mismatches always carry `X-WOPI-Lock` (empty when unlocked), as every
//! lock page requires, plus `X-WOPI-LockFailureReason`.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use wopi_protocol::cspp::coauth::{CoauthConflict, LockConflict};
use wopi_protocol::headers::{
    X_WOPI_CONFLICTING_LOCK_USERNAME, X_WOPI_CONFLICTING_MECHANISM, X_WOPI_INVALID_CONTAINER_NAME_ERROR,
    X_WOPI_INVALID_FILE_NAME_ERROR, X_WOPI_LOCK, X_WOPI_LOCK_FAILURE_REASON, X_WOPI_SEQUENCE_NUMBER,
    X_WOPI_VALID_RELATIVE_TARGET,
};
use wopi_protocol::lock::LockId;

use crate::store::StoreError;
use crate::tokens::TokenError;

/// A refusal, mapped to the status and headers the docs give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WopiError {
    /// 400: a required header is missing, duplicated or malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 400 with `X-WOPI-InvalidFileNameError`.
    #[error("invalid file name: {0}")]
    InvalidFileName(String),
    /// 400 for an illegal `X-WOPI-RelativeTarget`: `X-WOPI-InvalidFileNameError` says why, and
    /// `X-WOPI-ValidRelativeTarget` (UTF-7) proposes a legal name the client may retry with (PutRelativeFile.rst).
    #[error("invalid file name: {reason}")]
    InvalidRelativeTarget {
        /// Why the name is illegal.
        reason: String,
        /// A legal variant of the name.
        valid: String,
    },
    /// 400 with `X-WOPI-InvalidContainerNameError`.
    #[error("invalid container name: {0}")]
    InvalidContainerName(String),
    /// 401: the access token is invalid, expired, or bound to another resource.
    #[error("{0}")]
    Token(#[from] TokenError),
    /// 401: the token is not for this resource.
    #[error("the access token is not valid for this resource")]
    WrongResource,
    /// 404: no such file, container or user.
    #[error("not found")]
    NotFound,
    /// 404 ("user unauthorized" in the docs' status table): the user may not do this, e.g. a read-only user writing.
    #[error("the user is not allowed to do this")]
    Forbidden,
    /// 409 lock mismatch, with `X-WOPI-Lock` set to the current lock (empty when unlocked).
    #[error("lock mismatch: {reason}")]
    LockMismatch {
        /// The lock on the file now.
        current: Option<LockId>,
        /// Logged and sent as `X-WOPI-LockFailureReason`.
        reason: &'static str,
    },
    /// 409 from a coauth operation (`X-WOPI-ConflictingLockUsername` when a user-visible WOPI lock is the cause).
    #[error("{0}")]
    Coauth(CoauthConflict),
    /// 409 for a write against a lock (CSPP Plus rules): `X-WOPI-Lock` only when the conflict carries one (never
    /// while coauth rows exist), and `X-WOPI-ConflictingMechanism` when one applies.
    #[error("{0}")]
    WriteConflict(LockConflict),
    /// 409: a file or container of that name exists; `valid` is sent UTF-7 encoded in `X-WOPI-ValidRelativeTarget`.
    #[error("the name already exists")]
    NameExists {
        /// A name that would succeed.
        valid: Option<String>,
    },
    /// 409: the file changed since the `X-COOL-WOPI-Timestamp` the client sent; the body is Collabora's
    /// `{"COOLStatusCode": 1010}` ("document changed in storage"), with the pre-2021 `LOOLStatusCode` too.
    #[error("the file was modified since the client's timestamp")]
    ModifiedSince,
    /// 409: the container still has children.
    #[error("the container is not empty")]
    ContainerNotEmpty,
    /// 412 with an empty body and the current `X-WOPI-SequenceNumber` (PutChunkedFile with a stale number).
    #[error("stale sequence number")]
    SequenceMismatch(wopi_protocol::cspp::properties::SequenceNumber),
    /// 412: the file is larger than `X-WOPI-MaxExpectedSize`.
    #[error("the file is larger than X-WOPI-MaxExpectedSize")]
    TooLargeForClient,
    /// 413: the file is larger than this host accepts.
    #[error("the file is too large")]
    TooLarge,
    /// 501: the operation is not supported (or not for this user, where the docs say 501).
    #[error("not implemented: {0}")]
    NotImplemented(String),
    /// 500: the proof-key check failed (`online/scenarios/proofkeys.rst`; the validator expects 500).
    #[error("proof-key validation failed")]
    ProofFailed,
    /// 500: something broke inside the host; the detail is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for WopiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WopiError::NotFound,
            StoreError::LockMismatch { current, reason } => WopiError::LockMismatch { current, reason },
            StoreError::NameExists { valid } => WopiError::NameExists { valid },
            StoreError::ModifiedSince => WopiError::ModifiedSince,
            StoreError::NotEmpty => WopiError::ContainerNotEmpty,
            StoreError::RootContainer => WopiError::NotImplemented("the root container cannot be changed".into()),
            StoreError::SequenceMismatch(current) => WopiError::SequenceMismatch(current),
            StoreError::BadContent(why) => WopiError::BadRequest(why),
            StoreError::Coauth(c) => WopiError::Coauth(c),
            StoreError::WriteConflict(c) => WopiError::WriteConflict(c),
            StoreError::Backend(detail) => WopiError::Internal(detail),
        }
    }
}

impl WopiError {
    /// The status code for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            WopiError::BadRequest(_)
            | WopiError::InvalidFileName(_)
            | WopiError::InvalidRelativeTarget { .. }
            | WopiError::InvalidContainerName(_) => StatusCode::BAD_REQUEST,
            WopiError::Token(_) | WopiError::WrongResource => StatusCode::UNAUTHORIZED,
            WopiError::NotFound | WopiError::Forbidden => StatusCode::NOT_FOUND,
            WopiError::LockMismatch { .. }
            | WopiError::Coauth(_)
            | WopiError::WriteConflict(_)
            | WopiError::NameExists { .. }
            | WopiError::ModifiedSince
            | WopiError::ContainerNotEmpty => StatusCode::CONFLICT,
            WopiError::TooLargeForClient | WopiError::SequenceMismatch(_) => StatusCode::PRECONDITION_FAILED,
            WopiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WopiError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            WopiError::ProofFailed | WopiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Collabora Online's status code for "the document was changed in storage" (a 409 to a timestamped PutFile).
pub const COOL_DOC_CHANGED: u16 = 1010;

/// A header value from text a peer or the store produced; characters HTTP cannot carry are replaced by `?`.
pub fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| {
        let cleaned: String = s
            .chars()
            .map(|c| if c == '\t' || (' '..='~').contains(&c) { c } else { '?' })
            .collect();
        HeaderValue::from_str(&cleaned).unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}

impl IntoResponse for WopiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if matches!(self, WopiError::ModifiedSince) {
            let body = serde_json::json!({ "COOLStatusCode": COOL_DOC_CHANGED, "LOOLStatusCode": COOL_DOC_CHANGED });
            return (status, axum::Json(body)).into_response();
        }
        if let WopiError::SequenceMismatch(current) = &self {
            let mut response = status.into_response();
            response
                .headers_mut()
                .insert(X_WOPI_SEQUENCE_NUMBER, header_value(&current.to_string()));
            return response;
        }
        let body = match &self {
            WopiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal error".to_owned()
            }
            WopiError::ProofFailed => "proof-key validation failed".to_owned(),
            other => other.to_string(),
        };
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: HeaderValue| {
            headers.insert(HeaderName::from_static_lowercase(name), value);
        };
        match &self {
            WopiError::LockMismatch { current, reason } => {
                set(X_WOPI_LOCK, header_value(current.as_ref().map_or("", LockId::as_str)));
                set(X_WOPI_LOCK_FAILURE_REASON, header_value(reason));
            }
            WopiError::Coauth(CoauthConflict::WopiLock {
                conflicting_lock_username: Some(name),
            }) => set(X_WOPI_CONFLICTING_LOCK_USERNAME, header_value(name)),
            WopiError::WriteConflict(c) => {
                if let Some(lock) = &c.x_wopi_lock {
                    set(X_WOPI_LOCK, header_value(lock));
                }
                if let Some(m) = c.mechanism {
                    set(X_WOPI_CONFLICTING_MECHANISM, HeaderValue::from_static(m.header_value()));
                }
            }
            WopiError::NameExists { valid: Some(valid) } => {
                set(
                    X_WOPI_VALID_RELATIVE_TARGET,
                    header_value(&wopi_protocol::utf7::encode(valid)),
                );
            }
            WopiError::InvalidFileName(reason) => set(X_WOPI_INVALID_FILE_NAME_ERROR, header_value(reason)),
            WopiError::InvalidRelativeTarget { reason, valid } => {
                set(X_WOPI_INVALID_FILE_NAME_ERROR, header_value(reason));
                set(
                    X_WOPI_VALID_RELATIVE_TARGET,
                    header_value(&wopi_protocol::utf7::encode(valid)),
                );
            }
            WopiError::InvalidContainerName(reason) => set(X_WOPI_INVALID_CONTAINER_NAME_ERROR, header_value(reason)),
            _ => {}
        }
        response
    }
}

/// `HeaderName::from_static` wants lower case; the protocol crate spells names as the docs do.
trait FromStaticLowercase {
    fn from_static_lowercase(name: &'static str) -> HeaderName;
}

impl FromStaticLowercase for HeaderName {
    fn from_static_lowercase(name: &'static str) -> HeaderName {
        // Every protocol header name is a valid token; the fallback is unreachable in practice.
        HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|_| HeaderName::from_static("x-wopi-invalid"))
    }
}
