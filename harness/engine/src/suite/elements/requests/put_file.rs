//! `<PutFile ResourceId Lock>`: the resource's bytes to `/contents`, with `X-WOPI-Lock` when `Lock` is not empty
//! (`rest/files/PutFile.rst`).

use wopi_protocol::ops::Op;

use super::wire::{BuildError, Wire};
use super::{Address, Element, children, element, lock_header};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["Lock", "ResourceId"],
    ..element("PutFile", Address::Op(Op::PutFile), |b, r, resources| {
        let id = b.req(r, "ResourceId")?;
        children::check_resource(b, r, resources, &id)?;
        Ok(RequestKind::PutFile {
            lock: b.opt(r, "Lock"),
            resource_id: id,
        })
    })
};

pub(super) fn send(lock: Option<&str>, resource_id: &str, w: &mut Wire) -> Result<(), BuildError> {
    if let Some(l) = lock.filter(|l| !l.is_empty()) {
        lock_header::send(w, l);
    }
    let body = w.resource(resource_id)?;
    w.set_body(body);
    Ok(())
}
