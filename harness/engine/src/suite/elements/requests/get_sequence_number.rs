//! `<GetSequenceNumber>`: (CSPP Plus) no attributes; the answer is a frame stream, never JSON text.

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    binary_response: true,
    ..element("GetSequenceNumber", Address::Op(Op::GetSequenceNumber), |_, _, _| {
        Ok(RequestKind::GetSequenceNumber)
    })
};
