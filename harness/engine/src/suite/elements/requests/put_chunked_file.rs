//! `<PutChunkedFile>` (CSPP Plus, `plus: file-transfer/put-chunked-file`): the sequence number (literal or saved),
//! `X-WOPI-Lock`, `X-WOPI-CoauthLockId` and `X-WOPI-Editors` always sent, and a frame stream of the content
//! properties, each stream's chunk signatures and only the chunks the host does not already have. Our extension
//! `ext:CutTailBytes` drops the body's last bytes (a PutChunkedFile cut off mid-stream).

use std::collections::HashSet;

use wopi_protocol::cspp::chunking;
use wopi_protocol::cspp::message::{self, PutChunkedFileRequest, StreamSignature};
use wopi_protocol::cspp::properties::{self, StreamId};
use wopi_protocol::cspp::spooky::ChunkId;
use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::{BuildError, Wire};
use super::{Address, Element, element, lock_header};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{ContentProperty, ContentStream, PutChunkedFile, RequestKind, Resource};

pub(super) const ELEMENT: Element = Element {
    attrs: &[
        "SequenceNumber",
        "SequenceNumberStateKey",
        "Lock",
        "CoauthLockId",
        "Editors",
        "ext:CutTailBytes",
    ],
    children: &["ContentProperties", "ContentStreams", "UploadSessionTokenToCommit"],
    binary_response: true,
    ..element("PutChunkedFile", Address::Op(Op::PutChunkedFile), parse)
};

const STREAM_ATTRS: &[&str] = &[
    "ChunkingScheme",
    "StreamId",
    "NewContent",
    "LastKnownHostContent",
    "NewContentResourceId",
    "LastKnownHostContentResourceId",
];

fn parse(b: &mut Builder, r: &Node, _: &[Resource]) -> R<RequestKind> {
    let mut properties = Vec::new();
    if let Some(p) = b.child(r, "ContentProperties") {
        b.check_children(p, &["ContentProperty"])?;
        for c in &p.children {
            b.check_attrs(c, &["Name", "Value", "Retention"])?;
            properties.push(ContentProperty {
                name: b.req(c, "Name")?,
                value: b.req(c, "Value")?,
                retention: b.enum_attr(c, "Retention", "KeepOnContentChange, DeleteOnContentChange")?,
            });
        }
    }
    let s = b
        .child(r, "ContentStreams")
        .ok_or_else(|| b.err(r.pos, "<PutChunkedFile> needs <ContentStreams>"))?;
    b.check_children(s, &["ContentStream"])?;
    let mut streams = Vec::new();
    for c in &s.children {
        b.check_attrs(c, STREAM_ATTRS)?;
        streams.push(ContentStream {
            chunking_scheme: b.enum_attr(c, "ChunkingScheme", super::get_chunked_file::SCHEMES)?,
            stream_id: b.req(c, "StreamId")?,
            new_content: b.opt(c, "NewContent"),
            last_known_host_content: b.opt(c, "LastKnownHostContent"),
            new_content_resource_id: b.opt(c, "NewContentResourceId"),
            last_known_host_content_resource_id: b.opt(c, "LastKnownHostContentResourceId"),
        });
    }
    let upload_session_token = match b.child(r, "UploadSessionTokenToCommit") {
        Some(u) => Some(b.req(u, "Value")?),
        None => None,
    };
    Ok(RequestKind::PutChunkedFile(Box::new(PutChunkedFile {
        sequence_number: b.opt(r, "SequenceNumber"),
        sequence_number_state_key: b.opt(r, "SequenceNumberStateKey"),
        lock: b.opt(r, "Lock"),
        coauth_lock_id: b.opt(r, "CoauthLockId"),
        editors: b.opt(r, "Editors"),
        cut_tail_bytes: b.parse_attr(r, "ext:CutTailBytes", "a whole number of bytes")?,
        properties,
        streams,
        upload_session_token,
    })))
}

pub(super) fn send(p: &PutChunkedFile, w: &mut Wire) -> Result<(), BuildError> {
    // As the validator: the saved state when it parses as an int32, else the attribute, else an error.
    let from_state = p
        .sequence_number_state_key
        .as_deref()
        .and_then(|k| w.env.state(k).flatten())
        .and_then(|v| v.trim().parse::<i32>().ok());
    let seq = from_state
        .or_else(|| p.sequence_number.as_deref().and_then(|v| v.trim().parse::<i32>().ok()))
        .ok_or_else(|| {
            BuildError(
                "PutChunkedFile needs a sequence number (SequenceNumber or a saved SequenceNumberStateKey, a 32-bit integer)"
                    .into(),
            )
        })?;
    w.header(h::X_WOPI_SEQUENCE_NUMBER, &seq.to_string());
    lock_header::send_or_empty(w, p.lock.as_deref());
    w.header(h::X_WOPI_COAUTH_LOCK_ID, p.coauth_lock_id.as_deref().unwrap_or(""));
    w.header(h::X_WOPI_EDITORS, p.editors.as_deref().unwrap_or(""));
    if p.streams.is_empty() {
        return Err(BuildError(
            "PutChunkedFile needs at least one <ContentStream> (the validator refuses to send none)".into(),
        ));
    }
    // Each stream's new and last-known content, chunked by its scheme.
    let mut contents = Vec::with_capacity(p.streams.len());
    for s in &p.streams {
        let get = |text: Option<&str>, id: Option<&str>, what: &str| {
            w.env
                .stream_content(s.chunking_scheme, text, id)
                .map_err(|e| BuildError(format!("ContentStream {}: {what}: {e}", s.stream_id)))
        };
        let new = get(
            s.new_content.as_deref(),
            s.new_content_resource_id.as_deref(),
            "new content",
        )?;
        let known = get(
            s.last_known_host_content.as_deref(),
            s.last_known_host_content_resource_id.as_deref(),
            "last known host content",
        )?;
        contents.push((s, new, known));
    }
    let mut signatures = Vec::with_capacity(contents.len());
    // The chunks the host is not assumed to have; `write_body` sends each once, first seen first.
    let mut delta: Vec<&[u8]> = Vec::new();
    for (s, new, known) in &contents {
        let known: HashSet<ChunkId> = known.chunks().into_iter().map(ChunkId::of).collect();
        let chunks = new.chunks();
        delta.extend(chunks.iter().filter(|c| !known.contains(&ChunkId::of(c))));
        signatures.push(StreamSignature {
            chunk_signatures: chunking::signature(&chunks),
            chunking_scheme: s.chunking_scheme,
            stream_id: StreamId::new(s.stream_id.as_str()).map_err(|e| BuildError(format!("ContentStream: {e}")))?,
        });
    }
    let content_properties = p
        .properties
        .iter()
        .map(|c| {
            properties::ContentProperty::new(c.name.as_str(), c.value.as_str(), c.retention)
                .map_err(|e| BuildError(format!("ContentProperty: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let request = PutChunkedFileRequest {
        content_properties,
        signatures,
        upload_session_token_to_commit: p.upload_session_token.clone(),
    };
    let mut body = message::write_body("PutChunkedFile", &request, delta).map_err(|e| BuildError(e.to_string()))?;
    // ext:CutTailBytes: the body ends that many bytes early, as a connection cut mid-stream leaves it (the
    // Content-Length matches what is sent, so the host sees a frame stream without its end).
    if let Some(cut) = p.cut_tail_bytes {
        body.truncate(body.len().saturating_sub(cut));
    }
    w.set_body(body);
    Ok(())
}
