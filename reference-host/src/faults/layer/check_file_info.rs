//! The CheckFileInfo faults: each changes one property of the correct host's answer (its value, or its JSON
//! type), so they rewrite the model the handler built, then its JSON.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wopi_protocol::checkfileinfo::CheckFileInfo;

use crate::AppState;
use crate::faults::Fault;
use crate::store::FileRecord;
use crate::wopi::iso8601;

/// The CheckFileInfo answer for `info`, the correct host's model of `file`, with the CheckFileInfo faults applied.
pub fn answer(state: &AppState, file: &FileRecord, mut info: CheckFileInfo) -> Response {
    value_faults(state, file, &mut info);
    model_faults(state, file, &mut info);
    let faults = &state.faults;
    if faults.has(Fault::SizeAsString)
        || faults.has(Fault::BooleansAsStrings)
        || faults.has(Fault::CfiUnsetPropertiesNull)
    {
        let mut body = serde_json::to_value(&info).unwrap_or_else(|_| json!({}));
        json_faults(state, &mut body);
        return axum::Json(body).into_response();
    }
    axum::Json(info).into_response()
}

/// The faults that write a property in the wrong form: no `UserInfo`, an origin without its port, an extension
/// without its dot, a SQL datetime, a hex SHA-256.
fn value_faults(state: &AppState, file: &FileRecord, info: &mut CheckFileInfo) {
    let faults = &state.faults;
    if faults.has(Fault::UserInfoNotReturned) {
        info.user_info = None;
    }
    if faults.has(Fault::HostPagePostMessageOriginWithoutPort) {
        info.post_message_origin = Some(origin_without_port(state.origin()));
    }
    if faults.has(Fault::FileExtensionWithoutDot) {
        info.file_extension = file.name.extension().map(str::to_owned);
    }
    if faults.has(Fault::LastModifiedTimeNotIso8601) {
        // SQL datetime: `2009-06-15 13:45:30`.
        let iso = iso8601(file.last_modified);
        info.last_modified_time = Some(iso.get(..19).unwrap_or_default().replace('T', " "));
    }
    if faults.has(Fault::Sha256AsHex) {
        info.sha256 = Some(hex::encode(file.sha256));
    }
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
/// serialised body by [`json_faults`]).
fn model_faults(state: &AppState, file: &FileRecord, info: &mut CheckFileInfo) {
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
    if faults.has(Fault::WorkflowUrlWithoutType) && info.workflow_url.is_some() {
        info.workflow_type = None;
    }
    if faults.has(Fault::AnonymousWithoutOwnerId) && info.is_anonymous_user == Some(true) {
        info.owner_id = None;
    }
}

/// The CheckFileInfo faults that change JSON types: `Size` as a string, booleans as strings.
fn json_faults(state: &AppState, body: &mut Value) {
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
