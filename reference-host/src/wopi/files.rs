//! File operations (`rest/files/*.rst`): CheckFileInfo, GetFile, PutFile, the lock operations, PutRelativeFile,
//! RenameFile, DeleteFile, PutUserInfo, GetShareUrl, EnumerateAncestors and GetEcosystem.
//!
//! Each handler parses its headers, checks the caller's permission, makes one atomic store call and maps the result
//! to the documented status and headers. Writes by read-only users answer 404 ("user unauthorized" in the docs'
//! status tables); PutRelativeFile answers 501 for them, as `UserCanNotWriteRelative` is true for them.

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use wopi_protocol::checkfileinfo::CheckFileInfo;
use wopi_protocol::headers::{
    Override, ShareUrlType, X_WOPI_INVALID_FILE_NAME_ERROR, X_WOPI_LOCK, X_WOPI_MAX_EXPECTED_SIZE, X_WOPI_OLD_LOCK,
    X_WOPI_OVERRIDE, X_WOPI_OVERWRITE_RELATIVE_TARGET, X_WOPI_RELATIVE_TARGET, X_WOPI_REQUESTED_NAME, X_WOPI_SIZE,
    X_WOPI_SUGGESTED_TARGET, X_WOPI_URL_TYPE, parse_bool_for, parse_size_for,
};
use wopi_protocol::names::{FileName, SuggestedTarget};

use super::{FileRequest, iso8601, json, lock_header, required_lock, single_header, with_item_version};
use crate::AppState;
use crate::error::{WopiError, header_value};
use crate::faults::Fault;
use crate::locks::{LockOp, LockOutcome};
use crate::store::{FileRecord, NameMode, NewFile, User};
use crate::tokens::Resource;

/// Collabora Online's PutFile precondition header, and its name before 2021.
const X_COOL_WOPI_TIMESTAMP: &str = "X-COOL-WOPI-Timestamp";
const X_LOOL_WOPI_TIMESTAMP: &str = "X-LOOL-WOPI-Timestamp";

/// PutUserInfo.rst: "The UserInfo string ... has a maximum size of 1024 ASCII characters."
pub const MAX_USER_INFO_CHARS: usize = 1024;

/// The value GetFile assumes when `X-WOPI-MaxExpectedSize` is absent: "the maximum value of a 4-byte integer".
const DEFAULT_MAX_EXPECTED_SIZE: u64 = i32::MAX as u64;

fn require_write(req: &FileRequest) -> Result<(), WopiError> {
    if req.caller.user.can_write {
        Ok(())
    } else {
        Err(WopiError::Forbidden)
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, WopiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WopiError::TooLarge
        } else {
            WopiError::BadRequest(format!("could not read the request body: {rejection}"))
        }
    })
}

fn check_size(state: &AppState, len: usize) -> Result<(), WopiError> {
    if len as u64 > state.limits.max_file_size {
        Err(WopiError::TooLarge)
    } else {
        Ok(())
    }
}

fn utf7_header(req: &FileRequest, name: &'static str) -> Result<Option<String>, WopiError> {
    single_header(&req.headers, name)?
        .map(|raw| {
            wopi_protocol::utf7::decode(raw)
                .map_err(|e| WopiError::InvalidFileName(format!("{name} is not UTF-7: {e}")))
        })
        .transpose()
}

