//! `<PutUserInfo>`: the `<RequestBody>` text as the body (`rest/files/PutUserInfo.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element, request_body};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    children: request_body::CHILDREN,
    ..element("PutUserInfo", Address::Op(Op::PutUserInfo), |b, r, _| {
        Ok(RequestKind::PutUserInfo {
            body: request_body::parse(b, r)?,
        })
    })
};
