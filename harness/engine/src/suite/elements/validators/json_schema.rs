//! `<JsonSchemaValidator Schema ShouldExist>`: the schema must be one the engine embeds.

use super::{known_schema, with};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, ValidatorKind};

pub(super) fn parse(b: &mut Builder, v: &Node, _: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(v, &with(&["Schema", "ShouldExist"]))?;
    b.check_children(v, &[])?;
    Ok(ValidatorKind::JsonSchema {
        schema: known_schema(b, v, "Schema")?,
    })
}