/// The CheckFileInfo model for `file` as `user` sees it.
pub fn check_file_info(state: &AppState, user: &User, file: &FileRecord) -> CheckFileInfo {
    let faults = &state.faults;
    let mut info = CheckFileInfo::new(
        file.name.as_str(),
        file.owner.as_str(),
        i64::try_from(file.size).unwrap_or(i64::MAX),
        user.id.as_str(),
        file.version_string(),
    );
    info.user_friendly_name = Some(user.friendly_name.clone());
    if !state.faults.has(Fault::UserInfoNotReturned) {
        info.user_info = user.user_info.clone();
    }
    info.is_anonymous_user = Some(false);
    let licensing = super::UserLicensing::of(user);
    info.license_check_for_edit_is_enabled = Some(licensing.license_check_for_edit_is_enabled);
    info.is_edu_user = Some(licensing.is_edu_user);
    info.supports_locks = Some(true);
    info.supports_get_lock = Some(true);
    info.supports_extended_lock_length = Some(true);
    info.supports_update = Some(true);
    info.supports_rename = Some(true);
    info.supports_delete_file = Some(true);
    info.supports_user_info = Some(true);
    info.supports_containers = Some(true);
    info.supports_ecosystem = Some(true);
    info.supports_get_file_wopi_src = Some(true);
    info.supported_share_url_types = Some(vec![
        ShareUrlType::ReadOnly.as_str().to_owned(),
        ShareUrlType::ReadWrite.as_str().to_owned(),
    ]);
    info.user_can_write = Some(user.can_write);
    info.read_only = Some(!user.can_write);
    info.user_can_rename = Some(user.can_write);
    info.user_can_not_write_relative = Some(!user.can_write);
    info.host_view_url = Some(state.host_page_url(&file.id, "view"));
    info.host_edit_url = Some(state.host_page_url(&file.id, "edit"));
    info.close_url = Some(state.close_url());
    info.post_message_origin = Some(if faults.has(Fault::HostPagePostMessageOriginWithoutPort) {
        origin_without_port(state.origin())
    } else {
        state.origin().to_owned()
    });
    // The host page handles these messages (crate::hostpage): without the flags Office never sends them.
    info.close_post_message = Some(true);
    info.file_sharing_post_message = Some(true);
    info.file_version_post_message = Some(true);
    info.file_extension = file.name.extension().map(|ext| {
        if faults.has(Fault::FileExtensionWithoutDot) {
            ext.to_owned()
        } else {
            format!(".{ext}")
        }
    });
    info.file_name_max_length = Some(i64::try_from(state.limits.file_name_max_length).unwrap_or(i64::MAX));
    info.last_modified_time = Some(if faults.has(Fault::LastModifiedTimeNotIso8601) {
        // SQL datetime: `2009-06-15 13:45:30`.
        iso8601(file.last_modified)
            .get(..19)
            .unwrap_or_default()
            .replace('T', " ")
    } else {
        iso8601(file.last_modified)
    });
    info.sha256 = Some(if faults.has(Fault::Sha256AsHex) {
        hex::encode(file.sha256)
    } else {
        base64::engine::general_purpose::STANDARD.encode(file.sha256)
    });
    info.breadcrumb_brand_name = Some("WOPI reference host".to_owned());
    info.breadcrumb_brand_url = Some(state.close_url());
    info.breadcrumb_doc_name = Some(file.name.as_str().to_owned());
    apply_cfi_model_faults(state, file, &mut info);
    info
}

/// `origin` (`scheme://host[:port]`) as a host that knows only its scheme and host name writes it, for the
/// `HostPagePostMessageOriginWithoutPort` fault. Left as it is if it does not parse.
fn origin_without_port(origin: &str) -> String {
    match url::Url::parse(origin) {
        Ok(u) => match u.host_str() {
            Some(host) => format!("{}://{host}", u.scheme()),
            None => origin.to_owned(),
        },
        Err(_) => origin.to_owned(),
    }
}

/// The CheckFileInfo faults that change a property's value (the ones that change JSON types are applied to the
/// serialised body by [`cfi_json_faults`]).
fn apply_cfi_model_faults(state: &AppState, file: &FileRecord, info: &mut CheckFileInfo) {
    let faults = &state.faults;
    if faults.is_empty() {
        return;
    }
    if faults.has(Fault::CfiRequiredPropertyMissing) {
        info.owner_id = None;
    }
    if faults.has(Fault::BaseFileNameWithPath) {
        info.base_file_name = Some(format!("{}/{}", file.container, file.name.as_str()));
    }
    if faults.has(Fault::RelativeHostUrls) {
        let base = state.base_url();
        for url in [
            &mut info.host_view_url,
            &mut info.host_edit_url,
            &mut info.close_url,
            &mut info.breadcrumb_brand_url,
        ] {
            if let Some(u) = url.as_mut()
                && let Some(path) = u.strip_prefix(base)
            {
                *u = path.to_owned();
            }
        }
    }
    if faults.has(Fault::UserIdUnstable) {
        info.user_id = Some(uuid::Uuid::new_v4().to_string());
    }
    if faults.has(Fault::UserIdReservedChars) {
        info.user_id = info.user_id.take().map(|id| format!("WOPI\\{id}"));
        info.owner_id = info.owner_id.take().map(|id| format!("WOPI\\{id}"));
    }
    if faults.has(Fault::WriteWithoutSupportsUpdate) {
        info.supports_update = Some(false);
    }
    if faults.has(Fault::WriteWithoutLocks) {
        info.supports_locks = Some(false);
    }
    if faults.has(Fault::ReadOnlyAndWritable) {
        info.read_only = Some(true);
    }
    if faults.has(Fault::ContainersWithoutDeleteFile) {
        info.supports_delete_file = Some(false);
    }
}

