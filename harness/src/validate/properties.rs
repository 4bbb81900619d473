//! JsonResponseContentValidator and its property kinds (validator-semantics.md §2.4).

use serde_json::Value;

use super::json::{self, select, type_name};
use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::{JsonProperty, JsonPropertyKind};

/// Properties whose value, when no expected value is given, must be Unix milliseconds within ±10 years of now.
const TIMESTAMP_PROPERTIES: &[&str] = &["AccessTokenExpiry", "ServerTime", "AccessTokenValidFrom"];
const TEN_YEARS_MS: i64 = 10 * 365 * 24 * 3600 * 1000 + 3 * 24 * 3600 * 1000;

pub(super) fn json_content(
    should_exist: bool,
    properties: &[JsonProperty],
    no_null_properties: bool,
    resp: &ResponseView<'_>,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let check = "JsonResponseContentValidator";
    let text = resp.text().filter(|t| !t.is_empty());
    let Some(text) = text else {
        if should_exist {
            return vec![ctx.failure(check, "a JSON body", "no body", "the response must have a JSON body")];
        }
        return Vec::new();
    };
    if !should_exist {
        return vec![ctx.failure(
            check,
            "no body",
            format!("{} bytes", resp.body.len()),
            "the response must not have a body",
        )];
    }
    let root = match json::parse_lenient(&text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => {
            return vec![ctx.failure(
                check,
                "a JSON object",
                format!("a JSON {}", type_name(&other)),
                "the body must be a JSON object",
            )];
        }
        Err(e) => {
            return vec![ctx.failure(
                check,
                "a JSON object",
                format!("not JSON ({e})"),
                "the body must be JSON",
            )];
        }
    };
    let mut out: Vec<Failure> = properties.iter().filter_map(|p| property(p, &root, ctx)).collect();
    if no_null_properties {
        let mut nulls = Vec::new();
        null_paths(&root, "", &mut nulls);
        if !nulls.is_empty() {
            let mut f = ctx.failure(
                format!("{check} ext:NoNullProperties"),
                "no property set to null",
                format!("null: {}", nulls.join(", ")),
                "No properties should be set to null: omit one to leave it at its default (rest/_fragments/param_types.rst)",
            );
            // A SHOULD of the docs, whatever the validator's own severity.
            f.should_only = true;
            out.push(f);
        }
    }
    out
}

