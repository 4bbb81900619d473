//! Incremental file transfer (GetChunkedFile / PutChunkedFile): SpookyHash chunk ids, the frame stream, the
//! message JSON the validator sends, and FramesValidator (validator-semantics.md §2.9).
//!
//! Only the FullFile chunking scheme can be reproduced: the Zip scheme's chunk fixtures are embedded resources
//! of the C# validator that are not available here, so a case that needs them fails with that reason.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::{FramesValidator, Resource, Suite};

/// Frame types.
const END_FRAME: u32 = 1;
const MESSAGE_JSON: u32 = 2;
const CHUNK: u32 = 3;
const CHUNK_RANGE: u32 = 4;
/// Bound on the frames of one response (a hostile host must not make us loop for ever).
const MAX_FRAMES: usize = 100_000;

/// Why content cannot be chunked here.
pub const ZIP_FIXTURES_UNAVAILABLE: &str =
    "the Zip chunking scheme needs the validator's embedded chunk fixtures, which are not available to this harness";

// ---------------------------------------------------------------- SpookyHash V2 (Bob Jenkins), 128-bit

const SC_CONST: u64 = 0xdead_beef_dead_beef;

fn rd64(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

fn rd32(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u64::from(u32::from_le_bytes(w))
}

fn short_mix(h: &mut [u64; 4]) {
    let [mut h0, mut h1, mut h2, mut h3] = *h;
    for (r0, r1, r2, r3) in [(50, 52, 30, 41), (54, 48, 38, 37), (62, 34, 5, 36)] {
        h2 = h2.rotate_left(r0).wrapping_add(h3);
        h0 ^= h2;
        h3 = h3.rotate_left(r1).wrapping_add(h0);
        h1 ^= h3;
        h0 = h0.rotate_left(r2).wrapping_add(h1);
        h2 ^= h0;
        h1 = h1.rotate_left(r3).wrapping_add(h2);
        h3 ^= h1;
    }
    *h = [h0, h1, h2, h3];
}

fn short_end(h: &mut [u64; 4]) {
    let [mut h0, mut h1, mut h2, mut h3] = *h;
    h3 ^= h2;
    h2 = h2.rotate_left(15);
    h3 = h3.wrapping_add(h2);
    h0 ^= h3;
    h3 = h3.rotate_left(52);
    h0 = h0.wrapping_add(h3);
    h1 ^= h0;
    h0 = h0.rotate_left(26);
    h1 = h1.wrapping_add(h0);
    h2 ^= h1;
    h1 = h1.rotate_left(51);
    h2 = h2.wrapping_add(h1);
    h3 ^= h2;
    h2 = h2.rotate_left(28);
    h3 = h3.wrapping_add(h2);
    h0 ^= h3;
    h3 = h3.rotate_left(9);
    h0 = h0.wrapping_add(h3);
    h1 ^= h0;
    h0 = h0.rotate_left(47);
    h1 = h1.wrapping_add(h0);
    h2 ^= h1;
    h1 = h1.rotate_left(54);
    h2 = h2.wrapping_add(h1);
    h3 ^= h2;
    h2 = h2.rotate_left(32);
    h3 = h3.wrapping_add(h2);
    h0 ^= h3;
    h3 = h3.rotate_left(25);
    h0 = h0.wrapping_add(h3);
    h1 ^= h0;
    h0 = h0.rotate_left(63);
    h1 = h1.wrapping_add(h0);
    *h = [h0, h1, h2, h3];
}

fn spooky_short(msg: &[u8], seed1: u64, seed2: u64) -> (u64, u64) {
    let length = msg.len();
    let mut h = [seed1, seed2, SC_CONST, SC_CONST];
    let mut p = 0;
    let mut remainder = length % 32;
    if length > 15 {
        let end = (length / 32) * 32;
        while p < end {
            h[2] = h[2].wrapping_add(rd64(msg, p));
            h[3] = h[3].wrapping_add(rd64(msg, p + 8));
            short_mix(&mut h);
            h[0] = h[0].wrapping_add(rd64(msg, p + 16));
            h[1] = h[1].wrapping_add(rd64(msg, p + 24));
            p += 32;
        }
        if remainder >= 16 {
            h[2] = h[2].wrapping_add(rd64(msg, p));
            h[3] = h[3].wrapping_add(rd64(msg, p + 8));
            short_mix(&mut h);
            p += 16;
            remainder -= 16;
        }
    }
    h[3] = h[3].wrapping_add((length as u64) << 56);
    let t = &msg[p..];
    let byte = |i: usize| u64::from(t[i]);
    let (mut c, mut d) = (h[2], h[3]);
    match remainder {
        12..=15 => {
            if remainder >= 15 {
                d = d.wrapping_add(byte(14) << 48);
            }
            if remainder >= 14 {
                d = d.wrapping_add(byte(13) << 40);
            }
            if remainder >= 13 {
                d = d.wrapping_add(byte(12) << 32);
            }
            d = d.wrapping_add(rd32(t, 8));
            c = c.wrapping_add(rd64(t, 0));
        }
        8..=11 => {
            if remainder >= 11 {
                d = d.wrapping_add(byte(10) << 16);
            }
            if remainder >= 10 {
                d = d.wrapping_add(byte(9) << 8);
            }
            if remainder >= 9 {
                d = d.wrapping_add(byte(8));
            }
            c = c.wrapping_add(rd64(t, 0));
        }
        4..=7 => {
            if remainder >= 7 {
                c = c.wrapping_add(byte(6) << 48);
            }
            if remainder >= 6 {
                c = c.wrapping_add(byte(5) << 40);
            }
            if remainder >= 5 {
                c = c.wrapping_add(byte(4) << 32);
            }
            c = c.wrapping_add(rd32(t, 0));
        }
        1..=3 => {
            if remainder >= 3 {
                c = c.wrapping_add(byte(2) << 16);
            }
            if remainder >= 2 {
                c = c.wrapping_add(byte(1) << 8);
            }
            c = c.wrapping_add(byte(0));
        }
        _ => {
            c = c.wrapping_add(SC_CONST);
            d = d.wrapping_add(SC_CONST);
        }
    }
    h[2] = c;
    h[3] = d;
    short_end(&mut h);
    (h[0], h[1])
}

fn mix(data: &[u8], s: &mut [u64; 12]) {
    const ROT: [u32; 12] = [11, 32, 43, 31, 17, 28, 39, 57, 55, 54, 22, 46];
    for i in 0..12 {
        s[i] = s[i].wrapping_add(rd64(data, i * 8));
        s[(i + 2) % 12] ^= s[(i + 10) % 12];
        s[(i + 11) % 12] ^= s[i];
        s[i] = s[i].rotate_left(ROT[i]);
        s[(i + 11) % 12] = s[(i + 11) % 12].wrapping_add(s[(i + 1) % 12]);
    }
}

fn end_partial(h: &mut [u64; 12]) {
    const ROT: [u32; 12] = [44, 15, 34, 21, 38, 33, 10, 13, 38, 53, 42, 54];
    for (i, rot) in ROT.into_iter().enumerate() {
        // h[i+11] += h[i+1]; h[i+2] ^= h[i+11]; h[i+1] = rot(h[i+1])
        let a = (i + 11) % 12;
        let b = (i + 1) % 12;
        let c = (i + 2) % 12;
        h[a] = h[a].wrapping_add(h[b]);
        h[c] ^= h[a];
        h[b] = h[b].rotate_left(rot);
    }
}

/// SpookyHash V2, 128 bits, seeds 0 and 0: the validator's chunk id function.
pub fn spooky128(msg: &[u8]) -> (u64, u64) {
    if msg.len() < 192 {
        return spooky_short(msg, 0, 0);
    }
    let mut h = [0u64, 0, SC_CONST, 0, 0, SC_CONST, 0, 0, SC_CONST, 0, 0, SC_CONST];
    let blocks = msg.len() / 96;
    for b in 0..blocks {
        mix(&msg[b * 96..b * 96 + 96], &mut h);
    }
    let rest = &msg[blocks * 96..];
    let mut buf = [0u8; 96];
    buf[..rest.len()].copy_from_slice(rest);
    buf[95] = u8::try_from(rest.len()).unwrap_or(0);
    for (i, v) in h.iter_mut().enumerate() {
        *v = v.wrapping_add(rd64(&buf, i * 8));
    }
    end_partial(&mut h);
    end_partial(&mut h);
    end_partial(&mut h);
    (h[0], h[1])
}

/// The 16 raw bytes of a chunk id: `LE(h1) ‖ LE(h2)`.
pub fn chunk_id_bytes(chunk: &[u8]) -> [u8; 16] {
    let (a, b) = spooky128(chunk);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// A chunk id as the JSON messages carry it (base64).
pub fn chunk_id(chunk: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(chunk_id_bytes(chunk))
}

// ---------------------------------------------------------------- content and chunks

/// The chunks of a stream's content: FullFile is one chunk (none when empty).
pub fn full_file_chunks(content: &[u8]) -> Vec<Vec<u8>> {
    if content.is_empty() {
        Vec::new()
    } else {
        vec![content.to_vec()]
    }
}

/// Content given inline or by resource id, chunked for `scheme`. Zip fixtures are unavailable (an error);
/// the empty Zip document (`ZeroByteOfficeDocument`) has no chunks.
pub fn content_chunks(
    suite: &Suite,
    scheme: &str,
    text: Option<&str>,
    resource_id: Option<&str>,
) -> Result<Vec<Vec<u8>>, String> {
    if let Some(t) = text {
        if scheme == "Zip" && !t.is_empty() {
            return Err(ZIP_FIXTURES_UNAVAILABLE.into());
        }
        return Ok(full_file_chunks(t.as_bytes()));
    }
    let Some(id) = resource_id else { return Ok(Vec::new()) };
    let r: &Resource = suite
        .resource(id)
        .ok_or_else(|| format!("resource '{id}' is not declared"))?;
    if r.file_path
        .starts_with("Microsoft.Office.WopiValidator.Core.Resources.ZipChunking")
    {
        return Err(ZIP_FIXTURES_UNAVAILABLE.into());
    }
    Ok(full_file_chunks(&r.bytes()))
}

// ---------------------------------------------------------------- frames

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u32,
    pub ext_header: Vec<u8>,
    pub payload: Vec<u8>,
}

fn push_frame(out: &mut Vec<u8>, kind: u32, ext: &[u8], payload: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&u32::try_from(ext.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    out.extend_from_slice(ext);
    out.extend_from_slice(payload);
}

/// A request body: the MessageJSON frame, one Chunk frame per chunk, the EndFrame.
pub fn encode_request(message: &Value, chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    push_frame(&mut out, MESSAGE_JSON, &[], datacontract_json(message).as_bytes());
    for c in chunks {
        push_frame(&mut out, CHUNK, &chunk_id_bytes(c), c);
    }
    push_frame(&mut out, END_FRAME, &[], &[]);
    out
}

/// JSON as .NET's DataContractJsonSerializer writes it: members in alphabetical order (serde_json's map is
/// insertion-ordered here, so the messages are built sorted) and `/` escaped.
fn datacontract_json(v: &Value) -> String {
    v.to_string().replace('/', "\\/")
}

/// Parses a frame stream up to the EndFrame (later data is ignored, as by the engine).
pub fn decode(body: &[u8]) -> Result<Vec<Frame>, String> {
    let mut frames = Vec::new();
    let mut i = 0usize;
    while i < body.len() {
        if frames.len() >= MAX_FRAMES {
            return Err(format!("more than {MAX_FRAMES} frames"));
        }
        let header = body
            .get(i..i + 16)
            .ok_or_else(|| format!("truncated frame header at byte {i}"))?;
        let kind = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let ext = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let mut len = [0u8; 8];
        len.copy_from_slice(&header[8..16]);
        let payload = usize::try_from(u64::from_be_bytes(len)).map_err(|_| "frame payload too large".to_string())?;
        let start = i + 16;
        let end = start
            .checked_add(ext)
            .and_then(|e| e.checked_add(payload))
            .filter(|e| *e <= body.len())
            .ok_or_else(|| format!("frame at byte {i} runs past the end of the body"))?;
        frames.push(Frame {
            kind,
            ext_header: body[start..start + ext].to_vec(),
            payload: body[start + ext..end].to_vec(),
        });
        i = end;
        if kind == END_FRAME {
            break;
        }
    }
    Ok(frames)
}

// ---------------------------------------------------------------- request messages

/// The GetChunkedFile request message.
pub fn get_chunked_file_message(filters: Vec<(String, Vec<String>, String, String)>, properties: &[String]) -> Value {
    let filters: Vec<Value> = filters
        .into_iter()
        .map(|(stream, known, scheme, to_return)| {
            json!({"AlreadyKnownChunks": known, "ChunkingScheme": scheme, "ChunksToReturn": to_return, "StreamId": stream})
        })
        .collect();
    json!({"ContentFilters": filters, "ContentPropertiesToReturn": properties})
}

// ---------------------------------------------------------------- FramesValidator

/// Checks a GetChunkedFile answer.
pub(super) fn frames_validator(v: &FramesValidator, resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let fail =
        |expected: String, actual: String, rule: &str| vec![ctx.failure("FramesValidator", expected, actual, rule)];
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
    let props = message
        .get("ContentProperties")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in &v.properties {
        let found = props
            .iter()
            .find(|x| x.get("Name").and_then(Value::as_str) == Some(p.name.as_str()));
        match (p.should_be_returned, found) {
            (false, Some(_)) => out.extend(fail(
                format!("no content property {}", p.name),
                "returned".into(),
                "the property was not retained",
            )),
            (true, None) => out.extend(fail(
                format!("content property {}", p.name),
                "absent".into(),
                "the property was retained",
            )),
            (true, Some(x)) => {
                let value = x.get("Value").and_then(Value::as_str).unwrap_or_default();
                let retention = x.get("Retention").and_then(Value::as_str).unwrap_or_default();
                if value != p.expected_value || retention != p.expected_retention {
                    out.extend(fail(
                        format!("{} = '{}' ({})", p.name, p.expected_value, p.expected_retention),
                        format!("'{value}' ({retention})"),
                        "content properties round-trip",
                    ));
                }
            }
            (false, None) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooky_vectors_from_the_validator() {
        assert_eq!(spooky128(b"foobar"), (0x86C0_57A5_03ED_DE99, 0x6517_8FE2_4E37_629A));
        assert_eq!(chunk_id(b"foobar"), "md7tA6VXwIaaYjdO4o8XZQ==");
        assert_eq!(chunk_id(b""), "GQn1a/wGJyPHUei0Ze5yiw==");
        assert_eq!(chunk_id(b"SampleTextVersion-1"), "OpSWhpt12BRkuGX4z7bQPg==");
    }

    #[test]
    fn long_inputs_hash_without_panicking_and_differ() {
        let a = vec![1u8; 1000];
        let mut b = a.clone();
        b[999] = 2;
        assert_ne!(spooky128(&a), spooky128(&b));
        assert_ne!(spooky128(&a[..192]), spooky128(&a[..191]));
    }

    #[test]
    fn frames_round_trip_and_truncation_is_an_error() {
        let body = encode_request(&json!({"A": "x/y"}), &[b"abc".to_vec()]);
        let frames = decode(&body).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].payload, br#"{"A":"x\/y"}"#);
        assert_eq!(frames[1].ext_header, chunk_id_bytes(b"abc"));
        assert_eq!(frames[2].kind, END_FRAME);
        assert!(decode(&body[..20]).is_err());
    }
}
