//! JsonResponseContentValidator and its property kinds (validator-semantics.md §2.4): the body must be a JSON
//! object, then each property element is checked by its own module.

mod absolute_url;
mod array;
mod array_length;
mod equality;
mod prop;
mod response_body;
mod scalar;
mod string;
mod string_regex;
mod values;

use serde_json::Value;

use super::json::{self, select, type_name};
use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::{JsonProperty, JsonPropertyKind};
use prop::Prop;

pub(super) fn check(
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

fn property(p: &JsonProperty, root: &Value, ctx: &Context<'_>) -> Option<Failure> {
    let check = format!("{} {}", p.kind.element_name(), p.name);
    let actual = match select(root, &p.name) {
        Ok(v) => v,
        Err(e) => {
            return Some(ctx.failure(
                check,
                format!("property {}", p.name),
                e.to_string(),
                "the body must be JSON with that property",
            ));
        }
    };
    let prop = Prop {
        p,
        actual,
        ctx,
        check: &check,
    };
    match &p.kind {
        JsonPropertyKind::StringRegex {
            pattern,
            regex,
            should_match,
        } => string_regex::check(&prop, pattern, regex, *should_match),
        JsonPropertyKind::AbsoluteUrl {
            must_include_access_token,
        } => absolute_url::check(&prop, *must_include_access_token),
        JsonPropertyKind::ArrayLength { expected } => array_length::check(&prop, *expected),
        JsonPropertyKind::ResponseBody { expected } => response_body::check(&prop, expected),
        _ => equality::check(&prop),
    }
}
