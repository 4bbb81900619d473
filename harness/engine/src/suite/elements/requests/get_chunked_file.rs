//! `<GetChunkedFile>` (CSPP Plus, `plus: file-transfer/get-chunked-file`): `<ContentPropertiesToReturn>` and
//! `<ContentFilters>` become the request's frame-stream message; each filter lists the chunk ids the client
//! already knows. The answer is a frame stream, never JSON text.

use wopi_protocol::ops::Op;

use super::wire::{BuildError, Wire};
use super::{Address, Element, element};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{ContentFilter, RequestKind, Resource};

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
            chunking_scheme: b.req(c, "ChunkingScheme")?,
            stream_id: b.req(c, "StreamId")?,
            chunks_to_return: b.req(c, "ChunksToReturn")?,
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
    let mut list = Vec::new();
    for f in filters {
        let known = w
            .env
            .content_chunks(
                &f.chunking_scheme,
                f.already_existing_content.as_deref(),
                f.already_existing_content_resource_id.as_deref(),
            )
            .map_err(BuildError)?;
        let ids = known.iter().map(|c| w.env.chunk_id(c)).collect();
        list.push((
            f.stream_id.clone(),
            ids,
            f.chunking_scheme.clone(),
            f.chunks_to_return.clone(),
        ));
    }
    let message = w.env.get_chunked_file_message(list, properties);
    let body = w.env.frames_body(&message, &[]);
    w.set_body(body);
    Ok(())
}
