//! CheckFileInfo: `GET /wopi/files/{id}` (`rest/files/CheckFileInfo.rst`).

use axum::response::{IntoResponse, Response};
use base64::Engine;
use wopi_protocol::checkfileinfo::CheckFileInfo;
use wopi_protocol::headers::ShareUrlType;

use crate::AppState;
use crate::error::WopiError;
use crate::store::{FileRecord, User};
use crate::tokens::Resource;
use crate::wopi::iso8601;
use crate::wopi::request::{FileRequest, UserLicensing};

/// The CheckFileInfo model for `file` as `user` sees it.
pub fn check_file_info(state: &AppState, user: &User, file: &FileRecord) -> CheckFileInfo {
    let mut info = CheckFileInfo::new(
        file.name.as_str(),
        file.owner.as_str(),
        i64::try_from(file.size).unwrap_or(i64::MAX),
        user.id.as_str(),
        file.version_string(),
    );
    let settings = state.settings;
    // An anonymous session has no name to show (CheckFileInfo.rst, IsAnonymousUser); OwnerId and UserId stay.
    info.user_friendly_name = (!settings.anonymous_sessions).then(|| user.friendly_name.clone());
    info.user_info = user.user_info.clone();
    info.is_anonymous_user = Some(settings.anonymous_sessions);
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
    info.supports_containers = Some(settings.containers);
    info.supports_ecosystem = Some(true);
    info.supports_get_file_wopi_src = Some(true);
    // CSPP Plus: not a property of the public CheckFileInfo page, so it rides in the model's unmodelled members.
    info.extra
        .insert("SupportsAddActivities".into(), serde_json::Value::Bool(true));
    info.supported_share_url_types = Some(vec![
        ShareUrlType::ReadOnly.as_str().to_owned(),
        ShareUrlType::ReadWrite.as_str().to_owned(),
    ]);
    info.user_can_write = Some(user.can_write);
    info.read_only = Some(!user.can_write);
    info.user_can_rename = Some(user.can_write);
    info.user_can_not_write_relative = Some(!user.can_write || !settings.relative_writes);
    info.host_view_url = Some(state.host_page_url(&file.id, "view"));
    info.host_edit_url = Some(state.host_page_url(&file.id, "edit"));
    info.close_url = Some(state.close_url());
    info.post_message_origin = Some(state.origin().to_owned());
    // The host page handles these messages (crate::hostpage): without the flags Office never sends them.
    info.close_post_message = Some(true);
    info.file_sharing_post_message = Some(true);
    info.file_version_post_message = Some(true);
    info.file_extension = file.name.extension().map(|ext| format!(".{ext}"));
    info.file_name_max_length = Some(i64::try_from(state.limits.file_name_max_length).unwrap_or(i64::MAX));
    info.last_modified_time = Some(iso8601(file.last_modified));
    info.sha256 = Some(base64::engine::general_purpose::STANDARD.encode(file.sha256));
    info.breadcrumb_brand_name = Some("WOPI reference host".to_owned());
    info.breadcrumb_brand_url = Some(state.close_url());
    info.breadcrumb_doc_name = Some(file.name.as_str().to_owned());
    if settings.file_url {
        // The client adds nothing to a FileUrl, so it carries a token of its own for this user and file.
        let token = state.issue_token(&user.id, &Resource::File(file.id.clone()));
        info.file_url = Some(AppState::with_token(&state.file_url(&file.id), &token));
    }
    if settings.workflow {
        info.workflow_url = Some(state.workflow_url(&file.id));
        info.workflow_type = Some(vec!["Submit".to_owned()]);
    }
    info
}

/// CheckFileInfo: `GET /wopi/files/{id}`.
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    let file = req.state.store.file(&req.id, req.now).await?;
    let mut info = check_file_info(&req.state, &req.caller.user, &file);
    // CSPP Plus: coauth locks (crate::coauth). The file version stands in for the content sequence number until
    // the chunked-transfer store keeps one.
    let expiry = req.caller.claims.expires_at_ms;
    crate::coauth::declare_cspp_plus(&mut info, req.state.origin(), file.version, expiry, req.now);
    if !req.state.faults.is_empty() {
        return Ok(crate::faults::layer::check_file_info::answer(&req.state, &file, info));
    }
    // Serialised straight from the model: CheckFileInfo is the hot path.
    Ok(axum::Json(info).into_response())
}
