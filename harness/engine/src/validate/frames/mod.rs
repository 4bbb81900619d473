//! Incremental file transfer (GetChunkedFile / PutChunkedFile): SpookyHash chunk ids, the frame stream, the
//! message JSON the validator sends, and FramesValidator (validator-semantics.md §2.9).
//!
//! Only the FullFile chunking scheme can be reproduced: the Zip scheme's chunk fixtures are embedded resources
//! of the C# validator that are not available here, so a case that needs them fails with that reason.

mod codec;
mod content;
mod properties;
mod spooky;
mod streams;

use std::collections::HashMap;

use base64::Engine as _;

use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::FramesValidator;
use codec::{CHUNK, CHUNK_RANGE, END_FRAME, MESSAGE_JSON};

pub use codec::{Frame, decode, encode_request, get_chunked_file_message};
pub use content::{ZIP_FIXTURES_UNAVAILABLE, content_chunks, full_file_chunks};
pub use spooky::{chunk_id, chunk_id_bytes, spooky128};

/// One FramesValidator failure (the validator reports each broken expectation on its own).
fn fail(ctx: &Context<'_>, expected: String, actual: String, rule: &str) -> Vec<Failure> {
    vec![ctx.failure("FramesValidator", expected, actual, rule)]
}

/// Checks a GetChunkedFile answer.
pub(in crate::validate) fn frames_validator(
    v: &FramesValidator,
    resp: &ResponseView<'_>,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let fail = |expected: String, actual: String, rule: &str| fail(ctx, expected, actual, rule);
    let frames = match decode(resp.body) {
        Ok(f) => f,
        Err(e) => return fail("a frame stream".into(), e, "the body must be a stream of frames"),
    };
    let Some(first) = frames.first().filter(|f| f.kind == MESSAGE_JSON) else {
        return fail(
            "a MessageJSON frame first".into(),
            format!("{:?}", frames.first().map(|f| f.kind)),
            "the stream starts with the message",
        );
    };
    let message = match std::str::from_utf8(&first.payload)
        .ok()
        .and_then(|t| super::json::parse_lenient(t).ok())
    {
        Some(m) => m,
        None => {
            return fail(
                "JSON in the MessageJSON frame".into(),
                "not JSON".into(),
                "the message frame holds JSON",
            );
        }
    };
    match ctx.schemas.validate(&v.message_json_payload_schema, &message) {
        Ok(errors) if !errors.is_empty() => {
            return fail(
                format!("a message matching {}", v.message_json_payload_schema),
                errors.join("; "),
                "the message must match its schema",
            );
        }
        Err(e) => return fail("schema available".into(), e, "schema unavailable"),
        Ok(_) => {}
    }
    let mut chunks: HashMap<String, Vec<u8>> = HashMap::new();
    for f in &frames[1..] {
        match f.kind {
            CHUNK => {
                let id = chunk_id_bytes(&f.payload);
                if f.ext_header != id {
                    return fail(
                        "chunk ids equal to the SpookyHash of their payload".into(),
                        "a chunk whose id does not match".into(),
                        "chunk ids are content hashes",
                    );
                }
                chunks.insert(base64::engine::general_purpose::STANDARD.encode(id), f.payload.clone());
            }
            CHUNK_RANGE | END_FRAME => {}
            other => {
                return fail(
                    "Chunk, ChunkRange or End frames".into(),
                    format!("frame type {other}"),
                    "unknown frame type",
                );
            }
        }
    }
    let mut out = Vec::new();
    if let Some(n) = v.expected_host_blobs_count
        && usize::try_from(n).ok() != Some(chunks.len())
    {
        out.extend(fail(
            format!("{n} chunks"),
            format!("{} chunks", chunks.len()),
            "the host sends only the chunks the client lacks",
        ));
    }
    out.extend(streams::check(v, &message, &chunks, ctx));
    out.extend(properties::check(v, &message, ctx));
    out
}
