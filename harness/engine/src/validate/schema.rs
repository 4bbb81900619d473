//! The validator's JSON schemas (draft-04), checked by a small evaluator of exactly the keywords they use.
//!
//! The schema files are read at run time from the validator directory (`JsonSchemas/<Id>.json`), never copied
//! into the project. A schema using a keyword this evaluator does not know is rejected when loaded, so a check
//! can never pass silently because a keyword was ignored.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::json::parse_lenient;

/// Keywords the evaluator implements (plus annotations it may ignore).
const KNOWN_KEYWORDS: &[&str] = &[
    "$schema",
    "id",
    "title",
    "description",
    "default",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "not",
    "oneOf",
    "anyOf",
    "allOf",
    "enum",
    "format",
    "maxLength",
    "minLength",
    "minimum",
    "maximum",
    "items",
    "minItems",
    "maxItems",
    "pattern",
];

/// Loaded schemas by id; a schema that failed to load keeps its reason, and one whose file is absent is kept
/// apart (see [`SchemaStore::missing`]).
#[derive(Debug, Default)]
pub struct SchemaStore {
    schemas: HashMap<String, Result<Value, String>>,
    /// Ids whose file does not exist (the validator directory is not on this machine).
    absent: HashSet<String>,
}

impl SchemaStore {
    /// Loads every known schema id from `dir` (normally `<validator dir>/JsonSchemas`).
    pub fn load(dir: &Path) -> SchemaStore {
        let mut schemas = HashMap::new();
        let mut absent = HashSet::new();
        for id in crate::suite::KNOWN_SCHEMAS {
            let path = dir.join(format!("{id}.json"));
            let text = std::fs::read_to_string(&path);
            if matches!(&text, Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
                absent.insert((*id).to_string());
            }
            let loaded = text
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
                .and_then(|t| parse_lenient(&t).map_err(|e| format!("{} is not JSON: {e}", path.display())))
                .and_then(|v| {
                    check_keywords(&v, "#")
                        .map(|()| v)
                        .map_err(|e| format!("{}: {e}", path.display()))
                });
            schemas.insert((*id).to_string(), loaded);
        }
        SchemaStore { schemas, absent }
    }

    /// Why schema `id` cannot be used when its file is simply not on this machine (the validator's files are
    /// read at run time, never shipped): a case that needs it cannot observe its rule and is skipped with this
    /// reason. `None` when the schema loaded, or failed to load for another reason (that fails the check).
    pub fn missing(&self, id: &str) -> Option<String> {
        match self.schemas.get(id) {
            Some(Err(e)) if self.absent.contains(id) => Some(format!(
                "needs the validator's JSON schema {id}, which is not on this machine ({e}); set \
                 --validator-suite or WOPI_VALIDATOR_DIR to where Microsoft's validator files are"
            )),
            _ => None,
        }
    }

    /// Adds (or replaces) a schema, for tests and our own suites.
    pub fn insert(&mut self, id: &str, schema: Value) -> Result<(), String> {
        check_keywords(&schema, "#")?;
        self.schemas.insert(id.to_string(), Ok(schema));
        self.absent.remove(id);
        Ok(())
    }

    /// Validates `instance`; `Err` when the schema itself is unavailable, `Ok(errors)` otherwise.
    pub fn validate(&self, id: &str, instance: &Value) -> Result<Vec<String>, String> {
        match self.schemas.get(id) {
            None => Err(format!("schema '{id}' is not loaded")),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(schema)) => {
                let mut errors = Vec::new();
                validate(schema, instance, "#", &mut errors);
                Ok(errors)
            }
        }
    }
}

fn check_keywords(schema: &Value, at: &str) -> Result<(), String> {
    let Value::Object(m) = schema else {
        return Err(format!("{at}: a schema must be an object"));
    };
    for (k, v) in m {
        if !KNOWN_KEYWORDS.contains(&k.as_str()) {
            return Err(format!("{at}: unsupported schema keyword '{k}'"));
        }
        match k.as_str() {
            "properties" => {
                if let Value::Object(props) = v {
                    for (name, s) in props {
                        check_keywords(s, &format!("{at}/properties/{name}"))?;
                    }
                }
            }
            "not" | "items" => check_keywords(v, &format!("{at}/{k}"))?,
            "additionalProperties" if v.is_object() => check_keywords(v, &format!("{at}/{k}"))?,
            "oneOf" | "anyOf" | "allOf" => {
                for (i, s) in v.as_array().into_iter().flatten().enumerate() {
                    check_keywords(s, &format!("{at}/{k}/{i}"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

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

fn validate(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Value::Object(s) = schema else { return };
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => is_type(v, t),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| is_type(v, t)),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: expected type {t}, found {}", super::json::type_name(v)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> SchemaStore {
        SchemaStore::load(&crate::suite::validator_dir().join("JsonSchemas"))
    }

    fn minimal_cfi() -> Value {
        json!({"BaseFileName": "a.wopitest", "OwnerId": "o", "Size": 3, "UserId": "u", "Version": "1"})
    }

    #[test]
    fn the_validators_schemas_load() {
        let s = store();
        for id in crate::suite::KNOWN_SCHEMAS {
            assert!(s.validate(id, &json!({})).is_ok(), "{id} did not load");
        }
    }

    #[test]
    fn minimal_check_file_info_passes_cspp_and_fails_cspp_plus() {
        let s = store();
        assert_eq!(
            s.validate("CsppCheckFileInfoSchema", &minimal_cfi()).unwrap(),
            Vec::<String>::new()
        );
        assert!(
            !s.validate("CsppPlusCheckFileInfoSchema", &minimal_cfi())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn wrong_types_missing_required_and_bad_uris_are_reported() {
        let s = store();
        let mut v = minimal_cfi();
        v["Size"] = json!("3");
        let errors = s.validate("CsppCheckFileInfoSchema", &v).unwrap();
        assert!(
            errors.iter().any(|e| e.contains("#/Size") && e.contains("integer")),
            "{errors:?}"
        );
        let mut v = minimal_cfi();
        v.as_object_mut().unwrap().remove("OwnerId");
        let errors = s.validate("CsppCheckFileInfoSchema", &v).unwrap();
        assert!(errors.iter().any(|e| e.contains("#/OwnerId: required")), "{errors:?}");
        let mut v = minimal_cfi();
        v["CloseUrl"] = json!("not a uri");
        assert!(!s.validate("CsppCheckFileInfoSchema", &v).unwrap().is_empty());
        let mut v = minimal_cfi();
        v["SupportsCoauth"] = json!(true);
        assert!(!s.validate("CsppCheckFileInfoSchema", &v).unwrap().is_empty());
    }

    #[test]
    fn a_schema_file_that_is_not_there_is_missing_one_that_is_broken_is_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("CsppCheckFileInfoSchema.json"), "{not json").unwrap();
        let s = SchemaStore::load(dir.path());
        assert!(s.missing("CsppCheckFileInfoSchema").is_none());
        assert!(s.validate("CsppCheckFileInfoSchema", &json!({})).is_err());
        let reason = s.missing("CsppPlusCheckFileInfoSchema").expect("absent file");
        assert!(reason.contains("WOPI_VALIDATOR_DIR"), "{reason}");
        assert!(store().missing("CsppCheckFileInfoSchema").is_none());
    }

    #[test]
    fn unknown_keywords_are_rejected_at_load() {
        let mut s = SchemaStore::default();
        assert!(s.insert("x", json!({"type": "object", "dependencies": {}})).is_err());
        assert!(s.validate("x", &json!({})).is_err());
    }
}
