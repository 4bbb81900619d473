//! One module per validator element: how each is read from the XML into its [`ValidatorKind`]. What each checks
//! lives in `crate::validate`; `ext:Severity` and `ValidationMessage`, which every validator takes, are read here.

mod combinator;
mod frames;
mod json_content;
mod json_schema;
mod lock_mismatch;
mod properties;
mod response_code;
mod response_content;
mod response_header;

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, Severity, Validator, ValidatorKind};

/// Reads a validator element's own attributes and children (the element is entered).
type Parse = fn(&mut Builder, &Node, &[Resource]) -> R<ValidatorKind>;

/// Every validator element, in the order messages list them.
const VALIDATORS: &[(&str, Parse)] = &[
    ("ResponseCodeValidator", response_code::parse),
    ("ResponseHeaderValidator", response_header::parse),
    ("LockMismatchValidator", lock_mismatch::parse),
    ("JsonResponseContentValidator", json_content::parse),
    ("JsonSchemaValidator", json_schema::parse),
    ("ResponseContentValidator", response_content::parse),
    ("FramesValidator", frames::parse),
    ("Or", combinator::parse),
    ("And", combinator::parse),
];

/// Schema ids the engine embeds; any other id is an error at load, as in the engine.
pub const KNOWN_SCHEMAS: &[&str] = &[
    "CsppCheckFileInfoSchema",
    "CsppPlusCheckFileInfoSchema",
    "CoauthTableSchema",
    "GetChunkedFileResponseSchema",
];

/// Every validator element name.
fn names() -> Vec<&'static str> {
    VALIDATORS.iter().map(|(n, _)| *n).collect()
}

/// The validators among `parent`'s children.
pub(crate) fn parse_all(b: &mut Builder, parent: &Node, resources: &[Resource]) -> R<Vec<Validator>> {
    let mut out = Vec::new();
    for v in &parent.children {
        out.push(parse(b, v, resources)?);
    }
    Ok(out)
}

fn parse(b: &mut Builder, v: &Node, resources: &[Resource]) -> R<Validator> {
    b.enter(v);
    let Some((_, parse)) = VALIDATORS.iter().find(|(n, _)| *n == v.name) else {
        return Err(b.err(
            v.pos,
            format!(
                "unknown validator <{}>; expected one of: {}",
                v.name,
                names().join(", ")
            ),
        ));
    };
    let kind = parse(b, v, resources)?;
    let severity = severity(b, v)?;
    b.leave();
    Ok(Validator {
        kind,
        severity,
        pos: v.pos,
    })
}

/// `ValidationMessage` plus the element's own attributes.
fn with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut a = vec!["ValidationMessage"];
    a.extend_from_slice(extra);
    a
}

/// `ext:Severity="Must|Should"`.
fn severity(b: &Builder, n: &Node) -> R<Severity> {
    match b.attr(n, "ext:Severity") {
        None => Ok(Severity::Must),
        Some(a) if a.value == "Must" => Ok(Severity::Must),
        Some(a) if a.value == "Should" => Ok(Severity::Should),
        Some(a) => Err(b.err(
            a.pos,
            format!("ext:Severity=\"{}\" is unknown; expected Must or Should", a.value),
        )),
    }
}

/// The required schema id `attr`, which must be one the engine embeds.
fn known_schema(b: &Builder, v: &Node, attr: &str) -> R<String> {
    let schema = b.req(v, attr)?;
    if !KNOWN_SCHEMAS.contains(&schema.as_str()) {
        return Err(b.err(
            v.pos,
            format!(
                "unknown schema '{schema}'; expected one of: {}",
                KNOWN_SCHEMAS.join(", ")
            ),
        ));
    }
    Ok(schema)
}
