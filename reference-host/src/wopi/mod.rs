//! The WOPI REST surface: routes, request context (token, user, resource), header parsing, proof-key middleware.
//!
//! | path | GET | POST (by `X-WOPI-Override`) |
//! |---|---|---|
//! | `/wopi/files/{id}` | CheckFileInfo | LOCK (Lock / UnlockAndRelock), UNLOCK, REFRESH_LOCK, GET_LOCK, PUT_RELATIVE, RENAME_FILE, DELETE, PUT_USER_INFO, GET_SHARE_URL |
//! | `/wopi/files/{id}/contents` | GetFile | PUT (PutFile) |
//! | `/wopi/files/{id}/ancestry` | EnumerateAncestors | |
//! | `/wopi/files/{id}/ecosystem_pointer` | GetEcosystem | |
//! | `/wopi/containers/{id}` | CheckContainerInfo | CREATE_CHILD_CONTAINER, CREATE_CHILD_FILE, DELETE_CONTAINER, RENAME_CONTAINER, GET_SHARE_URL |
//! | `/wopi/containers/{id}/children` | EnumerateChildren | |
//! | `/wopi/containers/{id}/ancestry` | EnumerateAncestors | |
//! | `/wopi/containers/{id}/ecosystem_pointer` | GetEcosystem | |
//! | `/wopi/ecosystem` | CheckEcosystem | GET_WOPI_SRC_WITH_ACCESS_TOKEN (GetFileWopiSrc) |
//! | `/wopi/ecosystem/root_container_pointer` | GetRootContainer | |
//!
//! Every `/wopi` request first passes the proof-key check (when enabled), then its handler verifies the access
//! token: from the `access_token` query parameter, or `Authorization: Bearer` when the query has none.

pub mod containers;
pub mod files;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use wopi_protocol::headers::{X_WOPI_ITEM_VERSION, X_WOPI_LOCK};
use wopi_protocol::ids::{ContainerId, FileId};
use wopi_protocol::lock::LockId;

use crate::AppState;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::proof::TokenTrust;
use crate::store::User;
use crate::tokens::{Claims, Resource, TokenError};

/// Longest time one WOPI request may take, body upload included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Longest pause between two chunks of a request body.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The `/wopi` routes and the start page, with proof checking and (under faults) response rewriting.
pub fn router(state: AppState) -> Router<AppState> {
    // One byte over the limit so that a body of exactly max_file_size is accepted and the handler can tell.
    let body_limit = usize::try_from(state.limits.max_file_size)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let mut wopi = Router::new()
        .route(
            "/wopi/files/{id}",
            get(files::check_file_info_handler).post(files::post_file),
        )
        .route("/wopi/files/{id}/contents", get(files::get_file).post(files::put_file))
        .route("/wopi/files/{id}/ancestry", get(files::enumerate_ancestors))
        .route("/wopi/files/{id}/ecosystem_pointer", get(files::get_ecosystem))
        .route(
            "/wopi/containers/{id}",
            get(containers::check_container_info).post(containers::post_container),
        )
        .route("/wopi/containers/{id}/children", get(containers::enumerate_children))
        .route("/wopi/containers/{id}/ancestry", get(containers::enumerate_ancestors))
        .route(
            "/wopi/containers/{id}/ecosystem_pointer",
            get(containers::get_ecosystem),
        )
        .route(
            "/wopi/ecosystem",
            get(containers::check_ecosystem).post(containers::post_ecosystem),
        )
        .route(
            "/wopi/ecosystem/root_container_pointer",
            get(containers::get_root_container),
        )
        .layer(DefaultBodyLimit::max(body_limit))
        // Bounded waits: a whole request may take at most REQUEST_TIMEOUT, and a request body that stalls for
        // BODY_IDLE_TIMEOUT is abandoned.
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    // Layers that would do nothing are left out: CheckFileInfo is the hot path.
    if state.proof.is_some() {
        wopi = wopi.layer(middleware::from_fn_with_state(state.clone(), check_proof));
    }
    if !state.faults.is_empty() {
        wopi = wopi.layer(middleware::map_response_with_state(state, apply_response_faults));
    }
    Router::new().route("/", get(start_page)).merge(wopi)
}

async fn start_page() -> &'static str {
    "WOPI reference host. WOPI endpoints live under /wopi; host pages under /host/{file_id}.\n"
}

