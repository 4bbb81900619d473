//! `<PutToFileUrl ResourceId>`: in TestCases.xsd but unknown to the validator engine; read so such files load,
//! never sent (no catalogue operation: it would write to CheckFileInfo's `FileUrl`).

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["ResourceId"],
    ..element(
        "PutToFileUrl",
        Address::NotSent("PutToFileUrl is in the XSD but unknown to the validator engine; not supported"),
        |b, r, _| {
            Ok(RequestKind::PutToFileUrl {
                resource_id: b.opt(r, "ResourceId"),
            })
        },
    )
};
