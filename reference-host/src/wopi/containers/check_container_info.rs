//! CheckContainerInfo: `GET /wopi/containers/{id}` (`rest/containers/CheckContainerInfo.rst`).

use axum::response::Response;
use serde_json::json;

use super::{container_info, share_url};
use crate::error::WopiError;
use crate::wopi::request::{ContainerRequest, json};

/// CheckContainerInfo: `GET /wopi/containers/{id}`.
pub async fn handle(req: ContainerRequest) -> Result<Response, WopiError> {
    let container = req.state.store.container(&req.id).await?;
    let mut info = container_info(&req.caller, &container);
    // IsAnonymousUser "should match the IsAnonymousUser value returned in CheckFileInfo".
    info["IsAnonymousUser"] = json!(req.state.settings.anonymous_sessions);
    if let Some(types) = share_url::supported(&req) {
        info["SupportedShareUrlTypes"] = json!(types);
    }
    Ok(json(&info))
}
