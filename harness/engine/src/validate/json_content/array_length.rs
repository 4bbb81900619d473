//! ArrayLengthProperty: the value must be an array of exactly `expected` elements.

use serde_json::Value;

use super::super::json::type_name;
use super::Prop;
use crate::report::model::Failure;

pub(super) fn check(prop: &Prop<'_>, expected: i32) -> Option<Failure> {
    let p = prop.p;
    let Some(v) = prop.actual else {
        return prop.absent();
    };
    let Value::Array(a) = v else {
        return if p.is_required {
            prop.fail(
                "an array".into(),
                format!("a {}", type_name(v)),
                format!("{} must be an array", p.name),
            )
        } else {
            None
        };
    };
    if i64::try_from(a.len()).ok() != Some(i64::from(expected)) {
        return prop.fail(
            format!("{expected} elements"),
            format!("{} elements", a.len()),
            format!("{} must have {expected} elements", p.name),
        );
    }
    None
}