/// The CheckFileInfo faults that change JSON types: `Size` as a string, booleans as strings.
fn cfi_json_faults(state: &AppState, body: &mut Value) {
    if state.faults.has(Fault::SizeAsString)
        && let Some(size) = body.get("Size").and_then(Value::as_u64)
    {
        body["Size"] = Value::String(size.to_string());
    }
    if state.faults.has(Fault::BooleansAsStrings)
        && let Some(map) = body.as_object_mut()
    {
        for value in map.values_mut() {
            if let Some(b) = value.as_bool() {
                *value = Value::String(b.to_string());
            }
        }
    }
    if state.faults.has(Fault::CfiUnsetPropertiesNull)
        && let Some(map) = body.as_object_mut()
    {
        // A serializer without skip-if-none: the optional strings this host never sets come out as null.
        for name in ["BreadcrumbFolderName", "HostNotes"] {
            map.entry(name).or_insert(Value::Null);
        }
    }
}

/// CheckFileInfo: `GET /wopi/files/{id}`.
pub async fn check_file_info_handler(req: FileRequest) -> Result<Response, WopiError> {
    let file = req.state.store.file(&req.id, req.now).await?;
    let info = check_file_info(&req.state, &req.caller.user, &file);
    if req.state.faults.has(Fault::SizeAsString)
        || req.state.faults.has(Fault::BooleansAsStrings)
        || req.state.faults.has(Fault::CfiUnsetPropertiesNull)
    {
        let mut body = serde_json::to_value(&info).unwrap_or_else(|_| json!({}));
        cfi_json_faults(&req.state, &mut body);
        return Ok(json(&body));
    }
    // Serialised straight from the model: CheckFileInfo is the hot path.
    Ok(axum::Json(info).into_response())
}

/// GetFile: `GET /wopi/files/{id}/contents`.
pub async fn get_file(req: FileRequest) -> Result<Response, WopiError> {
    let max = match single_header(&req.headers, X_WOPI_MAX_EXPECTED_SIZE)? {
        None => DEFAULT_MAX_EXPECTED_SIZE,
        Some(v) => parse_size_for(X_WOPI_MAX_EXPECTED_SIZE, v).map_err(|e| WopiError::BadRequest(e.to_string()))?,
    };
    let (file, data) = req.state.store.content(&req.id, req.now).await?;
    if file.size > max && !req.state.faults.has(Fault::MaxExpectedSizeIgnored) {
        return Err(WopiError::TooLargeForClient);
    }
    let mut response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        data,
    )
        .into_response();
    if !req.state.faults.has(Fault::GetFileWithoutItemVersion) {
        response = with_item_version(response, &file.version_string());
    }
    Ok(response)
}

