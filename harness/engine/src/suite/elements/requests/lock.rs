//! `<Lock Lock LockUserVisible>`: `X-WOPI-Lock`, and `X-WOPI-LockUserVisible` as .NET writes a boolean
//! (`rest/files/Lock.rst`).

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::{Wire, dotnet_bool};
use super::{Address, Element, element, lock_header};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Lock", "LockUserVisible"],
    ..element("Lock", Address::Op(Op::Lock), |b, r, _| {
        Ok(RequestKind::Lock {
            lock: lock_header::required(b, r)?,
            lock_user_visible: b.bool_attr(r, "LockUserVisible")?,
        })
    })
};

pub(super) fn send(lock: &str, user_visible: Option<bool>, w: &mut Wire) {
    lock_header::send(w, lock);
    if let Some(v) = user_visible {
        w.header(h::X_WOPI_LOCK_USER_VISIBLE, dotnet_bool(v));
    }
}
