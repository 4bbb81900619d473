//! The embedded store: SQLite for durability, an in-memory index for reads.
//!
//! * **Durability and atomicity.** Metadata and content live in one SQLite database (`host.sqlite3` in the data
//!   directory) in WAL mode with `synchronous=FULL` (`NORMAL` for a temporary directory, which no data outlives).
//!   File content is a BLOB in a `blobs` table keyed by its SHA-256, and a write inserts the blob, the version row
//!   and the file row in *one transaction*: a crash mid-PutFile leaves the old or the new content, never a torn file.
//! * **One writer.** Every mutation runs on the blocking thread pool while holding the single writer connection. The
//!   lock rules ([`crate::locks`]) are evaluated while that connection is held, so check-and-set is atomic: of 64
//!   racing Lock calls exactly one wins.
//! * **Fast reads.** Metadata (users, containers, files, locks) is loaded into memory at start and updated after each
//!   commit, so CheckFileInfo never touches SQLite or blocks the async runtime. Recently used content is kept as
//!   reference-counted [`Bytes`] (bounded), so GetFile of a hot file is a pointer copy; a miss reads the blob on the
//!   blocking pool through a dedicated reader connection.
//! * **One process.** The data directory is locked (`host.lock`) while a store is open, because the in-memory index
//!   is only valid if nobody else writes the database.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use wopi_protocol::cspp::properties::SequenceNumber;
use wopi_protocol::ids::{ContainerId, FileId};
use wopi_protocol::lock::LockId;
use wopi_protocol::names::FileName;

/// Runs one statement through the connection's statement cache: the same few statements run on every request, and
/// parsing them again each time showed in profiles.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

use super::chunked::{ChunkedFile, ChunkedRow, ChunkedWrite};
use super::{
    Container, ContentWrite, Created, FileRecord, NameMode, NewFile, NewUser, NewVersion, Rename, SqlTypes, Store,
    StoreError, StoreFuture, User, UserId, VersionRecord, backend, conflict, from_ms, guard, sha256, to_ms,
};
use crate::coauth::{CoauthAnswer, CoauthOp, CoauthState};
use crate::faults::{Fault, FaultSet};
use crate::locks::{self, ActiveLock, Change, LockOp, LockOutcome};

/// The root container's fixed ID.
pub const ROOT_CONTAINER_ID: &str = "root";
/// How many versions of a file are kept; older ones (and content nothing else refers to) are pruned.
pub const MAX_VERSIONS_KEPT: u64 = 25;
/// Content cache budget in bytes.
const CONTENT_CACHE_BYTES: usize = 256 * 1024 * 1024;
/// Database file name inside the data directory.
pub const DB_FILE: &str = "host.sqlite3";
/// Lock file name inside the data directory.
pub const LOCK_FILE: &str = "host.lock";

/// SQLite's types for the shared tables, plus the table of locks.
fn schema() -> String {
    super::schema(SqlTypes {
        blob: "BLOB",
        int: "INTEGER",
        boolean: "INTEGER",
    }) + "
CREATE TABLE IF NOT EXISTS locks (
    file TEXT PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE, lock_id TEXT NOT NULL, expires_ms INTEGER NOT NULL);
"
}

/// A file as held in memory: the record with its lock as stored (expiry not yet applied).
#[derive(Debug, Clone)]
struct FileRow {
    record: FileRecord,
}

impl FileRow {
    fn at(&self, now: SystemTime, faults: &FaultSet) -> FileRecord {
        let mut record = self.record.clone();
        record.lock = locks::effective(record.lock.take(), now, faults);
        record
    }
}

#[derive(Debug, Default)]
struct Index {
    users: HashMap<UserId, User>,
    containers: HashMap<ContainerId, Container>,
    files: HashMap<FileId, FileRow>,
}

impl Index {
    fn file_named(&self, container: &ContainerId, name: &str) -> Option<&FileRow> {
        let wanted = name.to_lowercase();
        self.files
            .values()
            .find(|f| &f.record.container == container && f.record.name.as_str().to_lowercase() == wanted)
    }

    fn container_named(&self, parent: &ContainerId, name: &str) -> Option<&Container> {
        let wanted = name.to_lowercase();
        self.containers
            .values()
            .find(|c| c.parent.as_ref() == Some(parent) && c.name.to_lowercase() == wanted)
    }

    /// The first free numbered variant of `name` among `container`'s files.
    fn free_file_name(&self, container: &ContainerId, name: &FileName, max_chars: usize) -> FileName {
        (2u64..)
            .map(|n| name.numbered(n, max_chars))
            .find(|candidate| self.file_named(container, candidate.as_str()).is_none())
            .unwrap_or_else(|| name.clone())
    }
}

#[derive(Debug, Default)]
struct ContentCache {
    entries: HashMap<[u8; 32], Bytes>,
    bytes: usize,
}

impl ContentCache {
    fn get(&self, hash: &[u8; 32]) -> Option<Bytes> {
        self.entries.get(hash).cloned()
    }

    fn insert(&mut self, hash: [u8; 32], data: Bytes) {
        if data.len() > CONTENT_CACHE_BYTES / 4 || self.entries.contains_key(&hash) {
            return;
        }
        // Evict arbitrary entries until the new one fits: simple, and a miss only costs one blob read.
        while self.bytes + data.len() > CONTENT_CACHE_BYTES {
            let Some(victim) = self.entries.keys().next().copied() else {
                break;
            };
            if let Some(old) = self.entries.remove(&victim) {
                self.bytes -= old.len();
            }
        }
        self.bytes += data.len();
        self.entries.insert(hash, data);
    }
}

struct Inner {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    index: RwLock<Index>,
    content: Mutex<ContentCache>,
    /// The [`Fault::StaleGetFileCache`] read cache: keyed by file, filled on first read, never invalidated.
    stale_reads: Mutex<HashMap<FileId, Bytes>>,
    faults: FaultSet,
    /// How long a lock lasts (30 minutes unless a test configuration shortens it).
    lock_lifetime: std::time::Duration,
    path: PathBuf,
    // Held for its OS lock on the data directory; released when the store is dropped.
    _dir_lock: File,
}

