//! `<ResponseCodeValidator ExpectedCode>`.

use super::with;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, ValidatorKind};

pub(super) fn parse(b: &mut Builder, v: &Node, _: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(v, &with(&["ExpectedCode"]))?;
    b.check_children(v, &[])?;
    let expected = b
        .parse_attr::<i32>(v, "ExpectedCode", "an integer")?
        .ok_or_else(|| b.err(v.pos, "<ResponseCodeValidator> needs ExpectedCode"))?;
    Ok(ValidatorKind::ResponseCode { expected })
}
