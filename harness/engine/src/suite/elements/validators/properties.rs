//! The property checks of `<JsonResponseContentValidator>`: `<BooleanProperty>`, `<IntegerProperty>`, ...
//! Each takes `Name`, `IsRequired` and `ExpectedStateKey` plus its own attributes.

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{JsonProperty, JsonPropertyKind};

const PROPERTIES: &[&str] = &[
    "BooleanProperty",
    "IntegerProperty",
    "LongProperty",
    "StringProperty",
    "StringRegexProperty",
    "AbsoluteUrlProperty",
    "ArrayProperty",
    "ArrayLengthProperty",
    "ResponseBodyProperty",
];

pub(super) fn names() -> Vec<&'static str> {
    PROPERTIES.to_vec()
}

/// `Name`, `IsRequired`, `ExpectedStateKey` plus the element's own attributes.
fn with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut a = vec!["Name", "IsRequired", "ExpectedStateKey"];
    a.extend_from_slice(extra);
    a
}

pub(super) fn parse(b: &mut Builder, p: &Node) -> R<JsonProperty> {
    b.enter(p);
    b.check_children(p, &[])?;
    let state_key = b.opt(p, "ExpectedStateKey");
    let kind = match p.name.as_str() {
        "BooleanProperty" => {
            b.check_attrs(p, &with(&["ExpectedValue"]))?;
            JsonPropertyKind::Boolean {
                expected: b.bool_attr(p, "ExpectedValue")?,
                state_key,
            }
        }
        "IntegerProperty" => {
            b.check_attrs(p, &with(&["ExpectedValue"]))?;
            JsonPropertyKind::Integer {
                expected: b.parse_attr(p, "ExpectedValue", "a 32-bit integer")?,
                state_key,
            }
        }
        "LongProperty" => {
            b.check_attrs(p, &with(&["ExpectedValue"]))?;
            JsonPropertyKind::Long {
                expected: b.parse_attr(p, "ExpectedValue", "a 64-bit integer")?,
                state_key,
            }
        }
        "StringProperty" => string(b, p, state_key)?,
        "StringRegexProperty" => string_regex(b, p)?,
        "AbsoluteUrlProperty" => {
            b.check_attrs(p, &with(&["MustIncludeAccessToken"]))?;
            JsonPropertyKind::AbsoluteUrl {
                must_include_access_token: b.bool_attr(p, "MustIncludeAccessToken")?.unwrap_or(false),
            }
        }
        "ArrayProperty" => {
            b.check_attrs(p, &with(&["ContainsValue"]))?;
            JsonPropertyKind::Array {
                contains_value: b.opt(p, "ContainsValue"),
                state_key,
            }
        }
        "ArrayLengthProperty" => {
            b.check_attrs(p, &with(&["ExpectedValue"]))?;
            JsonPropertyKind::ArrayLength {
                expected: b.parse_attr(p, "ExpectedValue", "a 32-bit integer")?.unwrap_or(0),
            }
        }
        "ResponseBodyProperty" => response_body(b, p)?,
        other => return Err(b.err(p.pos, format!("unknown property check <{other}>"))),
    };
    let prop = JsonProperty {
        name: b.req(p, "Name")?,
        is_required: b.bool_attr(p, "IsRequired")?.unwrap_or(false),
        kind,
        pos: p.pos,
    };
    b.leave();
    Ok(prop)
}

/// `<StringProperty ExpectedValue EndsWith IgnoreCase ext:DiffersFromState>`.
fn string(b: &Builder, p: &Node, state_key: Option<String>) -> R<JsonPropertyKind> {
    b.check_attrs(
        p,
        &with(&["ExpectedValue", "EndsWith", "IgnoreCase", "ext:DiffersFromState"]),
    )?;
    let differs_from_state = b.opt(p, "ext:DiffersFromState");
    if let Some(key) = &differs_from_state {
        if key.trim().is_empty() {
            return Err(b.err(p.pos, "ext:DiffersFromState needs a state name"));
        }
        // "Equal to X" and "different from Y" on one element reads as a contradiction; use two elements.
        if let Some(a) = ["ExpectedValue", "ExpectedStateKey"]
            .into_iter()
            .find(|a| b.attr(p, a).is_some())
        {
            return Err(b.err(
                p.pos,
                format!("{a} cannot be combined with ext:DiffersFromState; use a second StringProperty"),
            ));
        }
    }
    Ok(JsonPropertyKind::String {
        expected: b.opt(p, "ExpectedValue"),
        state_key,
        ends_with: b.opt(p, "EndsWith").filter(|s| !s.trim().is_empty()),
        ignore_case: b.bool_attr(p, "IgnoreCase")?.unwrap_or(false),
        differs_from_state,
    })
}

/// `<StringRegexProperty ExpectedValue ShouldMatch IgnoreCase>`: the pattern compiles at load.
fn string_regex(b: &Builder, p: &Node) -> R<JsonPropertyKind> {
    b.check_attrs(p, &with(&["ExpectedValue", "ShouldMatch", "IgnoreCase"]))?;
    let pattern = b.req(p, "ExpectedValue")?;
    let ignore_case = b.bool_attr(p, "IgnoreCase")?.unwrap_or(false);
    let regex = regex::RegexBuilder::new(&pattern)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| b.err(p.pos, format!("ExpectedValue is not a valid regular expression: {e}")))?;
    Ok(JsonPropertyKind::StringRegex {
        pattern,
        regex,
        should_match: b.bool_attr(p, "ShouldMatch")?.unwrap_or(true),
    })
}

/// `<ResponseBodyProperty ExpectedValue>`: the whole body, compared as JSON (lenient syntax allowed).
fn response_body(b: &Builder, p: &Node) -> R<JsonPropertyKind> {
    b.check_attrs(p, &with(&["ExpectedValue"]))?;
    let text = b.req(p, "ExpectedValue")?;
    let expected = crate::lenient_json::parse_lenient(&text).map_err(|e| {
        b.err(
            p.pos,
            format!("ExpectedValue is not JSON (lenient syntax allowed): {e}"),
        )
    })?;
    Ok(JsonPropertyKind::ResponseBody { expected })
}
