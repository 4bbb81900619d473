//! Container and ecosystem operations (`rest/containers/*.rst`, `rest/ecosystem/*.rst`).
//!
//! URLs handed out (container pointers, child files, the ecosystem URL) carry a token for the resource they name,
//! issued to the same user and expiring no later than the token of the request ("token trading" in the docs).

use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use wopi_protocol::headers::{
    Override, X_WOPI_ENUMERATION_INCOMPLETE, X_WOPI_FILE_EXTENSION_FILTER_LIST, X_WOPI_HOST_NATIVE_FILE_NAME,
    X_WOPI_OVERRIDE, X_WOPI_OVERWRITE_RELATIVE_TARGET, X_WOPI_RELATIVE_TARGET, X_WOPI_REQUESTED_NAME,
    X_WOPI_SUGGESTED_TARGET, parse_bool_for,
};
use wopi_protocol::ids::FileId;
use wopi_protocol::names::{FileName, SuggestedTarget};

use super::{Caller, ContainerRequest, EcosystemRequest, iso8601, json, single_header};
use crate::AppState;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::store::{Container, FileRecord, NameMode, NewFile, StoreError};
use crate::tokens::Resource;

/// The stem used when CreateChildFile's suggested target is only an extension (there is no source file to take a
/// name from).
pub const NEW_FILE_STEM: &str = "New file";

fn token_url(state: &AppState, caller: &Caller, url: &str, resource: Resource) -> String {
    let token = state
        .tokens
        .issue_until(&caller.user.id, &resource, caller.claims.expires_at_ms);
    AppState::with_token(url, &token)
}

/// Container pointers (`Name` and `Url` with a token) for `containers`.
pub fn pointers(state: &AppState, caller: &Caller, containers: &[Container]) -> Vec<Value> {
    containers
        .iter()
        .map(|c| {
            json!({
                "Name": c.name,
                "Url": token_url(state, caller, &state.container_url(&c.id), Resource::Container(c.id.clone())),
            })
        })
        .collect()
}

/// The GetEcosystem response: `{"Url": ecosystem URL with an ecosystem token}`.
pub fn ecosystem_pointer(state: &AppState, caller: &Caller) -> Value {
    if state.faults.has(Fault::EcosystemUrlWithoutToken) {
        return json!({ "Url": state.ecosystem_url() });
    }
    json!({ "Url": token_url(state, caller, &state.ecosystem_url(), Resource::Ecosystem) })
}

/// `AncestorsWithRootFirst` for a chain that is already root first.
pub fn ancestors_body(state: &AppState, caller: &Caller, mut chain: Vec<Container>) -> Value {
    if state.faults.has(Fault::AncestorsRootLast) {
        chain.reverse();
    }
    let mut pointers = pointers(state, caller, &chain);
    if state.faults.has(Fault::AncestorUrlWithoutToken) {
        for (pointer, container) in pointers.iter_mut().zip(&chain) {
            pointer["Url"] = Value::String(state.container_url(&container.id));
        }
    }
    json!({ "AncestorsWithRootFirst": pointers })
}

/// The EnumerateAncestors response (files and containers): [`ancestors_body`]. The list is always complete, so
/// `X-WOPI-EnumerationIncomplete` is not sent.
pub fn ancestors_response(state: &AppState, caller: &Caller, chain: Vec<Container>) -> Response {
    let mut response = json(&ancestors_body(state, caller, chain));
    if state.faults.has(Fault::EnumerationIncompleteNotTrue) {
        response.headers_mut().insert(
            X_WOPI_ENUMERATION_INCOMPLETE,
            axum::http::HeaderValue::from_static("false"),
        );
    }
    response
}

