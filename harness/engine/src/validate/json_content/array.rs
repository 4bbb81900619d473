//! ArrayProperty: the value must be an array of strings containing the expected (or saved) value, ignoring case.

use serde_json::Value;

use super::super::json::type_name;
use super::Prop;
use super::values::show;
use crate::report::model::Failure;

pub(super) fn check(
    prop: &Prop<'_>,
    v: &Value,
    state_value: Option<&str>,
    contains_value: Option<&str>,
) -> Option<Failure> {
    let p = prop.p;
    let wanted = contains_value.or(state_value)?;
    let Value::Array(items) = v else {
        return prop.fail(
            "an array of strings".into(),
            format!("a {}", type_name(v)),
            format!("{} must be an array", p.name),
        );
    };
    let mut strings = Vec::new();
    for i in items {
        match i {
            Value::String(s) => strings.push(s.as_str()),
            other => {
                return prop.fail(
                    "an array of strings".into(),
                    format!("an element {other}"),
                    format!("{} must hold strings", p.name),
                );
            }
        }
    }
    if strings.iter().any(|s| s.to_lowercase() == wanted.to_lowercase()) {
        None
    } else {
        prop.fail(
            format!("an array containing '{wanted}'"),
            show(Some(v)),
            format!("{} must contain '{wanted}' (ignoring case)", p.name),
        )
    }
}
