//! LockMismatchValidator: a lock conflict is 409 Conflict with the current lock in `X-WOPI-Lock`.

use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::Comparator;

/// 409, and `X-WOPI-Lock` equal to `expected_lock` (required unless the expected lock is empty).
pub(super) fn check(expected_lock: &str, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let mut f = super::response_code::check(409, resp, ctx);
    for x in &mut f {
        x.check = "LockMismatchValidator".into();
        x.rule = Some("a lock mismatch must be answered with 409 Conflict".into());
    }
    let mut h = super::response_header::check(
        "X-WOPI-Lock",
        Some(expected_lock),
        None,
        Comparator::Eq,
        !expected_lock.is_empty(),
        true,
        // The validator engine's rule; a suite adds ext:CaseSensitive on its own header check.
        false,
        resp,
        ctx,
    );
    for x in &mut h {
        x.check = "LockMismatchValidator X-WOPI-Lock".into();
    }
    f.extend(h);
    f
}
