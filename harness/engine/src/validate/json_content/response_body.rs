//! ResponseBodyProperty: the value must equal the expected JSON, `'*'` matching anything.

use std::collections::HashSet;

use serde_json::Value;

use super::Prop;
use super::values::show;
use crate::report::model::Failure;

pub(super) fn check(prop: &Prop<'_>, expected: &Value) -> Option<Failure> {
    let Some(v) = prop.actual else {
        return prop.absent();
    };
    if !response_body_equal(expected, v) {
        return prop.fail(
            expected.to_string(),
            show(Some(v)),
            format!("{} must equal the expected value ('*' matches anything)", prop.p.name),
        );
    }
    None
}

/// ResponseBodyProperty as JsonContentValidator.cs `JsonResponseBodyPropertyValidator` compares: every member
/// whose expected value is `'*'` (at any depth, in objects and in the objects of arrays) is set to `'*'` in the
/// answer too, then an array is ordered by `CoauthLockId` on both sides (stable; rows without one first), then
/// the two are compared deeply. So row order is free, a wildcard member must still be present, and an extra
/// member fails (cspp-plus.md §6.4). The validator orders strings with the culture comparer; ordinal order gives
/// the same verdict whenever the IDs differ. Where it throws (an object or a non-object row to order) the value is
/// compared as it is.
fn response_body_equal(expected: &Value, actual: &Value) -> bool {
    let mut omit = HashSet::new();
    let mut e = expected.clone();
    omit_wildcards(&mut e, &mut omit, false);
    let mut a = actual.clone();
    omit_wildcards(&mut a, &mut omit, true);
    sort_rows(e) == sort_rows(a)
}

fn omit_wildcards(v: &mut Value, omit: &mut HashSet<String>, replace: bool) {
    let visit = |o: &mut serde_json::Map<String, Value>, omit: &mut HashSet<String>| {
        for (k, val) in o.iter_mut() {
            if replace && omit.contains(k) {
                *val = Value::String("*".into());
            } else if val.as_str() == Some("*") {
                omit.insert(k.clone());
            }
            omit_wildcards(val, omit, replace);
        }
    };
    match v {
        Value::Object(o) => visit(o, omit),
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Value::Object(o) = item {
                    visit(o, omit);
                }
            }
        }
        _ => {}
    }
}

/// `(string)row["CoauthLockId"]`: a string as is, a number or boolean as .NET writes it, else none.
fn lock_id(row: &Value) -> Option<String> {
    match row.get("CoauthLockId")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        _ => None,
    }
}

fn sort_rows(v: Value) -> Value {
    match v {
        Value::Array(mut items) => {
            items.sort_by_key(lock_id);
            Value::Array(items)
        }
        other => other,
    }
}
