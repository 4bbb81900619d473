//! StringRegexProperty: the value must (or must not) match a regular expression.

use regex::Regex;

use super::Prop;
use super::values::{as_text, show};
use crate::report::model::Failure;

pub(super) fn check(prop: &Prop<'_>, pattern: &str, regex: &Regex, should_match: bool) -> Option<Failure> {
    let p = prop.p;
    let Some(v) = prop.actual else {
        return prop.absent();
    };
    // The engine fails a present null or "" even for an optional property (WopiHost#183).
    let text = as_text(v).filter(|t| !t.is_empty());
    let Some(text) = text else {
        return prop.fail(
            format!("a value matching /{pattern}/"),
            show(Some(v)),
            format!("{} must match /{pattern}/ when present", p.name),
        );
    };
    let is_match = regex.is_match(&text);
    if is_match != should_match {
        let exp = if should_match {
            format!("a value matching /{pattern}/")
        } else {
            format!("a value not matching /{pattern}/")
        };
        return prop.fail(
            exp,
            format!("'{text}'"),
            format!(
                "{} must {}match /{pattern}/",
                p.name,
                if should_match { "" } else { "not " }
            ),
        );
    }
    None
}
