//! PutRelativeFile (`rest/files/PutRelativeFile.rst`): suggested or specific ("relative") mode, UTF-7 names,
//! overwrite rules.

use axum::response::Response;
use bytes::Bytes;
use serde_json::json;
use wopi_protocol::headers::{
    X_WOPI_OVERWRITE_RELATIVE_TARGET, X_WOPI_RELATIVE_TARGET, X_WOPI_SIZE, X_WOPI_SUGGESTED_TARGET, parse_bool_for,
    parse_size_for,
};
use wopi_protocol::names::{FileName, SuggestedTarget};

use super::{check_size, utf7_header};
use crate::AppState;
use crate::error::WopiError;
use crate::faults::deviations::put_relative::Deviations;
use crate::store::{FileRecord, NameMode, NewFile};
use crate::tokens::Resource;
use crate::wopi::request::{FileRequest, json, single_header};

/// A new file next to the source, named by the suggested or exact target, with the body as content.
pub async fn handle(req: FileRequest, content: Bytes) -> Result<Response, WopiError> {
    let state = req.state.clone();
    let deviate = Deviations::of(state.faults);
    // PutRelativeFile.rst: a host that does not let the user create files sets UserCanNotWriteRelative and
    // answers 501.
    if !req.caller.user.can_write {
        return Err(WopiError::NotImplemented(
            "this user cannot create files (UserCanNotWriteRelative)".into(),
        ));
    }
    // PutRelativeFile.rst: a host that does not implement the operation must "Return a 501 to all PutRelativeFile
    // requests" (the no-relative configuration).
    if !deviate.relative_writes(state.settings.relative_writes) {
        return Err(WopiError::NotImplemented(
            "this host does not implement PutRelativeFile (UserCanNotWriteRelative)".into(),
        ));
    }
    deviate.on_raw_targets(
        single_header(&req.headers, X_WOPI_SUGGESTED_TARGET)?,
        single_header(&req.headers, X_WOPI_RELATIVE_TARGET)?,
    );
    let suggested = utf7_header(&req, X_WOPI_SUGGESTED_TARGET)?;
    let relative = utf7_header(&req, X_WOPI_RELATIVE_TARGET)?;
    check_declared_size(&req, content.len())?;
    check_size(&state, content.len())?;
    let source = state.store.file(&req.id, req.now).await?;
    deviate.check_source(&source)?;
    let (suggested, relative) = deviate.targets(suggested, relative);
    let (name, mode) = target(&req, &source, suggested, relative, deviate)?;
    let new = NewFile {
        container: source.container.clone(),
        name,
        mode,
        owner: req.caller.user.id.clone(),
        content: deviate.content(content),
    };
    let file = state.store.create_file(new, req.now).await?.file;
    let token = state.tokens.issue_until(
        &req.caller.user.id,
        &Resource::File(file.id.clone()),
        req.caller.claims.expires_at_ms,
    );
    Ok(json(&json!({
        "Name": file.name.as_str(),
        "Url": AppState::with_token(&state.wopi_src(&file.id), &token),
        "HostViewUrl": state.host_page_url(&file.id, "view"),
        "HostEditUrl": state.host_page_url(&file.id, "edit"),
    })))
}

/// `X-WOPI-Size`, when sent, must match the body and be within the host's limit.
fn check_declared_size(req: &FileRequest, len: usize) -> Result<(), WopiError> {
    let Some(v) = single_header(&req.headers, X_WOPI_SIZE)? else {
        return Ok(());
    };
    let declared = parse_size_for(X_WOPI_SIZE, v).map_err(|e| WopiError::BadRequest(e.to_string()))?;
    if declared > req.state.limits.max_file_size {
        return Err(WopiError::TooLarge);
    }
    if declared != len as u64 {
        return Err(WopiError::BadRequest(format!(
            "X-WOPI-Size says {declared} bytes but the body has {len}"
        )));
    }
    Ok(())
}

/// The new file's name and how to treat a taken name: exactly one of the two target headers.
fn target(
    req: &FileRequest,
    source: &FileRecord,
    suggested: Option<String>,
    relative: Option<String>,
    deviate: Deviations,
) -> Result<(FileName, NameMode), WopiError> {
    let max_name = req.state.limits.file_name_max_length;
    match (suggested, relative) {
        (Some(_), Some(_)) => Err(WopiError::BadRequest(
            "X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget are mutually exclusive".into(),
        )),
        (None, None) => Err(WopiError::BadRequest(
            "X-WOPI-SuggestedTarget or X-WOPI-RelativeTarget is required".into(),
        )),
        (Some(decoded), None) => {
            // Suggested mode "must never result in a 400 or 409": an unusable proposal is repaired, not refused.
            let name = SuggestedTarget::parse(&decoded)
                .and_then(|target| target.proposed_name(&source.name, max_name))
                .unwrap_or_else(|_| FileName::sanitized(&decoded, max_name));
            Ok((name, deviate.suggested_mode(&req.headers)))
        }
        (None, Some(decoded)) => {
            let overwrite = match single_header(&req.headers, X_WOPI_OVERWRITE_RELATIVE_TARGET)? {
                None => false,
                Some(v) => parse_bool_for(X_WOPI_OVERWRITE_RELATIVE_TARGET, v)
                    .map_err(|e| WopiError::BadRequest(e.to_string()))?,
            };
            let name = match FileName::new_with_max(decoded.as_str(), max_name) {
                Ok(name) => name,
                Err(e) => deviate.accept_invalid_relative(&decoded, max_name).ok_or_else(|| {
                    WopiError::InvalidRelativeTarget {
                        reason: e.to_string(),
                        valid: FileName::sanitized(&decoded, max_name).into_string(),
                    }
                })?,
            };
            Ok((
                name,
                NameMode::Exact {
                    overwrite: deviate.overwrite(overwrite),
                },
            ))
        }
    }
}
