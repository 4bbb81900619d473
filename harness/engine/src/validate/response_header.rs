//! ResponseHeaderValidator and our `ext:Absent` form of it.

use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::Comparator;

/// ResponseHeaderValidator: presence, then `=` (case-insensitive unless ext:CaseSensitive) or a numeric comparator.
#[allow(clippy::too_many_arguments)]
pub(super) fn check(
    header: &str,
    expected_value: Option<&str>,
    expected_state_key: Option<&str>,
    comparator: Comparator,
    is_required: bool,
    should_match: bool,
    case_sensitive: bool,
    resp: &ResponseView<'_>,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let check = if case_sensitive {
        format!("ResponseHeaderValidator {header} ext:CaseSensitive")
    } else {
        format!("ResponseHeaderValidator {header}")
    };
    let Some(actual) = resp.header(header) else {
        if is_required {
            return vec![ctx.failure(
                check,
                format!("header {header} present"),
                "header absent",
                format!("the response must include {header}"),
            )];
        }
        return Vec::new();
    };
    let expected: Option<String> = match expected_state_key.and_then(|k| ctx.state.get_nonempty(k)) {
        Some(v) => Some(v.to_string()),
        None => expected_value.map(str::to_string),
    };
    match comparator {
        Comparator::Eq => {
            let Some(expected) = expected else { return Vec::new() };
            if !should_match && actual.is_empty() && expected.is_empty() {
                return vec![ctx.failure(
                    check,
                    "any non-empty value",
                    "an empty value",
                    format!("{header} must not be empty"),
                )];
            }
            let equal = if case_sensitive {
                actual == expected
            } else {
                actual.eq_ignore_ascii_case(&expected) || actual.to_lowercase() == expected.to_lowercase()
            };
            let how = if case_sensitive {
                "compared exactly, case included"
            } else {
                "compared ignoring case"
            };
            match (should_match, equal) {
                (true, false) => vec![ctx.failure(
                    check,
                    format!("'{expected}'"),
                    format!("'{actual}'"),
                    format!("{header} must be '{expected}' ({how})"),
                )],
                (false, true) => vec![ctx.failure(
                    check,
                    format!("anything but '{expected}'"),
                    format!("'{actual}'"),
                    format!("{header} must differ from '{expected}'"),
                )],
                _ => Vec::new(),
            }
        }
        op => {
            let exp_text = expected.unwrap_or_default();
            let a = actual.trim().parse::<i32>();
            let e = exp_text.trim().parse::<i32>();
            let (Ok(a), Ok(e)) = (a, e) else {
                return vec![ctx.failure(
                    check,
                    format!(
                        "a 32-bit integer {} {}",
                        op.symbol(),
                        if exp_text.is_empty() {
                            "(no expected value)"
                        } else {
                            &exp_text
                        }
                    ),
                    format!("'{actual}'"),
                    format!(
                        "{header} must compare as an integer with {}",
                        if exp_text.is_empty() {
                            "a saved value that was never saved"
                        } else {
                            &exp_text
                        }
                    ),
                )];
            };
            let holds = match op {
                Comparator::Gt => a > e,
                Comparator::Ge => a >= e,
                Comparator::Lt => a < e,
                Comparator::Le => a <= e,
                Comparator::Eq => a == e,
            };
            if holds {
                Vec::new()
            } else {
                vec![ctx.failure(
                    check,
                    format!("{} {e}", op.symbol()),
                    a.to_string(),
                    format!("{header} must be {} {e}", op.symbol()),
                )]
            }
        }
    }
}

/// `ResponseHeaderValidator ext:Absent`: the header must not be in the response.
pub(super) fn absent(header: &str, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    match resp.header(header) {
        None => Vec::new(),
        Some(actual) => vec![ctx.failure(
            format!("ResponseHeaderValidator {header} ext:Absent"),
            format!("no {header} header"),
            format!("'{actual}'"),
            format!("the response should not include {header}"),
        )],
    }
}
