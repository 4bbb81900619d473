//! The evaluator of the schema keywords the validator's schemas use (the list is checked at load, in `mod.rs`).

use serde_json::Value;

use crate::lenient_json::type_name;

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "any" => true,
        _ => false,
    }
}

fn valid(schema: &Value, v: &Value) -> bool {
    let mut e = Vec::new();
    validate(schema, v, "#", &mut e);
    e.is_empty()
}

pub(super) fn validate(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Value::Object(s) = schema else { return };
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => is_type(v, t),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| is_type(v, t)),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: expected type {t}, found {}", type_name(v)));
            return;
        }
    }
    if let Some(Value::Array(options)) = s.get("enum")
        && !options.contains(v)
    {
        errors.push(format!("{at}: {v} is not one of {}", Value::Array(options.clone())));
    }
    if let Some(n) = s.get("not")
        && valid(n, v)
    {
        errors.push(format!(
            "{at}: must not be present (or must not match the 'not' schema)"
        ));
    }
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            validate(sub, v, at, errors);
        }
    }
    if let Some(Value::Array(any)) = s.get("anyOf")
        && !any.iter().any(|sub| valid(sub, v))
    {
        errors.push(format!("{at}: matches none of the anyOf schemas"));
    }
    if let Some(Value::Array(one)) = s.get("oneOf") {
        let n = one.iter().filter(|sub| valid(sub, v)).count();
        if n != 1 {
            errors.push(format!("{at}: matches {n} of the oneOf schemas, expected exactly 1"));
        }
    }
    if let Value::String(text) = v {
        let len = text.encode_utf16().count() as u64;
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            errors.push(format!("{at}: string longer than {max}"));
        }
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            errors.push(format!("{at}: string shorter than {min}"));
        }
        if let Some(Value::String(f)) = s.get("format") {
            let ok = match f.as_str() {
                "uri" => url::Url::parse(text).is_ok(),
                "date-time" => is_date_time(text),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: '{text}' is not a valid {f}"));
            }
        }
        if let Some(Value::String(p)) = s.get("pattern") {
            match regex::Regex::new(p) {
                Ok(re) if !re.is_match(text) => errors.push(format!("{at}: '{text}' does not match /{p}/")),
                Ok(_) => {}
                Err(_) => errors.push(format!("{at}: the schema's pattern /{p}/ is not supported")),
            }
        }
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = s.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            errors.push(format!("{at}: {n} is less than the minimum {min}"));
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            errors.push(format!("{at}: {n} is greater than the maximum {max}"));
        }
    }
    if let Value::Array(items) = v {
        if let Some(item_schema) = s.get("items").filter(|i| i.is_object()) {
            for (i, item) in items.iter().enumerate() {
                validate(item_schema, item, &format!("{at}/{i}"), errors);
            }
        }
        if let Some(min) = s.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            errors.push(format!("{at}: fewer than {min} items"));
        }
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
            && items.len() as u64 > max
        {
            errors.push(format!("{at}: more than {max} items"));
        }
    }
    if let Value::Object(obj) = v {
        if let Some(Value::Array(req)) = s.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    errors.push(format!("{at}/{r}: required property is missing"));
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, pv) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(ps, pv, &format!("{at}/{k}"), errors),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{at}/{k}: additional property is not allowed")),
                    Some(ap @ Value::Object(_)) => validate(ap, pv, &format!("{at}/{k}"), errors),
                    _ => {}
                },
            }
        }
    }
}

/// A date-time as `DateTime.TryParse` would accept the usual forms: ISO 8601 with optional time and offset.
fn is_date_time(s: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$").ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(s.trim()))
}
