//! The rules Boolean, Integer, Long, String and Array properties share (absent, null and empty alike; a saved
//! state value), before each kind's own module checks the value.

use super::values::is_empty;
use super::{Prop, array, scalar, string};
use crate::report::model::Failure;
use crate::suite::JsonPropertyKind;

/// Boolean, Integer, Long, String and Array properties: the engine's shared rules, then the kind's own.
pub(super) fn check(prop: &Prop<'_>) -> Option<Failure> {
    let p = prop.p;
    if is_empty(prop.actual) {
        // The engine's rule: a missing optional property passes even when an expected value is given.
        return prop.absent();
    }
    let v = prop.actual?;
    let state_key = match &p.kind {
        JsonPropertyKind::Boolean { state_key, .. }
        | JsonPropertyKind::Integer { state_key, .. }
        | JsonPropertyKind::Long { state_key, .. }
        | JsonPropertyKind::String { state_key, .. }
        | JsonPropertyKind::Array { state_key, .. } => state_key.as_deref(),
        _ => None,
    };
    let state_value = state_key.and_then(|k| prop.ctx.state.get_nonempty(k));
    match &p.kind {
        JsonPropertyKind::Boolean { expected, .. } => scalar::boolean(prop, v, state_value, *expected),
        JsonPropertyKind::Integer { expected, .. } => scalar::integer(prop, v, state_value, *expected),
        JsonPropertyKind::Long { expected, .. } => scalar::long(prop, v, state_value, *expected),
        JsonPropertyKind::String {
            expected,
            ends_with,
            ignore_case,
            differs_from_state,
            ..
        } => string::check(
            prop,
            v,
            string::Expect {
                state_value,
                expected: expected.as_deref(),
                ends_with: ends_with.as_deref(),
                ignore_case: *ignore_case,
                differs_from_state: differs_from_state.as_deref(),
            },
        ),
        JsonPropertyKind::Array { contains_value, .. } => array::check(prop, v, state_value, contains_value.as_deref()),
        _ => None,
    }
}
