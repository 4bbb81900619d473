//! Faults that change a field of a success's JSON body: a URL without its token or made relative, a name left
//! undecoded, an array reversed, a property left out.

use axum::body::{Body, to_bytes};
use axum::http::header::CONTENT_LENGTH;
use axum::response::Response;
use serde_json::Value;
use wopi_protocol::headers::{X_WOPI_RELATIVE_TARGET, X_WOPI_SUGGESTED_TARGET};
use wopi_protocol::ops::Op;

use super::Exchange;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::wopi::request::single_header;

/// The largest body this layer reads back (the JSON answers are small).
const MAX_BODY: usize = 1 << 20;

/// One body rewrite.
type Edit = fn(&Exchange<'_>, &mut Value);

/// The rewrites of `x`'s operation whose faults are on, in order.
fn edits(x: &Exchange<'_>) -> Vec<Edit> {
    let table: &[(Op, Fault, Edit)] = &[
        (Op::PutRelativeFile, Fault::RelativeNameNotDecoded, name_as_sent),
        (Op::PutRelativeFile, Fault::RelativeUrlWithoutToken, |_, b| {
            strip_token(&mut b["Url"])
        }),
        (Op::GetShareUrl, Fault::ShareUrlRelative, share_url_relative),
        (Op::PutFile, Fault::PutFileWithoutLastModifiedTime, |_, b| {
            remove(b, "LastModifiedTime")
        }),
        (Op::CheckFileInfo, Fault::SupportsLocksDroppedForCollabora, |x, b| {
            if x.request.contains_key("X-COOL-WOPI-ServerId") {
                remove(b, "SupportsLocks")
            }
        }),
        (Op::EnumerateAncestors, Fault::AncestorsRootLast, |_, b| {
            if let Some(list) = b["AncestorsWithRootFirst"].as_array_mut() {
                list.reverse();
            }
        }),
        (Op::EnumerateAncestors, Fault::AncestorUrlWithoutToken, |_, b| {
            if let Some(list) = b["AncestorsWithRootFirst"].as_array_mut() {
                list.iter_mut().for_each(|pointer| strip_token(&mut pointer["Url"]));
            }
        }),
        (Op::GetEcosystem, Fault::EcosystemUrlWithoutToken, |_, b| {
            strip_token(&mut b["Url"])
        }),
        (Op::EnumerateChildren, Fault::ChildFilesMissing, |_, b| {
            remove(b, "ChildFiles")
        }),
        (Op::GetRootContainer, Fault::RootContainerPointerMissing, |_, b| {
            remove(b, "ContainerPointer")
        }),
        (Op::AddActivities, Fault::AddActivitiesUnknownTypeSucceeds, |_, b| {
            activity_responses(b, |r| r["Status"] = Value::from(0))
        }),
        (Op::AddActivities, Fault::AddActivitiesIdCaseFolded, |_, b| {
            activity_responses(b, |r| {
                if let Some(id) = r["Id"].as_str() {
                    r["Id"] = Value::String(id.to_lowercase());
                }
            })
        }),
    ];
    table
        .iter()
        .filter(|(op, fault, _)| *op == x.op && x.has(*fault))
        .map(|(_, _, edit)| *edit)
        .collect()
}

/// `response` with the body rewrites of `x`'s operation applied; untouched when none is on.
pub(super) async fn rewrite(x: &Exchange<'_>, response: Response) -> Result<Response, WopiError> {
    let edits = edits(x);
    if edits.is_empty() {
        return Ok(response);
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| WopiError::Internal(format!("reading the answer back: {e}")))?;
    let mut value: Value =
        serde_json::from_slice(&bytes).map_err(|e| WopiError::Internal(format!("the answer is not JSON: {e}")))?;
    for edit in edits {
        edit(x, &mut value);
    }
    let bytes = serde_json::to_vec(&value).map_err(|e| WopiError::Internal(e.to_string()))?;
    parts.headers.remove(CONTENT_LENGTH);
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// The URL without its query (the `access_token`).
fn strip_token(url: &mut Value) {
    if let Some(bare) = url.as_str().and_then(|u| u.split('?').next()) {
        *url = Value::String(bare.to_owned());
    }
}

/// Applies `edit` to every entry of AddActivities' `ActivityResponses`.
fn activity_responses(body: &mut Value, edit: impl Fn(&mut Value)) {
    if let Some(list) = body["ActivityResponses"].as_array_mut() {
        list.iter_mut().for_each(edit);
    }
}

fn remove(body: &mut Value, name: &str) {
    if let Some(map) = body.as_object_mut() {
        map.remove(name);
    }
}

/// PutRelativeFile's `Name` as the client sent it, still UTF-7 encoded.
fn name_as_sent(x: &Exchange<'_>, body: &mut Value) {
    let sent = [X_WOPI_SUGGESTED_TARGET, X_WOPI_RELATIVE_TARGET]
        .into_iter()
        .find_map(|name| single_header(x.request, name).ok().flatten());
    if let Some(raw) = sent {
        body["Name"] = Value::String(raw.to_owned());
    }
}

/// The share URL without the host's base URL.
fn share_url_relative(x: &Exchange<'_>, body: &mut Value) {
    let base = x.state.base_url();
    if let Some(path) = body["ShareUrl"].as_str().and_then(|u| u.strip_prefix(base)) {
        body["ShareUrl"] = Value::String(path.to_owned());
    }
}
