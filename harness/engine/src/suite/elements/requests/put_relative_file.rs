//! `<PutRelativeFile Name ResourceId PutRelativeFileMode OverwriteRelative ext:OverwriteInSuggested>`: the
//! resource's bytes as a new file named by the target headers (`rest/files/PutRelativeFile.rst`), with
//! `X-WOPI-Size`. FeatureTestCases' `Type` is read as `PutRelativeFileMode`.

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::{BuildError, Wire, dotnet_bool};
use super::{Address, Element, children, element, target};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{PutRelativeMode, RequestKind, Resource};

pub(super) const ELEMENT: Element = Element {
    attrs: &[
        "Name",
        "ResourceId",
        "PutRelativeFileMode",
        "Type",
        "OverwriteRelative",
        "ext:OverwriteInSuggested",
    ],
    ..element("PutRelativeFile", Address::Op(Op::PutRelativeFile), parse)
};

fn parse(b: &mut Builder, r: &Node, resources: &[Resource]) -> R<RequestKind> {
    let id = b.req(r, "ResourceId")?;
    children::check_resource(b, r, resources, &id)?;
    let mode = match target::mode(b, r, "PutRelativeFileMode")? {
        Some(m) => Some(m),
        None => target::mode(b, r, "Type")?,
    };
    let overwrite_relative = b.bool_attr(r, "OverwriteRelative")?;
    let overwrite_in_suggested = b.bool_attr(r, "ext:OverwriteInSuggested")?.unwrap_or(false);
    if overwrite_in_suggested {
        // The attribute exists to test the suggested-mode rule; elsewhere the header is not ignored.
        if mode != Some(PutRelativeMode::Suggested) {
            return Err(b.err(
                r.pos,
                "ext:OverwriteInSuggested=\"true\" needs PutRelativeFileMode=\"Suggested\"",
            ));
        }
        if overwrite_relative.is_some() {
            return Err(b.err(
                r.pos,
                "give OverwriteRelative (ExactName mode) or ext:OverwriteInSuggested, not both",
            ));
        }
    }
    Ok(RequestKind::PutRelativeFile {
        name: b.req(r, "Name")?,
        resource_id: id,
        mode,
        overwrite_relative,
        overwrite_in_suggested,
    })
}

pub(super) fn send(
    name: &str,
    resource_id: &str,
    mode: Option<PutRelativeMode>,
    overwrite_relative: Option<bool>,
    overwrite_in_suggested: bool,
    w: &mut Wire,
) -> Result<(), BuildError> {
    let mode = target::required("PutRelativeFile", mode)?;
    let bytes = w.resource(resource_id)?;
    w.header(h::X_WOPI_SIZE, &bytes.len().to_string());
    target::headers(w, mode, name, overwrite_relative);
    if overwrite_in_suggested {
        // The loader allows this only in Suggested mode, where the host must ignore it.
        w.header(h::X_WOPI_OVERWRITE_RELATIVE_TARGET, dotnet_bool(true));
    }
    w.set_body(bytes);
    Ok(())
}
