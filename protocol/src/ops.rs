//! The operation catalogue: one entry per WOPI operation, the single place that says how each is addressed (method,
//! endpoint, path form, `X-WOPI-Override`), which request headers it takes, which response headers and status codes
//! the docs give for it, and which doc page says so.
//!
//! Every crate reads it: the harness builds a suite element's request from its entry, the mock client's typed
//! helpers start from it, and the reference host routes an incoming request with [`Op::resolve`]. Adding an
//! operation means adding a variant and its [`OpSpec`] here, then its handler (host), element module (harness) or
//! helper (client); nothing else matches on the full list.
//!
//! Sources: the operation pages under `rest/files/`, `rest/containers/`, `rest/ecosystem/` (`:reqheader`,
//! `:resheader` and `:code` lists), and for the CSPP Plus operations `../notes/cspp-plus.md` §2 (the validator's
//! requests, which the public pages only partly describe).

use std::fmt;

use crate::headers::{self as h, Override};

/// The HTTP method of an operation (WOPI uses two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Which WOPI resource an operation is addressed to (`rest/endpoints.rst`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/wopi/files/(file_id)`.
    Files,
    /// `/wopi/containers/(container_id)`.
    Containers,
    /// `/wopi/ecosystem`.
    Ecosystem,
}

/// The path after the resource's own URL (the WopiSrc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathForm {
    /// The resource itself: `/wopi/files/(id)`.
    Item,
    /// `/contents`.
    Contents,
    /// `/children`.
    Children,
    /// `/ancestry`.
    Ancestry,
    /// `/ecosystem_pointer`.
    EcosystemPointer,
    /// `/root_container_pointer`.
    RootContainerPointer,
}

impl PathForm {
    /// What goes after the resource URL.
    pub fn suffix(self) -> &'static str {
        match self {
            PathForm::Item => "",
            PathForm::Contents => "/contents",
            PathForm::Children => "/children",
            PathForm::Ancestry => "/ancestry",
            PathForm::EcosystemPointer => "/ecosystem_pointer",
            PathForm::RootContainerPointer => "/root_container_pointer",
        }
    }

    /// The path form of a suffix (`""`, `/contents`, ...).
    pub fn from_suffix(suffix: &str) -> Option<PathForm> {
        PATH_FORMS.into_iter().find(|p| p.suffix() == suffix)
    }
}

const PATH_FORMS: [PathForm; 6] = [
    PathForm::Item,
    PathForm::Contents,
    PathForm::Children,
    PathForm::Ancestry,
    PathForm::EcosystemPointer,
    PathForm::RootContainerPointer,
];

/// A request header an operation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSpec {
    pub name: &'static str,
    /// The page says "Required".
    pub required: bool,
}

const fn req(name: &'static str) -> HeaderSpec {
    HeaderSpec { name, required: true }
}

const fn opt(name: &'static str) -> HeaderSpec {
    HeaderSpec { name, required: false }
}

/// Everything the catalogue knows about one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpSpec {
    pub op: Op,
    pub method: Method,
    /// The endpoints the operation exists on (EnumerateAncestors, GetEcosystem and GetShareUrl are on two).
    pub endpoints: &'static [Endpoint],
    pub path: PathForm,
    /// The `X-WOPI-Override` value, for `POST` operations selected by it.
    pub override_op: Option<Override>,
    /// A request header whose presence selects this operation over another with the same override (UnlockAndRelock
    /// is `LOCK` plus `X-WOPI-OldLock`).
    pub marker: Option<&'static str>,
    /// Operation-specific request headers (beyond `X-WOPI-Override`, the proof headers and the common ones).
    pub request_headers: &'static [HeaderSpec],
    /// Operation-specific response headers the page lists.
    pub response_headers: &'static [&'static str],
    /// The status codes the page lists.
    pub statuses: &'static [u16],
    /// The doc page, relative to the WOPI docs root.
    pub doc: &'static str,
}

impl OpSpec {
    /// Whether the docs list `status` for this operation.
    pub fn documents_status(&self, status: u16) -> bool {
        self.statuses.contains(&status)
    }

    /// Whether the operation exists on `endpoint`.
    pub fn is_on(&self, endpoint: Endpoint) -> bool {
        self.endpoints.contains(&endpoint)
    }
}