/// PutFile: `POST /wopi/files/{id}/contents` with `X-WOPI-Override: PUT`.
pub async fn put_file(req: FileRequest, body: Result<Bytes, BytesRejection>) -> Result<Response, WopiError> {
    match single_header(&req.headers, X_WOPI_OVERRIDE)? {
        None => return Err(WopiError::BadRequest("X-WOPI-Override is required".into())),
        Some(v) if Override::parse(v) == Ok(Override::Put) => {}
        Some(v) => {
            return Err(WopiError::NotImplemented(format!(
                "X-WOPI-Override {v:?} on the contents endpoint"
            )));
        }
    }
    require_write(&req)?;
    let lock = lock_header(&req.headers, X_WOPI_LOCK)?;
    let if_last_modified = cool_timestamp(&req)?;
    let content = body_bytes(body)?;
    check_size(&req.state, content.len())?;
    let file = req
        .state
        .store
        .put_content(
            &req.id,
            lock,
            content,
            req.caller.user.id.clone(),
            req.now,
            if_last_modified,
        )
        .await?;
    // Collabora reads the new LastModifiedTime from the body for its next X-COOL-WOPI-Timestamp (ecosystem.md §5);
    // other clients ignore the body.
    let body = json!({ "LastModifiedTime": iso8601(file.last_modified) });
    let mut response = with_item_version(json(&body), &file.version_string());
    if req.state.faults.has(Fault::LockHeaderOnOtherSuccesses) {
        let value = lock_header(&req.headers, X_WOPI_LOCK).ok().flatten();
        response
            .headers_mut()
            .insert(X_WOPI_LOCK, header_value(value.as_ref().map_or("", |l| l.as_str())));
    }
    Ok(response)
}

/// Collabora Online's save precondition: the `LastModifiedTime` it last saw, in `X-COOL-WOPI-Timestamp` (or
/// `X-LOOL-WOPI-Timestamp`, its name before 2021). Absent or empty means "overwrite whatever is there".
fn cool_timestamp(req: &FileRequest) -> Result<Option<String>, WopiError> {
    let value = match single_header(&req.headers, X_COOL_WOPI_TIMESTAMP)? {
        Some(v) => Some(v),
        None => single_header(&req.headers, X_LOOL_WOPI_TIMESTAMP)?,
    };
    Ok(value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned))
}

/// `POST /wopi/files/{id}`: dispatches on `X-WOPI-Override`.
pub async fn post_file(req: FileRequest, body: Result<Bytes, BytesRejection>) -> Result<Response, WopiError> {
    let faults = req.state.faults;
    match dispatch_file_op(req, body).await {
        // The fault: "file not found" from the store escapes as a server error.
        Err(WopiError::NotFound) if faults.has(Fault::DeletedFileAnswers500) => {
            Err(WopiError::Internal("no such file".into()))
        }
        other => other,
    }
}

async fn dispatch_file_op(req: FileRequest, body: Result<Bytes, BytesRejection>) -> Result<Response, WopiError> {
    let Some(raw) = single_header(&req.headers, X_WOPI_OVERRIDE)? else {
        return Err(WopiError::BadRequest("X-WOPI-Override is required".into()));
    };
    let op = Override::parse(raw).map_err(|_| WopiError::NotImplemented(format!("X-WOPI-Override {raw:?}")))?;
    match op {
        // The EmptyLockIdAccepted fault: an empty X-WOPI-Lock "succeeds" without doing anything.
        Override::Lock | Override::Unlock | Override::RefreshLock
            if req.state.faults.has(Fault::EmptyLockIdAccepted)
                && !req.headers.contains_key(X_WOPI_OLD_LOCK)
                && matches!(single_header(&req.headers, X_WOPI_LOCK), Ok(Some(""))) =>
        {
            Ok(StatusCode::OK.into_response())
        }
        Override::Lock if req.headers.contains_key(X_WOPI_OLD_LOCK) => {
            let old = required_lock(&req.headers, X_WOPI_OLD_LOCK)?;
            let new = required_lock(&req.headers, X_WOPI_LOCK)?;
            lock_op(req, LockOp::UnlockAndRelock { old, new }).await
        }
        Override::Lock => {
            let id = required_lock(&req.headers, X_WOPI_LOCK)?;
            lock_op(req, LockOp::Lock(id)).await
        }
        Override::Unlock => {
            let id = required_lock(&req.headers, X_WOPI_LOCK)?;
            lock_op(req, LockOp::Unlock(id)).await
        }
        Override::RefreshLock if req.state.faults.has(Fault::RefreshLockNotImplemented) => {
            Err(WopiError::NotImplemented("REFRESH_LOCK".into()))
        }
        Override::RefreshLock => {
            let id = required_lock(&req.headers, X_WOPI_LOCK)?;
            lock_op(req, LockOp::Refresh(id)).await
        }
        Override::GetLock => get_lock(req).await,
        Override::PutRelative => put_relative_file(req, body_bytes(body)?).await,
        Override::RenameFile => rename_file(req).await,
        Override::Delete => delete_file(req).await,
        Override::PutUserInfo => put_user_info(req, body_bytes(body)?).await,
        Override::GetShareUrl => get_share_url(req).await,
        Override::Put => Err(WopiError::NotImplemented(
            "PutFile is a POST to /wopi/files/{id}/contents".into(),
        )),
        other => Err(WopiError::NotImplemented(format!("{other} is not supported on files"))),
    }
}

