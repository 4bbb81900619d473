//! The validator's JSON schemas (draft-04), checked by a small evaluator of exactly the keywords they use.
//!
//! The schema files are read at run time from the validator directory (`JsonSchemas/<Id>.json`), never copied
//! into the project. A schema using a keyword this evaluator does not know is rejected when loaded, so a check
//! can never pass silently because a keyword was ignored.

mod keywords;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::json::parse_lenient;
use keywords::validate;

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
