//! What a configuration's CheckFileInfo and CheckContainerInfo point at outside `/wopi`
//! ([`crate::configuration`]): the `FileUrl` download, the `WorkflowUrl` page and a container's share page. Each
//! answers 404 unless the host's configuration offers it, as a host without the feature has no such URL.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use wopi_protocol::ids::{ContainerId, FileId};

use crate::AppState;
use crate::error::WopiError;
use crate::wopi::request::FileRequest;
use wopi_protocol::html::escape as escape_html;

/// The routes, mounted next to `/wopi` (no proof check: rest/files/CheckFileInfo.rst, FileUrl: "Requests to the
/// FileUrl can not be signed using proof keys").
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/download/{file_id}", get(download))
        .route("/workflow/{file_id}", get(workflow))
        .route("/browse/{container_id}", get(browse))
}

/// `FileUrl`: the file's current bytes. The token is part of the URL the host gave (the client adds nothing),
/// checked as on `/wopi`; GetFile keeps working alongside it.
async fn download(req: FileRequest) -> Result<Response, WopiError> {
    if !req.state.settings.file_url {
        return Err(WopiError::NotFound);
    }
    let (_, data) = req.state.store.content(&req.id, req.now).await?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        data,
    )
        .into_response())
}

/// `WorkflowUrl`: where the user submits the file (`WorkflowType: ["Submit"]`).
async fn workflow(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, WopiError> {
    if !state.settings.workflow {
        return Err(WopiError::NotFound);
    }
    let id = FileId::new(id).map_err(|_| WopiError::NotFound)?;
    let file = state.store.file(&id, state.now()).await?;
    let name = escape_html(file.name.as_str());
    Ok(page(
        &format!("Submit {name}"),
        &format!("<p>Submit <b>{name}</b> for approval.</p>"),
    ))
}

#[derive(serde::Deserialize)]
struct BrowseQuery {
    action: Option<String>,
}

/// A container's share URL (GetShareUrl on a container): a page naming it, for viewing or editing.
async fn browse(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<BrowseQuery>,
) -> Result<Response, WopiError> {
    if !state.settings.container_share_urls {
        return Err(WopiError::NotFound);
    }
    let id = ContainerId::new(id).map_err(|_| WopiError::NotFound)?;
    let container = state.store.container(&id).await?;
    let access = match query.action.as_deref() {
        Some("edit") => "edit",
        _ => "view",
    };
    let name = escape_html(&container.name);
    Ok(page(
        &format!("Folder {name}"),
        &format!("<p>Shared folder <b>{name}</b> ({access}).</p>"),
    ))
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>{body}</body></html>"
    ))
    .into_response()
}