/// Lock, Unlock, RefreshLock, UnlockAndRelock: 200 with `X-WOPI-ItemVersion`, or 409 with the current lock.
async fn lock_op(req: FileRequest, op: LockOp) -> Result<Response, WopiError> {
    require_write(&req)?;
    req.state.store.lock_op(&req.id, op.clone(), req.now).await?;
    let file = req.state.store.file(&req.id, req.now).await?;
    let mut response = with_item_version(StatusCode::OK.into_response(), &file.version_string());
    if let LockOp::Lock(id) = &op
        && req.state.faults.has(Fault::LockHeaderOnSuccess)
    {
        response.headers_mut().insert(X_WOPI_LOCK, header_value(id.as_str()));
    }
    if req.state.faults.has(Fault::LockHeaderOnOtherSuccesses) {
        // The fault: the lock the file holds now, as the 409 answers report it.
        let after = match &op {
            LockOp::Refresh(id) | LockOp::UnlockAndRelock { new: id, .. } => Some(id.as_str()),
            LockOp::Unlock(_) => Some(""),
            _ => None,
        };
        if let Some(value) = after {
            response.headers_mut().insert(X_WOPI_LOCK, header_value(value));
        }
    }
    Ok(response)
}

/// GetLock: 200 with `X-WOPI-Lock` set to the current lock, or to the empty string when unlocked.
async fn get_lock(req: FileRequest) -> Result<Response, WopiError> {
    if req.state.faults.has(Fault::CapabilityNotImplemented) {
        return Err(WopiError::NotImplemented("GET_LOCK".into()));
    }
    let outcome = req.state.store.lock_op(&req.id, LockOp::GetLock, req.now).await?;
    let current = match outcome {
        LockOutcome::Current(current) => current,
        _ => None,
    };
    if current.is_none() && req.state.faults.has(Fault::GetLockUnlockedConflicts) {
        return Err(WopiError::LockMismatch {
            current: None,
            reason: "the file is not locked",
        });
    }
    let mut response = StatusCode::OK.into_response();
    let value = current.as_ref().map_or("", |l| l.as_str());
    response.headers_mut().insert(X_WOPI_LOCK, header_value(value));
    Ok(response)
}

/// The exit status of a host process ended by [`Fault::ExitOnUtf7RelativeName`] (`EX_SOFTWARE`).
pub const EXIT_ON_FAULT_STATUS: i32 = 70;

/// Whether a raw (still UTF-7 encoded) name holds a shift sequence: `+`, at least one modified-base64 character,
/// then `-` (`+AGQ-`). `+-`, the encoding of `+` itself, is not one.
fn has_utf7_shift(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        if b != b'+' {
            return false;
        }
        let run = bytes[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'+' || **c == b'/')
            .count();
        run > 0 && bytes.get(i + 1 + run) == Some(&b'-')
    })
}

