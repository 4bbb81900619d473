//! `<JsonResponseContentValidator ShouldExist ext:NoNullProperties>` with its property checks
//! ([`super::properties`]).

use super::{properties, with};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, ValidatorKind};

pub(super) fn parse(b: &mut Builder, v: &Node, _: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(v, &with(&["ShouldExist", "ext:NoNullProperties"]))?;
    b.check_children(v, &properties::names())?;
    let should_exist = b.bool_attr(v, "ShouldExist")?.unwrap_or(true);
    let no_null_properties = b.bool_attr(v, "ext:NoNullProperties")?.unwrap_or(false);
    let mut list = Vec::new();
    for p in &v.children {
        list.push(properties::parse(b, p)?);
    }
    Ok(ValidatorKind::JsonContent {
        should_exist,
        properties: list,
        no_null_properties,
    })
}
