//! `<GetChunkedFile>` (CSPP Plus, `plus: file-transfer/get-chunked-file`): `<ContentPropertiesToReturn>` and
//! `<ContentFilters>` become the request's frame-stream message; each filter lists the chunk ids the client
//! already knows. The answer is a frame stream, never JSON text.

use wopi_protocol::cspp::message;
use wopi_protocol::cspp::properties::StreamId;
use wopi_protocol::cspp::spooky::ChunkId;
use wopi_protocol::ops::Op;

use super::wire::{BuildError, Wire, berr};
use super::{Address, Element, element};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{ContentFilter, RequestKind, Resource};

/// The chunking schemes, spelled as on the wire.
pub(crate) const SCHEMES: &str = "FullFile, Zip";

pub(super) const ELEMENT: Element = Element {
    children: &["ContentPropertiesToReturn", "ContentFilters"],
    binary_response: true,
    ..element("GetChunkedFile", Address::Op(Op::GetChunkedFile), parse)
};

fn parse(b: &mut Builder, r: &Node, _: &[Resource]) -> R<RequestKind> {
    let mut props = Vec::new();
    if let Some(p) = b.child(r, "ContentPropertiesToReturn") {
        b.check_children(p, &["ContentPropertyToReturn"])?;
        for c in &p.children {
            b.check_attrs(c, &["Value"])?;
            props.push(b.req(c, "Value")?);
        }
    }
    let f = b
        .child(r, "ContentFilters")
        .ok_or_else(|| b.err(r.pos, "<GetChunkedFile> needs <ContentFilters>"))?;
    b.check_children(f, &["ContentFilter"])?;
    let mut filters = Vec::new();
    for c in &f.children {
        b.check_attrs(
            c,
            &[
                "ChunkingScheme",
                "StreamId",
                "ChunksToReturn",
                "AlreadyExistingContent",
                "AlreadyExistingContentResourceId",
            ],
        )?;
        filters.push(ContentFilter {
            chunking_scheme: b.enum_attr(c, "ChunkingScheme", SCHEMES)?,
            stream_id: b.req(c, "StreamId")?,
            chunks_to_return: b.enum_attr(c, "ChunksToReturn", "All, None, LastZipChunk")?,
            already_existing_content: b.opt(c, "AlreadyExistingContent"),
            already_existing_content_resource_id: b.opt(c, "AlreadyExistingContentResourceId"),
        });
    }
    Ok(RequestKind::GetChunkedFile {
        properties_to_return: props,
        filters,
    })
}

pub(super) fn send(properties: &[String], filters: &[ContentFilter], w: &mut Wire) -> Result<(), BuildError> {
    if filters.is_empty() {
        return berr("GetChunkedFile needs at least one <ContentFilter> (the validator refuses to send none)");
    }
    let mut content_filters = Vec::with_capacity(filters.len());
    for f in filters {
        let known = w
            .env
            .stream_content(
                f.chunking_scheme,
                f.already_existing_content.as_deref(),
                f.already_existing_content_resource_id.as_deref(),
            )
            .map_err(|e| {
                BuildError(format!(
                    "ContentFilter of stream {}: already existing content: {e}",
                    f.stream_id
                ))
            })?;
        // The validator sends the keys of its blob dictionary: each known chunk ID once, first seen first.
        let mut ids: Vec<ChunkId> = Vec::new();
        for c in known.chunks() {
            let id = ChunkId::of(c);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        content_filters.push(message::ContentFilter {
            already_known_chunks: ids,
            chunking_scheme: f.chunking_scheme,
            chunks_to_return: f.chunks_to_return,
            stream_id: StreamId::new(f.stream_id.as_str()).map_err(|e| BuildError(format!("ContentFilter: {e}")))?,
        });
    }
    let request = message::GetChunkedFileRequest {
        content_filters,
        content_properties_to_return: properties.to_vec(),
    };
    let body = message::write_body("GetChunkedFile", &request, std::iter::empty::<&[u8]>())
        .map_err(|e| BuildError(e.to_string()))?;
    w.set_body(body);
    Ok(())
}
