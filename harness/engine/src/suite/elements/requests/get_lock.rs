//! `<GetLock>`: `Lock` is accepted and, as in the engine, not sent (`rest/files/GetLock.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Lock"],
    ..element("GetLock", Address::Op(Op::GetLock), |_, _, _| Ok(RequestKind::GetLock))
};
