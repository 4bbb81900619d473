//! `<EnumerateAncestors>`: no attributes; a GET on `/ancestry` (`rest/files/EnumerateAncestors.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = element("EnumerateAncestors", Address::Op(Op::EnumerateAncestors), |_, _, _| {
    Ok(RequestKind::EnumerateAncestors)
});
