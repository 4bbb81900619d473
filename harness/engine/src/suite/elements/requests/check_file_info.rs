//! `<CheckFileInfo>`, and `<CheckFile>`, FeatureTestCases' spelling of it: no attributes; a GET on the file
//! (`rest/files/CheckFileInfo.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = element("CheckFileInfo", Address::Op(Op::CheckFileInfo), |_, _, _| {
    Ok(RequestKind::CheckFileInfo)
});

pub(super) const CHECK_FILE: Element = Element {
    name: "CheckFile",
    ..ELEMENT
};
