//! `<DeleteFile>`: deletes the file its `OverrideUrl` names, never the case's own file (`rest/files/DeleteFile.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    deletes: true,
    ..element("DeleteFile", Address::Op(Op::DeleteFile), |_, _, _| {
        Ok(RequestKind::DeleteFile)
    })
};
