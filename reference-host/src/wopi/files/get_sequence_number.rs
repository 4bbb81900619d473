//! GetSequenceNumber (`plus: file-transfer/get-sequence-number`): 200 with the current `X-WOPI-SequenceNumber`.
//! No validator case uses it; CheckFileInfo's `SupportsCoauth` promises it.

use axum::response::Response;

use super::chunked_body::answer;
use crate::error::WopiError;
use crate::wopi::request::FileRequest;

/// Reads the number without changing anything (reads never move it, cspp-plus.md §5.4).
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    let (file, state) = req.state.store.chunked(&req.id, req.now).await?;
    Ok(answer(Vec::new(), state.content().sequence(), &file))
}