/// The proof-key check of every `/wopi` request (`online/scenarios/proofkeys.rst`): the signed URL is the public
/// base URL plus the path and query exactly as received. A failure answers 500, as the docs and the validator
/// expect.
async fn check_proof(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(checker) = &state.proof {
        let uri = request.uri();
        let path_and_query = if state.faults.has(Fault::ProofWithoutQuery) {
            uri.path()
        } else {
            uri.path_and_query().map_or_else(|| uri.path(), |pq| pq.as_str())
        };
        let signed_url = format!("{}{}", state.base_url(), path_and_query);
        let token = token_from_query(uri.query()).ok().flatten().unwrap_or_default();
        // Only requests carrying a token we issued may make the host fetch discovery again after a failed proof.
        let trust = if state.tokens.verify(&token, state.now()).is_ok() {
            TokenTrust::Issued
        } else {
            TokenTrust::Unknown
        };
        if let Err(failure) = checker.check_with(&signed_url, &token, request.headers(), trust).await {
            tracing::warn!(path = uri.path(), error = %failure, "proof-key check failed; answering 500");
            return WopiError::ProofFailed.into_response();
        }
    }
    next.run(request).await
}

async fn apply_response_faults(State(state): State<AppState>, mut response: Response) -> Response {
    if state.faults.has(Fault::ConflictWithoutLockHeader) && response.status() == StatusCode::CONFLICT {
        response.headers_mut().remove(X_WOPI_LOCK);
    }
    if state.faults.has(Fault::EmptyLockHeaderDropped)
        && response.headers().get(X_WOPI_LOCK).is_some_and(|v| v.is_empty())
    {
        response.headers_mut().remove(X_WOPI_LOCK);
    }
    if state.faults.has(Fault::LockHeaderCaseFolded)
        && let Some(folded) = response
            .headers()
            .get(X_WOPI_LOCK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    {
        response
            .headers_mut()
            .insert(X_WOPI_LOCK, crate::error::header_value(&folded));
    }
    response
}

/// The value of a header that may appear at most once. A duplicate or a value that is not visible ASCII is a 400:
/// a host must not guess which of two lock IDs the client meant.
pub fn single_header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<Option<&'a str>, WopiError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(WopiError::BadRequest(format!(
            "the {name} header appears more than once"
        )));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| WopiError::BadRequest(format!("the {name} header is not visible ASCII")))
}

/// A lock ID header: absent or empty gives `None`; over 1024 characters or with control characters is a 400.
pub fn lock_header(headers: &HeaderMap, name: &'static str) -> Result<Option<LockId>, WopiError> {
    match single_header(headers, name)? {
        None | Some("") => Ok(None),
        Some(value) => LockId::new(value)
            .map(Some)
            .map_err(|e| WopiError::BadRequest(format!("{name}: {e}"))),
    }
}

/// A lock ID header that must be present and non-empty (Lock.rst: "400: X-WOPI-Lock was not provided or was
/// empty").
pub fn required_lock(headers: &HeaderMap, name: &'static str) -> Result<LockId, WopiError> {
    lock_header(headers, name)?.ok_or_else(|| WopiError::BadRequest(format!("{name} was not provided or was empty")))
}

/// `access_token` from a query string; two of them are an error (which one would be checked?).
fn token_from_query(query: Option<&str>) -> Result<Option<String>, TokenError> {
    let Some(query) = query else { return Ok(None) };
    let mut found = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == "access_token" {
            if found.is_some() {
                return Err(TokenError::Invalid);
            }
            found = Some(value.into_owned());
        }
    }
    Ok(found)
}

fn token_from_request(parts: &Parts) -> Result<String, WopiError> {
    if let Some(token) = token_from_query(parts.uri.query())? {
        return Ok(token);
    }
    let bearer = single_header(&parts.headers, "authorization")?.and_then(|v| v.strip_prefix("Bearer "));
    bearer.map(str::to_owned).ok_or(WopiError::Token(TokenError::Invalid))
}

/// Who is calling: a verified token and its user.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user the token was issued to.
    pub user: User,
    /// The token's claims.
    pub claims: Claims,
}

/// Verifies the request's token for `resource`: 401 if invalid, expired, for another resource, or for an unknown
/// user.
pub async fn authorize(state: &AppState, parts: &Parts, resource: &Resource) -> Result<Caller, WopiError> {
    let token = token_from_request(parts);
    let verified = token.and_then(|token| match state.tokens.verify(&token, state.now()) {
        Err(TokenError::Expired) if state.faults.has(Fault::ExpiredTokenAccepted) => {
            Ok(state.tokens.verify_signature(&token)?)
        }
        other => Ok(other?),
    });
    let claims = match verified {
        Err(WopiError::Token(TokenError::Invalid)) if state.faults.has(Fault::InvalidTokenAccepted) => Claims {
            // The fault: fall back to the default user on the requested resource instead of answering 401.
            user: crate::store::UserId::new(crate::DEFAULT_USER).map_err(|_| WopiError::Token(TokenError::Invalid))?,
            resource: resource.clone(),
            expires_at_ms: crate::tokens::epoch_ms(state.now() + state.limits.token_ttl),
        },
        other => other?,
    };
    if &claims.resource != resource && !state.faults.has(Fault::TokenNotBoundToResource) {
        return Err(WopiError::WrongResource);
    }
    let user = state
        .store
        .user(&claims.user)
        .await
        .map_err(|_| WopiError::Token(TokenError::Invalid))?;
    Ok(Caller { user, claims })
}

