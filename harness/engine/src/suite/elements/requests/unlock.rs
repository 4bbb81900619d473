//! `<Unlock Lock>`: `X-WOPI-Lock` (`rest/files/Unlock.rst`); sent by [`super::lock_header`].

use wopi_protocol::ops::Op;

use super::{Address, Element, element, lock_header};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Lock"],
    ..element("Unlock", Address::Op(Op::Unlock), |b, r, _| {
        Ok(RequestKind::Unlock {
            lock: lock_header::required(b, r)?,
        })
    })
};
