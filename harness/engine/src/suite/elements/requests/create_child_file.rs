//! `<CreateChildFile Name PutRelativeFileMode OverwriteRelative>`: an empty file in the container, named by the
//! target headers (`rest/containers/CreateChildFile.rst`).

use wopi_protocol::ops::Op;

use super::wire::{BuildError, Wire};
use super::{Address, Element, element, target};
use crate::suite::{PutRelativeMode, RequestKind};

pub(super) const ELEMENT: Element = Element {
    attrs: &["Name", "PutRelativeFileMode", "OverwriteRelative"],
    ..element("CreateChildFile", Address::Op(Op::CreateChildFile), |b, r, _| {
        Ok(RequestKind::CreateChildFile {
            name: b.req(r, "Name")?,
            mode: target::mode(b, r, "PutRelativeFileMode")?,
            overwrite_relative: b.bool_attr(r, "OverwriteRelative")?,
        })
    })
};

pub(super) fn send(
    name: &str,
    mode: Option<PutRelativeMode>,
    overwrite: Option<bool>,
    w: &mut Wire,
) -> Result<(), BuildError> {
    let mode = target::required("CreateChildFile", mode)?;
    target::headers(w, mode, name, overwrite);
    Ok(())
}
