//! `<GetShareUrl UrlType>`: `X-WOPI-UrlType` when given (`rest/files/GetShareUrl.rst`).

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::Wire;
use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["UrlType"],
    ..element("GetShareUrl", Address::Op(Op::GetShareUrl), |b, r, _| {
        Ok(RequestKind::GetShareUrl {
            url_type: b.opt(r, "UrlType"),
        })
    })
};

pub(super) fn send(url_type: Option<&str>, w: &mut Wire) {
    if let Some(t) = url_type {
        w.header(h::X_WOPI_URL_TYPE, t);
    }
}
