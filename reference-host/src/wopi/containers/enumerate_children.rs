//! EnumerateChildren (`rest/containers/EnumerateChildren.rst`).

use axum::response::Response;
use serde_json::{Value, json};
use wopi_protocol::headers::X_WOPI_FILE_EXTENSION_FILTER_LIST;

use super::{pointers, token_url};
use crate::AppState;
use crate::error::WopiError;
use crate::faults::deviations::children::Deviations;
use crate::store::FileRecord;
use crate::tokens::Resource;
use crate::wopi::iso8601;
use crate::wopi::request::{Caller, ContainerRequest, json, single_header};

/// EnumerateChildren: all immediate children; `X-WOPI-FileExtensionFilterList` filters files only.
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    let deviate = Deviations::of(req.state.faults);
    let filter: Option<Vec<String>> = deviate
        .filter(single_header(&req.headers, X_WOPI_FILE_EXTENSION_FILTER_LIST)?)
        .map(|list| list.split(',').map(|e| e.trim_start_matches('.').to_owned()).collect());
    let (containers, files) = req.state.store.children(&req.id, req.now).await?;
    let files: Vec<Value> = files
        .iter()
        .filter(|f| match &filter {
            None => true,
            Some(exts) => f
                .name
                .extension()
                .is_some_and(|ext| exts.iter().any(|e| deviate.extension_matches(e, ext))),
        })
        .map(|f| child_file(&req.state, &req.caller, f))
        .collect();
    Ok(json(&json!({
        "ChildContainers": pointers(&req.state, &req.caller, &containers),
        "ChildFiles": files,
    })))
}

fn child_file(state: &AppState, caller: &Caller, file: &FileRecord) -> Value {
    json!({
        "Name": file.name.as_str(),
        "Url": token_url(state, caller, &state.wopi_src(&file.id), Resource::File(file.id.clone())),
        "Version": file.version_string(),
        "Size": file.size,
        "LastModifiedTime": iso8601(file.last_modified),
    })
}
