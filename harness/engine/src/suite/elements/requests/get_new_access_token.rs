//! `<GetNewAccessToken WopiSrc>`: sent as the validator sends it, the `GET_NEW_ACCESS_TOKEN` override on the
//! case's WopiSrc with `X-WOPI-WopiSrc` naming that same WopiSrc (the bootstrapper page's own form uses
//! `X-WOPI-EcosystemOperation`; the catalogue records the validator's). The `WopiSrc` attribute is read, not sent.

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::Wire;
use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["WopiSrc"],
    ..element("GetNewAccessToken", Address::Op(Op::GetNewAccessToken), |b, r, _| {
        Ok(RequestKind::GetNewAccessToken {
            wopi_src: b.opt(r, "WopiSrc"),
        })
    })
};

pub(super) fn send(w: &mut Wire) {
    let wopisrc = w.env.wopisrc().to_string();
    w.header(h::X_WOPI_WOPI_SRC, &wopisrc);
}