/// The user-licensing properties that CheckFileInfo and CheckContainerInfo must report alike
/// (`rest/containers/CheckContainerInfo.rst`: "This should match the ... value returned in CheckFileInfo"), so both
/// take them from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserLicensing {
    /// `LicenseCheckForEditIsEnabled`: every user of this host counts as a business user, so clients may offer
    /// business editing (and the validator's business-flow cases run).
    pub license_check_for_edit_is_enabled: bool,
    /// `IsEduUser`: no user of this host is an education user.
    pub is_edu_user: bool,
}

impl UserLicensing {
    /// The licensing of `user` (the same for every user of the reference host).
    pub fn of(_user: &User) -> Self {
        Self {
            license_check_for_edit_is_enabled: true,
            is_edu_user: false,
        }
    }
}

/// The context of a request on `/wopi/files/{id}...`: the file ID, a verified caller, and the request headers.
#[derive(Debug)]
pub struct FileRequest {
    /// Host state.
    pub state: AppState,
    /// The file in the path.
    pub id: FileId,
    /// The verified caller.
    pub caller: Caller,
    /// Request headers.
    pub headers: HeaderMap,
    /// When the request is handled, on the host's clock.
    pub now: SystemTime,
}

// The extractors below take the headers out of the request parts instead of cloning them (CheckFileInfo is the hot
// path); they must be the last parts extractor of a handler, before at most a body extractor.
impl FromRequestParts<AppState> for FileRequest {
    type Rejection = WopiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| WopiError::NotFound)?;
        // An ID that is not one we could have issued names no file; a token cannot be bound to it either.
        let id = FileId::new(raw).map_err(|_| WopiError::NotFound)?;
        let caller = authorize(state, parts, &Resource::File(id.clone())).await?;
        Ok(Self {
            state: state.clone(),
            id,
            caller,
            headers: std::mem::take(&mut parts.headers),
            now: state.now(),
        })
    }
}

/// The context of a request on `/wopi/containers/{id}...`.
#[derive(Debug)]
pub struct ContainerRequest {
    /// Host state.
    pub state: AppState,
    /// The container in the path.
    pub id: ContainerId,
    /// The verified caller.
    pub caller: Caller,
    /// Request headers.
    pub headers: HeaderMap,
    /// When the request is handled.
    pub now: SystemTime,
}

impl FromRequestParts<AppState> for ContainerRequest {
    type Rejection = WopiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| WopiError::NotFound)?;
        let id = ContainerId::new(raw).map_err(|_| WopiError::NotFound)?;
        let caller = authorize(state, parts, &Resource::Container(id.clone())).await?;
        Ok(Self {
            state: state.clone(),
            id,
            caller,
            headers: std::mem::take(&mut parts.headers),
            now: state.now(),
        })
    }
}

/// The context of a request on `/wopi/ecosystem...`.
#[derive(Debug)]
pub struct EcosystemRequest {
    /// Host state.
    pub state: AppState,
    /// The verified caller.
    pub caller: Caller,
    /// Request headers.
    pub headers: HeaderMap,
    /// When the request is handled.
    pub now: SystemTime,
}

impl FromRequestParts<AppState> for EcosystemRequest {
    type Rejection = WopiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = authorize(state, parts, &Resource::Ecosystem).await?;
        Ok(Self {
            state: state.clone(),
            caller,
            headers: std::mem::take(&mut parts.headers),
            now: state.now(),
        })
    }
}

/// A 200 response with `X-WOPI-ItemVersion`.
pub fn with_item_version(mut response: Response, version: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(version) {
        response.headers_mut().insert(X_WOPI_ITEM_VERSION, value);
    }
    response
}

/// A JSON 200 response.
pub fn json(value: &serde_json::Value) -> Response {
    axum::Json(value).into_response()
}

/// `t` in the ISO 8601 round-trip format the docs ask for in `LastModifiedTime`: `2009-06-15T13:45:30.0000000Z`
/// (.NET's `o` format, spelled once in `wopi_protocol::dotnet`).
pub use wopi_protocol::dotnet::round_trip_string as iso8601;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicated_headers_are_rejected() {
        let mut headers = HeaderMap::new();
        headers.append("x-wopi-lock", HeaderValue::from_static("a"));
        assert_eq!(single_header(&headers, X_WOPI_LOCK), Ok(Some("a")));
        headers.append("x-wopi-lock", HeaderValue::from_static("b"));
        assert!(single_header(&headers, X_WOPI_LOCK).is_err());
    }

    #[test]
    fn token_query_parsing() {
        assert_eq!(
            token_from_query(Some("access_token=a%2Bb&x=1")),
            Ok(Some("a+b".to_owned()))
        );
        assert_eq!(token_from_query(Some("x=1")), Ok(None));
        assert_eq!(
            token_from_query(Some("access_token=a&access_token=b")),
            Err(TokenError::Invalid)
        );
    }
}
