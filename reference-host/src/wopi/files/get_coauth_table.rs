//! GetCoauthTable: `POST /wopi/files/{id}` with `X-WOPI-Override: GET_COAUTH_TABLE` (D:coauthoring/get-coauth-table;
//! `../shared/notes/cspp-plus.md` §2.4). Also the 200 answer the other coauth operations share.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wopi_protocol::cspp::coauth::CoauthRequestError;
use wopi_protocol::headers::X_WOPI_COAUTH_TABLE_VERSION;

use crate::coauth::{CoauthAnswer, CoauthOp};
use crate::error::{WopiError, header_value};
use crate::wopi::request::{FileRequest, single_header};

/// GetCoauthTable: the rows and the version, or only the version when the client's `X-WOPI-CoauthTableVersion` is
/// current (then the body is empty). A read: no edit permission needed (the docs' status table notwithstanding,
/// §9 item 10).
pub async fn handle(req: FileRequest) -> Result<Response, WopiError> {
    let client_version = single_header(&req.headers, X_WOPI_COAUTH_TABLE_VERSION)?.map(str::to_string);
    run(&req, CoauthOp::Table(client_version)).await
}

/// Runs `op` in the store and answers 200 with `X-WOPI-CoauthTableVersion` and, when there is one, the
/// `{"CoauthTable":[…]}` body (§2.1 rule 8, §2.2, §2.4).
pub(super) async fn run(req: &FileRequest, op: CoauthOp) -> Result<Response, WopiError> {
    let answer = req.state.store.coauth_op(&req.id, op, req.now).await?;
    Ok(respond(answer))
}

fn respond(answer: CoauthAnswer) -> Response {
    let mut response = match &answer.body {
        Some(table) => axum::Json(table).into_response(),
        None => StatusCode::OK.into_response(),
    };
    response
        .headers_mut()
        .insert(X_WOPI_COAUTH_TABLE_VERSION, header_value(&answer.version));
    response
}

/// A coauth request the host refuses with 400, saying what is wrong.
pub(super) fn bad(e: CoauthRequestError) -> WopiError {
    WopiError::BadRequest(e.to_string())
}
