//! `<DeleteContainer>`: deletes the container its `OverrideUrl` names, never the case's own (`rest/containers/DeleteContainer.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    deletes: true,
    ..element("DeleteContainer", Address::Op(Op::DeleteContainer), |_, _, _| {
        Ok(RequestKind::DeleteContainer)
    })
};
