//! Ecosystem operations (`rest/ecosystem/*.rst`) and GetEcosystem, one module per operation.

pub mod file_wopi_src;
pub mod pointer;
pub mod root_container;

use axum::response::Response;
use serde_json::json;

use super::request::json;

/// CheckEcosystem: `GET /wopi/ecosystem` (`rest/ecosystem/CheckEcosystem.rst`).
pub fn check_ecosystem() -> Response {
    json(&json!({ "SupportsContainers": true }))
}