macro_rules! operations {
    ($( $(#[$meta:meta])* $variant:ident, )+) => {
        /// A WOPI operation. [`Op::spec`] gives its catalogue entry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            $( $(#[$meta])* $variant, )+
        }

        impl Op {
            /// Every operation, in catalogue order.
            pub const ALL: &'static [Op] = &[ $( Op::$variant, )+ ];

            /// The operation's name as the docs and the validator's XML elements spell it.
            pub fn name(self) -> &'static str {
                match self {
                    $( Op::$variant => stringify!($variant), )+
                }
            }
        }
    };
}

operations! {
    CheckFileInfo,
    GetFile,
    PutFile,
    PutRelativeFile,
    Lock,
    Unlock,
    RefreshLock,
    UnlockAndRelock,
    GetLock,
    RenameFile,
    DeleteFile,
    PutUserInfo,
    GetShareUrl,
    EnumerateAncestors,
    GetEcosystem,
    CheckContainerInfo,
    EnumerateChildren,
    CreateChildContainer,
    CreateChildFile,
    DeleteContainer,
    RenameContainer,
    CheckEcosystem,
    GetRootContainer,
    GetFileWopiSrc,
    GetNewAccessToken,
    AddActivities,
    GetCoauthLock,
    RefreshCoauthLock,
    UnlockCoauthLock,
    GetCoauthTable,
    GetChunkedFile,
    PutChunkedFile,
    GetSequenceNumber,
}

const FILES: &[Endpoint] = &[Endpoint::Files];
const CONTAINERS: &[Endpoint] = &[Endpoint::Containers];
const ECOSYSTEM: &[Endpoint] = &[Endpoint::Ecosystem];
const FILES_AND_CONTAINERS: &[Endpoint] = &[Endpoint::Files, Endpoint::Containers];

/// The lock-mismatch response headers every lock-aware operation page lists.
const LOCK_RESPONSE: &[&str] = &[
    h::X_WOPI_LOCK,
    h::X_WOPI_LOCK_FAILURE_REASON,
    h::X_WOPI_LOCKED_BY_OTHER_INTERFACE,
];
const LOCK_RESPONSE_VERSIONED: &[&str] = &[
    h::X_WOPI_LOCK,
    h::X_WOPI_LOCK_FAILURE_REASON,
    h::X_WOPI_LOCKED_BY_OTHER_INTERFACE,
    h::X_WOPI_ITEM_VERSION,
];
const LOCK_STATUSES: &[u16] = &[200, 400, 401, 404, 409, 500, 501];
const READ_STATUSES: &[u16] = &[200, 401, 404, 500, 501];
/// The public CSPP Plus pages give 200/400/401/404/409/500/501 for the coauth and chunked operations.
const CSPP_STATUSES: &[u16] = &[200, 400, 401, 404, 409, 500, 501];
const COAUTH_LOCK_HEADERS: &[HeaderSpec] = &[
    req(h::X_WOPI_COAUTH_LOCK_ID),
    opt(h::X_WOPI_COAUTH_LOCK_TYPE),
    opt(h::X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT),
    opt(h::X_WOPI_COAUTH_LOCK_METADATA),
];
const COAUTH_RESPONSE: &[&str] = &[h::X_WOPI_COAUTH_TABLE_VERSION, h::X_WOPI_CONFLICTING_LOCK_USERNAME];

/// One spec, with the fields most entries share filled in (a `POST` on the file, no marker).
const fn post(op: Op, override_op: Override, doc: &'static str) -> OpSpec {
    OpSpec {
        op,
        method: Method::Post,
        endpoints: FILES,
        path: PathForm::Item,
        override_op: Some(override_op),
        marker: None,
        request_headers: &[],
        response_headers: &[],
        statuses: READ_STATUSES,
        doc,
    }
}

/// A `GET` on the file.
const fn get(op: Op, path: PathForm, doc: &'static str) -> OpSpec {
    OpSpec {
        op,
        method: Method::Get,
        endpoints: FILES,
        path,
        override_op: None,
        marker: None,
        request_headers: &[],
        response_headers: &[],
        statuses: READ_STATUSES,
        doc,
    }
}

