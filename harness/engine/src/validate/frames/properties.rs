//! `<ContentPropertyValidator>`: a property that should be returned comes back with its value and retention
//! (compared exactly), one that should not is absent. A name listed twice counts by its last entry, as the
//! validator's dictionary does.

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
            .rfind(|x| x.get("Name").and_then(Value::as_str) == Some(p.name.as_str()));
        match (p.should_be_returned, found) {
            (false, Some(_)) => out.extend(fail(
                format!("no content property {}", p.name),
                "returned".into(),
                "a property that was not uploaded, or was dropped (DeleteOnContentChange after a PutFile), is not returned (plus: file-transfer/get-chunked-file)",
            )),
            (true, None) => out.extend(fail(
                format!("content property {}", p.name),
                "absent".into(),
                "a requested property the file has is returned (plus: file-transfer/get-chunked-file)",
            )),
            (true, Some(x)) => {
                let value = x.get("Value").and_then(Value::as_str).unwrap_or_default();
                let retention = x.get("Retention").and_then(Value::as_str).unwrap_or_default();
                if value != p.expected_value || retention != p.expected_retention {
                    out.extend(fail(
                        format!("{} = '{}' ({})", p.name, p.expected_value, p.expected_retention),
                        format!("'{value}' ({retention})"),
                        "a content property comes back with the Value and Retention last uploaded (plus: file-transfer/put-chunked-file)",
                    ));
                }
            }
            (false, None) => {}
        }
    }
    out
}
