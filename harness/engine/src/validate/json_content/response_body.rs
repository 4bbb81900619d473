//! ResponseBodyProperty: the value must equal the expected JSON, `'*'` matching anything.

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

/// ResponseBodyProperty: `'*'` in the expected objects is a wildcard; arrays compare sorted by CoauthLockId.
fn response_body_equal(expected: &Value, actual: &Value) -> bool {
    let wildcards: Vec<String> = match expected {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| {
                o.iter()
                    .filter(|(_, v)| v.as_str() == Some("*"))
                    .map(|(k, _)| k.clone())
            })
            .collect(),
        Value::Object(o) => o
            .iter()
            .filter(|(_, v)| v.as_str() == Some("*"))
            .map(|(k, _)| k.clone())
            .collect(),
        _ => Vec::new(),
    };
    let mask = |v: &Value| -> Value {
        let mut v = v.clone();
        let apply = |o: &mut serde_json::Map<String, Value>| {
            for k in &wildcards {
                if o.contains_key(k) {
                    o.insert(k.clone(), Value::String("*".into()));
                }
            }
        };
        match &mut v {
            Value::Array(items) => {
                for i in items.iter_mut() {
                    if let Value::Object(o) = i {
                        apply(o);
                    }
                }
                items.sort_by_key(|i| i.get("CoauthLockId").map(|c| c.to_string()).unwrap_or_default());
            }
            Value::Object(o) => apply(o),
            _ => {}
        }
        v
    };
    mask(expected) == mask(actual)
}