/// PutRelativeFile: suggested or specific ("relative") mode, UTF-7 names, overwrite rules.
async fn put_relative_file(req: FileRequest, content: Bytes) -> Result<Response, WopiError> {
    let state = req.state.clone();
    // PutRelativeFile.rst: a host that does not let the user create files sets UserCanNotWriteRelative and
    // answers 501.
    if !req.caller.user.can_write {
        return Err(WopiError::NotImplemented(
            "this user cannot create files (UserCanNotWriteRelative)".into(),
        ));
    }
    let max_name = state.limits.file_name_max_length;
    let suggested_raw = single_header(&req.headers, X_WOPI_SUGGESTED_TARGET)?;
    let relative_raw = single_header(&req.headers, X_WOPI_RELATIVE_TARGET)?;
    if state.faults.has(Fault::ExitOnUtf7RelativeName)
        && let Some((header, raw)) = [
            (X_WOPI_SUGGESTED_TARGET, suggested_raw),
            (X_WOPI_RELATIVE_TARGET, relative_raw),
        ]
        .into_iter()
        .find_map(|(h, raw)| raw.filter(|r| has_utf7_shift(r)).map(|r| (h, r)))
    {
        // The fault: the process dies mid-request, so the client sees the connection close without an answer.
        // Only ever on in a host with a process of its own (`crate::app` refuses it otherwise).
        tracing::error!(
            header,
            value = raw,
            "FAULT ExitOnUtf7RelativeName: a UTF-7 name in PutRelativeFile; the host process exits now"
        );
        std::process::exit(EXIT_ON_FAULT_STATUS);
    }
    let suggested = utf7_header(&req, X_WOPI_SUGGESTED_TARGET)?;
    let relative = utf7_header(&req, X_WOPI_RELATIVE_TARGET)?;
    if let Some(v) = single_header(&req.headers, X_WOPI_SIZE)? {
        let declared = parse_size_for(X_WOPI_SIZE, v).map_err(|e| WopiError::BadRequest(e.to_string()))?;
        if declared > state.limits.max_file_size {
            return Err(WopiError::TooLarge);
        }
        if declared != content.len() as u64 {
            return Err(WopiError::BadRequest(format!(
                "X-WOPI-Size says {declared} bytes but the body has {}",
                content.len()
            )));
        }
    }
    check_size(&state, content.len())?;
    let source = state.store.file(&req.id, req.now).await?;
    if let Some(lock) = &source.lock
        && state.faults.has(Fault::RelativeNeedsSourceLock)
    {
        return Err(WopiError::LockMismatch {
            current: Some(lock.id.clone()),
            reason: "the file is locked",
        });
    }
    let (suggested, relative) = match (suggested, relative) {
        // The fault: both targets accepted, the exact one wins.
        (Some(_), Some(relative)) if state.faults.has(Fault::ConflictingTargetsAccepted) => (None, Some(relative)),
        other => other,
    };
    let (name, mode, raw) = match (suggested, relative) {
        (Some(_), Some(_)) => {
            return Err(WopiError::BadRequest(
                "X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget are mutually exclusive".into(),
            ));
        }
        (None, None) => {
            return Err(WopiError::BadRequest(
                "X-WOPI-SuggestedTarget or X-WOPI-RelativeTarget is required".into(),
            ));
        }
        (Some(decoded), None) => {
            // Suggested mode "must never result in a 400 or 409": an unusable proposal is repaired, not refused.
            let name = SuggestedTarget::parse(&decoded)
                .and_then(|target| target.proposed_name(&source.name, max_name))
                .unwrap_or_else(|_| FileName::sanitized(&decoded, max_name));
            let honoured = state.faults.has(Fault::SuggestedHonoursOverwrite)
                && matches!(
                    single_header(&req.headers, X_WOPI_OVERWRITE_RELATIVE_TARGET)
                        .ok()
                        .flatten()
                        .map(|v| parse_bool_for(X_WOPI_OVERWRITE_RELATIVE_TARGET, v)),
                    Some(Ok(true))
                );
            if honoured {
                // The fault: the overwrite header turns the suggestion into an exact, overwriting target.
                (name, NameMode::Exact { overwrite: true }, suggested_raw)
            } else {
                (name, NameMode::Suggested, suggested_raw)
            }
        }
        (None, Some(decoded)) => {
            let overwrite = match single_header(&req.headers, X_WOPI_OVERWRITE_RELATIVE_TARGET)? {
                None => false,
                Some(v) => parse_bool_for(X_WOPI_OVERWRITE_RELATIVE_TARGET, v)
                    .map_err(|e| WopiError::BadRequest(e.to_string()))?,
            } && !state.faults.has(Fault::OverwriteFlagIgnored);
            let name = match FileName::new_with_max(decoded.as_str(), max_name) {
                Ok(name) => name,
                Err(_) if state.faults.has(Fault::RelativeAcceptsPath) => {
                    let base = decoded.rsplit(['/', '\\']).next().unwrap_or(&decoded);
                    FileName::sanitized(base, max_name)
                }
                Err(e) => {
                    return Err(WopiError::InvalidRelativeTarget {
                        reason: e.to_string(),
                        valid: FileName::sanitized(&decoded, max_name).into_string(),
                    });
                }
            };
            (name, NameMode::Exact { overwrite }, relative_raw)
        }
    };
    let new = NewFile {
        container: source.container.clone(),
        name,
        mode,
        owner: req.caller.user.id.clone(),
        content: if state.faults.has(Fault::RelativeBodyIgnored) {
            Bytes::new()
        } else {
            content
        },
    };
    let created = state.store.create_file(new, req.now).await.map_err(|e| match e {
        crate::store::StoreError::NameExists { .. } if state.faults.has(Fault::NoValidRelativeTarget) => {
            WopiError::NameExists { valid: None }
        }
        other => other.into(),
    })?;
    let file = created.file;
    let token = state.tokens.issue_until(
        &req.caller.user.id,
        &Resource::File(file.id.clone()),
        req.caller.claims.expires_at_ms,
    );
    let name = if state.faults.has(Fault::RelativeNameNotDecoded) {
        raw.unwrap_or(file.name.as_str()).to_owned()
    } else {
        file.name.as_str().to_owned()
    };
    let url = if state.faults.has(Fault::RelativeUrlWithoutToken) {
        state.wopi_src(&file.id)
    } else {
        AppState::with_token(&state.wopi_src(&file.id), &token)
    };
    Ok(json(&json!({
        "Name": name,
        "Url": url,
        "HostViewUrl": state.host_page_url(&file.id, "view"),
        "HostEditUrl": state.host_page_url(&file.id, "edit"),
    })))
}

