//! `<PutChunkedFile>` (CSPP Plus, `plus: file-transfer/put-chunked-file`): the sequence number (literal or saved),
//! `X-WOPI-Lock`, `X-WOPI-CoauthLockId` and `X-WOPI-Editors` always sent, and a frame stream of the content
//! properties, each stream's chunk signatures and only the chunks the host does not already have.

use serde_json::{Value, json};
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
                retention: b.req(c, "Retention")?,
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
            chunking_scheme: b.req(c, "ChunkingScheme")?,
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
        properties,
        streams,
        upload_session_token,
    })))
}

pub(super) fn send(p: &PutChunkedFile, w: &mut Wire) -> Result<(), BuildError> {
    let from_state = p
        .sequence_number_state_key
        .as_deref()
        .and_then(|k| w.env.state(k).flatten().filter(|v| !v.is_empty()))
        .and_then(|v| v.trim().parse::<i64>().ok());
    let seq = from_state
        .or_else(|| p.sequence_number.as_deref().and_then(|v| v.trim().parse::<i64>().ok()))
        .ok_or_else(|| {
            BuildError(
                "PutChunkedFile needs a sequence number (SequenceNumber or a saved SequenceNumberStateKey)".into(),
            )
        })?;
    w.header(h::X_WOPI_SEQUENCE_NUMBER, &seq.to_string());
    lock_header::send_or_empty(w, p.lock.as_deref());
    w.header(h::X_WOPI_COAUTH_LOCK_ID, p.coauth_lock_id.as_deref().unwrap_or(""));
    w.header(h::X_WOPI_EDITORS, p.editors.as_deref().unwrap_or(""));
    let mut signatures = Vec::new();
    let mut send: Vec<Vec<u8>> = Vec::new();
    for s in &p.streams {
        signatures.push(stream(s, w, &mut send)?);
    }
    let props: Vec<Value> = p
        .properties
        .iter()
        .map(|c| json!({"Name": c.name, "Retention": c.retention, "Value": c.value}))
        .collect();
    let message = json!({
        "ContentProperties": props,
        "Signatures": signatures,
        "UploadSessionTokenToCommit": p.upload_session_token,
    });
    let body = w.env.frames_body(&message, &send);
    w.set_body(body);
    Ok(())
}

/// One stream's signatures; its chunks the host lacks join `send`, each chunk once across streams.
fn stream(s: &ContentStream, w: &Wire, send: &mut Vec<Vec<u8>>) -> Result<Value, BuildError> {
    let chunks =
        |text: Option<&str>, id: Option<&str>| w.env.content_chunks(&s.chunking_scheme, text, id).map_err(BuildError);
    let new = chunks(s.new_content.as_deref(), s.new_content_resource_id.as_deref())?;
    let known = chunks(
        s.last_known_host_content.as_deref(),
        s.last_known_host_content_resource_id.as_deref(),
    )?;
    let known_ids: Vec<String> = known.iter().map(|c| w.env.chunk_id(c)).collect();
    let sigs: Vec<Value> = new
        .iter()
        .map(|c| json!({"ChunkId": w.env.chunk_id(c), "Length": c.len()}))
        .collect();
    for c in new {
        if !known_ids.contains(&w.env.chunk_id(&c)) && !send.contains(&c) {
            send.push(c);
        }
    }
    Ok(json!({"ChunkSignatures": sigs, "ChunkingScheme": s.chunking_scheme, "StreamId": s.stream_id}))
}
