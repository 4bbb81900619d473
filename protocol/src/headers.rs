//! WOPI header names, the `X-WOPI-Override` vocabulary, and typed parsing of structured header values.
//!
//! Sources: `rest/common_headers.rst` (headers any request or response may carry), the operation pages under
//! `rest/files/`, `rest/containers/`, `rest/ecosystem/` and `rest/bootstrapper/` (operation-specific headers and the
//! `X-WOPI-Override` strings), and `rest/_fragments/headers/*.rst` (shared response headers).
//!
//! Header *names* are case-insensitive on the wire (RFC 7230 §3.2, as `common_headers.rst` notes); the constants
//! here use the docs' spelling so that what we send and what reports show reads like the documentation.
//! Header *values* are not case-insensitive unless a page says so: `X-WOPI-Override` is parsed exactly.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

// ---- Standard headers every request may carry (common_headers.rst) ----

/// `X-Request-ID`: a string the host should log to correlate a request with a WOPI call (not `X-WOPI-` prefixed,
/// but listed among the standard WOPI request headers).
pub const X_REQUEST_ID: &str = "X-Request-ID";
/// `X-WOPI-AppEndpoint`: the WOPI client's endpoint (datacenter, region); logging only.
pub const X_WOPI_APP_ENDPOINT: &str = "X-WOPI-AppEndpoint";
/// `X-WOPI-RequestingApplication`: which WOPI client sent the request; logging only.
pub const X_WOPI_REQUESTING_APPLICATION: &str = "X-WOPI-RequestingApplication";
/// `X-WOPI-ClientVersion`: the WOPI client's version, no standard format; logging only.
pub const X_WOPI_CLIENT_VERSION: &str = "X-WOPI-ClientVersion";
/// `X-WOPI-CorrelationId`: the host should log it to correlate its activity with the client's.
pub const X_WOPI_CORRELATION_ID: &str = "X-WOPI-CorrelationId";
/// `X-WOPI-DeviceId`: the ID of the device making the request; logging only.
pub const X_WOPI_DEVICE_ID: &str = "X-WOPI-DeviceId";
/// `X-WOPI-SessionId`: correlates client activity within a session; logging only.
pub const X_WOPI_SESSION_ID: &str = "X-WOPI-SessionId";
/// `X-WOPI-MachineName`: on a request the client machine's name, on a response the host server's; logging only.
pub const X_WOPI_MACHINE_NAME: &str = "X-WOPI-MachineName";
/// `X-WOPI-PerfTraceRequested`: reserved for future use.
pub const X_WOPI_PERF_TRACE_REQUESTED: &str = "X-WOPI-PerfTraceRequested";
/// `X-WOPI-Proof`: the request signed with the client's current proof key (see `proof`).
pub const X_WOPI_PROOF: &str = "X-WOPI-Proof";
/// `X-WOPI-ProofOld`: the request signed with the client's previous proof key.
pub const X_WOPI_PROOF_OLD: &str = "X-WOPI-ProofOld";
/// `X-WOPI-TimeStamp`: .NET ticks (100 ns intervals since 0001-01-01 UTC) of the request; part of the proof.
pub const X_WOPI_TIMESTAMP: &str = "X-WOPI-TimeStamp";

// ---- Standard response headers (common_headers.rst) ----

/// `X-WOPI-HostEndpoint`: the host's endpoint, analogous to `X-WOPI-AppEndpoint`; logging only.
pub const X_WOPI_HOST_ENDPOINT: &str = "X-WOPI-HostEndpoint";
/// `X-WOPI-PerfTrace`: reserved for future use.
pub const X_WOPI_PERF_TRACE: &str = "X-WOPI-PerfTrace";
/// `X-WOPI-ServerError`: details of an error; should accompany a 500, may accompany any non-200; logging only.
pub const X_WOPI_SERVER_ERROR: &str = "X-WOPI-ServerError";
/// `X-WOPI-ServerVersion`: the host server's version, no standard format; logging only.
pub const X_WOPI_SERVER_VERSION: &str = "X-WOPI-ServerVersion";