/// The SQLite-backed [`Store`]. Cheap to clone (shared state).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

fn hash_from(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into().map_err(|_| backend("stored hash is not 32 bytes"))
}

fn u64_from(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_from(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // Room for every statement the store runs, so none is parsed twice (see `exec`).
    conn.set_prepared_statement_cache_capacity(64);
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (or creates) the store in `data_dir`, locking the directory for this process; locks last the docs'
    /// 30 minutes.
    #[cfg(test)]
    pub fn open(data_dir: &Path, faults: FaultSet) -> Result<Self, StoreError> {
        Self::open_with(data_dir, faults, wopi_protocol::lock::LOCK_EXPIRY)
    }

    /// Opens (or creates) the store in `data_dir`, locking the directory for this process, with locks that last
    /// `lock_ttl` (the docs' 30 minutes, or a test configuration's `--lock-ttl`). (a test configuration's `--lock-ttl`).
    pub fn open_with(
        data_dir: &Path,
        faults: FaultSet,
        lock_lifetime: std::time::Duration,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(backend)?;
        let lock_file = File::create(data_dir.join(LOCK_FILE)).map_err(backend)?;
        lock_file.try_lock().map_err(|e| {
            backend(format!(
                "data directory {} is in use by another host process ({e})",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DB_FILE);
        let writer = open_connection(&path).map_err(backend)?;
        writer.execute_batch(&schema()).map_err(backend)?;
        exec(
            &writer,
            "INSERT OR IGNORE INTO containers (id, name, parent) VALUES (?1, 'root', NULL)",
            params![ROOT_CONTAINER_ID],
        )
        .map_err(backend)?;
        let index = load_index(&writer)?;
        let reader = open_connection(&path).map_err(backend)?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
                index: RwLock::new(index),
                content: Mutex::new(ContentCache::default()),
                stale_reads: Mutex::new(HashMap::new()),
                faults,
                lock_lifetime,
                path,
                _dir_lock: lock_file,
            }),
        })
    }

    /// Stops waiting for the disk on every commit (`synchronous=NORMAL` instead of `FULL`), for a data directory
    /// that is deleted when the process ends (the embedded host of `wopi-conformance run`, tests). In WAL mode
    /// writes stay atomic and the database consistent, even after a crash; only a power loss may roll back the
    /// last commits, which a temporary directory does not outlive anyway. Saves an fsync per write.
    pub fn relax_durability_for_temporary_dir(&self) -> Result<(), StoreError> {
        guard(&self.inner.writer)
            .execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(backend)
    }

    /// Reads a value from the `meta` table, or stores `init()` under `key` if absent, and returns it.
    /// The token signing key is kept this way so tokens survive a restart.
    pub fn meta_or_init(&self, key: &str, init: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let conn = guard(&self.inner.writer);
        let existing: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        if let Some(v) = existing {
            return Ok(v);
        }
        let value = init();
        exec(
            &conn,
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )
        .map_err(backend)?;
        Ok(value)
    }

    fn read_index(&self) -> RwLockReadGuard<'_, Index> {
        self.inner.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the blocking pool with the writer connection held.
    fn write<T, F>(&self, f: F) -> StoreFuture<'static, T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner, &mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = guard(&inner.writer);
                f(&inner, &mut conn)
            })
            .await
            .map_err(|e| backend(format!("store task failed: {e}")))?
        })
    }
}

impl Inner {
    /// The index and content cache after `content` was committed as `version` of `current`; the new record.
    fn remember_write(
        &self,
        current: FileRecord,
        content: Bytes,
        hash: [u8; 32],
        version: u64,
        now: SystemTime,
    ) -> FileRecord {
        let record = current.written(content.len(), hash, version, now);
        let mut index = self.index_mut();
        if let Some(row) = index.files.get_mut(&record.id) {
            // The fault: a metadata cache whose size is never refreshed after a write.
            if !self.faults.has(Fault::SizeNotUpdated) {
                row.record.size = record.size;
            }
            row.record.version = version;
            row.record.sha256 = hash;
            row.record.last_modified = now;
        }
        drop(index);
        self.cache_content(hash, content);
        record
    }

    /// The file as a read at `now` sees it (expired locks dropped, faults applied), or [`StoreError::NotFound`].
    fn current(&self, id: &FileId, now: SystemTime) -> Result<FileRecord, StoreError> {
        self.index()
            .files
            .get(id)
            .map(|f| f.at(now, &self.faults))
            .ok_or(StoreError::NotFound)
    }

    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn index_mut(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn cache_content(&self, hash: [u8; 32], data: Bytes) {
        guard(&self.content).insert(hash, data);
    }

    fn cached(&self, hash: &[u8; 32]) -> Option<Bytes> {
        guard(&self.content).get(hash)
    }
}

fn load_index(conn: &Connection) -> Result<Index, StoreError> {
    let mut index = Index::default();
    load_users(conn, &mut index)?;
    load_containers(conn, &mut index)?;
    load_files(conn, &mut index)?;
    Ok(index)
}

fn load_users(conn: &Connection, index: &mut Index) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("SELECT id, friendly_name, can_write, user_info FROM users")
        .map_err(backend)?;
    let users = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, bool>(2)?, r.get(3)?))
        })
        .map_err(backend)?;
    for row in users {
        let (id, friendly_name, can_write, user_info) = row.map_err(backend)?;
        let id = UserId::new(id).map_err(backend)?;
        index.users.insert(
            id.clone(),
            User {
                id,
                friendly_name,
                can_write,
                user_info,
            },
        );
    }
    Ok(())
}

