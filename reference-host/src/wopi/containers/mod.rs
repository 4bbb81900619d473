//! Container operations (`rest/containers/*.rst`), one module per operation.
//!
//! URLs handed out (container pointers, child files) carry a token for the resource they name, issued to the same
//! user and expiring no later than the token of the request ("token trading" in the docs).

pub mod check_container_info;
pub mod create_child_container;
pub mod create_child_file;
pub mod delete_container;
pub mod enumerate_children;
pub mod rename_container;
pub mod share_url;

use serde_json::{Value, json};
use wopi_protocol::headers::{X_WOPI_RELATIVE_TARGET, X_WOPI_SUGGESTED_TARGET};

use super::request::{Caller, ContainerRequest, UserLicensing, single_header};
use crate::AppState;
use crate::error::WopiError;
use crate::store::Container;
use crate::tokens::Resource;

/// The stem used when CreateChildFile's suggested target is only an extension (there is no source file to take a
/// name from).
pub const NEW_FILE_STEM: &str = "New file";

pub(crate) fn token_url(state: &AppState, caller: &Caller, url: &str, resource: Resource) -> String {
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

pub(crate) fn container_info(caller: &Caller, container: &Container) -> Value {
    let writable = caller.user.can_write;
    let changeable = writable && container.parent.is_some();
    let licensing = UserLicensing::of(&caller.user);
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

fn utf7(req: &ContainerRequest, name: &'static str) -> Result<Option<String>, WopiError> {
    single_header(&req.headers, name)?
        .map(|raw| {
            wopi_protocol::utf7::decode(raw).map_err(|e| WopiError::BadRequest(format!("{name} is not UTF-7: {e}")))
        })
        .transpose()
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