// ---- Operation selection ----

/// `X-WOPI-Override`: selects the operation on a `POST` to a files or containers endpoint; see [`Override`].
pub const X_WOPI_OVERRIDE: &str = "X-WOPI-Override";
/// `X-WOPI-EcosystemOperation`: selects a bootstrapper operation; see [`EcosystemOperation`].
pub const X_WOPI_ECOSYSTEM_OPERATION: &str = "X-WOPI-EcosystemOperation";

// ---- Locks (Lock.rst, Unlock.rst, RefreshLock.rst, UnlockAndRelock.rst, GetLock.rst, PutFile.rst) ----

/// `X-WOPI-Lock`: on a request the client's lock ID; on a 409 response the lock currently on the file (the empty
/// string when the file is unlocked); on a GetLock 200 the current lock.
pub const X_WOPI_LOCK: &str = "X-WOPI-Lock";
/// `X-WOPI-OldLock`: the lock ID UnlockAndRelock expects to replace. Its presence on a `LOCK` request is what
/// distinguishes UnlockAndRelock from Lock (`UnlockAndRelock.rst`).
pub const X_WOPI_OLD_LOCK: &str = "X-WOPI-OldLock";
/// `X-WOPI-LockFailureReason`: optional cause of a lock failure on a 409; logging only.
pub const X_WOPI_LOCK_FAILURE_REASON: &str = "X-WOPI-LockFailureReason";
/// `X-WOPI-LockedByOtherInterface`: deprecated since 2015-12-15; clients should ignore it.
pub const X_WOPI_LOCKED_BY_OTHER_INTERFACE: &str = "X-WOPI-LockedByOtherInterface";

// ---- File contents and versions (GetFile.rst, PutFile.rst) ----

/// `X-WOPI-ItemVersion`: optional response header carrying the file version; should equal CheckFileInfo `Version`.
pub const X_WOPI_ITEM_VERSION: &str = "X-WOPI-ItemVersion";
/// `X-WOPI-MaxExpectedSize`: GetFile request header; the host answers 412 when the file is larger. Parse with
/// [`parse_size`].
pub const X_WOPI_MAX_EXPECTED_SIZE: &str = "X-WOPI-MaxExpectedSize";
/// `X-WOPI-Editors`: PutFile request header listing the users whose edits the save contains.
pub const X_WOPI_EDITORS: &str = "X-WOPI-Editors";

// ---- Relative files, renames, new children (PutRelativeFile.rst, RenameFile.rst, containers/*.rst) ----

/// `X-WOPI-SuggestedTarget`: UTF-7 file extension (starting with `.`) or full file name; the host may adjust it.
pub const X_WOPI_SUGGESTED_TARGET: &str = "X-WOPI-SuggestedTarget";
/// `X-WOPI-RelativeTarget`: UTF-7 full file name the host must use exactly (400 if illegal, 409 if it exists).
pub const X_WOPI_RELATIVE_TARGET: &str = "X-WOPI-RelativeTarget";
/// `X-WOPI-OverwriteRelativeTarget`: Boolean, default `false`; only meaningful with `X-WOPI-RelativeTarget`.
/// Parse with [`parse_bool`].
pub const X_WOPI_OVERWRITE_RELATIVE_TARGET: &str = "X-WOPI-OverwriteRelativeTarget";
/// `X-WOPI-ValidRelativeTarget`: UTF-7 name a host may suggest with a 409 (name exists) or 400 (illegal name);
/// the client retries with it as `X-WOPI-RelativeTarget`.
pub const X_WOPI_VALID_RELATIVE_TARGET: &str = "X-WOPI-ValidRelativeTarget";
/// `X-WOPI-Size`: PutRelativeFile request header, the size of the file in bytes. Parse with [`parse_size`].
pub const X_WOPI_SIZE: &str = "X-WOPI-Size";
/// `X-WOPI-FileConversion`: its presence marks a PutRelativeFile made during a binary document conversion.
pub const X_WOPI_FILE_CONVERSION: &str = "X-WOPI-FileConversion";
/// `X-WOPI-RequestedName`: UTF-7 new name; for RenameFile it excludes the extension, for RenameContainer it is the
/// container name.
pub const X_WOPI_REQUESTED_NAME: &str = "X-WOPI-RequestedName";
/// `X-WOPI-InvalidFileNameError`: why a RenameFile name was invalid; only with a 400; logging only.
pub const X_WOPI_INVALID_FILE_NAME_ERROR: &str = "X-WOPI-InvalidFileNameError";
/// `X-WOPI-InvalidContainerNameError`: why a container name was invalid; only with a 400; logging only.
pub const X_WOPI_INVALID_CONTAINER_NAME_ERROR: &str = "X-WOPI-InvalidContainerNameError";

