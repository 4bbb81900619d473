//! Coauth locks and their conflicts with WOPI locks (cspp-plus.md §2.1–2.4, §6.1–6.4; D:coauthoring/locks-about,
//! get-coauth-lock, refresh-coauth-lock, unlock-coauth-lock, get-coauth-table, rename-file-plus;
//! D:file-transfer/put-chunked-file).
//!
//! - A **coauth lock** is a row of the file's [`CoauthTable`], keyed by a client-chosen [`CoauthLockId`] (1 to 1024
//!   ASCII characters). Any number of ids may hold a `Coauth` row together; at most one may hold a
//!   `CoauthExclusive` row, which does not stop others from taking `Coauth` rows. Rows belong to the id, not to a
//!   user: any access token may refresh or release them.
//! - Rows expire `timeout` seconds (60 to 3600) after they were taken or refreshed; an expired row never grants
//!   anything and is purged at the start of every operation.
//! - The table has a version (opaque, non-empty) that changes when a row is added, removed or retyped or its
//!   metadata changes, and stays when only expiry times change.
//! - A **WOPI lock** excludes every coauth lock and the other way round; [`put_chunked_file_decision`] and
//!   [`rename_file_decision`] say which lock a write must present.
//!
//! Time is a value ([`UnixMillis`]) passed in by the caller, so these rules run under a test clock.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::lock::LockId;

/// Longest coauth lock id, in characters ("1,024 ASCII characters", D:get-coauth-lock).
pub const MAX_COAUTH_LOCK_ID_CHARS: usize = 1024;
/// Shortest expiration timeout, seconds ("between 1 minute and 1 hour, inclusive").
pub const MIN_TIMEOUT_SECS: u32 = 60;
/// Longest expiration timeout, seconds.
pub const MAX_TIMEOUT_SECS: u32 = 3600;
/// Largest lock metadata, bytes ("4 KB", docs; the validator's "LengthValidation" cases send 13 bytes, §9 item 9).
pub const MAX_METADATA_BYTES: usize = 4096;

/// A request the host answers with **400**, naming what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoauthRequestError {
    /// `X-WOPI-CoauthLockId` missing or empty.
    #[error("X-WOPI-CoauthLockId is missing or empty")]
    MissingId,
    /// Longer than 1024 characters.
    #[error("X-WOPI-CoauthLockId has {len} characters, the limit is {MAX_COAUTH_LOCK_ID_CHARS}")]
    IdTooLong {
        /// Its length.
        len: usize,
    },
    /// Not printable ASCII.
    #[error("X-WOPI-CoauthLockId must be printable ASCII; character {position} is U+{code:04X}")]
    IdNotAscii {
        /// Character index.
        position: usize,
        /// The code point.
        code: u32,
    },
    /// `X-WOPI-CoauthLockType` missing or empty.
    #[error("X-WOPI-CoauthLockType is missing or empty")]
    MissingType,
    /// Not `Coauth` or `CoauthExclusive` (`None` is reserved).
    #[error("X-WOPI-CoauthLockType {0:?} is not Coauth or CoauthExclusive")]
    InvalidType(String),
    /// `X-WOPI-CoauthLockExpirationTimeout` missing or empty.
    #[error("X-WOPI-CoauthLockExpirationTimeout is missing or empty")]
    MissingTimeout,
    /// Not a decimal number of seconds.
    #[error("X-WOPI-CoauthLockExpirationTimeout {0:?} is not a whole number of seconds")]
    InvalidTimeout(String),
    /// Outside 60..=3600.
    #[error("X-WOPI-CoauthLockExpirationTimeout {0} is outside {MIN_TIMEOUT_SECS}..={MAX_TIMEOUT_SECS} seconds")]
    TimeoutOutOfRange(u64),
    /// Over 4 KB.
    #[error("CoauthLockMetadata has {len} bytes, the limit is {MAX_METADATA_BYTES}")]
    MetadataTooLong {
        /// Its length.
        len: usize,
    },
    /// The body is not `{"CoauthLockMetadata": "…"}`.
    #[error("the request body is not a JSON object with a string CoauthLockMetadata: {0}")]
    BadBody(String),
    /// Both `X-WOPI-Lock` and `X-WOPI-CoauthLockId` (PutChunkedFile, RenameFile).
    #[error("X-WOPI-Lock and X-WOPI-CoauthLockId are both set; a request presents one lock at most")]
    BothLocks,
}

/// A header value as the host should see it: an empty value is the same as an absent header (§2: the validator
/// sends several headers empty when a case does not set them).
pub fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

crate::newtype::checked_string! {
    /// A coauth lock id: 1 to 1024 printable ASCII characters, compared exactly.
    #[derive(Hash, PartialOrd, Ord)]
    pub struct CoauthLockId(String): CoauthRequestError;
}

impl CoauthLockId {
    /// Checks the length and alphabet.
    pub fn new(s: impl Into<String>) -> Result<Self, CoauthRequestError> {
        let s = s.into();
        if s.is_empty() {
            return Err(CoauthRequestError::MissingId);
        }
        if let Some((position, c)) = s.chars().enumerate().find(|(_, c)| !(' '..='~').contains(c)) {
            return Err(CoauthRequestError::IdNotAscii {
                position,
                code: u32::from(c),
            });
        }
        if s.len() > MAX_COAUTH_LOCK_ID_CHARS {
            return Err(CoauthRequestError::IdTooLong { len: s.len() });
        }
        Ok(CoauthLockId(s))
    }

    /// From an optional header (empty = absent).
    pub fn from_header(v: Option<&str>) -> Result<Self, CoauthRequestError> {
        non_empty(v).map_or(Err(CoauthRequestError::MissingId), CoauthLockId::new)
    }
}

/// The two lock types (`None` is reserved and rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CoauthLockType {
    /// Shared with any number of ids.
    Coauth,
    /// At most one id at a time; others may still take `Coauth` rows.
    CoauthExclusive,
}

impl CoauthLockType {
    /// From an optional `X-WOPI-CoauthLockType` header. An empty value is the same as none on the wire
    /// (`EmptyCoauthLockType` and `WithoutCoauthLockType` look alike, §2.1); both are 400.
    pub fn from_header(v: Option<&str>) -> Result<Self, CoauthRequestError> {
        match non_empty(v) {
            None => Err(CoauthRequestError::MissingType),
            Some("Coauth") => Ok(CoauthLockType::Coauth),
            Some("CoauthExclusive") => Ok(CoauthLockType::CoauthExclusive),
            Some(other) => Err(CoauthRequestError::InvalidType(other.to_string())),
        }
    }
}

/// An expiration timeout in seconds, 60 to 3600 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpirationTimeout(u32);

impl ExpirationTimeout {
    /// Checks the range.
    pub fn from_secs(secs: u64) -> Result<Self, CoauthRequestError> {
        u32::try_from(secs)
            .ok()
            .filter(|s| (MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS).contains(s))
            .map(ExpirationTimeout)
            .ok_or(CoauthRequestError::TimeoutOutOfRange(secs))
    }

    /// From an optional `X-WOPI-CoauthLockExpirationTimeout` header (decimal seconds).
    pub fn from_header(v: Option<&str>) -> Result<Self, CoauthRequestError> {
        let v = non_empty(v).ok_or(CoauthRequestError::MissingTimeout)?;
        let secs: u64 = v
            .trim()
            .parse()
            .map_err(|_| CoauthRequestError::InvalidTimeout(v.to_string()))?;
        ExpirationTimeout::from_secs(secs)
    }

    /// Seconds.
    pub fn secs(self) -> u32 {
        self.0
    }