fn load_containers(conn: &Connection, index: &mut Index) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("SELECT id, name, parent FROM containers")
        .map_err(backend)?;
    let containers = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(backend)?;
    for row in containers {
        let (id, name, parent) = row.map_err(backend)?;
        let id = ContainerId::new(id).map_err(backend)?;
        let parent = parent.map(ContainerId::new).transpose().map_err(backend)?;
        index.containers.insert(id.clone(), Container { id, name, parent });
    }
    Ok(())
}

/// Every file with its stored lock (expiry not applied).
fn load_files(conn: &Connection, index: &mut Index) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT f.id, f.container, f.name, f.owner, f.version, f.size, f.sha256, f.modified_ms, l.lock_id, \
             l.expires_ms FROM files f LEFT JOIN locks l ON l.file = f.id",
        )
        .map_err(backend)?;
    let files = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Vec<u8>>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<i64>>(9)?,
            ))
        })
        .map_err(backend)?;
    for row in files {
        let (id, container, name, owner, version, size, hash, modified, lock_id, expires) = row.map_err(backend)?;
        let lock = match (lock_id, expires) {
            (Some(lock_id), Some(expires)) => Some(ActiveLock {
                id: LockId::new(lock_id).map_err(backend)?,
                expires_at: from_ms(expires),
            }),
            _ => None,
        };
        let record = FileRecord {
            id: FileId::new(id).map_err(backend)?,
            container: ContainerId::new(container).map_err(backend)?,
            name: FileName::new_with_max(name, usize::MAX).map_err(backend)?,
            owner: UserId::new(owner).map_err(backend)?,
            size: u64_from(size),
            version: u64_from(version),
            sha256: hash_from(hash)?,
            last_modified: from_ms(modified),
            lock,
        };
        index.files.insert(record.id.clone(), FileRow { record });
    }
    Ok(())
}

/// Reads a file's record and current content: from the content cache, or the blob on the blocking pool.
async fn read_content(inner: &Arc<Inner>, id: &FileId, now: SystemTime) -> Result<(FileRecord, Bytes), StoreError> {
    // A write can replace (and prune) the content between reading the index and reading the blob; then the
    // index is read again. Three rounds only lose to a file rewritten continuously.
    for _ in 0..3 {
        let record = inner.current(id, now)?;
        if let Some(data) = guard(&inner.content).get(&record.sha256) {
            return Ok((record, data));
        }
        let hash = record.sha256;
        let reader = Arc::clone(inner);
        let data = tokio::task::spawn_blocking(move || {
            let conn = guard(&reader.reader);
            conn.query_row("SELECT data FROM blobs WHERE sha256 = ?1", params![&hash[..]], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()
            .map_err(backend)
        })
        .await
        .map_err(|e| backend(format!("store task failed: {e}")))??;
        if let Some(data) = data {
            let data = Bytes::from(data);
            inner.cache_content(hash, data.clone());
            return Ok((record, data));
        }
    }
    Err(StoreError::Backend(
        "file content changed during three consecutive reads".into(),
    ))
}

/// The CSPP Plus state of `file`, read on the writer connection (so it sees the last commit).
fn load_chunked(inner: &Inner, conn: &Connection, file: &FileRecord) -> Result<ChunkedFile, StoreError> {
    let main = match inner.cached(&file.sha256) {
        Some(data) => data,
        None => conn
            .query_row(
                "SELECT data FROM blobs WHERE sha256 = ?1",
                params![&file.sha256[..]],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .map(Bytes::from)
            .map_err(backend)?,
    };
    let row = conn
        .query_row(
            "SELECT state, data FROM chunked WHERE file = ?1",
            params![file.id.as_str()],
            |r| {
                Ok(ChunkedRow {
                    state: r.get(0)?,
                    data: r.get(1)?,
                })
            },
        )
        .optional()
        .map_err(backend)?;
    ChunkedFile::load(file, main, row.as_ref(), &inner.faults)
}

fn new_file_id() -> Result<FileId, StoreError> {
    FileId::new(uuid::Uuid::new_v4().simple().to_string()).map_err(backend)
}

fn new_container_id() -> Result<ContainerId, StoreError> {
    ContainerId::new(format!("c{}", uuid::Uuid::new_v4().simple())).map_err(backend)
}

/// Inserts a blob (if new) and a version row, prunes old versions, and updates the file row, all inside `tx`.
fn write_version(tx: &rusqlite::Transaction<'_>, v: &NewVersion<'_>) -> rusqlite::Result<()> {
    exec(
        tx,
        "INSERT OR IGNORE INTO blobs (sha256, data) VALUES (?1, ?2)",
        params![&v.sha256[..], v.content],
    )?;
    exec(
        tx,
        "INSERT INTO versions (file, version, size, sha256, modified_ms, author) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            v.file.as_str(),
            i64_from(v.version),
            i64_from(v.content.len() as u64),
            &v.sha256[..],
            to_ms(v.modified),
            v.author.as_str()
        ],
    )?;
    exec(
        tx,
        "UPDATE files SET version = ?2, size = ?3, sha256 = ?4, modified_ms = ?5 WHERE id = ?1",
        params![
            v.file.as_str(),
            i64_from(v.version),
            i64_from(v.content.len() as u64),
            &v.sha256[..],
            to_ms(v.modified)
        ],
    )?;
    if v.version > MAX_VERSIONS_KEPT {
        exec(
            tx,
            "DELETE FROM versions WHERE file = ?1 AND version <= ?2",
            params![v.file.as_str(), i64_from(v.version - MAX_VERSIONS_KEPT)],
        )?;
        prune_blobs(tx)?;
    }
    Ok(())
}

fn prune_blobs(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    exec(
        tx,
        "DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.sha256 = blobs.sha256) \
         AND NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = blobs.sha256)",
        [],
    )?;
    Ok(())
}

/// The file's coauth state as stored (empty when it never had any). Read with the writer connection held, so the
/// read, the decision and [`store_coauth`] are one critical section.
fn load_coauth(conn: &Connection, file: &FileId) -> Result<CoauthState, StoreError> {
    let json: Option<String> = conn
        .prepare_cached("SELECT state FROM coauth WHERE file = ?1")
        .and_then(|mut q| q.query_row(params![file.as_str()], |r| r.get(0)).optional())
        .map_err(backend)?;
    CoauthState::from_stored(json.as_deref()).map_err(|e| backend(format!("stored coauth state: {e}")))
}

/// Persists a file's coauth state.
fn store_coauth(conn: &Connection, file: &FileId, state: &CoauthState) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO coauth (file, state) VALUES (?1, ?2) ON CONFLICT(file) DO UPDATE SET state = excluded.state",
        params![file.as_str(), state.to_stored()],
    )
    .map(drop)
    .map_err(backend)
}

