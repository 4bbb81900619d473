//! `<CreateChildContainer FolderName PutRelativeFileMode>`: a container in the container, named by the target
//! headers (`rest/containers/CreateChildContainer.rst`).

use wopi_protocol::ops::Op;

use super::wire::{BuildError, Wire};
use super::{Address, Element, element, target};
use crate::suite::{PutRelativeMode, RequestKind};

pub(super) const ELEMENT: Element = Element {
    attrs: &["FolderName", "PutRelativeFileMode"],
    ..element(
        "CreateChildContainer",
        Address::Op(Op::CreateChildContainer),
        |b, r, _| {
            Ok(RequestKind::CreateChildContainer {
                folder_name: b.req(r, "FolderName")?,
                mode: target::mode(b, r, "PutRelativeFileMode")?,
            })
        },
    )
};

pub(super) fn send(folder_name: &str, mode: Option<PutRelativeMode>, w: &mut Wire) -> Result<(), BuildError> {
    let mode = target::required("CreateChildContainer", mode)?;
    target::headers(w, mode, folder_name, None);
    Ok(())
}
