//! `<FramesValidator MessageJsonPayloadSchema ExpectedHostBlobsCount>` (CSPP Plus incremental file transfer),
//! with `<ContentStreamValidator>` and `<ContentPropertyValidator>` children.

use super::{known_schema, with};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{ContentPropertyCheck, ContentStreamCheck, FramesValidator, Resource, ValidatorKind};

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
            streams.push(ContentStreamCheck {
                stream_id: b.req(c, "StreamId")?,
                expected_chunking_scheme: b.req(c, "ExpectedChunkingScheme")?,
                already_existing_content: b.opt(c, "AlreadyExistingContent"),
                already_existing_content_resource_id: b.opt(c, "AlreadyExistingContentResourceId"),
                expected_content: b.opt(c, "ExpectedContent"),
                expected_content_resource_id: b.opt(c, "ExpectedContentResourceId"),
            });
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
