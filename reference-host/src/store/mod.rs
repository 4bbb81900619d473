//! Storage behind a trait: users, containers, files, versions, locks and file contents.
//!
//! Every method is one *atomic* WOPI-level operation (for example "take this lock if the rules allow it"), never a
//! get-then-set pair, so that a backend shared by several host instances (PostgreSQL with `SELECT ... FOR UPDATE`)
//! can implement the same contract. The lock rules themselves live in [`crate::locks`]; a backend only runs them
//! inside its own critical section. [`sqlite::SqliteStore`] is the embedded implementation; [`postgres::PgStore`]
//! the shared one, for several host instances on one database.
//!
//! Methods return boxed futures so the trait stays object-safe (`Arc<dyn Store>`) and a networked backend can await
//! I/O; the SQLite backend answers reads from memory and runs writes on the blocking thread pool.

pub mod chunked;
pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use wopi_protocol::ids::{ContainerId, FileId};
use wopi_protocol::lock::LockId;
use wopi_protocol::names::FileName;

use wopi_protocol::cspp::coauth::{CoauthConflict, LockConflict, Presented};

use crate::coauth::{CoauthAnswer, CoauthOp, CoauthState, Writer};
use crate::faults::{Fault, FaultSet};
use crate::locks::{ActiveLock, LockOp, LockOutcome};

/// The future every store method returns.
pub type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// A user identifier: 1 to 128 characters of `[A-Za-z0-9._~@-]`.
///
/// CheckFileInfo.rst asks hosts to avoid ``<>"#{}^[]`\/`` in user identity properties; this set is stricter and is
/// also safe in tokens and logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

/// Why a string is not a [`UserId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid user id {0:?}: use 1 to 128 characters of A-Z a-z 0-9 . _ ~ @ -")]
pub struct UserIdError(pub String);

impl UserId {
    /// Validates `s` as a user identifier.
    pub fn new(s: impl Into<String>) -> Result<Self, UserIdError> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.chars().count() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '@' | '-'));
        if ok { Ok(Self(s)) } else { Err(UserIdError(s)) }
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserId {
    type Error = UserIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> String {
        id.0
    }
}

/// A user of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Stable identifier, reported as `UserId`/`OwnerId`.
    pub id: UserId,
    /// Display name, reported as `UserFriendlyName`.
    pub friendly_name: String,
    /// False for read-only users: `UserCanWrite` is false and every write answers 404 ("user unauthorized").
    pub can_write: bool,
    /// The string stored by PutUserInfo, reported as `UserInfo`.
    pub user_info: Option<String>,
}

/// What a new user looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Identifier.
    pub id: UserId,
    /// Display name.
    pub friendly_name: String,
    /// Whether the user may change files.
    pub can_write: bool,
}

/// A container (folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Identifier.
    pub id: ContainerId,
    /// Name without a path; the root container's name is `root`.
    pub name: String,
    /// `None` only for the root container.
    pub parent: Option<ContainerId>,
}

/// A file's metadata (not its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Identifier; never changes, not even on rename.
    pub id: FileId,
    /// The container holding the file.
    pub container: ContainerId,
    /// Name with extension.
    pub name: FileName,
    /// The user who created the file.
    pub owner: UserId,
    /// Size of the current content in bytes.
    pub size: u64,
    /// Content version: starts at 1, goes up by one on every write, never repeats for a file.
    pub version: u64,
    /// SHA-256 of the current content.
    pub sha256: [u8; 32],
    /// When the content last changed.
    pub last_modified: SystemTime,
    /// The current lock, if any and not expired (as of the `now` passed to the read).
    pub lock: Option<ActiveLock>,
}

impl FileRecord {
    /// The record of a file just created from `new` under `name`: version 1, unlocked.
    pub fn created(id: FileId, new: &NewFile, name: FileName, sha256: [u8; 32], now: SystemTime) -> FileRecord {
        FileRecord {
            id,
            container: new.container.clone(),
            name,
            owner: new.owner.clone(),
            size: new.content.len() as u64,
            version: 1,
            sha256,
            last_modified: now,
            lock: None,
        }
    }

