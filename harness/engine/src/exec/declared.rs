//! What the host declares it supports, read once from CheckFileInfo, so a case never fails for an operation it does
//! not test.
//!
//! A case that needs an operation to set itself up (a RenameFile case that makes its file with PutRelativeFile, a
//! GetFile case that first writes with PutFile) is skipped, with the property that says so, when the host declares
//! that operation unsupported (rest/files/CheckFileInfo.rst: `UserCanNotWriteRelative`, `SupportsRename`, ...).
//! A request that expects the operation to be *refused* (a 501, a 409) is the case's subject, not its setup, so it
//! never causes a skip.

use serde_json::{Map, Value};

use crate::suite::{Request, RequestKind, Step, TestCase, ValidatorKind};

/// The CheckFileInfo properties of the file under test.
#[derive(Debug, Clone, Default)]
pub(crate) struct Declared {
    props: Map<String, Value>,
}

impl Declared {
    /// From a CheckFileInfo body; `None` when it is not a JSON object.
    pub(crate) fn from_body(body: &[u8]) -> Option<Declared> {
        let text = std::str::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)).ok()?;
        match crate::validate::json::parse_lenient(text).ok()? {
            Value::Object(props) => Some(Declared { props }),
            _ => None,
        }
    }

    /// A boolean property, matched case-insensitively as .NET's JSON reader does; absent is `None`.
    pub(crate) fn flag(&self, name: &str) -> Option<bool> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_bool())
    }

    /// A string property.
    pub(crate) fn string(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    }

    /// Whether the host supports WOPI locks (`SupportsLocks`; absent means no).
    pub(crate) fn supports_locks(&self) -> bool {
        self.flag("SupportsLocks") == Some(true)
    }

    /// Whether GetLock is available (`SupportsGetLock`).
    pub(crate) fn supports_get_lock(&self) -> bool {
        self.flag("SupportsGetLock") == Some(true)
    }

    /// Why `kind` is unsupported on this host, in the host's own words (its property), or `None`.
    pub(crate) fn unsupported(&self, kind: &RequestKind) -> Option<String> {
        let not_true = |name: &str| match self.flag(name) {
            Some(true) => None,
            Some(false) => Some(format!("{name} is false")),
            None => Some(format!("{name} is not declared")),
        };
        match kind {
            RequestKind::PutRelativeFile { .. } => (self.flag("UserCanNotWriteRelative") == Some(true))
                .then(|| "UserCanNotWriteRelative is true".to_string()),
            RequestKind::RenameFile { .. } => not_true("SupportsRename").or_else(|| not_true("UserCanRename")),
            RequestKind::DeleteFile => not_true("SupportsDeleteFile"),
            RequestKind::Lock { .. }
            | RequestKind::Unlock { .. }
            | RequestKind::RefreshLock { .. }
            | RequestKind::UnlockAndRelock { .. } => not_true("SupportsLocks"),
            RequestKind::GetLock => not_true("SupportsLocks").or_else(|| not_true("SupportsGetLock")),
            RequestKind::PutFile { .. } => not_true("SupportsUpdate").or_else(|| not_true("UserCanWrite")),
            RequestKind::PutUserInfo { .. } => not_true("SupportsUserInfo"),
            _ => None,
        }
    }

    /// Whether `case` has a request whose operation a host may declare unsupported while the case expects it to
    /// succeed (only then are the declarations worth a request).
    pub(crate) fn matter_to(case: &TestCase) -> bool {
        let probe = Declared::default();
        case.requests
            .iter()
            .any(|s| matches!(s, Step::Request(r) if expects_success(r) && probe.unsupported(&r.kind).is_some()))
    }

    /// Why `case` cannot be judged on this host: the first request that expects success from an operation the host
    /// declares unsupported.
    pub(crate) fn skip_reason(&self, case: &TestCase) -> Option<String> {
        case.requests.iter().find_map(|step| {
            let Step::Request(r) = step else { return None };
            if !expects_success(r) {
                return None;
            }
            let why = self.unsupported(&r.kind)?;
            Some(format!(
                "this case needs {} to succeed, and the host declares it unsupported ({why} in CheckFileInfo)",
                r.kind.name()
            ))
        })
    }
}

/// Whether a request's checks want a 2xx answer (no validators at all means the implicit 200). Requests that
/// expect a refusal, or that accept either (an `Or`), are the case's subject and never cause a skip.
fn expects_success(r: &Request) -> bool {
    match &r.validators {
        None => true,
        Some(list) => list.iter().any(|v| match &v.kind {
            ValidatorKind::ResponseCode { expected } => (200..300).contains(expected),
            _ => false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_read_case_insensitively() {
        let d = Declared::from_body(br#"{"supportslocks":true,"UserCanNotWriteRelative":true}"#).expect("object");
        assert!(d.supports_locks());
        assert!(!d.supports_get_lock());
        let put_relative = RequestKind::PutRelativeFile {
            name: "x".into(),
            resource_id: "r".into(),
            mode: None,
            overwrite_relative: None,
            overwrite_in_suggested: false,
        };
        assert_eq!(
            d.unsupported(&put_relative).as_deref(),
            Some("UserCanNotWriteRelative is true")
        );
        assert_eq!(
            d.unsupported(&RequestKind::GetLock).as_deref(),
            Some("SupportsGetLock is not declared")
        );
        assert_eq!(d.unsupported(&RequestKind::CheckFileInfo), None);
    }

    #[test]
    fn a_body_that_is_not_an_object_declares_nothing() {
        assert!(Declared::from_body(b"[1,2]").is_none());
        assert!(Declared::from_body(b"<html>").is_none());
    }
}
