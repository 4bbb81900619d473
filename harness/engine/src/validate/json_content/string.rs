//! StringProperty: equal to the expected (or saved) value, optionally ignoring case, ending with a suffix, or
//! differing from a saved value (`ext:DiffersFromState`).

use serde_json::Value;

use super::Prop;
use super::values::{as_text, show, timestamp_rule};
use crate::report::model::Failure;

/// What the element asks of the string.
pub(super) struct Expect<'a> {
    pub state_value: Option<&'a str>,
    pub expected: Option<&'a str>,
    pub ends_with: Option<&'a str>,
    pub ignore_case: bool,
    pub differs_from_state: Option<&'a str>,
}

pub(super) fn check(prop: &Prop<'_>, v: &Value, x: Expect<'_>) -> Option<Failure> {
    let p = prop.p;
    let ignore_case = x.ignore_case;
    let expected = x.state_value.or(x.expected);
    let Some(a) = as_text(v) else {
        return prop.fail("a string".into(), show(Some(v)), format!("{} must be a string", p.name));
    };
    let eq = |x: &str, y: &str| {
        if ignore_case {
            x.to_lowercase() == y.to_lowercase()
        } else {
            x == y
        }
    };
    if let Some(e) = expected {
        if !eq(&a, e) {
            return prop.fail(
                format!("'{e}'"),
                format!("'{a}'"),
                format!(
                    "{} must be '{e}'{}",
                    p.name,
                    if ignore_case { " (ignoring case)" } else { "" }
                ),
            );
        }
    } else if let Some(f) = timestamp_rule(prop, v) {
        return Some(f);
    }
    if let Some(key) = x.differs_from_state {
        let Some(saved) = prop.ctx.state.get_nonempty(key) else {
            return prop.fail(
                format!("a value different from saved state '{key}'"),
                format!("'{a}' (nothing saved under '{key}')"),
                format!("{} cannot be compared: no value was saved under '{key}'", p.name),
            );
        };
        if eq(&a, saved) {
            return prop.fail(
                format!("anything but '{saved}' (saved as '{key}')"),
                format!("'{a}'"),
                format!("{} must differ from the value saved as '{key}'", p.name),
            );
        }
    }
    if let Some(suffix) = x.ends_with {
        let ok = if ignore_case {
            a.to_lowercase().ends_with(&suffix.to_lowercase())
        } else {
            a.ends_with(suffix)
        };
        if !ok {
            return prop.fail(
                format!("a value ending with '{suffix}'"),
                format!("'{a}'"),
                format!("{} must end with '{suffix}'", p.name),
            );
        }
    }
    None
}