fn store_lock(tx: &Connection, file: &FileId, lock: Option<&ActiveLock>) -> rusqlite::Result<()> {
    match lock {
        Some(lock) => exec(
            tx,
            "INSERT INTO locks (file, lock_id, expires_ms) VALUES (?1, ?2, ?3) \
             ON CONFLICT(file) DO UPDATE SET lock_id = excluded.lock_id, expires_ms = excluded.expires_ms",
            params![file.as_str(), lock.id.as_str(), to_ms(lock.expires_at)],
        )?,
        None => exec(tx, "DELETE FROM locks WHERE file = ?1", params![file.as_str()])?,
    };
    Ok(())
}

/// Where a new file goes (PutRelativeFile.rst, CreateChildFile.rst): its name, and the file it replaces if any.
/// A taken name in suggested mode gets a free variant; in exact mode it is replaced only with overwrite and when
/// unlocked, otherwise a 409 offering a free name.
fn placement(
    index: &Index,
    new: &NewFile,
    now: SystemTime,
    faults: &FaultSet,
) -> Result<(FileName, Option<FileRecord>), StoreError> {
    if !index.containers.contains_key(&new.container) {
        return Err(StoreError::NotFound);
    }
    let existing = index
        .file_named(&new.container, new.name.as_str())
        .map(|f| f.at(now, faults));
    match (existing, new.mode) {
        (None, _) => Ok((new.name.clone(), None)),
        (Some(target), NameMode::Suggested) if faults.has(Fault::SuggestedModeOverwrites) => {
            Ok((target.name.clone(), Some(target)))
        }
        (Some(_), NameMode::Suggested) => Ok((index.free_file_name(&new.container, &new.name, usize::MAX), None)),
        (Some(target), NameMode::Exact { overwrite })
            if overwrite || faults.has(Fault::RelativeOverwritesWithoutFlag) =>
        {
            locks::check_delete(target.lock.as_ref(), faults).map_err(conflict)?;
            Ok((target.name.clone(), Some(target)))
        }
        (Some(_), NameMode::Exact { .. }) => {
            let valid = index.free_file_name(&new.container, &new.name, usize::MAX);
            Err(StoreError::NameExists {
                valid: Some(valid.into_string()),
            })
        }
    }
}

/// The rows of a new file: its content blob first (the file row references it), then the file at version 0
/// (the first version row sets it to 1).
fn insert_file(tx: &rusqlite::Transaction<'_>, record: &FileRecord, content: &Bytes) -> rusqlite::Result<()> {
    exec(
        tx,
        "INSERT OR IGNORE INTO blobs (sha256, data) VALUES (?1, ?2)",
        params![&record.sha256[..], &content[..]],
    )?;
    exec(
        tx,
        "INSERT INTO files (id, container, name, owner, version, size, sha256, modified_ms) \
         VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6)",
        params![
            record.id.as_str(),
            record.container.as_str(),
            record.name.as_str(),
            record.owner.as_str(),
            &record.sha256[..],
            to_ms(record.last_modified)
        ],
    )?;
    Ok(())
}

impl Store for SqliteStore {
    fn root_container(&self) -> StoreFuture<'_, Container> {
        let result = ContainerId::new(ROOT_CONTAINER_ID).map_err(backend).and_then(|id| {
            self.read_index()
                .containers
                .get(&id)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
        Box::pin(std::future::ready(result))
    }

    fn put_user(&self, user: NewUser) -> StoreFuture<'_, User> {
        self.write(move |inner, conn| {
            exec(
                conn,
                "INSERT INTO users (id, friendly_name, can_write) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO UPDATE \
                 SET friendly_name = excluded.friendly_name, can_write = excluded.can_write",
                params![user.id.as_str(), user.friendly_name, user.can_write],
            )
            .map_err(backend)?;
            let mut index = inner.index_mut();
            let info = index.users.get(&user.id).and_then(|u| u.user_info.clone());
            let stored = User {
                id: user.id.clone(),
                friendly_name: user.friendly_name,
                can_write: user.can_write,
                user_info: info,
            };
            index.users.insert(user.id, stored.clone());
            Ok(stored)
        })
    }