// ---- Sharing, enumeration, ecosystem, session (GetShareUrl.rst, EnumerateChildren.rst, ecosystem/*.rst) ----

/// `X-WOPI-UrlType`: which Share URL type GetShareUrl should return (`ReadOnly` or `ReadWrite`).
pub const X_WOPI_URL_TYPE: &str = "X-WOPI-UrlType";
/// `X-WOPI-FileExtensionFilterList`: comma-separated extensions EnumerateChildren (containers) should return.
pub const X_WOPI_FILE_EXTENSION_FILTER_LIST: &str = "X-WOPI-FileExtensionFilterList";
/// Same header as [`X_WOPI_FILE_EXTENSION_FILTER_LIST`], under the shorter name the crate contract used.
pub const X_WOPI_FILE_EXTENSION_FILTER: &str = X_WOPI_FILE_EXTENSION_FILTER_LIST;
/// `X-WOPI-EnumerationIncomplete`: response header telling the client an EnumerateChildren list is partial.
pub const X_WOPI_ENUMERATION_INCOMPLETE: &str = "X-WOPI-EnumerationIncomplete";
/// `X-WOPI-HostNativeFileName`: GetFileWopiSrc request header naming a file in the host's native form.
pub const X_WOPI_HOST_NATIVE_FILE_NAME: &str = "X-WOPI-HostNativeFileName";
/// `X-WOPI-WopiSrc`: GetNewAccessToken (bootstrapper) request header carrying the WopiSrc of a file or container.
pub const X_WOPI_WOPI_SRC: &str = "X-WOPI-WopiSrc";
/// `X-WOPI-SessionContext`: CheckFileInfo request header carrying the action URL's `SESSION_CONTEXT` value.
pub const X_WOPI_SESSION_CONTEXT: &str = "X-WOPI-SessionContext";

// ---- Lock visibility and CSPP Plus (coauth locks, chunked file transfer; ../notes/cspp-plus.md §2) ----

/// `X-WOPI-LockUserVisible`: Lock request header (CSPP Plus); Boolean, whether the lock holder's name may be shown.
pub const X_WOPI_LOCK_USER_VISIBLE: &str = "X-WOPI-LockUserVisible";
/// `X-WOPI-ConflictingLockUsername`: on a 409 for a coauth request, the friendly name of a visible WOPI lock's holder.
pub const X_WOPI_CONFLICTING_LOCK_USERNAME: &str = "X-WOPI-ConflictingLockUsername";
/// `X-WOPI-ConflictingMechanism`: on a 409 for a CSPP Plus write, which lock holds the file (`WOPI-Lock`,
/// `WOPI-CoauthExclusiveLock`, `Other`; D:put-chunked-file).
pub const X_WOPI_CONFLICTING_MECHANISM: &str = "X-WOPI-ConflictingMechanism";
/// `X-WOPI-CoauthLockId`: the coauth lock a request acts on (up to 1,024 ASCII characters).
pub const X_WOPI_COAUTH_LOCK_ID: &str = "X-WOPI-CoauthLockId";
/// `X-WOPI-CoauthLockType`: `Coauth` or `CoauthExclusive` (GetCoauthLock).
pub const X_WOPI_COAUTH_LOCK_TYPE: &str = "X-WOPI-CoauthLockType";
/// `X-WOPI-CoauthLockExpirationTimeout`: seconds, 60 to 3,600 inclusive.
pub const X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT: &str = "X-WOPI-CoauthLockExpirationTimeout";
/// `X-WOPI-CoauthLockMetadata`: the lock's metadata when the request has no JSON body.
pub const X_WOPI_COAUTH_LOCK_METADATA: &str = "X-WOPI-CoauthLockMetadata";
/// `X-WOPI-CoauthTableVersion`: the coauth table's version (request: the version the client has; response: current).
pub const X_WOPI_COAUTH_TABLE_VERSION: &str = "X-WOPI-CoauthTableVersion";
/// `X-WOPI-SequenceNumber`: the content sequence number (PutChunkedFile request, GetSequenceNumber response).
pub const X_WOPI_SEQUENCE_NUMBER: &str = "X-WOPI-SequenceNumber";
/// `X-WOPI-UploadSessionToken`: ties the parts of one chunked upload together (PutChunkedFile).
pub const X_WOPI_UPLOAD_SESSION_TOKEN: &str = "X-WOPI-UploadSessionToken";

