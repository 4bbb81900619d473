//! `<RenameFile Name Lock CoauthLockId>`: the UTF-7 name in `X-WOPI-RequestedName`; `X-WOPI-Lock` and
//! `X-WOPI-CoauthLockId` are always sent, empty when absent, as the validator does (`rest/files/RenameFile.rst`).

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;
use wopi_protocol::utf7;

use super::wire::Wire;
use super::{Address, Element, element, lock_header};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Name", "Lock", "CoauthLockId"],
    ..element("RenameFile", Address::Op(Op::RenameFile), |b, r, _| {
        Ok(RequestKind::RenameFile {
            name: b.req(r, "Name")?,
            lock: b.opt(r, "Lock"),
            coauth_lock_id: b.opt(r, "CoauthLockId"),
        })
    })
};

pub(super) fn send(name: &str, lock: Option<&str>, coauth_lock_id: Option<&str>, w: &mut Wire) {
    w.header(h::X_WOPI_REQUESTED_NAME, &utf7::encode(name));
    lock_header::send_or_empty(w, lock);
    w.header(h::X_WOPI_COAUTH_LOCK_ID, coauth_lock_id.unwrap_or(""));
}
