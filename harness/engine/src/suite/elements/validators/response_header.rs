//! `<ResponseHeaderValidator Header ExpectedValue ExpectedStateKey Comparator IsRequired ShouldMatch
//! ext:Absent ext:CaseSensitive>`; `ext:Absent="true"` takes no other attribute about the value.

use super::with;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Comparator, Resource, ValidatorKind};

pub(super) fn parse(b: &mut Builder, v: &Node, _: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(
        v,
        &with(&[
            "Header",
            "ExpectedValue",
            "ExpectedStateKey",
            "Comparator",
            "IsRequired",
            "ShouldMatch",
            "ext:Absent",
            "ext:CaseSensitive",
        ]),
    )?;
    b.check_children(v, &[])?;
    if b.bool_attr(v, "ext:Absent")? == Some(true) {
        // Every other attribute says something about a present header: together they contradict.
        if let Some(a) = v
            .attrs
            .iter()
            .find(|a| !matches!(a.name.as_str(), "Header" | "ValidationMessage") && !a.name.starts_with("ext:"))
        {
            return Err(b.err(
                a.pos,
                format!(
                    "{} cannot be combined with ext:Absent=\"true\" (the header must be absent)",
                    a.name
                ),
            ));
        }
        return Ok(ValidatorKind::ResponseHeaderAbsent {
            header: b.req(v, "Header")?,
        });
    }
    let comparator = comparator(b, v)?;
    let case_sensitive = b.bool_attr(v, "ext:CaseSensitive")?.unwrap_or(false);
    if case_sensitive && comparator != Comparator::Eq {
        // Numeric comparisons have no case; accepting it would suggest a check that never happens.
        return Err(b.err(
            v.pos,
            format!(
                "ext:CaseSensitive applies to Comparator '=' only, not '{}'",
                comparator.symbol()
            ),
        ));
    }
    Ok(ValidatorKind::ResponseHeader {
        header: b.req(v, "Header")?,
        expected_value: b.opt(v, "ExpectedValue"),
        expected_state_key: b.opt(v, "ExpectedStateKey"),
        comparator,
        is_required: b.bool_attr(v, "IsRequired")?.unwrap_or(false),
        should_match: b.bool_attr(v, "ShouldMatch")?.unwrap_or(true),
        case_sensitive,
    })
}

fn comparator(b: &Builder, v: &Node) -> R<Comparator> {
    match b.opt(v, "Comparator").as_deref().map(str::trim) {
        None | Some("") | Some("=") => Ok(Comparator::Eq),
        Some(">") => Ok(Comparator::Gt),
        Some(">=") => Ok(Comparator::Ge),
        Some("<") => Ok(Comparator::Lt),
        Some("<=") => Ok(Comparator::Le),
        // The engine fails the request at run time; a suite error is more useful.
        Some(c) => Err(b.err(
            v.pos,
            format!("Comparator '{c}' is not valid; expected =, >, >=, < or <="),
        )),
    }
}