/// Every header name above, in the docs' casing (the alias [`X_WOPI_FILE_EXTENSION_FILTER`] appears once).
pub const ALL_HEADERS: &[&str] = &[
    X_REQUEST_ID,
    X_WOPI_APP_ENDPOINT,
    X_WOPI_REQUESTING_APPLICATION,
    X_WOPI_CLIENT_VERSION,
    X_WOPI_CORRELATION_ID,
    X_WOPI_DEVICE_ID,
    X_WOPI_SESSION_ID,
    X_WOPI_MACHINE_NAME,
    X_WOPI_PERF_TRACE_REQUESTED,
    X_WOPI_PROOF,
    X_WOPI_PROOF_OLD,
    X_WOPI_TIMESTAMP,
    X_WOPI_HOST_ENDPOINT,
    X_WOPI_PERF_TRACE,
    X_WOPI_SERVER_ERROR,
    X_WOPI_SERVER_VERSION,
    X_WOPI_OVERRIDE,
    X_WOPI_ECOSYSTEM_OPERATION,
    X_WOPI_LOCK,
    X_WOPI_OLD_LOCK,
    X_WOPI_LOCK_FAILURE_REASON,
    X_WOPI_LOCKED_BY_OTHER_INTERFACE,
    X_WOPI_ITEM_VERSION,
    X_WOPI_MAX_EXPECTED_SIZE,
    X_WOPI_EDITORS,
    X_WOPI_SUGGESTED_TARGET,
    X_WOPI_RELATIVE_TARGET,
    X_WOPI_OVERWRITE_RELATIVE_TARGET,
    X_WOPI_VALID_RELATIVE_TARGET,
    X_WOPI_SIZE,
    X_WOPI_FILE_CONVERSION,
    X_WOPI_REQUESTED_NAME,
    X_WOPI_INVALID_FILE_NAME_ERROR,
    X_WOPI_INVALID_CONTAINER_NAME_ERROR,
    X_WOPI_URL_TYPE,
    X_WOPI_FILE_EXTENSION_FILTER_LIST,
    X_WOPI_ENUMERATION_INCOMPLETE,
    X_WOPI_HOST_NATIVE_FILE_NAME,
    X_WOPI_WOPI_SRC,
    X_WOPI_SESSION_CONTEXT,
    X_WOPI_LOCK_USER_VISIBLE,
    X_WOPI_CONFLICTING_LOCK_USERNAME,
    X_WOPI_CONFLICTING_MECHANISM,
    X_WOPI_COAUTH_LOCK_ID,
    X_WOPI_COAUTH_LOCK_TYPE,
    X_WOPI_COAUTH_LOCK_EXPIRATION_TIMEOUT,
    X_WOPI_COAUTH_LOCK_METADATA,
    X_WOPI_COAUTH_TABLE_VERSION,
    X_WOPI_SEQUENCE_NUMBER,
    X_WOPI_UPLOAD_SESSION_TOKEN,
];