/// The JSONPath-like names of every `null` under `v` (`CloseUrl`, `Items[2].Name`), in document order.
fn null_paths(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Null => out.push(if at.is_empty() {
            "(the body)".into()
        } else {
            at.to_string()
        }),
        Value::Object(o) => {
            for (k, x) in o {
                let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                null_paths(x, &path, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                null_paths(x, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Empty in the engine's sense: missing, null, "", [] or {}.
fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 200 {
                format!("{}…", s.chars().take(200).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// `Value<string>()`: strings as is, numbers as their text, booleans as `True`/`False`.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(wopi_protocol::dotnet::bool_str(*b).into()),
        _ => None,
    }
}

/// `Value<bool>()` with Convert.ChangeType's leniency.
fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        _ => None,
    }
}

/// `Value<long>()`: integers, integral floats (rounded as .NET does) and numeric strings.
fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.2e18)
                .map(|f| f.round_ties_even() as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn property(p: &JsonProperty, root: &Value, ctx: &Context<'_>) -> Option<Failure> {
    let check = format!("{} {}", p.kind.element_name(), p.name);
    let fail =
        |expected: String, actual: String, rule: String| Some(ctx.failure(check.clone(), expected, actual, rule));
    let actual = match select(root, &p.name) {
        Ok(v) => v,
        Err(e) => {
            return fail(
                format!("property {}", p.name),
                e.to_string(),
                "the body must be JSON with that property".into(),
            );
        }
    };
    let required_missing = || {
        fail(
            format!("property {} present", p.name),
            format!("{} (absent, null or empty)", show(actual)),
            format!("{} is required", p.name),
        )
    };

    match &p.kind {
        JsonPropertyKind::StringRegex {
            pattern,
            regex,
            should_match,
        } => {
            let Some(v) = actual else {
                return if p.is_required { required_missing() } else { None };
            };
            // The engine fails a present null or "" even for an optional property (WopiHost#183).
            let text = as_text(v).filter(|t| !t.is_empty());
            let Some(text) = text else {
                return fail(
                    format!("a value matching /{pattern}/"),
                    show(Some(v)),
                    format!("{} must match /{pattern}/ when present", p.name),
                );
            };
            let is_match = regex.is_match(&text);
            if is_match != *should_match {
                let exp = if *should_match {
                    format!("a value matching /{pattern}/")
                } else {
                    format!("a value not matching /{pattern}/")
                };
                return fail(
                    exp,
                    format!("'{text}'"),
                    format!(
                        "{} must {}match /{pattern}/",
                        p.name,
                        if *should_match { "" } else { "not " }
                    ),
                );
            }
            None
        }
        JsonPropertyKind::AbsoluteUrl {
            must_include_access_token,
        } => {
            if is_empty(actual) {
                return if p.is_required { required_missing() } else { None };
            }
            let v = actual?;
            let Some(text) = as_text(v) else {
                return fail(
                    "an absolute URL".into(),
                    show(Some(v)),
                    format!("{} must be an absolute URL", p.name),
                );
            };
            let Ok(url) = url::Url::parse(&text) else {
                return fail(
                    "an absolute URL".into(),
                    format!("'{}'", wopi_protocol::transcript::redact_url(&text)),
                    format!("{} must be an absolute URL", p.name),
                );
            };
            if *must_include_access_token && !url.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case("access_token")) {
                return fail(
                    "a URL with an access_token query parameter".into(),
                    format!("'{}'", wopi_protocol::transcript::redact_url(&text)),
                    format!("{} must include the access_token query parameter", p.name),
                );
            }
            None
        }
        JsonPropertyKind::ArrayLength { expected } => {
            let Some(v) = actual else {
                return if p.is_required { required_missing() } else { None };
            };
            let Value::Array(a) = v else {
                return if p.is_required {
                    fail(
                        "an array".into(),
                        format!("a {}", type_name(v)),
                        format!("{} must be an array", p.name),
                    )
                } else {
                    None
                };
            };
            if i64::try_from(a.len()).ok() != Some(i64::from(*expected)) {
                return fail(
                    format!("{expected} elements"),
                    format!("{} elements", a.len()),
                    format!("{} must have {expected} elements", p.name),
                );
            }
            None
        }
        JsonPropertyKind::ResponseBody { expected } => {
            let Some(v) = actual else {
                return if p.is_required { required_missing() } else { None };
            };
            if !response_body_equal(expected, v) {
                return fail(
                    expected.to_string(),
                    show(Some(v)),
                    format!("{} must equal the expected value ('*' matches anything)", p.name),
                );
            }
            None
        }
        _ => equality(p, actual, ctx, &check),
    }
}

/// Boolean, Integer, Long, String and Array properties: the engine's shared rules.
fn equality(p: &JsonProperty, actual: Option<&Value>, ctx: &Context<'_>, check: &str) -> Option<Failure> {
    let fail =
        |expected: String, actual: String, rule: String| Some(ctx.failure(check.to_string(), expected, actual, rule));
    if is_empty(actual) {
        if p.is_required {
            return fail(
                format!("property {} present", p.name),
                format!("{} (absent, null or empty)", show(actual)),
                format!("{} is required", p.name),
            );
        }
        // The engine's rule: a missing optional property passes even when an expected value is given.
        return None;
    }
    let v = actual?;
    let state_key = match &p.kind {
        JsonPropertyKind::Boolean { state_key, .. }
        | JsonPropertyKind::Integer { state_key, .. }
        | JsonPropertyKind::Long { state_key, .. }
        | JsonPropertyKind::String { state_key, .. }
        | JsonPropertyKind::Array { state_key, .. } => state_key.as_deref(),
        _ => None,
    };
    let state_value = state_key.and_then(|k| ctx.state.get_nonempty(k));

    macro_rules! expect_scalar {
        ($expected:expr, $conv:expr, $tyname:expr) => {{
            let from_state = state_value.and_then(|s| $conv(&Value::String(s.to_string())));
            let expected = match (state_value, from_state, $expected) {
                (_, Some(e), _) => Some(e),
                (Some(_), None, Some(e)) => Some(e),
                (Some(s), None, None) => {
                    return fail(
                        format!("saved state of type {}", $tyname),
                        format!("'{s}'"),
                        "the saved value has the wrong type".into(),
                    );
                }
                (None, _, e) => e,
            };
            expected
        }};
    }

    match &p.kind {
        JsonPropertyKind::Boolean { expected, .. } => {
            let expected = expect_scalar!(*expected, as_bool, "Boolean");
            let Some(a) = as_bool(v) else {
                return fail(
                    "a boolean".into(),
                    show(Some(v)),
                    format!("{} must be a boolean", p.name),
                );
            };
            match expected {
                Some(e) if e != a => fail(format!("{e}"), format!("{a}"), format!("{} must be {e}", p.name)),
                Some(_) => None,
                None => timestamp_rule(p, v, ctx, check),
            }
        }
        JsonPropertyKind::Integer { expected, .. } => {
            let expected = expect_scalar!(expected.map(i64::from), as_i64, "Int32");
            let Some(a) = as_i64(v).filter(|a| i32::try_from(*a).is_ok()) else {
                return fail(
                    "a 32-bit integer".into(),
                    show(Some(v)),
                    format!("{} must be an integer", p.name),
                );
            };
            match expected {
                Some(e) if e != a => fail(e.to_string(), a.to_string(), format!("{} must be {e}", p.name)),
                Some(_) => None,
                None => timestamp_rule(p, v, ctx, check),
            }
        }
        JsonPropertyKind::Long { expected, .. } => {
            let expected = expect_scalar!(*expected, as_i64, "Int64");
            let Some(a) = as_i64(v) else {
                return fail(
                    "a 64-bit integer".into(),
                    show(Some(v)),
                    format!("{} must be an integer", p.name),
                );
            };
            match expected {
                Some(e) if e != a => fail(e.to_string(), a.to_string(), format!("{} must be {e}", p.name)),
                Some(_) => None,
                None => timestamp_rule(p, v, ctx, check),
            }
        }
        JsonPropertyKind::String {
            expected,
            ends_with,
            ignore_case,
            differs_from_state,
            ..
        } => {
            let expected = state_value.map(str::to_string).or_else(|| expected.clone());
            let Some(a) = as_text(v) else {
                return fail("a string".into(), show(Some(v)), format!("{} must be a string", p.name));
            };
            let eq = |x: &str, y: &str| {
                if *ignore_case {
                    x.to_lowercase() == y.to_lowercase()
                } else {
                    x == y
                }
            };
            if let Some(e) = &expected {
                if !eq(&a, e) {
                    return fail(
                        format!("'{e}'"),
                        format!("'{a}'"),
                        format!(
                            "{} must be '{e}'{}",
                            p.name,
                            if *ignore_case { " (ignoring case)" } else { "" }
                        ),
                    );
                }
            } else if let Some(f) = timestamp_rule(p, v, ctx, check) {
                return Some(f);
            }
            if let Some(key) = differs_from_state {
                let Some(saved) = ctx.state.get_nonempty(key) else {
                    return fail(
                        format!("a value different from saved state '{key}'"),
                        format!("'{a}' (nothing saved under '{key}')"),
                        format!("{} cannot be compared: no value was saved under '{key}'", p.name),
                    );
                };
                if eq(&a, saved) {
                    return fail(
                        format!("anything but '{saved}' (saved as '{key}')"),
                        format!("'{a}'"),
                        format!("{} must differ from the value saved as '{key}'", p.name),
                    );
                }
            }
            if let Some(suffix) = ends_with {
                let ok = if *ignore_case {
                    a.to_lowercase().ends_with(&suffix.to_lowercase())
                } else {
                    a.ends_with(suffix.as_str())
                };
                if !ok {
                    return fail(
                        format!("a value ending with '{suffix}'"),
                        format!("'{a}'"),
                        format!("{} must end with '{suffix}'", p.name),
                    );
                }
            }
            None
        }
        JsonPropertyKind::Array { contains_value, .. } => {
            let wanted = contains_value.clone().or_else(|| state_value.map(str::to_string));
            let wanted = wanted?;
            let Value::Array(items) = v else {
                return fail(
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
                        return fail(
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
                fail(
                    format!("an array containing '{wanted}'"),
                    show(Some(v)),
                    format!("{} must contain '{wanted}' (ignoring case)", p.name),
                )
            }
        }
        _ => None,
    }
}

/// With no expected value, AccessTokenExpiry/ServerTime/AccessTokenValidFrom must be Unix ms within ±10 years.
fn timestamp_rule(p: &JsonProperty, v: &Value, ctx: &Context<'_>, check: &str) -> Option<Failure> {
    if !TIMESTAMP_PROPERTIES.contains(&p.name.as_str()) {
        return None;
    }
    let ok = as_i64(v).is_some_and(|ms| (ctx.now_ms - TEN_YEARS_MS..=ctx.now_ms + TEN_YEARS_MS).contains(&ms));
    if ok {
        return None;
    }
    Some(ctx.failure(
        check.to_string(),
        "Unix milliseconds within 10 years of now",
        show(Some(v)),
        format!("{} must be a Unix time in milliseconds", p.name),
    ))
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
