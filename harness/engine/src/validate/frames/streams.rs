//! FramesValidator's streams: each expected stream is described, chunked with the expected scheme, and can be
//! rebuilt from the chunks sent and those the client already had, equal to the expected content.

use std::collections::HashMap;

use serde_json::Value;

use super::content::content_chunks;
use super::spooky::chunk_id;
use crate::report::model::Failure;
use crate::suite::FramesValidator;
use crate::validate::Context;

pub(super) fn check(
    v: &FramesValidator,
    message: &Value,
    chunks: &HashMap<String, Vec<u8>>,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let fail = |expected: String, actual: String, rule: &str| super::fail(ctx, expected, actual, rule);
    let mut out = Vec::new();
    let signatures = message
        .get("Signatures")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for s in &v.streams {
        let Some(sig) = signatures
            .iter()
            .find(|x| x.get("StreamId").and_then(Value::as_str) == Some(s.stream_id.as_str()))
        else {
            out.extend(fail(
                format!("stream {}", s.stream_id),
                "not returned".into(),
                "every requested stream is described",
            ));
            continue;
        };
        let scheme = sig.get("ChunkingScheme").and_then(Value::as_str).unwrap_or_default();
        if scheme != s.expected_chunking_scheme {
            out.extend(fail(
                format!("stream {} chunked with {}", s.stream_id, s.expected_chunking_scheme),
                scheme.to_string(),
                "the chunking scheme of the stream",
            ));
            continue;
        }
        let known = match content_chunks(
            ctx.suite,
            scheme,
            s.already_existing_content.as_deref(),
            s.already_existing_content_resource_id.as_deref(),
        ) {
            Ok(k) => k,
            Err(e) => {
                out.extend(fail("known content".into(), e, "content unavailable"));
                continue;
            }
        };
        let mut all = chunks.clone();
        for k in known {
            all.insert(chunk_id(&k), k);
        }
        let mut rebuilt = Vec::new();
        let mut missing = None;
        for cs in sig
            .get("ChunkSignatures")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = cs.get("ChunkId").and_then(Value::as_str).unwrap_or_default();
            match all.get(id) {
                Some(b) => rebuilt.extend_from_slice(b),
                None => missing = Some(id.to_string()),
            }
        }
        if let Some(id) = missing {
            out.extend(fail(
                format!("every chunk of stream {}", s.stream_id),
                format!("chunk {id} neither sent nor known"),
                "the stream can be rebuilt",
            ));
            continue;
        }
        let expected = match content_chunks(
            ctx.suite,
            scheme,
            s.expected_content.as_deref(),
            s.expected_content_resource_id.as_deref(),
        ) {
            Ok(c) => c.concat(),
            Err(e) => {
                out.extend(fail("expected content".into(), e, "content unavailable"));
                continue;
            }
        };
        if rebuilt != expected {
            out.extend(fail(
                format!("stream {}: '{}'", s.stream_id, String::from_utf8_lossy(&expected)),
                format!(
                    "'{}'",
                    String::from_utf8_lossy(&rebuilt).chars().take(120).collect::<String>()
                ),
                "the rebuilt stream equals what was uploaded",
            ));
        }
    }
    out
}