/// Longest part of a peer-supplied value an error keeps, so a hostile header cannot bloat logs and reports.
const MAX_VALUE_IN_ERROR: usize = 80;

/// Why a header value could not be parsed. Every variant names the header (when the caller said which one) and
/// the offending value (truncated to 80 characters).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    /// The header is required by the operation but absent.
    #[error("required header {header} is missing")]
    Missing {
        /// The missing header.
        header: &'static str,
    },
    /// The value is not one of the strings the docs define for this header.
    #[error("{}: {value:?} is not a value the WOPI docs define", header_label(*.header))]
    UnknownValue {
        /// The header, when known.
        header: Option<&'static str>,
        /// The value received (truncated).
        value: String,
    },
    /// A Boolean header holds something other than `true`/`false`.
    #[error("{}: {value:?} is not a Boolean (expected \"true\" or \"false\")", header_label(*.header))]
    NotBool {
        /// The header, when known.
        header: Option<&'static str>,
        /// The value received (truncated).
        value: String,
    },
    /// A size header holds something other than plain decimal digits (sign, exponent, fraction, empty...).
    #[error("{}: {value:?} is not a non-negative decimal integer", header_label(*.header))]
    NotInteger {
        /// The header, when known.
        header: Option<&'static str>,
        /// The value received (truncated).
        value: String,
    },
    /// A size header holds digits whose value does not fit in 64 bits.
    #[error("{}: {value:?} is larger than the largest 64-bit size", header_label(*.header))]
    Overflow {
        /// The header, when known.
        header: Option<&'static str>,
        /// The value received (truncated).
        value: String,
    },
}

fn header_label(header: Option<&'static str>) -> &'static str {
    header.unwrap_or("header value")
}

fn truncated(value: &str) -> String {
    value.chars().take(MAX_VALUE_IN_ERROR).collect()
}

impl HeaderError {
    /// Attaches the header name to an error from a parser that only saw the value, e.g.
    /// `parse_size(v).map_err(|e| e.for_header(X_WOPI_SIZE))`.
    #[must_use]
    pub fn for_header(self, name: &'static str) -> Self {
        match self {
            Self::Missing { .. } => Self::Missing { header: name },
            Self::UnknownValue { value, .. } => Self::UnknownValue {
                header: Some(name),
                value,
            },
            Self::NotBool { value, .. } => Self::NotBool {
                header: Some(name),
                value,
            },
            Self::NotInteger { value, .. } => Self::NotInteger {
                header: Some(name),
                value,
            },
            Self::Overflow { value, .. } => Self::Overflow {
                header: Some(name),
                value,
            },
        }
    }

    /// The header this error is about, if known.
    pub fn header(&self) -> Option<&'static str> {
        match self {
            Self::Missing { header } => Some(header),
            Self::UnknownValue { header, .. }
            | Self::NotBool { header, .. }
            | Self::NotInteger { header, .. }
            | Self::Overflow { header, .. } => *header,
        }
    }
}

/// Strips optional whitespace (space, horizontal tab) around a field value: RFC 7230 §3.2 says it is not part of
/// the value, and some HTTP stacks hand it through.
pub(crate) fn trim_ows(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

/// Parses a WOPI Boolean header value (`X-WOPI-OverwriteRelativeTarget`, `X-WOPI-EnumerationIncomplete`, ...):
/// `true` or `false`, compared case-insensitively because .NET clients write `True`/`False`
/// (`bool.ToString()`), and the docs only name the values. Anything else is an error, never a silent `false`.
pub fn parse_bool(value: &str) -> Result<bool, HeaderError> {
    let v = trim_ows(value);
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(HeaderError::NotBool {
            header: None,
            value: truncated(value),
        })
    }
}

/// [`parse_bool`] with the header named in the error.
pub fn parse_bool_for(header: &'static str, value: &str) -> Result<bool, HeaderError> {
    parse_bool(value).map_err(|e| e.for_header(header))
}