fn container_info(caller: &Caller, container: &Container) -> Value {
    let writable = caller.user.can_write;
    let changeable = writable && container.parent.is_some();
    let licensing = super::UserLicensing::of(&caller.user);
    json!({
        "Name": container.name,
        "IsAnonymousUser": false,
        "LicenseCheckForEditIsEnabled": licensing.license_check_for_edit_is_enabled,
        "IsEduUser": licensing.is_edu_user,
        "UserCanCreateChildContainer": writable,
        "UserCanCreateChildFile": writable,
        "UserCanDelete": changeable,
        "UserCanRename": changeable,
    })
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

fn require_write(caller: &Caller) -> Result<(), WopiError> {
    if caller.user.can_write {
        Ok(())
    } else {
        Err(WopiError::Forbidden)
    }
}

fn utf7(req: &ContainerRequest, name: &'static str) -> Result<Option<String>, WopiError> {
    single_header(&req.headers, name)?
        .map(|raw| {
            wopi_protocol::utf7::decode(raw).map_err(|e| WopiError::BadRequest(format!("{name} is not UTF-7: {e}")))
        })
        .transpose()
}

/// CheckContainerInfo: `GET /wopi/containers/{id}`.
pub async fn check_container_info(req: ContainerRequest) -> Result<Response, WopiError> {
    let container = req.state.store.container(&req.id).await?;
    Ok(json(&container_info(&req.caller, &container)))
}

/// `POST /wopi/containers/{id}`: dispatches on `X-WOPI-Override`.
pub async fn post_container(req: ContainerRequest, body: Result<Bytes, BytesRejection>) -> Result<Response, WopiError> {
    // No container operation takes a body; reading it only surfaces transport errors.
    drop(body);
    let Some(raw) = single_header(&req.headers, X_WOPI_OVERRIDE)? else {
        return Err(WopiError::BadRequest("X-WOPI-Override is required".into()));
    };
    let op = Override::parse(raw).map_err(|_| WopiError::NotImplemented(format!("X-WOPI-Override {raw:?}")))?;
    match op {
        Override::CreateChildContainer => create_child_container(req).await,
        Override::CreateChildFile => create_child_file(req).await,
        Override::DeleteContainer => delete_container(req).await,
        Override::RenameContainer => rename_container(req).await,
        other => Err(WopiError::NotImplemented(format!(
            "{other} is not supported on containers"
        ))),
    }
}

/// The two mutually exclusive target headers of CreateChildContainer / CreateChildFile. Both present: 501, as
/// those pages say.
fn targets(req: &ContainerRequest) -> Result<(Option<String>, Option<String>), WopiError> {
    let suggested = utf7(req, X_WOPI_SUGGESTED_TARGET)?;
    let relative = utf7(req, X_WOPI_RELATIVE_TARGET)?;
    match (&suggested, &relative) {
        (Some(_), Some(_)) => Err(WopiError::NotImplemented(
            "X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget are mutually exclusive".into(),
        )),
        (None, None) => Err(WopiError::BadRequest(
            "X-WOPI-SuggestedTarget or X-WOPI-RelativeTarget is required".into(),
        )),
        _ => Ok((suggested, relative)),
    }
}

async fn create_child_container(req: ContainerRequest) -> Result<Response, WopiError> {
    require_write(&req.caller)?;
    let max = req.state.limits.file_name_max_length;
    let (name, mode) = match targets(&req)? {
        (Some(suggested), _) => (FileName::sanitized(&suggested, max), NameMode::Suggested),
        (_, Some(relative)) => {
            // The fault: an exact name "cleaned" to ASCII.
            let relative = if req.state.faults.has(Fault::ContainerNameModified) {
                relative.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect()
            } else {
                relative
            };
            (
                FileName::new_with_max(relative, max).map_err(|e| WopiError::InvalidContainerName(e.to_string()))?,
                NameMode::Exact { overwrite: false },
            )
        }
        (None, None) => return Err(WopiError::BadRequest("no target".into())),
    };
    let created = req.state.store.create_container(&req.id, name, mode).await?;
    Ok(json(&json!({
        "ContainerPointer": pointers(&req.state, &req.caller, std::slice::from_ref(&created))[0],
        "ContainerInfo": container_info(&req.caller, &created),
    })))
}

async fn create_child_file(req: ContainerRequest) -> Result<Response, WopiError> {
    require_write(&req.caller)?;
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

async fn delete_container(req: ContainerRequest) -> Result<Response, WopiError> {
    require_write(&req.caller)?;
    if req.state.faults.has(Fault::DeleteContainerNoop) {
        req.state.store.container(&req.id).await?;
        return Ok(StatusCode::OK.into_response());
    }
    req.state.store.delete_container(&req.id).await?;
    Ok(StatusCode::OK.into_response())
}

async fn rename_container(req: ContainerRequest) -> Result<Response, WopiError> {
    require_write(&req.caller)?;
    let requested = if req.state.faults.has(Fault::RenameContainerNotDecoded) {
        single_header(&req.headers, X_WOPI_REQUESTED_NAME)?.map(str::to_owned)
    } else {
        utf7(&req, X_WOPI_REQUESTED_NAME)?
    };
    let Some(requested) = requested else {
        return Err(WopiError::BadRequest("X-WOPI-RequestedName is required".into()));
    };
    let name = FileName::new_with_max(requested, req.state.limits.file_name_max_length)
        .map_err(|e| WopiError::InvalidContainerName(e.to_string()))?;
    let renamed = req.state.store.rename_container(&req.id, name).await?;
    Ok(json(&json!({ "Name": renamed.name })))
}

/// EnumerateChildren: all immediate children; `X-WOPI-FileExtensionFilterList` filters files only.
pub async fn enumerate_children(req: ContainerRequest) -> Result<Response, WopiError> {
    let filter: Option<Vec<String>> = single_header(&req.headers, X_WOPI_FILE_EXTENSION_FILTER_LIST)?
        .filter(|_| !req.state.faults.has(Fault::EnumerateChildrenIgnoresFilter))
        .map(|list| list.split(',').map(|e| e.trim_start_matches('.').to_owned()).collect());
    let case_sensitive = req.state.faults.has(Fault::ExtensionFilterCaseSensitive);
    let (containers, files) = req.state.store.children(&req.id, req.now).await?;
    let files: Vec<Value> = files
        .iter()
        .filter(|f| match &filter {
            None => true,
            Some(exts) => f.name.extension().is_some_and(|ext| {
                exts.iter().any(|e| {
                    if case_sensitive {
                        e == ext
                    } else {
                        e.eq_ignore_ascii_case(ext)
                    }
                })
            }),
        })
        .map(|f| child_file(&req.state, &req.caller, f))
        .collect();
    let mut body = json!({
        "ChildContainers": pointers(&req.state, &req.caller, &containers),
        "ChildFiles": files,
    });
    if req.state.faults.has(Fault::ChildFilesMissing)
        && let Some(map) = body.as_object_mut()
    {
        map.remove("ChildFiles");
    }
    Ok(json(&body))
}

/// EnumerateAncestors (containers): root first, not including the container itself.
pub async fn enumerate_ancestors(req: ContainerRequest) -> Result<Response, WopiError> {
    let chain = req.state.store.ancestors(&req.id).await?;
    Ok(ancestors_response(&req.state, &req.caller, chain))
}

/// GetEcosystem (containers).
pub async fn get_ecosystem(req: ContainerRequest) -> Result<Response, WopiError> {
    req.state.store.container(&req.id).await?;
    Ok(json(&ecosystem_pointer(&req.state, &req.caller)))
}

/// CheckEcosystem: `GET /wopi/ecosystem`.
pub async fn check_ecosystem(_req: EcosystemRequest) -> Result<Response, WopiError> {
    Ok(json(&json!({ "SupportsContainers": true })))
}

/// GetRootContainer: `GET /wopi/ecosystem/root_container_pointer`.
pub async fn get_root_container(req: EcosystemRequest) -> Result<Response, WopiError> {
    let root = req.state.store.root_container().await?;
    if req.state.faults.has(Fault::RootContainerPointerMissing) {
        return Ok(json(&json!({ "ContainerInfo": container_info(&req.caller, &root) })));
    }
    Ok(json(&json!({
        "ContainerPointer": pointers(&req.state, &req.caller, std::slice::from_ref(&root))[0],
        "ContainerInfo": container_info(&req.caller, &root),
    })))
}

/// `POST /wopi/ecosystem`: GetFileWopiSrc (`GET_WOPI_SRC_WITH_ACCESS_TOKEN`).
pub async fn post_ecosystem(req: EcosystemRequest) -> Result<Response, WopiError> {
    let Some(raw) = single_header(&req.headers, X_WOPI_OVERRIDE)? else {
        return Err(WopiError::BadRequest("X-WOPI-Override is required".into()));
    };
    match Override::parse(raw) {
        Ok(Override::GetWopiSrcWithAccessToken) => {}
        _ => {
            return Err(WopiError::NotImplemented(format!(
                "X-WOPI-Override {raw:?} on the ecosystem endpoint"
            )));
        }
    }
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
