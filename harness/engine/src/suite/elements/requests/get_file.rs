//! `<GetFile NewLock Lock>`: a GET on `/contents` (`rest/files/GetFile.rst`). `NewLock` is sent as `X-WOPI-Lock`;
//! `Lock` is read but, as in the engine, not sent. The answer is the file's bytes, never JSON text.

use wopi_protocol::ops::Op;

use super::{Address, Element, element, lock_header, wire::Wire};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Lock", "NewLock"],
    binary_response: true,
    ..element("GetFile", Address::Op(Op::GetFile), |b, r, _| {
        Ok(RequestKind::GetFile {
            new_lock: b.opt(r, "NewLock"),
            lock: b.opt(r, "Lock"),
        })
    })
};

pub(super) fn send(new_lock: Option<&str>, w: &mut Wire) {
    if let Some(l) = new_lock {
        lock_header::send(w, l);
    }
}
