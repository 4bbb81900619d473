//! `<GetRootContainer WopiSrc>`: a GET on `/root_container_pointer` appended to the case's WopiSrc, as the
//! validator addresses it (the catalogue's endpoint is `/wopi/ecosystem`; the path suffix is the same). The
//! `WopiSrc` attribute is read, not sent (`rest/ecosystem/GetRootContainer.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["WopiSrc"],
    ..element("GetRootContainer", Address::Op(Op::GetRootContainer), |b, r, _| {
        Ok(RequestKind::GetRootContainer {
            wopi_src: b.opt(r, "WopiSrc"),
        })
    })
};
