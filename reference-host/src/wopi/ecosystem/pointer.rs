//! GetEcosystem on files and containers (`rest/files/GetEcosystem.rst`, `rest/containers/GetEcosystem.rst`).

use axum::response::Response;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::WopiError;
use crate::tokens::Resource;
use crate::wopi::containers::token_url;
use crate::wopi::request::{Caller, ContainerRequest, FileRequest, json};

/// GetEcosystem (files): the ecosystem URL with an ecosystem token.
pub async fn of_file(req: FileRequest) -> Result<Response, WopiError> {
    req.state.store.file(&req.id, req.now).await?;
    Ok(json(&ecosystem_pointer(&req.state, &req.caller)))
}

/// GetEcosystem (containers).
pub async fn of_container(req: ContainerRequest) -> Result<Response, WopiError> {
    req.state.store.container(&req.id).await?;
    Ok(json(&ecosystem_pointer(&req.state, &req.caller)))
}

/// The GetEcosystem response: `{"Url": ecosystem URL with an ecosystem token}`.
pub fn ecosystem_pointer(state: &AppState, caller: &Caller) -> Value {
    json!({ "Url": token_url(state, caller, &state.ecosystem_url(), Resource::Ecosystem) })
}
