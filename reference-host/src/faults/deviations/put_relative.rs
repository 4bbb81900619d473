//! How PutRelativeFile departs from the docs under its logic faults. The handler consults [`Deviations`] at each
//! decision; with no fault on, every method gives the correct host's answer.

use bytes::Bytes;
use http::HeaderMap;
use wopi_protocol::headers::{
    X_WOPI_OVERWRITE_RELATIVE_TARGET, X_WOPI_RELATIVE_TARGET, X_WOPI_SUGGESTED_TARGET, parse_bool_for,
};
use wopi_protocol::names::FileName;

use crate::error::WopiError;
use crate::faults::{Fault, FaultSet};
use crate::store::{FileRecord, NameMode};
use crate::wopi::request::single_header;

/// The exit status of a host process ended by [`Fault::ExitOnUtf7RelativeName`] (`EX_SOFTWARE`).
pub const EXIT_ON_FAULT_STATUS: i32 = 70;

/// The PutRelativeFile faults of one host.
#[derive(Debug, Clone, Copy)]
pub struct Deviations(FaultSet);

impl Deviations {
    pub fn of(faults: FaultSet) -> Self {
        Self(faults)
    }

    /// `ExitOnUtf7RelativeName`: the process dies mid-request on a UTF-7 encoded name, so the client sees the
    /// connection close without an answer. Only ever on in a host with a process of its own (`crate::app`
    /// refuses it otherwise).
    pub fn on_raw_targets(self, suggested: Option<&str>, relative: Option<&str>) {
        if !self.0.has(Fault::ExitOnUtf7RelativeName) {
            return;
        }
        let utf7 = [(X_WOPI_SUGGESTED_TARGET, suggested), (X_WOPI_RELATIVE_TARGET, relative)]
            .into_iter()
            .find_map(|(h, raw)| raw.filter(|r| has_utf7_shift(r)).map(|r| (h, r)));
        if let Some((header, raw)) = utf7 {
            tracing::error!(
                header,
                value = raw,
                "FAULT ExitOnUtf7RelativeName: a UTF-7 name in PutRelativeFile; the host process exits now"
            );
            std::process::exit(EXIT_ON_FAULT_STATUS);
        }
    }

    /// `RelativeWritesWhileDeclaredUnsupported`: the host declares `UserCanNotWriteRelative` (its configuration
    /// turned PutRelativeFile off) but creates the file anyway.
    pub fn relative_writes(self, configured: bool) -> bool {
        configured || self.0.has(Fault::RelativeWritesWhileDeclaredUnsupported)
    }

    /// `RelativeNeedsSourceLock`: a locked source file refuses the copy.
    pub fn check_source(self, source: &FileRecord) -> Result<(), WopiError> {
        match &source.lock {
            Some(lock) if self.0.has(Fault::RelativeNeedsSourceLock) => Err(WopiError::LockMismatch {
                current: Some(lock.id.clone()),
                reason: "the file is locked",
            }),
            _ => Ok(()),
        }
    }

    /// `ConflictingTargetsAccepted`: both target headers accepted, the exact one wins.
    pub fn targets(self, suggested: Option<String>, relative: Option<String>) -> (Option<String>, Option<String>) {
        match (suggested, relative) {
            (Some(_), Some(relative)) if self.0.has(Fault::ConflictingTargetsAccepted) => (None, Some(relative)),
            other => other,
        }
    }

    /// `SuggestedHonoursOverwrite`: `X-WOPI-OverwriteRelativeTarget: true` turns a suggestion into an exact,
    /// overwriting target.
    pub fn suggested_mode(self, headers: &HeaderMap) -> NameMode {
        let overwrite = single_header(headers, X_WOPI_OVERWRITE_RELATIVE_TARGET)
            .ok()
            .flatten()
            .map(|v| parse_bool_for(X_WOPI_OVERWRITE_RELATIVE_TARGET, v));
        if self.0.has(Fault::SuggestedHonoursOverwrite) && matches!(overwrite, Some(Ok(true))) {
            NameMode::Exact { overwrite: true }
        } else {
            NameMode::Suggested
        }
    }

    /// `OverwriteFlagIgnored`: an exact target never overwrites.
    pub fn overwrite(self, requested: bool) -> bool {
        requested && !self.0.has(Fault::OverwriteFlagIgnored)
    }

    /// `RelativeAcceptsPath`: an exact name the host must refuse is cut to its last path segment instead.
    pub fn accept_invalid_relative(self, decoded: &str, max: usize) -> Option<FileName> {
        self.0.has(Fault::RelativeAcceptsPath).then(|| {
            let base = decoded.rsplit(['/', '\\']).next().unwrap_or(decoded);
            FileName::sanitized(base, max)
        })
    }

    /// `RelativeBodyIgnored`: the new file is created empty.
    pub fn content(self, content: Bytes) -> Bytes {
        if self.0.has(Fault::RelativeBodyIgnored) {
            Bytes::new()
        } else {
            content
        }
    }
}

/// Whether a raw (still UTF-7 encoded) name holds a shift sequence: `+`, at least one modified-base64 character,
/// then `-` (`+AGQ-`). `+-`, the encoding of `+` itself, is not one.
fn has_utf7_shift(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        if b != b'+' {
            return false;
        }
        let run = bytes[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'+' || **c == b'/')
            .count();
        run > 0 && bytes.get(i + 1 + run) == Some(&b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::has_utf7_shift;

    #[test]
    fn utf7_shift_sequences_are_recognised() {
        for raw in ["+AGQ-.docx", "a+AOk-b.docx", "x+ZeVnLIqe-.docx", "++AGQ-.docx"] {
            assert!(has_utf7_shift(raw), "{raw}");
        }
        for raw in ["plain.docx", "a+-b.docx", "a+b.docx", "a-b+", "+", "+AGQ.docx"] {
            assert!(!has_utf7_shift(raw), "{raw}");
        }
    }
}