/// RenameFile: `X-WOPI-RequestedName` is UTF-7 and has no extension; the response `Name` has none either.
async fn rename_file(req: FileRequest) -> Result<Response, WopiError> {
    require_write(&req)?;
    let Some(requested) = utf7_header(&req, X_WOPI_REQUESTED_NAME)? else {
        return Err(WopiError::BadRequest("X-WOPI-RequestedName is required".into()));
    };
    let lock = lock_header(&req.headers, X_WOPI_LOCK)?;
    let current = req.state.store.file(&req.id, req.now).await?;
    let name = match current
        .name
        .renamed_with_max(&requested, req.state.limits.file_name_max_length)
    {
        Ok(name) => name,
        // The fault: claim success for a name the host must refuse, and change nothing.
        Err(_) if req.state.faults.has(Fault::RenameAcceptsInvalidChars) => {
            return Ok(json(&json!({ "Name": requested })));
        }
        Err(e) => return Err(WopiError::InvalidFileName(e.to_string())),
    };
    let renamed = req.state.store.rename_file(&req.id, lock, name, req.now).await?;
    let reported = if req.state.faults.has(Fault::RenameNameWithExtension) {
        renamed.name.as_str()
    } else {
        renamed.name.stem()
    };
    // Collabora needs `Url` as well, or it reverts the rename in its UI (ecosystem.md §1.4); the ID and so the
    // WOPISrc are unchanged (RenameFile.rst).
    let token = req.state.tokens.issue_until(
        &req.caller.user.id,
        &Resource::File(renamed.id.clone()),
        req.caller.claims.expires_at_ms,
    );
    let url = AppState::with_token(&req.state.wopi_src(&renamed.id), &token);
    let mut response = json(&json!({ "Name": reported, "Url": url }));
    if req.state.faults.has(Fault::InvalidNameErrorOnSuccess) {
        response
            .headers_mut()
            .insert(X_WOPI_INVALID_FILE_NAME_ERROR, HeaderValue::from_static("none"));
    }
    Ok(response)
}

