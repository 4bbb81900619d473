//! `<ResponseContentValidator ExpectedResourceId | ExpectedBodyContent>`: exactly one, the resource declared.

use super::with;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{ExpectedContent, Resource, ValidatorKind};

pub(super) fn parse(b: &mut Builder, v: &Node, resources: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(v, &with(&["ExpectedResourceId", "ExpectedBodyContent"]))?;
    b.check_children(v, &[])?;
    let expected = match (b.opt(v, "ExpectedResourceId"), b.opt(v, "ExpectedBodyContent")) {
        (Some(id), None) => {
            if !resources.iter().any(|r| r.id == id) {
                return Err(b.err(v.pos, format!("resource '{id}' is not declared in <Resources>")));
            }
            ExpectedContent::Resource(id)
        }
        (None, Some(t)) => ExpectedContent::Text(t),
        _ => {
            return Err(b.err(
                v.pos,
                "<ResponseContentValidator> needs exactly one of ExpectedResourceId, ExpectedBodyContent",
            ));
        }
    };
    Ok(ValidatorKind::ResponseContent { expected })
}