    /// This record after `content` (hashing to `sha256`) was written over the file as its next version.
    pub fn overwritten(self, content: &Bytes, sha256: [u8; 32], now: SystemTime) -> FileRecord {
        let version = self.version + 1;
        self.written(content.len(), sha256, version, now)
    }

    /// This record after `size` bytes hashing to `sha256` were written as `version`.
    pub fn written(self, size: usize, sha256: [u8; 32], version: u64, now: SystemTime) -> FileRecord {
        FileRecord {
            size: size as u64,
            version,
            sha256,
            last_modified: now,
            ..self
        }
    }
}

impl FileRecord {
    /// The version as the string reported in `Version` and `X-WOPI-ItemVersion`.
    pub fn version_string(&self) -> String {
        format!("v{}", self.version)
    }
}

/// One stored version of a file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    /// Version number (see [`FileRecord::version`]).
    pub version: u64,
    /// Content size.
    pub size: u64,
    /// Content hash.
    pub sha256: [u8; 32],
    /// When it was written.
    pub modified: SystemTime,
    /// Who wrote it.
    pub author: UserId,
}

/// How a new file's (or container's) name is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMode {
    /// Use the name exactly (PutRelativeFile with `X-WOPI-RelativeTarget`); on a clash overwrite only if asked.
    Exact {
        /// `X-WOPI-OverwriteRelativeTarget`.
        overwrite: bool,
    },
    /// Adjust the name until it is free, keeping the extension (`X-WOPI-SuggestedTarget`).
    Suggested,
}

/// A new file.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Where to create it.
    pub container: ContainerId,
    /// Proposed name.
    pub name: FileName,
    /// How to treat a name clash.
    pub mode: NameMode,
    /// Owner and author of the first version.
    pub owner: UserId,
    /// Initial content.
    pub content: Bytes,
}

/// Result of [`Store::create_file`].
#[derive(Debug, Clone)]
pub struct Created {
    /// The file (new, or the overwritten target).
    pub file: FileRecord,
    /// True when an existing file of that name got new content instead.
    pub overwritten: bool,
}

/// Why a store operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such file, container or user.
    #[error("not found")]
    NotFound,
    /// The lock rules refused the operation; `current` is the lock now on the file (`None`: unlocked).
    #[error("lock mismatch: {reason}")]
    LockMismatch {
        /// The current lock.
        current: Option<LockId>,
        /// Why, for `X-WOPI-LockFailureReason` (logging only).
        reason: &'static str,
    },
    /// A file or container with that name exists (exact mode without overwrite); `valid` is a free name.
    #[error("name already exists")]
    NameExists {
        /// A name that would succeed, for `X-WOPI-ValidRelativeTarget`.
        valid: Option<String>,
    },
    /// PutFile with a last-modified precondition (Collabora's `X-COOL-WOPI-Timestamp`): the file changed since.
    #[error("the file was modified since the client's timestamp")]
    ModifiedSince,
    /// The container still has children.
    #[error("container is not empty")]
    NotEmpty,
    /// The root container cannot be deleted or renamed.
    #[error("the root container cannot be changed")]
    RootContainer,
    /// PutChunkedFile presented a sequence number other than the current one: 412 with the current one.
    #[error("stale sequence number; the current one is {0}")]
    SequenceMismatch(wopi_protocol::cspp::properties::SequenceNumber),
    /// PutChunkedFile content that cannot be rebuilt or stored (unknown chunk, wrong length, too many streams).
    #[error("{0}")]
    BadContent(String),
    /// A coauth operation was refused (409, `crate::coauth`).
    #[error("coauth lock conflict: {0}")]
    Coauth(CoauthConflict),
    /// A write or WOPI lock operation was refused by a coauth lock, or by the WOPI lock under the CSPP Plus rules
    /// (409 with the headers the conflict names, [`crate::coauth::write_access`]).
    #[error("{0}")]
    WriteConflict(LockConflict),
    /// The backend failed; details are logged, never sent to clients.
    #[error("storage backend failure: {0}")]
    Backend(String),
}

