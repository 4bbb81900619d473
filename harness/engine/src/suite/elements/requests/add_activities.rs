//! `<AddActivities>` (CSPP Plus): the `<RequestBody>` activities JSON as the body.

use wopi_protocol::ops::Op;

use super::{Address, Element, element, request_body};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    children: request_body::CHILDREN,
    ..element("AddActivities", Address::Op(Op::AddActivities), |b, r, _| {
        Ok(RequestKind::AddActivities {
            body: request_body::parse(b, r)?,
        })
    })
};
