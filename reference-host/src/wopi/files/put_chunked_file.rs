//! PutChunkedFile (`plus: file-transfer/put-chunked-file`; cspp-plus.md §2.6, §6.2): `X-WOPI-SequenceNumber`, at
//! most one of `X-WOPI-Lock` and `X-WOPI-CoauthLockId` (empty counts as absent), and a frame body. The store checks
//! the locks and the sequence number and commits the listed streams, the properties and the new MainContent in one
//! transaction; a body that is malformed or cut off (no EndFrame) is a 400 before anything is read from the store.

use std::collections::HashMap;

use axum::response::Response;
use bytes::Bytes;
use wopi_protocol::cspp::coauth::Presented;
use wopi_protocol::cspp::frame::{Frame, Limits, parse_frame};
use wopi_protocol::cspp::message::{PutChunkedFileRequest, from_wire_json};
use wopi_protocol::cspp::properties::SequenceNumber;
use wopi_protocol::cspp::spooky::ChunkId;
use wopi_protocol::headers::{X_WOPI_COAUTH_LOCK_ID, X_WOPI_LOCK, X_WOPI_SEQUENCE_NUMBER};

use super::chunked_body::{answer, limits, parse};
use crate::error::WopiError;
use crate::faults::Fault;
use crate::store::chunked::ChunkedWrite;
use crate::wopi::request::{Body, FileRequest, body_bytes, single_header};

/// Parses and checks the request, then one atomic store write.
pub async fn handle(req: FileRequest, body: Body) -> Result<Response, WopiError> {
    req.caller.require_write()?;
    let sequence = single_header(&req.headers, X_WOPI_SEQUENCE_NUMBER)?
        .and_then(SequenceNumber::parse_presented)
        .ok_or_else(|| WopiError::BadRequest(format!("{X_WOPI_SEQUENCE_NUMBER} is required, a 32-bit integer")))?;
    let presented = Presented::from_headers(
        single_header(&req.headers, X_WOPI_LOCK)?,
        single_header(&req.headers, X_WOPI_COAUTH_LOCK_ID)?,
    )
    .map_err(|e| WopiError::BadRequest(e.to_string()))?;
    // X-WOPI-Editors is read by no rule here: the docs tie it to proof keys, and the validator always sends it empty.
    let body = body_bytes(body)?;
    let limits = limits(&req.state);
    let (message, chunks) = match parse::<PutChunkedFileRequest>("PutChunkedFile", &body, &limits) {
        Ok((frames, message)) => {
            let chunks = frames
                .chunks
                .iter()
                .map(|(id, data)| (*id, body.slice_ref(data)))
                .collect();
            (message, chunks)
        }
        Err(_) if req.state.faults.has(Fault::PutChunkedFileNotAtomic) => cut_off_as_received(&body, &limits)?,
        Err(e) => return Err(e),
    };
    message.check().map_err(|e| WopiError::BadRequest(e.to_string()))?;
    if message.upload_session_token_to_commit.is_some() {
        return Err(WopiError::BadRequest(
            "UploadSessionTokenToCommit: this host has no upload sessions (it does not declare SupportsResumableFileTransfer)".into(),
        ));
    }
    let write = ChunkedWrite {
        id: req.id.clone(),
        presented,
        sequence,
        message,
        chunks,
        author: req.caller.user.id.clone(),
        now: req.now,
        max_len: req.state.limits.max_file_size,
    };
    let (file, sequence) = req.state.store.put_chunked(write).await?;
    Ok(answer(Vec::new(), sequence, &file))
}

/// The fault [`Fault::PutChunkedFileNotAtomic`]: a host that streams frames into the file as they arrive. The
/// message and every whole Chunk frame before the cut are used; each signature keeps only the chunks that arrived.
fn cut_off_as_received(
    body: &Bytes,
    limits: &Limits,
) -> Result<(PutChunkedFileRequest, HashMap<ChunkId, Bytes>), WopiError> {
    let mut message = None;
    let mut chunks = HashMap::new();
    let mut offset = 0;
    for index in 0..limits.max_frames {
        let Ok((frame, next)) = parse_frame(body, index, offset, limits) else {
            break;
        };
        offset = next;
        match frame {
            Frame::MessageJson(m) => message = Some(m),
            Frame::Chunk { id, data } => {
                chunks.insert(id, body.slice_ref(data));
            }
            Frame::ChunkRange { .. } => {}
            Frame::End => break,
        }
    }
    let message = message.ok_or_else(|| WopiError::BadRequest("PutChunkedFile body: no message".into()))?;
    let mut message: PutChunkedFileRequest =
        from_wire_json("PutChunkedFile", message).map_err(|e| WopiError::BadRequest(e.to_string()))?;
    for sig in &mut message.signatures {
        sig.chunk_signatures.retain(|c| chunks.contains_key(&c.chunk_id));
    }
    Ok((message, chunks))
}