/// The catalogue, in [`Op::ALL`] order (a unit test holds the two together).
static CATALOGUE: &[OpSpec] = &[
    OpSpec {
        request_headers: &[opt(h::X_WOPI_SESSION_CONTEXT)],
        statuses: &[200, 401, 404, 500],
        ..get(Op::CheckFileInfo, PathForm::Item, "rest/files/CheckFileInfo.rst")
    },
    OpSpec {
        request_headers: &[opt(h::X_WOPI_MAX_EXPECTED_SIZE)],
        response_headers: &[h::X_WOPI_ITEM_VERSION],
        statuses: &[200, 401, 404, 412, 500],
        ..get(Op::GetFile, PathForm::Contents, "rest/files/GetFile.rst")
    },
    OpSpec {
        path: PathForm::Contents,
        request_headers: &[opt(h::X_WOPI_LOCK), opt(h::X_WOPI_EDITORS)],
        response_headers: LOCK_RESPONSE_VERSIONED,
        statuses: &[200, 401, 404, 409, 413, 500, 501],
        ..post(Op::PutFile, Override::Put, "rest/files/PutFile.rst")
    },
    OpSpec {
        request_headers: &[
            opt(h::X_WOPI_SUGGESTED_TARGET),
            opt(h::X_WOPI_RELATIVE_TARGET),
            opt(h::X_WOPI_OVERWRITE_RELATIVE_TARGET),
            opt(h::X_WOPI_SIZE),
            opt(h::X_WOPI_FILE_CONVERSION),
        ],
        response_headers: &[
            h::X_WOPI_VALID_RELATIVE_TARGET,
            h::X_WOPI_LOCK,
            h::X_WOPI_LOCK_FAILURE_REASON,
            h::X_WOPI_LOCKED_BY_OTHER_INTERFACE,
        ],
        statuses: &[200, 400, 401, 404, 409, 413, 500, 501],
        ..post(
            Op::PutRelativeFile,
            Override::PutRelative,
            "rest/files/PutRelativeFile.rst",
        )
    },
    OpSpec {
        request_headers: &[req(h::X_WOPI_LOCK), opt(h::X_WOPI_LOCK_USER_VISIBLE)],
        response_headers: LOCK_RESPONSE_VERSIONED,
        statuses: LOCK_STATUSES,
        ..post(Op::Lock, Override::Lock, "rest/files/Lock.rst")
    },
    OpSpec {
        request_headers: &[req(h::X_WOPI_LOCK)],
        response_headers: LOCK_RESPONSE_VERSIONED,
        statuses: LOCK_STATUSES,
        ..post(Op::Unlock, Override::Unlock, "rest/files/Unlock.rst")
    },
    OpSpec {
        request_headers: &[req(h::X_WOPI_LOCK)],
        response_headers: LOCK_RESPONSE,
        statuses: LOCK_STATUSES,
        ..post(Op::RefreshLock, Override::RefreshLock, "rest/files/RefreshLock.rst")
    },
    OpSpec {
        marker: Some(h::X_WOPI_OLD_LOCK),
        request_headers: &[req(h::X_WOPI_LOCK), req(h::X_WOPI_OLD_LOCK)],
        response_headers: LOCK_RESPONSE,
        statuses: LOCK_STATUSES,
        ..post(Op::UnlockAndRelock, Override::Lock, "rest/files/UnlockAndRelock.rst")
    },
    OpSpec {
        response_headers: LOCK_RESPONSE,
        statuses: &[200, 401, 404, 409, 500, 501],
        ..post(Op::GetLock, Override::GetLock, "rest/files/GetLock.rst")
    },
    OpSpec {
        request_headers: &[
            req(h::X_WOPI_REQUESTED_NAME),
            opt(h::X_WOPI_LOCK),
            opt(h::X_WOPI_COAUTH_LOCK_ID),
        ],
        response_headers: &[
            h::X_WOPI_INVALID_FILE_NAME_ERROR,
            h::X_WOPI_LOCK,
            h::X_WOPI_LOCK_FAILURE_REASON,
            h::X_WOPI_LOCKED_BY_OTHER_INTERFACE,
        ],
        statuses: LOCK_STATUSES,
        ..post(Op::RenameFile, Override::RenameFile, "rest/files/RenameFile.rst")
    },
    OpSpec {
        statuses: &[200, 401, 404, 409, 500, 501],
        ..post(Op::DeleteFile, Override::Delete, "rest/files/DeleteFile.rst")
    },
    post(Op::PutUserInfo, Override::PutUserInfo, "rest/files/PutUserInfo.rst"),
    OpSpec {
        endpoints: FILES_AND_CONTAINERS,
        request_headers: &[req(h::X_WOPI_URL_TYPE)],
        ..post(Op::GetShareUrl, Override::GetShareUrl, "rest/files/GetShareUrl.rst")
    },
    OpSpec {
        endpoints: FILES_AND_CONTAINERS,
        response_headers: &[h::X_WOPI_ENUMERATION_INCOMPLETE],
        ..get(
            Op::EnumerateAncestors,
            PathForm::Ancestry,
            "rest/files/EnumerateAncestors.rst",
        )
    },
    OpSpec {
        endpoints: FILES_AND_CONTAINERS,
        ..get(
            Op::GetEcosystem,
            PathForm::EcosystemPointer,
            "rest/files/GetEcosystem.rst",
        )
    },
    OpSpec {
        endpoints: CONTAINERS,
        ..get(
            Op::CheckContainerInfo,
            PathForm::Item,
            "rest/containers/CheckContainerInfo.rst",
        )
    },
    OpSpec {
        endpoints: CONTAINERS,
        request_headers: &[opt(h::X_WOPI_FILE_EXTENSION_FILTER_LIST)],
        ..get(
            Op::EnumerateChildren,
            PathForm::Children,
            "rest/containers/EnumerateChildren.rst",
        )
    },
    OpSpec {
        endpoints: CONTAINERS,
        request_headers: &[opt(h::X_WOPI_SUGGESTED_TARGET), opt(h::X_WOPI_RELATIVE_TARGET)],
        response_headers: &[h::X_WOPI_INVALID_CONTAINER_NAME_ERROR],
        statuses: LOCK_STATUSES,
        ..post(
            Op::CreateChildContainer,
            Override::CreateChildContainer,
            "rest/containers/CreateChildContainer.rst",
        )
    },
    OpSpec {
        endpoints: CONTAINERS,
        request_headers: &[
            opt(h::X_WOPI_SUGGESTED_TARGET),
            opt(h::X_WOPI_RELATIVE_TARGET),
            opt(h::X_WOPI_OVERWRITE_RELATIVE_TARGET),
        ],
        response_headers: &[h::X_WOPI_INVALID_FILE_NAME_ERROR, h::X_WOPI_VALID_RELATIVE_TARGET],
        statuses: LOCK_STATUSES,
        ..post(
            Op::CreateChildFile,
            Override::CreateChildFile,
            "rest/containers/CreateChildFile.rst",
        )
    },
    OpSpec {
        endpoints: CONTAINERS,
        statuses: &[200, 404, 409, 500, 501],
        ..post(
            Op::DeleteContainer,
            Override::DeleteContainer,
            "rest/containers/DeleteContainer.rst",
        )
    },
    OpSpec {
        endpoints: CONTAINERS,
        request_headers: &[req(h::X_WOPI_REQUESTED_NAME)],
        response_headers: &[h::X_WOPI_INVALID_CONTAINER_NAME_ERROR],
        statuses: LOCK_STATUSES,
        ..post(
            Op::RenameContainer,
            Override::RenameContainer,
            "rest/containers/RenameContainer.rst",
        )
    },
    OpSpec {
        endpoints: ECOSYSTEM,
        statuses: &[200, 401, 404, 500],
        ..get(Op::CheckEcosystem, PathForm::Item, "rest/ecosystem/CheckEcosystem.rst")
    },
    OpSpec {
        endpoints: ECOSYSTEM,
        ..get(
            Op::GetRootContainer,
            PathForm::RootContainerPointer,
            "rest/ecosystem/GetRootContainer.rst",
        )
    },
    OpSpec {
        endpoints: ECOSYSTEM,
        request_headers: &[req(h::X_WOPI_HOST_NATIVE_FILE_NAME)],
        ..post(
            Op::GetFileWopiSrc,
            Override::GetWopiSrcWithAccessToken,
            "rest/ecosystem/GetFileWopiSrc.rst",
        )
    },
    // The validator's form (an override on the WopiSrc); the bootstrapper page's form uses X-WOPI-EcosystemOperation.
    OpSpec {
        request_headers: &[req(h::X_WOPI_WOPI_SRC)],
        statuses: &[200, 401, 404, 500],
        ..post(
            Op::GetNewAccessToken,
            Override::GetNewAccessToken,
            "rest/bootstrapper/GetNewAccessToken.rst",
        )
    },
    OpSpec {
        statuses: CSPP_STATUSES,
        ..post(Op::AddActivities, Override::AddActivities, "plus: AddActivities")
    },
    OpSpec {
        request_headers: COAUTH_LOCK_HEADERS,
        response_headers: COAUTH_RESPONSE,
        statuses: CSPP_STATUSES,
        ..post(
            Op::GetCoauthLock,
            Override::GetCoauthLock,
            "plus: coauthoring/get-coauth-lock",
        )
    },
    OpSpec {
        request_headers: COAUTH_LOCK_HEADERS,
        response_headers: COAUTH_RESPONSE,
        statuses: CSPP_STATUSES,
        ..post(
            Op::RefreshCoauthLock,
            Override::RefreshCoauthLock,
            "plus: coauthoring/refresh-coauth-lock",
        )
    },
    OpSpec {
        request_headers: &[req(h::X_WOPI_COAUTH_LOCK_ID)],
        response_headers: COAUTH_RESPONSE,
        statuses: CSPP_STATUSES,
        ..post(
            Op::UnlockCoauthLock,
            Override::UnlockCoauthLock,
            "plus: coauthoring/unlock-coauth-lock",
        )
    },
    OpSpec {
        request_headers: &[opt(h::X_WOPI_COAUTH_TABLE_VERSION)],
        response_headers: &[h::X_WOPI_COAUTH_TABLE_VERSION],
        statuses: CSPP_STATUSES,
        ..post(
            Op::GetCoauthTable,
            Override::GetCoauthTable,
            "plus: coauthoring/get-coauth-table",
        )
    },
    OpSpec {
        response_headers: &[h::X_WOPI_SEQUENCE_NUMBER],
        statuses: CSPP_STATUSES,
        ..post(
            Op::GetChunkedFile,
            Override::GetChunkedFile,
            "plus: file-transfer/get-chunked-file",
        )
    },
    OpSpec {
        path: PathForm::Contents,
        request_headers: &[
            opt(h::X_WOPI_LOCK),
            opt(h::X_WOPI_COAUTH_LOCK_ID),
            opt(h::X_WOPI_SEQUENCE_NUMBER),
            opt(h::X_WOPI_EDITORS),
            opt(h::X_WOPI_UPLOAD_SESSION_TOKEN),
        ],
        response_headers: &[h::X_WOPI_LOCK, h::X_WOPI_SEQUENCE_NUMBER, h::X_WOPI_ITEM_VERSION],
        statuses: CSPP_STATUSES,
        ..post(
            Op::PutChunkedFile,
            Override::PutChunkedFile,
            "plus: file-transfer/put-chunked-file",
        )
    },
    OpSpec {
        response_headers: &[h::X_WOPI_SEQUENCE_NUMBER],
        statuses: CSPP_STATUSES,
        ..post(
            Op::GetSequenceNumber,
            Override::GetSequenceNumber,
            "plus: file-transfer/get-sequence-number",
        )
    },
];

