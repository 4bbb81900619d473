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
use crate::faults::Fault;
use crate::store::{NameMode, NewFile};
use crate::tokens::Resource;
use crate::wopi::request::{FileRequest, json, single_header};

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
pub async fn handle(req: FileRequest, content: Bytes) -> Result<Response, WopiError> {
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
    let (name, mode) = match (suggested, relative) {
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
                (name, NameMode::Exact { overwrite: true })
            } else {
                (name, NameMode::Suggested)
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
            (name, NameMode::Exact { overwrite })
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
    let created = state.store.create_file(new, req.now).await?;
    let file = created.file;
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

#[cfg(test)]
mod tests {
    use super::has_utf7_shift;

    #[test]
    fn utf7_shift_sequences_are_recognised() {
        for raw in ["+AGQ-.docx", "a+AOk-b.docx", "x+ZeVnLIqe-.docx", "++AGQ-.docx"] {
            assert!(has_utf7_shift(raw), "{raw}");
        }
        for raw in ["plain.docx", "a+-b.docx", "a+b.docx", "a-b+", "+", "+AGQ.docx"] {
            assert!(!has_utf7_shift(raw), "{raw}");
        }
    }
}
