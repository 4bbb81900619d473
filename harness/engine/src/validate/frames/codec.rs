//! The frame stream of GetChunkedFile / PutChunkedFile bodies, and the request messages it carries.

use serde_json::{Value, json};

use super::spooky::chunk_id_bytes;

/// Frame types.
pub(super) const END_FRAME: u32 = 1;
pub(super) const MESSAGE_JSON: u32 = 2;
pub(super) const CHUNK: u32 = 3;
pub(super) const CHUNK_RANGE: u32 = 4;
/// Bound on the frames of one response (a hostile host must not make us loop for ever).
const MAX_FRAMES: usize = 100_000;

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

#[cfg(test)]
mod tests {
    use super::*;

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
