//! `<UnlockAndRelock NewLock OldLock>`: the `LOCK` override with `X-WOPI-OldLock`, the catalogue's marker header
//! that makes it UnlockAndRelock (`rest/files/UnlockAndRelock.rst`).

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::Wire;
use super::{Address, Element, element, lock_header};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["NewLock", "OldLock"],
    ..element("UnlockAndRelock", Address::Op(Op::UnlockAndRelock), |b, r, _| {
        Ok(RequestKind::UnlockAndRelock {
            new_lock: b.req(r, "NewLock")?,
            old_lock: b.req(r, "OldLock")?,
        })
    })
};

pub(super) fn send(new_lock: &str, old_lock: &str, w: &mut Wire) {
    lock_header::send(w, new_lock);
    w.header(h::X_WOPI_OLD_LOCK, old_lock);
}
