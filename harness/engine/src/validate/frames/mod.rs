//! FramesValidator: a GetChunkedFile answer judged as the validator judges it (V:Validators/FramesValidator.cs;
//! cspp-plus.md §3, §4.6 and the Harness checklist), on top of [`wopi_protocol::cspp`].
//!
//! In the validator's order: the body is a frame stream ([`FrameStream::parse`]: MessageJSON first, Chunk frames
//! whose extended header is the SpookyHash of their payload, ChunkRange frames ignored, an EndFrame); the
//! message matches `GetChunkedFileResponseSchema`; `ExpectedHostBlobsCount` is the number of **distinct** chunk
//! IDs received; each `<ContentStreamValidator>` ([`streams`]) and `<ContentPropertyValidator>` ([`properties`]).
//!
//! Divergences, on purpose:
//! - Where the validator throws and aborts the run (a stream missing from the answer, a chunk neither received
//!   nor known, a stream cut off before its EndFrame), the request fails with what was wrong.
//! - The frame parser is stricter than the validator's: an EndFrame with a payload, a ChunkRange frame whose
//!   extended header is not 36 bytes, a second MessageJSON frame and sizes beyond [`Limits::default`] fail.
//! - A chunk whose bytes do not have the signature's `Length` fails (the validator only concatenates).
//! - Every broken expectation is reported, where the validator stops at the first (the verdict is the same).

mod properties;
mod streams;

use std::collections::HashMap;

use serde_json::Value;
use wopi_protocol::cspp::frame::{FrameError, FrameStream, Limits};
use wopi_protocol::cspp::spooky::ChunkId;

use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::FramesValidator;

/// The docs page of the frame format, named in failures.
const ENCODE_PAGE: &str = "plus: file-transfer/encode-send-data";

/// One FramesValidator failure.
fn fail(
    ctx: &Context<'_>,
    expected: impl Into<String>,
    actual: impl Into<String>,
    rule: impl Into<String>,
) -> Vec<Failure> {
    vec![ctx.failure("FramesValidator", expected, actual, rule)]
}

/// The rule a frame-stream error breaks.
fn frame_rule(e: &FrameError) -> String {
    let rule = match e {
        FrameError::Empty => "a GetChunkedFile answer is a frame stream, never an empty body",
        FrameError::Truncated { .. } | FrameError::MissingEndFrame { .. } => {
            "every frame is whole and the stream ends with an EndFrame"
        }
        FrameError::UndefinedType { .. } | FrameError::UnknownType { .. } => {
            "frame types are 1 EndFrame, 2 MessageJSON, 3 Chunk and 4 ChunkRange"
        }
        FrameError::ExtendedHeaderSize { .. } => {
            "a MessageJSON frame has no extended header, a Chunk frame the 16 bytes of its chunk ID"
        }
        FrameError::EndFramePayload { .. } => "an EndFrame has no payload",
        FrameError::ChunkIdMismatch { .. } => {
            "a Chunk frame's extended header is the SpookyHash V2 chunk ID of its payload (plus: file-transfer/chunk-streams)"
        }
        FrameError::FirstFrameNotMessage { .. } | FrameError::EmptyMessage | FrameError::SecondMessage { .. } => {
            "a stream starts with one non-empty MessageJSON frame"
        }
        FrameError::TooLarge { .. } | FrameError::TooManyFrames { .. } => {
            "frame sizes stay within the harness's bounds"
        }
    };
    format!("{rule} ({ENCODE_PAGE})")
}

/// Checks a GetChunkedFile answer.
pub(in crate::validate) fn frames_validator(
    v: &FramesValidator,
    resp: &ResponseView<'_>,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let stream = match FrameStream::parse(resp.body, &Limits::default()) {
        Ok(s) => s,
        Err(e) => return fail(ctx, "a well-formed frame stream", e.to_string(), frame_rule(&e)),
    };
    let message = match std::str::from_utf8(stream.message)
        .ok()
        .and_then(|t| super::json::parse_lenient(t).ok())
    {
        Some(m) => m,
        None => {
            return fail(
                ctx,
                "JSON in the MessageJSON frame",
                format!(
                    "{:?}",
                    String::from_utf8_lossy(stream.message)
                        .chars()
                        .take(120)
                        .collect::<String>()
                ),
                format!("the MessageJSON payload is UTF-8 JSON ({ENCODE_PAGE})"),
            );
        }
    };
    match ctx.schemas.validate(&v.message_json_payload_schema, &message) {
        Ok(errors) if !errors.is_empty() => {
            return fail(
                ctx,
                format!("a message matching {}", v.message_json_payload_schema),
                errors.join("; "),
                "the GetChunkedFile answer message must match its schema (plus: file-transfer/get-chunked-file)",
            );
        }
        Err(e) => return fail(ctx, "schema available", e, "schema unavailable"),
        Ok(_) => {}
    }
    // The validator's HostBlobs: one entry per distinct chunk ID (IDs verified by the parser).
    let mut received: HashMap<ChunkId, &[u8]> = HashMap::new();
    for (id, data) in &stream.chunks {
        received.entry(*id).or_insert(data);
    }
    let mut out = Vec::new();
    if let Some(n) = v.expected_host_blobs_count
        && usize::try_from(n).ok() != Some(received.len())
    {
        out.extend(fail(
            ctx,
            format!("{n} distinct chunks"),
            format!("{} distinct chunks in {} Chunk frames", received.len(), stream.chunks.len()),
            "the host sends the chunks the request asks for and the client lacks (ChunksToReturn, AlreadyKnownChunks; plus: file-transfer/get-chunked-file)",
        ));
    }
    out.extend(streams::check(v, &message, &received, ctx));
    out.extend(properties::check(v, &message, ctx));
    out
}

/// One stream of the answer: its chunk list (`ChunkId`, `Length` as sent) and scheme.
pub(super) struct Signature<'a> {
    pub chunks: Vec<(&'a str, Option<u64>)>,
    pub scheme: &'a str,
}

/// The answer's `Signatures` as the validator reads them: per StreamId, the chunks of the first signature and
/// the scheme of the last.
pub(super) fn signatures(message: &Value) -> HashMap<&str, Signature<'_>> {
    let mut out: HashMap<&str, Signature<'_>> = HashMap::new();
    for s in message
        .get("Signatures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = s.get("StreamId").and_then(Value::as_str) else {
            continue;
        };
        let scheme = s.get("ChunkingScheme").and_then(Value::as_str).unwrap_or_default();
        let chunks = s
            .get("ChunkSignatures")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c.get("ChunkId").and_then(Value::as_str).unwrap_or_default(),
                    c.get("Length").and_then(Value::as_u64),
                )
            })
            .collect();
        out.entry(id)
            .and_modify(|e| e.scheme = scheme)
            .or_insert(Signature { chunks, scheme });
    }
    out
}

#[cfg(test)]
mod tests;
