//! `<RenameContainer Name>`: the UTF-7 name in `X-WOPI-RequestedName` (`rest/containers/RenameContainer.rst`).

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;
use wopi_protocol::utf7;

use super::wire::Wire;
use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Name"],
    ..element("RenameContainer", Address::Op(Op::RenameContainer), |b, r, _| {
        Ok(RequestKind::RenameContainer {
            name: b.req(r, "Name")?,
        })
    })
};

pub(super) fn send(name: &str, w: &mut Wire) {
    w.header(h::X_WOPI_REQUESTED_NAME, &utf7::encode(name));
}
