//! How the engine reads JSON values (Newtonsoft's `Value<T>()` conversions) and shows them in failures.

use serde_json::Value;

use super::Prop;
use crate::report::model::Failure;

/// Properties whose value, when no expected value is given, must be Unix milliseconds within ±10 years of now.
const TIMESTAMP_PROPERTIES: &[&str] = &["AccessTokenExpiry", "ServerTime", "AccessTokenValidFrom"];
const TEN_YEARS_MS: i64 = 10 * 365 * 24 * 3600 * 1000 + 3 * 24 * 3600 * 1000;

/// Empty in the engine's sense: missing, null, "", [] or {}.
pub(super) fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

pub(super) fn show(v: Option<&Value>) -> String {
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
pub(super) fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(wopi_protocol::dotnet::bool_str(*b).into()),
        _ => None,
    }
}

/// `Value<bool>()` with Convert.ChangeType's leniency.
pub(super) fn as_bool(v: &Value) -> Option<bool> {
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
pub(super) fn as_i64(v: &Value) -> Option<i64> {
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

/// With no expected value, AccessTokenExpiry/ServerTime/AccessTokenValidFrom must be Unix ms within ±10 years.
pub(super) fn timestamp_rule(prop: &Prop<'_>, v: &Value) -> Option<Failure> {
    let (p, ctx) = (prop.p, prop.ctx);
    if !TIMESTAMP_PROPERTIES.contains(&p.name.as_str()) {
        return None;
    }
    let ok = as_i64(v).is_some_and(|ms| (ctx.now_ms - TEN_YEARS_MS..=ctx.now_ms + TEN_YEARS_MS).contains(&ms));
    if ok {
        return None;
    }
    prop.fail(
        "Unix milliseconds within 10 years of now".into(),
        show(Some(v)),
        format!("{} must be a Unix time in milliseconds", p.name),
    )
}
