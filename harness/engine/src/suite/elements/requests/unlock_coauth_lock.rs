//! `<UnlockCoauthLock CoauthLockId>` (CSPP Plus): `X-WOPI-CoauthLockId`, empty when absent.

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::Wire;
use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["CoauthLockId"],
    ..element("UnlockCoauthLock", Address::Op(Op::UnlockCoauthLock), |b, r, _| {
        Ok(RequestKind::UnlockCoauthLock {
            coauth_lock_id: b.opt(r, "CoauthLockId").unwrap_or_default(),
        })
    })
};

pub(super) fn send(coauth_lock_id: &str, w: &mut Wire) {
    w.header(h::X_WOPI_COAUTH_LOCK_ID, coauth_lock_id);
}
