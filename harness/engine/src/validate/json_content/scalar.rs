//! BooleanProperty, IntegerProperty and LongProperty: the value must convert to the type and equal the expected
//! (or saved) value; with neither, the timestamp rule applies.

use std::fmt::Display;

use serde_json::Value;

use super::Prop;
use super::values::{as_bool, as_i64, show, timestamp_rule};
use crate::report::model::Failure;

pub(super) fn boolean(prop: &Prop<'_>, v: &Value, state: Option<&str>, expected: Option<bool>) -> Option<Failure> {
    let kind = Kind {
        from_state: as_bool,
        from_value: as_bool,
        state_type: "Boolean",
        want: "a boolean",
        noun: "a boolean",
    };
    scalar(prop, v, state, expected, &kind)
}

pub(super) fn integer(prop: &Prop<'_>, v: &Value, state: Option<&str>, expected: Option<i32>) -> Option<Failure> {
    let kind = Kind {
        from_state: as_i64,
        from_value: |v| as_i64(v).filter(|a| i32::try_from(*a).is_ok()),
        state_type: "Int32",
        want: "a 32-bit integer",
        noun: "an integer",
    };
    scalar(prop, v, state, expected.map(i64::from), &kind)
}

pub(super) fn long(prop: &Prop<'_>, v: &Value, state: Option<&str>, expected: Option<i64>) -> Option<Failure> {
    let kind = Kind {
        from_state: as_i64,
        from_value: as_i64,
        state_type: "Int64",
        want: "a 64-bit integer",
        noun: "an integer",
    };
    scalar(prop, v, state, expected, &kind)
}

/// How one scalar kind reads values and names itself in failures.
struct Kind<T> {
    /// Converts a saved state value (always a string).
    from_state: fn(&Value) -> Option<T>,
    /// Converts the response's value (Integer also checks the 32-bit range).
    from_value: fn(&Value) -> Option<T>,
    /// The .NET type named when a saved value does not convert.
    state_type: &'static str,
    /// What was expected when the value does not convert.
    want: &'static str,
    /// The rule's noun: "X must be {noun}".
    noun: &'static str,
}

fn scalar<T: PartialEq + Display>(
    prop: &Prop<'_>,
    v: &Value,
    state: Option<&str>,
    expected: Option<T>,
    kind: &Kind<T>,
) -> Option<Failure> {
    let p = prop.p;
    // A saved value wins when it converts; one that does not is an error only when no expected value is given.
    let from_state = state.and_then(|s| (kind.from_state)(&Value::String(s.to_string())));
    let expected = match (state, from_state, expected) {
        (_, Some(e), _) => Some(e),
        (Some(_), None, Some(e)) => Some(e),
        (Some(s), None, None) => {
            return prop.fail(
                format!("saved state of type {}", kind.state_type),
                format!("'{s}'"),
                "the saved value has the wrong type".into(),
            );
        }
        (None, _, e) => e,
    };
    let Some(a) = (kind.from_value)(v) else {
        return prop.fail(
            kind.want.into(),
            show(Some(v)),
            format!("{} must be {}", p.name, kind.noun),
        );
    };
    match expected {
        Some(e) if e != a => prop.fail(e.to_string(), a.to_string(), format!("{} must be {e}", p.name)),
        Some(_) => None,
        None => timestamp_rule(prop, v),
    }
}
