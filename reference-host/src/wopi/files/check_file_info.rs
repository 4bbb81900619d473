//! CheckFileInfo: `GET /wopi/files/{id}` (`rest/files/CheckFileInfo.rst`).

use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use wopi_protocol::checkfileinfo::CheckFileInfo;
use wopi_protocol::headers::ShareUrlType;

use crate::AppState;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::store::{FileRecord, User};
use crate::wopi::iso8601;
use crate::wopi::request::{FileRequest, UserLicensing, json};

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
    let licensing = UserLicensing::of(user);
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
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
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

#[cfg(test)]
mod tests {
    use super::origin_without_port;

    #[test]
    fn origin_without_port_drops_only_the_port() {
        assert_eq!(origin_without_port("http://127.0.0.1:8123"), "http://127.0.0.1");
        assert_eq!(origin_without_port("https://host.test"), "https://host.test");
        assert_eq!(origin_without_port("not a url"), "not a url");
    }
}
