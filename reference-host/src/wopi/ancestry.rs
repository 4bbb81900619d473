//! EnumerateAncestors on files and containers (`rest/files/EnumerateAncestors.rst`,
//! `rest/containers/EnumerateAncestors.rst`).

use axum::response::Response;
use serde_json::{Value, json};

use super::containers::pointers;
use super::request::{Caller, ContainerRequest, FileRequest, json};
use crate::AppState;
use crate::error::WopiError;
use crate::store::Container;

/// EnumerateAncestors (files): the file's containers, root first.
pub async fn of_file(req: FileRequest) -> Result<Response, WopiError> {
    let file = req.state.store.file(&req.id, req.now).await?;
    let parent = req.state.store.container(&file.container).await?;
    let mut chain = req.state.store.ancestors(&file.container).await?;
    chain.push(parent);
    Ok(ancestors_response(&req.state, &req.caller, chain))
}

/// EnumerateAncestors (containers): root first, not including the container itself.
pub async fn of_container(req: ContainerRequest) -> Result<Response, WopiError> {
    let chain = req.state.store.ancestors(&req.id).await?;
    Ok(ancestors_response(&req.state, &req.caller, chain))
}

/// `AncestorsWithRootFirst` for a chain that is already root first.
pub fn ancestors_body(state: &AppState, caller: &Caller, chain: &[Container]) -> Value {
    json!({ "AncestorsWithRootFirst": pointers(state, caller, chain) })
}

/// The EnumerateAncestors response (files and containers): [`ancestors_body`]. The list is always complete, so
/// `X-WOPI-EnumerationIncomplete` is not sent.
pub fn ancestors_response(state: &AppState, caller: &Caller, chain: Vec<Container>) -> Response {
    json(&ancestors_body(state, caller, &chain))
}