    /// Milliseconds.
    pub fn millis(self) -> u64 {
        u64::from(self.0) * 1000
    }
}

/// Milliseconds since 1970-01-01 UTC (the unit of `CoauthLockTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// `self + timeout`.
    pub fn plus(self, t: ExpirationTimeout) -> UnixMillis {
        UnixMillis(self.0.saturating_add(t.millis()))
    }
}

crate::newtype::checked_string! {
    /// Lock metadata, at most 4 KB.
    #[derive(Default)]
    pub struct Metadata(String): CoauthRequestError;
}

impl Metadata {
    /// Checks the size.
    pub fn new(s: impl Into<String>) -> Result<Self, CoauthRequestError> {
        let s = s.into();
        if s.len() > MAX_METADATA_BYTES {
            return Err(CoauthRequestError::MetadataTooLong { len: s.len() });
        }
        Ok(Metadata(s))
    }
}

/// Where a request's metadata came from: the JSON body `{"CoauthLockMetadata": "…"}` and/or the
/// `X-WOPI-CoauthLockMetadata` header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataSource {
    /// The body's `CoauthLockMetadata`, when the request has a JSON body with that member (even `""`).
    pub body: Option<String>,
    /// The header value, when present.
    pub header: Option<String>,
}

#[derive(Deserialize)]
struct MetadataBody {
    #[serde(rename = "CoauthLockMetadata")]
    metadata: Option<String>,
}

impl MetadataSource {
    /// From a header and a raw body (empty body = none).
    pub fn from_request(header: Option<&str>, body: &[u8]) -> Result<Self, CoauthRequestError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            let parsed: MetadataBody =
                serde_json::from_slice(body).map_err(|e| CoauthRequestError::BadBody(e.to_string()))?;
            parsed.metadata
        };
        Ok(MetadataSource {
            body,
            header: header.map(str::to_string),
        })
    }

    /// GetCoauthLock (rule 3 of §2.1): the body wins (even `""`), else the header, else `""`.
    pub fn for_get(self) -> Result<Metadata, CoauthRequestError> {
        Metadata::new(self.body.or(self.header).unwrap_or_default())
    }

    /// RefreshCoauthLock (§2.2): non-empty metadata (body first, then header) replaces the old value; empty or
    /// absent leaves it unchanged (`None`).
    pub fn for_refresh(self) -> Result<Option<Metadata>, CoauthRequestError> {
        let v = self
            .body
            .filter(|s| !s.is_empty())
            .or(self.header.filter(|s| !s.is_empty()));
        v.map(Metadata::new).transpose()
    }
}

/// The display name stored on a row (`UserFriendlyName`, which must be non-empty in the table, §6.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HolderName(String);

impl HolderName {
    /// A non-empty name, or `None`.
    pub fn new(s: impl Into<String>) -> Option<Self> {
        let s = s.into();
        (!s.is_empty()).then_some(HolderName(s))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A checked GetCoauthLock or RefreshCoauthLock request (every failure is a 400). The two carry the same id and
/// timeout; GetCoauthLock adds a type and requires metadata, RefreshCoauthLock has no type (`T = ()`) and may keep
/// the old metadata (`M = Option<Metadata>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoauthLockRequest<T, M> {
    /// The id (length checked before any lookup, TC 30).
    pub id: CoauthLockId,
    /// The type (GetCoauthLock only).
    pub lock_type: T,
    /// The (new) timeout.
    pub timeout: ExpirationTimeout,
    /// The metadata to store; for a refresh, `None` keeps the old.
    pub metadata: M,
}

/// A GetCoauthLock request, checked.
pub type GetCoauthLock = CoauthLockRequest<CoauthLockType, Metadata>;
/// A RefreshCoauthLock request, checked.
pub type RefreshCoauthLock = CoauthLockRequest<(), Option<Metadata>>;

impl<T, M> CoauthLockRequest<T, M> {
    /// Checks in the order the cases need: id, type, timeout, metadata (§2.1 rules 1–3, §2.2).
    fn check(
        id: Option<&str>,
        lock_type: impl FnOnce() -> Result<T, CoauthRequestError>,
        timeout: Option<&str>,
        metadata: impl FnOnce() -> Result<M, CoauthRequestError>,
    ) -> Result<Self, CoauthRequestError> {
        Ok(CoauthLockRequest {
            id: CoauthLockId::from_header(id)?,
            lock_type: lock_type()?,
            timeout: ExpirationTimeout::from_header(timeout)?,
            metadata: metadata()?,
        })
    }
}

impl GetCoauthLock {
    /// Checks GetCoauthLock's headers and body.
    pub fn from_request(
        id: Option<&str>,
        lock_type: Option<&str>,
        timeout: Option<&str>,
        metadata: MetadataSource,
    ) -> Result<Self, CoauthRequestError> {
        Self::check(
            id,
            || CoauthLockType::from_header(lock_type),
            timeout,
            || metadata.for_get(),
        )
    }
}

impl RefreshCoauthLock {
    /// Checks RefreshCoauthLock's headers and body.
    pub fn from_request(
        id: Option<&str>,
        timeout: Option<&str>,
        metadata: MetadataSource,
    ) -> Result<Self, CoauthRequestError> {
        Self::check(id, || Ok(()), timeout, || metadata.for_refresh())
    }
}

/// One row of the coauth table. Serde is for a host's storage (not the wire form, which is [`CoauthRowJson`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoauthRow {
    /// The type.
    pub lock_type: CoauthLockType,
    /// The metadata.
    pub metadata: Metadata,
    /// Who took it first.
    pub holder: HolderName,
    /// First acquisition (`CoauthLockTime`): not reset by refresh or re-get.
    pub lock_time: UnixMillis,
    /// When it expires (`now >= expires_at` means expired). Never on the wire.
    pub expires_at: UnixMillis,
}

/// A row as `GetCoauthTable` and friends send it: exactly these five members, because the validator
/// deep-compares rows (an extra member such as an expiry fails, §6.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoauthRowJson {
    /// The id.
    #[serde(rename = "CoauthLockId")]
    pub id: CoauthLockId,
    /// The metadata (`""`, never null).
    #[serde(rename = "CoauthLockMetadata")]
    pub metadata: String,
    /// ms since 1970 of the first acquisition.
    #[serde(rename = "CoauthLockTime")]
    pub lock_time: u64,
    /// The type.
    #[serde(rename = "CoauthLockType")]
    pub lock_type: CoauthLockType,
    /// The holder's display name.
    #[serde(rename = "UserFriendlyName")]
    pub user_friendly_name: String,
}

/// `{"CoauthTable":[…]}` and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoauthTableJson {
    /// The unexpired rows.
    #[serde(rename = "CoauthTable")]
    pub rows: Vec<CoauthRowJson>,
}

/// The table version: a counter rendered in decimal (non-empty, opaque to clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableVersion(u64);

impl TableVersion {
    /// Whether a client's `X-WOPI-CoauthTableVersion` names this version (compared case-insensitively, as the
    /// validator compares header values; an empty value never matches).
    pub fn matches(self, header: Option<&str>) -> bool {
        non_empty(header).is_some_and(|h| h.trim().eq_ignore_ascii_case(&self.to_string()))
    }
}

impl fmt::Display for TableVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a coauth operation is refused with **409**.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoauthConflict {
    /// A WOPI lock is held (§2.1 rule 4). `X-WOPI-ConflictingLockUsername` is set when that lock was taken
    /// with `X-WOPI-LockUserVisible: true`.
    #[error("the file has a WOPI lock")]
    WopiLock {
        /// The WOPI lock holder's name, when the lock is user-visible.
        conflicting_lock_username: Option<String>,
    },
    /// Another id holds an unexpired CoauthExclusive row (§2.1 rule 5).
    #[error("coauth lock {holder} holds the CoauthExclusive lock")]
    ExclusiveHeld {
        /// The exclusive holder.
        holder: CoauthLockId,
    },
    /// No unexpired row for the id (Refresh/Unlock, §2.2, §2.3).
    #[error("there is no unexpired coauth lock {0}")]
    NoSuchLock(CoauthLockId),
}

