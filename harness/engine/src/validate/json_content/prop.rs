//! One property element being checked, and the failures every kind words the same way.

use serde_json::Value;

use super::values::show;
use crate::report::model::Failure;
use crate::suite::JsonProperty;
use crate::validate::Context;

/// One property element being checked: the element, the value at its path (if any) and the failure label.
pub(super) struct Prop<'a> {
    pub(super) p: &'a JsonProperty,
    pub(super) actual: Option<&'a Value>,
    pub(super) ctx: &'a Context<'a>,
    pub(super) check: &'a str,
}

impl Prop<'_> {
    /// A failure of this property's check.
    pub(super) fn fail(&self, expected: String, actual: String, rule: String) -> Option<Failure> {
        Some(self.ctx.failure(self.check.to_string(), expected, actual, rule))
    }

    /// The property is absent (or null or empty, as the kind counts it) and required.
    pub(super) fn required_missing(&self) -> Option<Failure> {
        self.fail(
            format!("property {} present", self.p.name),
            format!("{} (absent, null or empty)", show(self.actual)),
            format!("{} is required", self.p.name),
        )
    }

    /// An absent property: the required-property failure, or nothing for an optional one.
    pub(super) fn absent(&self) -> Option<Failure> {
        if self.p.is_required {
            self.required_missing()
        } else {
            None
        }
    }
}
