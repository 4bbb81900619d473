//! Faults on `X-WOPI-Lock` in answers: sent on successes that should not carry it, or dropped, emptied or
//! case-folded on every answer.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use wopi_protocol::headers::X_WOPI_LOCK;
use wopi_protocol::ops::Op;

use super::Exchange;
use crate::AppState;
use crate::error::header_value;
use crate::faults::Fault;
use crate::wopi::request::single_header;

/// `X-WOPI-Lock` on a success: Lock reports the new lock (`LockHeaderOnSuccess`); PutFile, Unlock, RefreshLock
/// and UnlockAndRelock report the lock the file holds now, as the 409 answers do (`LockHeaderOnOtherSuccesses`).
pub(super) fn on_success(x: &Exchange<'_>, headers: &mut HeaderMap) {
    // The request's X-WOPI-Lock passed the handler's checks, so it is the lock taken or kept.
    let requested = || single_header(x.request, X_WOPI_LOCK).ok().flatten().unwrap_or("");
    let value = match x.op {
        Op::Lock if x.has(Fault::LockHeaderOnSuccess) => requested(),
        Op::PutFile | Op::RefreshLock | Op::UnlockAndRelock if x.has(Fault::LockHeaderOnOtherSuccesses) => requested(),
        Op::Unlock if x.has(Fault::LockHeaderOnOtherSuccesses) => "",
        _ => return,
    };
    headers.insert(X_WOPI_LOCK, header_value(value));
}

/// The faults on every `/wopi` answer's `X-WOPI-Lock`, as an axum response map: dropped from 409s
/// (`ConflictWithoutLockHeader`), dropped when empty (`EmptyLockHeaderDropped`), lower-cased
/// (`LockHeaderCaseFolded`).
pub async fn whole_response(State(state): State<AppState>, mut response: Response) -> Response {
    let faults = &state.faults;
    if faults.has(Fault::ConflictWithoutLockHeader) && response.status() == StatusCode::CONFLICT {
        response.headers_mut().remove(X_WOPI_LOCK);
    }
    if faults.has(Fault::EmptyLockHeaderDropped) && response.headers().get(X_WOPI_LOCK).is_some_and(|v| v.is_empty()) {
        response.headers_mut().remove(X_WOPI_LOCK);
    }
    if faults.has(Fault::LockHeaderCaseFolded)
        && let Some(folded) = response
            .headers()
            .get(X_WOPI_LOCK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    {
        response.headers_mut().insert(X_WOPI_LOCK, header_value(&folded));
    }
    response
}