/// Why a request matches no catalogue entry; each maps to the status a host answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A `POST` without `X-WOPI-Override` (400).
    #[error("X-WOPI-Override is required on a POST")]
    MissingOverride,
    /// An override no operation of this endpoint and path has (501).
    #[error("X-WOPI-Override {0:?} is not an operation of this endpoint and path")]
    UnknownOverride(String),
    /// A method and path no operation of this endpoint uses (405 or 404).
    #[error("no WOPI operation is a {method} on this path")]
    NoSuchRoute { method: &'static str },
}

impl Op {
    /// The operation's catalogue entry.
    pub fn spec(self) -> &'static OpSpec {
        // CATALOGUE is in `Op::ALL` order (tested), and `Op` is a fieldless enum counted from 0.
        &CATALOGUE[self as usize]
    }

    /// The operation an XML element or report names (`"Lock"`, `"GetChunkedFile"`).
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// Which operation a request is: by endpoint, method, path and, for `POST`, `X-WOPI-Override` (exact, as
    /// the pages spell it) and marker headers. `has_header` answers whether the request carries a header.
    pub fn resolve(
        endpoint: Endpoint,
        method: Method,
        path: PathForm,
        override_value: Option<&str>,
        has_header: impl Fn(&str) -> bool,
    ) -> Result<Op, ResolveError> {
        let mut on_path = CATALOGUE
            .iter()
            .filter(|s| s.is_on(endpoint) && s.method == method && s.path == path)
            .peekable();
        if on_path.peek().is_none() {
            return Err(ResolveError::NoSuchRoute {
                method: method.as_str(),
            });
        }
        if method == Method::Get {
            return on_path.next().map(|s| s.op).ok_or(ResolveError::NoSuchRoute {
                method: method.as_str(),
            });
        }
        let Some(value) = override_value else {
            return Err(ResolveError::MissingOverride);
        };
        let candidates: Vec<&OpSpec> = on_path
            .filter(|s| {
                s.override_op
                    .is_some_and(|o| o.as_str() == crate::headers::trim_ows(value))
            })
            .collect();
        // A marked entry wins when its header is present; otherwise the unmarked one.
        candidates
            .iter()
            .find(|s| s.marker.is_some_and(&has_header))
            .or_else(|| candidates.iter().find(|s| s.marker.is_none()))
            .map(|s| s.op)
            .ok_or_else(|| ResolveError::UnknownOverride(value.chars().take(80).collect()))
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_in_op_order_and_complete() {
        assert_eq!(CATALOGUE.len(), Op::ALL.len());
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(CATALOGUE[i].op, *op, "entry {i}");
            assert_eq!(op.spec().op, *op);
            assert_eq!(Op::from_name(op.name()), Some(*op));
        }
    }

    #[test]
    fn every_override_value_is_used_at_most_by_marker_pairs() {
        for a in CATALOGUE {
            for b in CATALOGUE {
                let clash = a.op != b.op
                    && a.override_op.is_some()
                    && a.override_op == b.override_op
                    && a.path == b.path
                    && a.endpoints.iter().any(|e| b.is_on(*e));
                // Only Lock / UnlockAndRelock share an override, told apart by X-WOPI-OldLock.
                assert!(
                    !clash || a.marker.is_some() != b.marker.is_some(),
                    "{} vs {}",
                    a.op,
                    b.op
                );
            }
        }
    }

    #[test]
    fn every_get_route_is_unique() {
        for a in CATALOGUE.iter().filter(|s| s.method == Method::Get) {
            for e in a.endpoints {
                let r = Op::resolve(*e, Method::Get, a.path, None, |_| false);
                assert_eq!(r, Ok(a.op), "{} on {e:?}", a.op);
            }
        }
    }

    #[test]
    fn post_routes_resolve_by_override_and_marker() {
        let none = |_: &str| false;
        let old = |n: &str| n == h::X_WOPI_OLD_LOCK;
        let r = |v, path, has: &dyn Fn(&str) -> bool| Op::resolve(Endpoint::Files, Method::Post, path, Some(v), has);
        assert_eq!(r("LOCK", PathForm::Item, &none), Ok(Op::Lock));
        assert_eq!(r("LOCK", PathForm::Item, &old), Ok(Op::UnlockAndRelock));
        assert_eq!(r("PUT", PathForm::Contents, &none), Ok(Op::PutFile));
        assert_eq!(r("PUT_CHUNKED_FILE", PathForm::Contents, &none), Ok(Op::PutChunkedFile));
        // PutFile is on /contents only; the lowercase spelling is not the docs'.
        assert!(matches!(
            r("PUT", PathForm::Item, &none),
            Err(ResolveError::UnknownOverride(_))
        ));
        assert!(matches!(
            r("lock", PathForm::Item, &none),
            Err(ResolveError::UnknownOverride(_))
        ));
        assert_eq!(
            Op::resolve(Endpoint::Files, Method::Post, PathForm::Item, None, none),
            Err(ResolveError::MissingOverride)
        );
        assert_eq!(
            Op::resolve(
                Endpoint::Containers,
                Method::Post,
                PathForm::Item,
                Some("GET_SHARE_URL"),
                none
            ),
            Ok(Op::GetShareUrl)
        );
        assert!(matches!(
            Op::resolve(Endpoint::Containers, Method::Post, PathForm::Item, Some("LOCK"), none),
            Err(ResolveError::UnknownOverride(_))
        ));
        assert!(matches!(
            Op::resolve(Endpoint::Files, Method::Post, PathForm::Children, Some("LOCK"), none),
            Err(ResolveError::NoSuchRoute { .. })
        ));
    }

    #[test]
    fn statuses_and_docs_come_from_the_pages() {
        assert!(Op::GetFile.spec().documents_status(412));
        assert!(!Op::CheckFileInfo.spec().documents_status(409));
        assert!(Op::Lock.spec().request_headers.contains(&req(h::X_WOPI_LOCK)));
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/wopi-docs");
        assert!(docs.is_dir(), "the WOPI docs belong at {}", docs.display());
        for s in CATALOGUE.iter().filter(|s| s.doc.starts_with("rest/")) {
            assert!(docs.join(s.doc).is_file(), "{}: {} is not a page", s.op, s.doc);
        }
    }

    #[test]
    fn unknown_override_is_bounded() {
        let long = "X".repeat(10_000);
        let Err(ResolveError::UnknownOverride(v)) =
            Op::resolve(Endpoint::Files, Method::Post, PathForm::Item, Some(&long), |_| false)
        else {
            panic!("must be unknown");
        };
        assert_eq!(v.len(), 80);
    }
}
