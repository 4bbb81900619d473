//! CreateChildFile (`rest/containers/CreateChildFile.rst`).

use axum::response::Response;
use bytes::Bytes;
use serde_json::json;
use wopi_protocol::headers::{X_WOPI_OVERWRITE_RELATIVE_TARGET, parse_bool_for};
use wopi_protocol::names::{FileName, SuggestedTarget};

use super::{targets, token_url};
use crate::error::WopiError;
use crate::faults::Fault;
use crate::store::{NameMode, NewFile};
use crate::tokens::Resource;
use crate::wopi::request::{ContainerRequest, json, single_header};

/// The stem used when CreateChildFile's suggested target is only an extension (there is no source file to take a
/// name from).
pub const NEW_FILE_STEM: &str = "New file";

/// An empty file in the container, by suggested or exact name.
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let max = req.state.limits.file_name_max_length;
    let (name, mode) = match targets(&req)? {
        (Some(suggested), _) => {
            let name = match SuggestedTarget::parse(&suggested) {
                Ok(SuggestedTarget::Extension(ext)) => {
                    FileName::new_with_max(wopi_protocol::names::with_extension(NEW_FILE_STEM, &ext), max)
                        .unwrap_or_else(|_| FileName::sanitized(&suggested, max))
                }
                Ok(SuggestedTarget::FullName(name)) => {
                    FileName::new_with_max(name.as_str(), max).unwrap_or_else(|_| FileName::sanitized(&suggested, max))
                }
                Err(_) => FileName::sanitized(&suggested, max),
            };
            if req.state.faults.has(Fault::SuggestedChildFileConflicts) {
                (name, NameMode::Exact { overwrite: false })
            } else {
                (name, NameMode::Suggested)
            }
        }
        (_, Some(relative)) => {
            let overwrite = match single_header(&req.headers, X_WOPI_OVERWRITE_RELATIVE_TARGET)? {
                None => false,
                Some(v) => parse_bool_for(X_WOPI_OVERWRITE_RELATIVE_TARGET, v)
                    .map_err(|e| WopiError::BadRequest(e.to_string()))?,
            };
            let name =
                FileName::new_with_max(relative.as_str(), max).map_err(|e| WopiError::InvalidRelativeTarget {
                    reason: e.to_string(),
                    valid: FileName::sanitized(&relative, max).into_string(),
                })?;
            (name, NameMode::Exact { overwrite })
        }
        (None, None) => return Err(WopiError::BadRequest("no target".into())),
    };
    // CreateChildFile.rst: "The resulting file must be zero bytes in length."
    let new = NewFile {
        container: req.id.clone(),
        name,
        mode,
        owner: req.caller.user.id.clone(),
        content: Bytes::new(),
    };
    let file = req.state.store.create_file(new, req.now).await?.file;
    let url = token_url(
        &req.state,
        &req.caller,
        &req.state.wopi_src(&file.id),
        Resource::File(file.id.clone()),
    );
    Ok(json(&json!({
        "Name": file.name.as_str(),
        "Url": url,
        "HostViewUrl": req.state.host_page_url(&file.id, "view"),
        "HostEditUrl": req.state.host_page_url(&file.id, "edit"),
        "HostEditNewUrl": req.state.host_page_url(&file.id, "editnew"),
    })))
}
