//! FramesValidator's content properties: retained ones come back with their value and retention, others do not.

use serde_json::Value;

use crate::report::model::Failure;
use crate::suite::FramesValidator;
use crate::validate::Context;

pub(super) fn check(v: &FramesValidator, message: &Value, ctx: &Context<'_>) -> Vec<Failure> {
    let fail = |expected: String, actual: String, rule: &str| super::fail(ctx, expected, actual, rule);
    let mut out = Vec::new();
    let props = message
        .get("ContentProperties")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in &v.properties {
        let found = props
            .iter()
            .find(|x| x.get("Name").and_then(Value::as_str) == Some(p.name.as_str()));
        match (p.should_be_returned, found) {
            (false, Some(_)) => out.extend(fail(
                format!("no content property {}", p.name),
                "returned".into(),
                "the property was not retained",
            )),
            (true, None) => out.extend(fail(
                format!("content property {}", p.name),
                "absent".into(),
                "the property was retained",
            )),
            (true, Some(x)) => {
                let value = x.get("Value").and_then(Value::as_str).unwrap_or_default();
                let retention = x.get("Retention").and_then(Value::as_str).unwrap_or_default();
                if value != p.expected_value || retention != p.expected_retention {
                    out.extend(fail(
                        format!("{} = '{}' ({})", p.name, p.expected_value, p.expected_retention),
                        format!("'{value}' ({retention})"),
                        "content properties round-trip",
                    ));
                }
            }
            (false, None) => {}
        }
    }
    out
}
