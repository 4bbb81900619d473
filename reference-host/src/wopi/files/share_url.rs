//! GetShareUrl on a file (`rest/files/GetShareUrl.rst`).

use axum::response::Response;
use serde_json::json;
use wopi_protocol::headers::{ShareUrlType, X_WOPI_URL_TYPE};

use crate::error::WopiError;
use crate::faults::Fault;
use crate::wopi::request::{FileRequest, json, single_header};

/// GetShareUrl: `ReadOnly` links to the view page, `ReadWrite` to the edit page (writers only); anything else 501.
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    let file = req.state.store.file(&req.id, req.now).await?;
    let kind = single_header(&req.headers, X_WOPI_URL_TYPE)?.map(ShareUrlType::parse);
    let action = match kind {
        Some(Ok(ShareUrlType::ReadOnly)) => "view",
        Some(Ok(ShareUrlType::ReadWrite)) if req.caller.user.can_write => "edit",
        _ if req.state.faults.has(Fault::ShareUrlAnyType) => "view",
        _ => {
            return Err(WopiError::NotImplemented(
                "unsupported or missing X-WOPI-UrlType".into(),
            ));
        }
    };
    Ok(json(&json!({ "ShareUrl": req.state.host_page_url(&file.id, action) })))
}
