//! `<LockMismatchValidator ExpectedLock>`.

use super::with;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, ValidatorKind};

pub(super) fn parse(b: &mut Builder, v: &Node, _: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(v, &with(&["ExpectedLock"]))?;
    b.check_children(v, &[])?;
    Ok(ValidatorKind::LockMismatch {
        expected_lock: b.opt(v, "ExpectedLock").unwrap_or_default(),
    })
}
