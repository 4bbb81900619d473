//! `<ext:RotateKeys/>`: the mock client rotates its proof keys (next → current → old).

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, Step};

pub(super) fn parse(b: &mut Builder, r: &Node, _: &[Resource], out: &mut Vec<Step>) -> R<()> {
    b.check_attrs(r, &[])?;
    b.check_children(r, &[])?;
    out.push(Step::RotateKeys { pos: r.pos });
    Ok(())
}
