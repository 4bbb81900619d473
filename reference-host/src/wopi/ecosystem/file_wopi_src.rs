//! GetFileWopiSrc: `POST /wopi/ecosystem` with `X-WOPI-Override: GET_WOPI_SRC_WITH_ACCESS_TOKEN`
//! (`rest/ecosystem/GetFileWopiSrc.rst`).

use axum::response::Response;
use serde_json::json;
use wopi_protocol::headers::X_WOPI_HOST_NATIVE_FILE_NAME;
use wopi_protocol::ids::FileId;

use crate::AppState;
use crate::error::WopiError;
use crate::store::StoreError;
use crate::tokens::Resource;
use crate::wopi::request::{EcosystemRequest, json, single_header};

/// The WOPISrc, with a token for the caller, of the file a host-native name points at.
pub async fn handle(req: EcosystemRequest) -> Result<Response, WopiError> {
    let Some(native) = single_header(&req.headers, X_WOPI_HOST_NATIVE_FILE_NAME)? else {
        return Err(WopiError::BadRequest("X-WOPI-HostNativeFileName is required".into()));
    };
    let id = file_id_from_native(&req.state, native).ok_or(WopiError::NotFound)?;
    let file = req.state.store.file(&id, req.now).await.map_err(|e| match e {
        StoreError::NotFound => WopiError::NotFound,
        other => other.into(),
    })?;
    let token = req.state.tokens.issue_until(
        &req.caller.user.id,
        &Resource::File(file.id.clone()),
        req.caller.claims.expires_at_ms,
    );
    let url = format!(
        "{}&access_token_ttl={}",
        AppState::with_token(&req.state.wopi_src(&file.id), &token),
        token.access_token_ttl
    );
    Ok(json(&json!({ "Url": url })))
}

/// Accepts what GetFileWopiSrc.rst recommends: a HostEditUrl, HostViewUrl or share URL of this host
/// (`…/host/{id}?action=…`), a WOPISrc, or a bare file ID.
fn file_id_from_native(state: &AppState, native: &str) -> Option<FileId> {
    let base = state.base_url();
    let rest = native.strip_prefix(base).unwrap_or(native);
    let id = rest
        .strip_prefix("/host/")
        .or_else(|| rest.strip_prefix("/wopi/files/"))
        .unwrap_or(rest)
        .split(['?', '/', '#'])
        .next()
        .unwrap_or("");
    FileId::new(id).ok()
}