    fn user(&self, id: &UserId) -> StoreFuture<'_, User> {
        let result = self.read_index().users.get(id).cloned().ok_or(StoreError::NotFound);
        Box::pin(std::future::ready(result))
    }

    fn set_user_info(&self, id: &UserId, info: String) -> StoreFuture<'_, ()> {
        let id = id.clone();
        self.write(move |inner, conn| {
            let changed = exec(
                conn,
                "UPDATE users SET user_info = ?2 WHERE id = ?1",
                params![id.as_str(), info],
            )
            .map_err(backend)?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            if let Some(user) = inner.index_mut().users.get_mut(&id) {
                user.user_info = Some(info);
            }
            Ok(())
        })
    }

    fn file(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, FileRecord> {
        let result = self
            .read_index()
            .files
            .get(id)
            .map(|f| f.at(now, &self.inner.faults))
            .ok_or(StoreError::NotFound);
        Box::pin(std::future::ready(result))
    }

    fn content(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, (FileRecord, Bytes)> {
        let id = id.clone();
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            if inner.faults.has(Fault::StaleGetFileCache) {
                let cached = guard(&inner.stale_reads).get(&id).cloned();
                let record = inner.current(&id, now)?;
                if let Some(data) = cached {
                    return Ok((record, data));
                }
                let (record, data) = read_content(&inner, &id, now).await?;
                guard(&inner.stale_reads).insert(id, data.clone());
                return Ok((record, data));
            }
            read_content(&inner, &id, now).await
        })
    }

    fn versions(&self, id: &FileId) -> StoreFuture<'_, Vec<VersionRecord>> {
        let id = id.clone();
        self.write(move |_, conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT version, size, sha256, modified_ms, author FROM versions WHERE file = ?1 ORDER BY version",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![id.as_str()], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get(3)?,
                        r.get(4)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (version, size, hash, modified, author): (i64, i64, Vec<u8>, i64, String) = row.map_err(backend)?;
                out.push(VersionRecord {
                    version: u64_from(version),
                    size: u64_from(size),
                    sha256: hash_from(hash)?,
                    modified: from_ms(modified),
                    author: UserId::new(author).map_err(backend)?,
                });
            }
            if out.is_empty() {
                return Err(StoreError::NotFound);
            }
            Ok(out)
        })
    }

    fn create_file(&self, new: NewFile, now: SystemTime) -> StoreFuture<'_, Created> {
        self.write(move |inner, conn| {
            let faults = inner.faults;
            let hash = sha256(&new.content);
            let (name, existing) = placement(&inner.index(), &new, now, &faults)?;
            let tx = conn.transaction().map_err(backend)?;
            let (record, overwritten) = match existing {
                Some(target) => {
                    let record = target.overwritten(&new.content, hash, now);
                    write_version(
                        &tx,
                        &NewVersion::new(&record.id, record.version, &new.content, &hash, &new.owner, now),
                    )
                    .map_err(backend)?;
                    (record, true)
                }
                None => {
                    let record = FileRecord::created(new_file_id()?, &new, name, hash, now);
                    insert_file(&tx, &record, &new.content).map_err(backend)?;
                    write_version(
                        &tx,
                        &NewVersion::new(&record.id, 1, &new.content, &hash, &new.owner, now),
                    )
                    .map_err(backend)?;
                    (record, false)
                }
            };
            tx.commit().map_err(backend)?;
            let mut index = inner.index_mut();
            // Keep the stored (unfiltered) lock of an overwritten file in the index.
            let stored_lock = index.files.get(&record.id).and_then(|f| f.record.lock.clone());
            let mut stored = record.clone();
            stored.lock = stored_lock;
            index.files.insert(record.id.clone(), FileRow { record: stored });
            drop(index);
            inner.cache_content(hash, new.content);
            Ok(Created {
                file: record,
                overwritten,
            })
        })
    }

    fn lock_op(&self, id: &FileId, op: LockOp, now: SystemTime) -> StoreFuture<'_, LockOutcome> {
        let id = id.clone();
        let faults = self.inner.faults;
        if faults.has(Fault::NonAtomicLock) && matches!(op, LockOp::Lock(_) | LockOp::UnlockAndRelock { .. }) {
            return self.non_atomic_lock(id, op, now);
        }
        self.write(move |inner, conn| {
            let current = {
                let index = inner.index();
                let row = index.files.get(&id).ok_or(StoreError::NotFound)?;
                row.at(now, &faults).lock
            };
            let current = if matches!(op, LockOp::GetLock) && faults.has(Fault::GetLockReturnsOtherFile) {
                let index = inner.index();
                index
                    .files
                    .values()
                    .filter(|f| f.record.id != id)
                    .find_map(|f| f.at(now, &faults).lock)
            } else {
                current
            };
            let mut coauth = load_coauth(conn, &id)?;
            if !matches!(op, LockOp::GetLock) {
                crate::coauth::wopi_lock_access(&coauth, crate::coauth::millis(now), &faults)
                    .map_err(StoreError::WriteConflict)?;
            }
            let (change, outcome) = locks::decide(&op, current.as_ref(), &faults).map_err(conflict)?;
            let relocked = matches!(change, Change::Set(_) | Change::Clear);
            let bump = faults.has(Fault::LockBumpsVersion) && relocked;
            apply_change(inner, conn, &id, change, current, now)?;
            if relocked && coauth.wopi_lock_changed() {
                store_coauth(conn, &id, &coauth)?;
            }
            if bump {
                // The fault: the lock is kept on the file row, so every lock change counts as a new version.
                exec(
                    conn,
                    "UPDATE files SET version = version + 1 WHERE id = ?1",
                    params![id.as_str()],
                )
                .map_err(backend)?;
                if let Some(row) = inner.index_mut().files.get_mut(&id) {
                    row.record.version += 1;
                }
            }
            Ok(outcome)
        })
    }

    fn put_content(&self, write: ContentWrite) -> StoreFuture<'_, FileRecord> {
        self.write(move |inner, conn| {
            let faults = inner.faults;
            let current = inner.current(&write.id, write.now)?;
            write.check(&current, &load_coauth(conn, &write.id)?, &faults)?;
            let ContentWrite {
                id,
                content,
                author,
                now,
                ..
            } = write;
            let hash = sha256(&content);
            let version = if faults.has(Fault::PutFileKeepsVersion) {
                current.version
            } else {
                current.version + 1
            };
            let tx = conn.transaction().map_err(backend)?;
            if version == current.version {
                exec(
                    &tx,
                    "INSERT OR IGNORE INTO blobs (sha256, data) VALUES (?1, ?2)",
                    params![&hash[..], &content[..]],
                )
                .and_then(|_| {
                    exec(
                        &tx,
                        "UPDATE files SET size = ?2, sha256 = ?3, modified_ms = ?4 WHERE id = ?1",
                        params![id.as_str(), i64_from(content.len() as u64), &hash[..], to_ms(now)],
                    )
                })
                .map_err(backend)?;
            } else {
                write_version(&tx, &NewVersion::new(&id, version, &content, &hash, &author, now)).map_err(backend)?;
            }
            tx.commit().map_err(backend)?;
            Ok(inner.remember_write(current, content, hash, version, now))
        })
    }

    fn chunked(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, (FileRecord, ChunkedFile)> {
        let id = id.clone();
        self.write(move |inner, conn| {
            let current = inner.current(&id, now)?;
            let state = load_chunked(inner, conn, &current)?;
            Ok((current, state))
        })
    }

    fn put_chunked(&self, write: ChunkedWrite) -> StoreFuture<'_, (FileRecord, SequenceNumber)> {
        self.write(move |inner, conn| {
            let current = inner.current(&write.id, write.now)?;
            let state = load_chunked(inner, conn, &current)?;
            let applied = write.apply(&current, &state, &load_coauth(conn, &write.id)?, &inner.faults)?;
            let (hash, version) = (sha256(&applied.main), current.version + 1);
            let row = applied.row(version, hash)?;
            let tx = conn.transaction().map_err(backend)?;
            write_version(
                &tx,
                &NewVersion::new(&write.id, version, &applied.main, &hash, &write.author, write.now),
            )
            .and_then(|_| {
                exec(
                    &tx,
                    "INSERT INTO chunked (file, state, data) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (file) DO UPDATE SET state = excluded.state, data = excluded.data",
                    params![write.id.as_str(), row.state, row.data],
                )
            })
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            let sequence = applied.state.content().sequence();
            Ok((
                inner.remember_write(current, applied.main, hash, version, write.now),
                sequence,
            ))
        })
    }

    fn rename_file(&self, rename: Rename) -> StoreFuture<'_, FileRecord> {
        let id = rename.id.clone();
        let now = rename.now;
        self.write(move |inner, conn| {
            let faults = inner.faults;
            let (current, name, replaced) = {
                let index = inner.index();
                let current = index
                    .files
                    .get(&id)
                    .map(|f| f.at(now, &faults))
                    .ok_or(StoreError::NotFound)?;
                rename.check(&current, &load_coauth(conn, &id)?, &faults)?;
                let name = rename.name;
                // RenameFile.rst: on a clash "the host should try to generate a different name".
                let (name, replaced) = match index.file_named(&current.container, name.as_str()) {
                    Some(other) if other.record.id != id && faults.has(Fault::RenameOverwritesExisting) => {
                        (name, Some(other.record.id.clone()))
                    }
                    Some(other) if other.record.id != id => {
                        (index.free_file_name(&current.container, &name, usize::MAX), None)
                    }
                    _ => (name, None),
                };
                (current, name, replaced)
            };
            if let Some(other) = &replaced {
                let tx = conn.transaction().map_err(backend)?;
                exec(&tx, "DELETE FROM locks WHERE file = ?1", params![other.as_str()])
                    .and_then(|_| exec(&tx, "DELETE FROM versions WHERE file = ?1", params![other.as_str()]))
                    .and_then(|_| exec(&tx, "DELETE FROM files WHERE id = ?1", params![other.as_str()]))
                    .and_then(|_| prune_blobs(&tx))
                    .map_err(backend)?;
                tx.commit().map_err(backend)?;
                inner.index_mut().files.remove(other);
            }
            exec(
                conn,
                "UPDATE files SET name = ?2 WHERE id = ?1",
                params![id.as_str(), name.as_str()],
            )
            .map_err(backend)?;
            if let Some(row) = inner.index_mut().files.get_mut(&id) {
                row.record.name = name.clone();
            }
            Ok(FileRecord { name, ..current })
        })
    }

    fn delete_file(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, ()> {
        let id = id.clone();
        self.write(move |inner, conn| {
            let faults = inner.faults;
            let current = inner.current(&id, now)?;
            locks::check_delete(current.lock.as_ref(), &faults).map_err(conflict)?;
            let tx = conn.transaction().map_err(backend)?;
            exec(&tx, "DELETE FROM locks WHERE file = ?1", params![id.as_str()])
                .and_then(|_| exec(&tx, "DELETE FROM versions WHERE file = ?1", params![id.as_str()]))
                .and_then(|_| exec(&tx, "DELETE FROM files WHERE id = ?1", params![id.as_str()]))
                .and_then(|_| prune_blobs(&tx))
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            inner.index_mut().files.remove(&id);
            Ok(())
        })
    }

    fn file_by_name(&self, container: &ContainerId, name: &str, now: SystemTime) -> StoreFuture<'_, FileRecord> {
        let result = self
            .read_index()
            .file_named(container, name)
            .map(|f| f.at(now, &self.inner.faults))
            .ok_or(StoreError::NotFound);
        Box::pin(std::future::ready(result))
    }

    fn coauth_op(&self, id: &FileId, op: CoauthOp, now: SystemTime) -> StoreFuture<'_, CoauthAnswer> {
        let id = id.clone();
        self.write(move |inner, conn| {
            let wopi = inner.current(&id, now)?.lock;
            let mut state = load_coauth(conn, &id)?;
            let before = state.clone();
            let answer = crate::coauth::apply(
                &op,
                &mut state,
                wopi.as_ref(),
                crate::coauth::millis(now),
                &inner.faults,
            );
            if state != before {
                store_coauth(conn, &id, &state)?;
            }
            answer.map_err(StoreError::Coauth)
        })
    }

    fn container(&self, id: &ContainerId) -> StoreFuture<'_, Container> {
        let result = self
            .read_index()
            .containers
            .get(id)
            .cloned()
            .ok_or(StoreError::NotFound);
        Box::pin(std::future::ready(result))
    }

    fn create_container(&self, parent: &ContainerId, name: FileName, mode: NameMode) -> StoreFuture<'_, Container> {
        let parent = parent.clone();
        self.write(move |inner, conn| {
            let name = {
                let index = inner.index();
                if !index.containers.contains_key(&parent) {
                    return Err(StoreError::NotFound);
                }
                match (index.container_named(&parent, name.as_str()), mode) {
                    (None, _) => name,
                    (Some(_), NameMode::Exact { .. }) if inner.faults.has(Fault::DuplicateContainerAllowed) => name,
                    (Some(_), NameMode::Suggested) => (2u64..)
                        .map(|n| name.numbered(n, usize::MAX))
                        .find(|c| index.container_named(&parent, c.as_str()).is_none())
                        .unwrap_or(name),
                    (Some(_), NameMode::Exact { .. }) => {
                        let valid = (2u64..)
                            .map(|n| name.numbered(n, usize::MAX))
                            .find(|c| index.container_named(&parent, c.as_str()).is_none())
                            .map(FileName::into_string);
                        return Err(StoreError::NameExists { valid });
                    }
                }
            };
            let id = new_container_id()?;
            exec(
                conn,
                "INSERT INTO containers (id, name, parent) VALUES (?1, ?2, ?3)",
                params![id.as_str(), name.as_str(), parent.as_str()],
            )
            .map_err(backend)?;
            let container = Container {
                id: id.clone(),
                name: name.into_string(),
                parent: Some(parent),
            };
            inner.index_mut().containers.insert(id, container.clone());
            Ok(container)
        })
    }

    fn rename_container(&self, id: &ContainerId, name: FileName) -> StoreFuture<'_, Container> {
        let id = id.clone();
        self.write(move |inner, conn| {
            let current = {
                let index = inner.index();
                let current = index.containers.get(&id).cloned().ok_or(StoreError::NotFound)?;
                let parent = current.parent.clone().ok_or(StoreError::RootContainer)?;
                if index
                    .container_named(&parent, name.as_str())
                    .is_some_and(|c| c.id != id)
                {
                    return Err(StoreError::NameExists { valid: None });
                }
                current
            };
            exec(
                conn,
                "UPDATE containers SET name = ?2 WHERE id = ?1",
                params![id.as_str(), name.as_str()],
            )
            .map_err(backend)?;
            let renamed = Container {
                name: name.into_string(),
                ..current
            };
            inner.index_mut().containers.insert(id, renamed.clone());
            Ok(renamed)
        })
    }

    fn delete_container(&self, id: &ContainerId) -> StoreFuture<'_, ()> {
        let id = id.clone();
        self.write(move |inner, conn| {
            let faults = inner.faults;
            let (files, containers) = {
                let index = inner.index();
                let current = index.containers.get(&id).ok_or(StoreError::NotFound)?;
                if current.parent.is_none() {
                    return Err(StoreError::RootContainer);
                }
                let files: Vec<FileId> = index
                    .files
                    .values()
                    .filter(|f| f.record.container == id)
                    .map(|f| f.record.id.clone())
                    .collect();
                let containers: Vec<ContainerId> = descendants(&index, &id);
                if (!files.is_empty() || containers.len() > 1) && !faults.has(Fault::DeleteNonEmptyContainer) {
                    return Err(StoreError::NotEmpty);
                }
                (files, containers)
            };
            let tx = conn.transaction().map_err(backend)?;
            // Only reached with children under the DeleteNonEmptyContainer fault; files go with the container.
            for file in &files {
                exec(&tx, "DELETE FROM locks WHERE file = ?1", params![file.as_str()])
                    .and_then(|_| exec(&tx, "DELETE FROM versions WHERE file = ?1", params![file.as_str()]))
                    .and_then(|_| exec(&tx, "DELETE FROM files WHERE id = ?1", params![file.as_str()]))
                    .map_err(backend)?;
            }
            for container in containers.iter().rev() {
                exec(
                    &tx,
                    "DELETE FROM files WHERE container = ?1",
                    params![container.as_str()],
                )
                .and_then(|_| exec(&tx, "DELETE FROM containers WHERE id = ?1", params![container.as_str()]))
                .map_err(backend)?;
            }
            prune_blobs(&tx).map_err(backend)?;
            tx.commit().map_err(backend)?;
            let mut index = inner.index_mut();
            for container in &containers {
                index.containers.remove(container);
                index.files.retain(|_, f| &f.record.container != container);
            }
            Ok(())
        })
    }

    fn children(&self, id: &ContainerId, now: SystemTime) -> StoreFuture<'_, (Vec<Container>, Vec<FileRecord>)> {
        let index = self.read_index();
        let result = if index.containers.contains_key(id) {
            let mut containers: Vec<Container> = index
                .containers
                .values()
                .filter(|c| c.parent.as_ref() == Some(id))
                .cloned()
                .collect();
            containers.sort_by(|a, b| a.name.cmp(&b.name));
            let mut files: Vec<FileRecord> = index
                .files
                .values()
                .filter(|f| &f.record.container == id)
                .map(|f| f.at(now, &self.inner.faults))
                .collect();
            files.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
            Ok((containers, files))
        } else {
            Err(StoreError::NotFound)
        };
        drop(index);
        Box::pin(std::future::ready(result))
    }

    fn ancestors(&self, id: &ContainerId) -> StoreFuture<'_, Vec<Container>> {
        let index = self.read_index();
        let result = (|| {
            let mut current = index.containers.get(id).ok_or(StoreError::NotFound)?;
            let mut chain = Vec::new();
            while let Some(parent) = &current.parent {
                current = index
                    .containers
                    .get(parent)
                    .ok_or_else(|| backend("dangling container parent"))?;
                chain.push(current.clone());
                if chain.len() > 10_000 {
                    return Err(backend("container parent cycle"));
                }
            }
            chain.reverse();
            Ok(chain)
        })();
        drop(index);
        Box::pin(std::future::ready(result))
    }
}

