//! JsonSchemaValidator (the schemas themselves are checked by [`super::schema`]).

use super::{Context, ResponseView, json};
use crate::report::model::Failure;

/// JsonSchemaValidator: the body must be JSON matching the named schema of the validator.
pub(super) fn check(schema: &str, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let check = format!("JsonSchemaValidator {schema}");
    if resp.binary {
        return vec![ctx.failure(
            check,
            "a JSON body",
            "a binary response",
            "a schema applies only to JSON responses",
        )];
    }
    let Some(text) = resp.text() else {
        return vec![ctx.failure(
            check,
            format!("a JSON body matching {schema}"),
            "an empty body",
            "the response must have a JSON body",
        )];
    };
    let value = match json::parse_lenient(&text) {
        Ok(v) => v,
        Err(e) => {
            return vec![ctx.failure(
                check,
                format!("a JSON body matching {schema}"),
                format!("not JSON ({e})"),
                "the response must be JSON",
            )];
        }
    };
    match ctx.schemas.validate(schema, &value) {
        Err(e) => vec![ctx.failure(check, format!("a body matching {schema}"), "schema unavailable", e)],
        Ok(errors) if errors.is_empty() => Vec::new(),
        Ok(errors) => vec![ctx.failure(
            check,
            format!("a body matching {schema}"),
            errors.join("; "),
            format!("the body must match the {schema} JSON schema"),
        )],
    }
}