/// The WOPI lock currently on the file (unexpired), as the coauth rules need to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WopiLockHeld {
    /// The lock.
    pub lock: LockId,
    /// The holder's `UserFriendlyName` if the lock was taken with `X-WOPI-LockUserVisible: true` (§2.8).
    pub visible_user: Option<String>,
}

/// What GetCoauthTable answers (§2.4): always the current version; the rows unless the client already has this
/// version (then an **empty body**).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableAnswer {
    /// For `X-WOPI-CoauthTableVersion`.
    pub version: TableVersion,
    /// The body, or `None` for an empty body.
    pub body: Option<CoauthTableJson>,
}

/// A file's coauth table. Serde is for a host's storage (rows with their expiry, and the version counter); the wire
/// form is [`CoauthTableJson`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CoauthTable {
    rows: BTreeMap<CoauthLockId, CoauthRow>,
    version: u64,
}

impl CoauthTable {
    /// The current version.
    pub fn version(&self) -> TableVersion {
        TableVersion(self.version)
    }

    fn bump(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    /// Drops the rows expired at `now`. Bumps the version when any went: the docs do not say whether expiry
    /// counts as a change (§9 item 8, untested); bumping cannot make a client keep a stale table.
    pub fn purge(&mut self, now: UnixMillis) {
        let before = self.rows.len();
        self.rows.retain(|_, r| now < r.expires_at);
        if self.rows.len() != before {
            self.bump();
        }
    }

    /// The unexpired rows at `now`.
    pub fn live(&self, now: UnixMillis) -> impl Iterator<Item = (&CoauthLockId, &CoauthRow)> {
        self.rows.iter().filter(move |(_, r)| now < r.expires_at)
    }

    /// Whether any unexpired row exists (then a 409 from any WOPI method leaves out `X-WOPI-Lock`, §6.1).
    pub fn any_live(&self, now: UnixMillis) -> bool {
        self.live(now).next().is_some()
    }

    /// The unexpired row of `id`.
    pub fn row(&self, id: &CoauthLockId, now: UnixMillis) -> Option<&CoauthRow> {
        self.rows.get(id).filter(|r| now < r.expires_at)
    }

    /// The id holding an unexpired CoauthExclusive row.
    pub fn exclusive_holder(&self, now: UnixMillis) -> Option<&CoauthLockId> {
        self.live(now)
            .find(|(_, r)| r.lock_type == CoauthLockType::CoauthExclusive)
            .map(|(id, _)| id)
    }

    /// The table as JSON rows (unexpired only).
    pub fn to_json(&self, now: UnixMillis) -> CoauthTableJson {
        CoauthTableJson {
            rows: self
                .live(now)
                .map(|(id, r)| CoauthRowJson {
                    id: id.clone(),
                    metadata: r.metadata.as_str().to_string(),
                    lock_time: r.lock_time.0,
                    lock_type: r.lock_type,
                    user_friendly_name: r.holder.as_str().to_string(),
                })
                .collect(),
        }
    }

    /// GetCoauthLock (§2.1 rules 4–7, §6.1 rows 2–3). On success the row exists until `now + timeout`; its
    /// `CoauthLockTime` is kept on re-acquire; the version changes if the row is new, retyped or has new metadata.
    pub fn get_lock(
        &mut self,
        req: &GetCoauthLock,
        holder: HolderName,
        wopi: Option<&WopiLockHeld>,
        now: UnixMillis,
    ) -> Result<(), CoauthConflict> {
        self.purge(now);
        if let Some(w) = wopi {
            return Err(CoauthConflict::WopiLock {
                conflicting_lock_username: w.visible_user.clone(),
            });
        }
        if req.lock_type == CoauthLockType::CoauthExclusive
            && let Some(e) = self.exclusive_holder(now)
            && *e != req.id
        {
            return Err(CoauthConflict::ExclusiveHeld { holder: e.clone() });
        }
        let expires_at = now.plus(req.timeout);
        let changed = match self.rows.get_mut(&req.id) {
            Some(row) => {
                let changed = row.lock_type != req.lock_type || row.metadata != req.metadata;
                row.lock_type = req.lock_type;
                row.metadata = req.metadata.clone();
                row.expires_at = expires_at;
                changed
            }
            None => {
                self.rows.insert(
                    req.id.clone(),
                    CoauthRow {
                        lock_type: req.lock_type,
                        metadata: req.metadata.clone(),
                        holder,
                        lock_time: now,
                        expires_at,
                    },
                );
                true
            }
        };
        if changed {
            self.bump();
        }
        Ok(())
    }

    /// RefreshCoauthLock (§2.2): 409 without an unexpired row; else expiry = now + timeout, and new non-empty
    /// metadata replaces the old (version changes only then).
    pub fn refresh(&mut self, req: &RefreshCoauthLock, now: UnixMillis) -> Result<(), CoauthConflict> {
        self.purge(now);
        let row = self
            .rows
            .get_mut(&req.id)
            .ok_or_else(|| CoauthConflict::NoSuchLock(req.id.clone()))?;
        row.expires_at = now.plus(req.timeout);
        let changed = match &req.metadata {
            Some(m) if *m != row.metadata => {
                row.metadata = m.clone();
                true
            }
            _ => false,
        };
        if changed {
            self.bump();
        }
        Ok(())
    }

    /// UnlockCoauthLock (§2.3): 409 for an unknown or expired id; else the row goes and the version changes.
    pub fn unlock(&mut self, id: &CoauthLockId, now: UnixMillis) -> Result<(), CoauthConflict> {
        self.purge(now);
        self.rows
            .remove(id)
            .ok_or_else(|| CoauthConflict::NoSuchLock(id.clone()))?;
        self.bump();
        Ok(())
    }

    /// GetCoauthTable (§2.4): the body is left out when the client's version is current.
    pub fn table(&mut self, client_version: Option<&str>, now: UnixMillis) -> TableAnswer {
        self.purge(now);
        let version = self.version();
        TableAnswer {
            version,
            body: (!version.matches(client_version)).then(|| self.to_json(now)),
        }
    }
}

// ---------------------------------------------------------------- conflicts with WOPI locks

/// `X-WOPI-ConflictingMechanism` values (D:put-chunked-file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictingMechanism {
    /// A WOPI lock holds the file.
    WopiLock,
    /// A CoauthExclusive lock holds the file.
    CoauthExclusiveLock,
    /// Something outside WOPI holds the file (docs only; nothing here produces it).
    Other,
}

impl ConflictingMechanism {
    /// The header value.
    pub fn header_value(self) -> &'static str {
        match self {
            ConflictingMechanism::WopiLock => "WOPI-Lock",
            ConflictingMechanism::CoauthExclusiveLock => "WOPI-CoauthExclusiveLock",
            ConflictingMechanism::Other => "Other",
        }
    }
}

/// The lock a write request presents: at most one of `X-WOPI-Lock` and `X-WOPI-CoauthLockId` (both = 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// Neither header (or both empty).
    Nothing,
    /// `X-WOPI-Lock`, exactly as sent.
    WopiLock(String),
    /// `X-WOPI-CoauthLockId`, exactly as sent.
    CoauthLock(String),
}