/// `id` and every container below it, parents before children.
fn descendants(index: &Index, id: &ContainerId) -> Vec<ContainerId> {
    let mut out = vec![id.clone()];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].clone();
        out.extend(
            index
                .containers
                .values()
                .filter(|c| c.parent.as_ref() == Some(&parent))
                .map(|c| c.id.clone()),
        );
        i += 1;
    }
    out
}

/// Persists a lock change, then mirrors it in the index. Runs with the writer connection held.
fn apply_change(
    inner: &Inner,
    conn: &Connection,
    id: &FileId,
    change: Change,
    current: Option<ActiveLock>,
    now: SystemTime,
) -> Result<(), StoreError> {
    let Some(new_lock) = change.resulting_lock(current, now, &inner.faults, inner.lock_lifetime) else {
        return Ok(());
    };
    store_lock(conn, id, new_lock.as_ref()).map_err(backend)?;
    if let Some(row) = inner.index_mut().files.get_mut(id) {
        row.record.lock = new_lock;
    }
    Ok(())
}

impl SqliteStore {
    /// The [`Fault::NonAtomicLock`] path: decide without holding the writer, pause, then write. Racing calls can
    /// all see "unlocked" and all win, the check-then-set bug of real hosts.
    fn non_atomic_lock(&self, id: FileId, op: LockOp, now: SystemTime) -> StoreFuture<'static, LockOutcome> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            let faults = inner.faults;
            let current = inner.current(&id, now)?.lock;
            let decision = locks::decide(&op, current.as_ref(), &faults).map_err(conflict);
            tokio::time::sleep(Duration::from_millis(20)).await;
            let (change, outcome) = decision?;
            tokio::task::spawn_blocking(move || {
                let conn = guard(&inner.writer);
                apply_change(&inner, &conn, &id, change, current, now)
            })
            .await
            .map_err(|e| backend(format!("store task failed: {e}")))??;
            Ok(outcome)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserId {
        UserId::new("alice").unwrap()
    }

