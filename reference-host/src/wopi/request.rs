//! The context every operation handler starts from: the verified caller and the resource in the path
//! ([`FileRequest`], [`ContainerRequest`], [`EcosystemRequest`]), and the header parsing they share.

use std::time::SystemTime;

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use wopi_protocol::headers::X_WOPI_ITEM_VERSION;
use wopi_protocol::ids::{ContainerId, FileId};
use wopi_protocol::lock::LockId;

use crate::AppState;
use crate::error::WopiError;
use crate::store::User;
use crate::tokens::{Claims, Resource, TokenError};

/// A request body as axum read it: a read failure (too large, stalled) is the handler's to report.
pub type Body = Result<Bytes, BytesRejection>;

/// The body's bytes: over the size limit is a 413, any other read failure a 400.
pub fn body_bytes(body: Body) -> Result<Bytes, WopiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WopiError::TooLarge
        } else {
            WopiError::BadRequest(format!("could not read the request body: {rejection}"))
        }
    })
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
pub(crate) fn token_from_query(query: Option<&str>) -> Result<Option<String>, TokenError> {
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

impl Caller {
    /// Writes by read-only users answer 404 ("user unauthorized" in the docs' status tables).
    pub fn require_write(&self) -> Result<(), WopiError> {
        if self.user.can_write {
            Ok(())
        } else {
            Err(WopiError::Forbidden)
        }
    }
}

/// The claims of the request's token, which must be genuine, current and bound to `resource`.
fn claims(state: &AppState, parts: &Parts, resource: &Resource) -> Result<Claims, WopiError> {
    let claims = state.tokens.verify(&token_from_request(parts)?, state.now())?;
    if &claims.resource != resource {
        return Err(WopiError::WrongResource);
    }
    Ok(claims)
}

/// Verifies the request's token for `resource`: 401 if invalid, expired, for another resource, or for an unknown
/// user.
pub async fn authorize(state: &AppState, parts: &Parts, resource: &Resource) -> Result<Caller, WopiError> {
    let claims = if state.faults.is_empty() {
        claims(state, parts, resource)?
    } else {
        crate::faults::deviations::tokens::claims(state, token_from_request(parts), resource)?
    };
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
pub type FileRequest = ResourceRequest<FileId>;

/// The context of a request on `/wopi/containers/{id}...`.
pub type ContainerRequest = ResourceRequest<ContainerId>;

/// The context of a request on one resource named in the path (a file or a container): its ID, a verified caller,
/// and the request headers.
#[derive(Debug)]
pub struct ResourceRequest<I> {
    /// Host state.
    pub state: AppState,
    /// The resource in the path.
    pub id: I,
    /// The verified caller.
    pub caller: Caller,
    /// Request headers.
    pub headers: HeaderMap,
    /// When the request is handled, on the host's clock.
    pub now: SystemTime,
}

/// An ID taken from the request path, naming a resource a token can be bound to.
pub trait PathId: Clone + Sized {
    /// The ID, or `None` when it is not one we could have issued (then it names nothing).
    fn parse(raw: String) -> Option<Self>;
    /// The resource the caller's token must be bound to.
    fn resource(&self) -> Resource;
}

impl PathId for FileId {
    fn parse(raw: String) -> Option<Self> {
        FileId::new(raw).ok()
    }
    fn resource(&self) -> Resource {
        Resource::File(self.clone())
    }
}

impl PathId for ContainerId {
    fn parse(raw: String) -> Option<Self> {
        ContainerId::new(raw).ok()
    }
    fn resource(&self) -> Resource {
        Resource::Container(self.clone())
    }
}

// The extractor takes the headers out of the request parts instead of cloning them (CheckFileInfo is the hot path);
// it must be the last parts extractor of a handler, before at most a body extractor.
impl<I: PathId + Send> FromRequestParts<AppState> for ResourceRequest<I> {
    type Rejection = WopiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| WopiError::NotFound)?;
        // An ID that is not one we could have issued names no file; a token cannot be bound to it either.
        let id = I::parse(raw).ok_or(WopiError::NotFound)?;
        let caller = authorize(state, parts, &id.resource()).await?;
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

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};
    use wopi_protocol::headers::X_WOPI_LOCK;

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
