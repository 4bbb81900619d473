//! `<RefreshLock Lock>`: `X-WOPI-Lock` (`rest/files/RefreshLock.rst`); sent by [`super::lock_header`].

use wopi_protocol::ops::Op;

use super::{Address, Element, element, lock_header};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Lock"],
    ..element("RefreshLock", Address::Op(Op::RefreshLock), |b, r, _| {
        Ok(RequestKind::RefreshLock {
            lock: lock_header::required(b, r)?,
        })
    })
};
