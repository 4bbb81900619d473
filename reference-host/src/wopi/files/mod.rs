//! File operations (`rest/files/*.rst`), one module per operation; the four lock operations and GetLock share
//! [`lock`]. The coauth operations (CSPP Plus) answer through [`get_coauth_table`].
//!
//! Each handler parses its headers, checks the caller's permission, makes one atomic store call and maps the result
//! to the documented status and headers. Writes by read-only users answer 404 ("user unauthorized" in the docs'
//! status tables); PutRelativeFile answers 501 for them, as `UserCanNotWriteRelative` is true for them.

pub mod add_activities;
pub mod check_file_info;
mod chunked_body;
pub mod delete;
pub mod get_chunked_file;
pub mod get_coauth_lock;
pub mod get_coauth_table;
pub mod get_file;
pub mod get_sequence_number;
pub mod lock;
pub mod put_chunked_file;
pub mod put_file;
pub mod put_relative;
pub mod refresh_coauth_lock;
pub mod rename;
pub mod share_url;
pub mod unlock_coauth_lock;
pub mod user_info;

pub use crate::faults::deviations::put_relative::EXIT_ON_FAULT_STATUS;
pub use check_file_info::check_file_info;
pub use user_info::MAX_USER_INFO_CHARS;

use super::request::{FileRequest, single_header};
use crate::AppState;
use crate::error::WopiError;

/// A body over the host's file size limit is a 413.
fn check_size(state: &AppState, len: usize) -> Result<(), WopiError> {
    if len as u64 > state.limits.max_file_size {
        Err(WopiError::TooLarge)
    } else {
        Ok(())
    }
}

/// A UTF-7 file name header, decoded; undecodable is an invalid file name (400 with
/// `X-WOPI-InvalidFileNameError`).
fn utf7_header(req: &FileRequest, name: &'static str) -> Result<Option<String>, WopiError> {
    single_header(&req.headers, name)?
        .map(|raw| {
            wopi_protocol::utf7::decode(raw)
                .map_err(|e| WopiError::InvalidFileName(format!("{name} is not UTF-7: {e}")))
        })
        .transpose()
}
