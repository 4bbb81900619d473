//! The WOPI REST surface: routes, the operation dispatch, request context, proof-key middleware.
//!
//! Which operation a request is, the catalogue decides ([`wopi_protocol::ops::Op::resolve`] from the endpoint,
//! method, path form, `X-WOPI-Override` and marker headers); [`dispatch`] holds the one table from an operation to
//! its handler, one module per operation (or per tight family, like the four lock operations) under [`files`],
//! [`containers`] and [`ecosystem`]. The axum routes are generated from the catalogue's path forms.
//!
//! Every `/wopi` request first passes the proof-key check (when enabled), then its handler verifies the access
//! token: from the `access_token` query parameter, or `Authorization: Bearer` when the query has none.

pub mod ancestry;
pub mod containers;
pub mod dispatch;
pub mod ecosystem;
pub mod files;
pub mod request;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use wopi_protocol::ops::{Endpoint, Method, Op, PathForm};

pub use request::{
    Body, Caller, ContainerRequest, EcosystemRequest, FileRequest, UserLicensing, authorize, body_bytes, json,
    lock_header, required_lock, single_header, with_item_version,
};

use crate::AppState;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::proof::TokenTrust;
use request::token_from_query;

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
    let mut wopi = operation_routes()
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
        wopi = wopi.layer(middleware::map_response_with_state(
            state,
            crate::faults::layer::whole_response,
        ));
    }
    Router::new().route("/", get(start_page)).merge(wopi)
}

/// The three endpoints' URL paths, before the path form's suffix.
fn endpoint_path(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Files => "/wopi/files/{id}",
        Endpoint::Containers => "/wopi/containers/{id}",
        Endpoint::Ecosystem => "/wopi/ecosystem",
    }
}

/// One route per (endpoint, path form) the catalogue uses, with the methods it uses there; a method no operation
/// uses on that path is axum's 405.
fn operation_routes() -> Router<AppState> {
    let mut router = Router::new();
    let mut seen: Vec<(Endpoint, PathForm)> = Vec::new();
    for endpoint in [Endpoint::Files, Endpoint::Containers, Endpoint::Ecosystem] {
        for spec in Op::ALL.iter().map(|op| op.spec()).filter(|s| s.is_on(endpoint)) {
            if seen.contains(&(endpoint, spec.path)) {
                continue;
            }
            seen.push((endpoint, spec.path));
            let mut methods = MethodRouter::new();
            for method in [Method::Get, Method::Post] {
                let used = Op::ALL
                    .iter()
                    .map(|op| op.spec())
                    .any(|s| s.is_on(endpoint) && s.path == spec.path && s.method == method);
                if used {
                    methods = methods.merge(dispatch::handler(endpoint, method, spec.path));
                }
            }
            let path = format!("{}{}", endpoint_path(endpoint), spec.path.suffix());
            router = router.route(&path, methods);
        }
    }
    router
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

/// `t` in the ISO 8601 round-trip format the docs ask for in `LastModifiedTime`: `2009-06-15T13:45:30.0000000Z`
/// (.NET's `o` format, spelled once in `wopi_protocol::dotnet`).
pub use wopi_protocol::dotnet::round_trip_string as iso8601;
