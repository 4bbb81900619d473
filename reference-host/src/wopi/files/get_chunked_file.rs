//! GetChunkedFile (`plus: file-transfer/get-chunked-file`; cspp-plus.md §2.5, §4.5, §4.6): for each content
//! filter the stream's whole signature (a stream that does not exist answers `Zip` with no chunk), Chunk frames for
//! the chunks the filter asks for, and the requested content properties that exist. Reads ignore locks.

use std::collections::HashSet;

use axum::response::Response;
use bytes::Bytes;
use wopi_protocol::cspp::frame::{Frame, write_stream};
use wopi_protocol::cspp::message::{GetChunkedFileRequest, GetChunkedFileResponse, StreamSignature, to_wire_json};
use wopi_protocol::cspp::spooky::ChunkId;

use super::chunked_body::{answer, limits, parse};
use crate::error::WopiError;
use crate::faults::Fault;
use crate::wopi::request::{Body, FileRequest, body_bytes};

/// Answers the filters from one read of the file's state.
pub async fn handle(req: FileRequest, body: Body) -> Result<Response, WopiError> {
    let body = body_bytes(body)?;
    let (_, request): (_, GetChunkedFileRequest) = parse("GetChunkedFile", &body, &limits(&req.state))?;
    request.check().map_err(|e| WopiError::BadRequest(e.to_string()))?;
    let (file, state) = req.state.store.chunked(&req.id, req.now).await?;
    let content = state.content();
    // The fault writes every ID with its halves swapped, in the signatures and the frames alike.
    let swap = req.state.faults.has(Fault::ChunkIdsByteSwapped);
    let id_out = |id: ChunkId| if swap { swapped(id) } else { id };
    let mut signatures = Vec::with_capacity(request.content_filters.len());
    let mut chunks: Vec<(ChunkId, Bytes)> = Vec::new();
    let mut seen = HashSet::new();
    for filter in &request.content_filters {
        let stream = content.answer(&filter.stream_id);
        for id in filter.chunks_to_send(&stream) {
            // Several filters may name one chunk; the validator counts distinct IDs, so each goes once.
            if !seen.insert(id) {
                continue;
            }
            let bytes = state.chunk(&id).ok_or_else(|| {
                WopiError::Internal(format!("chunk {id} of stream {} is not stored", filter.stream_id))
            })?;
            chunks.push((id, bytes.clone()));
        }
        let mut sig = StreamSignature::of(filter.stream_id.clone(), &stream);
        for c in &mut sig.chunk_signatures {
            c.chunk_id = id_out(c.chunk_id);
        }
        signatures.push(sig);
    }
    let names = request.content_properties_to_return.iter().map(String::as_str);
    let message = GetChunkedFileResponse {
        content_properties: content.properties().select(names).into_iter().cloned().collect(),
        signatures,
    };
    let json = to_wire_json("GetChunkedFile", &message).map_err(|e| WopiError::Internal(e.to_string()))?;
    let frames = chunks.iter().map(|(id, data)| Frame::Chunk { id: id_out(*id), data });
    Ok(answer(write_stream(&json, frames), content.sequence(), &file))
}

/// `h2 ‖ h1` instead of `h1 ‖ h2` (the fault's byte order).
fn swapped(id: ChunkId) -> ChunkId {
    let b = id.as_bytes();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&b[8..]);
    out[8..].copy_from_slice(&b[..8]);
    ChunkId::from_bytes(out)
}