impl Presented {
    /// From the two headers; empty values count as absent (PutChunkedFile and RenameFile always send both
    /// headers, usually empty, §2).
    pub fn from_headers(wopi_lock: Option<&str>, coauth_lock_id: Option<&str>) -> Result<Self, CoauthRequestError> {
        match (non_empty(wopi_lock), non_empty(coauth_lock_id)) {
            (Some(_), Some(_)) => Err(CoauthRequestError::BothLocks),
            (Some(l), None) => Ok(Presented::WopiLock(l.to_string())),
            (None, Some(c)) => Ok(Presented::CoauthLock(c.to_string())),
            (None, None) => Ok(Presented::Nothing),
        }
    }
}

/// A write refused with **409**, with the headers to send.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("lock conflict (X-WOPI-ConflictingMechanism: {mechanism:?}, X-WOPI-Lock: {x_wopi_lock:?})")]
pub struct LockConflict {
    /// `X-WOPI-ConflictingMechanism`, when one applies.
    pub mechanism: Option<ConflictingMechanism>,
    /// `X-WOPI-Lock`: `Some(current)` (possibly `""`), or `None` to leave the header out.
    pub x_wopi_lock: Option<String>,
}

/// The lock state a write is judged against, at one instant.
#[derive(Debug, Clone, Copy)]
pub struct LockState<'a> {
    /// The unexpired WOPI lock, if any.
    pub wopi: Option<&'a WopiLockHeld>,
    /// The coauth table.
    pub coauth: &'a CoauthTable,
    /// Now.
    pub now: UnixMillis,
}

/// PutChunkedFile's lock check (§6.2), after the 400 for both headers ([`Presented::from_headers`]) and before the
/// sequence check. `main_len` is MainContent's current length in bytes.
pub fn put_chunked_file_decision(
    state: LockState<'_>,
    presented: &Presented,
    main_len: u64,
) -> Result<(), LockConflict> {
    if let Some(w) = state.wopi {
        // §6.2 rows 1–2: only the WOPI lock itself passes (FullFile 3, Zip 7; error 4, 5).
        return only_the_wopi_lock(w, presented);
    }
    if let Some(e) = state.coauth.exclusive_holder(state.now) {
        // Rows 3–4: only the exclusive holder passes (FullFile 2, Zip 6; error 6, 7).
        return match presented {
            Presented::CoauthLock(c) if c == e.as_str() => Ok(()),
            _ => Err(LockConflict {
                mechanism: Some(ConflictingMechanism::CoauthExclusiveLock),
                x_wopi_lock: None,
            }),
        };
    }
    if state.coauth.any_live(state.now) {
        // Rows 5–6: any unexpired row id passes (FullFile 1, 4, 7–9; error 2, 8). The docs' table has no
        // ConflictingMechanism for "rows held, wrong or WOPI lock presented" (§9 item 5); the validator checks only
        // the 409, so we send neither CM nor X-WOPI-Lock.
        let live = |c: &str| state.coauth.live(state.now).any(|(id, _)| id.as_str() == c);
        return match presented {
            Presented::CoauthLock(c) if live(c) => Ok(()),
            _ => Err(LockConflict {
                mechanism: None,
                x_wopi_lock: None,
            }),
        };
    }
    // Rows 8–9: no lock at all. An empty file may be written unlocked (FullFile 5, Zip 11); a non-empty one not
    // (error 1), with `X-WOPI-Lock: ""`. A presented lock or coauth id does not change that: the docs' table
    // implies 409 for an unknown coauth id, the size rule gives the same for a non-empty file (§9 item 6).
    if main_len == 0 {
        Ok(())
    } else {
        Err(LockConflict {
            mechanism: None,
            x_wopi_lock: Some(String::new()),
        })
    }
}

/// While a WOPI lock is held, a write passes only with that lock; anything else is a 409 naming the WOPI lock as the
/// conflicting mechanism, with the lock in `X-WOPI-Lock`.
fn only_the_wopi_lock(w: &WopiLockHeld, presented: &Presented) -> Result<(), LockConflict> {
    match presented {
        Presented::WopiLock(l) if l == w.lock.as_str() => Ok(()),
        _ => Err(LockConflict {
            mechanism: Some(ConflictingMechanism::WopiLock),
            x_wopi_lock: Some(w.lock.as_str().to_string()),
        }),
    }
}

