//! `<FramesValidator MessageJsonPayloadSchema ExpectedHostBlobsCount>` (CSPP Plus incremental file transfer),
//! with `<ContentStreamValidator>` and `<ContentPropertyValidator>` children.

use super::{known_schema, with};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{
    ChunkingScheme, ContentPropertyCheck, ContentStreamCheck, FramesValidator, Resource, ValidatorKind,
};

const STREAM_ATTRS: &[&str] = &[
    "StreamId",
    "ExpectedChunkingScheme",
    "AlreadyExistingContent",
    "AlreadyExistingContentResourceId",
    "ExpectedContent",
    "ExpectedContentResourceId",
];

pub(super) fn parse(b: &mut Builder, v: &Node, _: &[Resource]) -> R<ValidatorKind> {
    b.check_attrs(v, &with(&["MessageJsonPayloadSchema", "ExpectedHostBlobsCount"]))?;
    b.check_children(v, &["ContentStreamValidator", "ContentPropertyValidator"])?;
    let mut streams = Vec::new();
    let mut properties = Vec::new();
    for c in &v.children {
        if c.name == "ContentStreamValidator" {
            b.check_attrs(c, STREAM_ATTRS)?;
            let check = ContentStreamCheck {
                stream_id: b.req(c, "StreamId")?,
                expected_chunking_scheme: b.enum_attr(c, "ExpectedChunkingScheme", "FullFile, Zip")?,
                already_existing_content: b.opt(c, "AlreadyExistingContent"),
                already_existing_content_resource_id: b.opt(c, "AlreadyExistingContentResourceId"),
                expected_content: b.opt(c, "ExpectedContent"),
                expected_content_resource_id: b.opt(c, "ExpectedContentResourceId"),
            };
            if let Some(problem) = content_problem(&check) {
                return Err(b.err(c.pos, problem));
            }
            streams.push(check);
        } else {
            b.check_attrs(c, &["Name", "ShouldBeReturned", "ExpectedValue", "ExpectedRetention"])?;
            properties.push(ContentPropertyCheck {
                name: b.req(c, "Name")?,
                should_be_returned: b.bool_attr(c, "ShouldBeReturned")?.unwrap_or(true),
                expected_value: b.opt(c, "ExpectedValue").unwrap_or_default(),
                expected_retention: b.opt(c, "ExpectedRetention").unwrap_or_default(),
            });
        }
    }
    let schema = known_schema(b, v, "MessageJsonPayloadSchema")?;
    Ok(ValidatorKind::Frames(Box::new(FramesValidator {
        message_json_payload_schema: schema,
        expected_host_blobs_count: b.parse_attr(v, "ExpectedHostBlobsCount", "an integer")?,
        streams,
        properties,
    })))
}

/// The validator's ContentStreamValidator constructor rules (it throws on these when the file is loaded): a
/// FullFile check compares inline text, so it gives both `AlreadyExistingContent` and `ExpectedContent` or
/// neither, and no resource id; a Zip check compares resources, so both `…ResourceId` or neither, and no text.
fn content_problem(c: &ContentStreamCheck) -> Option<String> {
    if c.stream_id.trim().is_empty() {
        return Some("<ContentStreamValidator> needs a non-empty StreamId".into());
    }
    let (pair, other, names, other_names) = match c.expected_chunking_scheme {
        ChunkingScheme::FullFile => (
            (&c.already_existing_content, &c.expected_content),
            (&c.already_existing_content_resource_id, &c.expected_content_resource_id),
            "AlreadyExistingContent and ExpectedContent",
            "AlreadyExistingContentResourceId or ExpectedContentResourceId",
        ),
        ChunkingScheme::Zip => (
            (&c.already_existing_content_resource_id, &c.expected_content_resource_id),
            (&c.already_existing_content, &c.expected_content),
            "AlreadyExistingContentResourceId and ExpectedContentResourceId",
            "AlreadyExistingContent or ExpectedContent",
        ),
    };
    let scheme = c.expected_chunking_scheme;
    if pair.0.is_some() != pair.1.is_some() {
        return Some(format!(
            "<ContentStreamValidator ExpectedChunkingScheme=\"{scheme}\"> needs both {names}, or neither"
        ));
    }
    if pair.0.is_some() && (other.0.is_some() || other.1.is_some()) {
        return Some(format!(
            "<ContentStreamValidator ExpectedChunkingScheme=\"{scheme}\"> compares {names}; {other_names} is not read"
        ));
    }
    None
}