/// The storage contract of the reference host. See the module docs.
pub trait Store: Send + Sync + 'static {
    /// The root container.
    fn root_container(&self) -> StoreFuture<'_, Container>;

    /// Creates a user, or updates name and write permission if the id exists.
    fn put_user(&self, user: NewUser) -> StoreFuture<'_, User>;
    /// Reads a user.
    fn user(&self, id: &UserId) -> StoreFuture<'_, User>;
    /// Stores the PutUserInfo string for a user.
    fn set_user_info(&self, id: &UserId, info: String) -> StoreFuture<'_, ()>;

    /// Reads a file's metadata; the lock is reported only if it has not expired at `now`.
    fn file(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, FileRecord>;
    /// Reads a file's metadata and its current content.
    fn content(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, (FileRecord, Bytes)>;
    /// All stored versions of a file, oldest first.
    fn versions(&self, id: &FileId) -> StoreFuture<'_, Vec<VersionRecord>>;
    /// Creates a file (PutRelativeFile, CreateChildFile, provisioning). In exact mode a clash answers
    /// [`StoreError::NameExists`], or, with overwrite, [`StoreError::LockMismatch`] if the target is locked.
    fn create_file(&self, new: NewFile, now: SystemTime) -> StoreFuture<'_, Created>;
    /// Runs one lock operation (Lock, Unlock, RefreshLock, UnlockAndRelock, GetLock, and the lock checks of PutFile,
    /// RenameFile and DeleteFile) atomically; see [`crate::locks`].
    fn lock_op(&self, id: &FileId, op: LockOp, now: SystemTime) -> StoreFuture<'_, LockOutcome>;
    /// PutFile: checks the lock rules and writes a new version in one atomic step (see [`ContentWrite`]).
    fn put_content(&self, write: ContentWrite) -> StoreFuture<'_, FileRecord>;
    /// RenameFile: checks the lock rules ([`Rename::check`]), then renames (to a free variant of the name if it
    /// clashes).
    fn rename_file(&self, rename: Rename) -> StoreFuture<'_, FileRecord>;
    /// The file's CSPP Plus content state (GetChunkedFile, GetSequenceNumber, CheckFileInfo `SequenceNumber`).
    fn chunked(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, (FileRecord, chunked::ChunkedFile)>;
    /// PutChunkedFile: the lock and sequence checks, then the new streams, properties and MainContent version, in
    /// one atomic step; on any error nothing changes. Answers the new record and sequence number.
    fn put_chunked(
        &self,
        write: chunked::ChunkedWrite,
    ) -> StoreFuture<'_, (FileRecord, wopi_protocol::cspp::properties::SequenceNumber)>;
    /// DeleteFile: refuses a locked file, otherwise deletes the file, its versions and unreferenced content.
    fn delete_file(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, ()>;
    /// Finds a file by container and name (case-insensitive, as Windows and Office compare names).
    fn file_by_name(&self, container: &ContainerId, name: &str, now: SystemTime) -> StoreFuture<'_, FileRecord>;

    /// Runs one coauth operation ([`crate::coauth::apply`]) atomically with the file's WOPI lock, and stores the
    /// file's coauth state (expired rows purged) even when the operation is refused.
    fn coauth_op(&self, id: &FileId, op: CoauthOp, now: SystemTime) -> StoreFuture<'_, CoauthAnswer>;

    /// Reads a container.
    fn container(&self, id: &ContainerId) -> StoreFuture<'_, Container>;
    /// Creates a child container.
    fn create_container(&self, parent: &ContainerId, name: FileName, mode: NameMode) -> StoreFuture<'_, Container>;
    /// Renames a container; a clash with a sibling answers [`StoreError::NameExists`].
    fn rename_container(&self, id: &ContainerId, name: FileName) -> StoreFuture<'_, Container>;
    /// Deletes an empty, non-root container.
    fn delete_container(&self, id: &ContainerId) -> StoreFuture<'_, ()>;
    /// Immediate children: containers and files, each sorted by name.
    fn children(&self, id: &ContainerId, now: SystemTime) -> StoreFuture<'_, (Vec<Container>, Vec<FileRecord>)>;
    /// Ancestors of a container, root first, not including the container itself.
    fn ancestors(&self, id: &ContainerId) -> StoreFuture<'_, Vec<Container>>;
}

/// How many numbered variants (`name (2).ext`, ...) a store tries before it gives up on finding a free name.
pub(crate) const FREE_NAME_ATTEMPTS: u64 = 10_000;

/// The numbered variants of `name` a store tries, in order, when the name is taken (both stores number the same way).
pub(crate) fn name_candidates(name: &FileName) -> impl Iterator<Item = FileName> + '_ {
    (2..FREE_NAME_ATTEMPTS).map(|n| name.numbered(n, usize::MAX))
}

/// What a store answers when every candidate of [`name_candidates`] is taken.
pub(crate) fn no_free_name(name: &FileName) -> StoreError {
    StoreError::Backend(format!(
        "no free name for {:?} after {FREE_NAME_ATTEMPTS} attempts",
        name.as_str()
    ))
}

/// A new version of a file as a store writes it: the blob (if new), the version row and the file row.
pub(crate) struct NewVersion<'a> {
    pub file: &'a FileId,
    pub version: u64,
    pub content: &'a [u8],
    pub sha256: &'a [u8; 32],
    pub author: &'a UserId,
    pub modified: SystemTime,
}

impl<'a> NewVersion<'a> {
    /// `sha256` is the hash of `content`, which the caller has already computed for its own checks.
    pub(crate) fn new(
        file: &'a FileId,
        version: u64,
        content: &'a [u8],
        sha256: &'a [u8; 32],
        author: &'a UserId,
        modified: SystemTime,
    ) -> Self {
        NewVersion {
            file,
            version,
            content,
            sha256,
            author,
            modified,
        }
    }
}

/// A RenameFile, as [`Store::rename_file`] takes it.
#[derive(Debug, Clone)]
pub struct Rename {
    /// The file renamed.
    pub id: FileId,
    /// The lock the client presented: a WOPI lock, a coauth lock id, or none.
    pub presented: Presented,
    /// The new name, extension included (already checked against the host's limits).
    pub name: FileName,
    /// When, on the host's clock.
    pub now: SystemTime,
}

impl Rename {
    /// RenameFile's lock check, run by a store in its critical section. Without a WOPI lock the CSPP Plus rule decides
    /// first (rename-file-plus, cspp-plus.md §6.3: with coauth rows held a row's id is needed; with none any presented
    /// id is ignored); then the WopiCore rule of [`crate::locks`] on `X-WOPI-Lock`, where a coauth id counts as no lock.
    pub(crate) fn check(&self, file: &FileRecord, coauth: &CoauthState, faults: &FaultSet) -> Result<(), StoreError> {
        if file.lock.is_none() {
            let now = crate::coauth::millis(self.now);
            crate::coauth::write_access(
                Writer::RenameFile,
                &self.presented,
                None,
                coauth,
                file.size,
                now,
                faults,
            )
            .map_err(StoreError::WriteConflict)?;
        }
        let lock = match &self.presented {
            Presented::WopiLock(l) => Some(LockId::new(l.as_str()).map_err(|e| StoreError::BadContent(e.to_string()))?),
            _ => None,
        };
        crate::locks::check_rename(lock.as_ref(), file.lock.as_ref(), faults).map_err(conflict)
    }
}

/// A PutFile write, as [`Store::put_content`] takes it.
#[derive(Debug, Clone)]
pub struct ContentWrite {
    /// The file written.
    pub id: FileId,
    /// The lock the client presented (`X-WOPI-Lock`), if any.
    pub lock: Option<LockId>,
    /// The new content.
    pub content: Bytes,
    /// Who writes it (the new version's author).
    pub author: UserId,
    /// When, on the host's clock.
    pub now: SystemTime,
    /// The file's `LastModifiedTime` as CheckFileInfo formats it (from Collabora's `X-COOL-WOPI-Timestamp`): the
    /// write happens only if the file still has that time, else [`StoreError::ModifiedSince`].
    pub if_last_modified: Option<String>,
}

impl ContentWrite {
    /// Checks the write against the file as it is now: coauth locks ([`crate::coauth::write_access`]), the lock
    /// rules of [`crate::locks`], then `if_last_modified`.
    pub(crate) fn check(&self, file: &FileRecord, coauth: &CoauthState, faults: &FaultSet) -> Result<(), StoreError> {
        let presented = self
            .lock
            .as_ref()
            .map_or(Presented::Nothing, |l| Presented::WopiLock(l.as_str().to_string()));
        let now = crate::coauth::millis(self.now);
        crate::coauth::write_access(
            Writer::PutFile,
            &presented,
            file.lock.as_ref(),
            coauth,
            file.size,
            now,
            faults,
        )
        .map_err(StoreError::WriteConflict)?;
        // PutFile.rst: "the host must check the file size of the file"; the fault checks the body instead.
        let size_checked = if faults.has(Fault::PutUnlockedEmptyRejected) {
            self.content.len() as u64
        } else {
            file.size
        };
        crate::locks::check_put(self.lock.as_ref(), file.lock.as_ref(), size_checked, faults).map_err(conflict)?;
        // Compared as formatted, because that string is what the client got and sends back.
        if self
            .if_last_modified
            .as_ref()
            .is_some_and(|t| *t != crate::wopi::iso8601(file.last_modified))
        {
            return Err(StoreError::ModifiedSince);
        }
        Ok(())
    }
}

/// A broken lock rule, as the store reports it.
pub(crate) fn conflict(c: crate::locks::Conflict) -> StoreError {
    StoreError::LockMismatch {
        current: c.current,
        reason: c.reason,
    }
}

/// A database error as the store reports it.
pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Locks a mutex of a store, through poisoning: a panic while the guard was held cannot leave the database
/// half-written (its transaction rolls back on drop), so what the mutex guards is still usable.
pub(crate) fn guard<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch, as both stores keep times (0 before the epoch, saturating far ahead).
pub(crate) fn to_ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The inverse of [`to_ms`]; a negative stored value reads as the epoch.
pub(crate) fn from_ms(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// SHA-256 of stored content (content is kept once per hash).
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(data).into()
}

/// The column types a SQL dialect spells differently.
pub(crate) struct SqlTypes {
    pub blob: &'static str,
    pub int: &'static str,
    pub boolean: &'static str,
}

/// The tables both SQL stores share (users, containers, content blobs, files, coauth state as JSON, versions), in a
/// dialect's types.
pub(crate) fn schema(t: SqlTypes) -> String {
    let SqlTypes { blob, int, boolean } = t;
    format!(
        "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, friendly_name TEXT NOT NULL, can_write {boolean} NOT NULL, user_info TEXT);
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT REFERENCES containers(id));
CREATE TABLE IF NOT EXISTS blobs (sha256 {blob} PRIMARY KEY, data {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, container TEXT NOT NULL REFERENCES containers(id), name TEXT NOT NULL,
    owner TEXT NOT NULL, version {int} NOT NULL, size {int} NOT NULL,
    sha256 {blob} NOT NULL REFERENCES blobs(sha256), modified_ms {int} NOT NULL);
CREATE TABLE IF NOT EXISTS coauth (
    file TEXT PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    file TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE, version {int} NOT NULL, size {int} NOT NULL,
    sha256 {blob} NOT NULL REFERENCES blobs(sha256), modified_ms {int} NOT NULL, author TEXT NOT NULL,
    PRIMARY KEY (file, version));
CREATE TABLE IF NOT EXISTS chunked (
    file TEXT PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE, state TEXT NOT NULL, data {blob} NOT NULL);
"
    )
}