/// Parses a byte count (`X-WOPI-Size` on PutRelativeFile, `X-WOPI-MaxExpectedSize` on GetFile): one or more ASCII
/// decimal digits, no sign, no exponent, no fraction, no separators. Leading zeros are accepted (still decimal).
/// A value beyond `u64::MAX` is [`HeaderError::Overflow`], not a wrap or a clamp.
pub fn parse_size(value: &str) -> Result<u64, HeaderError> {
    let v = trim_ows(value);
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeaderError::NotInteger {
            header: None,
            value: truncated(value),
        });
    }
    v.bytes()
        .try_fold(0u64, |acc, b| acc.checked_mul(10)?.checked_add(u64::from(b - b'0')))
        .ok_or_else(|| HeaderError::Overflow {
            header: None,
            value: truncated(value),
        })
}

/// [`parse_size`] with the header named in the error.
pub fn parse_size_for(header: &'static str, value: &str) -> Result<u64, HeaderError> {
    parse_size(value).map_err(|e| e.for_header(header))
}

/// Declares a closed vocabulary of header values with exact-match `parse`, `as_str`, `ALL`, Display and FromStr.
macro_rules! header_values {
    (
        $(#[$meta:meta])*
        $name:ident for $header:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// Parses a value exactly as the docs spell it (case-sensitive, no surrounding whitespace beyond
            /// HTTP optional whitespace).
            pub fn parse(value: &str) -> Result<Self, HeaderError> {
                match trim_ows(value) {
                    $( $text => Ok($name::$variant), )+
                    _ => Err(HeaderError::UnknownValue { header: Some($header), value: truncated(value) }),
                }
            }

            /// The value as sent on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = HeaderError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

header_values! {
    /// The operations selected by `X-WOPI-Override` on a `POST`.
    ///
    /// Each operation page says `The string ``LOCK``. Required.` and nothing about case, so [`Override::parse`]
    /// is exact and case-sensitive. UnlockAndRelock has no value of its own: it is `LOCK` plus `X-WOPI-OldLock`
    /// (`UnlockAndRelock.rst`); see [`Override::is_unlock_and_relock`]. GetShareUrl uses the same string on the
    /// files and containers endpoints. The pages for GetRestrictedLink, RevokeRestrictedLink, ReadSecureStore and
    /// the Cobalt (cell storage) operations are stubs or deprecated in these docs; their strings are the ones
    /// [MS-WOPI] defines.
    Override for X_WOPI_OVERRIDE {
        /// `LOCK` (Lock, and UnlockAndRelock when `X-WOPI-OldLock` is present).
        Lock => "LOCK",
        /// `UNLOCK`.
        Unlock => "UNLOCK",
        /// `REFRESH_LOCK`.
        RefreshLock => "REFRESH_LOCK",
        /// `GET_LOCK`.
        GetLock => "GET_LOCK",
        /// `PUT` (PutFile, on `/wopi/files/(id)/contents`).
        Put => "PUT",
        /// `PUT_RELATIVE` (PutRelativeFile).
        PutRelative => "PUT_RELATIVE",
        /// `RENAME_FILE`.
        RenameFile => "RENAME_FILE",
        /// `DELETE` (DeleteFile).
        Delete => "DELETE",
        /// `PUT_USER_INFO`.
        PutUserInfo => "PUT_USER_INFO",
        /// `GET_SHARE_URL` (files and containers).
        GetShareUrl => "GET_SHARE_URL",
        /// `GET_RESTRICTED_LINK` ([MS-WOPI]; stub page here).
        GetRestrictedLink => "GET_RESTRICTED_LINK",
        /// `REVOKE_RESTRICTED_LINK` ([MS-WOPI]; stub page here).
        RevokeRestrictedLink => "REVOKE_RESTRICTED_LINK",
        /// `READ_SECURE_STORE` ([MS-WOPI]; stub page here).
        ReadSecureStore => "READ_SECURE_STORE",
        /// `COBALT` (ExecuteCellStorageRequest and ExecuteCellStorageRelativeRequest; deprecated pages).
        Cobalt => "COBALT",
        /// `CREATE_CHILD_CONTAINER`.
        CreateChildContainer => "CREATE_CHILD_CONTAINER",
        /// `CREATE_CHILD_FILE`.
        CreateChildFile => "CREATE_CHILD_FILE",
        /// `DELETE_CONTAINER`.
        DeleteContainer => "DELETE_CONTAINER",
        /// `RENAME_CONTAINER`.
        RenameContainer => "RENAME_CONTAINER",
        /// `GET_WOPI_SRC_WITH_ACCESS_TOKEN` (GetFileWopiSrc on the ecosystem endpoint).
        GetWopiSrcWithAccessToken => "GET_WOPI_SRC_WITH_ACCESS_TOKEN",
        /// `GET_NEW_ACCESS_TOKEN`: the validator sends GetNewAccessToken as an override on the WopiSrc; the
        /// bootstrapper page selects it with `X-WOPI-EcosystemOperation` instead ([`EcosystemOperation`]).
        GetNewAccessToken => "GET_NEW_ACCESS_TOKEN",
        /// `ADD_ACTIVITIES` (AddActivities, CSPP Plus).
        AddActivities => "ADD_ACTIVITIES",
        /// `GET_COAUTH_LOCK` (CSPP Plus).
        GetCoauthLock => "GET_COAUTH_LOCK",
        /// `REFRESH_COAUTH_LOCK` (CSPP Plus).
        RefreshCoauthLock => "REFRESH_COAUTH_LOCK",
        /// `UNLOCK_COAUTH_LOCK` (CSPP Plus).
        UnlockCoauthLock => "UNLOCK_COAUTH_LOCK",
        /// `GET_COAUTH_TABLE` (CSPP Plus).
        GetCoauthTable => "GET_COAUTH_TABLE",
        /// `GET_CHUNKED_FILE` (CSPP Plus).
        GetChunkedFile => "GET_CHUNKED_FILE",
        /// `PUT_CHUNKED_FILE` (CSPP Plus, on `/wopi/files/(id)/contents`).
        PutChunkedFile => "PUT_CHUNKED_FILE",
        /// `GET_SEQUENCE_NUMBER` (CSPP Plus).
        GetSequenceNumber => "GET_SEQUENCE_NUMBER",
    }
}

impl Override {
    /// UnlockAndRelock is a `LOCK` request that also carries `X-WOPI-OldLock`; a host must tell the two apart by
    /// that header's presence (`UnlockAndRelock.rst`).
    pub fn is_unlock_and_relock(self, old_lock_header_present: bool) -> bool {
        self == Override::Lock && old_lock_header_present
    }
}

header_values! {
    /// The bootstrapper operations selected by `X-WOPI-EcosystemOperation` (`rest/bootstrapper/*.rst`).
    EcosystemOperation for X_WOPI_ECOSYSTEM_OPERATION {
        /// `GET_ROOT_CONTAINER`.
        GetRootContainer => "GET_ROOT_CONTAINER",
        /// `GET_NEW_ACCESS_TOKEN`.
        GetNewAccessToken => "GET_NEW_ACCESS_TOKEN",
    }
}

header_values! {
    /// Share URL types for `X-WOPI-UrlType` and CheckFileInfo `SupportedShareUrlTypes` (`CheckFileInfo.rst`).
    ShareUrlType for X_WOPI_URL_TYPE {
        /// View only.
        ReadOnly => "ReadOnly",
        /// View and edit.
        ReadWrite => "ReadWrite",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_round_trips_every_variant() {
        assert_eq!(Override::ALL.len(), 28);
        for &op in Override::ALL {
            assert_eq!(Override::parse(op.as_str()), Ok(op), "{op:?}");
            assert_eq!(op.to_string().parse::<Override>(), Ok(op));
        }
    }

    #[test]
    fn override_strings_are_distinct_and_documented_spelling() {
        let mut seen: Vec<&str> = Override::ALL.iter().map(|o| o.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), Override::ALL.len());
        assert_eq!(Override::PutRelative.as_str(), "PUT_RELATIVE");
        assert_eq!(Override::Put.as_str(), "PUT");
        assert_eq!(Override::RefreshLock.as_str(), "REFRESH_LOCK");
    }

    #[test]
    fn override_parse_is_case_sensitive_and_names_the_header() {
        let err = Override::parse("lock").expect_err("must be rejected");
        assert_eq!(
            err,
            HeaderError::UnknownValue {
                header: Some(X_WOPI_OVERRIDE),
                value: "lock".into()
            }
        );
        assert!(err.to_string().contains("X-WOPI-Override"), "{err}");
        assert!(Override::parse("").is_err());
        assert!(Override::parse("UNLOCK_AND_RELOCK").is_err());
        // HTTP optional whitespace is not part of the value.
        assert_eq!(Override::parse(" LOCK\t"), Ok(Override::Lock));
    }

    #[test]
    fn unlock_and_relock_is_lock_with_old_lock() {
        assert!(Override::Lock.is_unlock_and_relock(true));
        assert!(!Override::Lock.is_unlock_and_relock(false));
        assert!(!Override::Unlock.is_unlock_and_relock(true));
    }

    #[test]
    fn other_vocabularies_round_trip() {
        for &op in EcosystemOperation::ALL {
            assert_eq!(EcosystemOperation::parse(op.as_str()), Ok(op));
        }
        for &t in ShareUrlType::ALL {
            assert_eq!(ShareUrlType::parse(t.as_str()), Ok(t));
        }
        assert_eq!(
            ShareUrlType::parse("readonly").expect_err("must be rejected").header(),
            Some(X_WOPI_URL_TYPE)
        );
    }

    #[test]
    fn parse_bool_accepts_both_cases_and_rejects_the_rest() {
        assert_eq!(parse_bool("true"), Ok(true));
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(parse_bool("FALSE"), Ok(false));
        for bad in ["", "1", "0", "yes", "truee", "t"] {
            assert!(matches!(parse_bool(bad), Err(HeaderError::NotBool { .. })), "{bad:?}");
        }
        let err = parse_bool_for(X_WOPI_OVERWRITE_RELATIVE_TARGET, "yes").expect_err("must be rejected");
        assert_eq!(err.header(), Some(X_WOPI_OVERWRITE_RELATIVE_TARGET));
        assert_eq!(
            err.to_string(),
            r#"X-WOPI-OverwriteRelativeTarget: "yes" is not a Boolean (expected "true" or "false")"#
        );
    }

    #[test]
    fn parse_size_accepts_plain_decimal() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("007"), Ok(7));
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn parse_size_rejects_signs_exponents_fractions_and_overflow() {
        for bad in ["-1", "+1", "1e3", "1.0", "", " ", "0x10", "1_000", "1,000", "١٢"] {
            assert!(
                matches!(parse_size(bad), Err(HeaderError::NotInteger { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_size("18446744073709551616"),
            Err(HeaderError::Overflow { .. })
        ));
        assert!(matches!(
            parse_size(&"9".repeat(400)),
            Err(HeaderError::Overflow { .. })
        ));
        let err = parse_size_for(X_WOPI_SIZE, "-1").expect_err("must be rejected");
        assert_eq!(
            err.to_string(),
            r#"X-WOPI-Size: "-1" is not a non-negative decimal integer"#
        );
    }

    #[test]
    fn error_values_are_truncated() {
        let long = "x".repeat(10_000);
        match parse_bool(&long) {
            Err(HeaderError::NotBool { value, .. }) => assert_eq!(value.len(), MAX_VALUE_IN_ERROR),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn header_names_are_unique_and_wopi_prefixed() {
        let mut lower: Vec<String> = ALL_HEADERS.iter().map(|h| h.to_ascii_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), ALL_HEADERS.len());
        for h in ALL_HEADERS {
            assert!(h.starts_with("X-WOPI-") || *h == X_REQUEST_ID, "{h}");
            // Every name must be a valid HTTP token (no spaces or separators).
            assert!(h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{h}");
        }
        assert_eq!(X_WOPI_TIMESTAMP, "X-WOPI-TimeStamp");
        assert_eq!(X_WOPI_FILE_EXTENSION_FILTER, "X-WOPI-FileExtensionFilterList");
    }
}
