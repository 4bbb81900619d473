//! `<Or>` and `<And>`: at least one nested validator.

use super::{names, parse_all};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, ValidatorKind};

pub(super) fn parse(b: &mut Builder, v: &Node, resources: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(v, &["ValidationMessage"])?;
    b.check_children(v, &names())?;
    let children = parse_all(b, v, resources)?;
    if children.is_empty() {
        return Err(b.err(v.pos, format!("<{}> needs at least one validator", v.name)));
    }
    Ok(if v.name == "Or" {
        ValidatorKind::Or(children)
    } else {
        ValidatorKind::And(children)
    })
}