/// RenameFile's lock check with CSPP Plus headers (§6.3), after the 400 for both headers.
pub fn rename_file_decision(state: LockState<'_>, presented: &Presented) -> Result<(), LockConflict> {
    if let Some(w) = state.wopi {
        // A WOPI lock: the WopiCore rule (RenameFile.rst: 409 with the current lock in X-WOPI-Lock).
        return only_the_wopi_lock(w, presented);
    }
    if !state.coauth.any_live(state.now) {
        // No lock held: the presented ids are ignored (ClientPresentsCoauthLockWithHostNoLock → 200).
        return Ok(());
    }
    // Coauth rows: a valid row id is required; with an exclusive row only its holder passes (docs). While rows
    // exist a 409 leaves out X-WOPI-Lock (locks-about), although RenameFile.rst alone would include it.
    let exclusive = state.coauth.exclusive_holder(state.now);
    let ok = match presented {
        Presented::CoauthLock(c) => match exclusive {
            Some(e) => e.as_str() == c,
            None => state.coauth.live(state.now).any(|(id, _)| id.as_str() == c),
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(LockConflict {
            mechanism: exclusive.map(|_| ConflictingMechanism::CoauthExclusiveLock),
            x_wopi_lock: None,
        })
    }
}

/// A WOPI Lock request against coauth rows (§6.1 row 1): refused with 409 and no `X-WOPI-Lock` while any
/// unexpired coauth row exists; otherwise the WopiCore rules decide.
pub fn wopi_lock_decision(coauth: &CoauthTable, now: UnixMillis) -> Result<(), LockConflict> {
    if coauth.any_live(now) {
        // The docs give Lock no X-WOPI-ConflictingMechanism; none is sent.
        Err(LockConflict {
            mechanism: None,
            x_wopi_lock: None,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Each test cites the note's line (../shared/notes/cspp-plus.md) and the validator case (TC) it encodes.
    use super::*;

    const T0: UnixMillis = UnixMillis(1_700_000_000_000);

    fn at(secs: u64) -> UnixMillis {
        UnixMillis(T0.0 + secs * 1000)
    }

    fn id(s: &str) -> CoauthLockId {
        CoauthLockId::new(s).expect("id")
    }

    fn name() -> HolderName {
        HolderName::new("Validator User").expect("name")
    }

    fn req(i: &str, t: CoauthLockType, secs: u64, meta: &str) -> GetCoauthLock {
        GetCoauthLock {
            id: id(i),
            lock_type: t,
            timeout: ExpirationTimeout::from_secs(secs).expect("timeout"),
            metadata: Metadata::new(meta).expect("metadata"),
        }
    }

    use CoauthLockType::{Coauth, CoauthExclusive};

    fn take(t: &mut CoauthTable, i: &str, ty: CoauthLockType, now: UnixMillis) -> Result<(), CoauthConflict> {
        t.get_lock(&req(i, ty, 120, ""), name(), None, now)
    }

    fn rows(t: &CoauthTable, now: UnixMillis) -> Vec<(String, CoauthLockType)> {
        t.to_json(now).rows.into_iter().map(|r| (r.id.0, r.lock_type)).collect()
    }

    fn wopi(lock: &str, visible: Option<&str>) -> WopiLockHeld {
        WopiLockHeld {
            lock: LockId::new(lock).expect("lock"),
            visible_user: visible.map(str::to_string),
        }
    }

    /// §2.1 rules 1–3 (lines 130–132), §2.2 line 142–143: every 400 of GetCoauthLock's headers.
    #[test]
    fn get_coauth_lock_request_400s() {
        let long = "x".repeat(1025);
        let max = "x".repeat(1024);
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Result<(), CoauthRequestError>,
        );
        #[rustfmt::skip] // one case a line: the table reads as the validator's list
        let cases: Vec<Case<'_>> = vec![
            ("TC 22 WithoutCoauthLockId", None, Some("Coauth"), Some("120"), Err(CoauthRequestError::MissingId)),
            ("empty id = absent", Some(""), Some("Coauth"), Some("120"), Err(CoauthRequestError::MissingId)),
            ("TC 20 WithoutCoauthLockType", Some("C1"), None, Some("120"), Err(CoauthRequestError::MissingType)),
            ("TC 27 EmptyCoauthLockType", Some("C1"), Some(""), Some("120"), Err(CoauthRequestError::MissingType)),
            ("TC 26 InvalidCoauthLockType None", Some("C1"), Some("None"), Some("120"), Err(CoauthRequestError::InvalidType("None".into()))),
            ("types are case-sensitive", Some("C1"), Some("coauth"), Some("120"), Err(CoauthRequestError::InvalidType("coauth".into()))),
            ("TC 21 WithoutExpirationTimeout", Some("C1"), Some("Coauth"), None, Err(CoauthRequestError::MissingTimeout)),
            ("TC 28 id of 1025 chars", Some(&long), Some("Coauth"), Some("120"), Err(CoauthRequestError::IdTooLong { len: 1025 })),
            ("id of 1024 chars", Some(&max), Some("Coauth"), Some("120"), Ok(())),
            ("non-ASCII id", Some("Cé"), Some("Coauth"), Some("120"), Err(CoauthRequestError::IdNotAscii { position: 1, code: 0xe9, })),
            ("TC 31 timeout 59", Some("C1"), Some("Coauth"), Some("59"), Err(CoauthRequestError::TimeoutOutOfRange(59))),
            ("TC 31 timeout 3601", Some("C1"), Some("Coauth"), Some("3601"), Err(CoauthRequestError::TimeoutOutOfRange(3601))),
            ("timeout 60", Some("C1"), Some("CoauthExclusive"), Some("60"), Ok(())),
            ("timeout 3600", Some("C1"), Some("Coauth"), Some("3600"), Ok(())),
            ("timeout not a number", Some("C1"), Some("Coauth"), Some("1e3"), Err(CoauthRequestError::InvalidTimeout("1e3".into()))),
            ("timeout negative", Some("C1"), Some("Coauth"), Some("-60"), Err(CoauthRequestError::InvalidTimeout("-60".into()))),
        ];
        for (case, i, ty, timeout, want) in cases {
            let got = GetCoauthLock::from_request(i, ty, timeout, MetadataSource::default()).map(|_| ());
            assert_eq!(got, want, "{case}");
        }
        // §2.2 (line 142): Refresh checks the id length before any lookup (TC 30), and the timeout (TC 32).
        assert_eq!(
            RefreshCoauthLock::from_request(Some(&long), Some("120"), MetadataSource::default()),
            Err(CoauthRequestError::IdTooLong { len: 1025 })
        );
        assert_eq!(
            RefreshCoauthLock::from_request(Some("C1"), Some("3601"), MetadataSource::default()),
            Err(CoauthRequestError::TimeoutOutOfRange(3601))
        );
        assert_eq!(
            RefreshCoauthLock::from_request(None, Some("120"), MetadataSource::default()),
            Err(CoauthRequestError::MissingId),
            "TC 24"
        );
        assert_eq!(
            RefreshCoauthLock::from_request(Some("C1"), None, MetadataSource::default()),
            Err(CoauthRequestError::MissingTimeout),
            "TC 25"
        );
        // §2.3 (line 152): Unlock without id (TC 23), 1025 chars (TC 29).
        assert_eq!(CoauthLockId::from_header(None), Err(CoauthRequestError::MissingId));
        assert_eq!(
            CoauthLockId::from_header(Some(&long)),
            Err(CoauthRequestError::IdTooLong { len: 1025 })
        );
        assert_eq!(
            CoauthRequestError::IdTooLong { len: 1025 }.to_string(),
            "X-WOPI-CoauthLockId has 1025 characters, the limit is 1024"
        );
    }

    /// §2.1 rule 3 (line 132) and §2.2 (line 145): where metadata comes from.
    #[test]
    fn metadata_sources() {
        let src = |body: &[u8], header: Option<&str>| MetadataSource::from_request(header, body).expect("source");
        // TC 42–44: body and header → the body wins.
        assert_eq!(
            src(br#"{"CoauthLockMetadata":"B"}"#, Some("H")).for_get().map(|m| m.0),
            Ok("B".into())
        );
        // TC 45/46: the body's "" wins too.
        assert_eq!(
            src(br#"{"CoauthLockMetadata":""}"#, Some("H")).for_get().map(|m| m.0),
            Ok(String::new())
        );
        // TC 15: header only.
        assert_eq!(src(b"", Some("H")).for_get().map(|m| m.0), Ok("H".into()));
        // TC 17 OmittedCoauthLockMetadata: "".
        assert_eq!(src(b"", None).for_get().map(|m| m.0), Ok(String::new()));
        // Refresh (TC 19, 47): empty or absent keeps the old value; non-empty replaces (TC 18, 41).
        assert_eq!(src(br#"{"CoauthLockMetadata":""}"#, None).for_refresh(), Ok(None));
        assert_eq!(src(b"", None).for_refresh(), Ok(None));
        assert_eq!(
            src(br#"{"CoauthLockMetadata":"m2"}"#, None).for_refresh(),
            Ok(Some(Metadata("m2".into())))
        );
        assert_eq!(src(b"", Some("m3")).for_refresh(), Ok(Some(Metadata("m3".into()))));
        // TC 37/38 send 13 bytes; the docs' 4 KB limit (§9 item 9) is still enforced.
        assert!(src(b"", Some("BIG FILE HERE")).for_get().is_ok());
        assert_eq!(
            src(b"", Some(&"m".repeat(4097))).for_get(),
            Err(CoauthRequestError::MetadataTooLong { len: 4097 })
        );
        assert!(matches!(
            MetadataSource::from_request(None, b"not json"),
            Err(CoauthRequestError::BadBody(_))
        ));
    }

    /// §2.1 rules 4–7 (lines 133–136) and §6.1 rows 2–3 (lines 544–545): GetCoauthLock against every state.
    #[test]
    fn get_coauth_lock_matrix() {
        // (case, setup, request, expected)
        type Setup = fn(&mut CoauthTable);
        let none: Setup = |_| {};
        let c1: Setup = |t| take(t, "C1", Coauth, T0).expect("C1");
        let e1: Setup = |t| take(t, "C1", CoauthExclusive, T0).expect("C1 excl");
        let expired_e1: Setup = |t| {
            t.get_lock(&req("C1", CoauthExclusive, 60, ""), name(), None, T0)
                .expect("C1 excl 60 s");
        };
        type Case = (
            &'static str,
            Setup,
            (&'static str, CoauthLockType),
            Result<(), CoauthConflict>,
        );
        let cases: Vec<Case> = vec![
            ("line 544 no locks, Coauth", none, ("C1", Coauth), Ok(())),
            (
                "line 545 no locks, CoauthExclusive",
                none,
                ("C1", CoauthExclusive),
                Ok(()),
            ),
            ("line 544 Coauth rows only, Coauth (TC 6)", c1, ("C2", Coauth), Ok(())),
            (
                "line 545 Coauth rows only, CoauthExclusive (TC 10)",
                c1,
                ("C2", CoauthExclusive),
                Ok(()),
            ),
            (
                "line 544 exclusive by E, Coauth (rule 6, TC 14)",
                e1,
                ("C2", Coauth),
                Ok(()),
            ),
            (
                "line 545 exclusive by E, CoauthExclusive X = E (rule 7, TC 33 first step)",
                e1,
                ("C1", CoauthExclusive),
                Ok(()),
            ),
            (
                "line 545 exclusive by E, CoauthExclusive X ≠ E (rule 5, TC 33)",
                e1,
                ("C2", CoauthExclusive),
                Err(CoauthConflict::ExclusiveHeld { holder: id("C1") }),
            ),
            (
                "rule 5: only an unexpired exclusive row counts",
                expired_e1,
                ("C2", CoauthExclusive),
                Ok(()),
            ),
            (
                "rule 7: same id switches Excl → Coauth (TC 13)",
                e1,
                ("C1", Coauth),
                Ok(()),
            ),
        ];
        for (case, setup, (i, ty), want) in cases {
            let mut t = CoauthTable::default();
            setup(&mut t);
            let got = take(&mut t, i, ty, at(61));
            assert_eq!(got, want, "{case}");
        }
        // TC 34: C1 Coauth; C2 Excl → 200; C1 → Excl → 409.
        let mut t = CoauthTable::default();
        take(&mut t, "C1", Coauth, T0).expect("C1");
        take(&mut t, "C2", CoauthExclusive, T0).expect("C2 excl");
        assert_eq!(
            take(&mut t, "C1", CoauthExclusive, T0),
            Err(CoauthConflict::ExclusiveHeld { holder: id("C2") }),
            "TC 34"
        );
        // Rule 4 / line 544: a WOPI lock → 409, with the holder's name only when the lock is user-visible (TC 39).
        for (visible, want) in [(Some("Alice"), Some("Alice".to_string())), (None, None)] {
            let mut t = CoauthTable::default();
            let w = wopi("L", visible);
            assert_eq!(
                t.get_lock(&req("C1", Coauth, 120, ""), name(), Some(&w), T0),
                Err(CoauthConflict::WopiLock {
                    conflicting_lock_username: want
                }),
                "TC 39 visible={visible:?}"
            );
            assert!(
                t.get_lock(&req("C1", CoauthExclusive, 120, ""), name(), Some(&w), T0)
                    .is_err(),
                "line 545 WOPI lock L"
            );
        }
    }

    /// §6.4 (lines 599–611) with TC 1–14: the version changes on add, remove, retype and new metadata; the lock
    /// time survives a re-get (rule 7); rows carry exactly five members.
    #[test]
    fn table_versions_and_rows() {
        let mut t = CoauthTable::default();
        let v0 = t.version();
        take(&mut t, "C1", Coauth, T0).expect("C1");
        let v1 = t.version();
        assert_ne!(v0, v1, "TC 6: a new row changes the version");
        take(&mut t, "C1", Coauth, at(10)).expect("C1 again");
        assert_eq!(
            t.version(),
            v1,
            "TC 3: the same row again (only the expiry moves) keeps it"
        );
        take(&mut t, "C1", CoauthExclusive, at(20)).expect("C1 excl");
        let v2 = t.version();
        assert_ne!(v1, v2, "TC 4: retyped");
        t.get_lock(&req("C1", CoauthExclusive, 120, "m"), name(), None, at(30))
            .expect("meta");
        assert_ne!(t.version(), v2, "new metadata");
        let json = t.to_json(at(30));
        assert_eq!(json.rows.len(), 1);
        assert_eq!(
            json.rows[0].lock_time, T0.0,
            "rule 7: CoauthLockTime is the first acquisition"
        );
        let text = serde_json::to_string(&json).expect("json");
        assert_eq!(
            text,
            format!(
                r#"{{"CoauthTable":[{{"CoauthLockId":"C1","CoauthLockMetadata":"m","CoauthLockTime":{},"CoauthLockType":"CoauthExclusive","UserFriendlyName":"Validator User"}}]}}"#,
                T0.0
            )
        );
        let back: CoauthTableJson = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, json);
        assert!(
            serde_json::from_str::<CoauthTableJson>(
                &text.replace("\"UserFriendlyName\"", "\"Expiry\":1,\"UserFriendlyName\"")
            )
            .is_err()
        );
        let v3 = t.version();
        t.unlock(&id("C1"), at(40)).expect("unlock");
        assert_ne!(t.version(), v3, "TC 5: unlock changes the version");
        assert_eq!(rows(&t, at(40)), vec![], "TC 5: GCT → []");
    }

    /// §2.2 (lines 141–148): RefreshCoauthLock.
    #[test]
    fn refresh_rules() {
        let mut t = CoauthTable::default();
        t.get_lock(&req("C1", Coauth, 120, "m1"), name(), None, T0).expect("C1");
        let refresh = |meta: Option<&str>, secs| RefreshCoauthLock {
            lock_type: (),
            id: id("C1"),
            timeout: ExpirationTimeout::from_secs(secs).expect("t"),
            metadata: meta.map(|m| Metadata::new(m).expect("m")),
        };
        let v = t.version();
        t.refresh(&refresh(None, 240), at(10)).expect("refresh");
        assert_eq!(t.version(), v, "TC 19: expiry only → same version");
        assert_eq!(t.to_json(at(10)).rows[0].metadata, "m1", "TC 19: metadata kept");
        t.refresh(&refresh(Some("m2"), 240), at(20)).expect("refresh");
        assert_ne!(t.version(), v, "TC 18: new metadata → new version");
        assert_eq!(t.to_json(at(20)).rows[0].metadata, "m2");
        assert!(
            t.row(&id("C1"), at(259)).is_some(),
            "expiry = refresh time + new timeout"
        );
        assert!(t.row(&id("C1"), at(260)).is_none(), "expired at exactly now >= expiry");
        // TC 36 RefreshCoauthLockWithNoLocks → 409.
        let mut empty = CoauthTable::default();
        assert_eq!(
            empty.refresh(&refresh(None, 60), T0),
            Err(CoauthConflict::NoSuchLock(id("C1")))
        );
    }

    /// §2.3 (lines 152–155) and §2.4 (lines 159–163).
    #[test]
    fn unlock_and_get_table() {
        let mut t = CoauthTable::default();
        // TC 35 UnlockCoauthLockWithNoLocks → 409.
        assert_eq!(t.unlock(&id("C1"), T0), Err(CoauthConflict::NoSuchLock(id("C1"))));
        // TC 12 GetCoauthTableWithoutLocks: non-empty version, `[]`.
        let a = t.table(None, T0);
        assert!(!a.version.to_string().is_empty());
        assert_eq!(a.body, Some(CoauthTableJson { rows: vec![] }));
        assert_eq!(serde_json::to_string(&a.body).expect("json"), r#"{"CoauthTable":[]}"#);
        take(&mut t, "C1", Coauth, T0).expect("C1");
        let tv1 = t.version().to_string();
        take(&mut t, "C2", Coauth, T0).expect("C2");
        let tv2 = t.version().to_string();
        // TC 8: the client has the current version → empty body, same version.
        let a = t.table(Some(&tv2), T0);
        assert_eq!((a.version.to_string(), a.body), (tv2.clone(), None));
        // TC 7: a stale version → the full table and the current version.
        let a = t.table(Some(&tv1), T0);
        assert_eq!(a.version.to_string(), tv2);
        assert_eq!(a.body.map(|b| b.rows.len()), Some(2));
        // An empty header (GetCoauthTable always sends it) is "no version".
        assert!(t.table(Some(""), T0).body.is_some());
        // TC 9: unlock C1 → [C2].
        t.unlock(&id("C1"), T0).expect("unlock");
        assert_eq!(rows(&t, T0), vec![("C2".to_string(), Coauth)]);
    }

    /// §6.4 Expiration group table (lines 615–621), on a test clock.
    #[test]
    fn expiration_group() {
        let sixty = |i: &str| req(i, Coauth, 60, "");
        // GetCoauthTableAfterLockExpiration: C1 60 s; wait 60; C2 120 s; table → only C2.
        let mut t = CoauthTable::default();
        t.get_lock(&sixty("C1"), name(), None, T0).expect("C1");
        t.get_lock(&req("C2", Coauth, 120, ""), name(), None, at(60))
            .expect("C2");
        assert_eq!(rows(&t, at(60)), vec![("C2".to_string(), Coauth)]);
        // RefreshCoauthLockValidation: C1 60 s; wait 30; refresh 240; wait 30 → present.
        let mut t = CoauthTable::default();
        t.get_lock(&sixty("C1"), name(), None, T0).expect("C1");
        let r = RefreshCoauthLock {
            lock_type: (),
            id: id("C1"),
            timeout: ExpirationTimeout::from_secs(240).expect("t"),
            metadata: None,
        };
        t.refresh(&r, at(30)).expect("refresh");
        assert_eq!(t.table(None, at(60)).body.map(|b| b.rows.len()), Some(1));
        // CoauthLockExpirationTimeoutValidation: C1 60 s; wait 60 → [].
        let mut t = CoauthTable::default();
        t.get_lock(&sixty("C1"), name(), None, T0).expect("C1");
        let v = t.version();
        assert_eq!(t.table(None, at(60)).body, Some(CoauthTableJson { rows: vec![] }));
        assert_ne!(
            t.version(),
            v,
            "purging expired rows changes the version (§9 item 8 suggestion)"
        );
        // UnlockCoauthLockOnExpiredCoauthLock / RefreshCoauthLockOnExpiredCoauthLock → 409.
        let mut t = CoauthTable::default();
        t.get_lock(&sixty("C1"), name(), None, T0).expect("C1");
        assert_eq!(
            t.clone().unlock(&id("C1"), at(60)),
            Err(CoauthConflict::NoSuchLock(id("C1")))
        );
        let r = RefreshCoauthLock {
            lock_type: (),
            id: id("C1"),
            timeout: ExpirationTimeout::from_secs(60).expect("t"),
            metadata: None,
        };
        assert_eq!(t.refresh(&r, at(60)), Err(CoauthConflict::NoSuchLock(id("C1"))));
    }

    #[derive(Clone, Copy, Debug)]
    enum Host {
        NoLocks,
        Wopi,
        Coauth,
        Exclusive,
        ExpiredCoauth,
    }

    fn state_tables(host: Host) -> (Option<WopiLockHeld>, CoauthTable) {
        let mut t = CoauthTable::default();
        match host {
            Host::NoLocks => {}
            Host::Wopi => return (Some(wopi("L", None)), t),
            Host::Coauth => take(&mut t, "Client_1", Coauth, T0).expect("row"),
            Host::Exclusive => take(&mut t, "E", CoauthExclusive, T0).expect("row"),
            Host::ExpiredCoauth => t
                .get_lock(&req("Client_1", Coauth, 60, ""), name(), None, T0)
                .expect("row"),
        }
        (None, t)
    }

    fn conflict(cm: Option<ConflictingMechanism>, lock: Option<&str>) -> Result<(), LockConflict> {
        Err(LockConflict {
            mechanism: cm,
            x_wopi_lock: lock.map(str::to_string),
        })
    }

    /// §6.2 (lines 551–561), one row per line, with the IFT cases it stands for, plus §2.6 step 3 (both → 400).
    #[test]
    fn put_chunked_file_matrix() {
        use ConflictingMechanism::{CoauthExclusiveLock, WopiLock};
        use Presented::{CoauthLock as C, Nothing, WopiLock as W};
        let s = |v: &str| v.to_string();
        type Case = (&'static str, Host, Presented, u64, Result<(), LockConflict>);
        let cases: Vec<Case> = vec![
            ("line 553 FullFile 3, Zip 7", Host::Wopi, W(s("L")), 19, Ok(())),
            (
                "line 554 error 4 (other WOPI lock)",
                Host::Wopi,
                W(s("other")),
                19,
                conflict(Some(WopiLock), Some("L")),
            ),
            (
                "line 554 error 5 (coauth id)",
                Host::Wopi,
                C(s("Client_1")),
                19,
                conflict(Some(WopiLock), Some("L")),
            ),
            (
                "line 554 (nothing presented)",
                Host::Wopi,
                Nothing,
                19,
                conflict(Some(WopiLock), Some("L")),
            ),
            ("line 555 FullFile 2, Zip 6", Host::Exclusive, C(s("E")), 19, Ok(())),
            (
                "line 556 error 6 (other coauth id)",
                Host::Exclusive,
                C(s("X")),
                19,
                conflict(Some(CoauthExclusiveLock), None),
            ),
            (
                "line 556 error 7 (a WOPI lock)",
                Host::Exclusive,
                W(s("L")),
                19,
                conflict(Some(CoauthExclusiveLock), None),
            ),
            (
                "line 557 FullFile 1, 4, 7–9",
                Host::Coauth,
                C(s("Client_1")),
                19,
                Ok(()),
            ),
            (
                "line 558 error 2 (id not in table)",
                Host::Coauth,
                C(s("Client_2")),
                19,
                conflict(None, None),
            ),
            (
                "line 558 error 8 (a WOPI lock; §9 item 5: no CM)",
                Host::Coauth,
                W(s("L")),
                19,
                conflict(None, None),
            ),
            (
                "line 558 (nothing presented)",
                Host::Coauth,
                Nothing,
                19,
                conflict(None, None),
            ),
            ("line 560 FullFile 5, Zip 11", Host::NoLocks, Nothing, 0, Ok(())),
            ("line 560 (or anything)", Host::NoLocks, C(s("Client_1")), 0, Ok(())),
            ("line 561 error 1", Host::NoLocks, Nothing, 19, conflict(None, Some(""))),
            (
                "§9 item 6: coauth id, no locks, non-empty",
                Host::NoLocks,
                C(s("Client_1")),
                19,
                conflict(None, Some("")),
            ),
            (
                "expired rows grant nothing (§6.4)",
                Host::ExpiredCoauth,
                C(s("Client_1")),
                19,
                conflict(None, Some("")),
            ),
        ];
        for (case, host, presented, main_len, want) in cases {
            let (w, t) = state_tables(host);
            let state = LockState {
                wopi: w.as_ref(),
                coauth: &t,
                now: at(60),
            };
            assert_eq!(
                put_chunked_file_decision(state, &presented, main_len),
                want,
                "{case} ({host:?})"
            );
        }
        // §2.6 step 3, IFT error 3: both headers → 400; empty values are absent.
        assert_eq!(
            Presented::from_headers(Some("L"), Some("C1")),
            Err(CoauthRequestError::BothLocks)
        );
        assert_eq!(Presented::from_headers(Some(""), Some("")), Ok(Presented::Nothing));
        assert_eq!(
            Presented::from_headers(Some("L"), Some("")),
            Ok(Presented::WopiLock("L".into()))
        );
        assert_eq!(
            ConflictingMechanism::CoauthExclusiveLock.header_value(),
            "WOPI-CoauthExclusiveLock"
        );
        assert_eq!(ConflictingMechanism::WopiLock.header_value(), "WOPI-Lock");
    }

    /// §6.3 (lines 570–577), one row per RenameFileWithCoauthLockSupported case, plus the docs' exclusive rule
    /// (line 579–580).
    #[test]
    fn rename_file_matrix() {
        use Presented::{CoauthLock as C, Nothing, WopiLock as W};
        let s = |v: &str| v.to_string();
        #[rustfmt::skip] // one case a line, as the validator lists them
        let cases: Vec<(&str, Host, Presented, Result<(), LockConflict>)> = vec![
            ("line 571 ClientPresentsNoLockWithHostNoLock", Host::NoLocks, Nothing, Ok(())),
            ("line 572 ClientPresentsCoauthLockWithHostNoLock", Host::NoLocks, C(s("Unknown")), Ok(())),
            ("line 573 ClientPresentsCoauthLockWithHostCoauthLock", Host::Coauth, C(s("Client_1")), Ok(())),
            ("line 574 ClientPresentsNoLockWithHostCoauthLock", Host::Coauth, Nothing, conflict(None, None)),
            ("line 575 ClientPresentsWopiLockWithHostCoauthLock", Host::Coauth, W(s("WrongLock")), conflict(None, None)),
            ("line 576 ClientPresentsWrongCoauthLockWithHostCoauthLock", Host::Coauth, C(s("WrongLockId")), conflict(None, None)),
            ("line 577 ClientPresentsCoauthLockWithHostWopiLock", Host::Wopi, C(s("WrongLockId")), conflict(Some(ConflictingMechanism::WopiLock), Some("L"))),
            ("WopiCore: the WOPI lock itself", Host::Wopi, W(s("L")), Ok(())),
            ("line 580 exclusive: its holder passes", Host::Exclusive, C(s("E")), Ok(())),
            ("line 580 exclusive: another id does not", Host::Exclusive, C(s("Client_1")), conflict(Some(ConflictingMechanism::CoauthExclusiveLock), None)),
            ("expired rows are no lock", Host::ExpiredCoauth, Nothing, Ok(())),
        ];
        for (case, host, presented, want) in cases {
            let (w, t) = state_tables(host);
            let state = LockState {
                wopi: w.as_ref(),
                coauth: &t,
                now: at(60),
            };
            assert_eq!(rename_file_decision(state, &presented), want, "{case}");
        }
        // line 570 ClientCoauthLockAndWopiLockSetTogether → 400.
        assert_eq!(
            Presented::from_headers(Some("L"), Some("C")),
            Err(CoauthRequestError::BothLocks)
        );
    }

    /// §6.1 row 1 (line 543): a WOPI Lock while coauth rows exist → 409 without X-WOPI-Lock; otherwise WopiCore.
    #[test]
    fn wopi_lock_against_coauth_rows() {
        for (host, want) in [
            (Host::NoLocks, Ok(())),
            (Host::Coauth, conflict(None, None)),
            (Host::Exclusive, conflict(None, None)),
            (Host::ExpiredCoauth, Ok(())),
        ] {
            let (_, t) = state_tables(host);
            assert_eq!(wopi_lock_decision(&t, at(60)), want, "{host:?}");
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Get(u8, bool, u64, u8),
        Refresh(u8, u64, Option<u8>),
        Unlock(u8),
        Table,
    }

    fn arb_op() -> impl proptest::strategy::Strategy<Value = (Op, u64)> {
        use proptest::prelude::*;
        let op = prop_oneof![
            (0u8..3, any::<bool>(), 60u64..=240, 0u8..3).prop_map(|(i, x, t, m)| Op::Get(i, x, t, m)),
            (0u8..3, 60u64..=240, proptest::option::of(0u8..3)).prop_map(|(i, t, m)| Op::Refresh(i, t, m)),
            (0u8..3).prop_map(Op::Unlock),
            Just(Op::Table),
        ];
        (op, 0u64..90)
    }

    type Visible = Vec<(String, CoauthLockType, String)>;

    fn visible(t: &CoauthTable, now: UnixMillis) -> Visible {
        t.to_json(now)
            .rows
            .into_iter()
            .map(|r| (r.id.0, r.lock_type, r.metadata))
            .collect()
    }

    proptest::proptest! {
        /// Random operation sequences on a test clock (§6.1, §6.4): at most one unexpired CoauthExclusive row; no
        /// expired row is ever listed; whenever the visible rows change the version changes; CoauthLockTime never
        /// moves while a row lives; and the PutChunkedFile decision is always consistent with the table a client
        /// would read at that moment (the issue's "ConflictingMechanism consistent with GetCoauthTable").
        #[test]
        fn coauth_table_invariants(ops in proptest::collection::vec(arb_op(), 1..40), presented in 0u8..4) {
            let ids = ["C1", "C2", "C3"];
            let mut t = CoauthTable::default();
            let mut now = T0;
            let mut times: BTreeMap<String, u64> = BTreeMap::new();
            for (op, advance) in ops {
                now = UnixMillis(now.0 + advance * 1000);
                let before = visible(&t, now);
                // A row that expired by now may be taken afresh with a new CoauthLockTime.
                times.retain(|k, _| before.iter().any(|(i, _, _)| i == k));
                let v_before = t.version();
                match op {
                    Op::Get(i, excl, secs, m) => {
                        let ty = if excl { CoauthExclusive } else { Coauth };
                        let _ = t.get_lock(&req(ids[usize::from(i)], ty, secs, &format!("m{m}")), name(), None, now);
                    }
                    Op::Refresh(i, secs, m) => {
                        let r = RefreshCoauthLock {
                            lock_type: (),
                            id: id(ids[usize::from(i)]),
                            timeout: ExpirationTimeout::from_secs(secs).expect("t"),
                            metadata: m.map(|m| Metadata::new(format!("m{m}")).expect("m")),
                        };
                        let _ = t.refresh(&r, now);
                    }
                    Op::Unlock(i) => {
                        let _ = t.unlock(&id(ids[usize::from(i)]), now);
                    }
                    Op::Table => {
                        let _ = t.table(None, now);
                    }
                }
                let after = visible(&t, now);
                if after != before {
                    proptest::prop_assert_ne!(t.version(), v_before, "rows changed without a version change");
                }
                let json = t.to_json(now);
                let exclusive = json.rows.iter().filter(|r| r.lock_type == CoauthExclusive).count();
                proptest::prop_assert!(exclusive <= 1);
                for r in &json.rows {
                    let row = t.rows.get(&r.id).expect("listed row exists");
                    proptest::prop_assert!(now < row.expires_at, "an expired row is listed");
                    let first = *times.entry(r.id.0.clone()).or_insert(r.lock_time);
                    proptest::prop_assert_eq!(first, r.lock_time, "CoauthLockTime moved");
                }
                times.retain(|k, _| json.rows.iter().any(|r| &r.id.0 == k));
                let p = match presented {
                    0 => Presented::Nothing,
                    1 => Presented::WopiLock("L".into()),
                    n => Presented::CoauthLock(ids[usize::from(n - 1)].into()),
                };
                let d = put_chunked_file_decision(LockState { wopi: None, coauth: &t, now }, &p, 19);
                match (&d, &p) {
                    (Ok(()), Presented::CoauthLock(c)) => proptest::prop_assert!(json.rows.iter().any(|r| r.id.as_str() == c)),
                    (Ok(()), _) => proptest::prop_assert!(false, "a non-empty file was writable without a coauth lock"),
                    (Err(c), _) => {
                        proptest::prop_assert_eq!(c.mechanism == Some(ConflictingMechanism::CoauthExclusiveLock), exclusive == 1);
                        proptest::prop_assert_eq!(c.x_wopi_lock.is_some(), json.rows.is_empty());
                    }
                }
            }
        }
    }
}