    async fn store_with_file(dir: &Path, content: &'static [u8]) -> (SqliteStore, FileRecord) {
        let store = SqliteStore::open(dir, FaultSet::none()).unwrap();
        store
            .put_user(NewUser {
                id: user(),
                friendly_name: "Alice".into(),
                can_write: true,
            })
            .await
            .unwrap();
        let root = store.root_container().await.unwrap();
        let created = store
            .create_file(
                NewFile {
                    container: root.id,
                    name: FileName::new("a.docx").unwrap(),
                    mode: NameMode::Exact { overwrite: false },
                    owner: user(),
                    content: Bytes::from_static(content),
                },
                SystemTime::now(),
            )
            .await
            .unwrap();
        (store, created.file)
    }

    #[tokio::test]
    async fn data_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let id = {
            let (store, file) = store_with_file(dir.path(), b"hello").await;
            let lock = LockId::new("L1").unwrap();
            store.lock_op(&file.id, LockOp::Lock(lock.clone()), now).await.unwrap();
            store
                .put_content(ContentWrite {
                    id: file.id.clone(),
                    lock: Some(lock),
                    content: Bytes::from_static(b"world!"),
                    author: user(),
                    now,
                    if_last_modified: None,
                })
                .await
                .unwrap();
            file.id
        };
        let store = SqliteStore::open(dir.path(), FaultSet::none()).unwrap();
        let (record, data) = store.content(&id, now).await.unwrap();
        assert_eq!(&data[..], b"world!");
        assert_eq!(record.version, 2);
        assert_eq!(record.lock.map(|l| l.id.into_string()), Some("L1".to_owned()));
        let versions = store.versions(&id).await.unwrap();
        assert_eq!(versions.iter().map(|v| v.size).collect::<Vec<_>>(), vec![5, 6]);
    }

    #[tokio::test]
    async fn relaxed_durability_keeps_wal_and_drops_the_per_commit_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = store_with_file(dir.path(), b"x").await;
        let pragma = |name: &str| -> i64 {
            guard(&store.inner.writer)
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(pragma("synchronous"), 2, "FULL by default");
        store.relax_durability_for_temporary_dir().unwrap();
        assert_eq!(pragma("synchronous"), 1, "NORMAL once relaxed");
        let mode: String = guard(&store.inner.writer)
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "atomic commits need WAL");
        let (_, data) = store.content(&file.id, SystemTime::now()).await.unwrap();
        assert_eq!(&data[..], b"x");
    }

    #[tokio::test]
    async fn second_open_of_same_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = SqliteStore::open(dir.path(), FaultSet::none()).unwrap();
        assert!(SqliteStore::open(dir.path(), FaultSet::none()).is_err());
    }

    #[tokio::test]
    async fn suggested_mode_picks_a_free_name_and_exact_mode_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = store_with_file(dir.path(), b"x").await;
        let new = |mode| NewFile {
            container: file.container.clone(),
            name: FileName::new("A.docx").unwrap(),
            mode,
            owner: user(),
            content: Bytes::from_static(b"y"),
        };
        let created = store
            .create_file(new(NameMode::Suggested), SystemTime::now())
            .await
            .unwrap();
        assert_eq!(created.file.name.as_str(), "A (2).docx");
        let err = store
            .create_file(new(NameMode::Exact { overwrite: false }), SystemTime::now())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            StoreError::NameExists {
                valid: Some("A (3).docx".to_owned())
            }
        );
        let over = store
            .create_file(new(NameMode::Exact { overwrite: true }), SystemTime::now())
            .await
            .unwrap();
        assert!(over.overwritten);
        assert_eq!(over.file.id, file.id);
        assert_eq!(over.file.version, 2);
    }

    #[tokio::test]
    async fn delete_prunes_content() {
        let dir = tempfile::tempdir().unwrap();
        let (store, file) = store_with_file(dir.path(), b"gone").await;
        store.delete_file(&file.id, SystemTime::now()).await.unwrap();
        assert_eq!(
            store.file(&file.id, SystemTime::now()).await.unwrap_err(),
            StoreError::NotFound
        );
        let conn = guard(&store.inner.writer);
        let blobs: i64 = conn.query_row("SELECT COUNT(*) FROM blobs", [], |r| r.get(0)).unwrap();
        assert_eq!(blobs, 0);
    }
}
