//! GetShareUrl on a container (`rest/containers/GetShareUrl.rst`), offered by the `container-share-urls`
//! configuration.

use axum::response::Response;
use serde_json::json;
use wopi_protocol::headers::{ShareUrlType, X_WOPI_URL_TYPE};

use crate::error::WopiError;
use crate::wopi::request::{ContainerRequest, json, single_header};

/// The share URL types a container offers, as CheckContainerInfo's `SupportedShareUrlTypes` lists them (`None`
/// when the configuration offers none).
pub fn supported(req: &ContainerRequest) -> Option<[&'static str; 2]> {
    req.state
        .settings
        .container_share_urls
        .then(|| [ShareUrlType::ReadOnly.as_str(), ShareUrlType::ReadWrite.as_str()])
}

/// `ReadOnly` links to the container's page for viewing, `ReadWrite` for editing (writers only); anything else, or
/// a host without container share URLs, 501 ("not present or contains a value that is invalid or not supported").
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    if supported(&req).is_none() {
        return Err(WopiError::NotImplemented(
            "this host offers no share URLs for containers".into(),
        ));
    }
    let container = req.state.store.container(&req.id).await?;
    let action = match single_header(&req.headers, X_WOPI_URL_TYPE)?.map(ShareUrlType::parse) {
        Some(Ok(ShareUrlType::ReadOnly)) => "view",
        Some(Ok(ShareUrlType::ReadWrite)) if req.caller.user.can_write => "edit",
        _ => {
            return Err(WopiError::NotImplemented(
                "unsupported or missing X-WOPI-UrlType".into(),
            ));
        }
    };
    Ok(json(
        &json!({ "ShareUrl": req.state.container_page_url(&container.id, action) }),
    ))
}
