//! `<ContentStreamValidator>`: the answer's scheme for the stream equals `ExpectedChunkingScheme` (case-sensitive),
//! and the stream rebuilt from its signature, each chunk received or already known
//! (`AlreadyExistingContent[ResourceId]`), equals the expected content (text for FullFile, the fixture for Zip).

use std::collections::HashMap;

use serde_json::Value;
use wopi_protocol::cspp::chunking::{ChunkSignature, ChunkingScheme, ReassembleError, reassemble};
use wopi_protocol::cspp::spooky::ChunkId;

use super::signatures;
use crate::report::model::Failure;
use crate::suite::content::{Content, stream_content};
use crate::suite::{ContentStreamCheck, FramesValidator};
use crate::validate::Context;

const GET_PAGE: &str = "plus: file-transfer/get-chunked-file";
/// Bound on the bytes a host's signature may add up to (checked before anything is copied).
const MAX_STREAM: u64 = 1 << 30;

pub(super) fn check(
    v: &FramesValidator,
    message: &Value,
    received: &HashMap<ChunkId, &[u8]>,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let sigs = signatures(message);
    v.streams
        .iter()
        .filter_map(|s| one(s, &sigs, received, ctx).err())
        .flatten()
        .collect()
}

fn one(
    s: &ContentStreamCheck,
    sigs: &HashMap<&str, super::Signature<'_>>,
    received: &HashMap<ChunkId, &[u8]>,
    ctx: &Context<'_>,
) -> Result<(), Vec<Failure>> {
    let fail = |expected: String, actual: String, rule: String| super::fail(ctx, expected, actual, rule);
    let stream = &s.stream_id;
    let Some(sig) = sigs.get(stream.as_str()) else {
        // The validator throws KeyNotFoundException here and aborts the run.
        return Err(fail(
            format!("a signature for stream {stream}"),
            format!(
                "Signatures lists {}",
                if sigs.is_empty() {
                    "no stream".to_string()
                } else {
                    let mut ids: Vec<&str> = sigs.keys().copied().collect();
                    ids.sort_unstable();
                    ids.join(", ")
                }
            ),
            format!(
                "the answer has a signature for every requested stream, a nonexistent one as Zip with no chunk ({GET_PAGE})"
            ),
        ));
    };
    let expected_scheme = s.expected_chunking_scheme.to_string();
    if sig.scheme != expected_scheme {
        return Err(fail(
            format!("stream {stream} chunked with {expected_scheme}"),
            format!("ChunkingScheme '{}'", sig.scheme),
            format!(
                "the host answers with the scheme of the stored content, whatever the request asked for: a zip archive is Zip, other content FullFile, a nonexistent stream Zip; compared case-sensitively ({GET_PAGE})"
            ),
        ));
    }
    let (existing, expected) = match s.expected_chunking_scheme {
        ChunkingScheme::FullFile => (
            (s.already_existing_content.as_deref(), None),
            (s.expected_content.as_deref(), None),
        ),
        ChunkingScheme::Zip => (
            (None, s.already_existing_content_resource_id.as_deref()),
            (None, s.expected_content_resource_id.as_deref()),
        ),
    };
    if existing == (None, None) && expected == (None, None) {
        // Only the scheme is checked (as the validator does).
        return Ok(());
    }
    let content = |(text, id): (Option<&str>, Option<&str>), what: &str| -> Result<Content, Vec<Failure>> {
        stream_content(ctx.suite, s.expected_chunking_scheme, text, id).map_err(|e| {
            fail(
                format!("the {what} content of stream {stream}"),
                e.to_string(),
                "the content this check compares with must be available to the harness".into(),
            )
        })
    };
    let known = content(existing, "already known")?;
    let mut lookup: HashMap<ChunkId, &[u8]> = received.clone();
    for c in known.chunks() {
        lookup.entry(ChunkId::of(c)).or_insert(c);
    }
    let mut signature = Vec::with_capacity(sig.chunks.len());
    for (i, (id, length)) in sig.chunks.iter().enumerate() {
        let Ok(chunk_id) = ChunkId::parse(id) else {
            return Err(fail(
                format!("chunk {i} of stream {stream} named by a base64 chunk ID of 16 bytes"),
                format!("ChunkId '{id}'"),
                format!("a chunk ID is the base64 of the 16-byte SpookyHash V2 of the chunk ({GET_PAGE})"),
            ));
        };
        let Some(length) = length else {
            return Err(fail(
                format!("chunk {i} of stream {stream} with a Length"),
                "no non-negative integer Length".into(),
                format!("each chunk signature gives the chunk's Length ({GET_PAGE})"),
            ));
        };
        signature.push(ChunkSignature {
            chunk_id,
            length: *length,
        });
    }
    let rebuilt = reassemble(&signature, |id| lookup.get(id).copied(), MAX_STREAM).map_err(|e| {
        let rule = match e {
            ReassembleError::MissingChunk { .. } => format!(
                "the host sends every chunk of the signature the client does not already know, so the stream can be rebuilt ({GET_PAGE})"
            ),
            ReassembleError::LengthMismatch { .. } => {
                format!("each chunk signature's Length is the chunk's size in bytes ({GET_PAGE})")
            }
            ReassembleError::TooLarge { .. } => "the signature adds up to a size the harness can rebuild".into(),
        };
        fail(format!("stream {stream} rebuilt from its signature"), e.to_string(), rule)
    })?;
    let want = content(expected, "expected")?;
    match s.expected_chunking_scheme {
        // The validator compares the UTF-8 decoding with the expected string.
        ChunkingScheme::FullFile => {
            let got = String::from_utf8_lossy(&rebuilt);
            let want = String::from_utf8_lossy(want.bytes());
            if got != want {
                return Err(fail(
                    format!("stream {stream}: '{want}'"),
                    format!("'{}'", got.chars().take(120).collect::<String>()),
                    format!("the stream rebuilt from the answer equals what was last uploaded ({GET_PAGE})"),
                ));
            }
        }
        ChunkingScheme::Zip => {
            if rebuilt != want.bytes() {
                let at = rebuilt.iter().zip(want.bytes()).position(|(a, b)| a != b);
                return Err(fail(
                    format!(
                        "stream {stream}: the {} bytes of resource {}",
                        want.bytes().len(),
                        s.expected_content_resource_id.as_deref().unwrap_or_default()
                    ),
                    match at {
                        Some(at) => format!("{} bytes, differing from byte {at}", rebuilt.len()),
                        None => format!("{} bytes", rebuilt.len()),
                    },
                    format!("the stream rebuilt from the answer equals what was last uploaded ({GET_PAGE})"),
                ));
            }
        }
    }
    Ok(())
}