/// DeleteFile: 409 with `X-WOPI-Lock` when locked.
async fn delete_file(req: FileRequest) -> Result<Response, WopiError> {
    require_write(&req)?;
    if req.state.faults.has(Fault::DeleteFileNoop) {
        req.state.store.file(&req.id, req.now).await?;
        return Ok(StatusCode::OK.into_response());
    }
    req.state.store.delete_file(&req.id, req.now).await?;
    Ok(StatusCode::OK.into_response())
}

/// PutUserInfo: the body (at most 1024 characters) is kept per user and returned as `UserInfo`.
async fn put_user_info(req: FileRequest, body: Bytes) -> Result<Response, WopiError> {
    // The file must exist: the operation is addressed to it even though the data belongs to the user.
    req.state.store.file(&req.id, req.now).await?;
    let info = String::from_utf8(body.to_vec()).map_err(|_| WopiError::BadRequest("UserInfo is not UTF-8".into()))?;
    if info.chars().count() > MAX_USER_INFO_CHARS {
        return Err(WopiError::BadRequest(format!(
            "UserInfo is longer than {MAX_USER_INFO_CHARS} characters"
        )));
    }
    req.state.store.set_user_info(&req.caller.user.id, info).await?;
    Ok(StatusCode::OK.into_response())
}

/// GetShareUrl: `ReadOnly` links to the view page, `ReadWrite` to the edit page (writers only); anything else 501.
async fn get_share_url(req: FileRequest) -> Result<Response, WopiError> {
    let file = req.state.store.file(&req.id, req.now).await?;
    let kind = single_header(&req.headers, X_WOPI_URL_TYPE)?.map(ShareUrlType::parse);
    let action = match kind {
        Some(Ok(ShareUrlType::ReadOnly)) => "view",
        Some(Ok(ShareUrlType::ReadWrite)) if req.caller.user.can_write => "edit",
        _ if req.state.faults.has(Fault::ShareUrlAnyType) => "view",
        None | Some(Err(_)) if req.state.faults.has(Fault::ShareUrlUnknownTypeBadRequest) => {
            return Err(WopiError::BadRequest("unknown or missing X-WOPI-UrlType".into()));
        }
        _ => {
            return Err(WopiError::NotImplemented(
                "unsupported or missing X-WOPI-UrlType".into(),
            ));
        }
    };
    let mut url = req.state.host_page_url(&file.id, action);
    if req.state.faults.has(Fault::ShareUrlRelative)
        && let Some(path) = url.strip_prefix(req.state.base_url())
    {
        url = path.to_owned();
    }
    Ok(json(&json!({ "ShareUrl": url })))
}

/// EnumerateAncestors (files): the file's containers, root first.
pub async fn enumerate_ancestors(req: FileRequest) -> Result<Response, WopiError> {
    let file = req.state.store.file(&req.id, req.now).await?;
    let parent = req.state.store.container(&file.container).await?;
    let mut chain = req.state.store.ancestors(&file.container).await?;
    chain.push(parent);
    Ok(super::containers::ancestors_response(&req.state, &req.caller, chain))
}

/// GetEcosystem (files): the ecosystem URL with an ecosystem token.
pub async fn get_ecosystem(req: FileRequest) -> Result<Response, WopiError> {
    req.state.store.file(&req.id, req.now).await?;
    Ok(json(&super::containers::ecosystem_pointer(&req.state, &req.caller)))
}

#[cfg(test)]
mod tests {
    use super::{has_utf7_shift, origin_without_port};

    #[test]
    fn utf7_shift_sequences_are_recognised() {
        for raw in ["+AGQ-.docx", "a+AOk-b.docx", "x+ZeVnLIqe-.docx", "++AGQ-.docx"] {
            assert!(has_utf7_shift(raw), "{raw}");
        }
        for raw in ["plain.docx", "a+-b.docx", "a+b.docx", "a-b+", "+", "+AGQ.docx"] {
            assert!(!has_utf7_shift(raw), "{raw}");
        }
    }

    #[test]
    fn origin_without_port_drops_only_the_port() {
        assert_eq!(origin_without_port("http://127.0.0.1:8123"), "http://127.0.0.1");
        assert_eq!(origin_without_port("https://host.test"), "https://host.test");
        assert_eq!(origin_without_port("not a url"), "not a url");
    }
}
