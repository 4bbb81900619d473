//! `<EnumerateChildren FileExtensionFilterList>`: a GET on `/children`, with `X-WOPI-FileExtensionFilterList`
//! when the list is not empty (`rest/containers/EnumerateChildren.rst`).

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::Wire;
use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["FileExtensionFilterList"],
    ..element("EnumerateChildren", Address::Op(Op::EnumerateChildren), |b, r, _| {
        Ok(RequestKind::EnumerateChildren {
            file_extension_filter_list: b.opt(r, "FileExtensionFilterList"),
        })
    })
};

pub(super) fn send(filter: Option<&str>, w: &mut Wire) {
    if let Some(f) = filter.filter(|f| !f.is_empty()) {
        w.header(h::X_WOPI_FILE_EXTENSION_FILTER_LIST, f);
    }
}
