//! Lock, Unlock, RefreshLock, UnlockAndRelock and GetLock (`rest/files/Lock.rst` and its siblings). The rules
//! themselves are [`crate::locks`]; the store applies them atomically.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wopi_protocol::headers::{X_WOPI_LOCK, X_WOPI_LOCK_USER_VISIBLE, X_WOPI_OLD_LOCK};

use crate::coauth::CoauthOp;
use crate::error::{WopiError, header_value};
use crate::locks::{LockOp, LockOutcome};
use crate::wopi::request::{FileRequest, required_lock, single_header, with_item_version};

/// Lock: `X-WOPI-Override: LOCK` without `X-WOPI-OldLock`.
pub async fn lock(req: FileRequest) -> Result<Response, WopiError> {
    let id = required_lock(&req.headers, X_WOPI_LOCK)?;
    let visible = user_visible(&req)?;
    let response = change(&req, LockOp::Lock(id.clone())).await?;
    if visible {
        // CSPP Plus (D:coauthoring/wopi-locks; note §2.8): the holder's name may be shown in
        // X-WOPI-ConflictingLockUsername. Marked after the lock is taken, and only if it is still the lock then.
        let user = req.caller.user.friendly_name.clone();
        let mark = CoauthOp::MarkWopiLockVisible { lock: id, user };
        req.state.store.coauth_op(&req.id, mark, req.now).await?;
    }
    Ok(response)
}

/// `X-WOPI-LockUserVisible: true` (the validator sends .NET's `True`).
fn user_visible(req: &FileRequest) -> Result<bool, WopiError> {
    Ok(single_header(&req.headers, X_WOPI_LOCK_USER_VISIBLE)?.is_some_and(|v| v.trim().eq_ignore_ascii_case("true")))
}

/// Unlock.
pub async fn unlock(req: FileRequest) -> Result<Response, WopiError> {
    let id = required_lock(&req.headers, X_WOPI_LOCK)?;
    change(&req, LockOp::Unlock(id)).await
}

/// RefreshLock.
pub async fn refresh(req: FileRequest) -> Result<Response, WopiError> {
    let id = required_lock(&req.headers, X_WOPI_LOCK)?;
    change(&req, LockOp::Refresh(id)).await
}

/// UnlockAndRelock: `LOCK` with `X-WOPI-OldLock`.
pub async fn unlock_and_relock(req: FileRequest) -> Result<Response, WopiError> {
    let old = required_lock(&req.headers, X_WOPI_OLD_LOCK)?;
    let new = required_lock(&req.headers, X_WOPI_LOCK)?;
    change(&req, LockOp::UnlockAndRelock { old, new }).await
}

/// Lock, Unlock, RefreshLock, UnlockAndRelock: 200 with `X-WOPI-ItemVersion`, or 409 with the current lock.
async fn change(req: &FileRequest, op: LockOp) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    req.state.store.lock_op(&req.id, op.clone(), req.now).await?;
    let file = req.state.store.file(&req.id, req.now).await?;
    Ok(with_item_version(
        StatusCode::OK.into_response(),
        &file.version_string(),
    ))
}

/// GetLock: 200 with `X-WOPI-Lock` set to the current lock, or to the empty string when unlocked.
pub async fn get_lock(req: FileRequest) -> Result<Response, WopiError> {
    let outcome = req.state.store.lock_op(&req.id, LockOp::GetLock, req.now).await?;
    let current = match outcome {
        LockOutcome::Current(current) => current,
        _ => None,
    };
    let mut response = StatusCode::OK.into_response();
    let value = current.as_ref().map_or("", |l| l.as_str());
    response.headers_mut().insert(X_WOPI_LOCK, header_value(value));
    Ok(response)
}
