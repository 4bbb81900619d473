//! The shared store: PostgreSQL, so that several host instances on one database behave as one host.
//!
//! * **Everything in the database.** Users, containers, files, versions, locks, the token key (`meta`) and file
//!   content (a `blobs` table keyed by SHA-256, `bytea`) live in PostgreSQL; an instance keeps no state of its own,
//!   so a WOPISrc and token issued by one instance work on every other.
//! * **Atomic lock operations across instances.** Every lock operation, and PutFile's lock check with its write,
//!   runs in *one* transaction that first takes the file's row with `SELECT … FOR UPDATE`: a second instance's
//!   operation on the same file waits for the first to commit and then decides on what it wrote. The lock is kept
//!   on the file row itself, so that one row lock covers it.
//! * **One clock for expiry.** With [`ExpiryClock::Database`] (the `--database` default) a lock's 30 minutes are
//!   measured by the database server's `clock_timestamp()`, read in the same statement that reads the row, so
//!   instances whose own clocks disagree still agree on expiry. With [`ExpiryClock::Host`] the `now` the host passes
//!   in is used: in tests and `wopi-conformance run --instances N` all instances live in one process and share one
//!   [`crate::clock::TestClock`], which the suites step.
//! * **Crash safety.** A write inserts the blob, the version and the new file row in one transaction: an instance
//!   killed mid-PutFile leaves the old or the new content, never a torn one.
//!
//! Faults that only several instances expose are implemented here (see [`Fault::LocksInProcessMemory`] and the
//! three after it); the store-level faults of the SQLite store are not (the mutation matrix runs those on SQLite).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use wopi_protocol::cspp::properties::SequenceNumber;
use wopi_protocol::ids::{ContainerId, FileId};
use wopi_protocol::lock::LockId;
use wopi_protocol::names::FileName;

use super::chunked::{ChunkedFile, ChunkedRow, ChunkedWrite};
use super::{
    Container, ContentWrite, Created, FileRecord, NameMode, NewFile, NewUser, NewVersion, Rename, SqlTypes, Store,
    StoreError, StoreFuture, User, UserId, VersionRecord, backend, conflict, from_ms, guard, name_candidates,
    no_free_name, sha256, to_ms,
};
use crate::coauth::{CoauthAnswer, CoauthOp, CoauthState};
use crate::faults::{Fault, FaultSet};
use crate::locks::{self, ActiveLock, Change, LockOp, LockOutcome};
use crate::store::sqlite::{MAX_VERSIONS_KEPT, ROOT_CONTAINER_ID};

/// Which clock measures lock expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryClock {
    /// The database server's `clock_timestamp()`: one clock for every instance (production).
    Database,
    /// The `now` the host passes in (its [`crate::clock::Clock`]); right when all instances share one clock, as
    /// in-process tests do with one `TestClock`.
    Host,
}

/// How a [`PgStore`] is opened.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `postgres://user@host:port/database` (libpq URL or key=value form).
    pub url: String,
    /// The expiry clock.
    pub expiry_clock: ExpiryClock,
    /// Deliberate bugs.
    pub faults: FaultSet,
    /// This instance's number among several on one database (0 for the first); only the
    /// [`Fault::ExpiryByInstanceClock`] fault uses it.
    pub instance: u32,
    /// Largest number of pooled connections.
    pub pool_size: usize,
    /// How long a lock lasts (the docs' 30 minutes unless a test configuration shortens it).
    pub lock_lifetime: std::time::Duration,
}

impl PgOptions {
    /// Defaults for `url`: the database clock, no faults, instance 0, 16 connections.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            expiry_clock: ExpiryClock::Database,
            faults: FaultSet::none(),
            instance: 0,
            pool_size: 16,
            lock_lifetime: wopi_protocol::lock::LOCK_EXPIRY,
        }
    }
}

/// PostgreSQL's types for the shared tables, plus the lock columns and the indexes this store needs.
fn schema() -> String {
    super::schema(SqlTypes {
        blob: "BYTEA",
        int: "BIGINT",
        boolean: "BOOLEAN",
    }) + "
ALTER TABLE files ADD COLUMN IF NOT EXISTS lock_id TEXT;
ALTER TABLE files ADD COLUMN IF NOT EXISTS lock_expires_ms BIGINT;
CREATE INDEX IF NOT EXISTS files_by_container_name ON files (container, lower(name));
CREATE INDEX IF NOT EXISTS containers_by_parent ON containers (parent);
CREATE INDEX IF NOT EXISTS versions_by_sha ON versions (sha256);
"
}

/// The columns [`record_from`] reads, the last one the database clock in milliseconds.
const FILE_COLS: &str = "id, container, name, owner, version, size, sha256, modified_ms, lock_id, lock_expires_ms, \
                         (extract(epoch from clock_timestamp()) * 1000)::int8";

/// [`FILE_COLS`] qualified with the table alias `f`, for joins.
const FILE_COLS_F: &str = "f.id, f.container, f.name, f.owner, f.version, f.size, f.sha256, f.modified_ms, f.lock_id, \
                           f.lock_expires_ms, (extract(epoch from clock_timestamp()) * 1000)::int8";

/// An arbitrary constant for `pg_advisory_xact_lock`: serialises schema creation by instances starting together.
const SCHEMA_LOCK_KEY: i64 = 0x5749_4f50_5348;

/// The per-instance lock clock skew under [`Fault::ExpiryByInstanceClock`].
const FAULT_SKEW_PER_INSTANCE: Duration = Duration::from_secs(4 * 60);

struct Inner {
    pool: Pool,
    faults: FaultSet,
    lock_lifetime: std::time::Duration,
    expiry_clock: ExpiryClock,
    instance: u32,
    /// [`Fault::LocksInProcessMemory`]: the locks this instance knows about (the JavaScript `Map` of real hosts).
    memory_locks: Mutex<HashMap<FileId, ActiveLock>>,
    /// [`Fault::CheckFileInfoCachePerInstance`]: records this instance read or wrote, never told of other
    /// instances' writes.
    record_cache: Mutex<HashMap<FileId, FileRecord>>,
}

/// The PostgreSQL-backed [`Store`]. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("expiry_clock", &self.inner.expiry_clock)
            .field("instance", &self.inner.instance)
            .finish_non_exhaustive()
    }
}

/// Where a name must be free: among a container's files, or among its sub-containers.
#[derive(Clone, Copy)]
enum NameScope<'a> {
    Files(&'a ContainerId),
    Containers(&'a ContainerId),
}

fn pg(e: tokio_postgres::Error) -> StoreError {
    // The server's message (constraint, timeout) is what an operator needs; `Display` alone says only "db error".
    match e.as_db_error() {
        Some(db) => StoreError::Backend(format!("postgres: {}: {}", db.code().code(), db.message())),
        None => StoreError::Backend(format!("postgres: {e}")),
    }
}

fn u64_from(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_from(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The rows of a new file: its content blob first (the file row references it), then the file at version 0
/// (the first version row sets it to 1).
async fn insert_file<C: GenericClient>(tx: &C, record: &FileRecord, content: &Bytes) -> Result<(), StoreError> {
    execute(
        tx,
        "INSERT INTO blobs (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
        &[&&record.sha256[..], &&content[..]],
    )
    .await?;
    execute(
        tx,
        "INSERT INTO files (id, container, name, owner, version, size, sha256, modified_ms) \
         VALUES ($1, $2, $3, $4, 0, 0, $5, $6)",
        &[
            &record.id.as_str(),
            &record.container.as_str(),
            &record.name.as_str(),
            &record.owner.as_str(),
            &&record.sha256[..],
            &to_ms(record.last_modified),
        ],
    )
    .await?;
    Ok(())
}

/// A file row as stored: the record with its stored lock (expiry not applied) and the database clock.
struct StoredFile {
    record: FileRecord,
    db_now: SystemTime,
}

fn record_from(row: &Row) -> Result<StoredFile, StoreError> {
    let hash: Vec<u8> = row.try_get(6).map_err(pg)?;
    let lock_id: Option<String> = row.try_get(8).map_err(pg)?;
    let expires: Option<i64> = row.try_get(9).map_err(pg)?;
    let lock = match (lock_id, expires) {
        (Some(id), Some(expires)) => Some(ActiveLock {
            id: LockId::new(id).map_err(backend)?,
            expires_at: from_ms(expires),
        }),
        _ => None,
    };
    let record = FileRecord {
        id: FileId::new(row.try_get::<_, String>(0).map_err(pg)?).map_err(backend)?,
        container: ContainerId::new(row.try_get::<_, String>(1).map_err(pg)?).map_err(backend)?,
        name: FileName::new_with_max(row.try_get::<_, String>(2).map_err(pg)?, usize::MAX).map_err(backend)?,
        owner: UserId::new(row.try_get::<_, String>(3).map_err(pg)?).map_err(backend)?,
        version: u64_from(row.try_get(4).map_err(pg)?),
        size: u64_from(row.try_get(5).map_err(pg)?),
        sha256: hash.try_into().map_err(|_| backend("stored hash is not 32 bytes"))?,
        last_modified: from_ms(row.try_get(7).map_err(pg)?),
        lock,
    };
    Ok(StoredFile {
        record,
        db_now: from_ms(row.try_get(10).map_err(pg)?),
    })
}

fn container_from(row: &Row) -> Result<Container, StoreError> {
    Ok(Container {
        id: ContainerId::new(row.try_get::<_, String>(0).map_err(pg)?).map_err(backend)?,
        name: row.try_get(1).map_err(pg)?,
        parent: row
            .try_get::<_, Option<String>>(2)
            .map_err(pg)?
            .map(ContainerId::new)
            .transpose()
            .map_err(backend)?,
    })
}

fn user_from(row: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: UserId::new(row.try_get::<_, String>(0).map_err(pg)?).map_err(backend)?,
        friendly_name: row.try_get(1).map_err(pg)?,
        can_write: row.try_get(2).map_err(pg)?,
        user_info: row.try_get(3).map_err(pg)?,
    })
}

async fn query<C: GenericClient>(c: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
    let stmt = c.prepare_cached(sql).await.map_err(pg)?;
    c.query(&stmt, params).await.map_err(pg)
}

async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, StoreError> {
    Ok(query(c, sql, params).await?.into_iter().next())
}

/// The row a lookup finds, if any, read by `from`.
async fn query_opt_as<C: GenericClient, T>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    from: fn(&Row) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    query_opt(c, sql, params).await?.as_ref().map(from).transpose()
}

/// The row a lookup by key finds, or [`StoreError::NotFound`].
async fn query_one<C: GenericClient>(c: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, StoreError> {
    query_opt(c, sql, params).await?.ok_or(StoreError::NotFound)
}

/// A container by id, or [`StoreError::NotFound`].
async fn container<C: GenericClient>(c: &C, id: &str) -> Result<Container, StoreError> {
    container_from(&container_row(c, id, false).await?)
}

/// A container by id (locked for the transaction with `for_update`).
async fn container_row<C: GenericClient>(c: &C, id: &str, for_update: bool) -> Result<Row, StoreError> {
    let sql = if for_update {
        "SELECT id, name, parent FROM containers WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, name, parent FROM containers WHERE id = $1"
    };
    query_one(c, sql, &[&id]).await
}

/// The file's coauth state as stored (empty when it never had any). Callers read it in the transaction that holds
/// the file row `FOR UPDATE`, so instances sharing the database decide on what the last one wrote.
async fn load_coauth<C: GenericClient>(c: &C, file: &FileId) -> Result<CoauthState, StoreError> {
    let row = query_opt(c, "SELECT state FROM coauth WHERE file = $1", &[&file.as_str()]).await?;
    let json: Option<String> = row.map(|r| r.try_get(0)).transpose().map_err(pg)?;
    CoauthState::from_stored(json.as_deref()).map_err(|e| backend(format!("stored coauth state: {e}")))
}

/// Persists a file's coauth state.
async fn store_coauth<C: GenericClient>(c: &C, file: &FileId, state: &CoauthState) -> Result<(), StoreError> {
    execute(
        c,
        "INSERT INTO coauth (file, state) VALUES ($1, $2) ON CONFLICT (file) DO UPDATE SET state = excluded.state",
        &[&file.as_str(), &state.to_stored()],
    )
    .await
    .map(drop)
}

async fn execute<C: GenericClient>(c: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
    let stmt = c.prepare_cached(sql).await.map_err(pg)?;
    c.execute(&stmt, params).await.map_err(pg)
}

impl PgStore {
    /// Connects, creates the schema if missing (safe when several instances start at once) and the root container.
    pub async fn open(options: PgOptions) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = options
            .url
            .parse()
            .map_err(|e| backend(format!("invalid PostgreSQL URL: {e}")))?;
        config.connect_timeout(Duration::from_secs(10));
        if config.get_options().is_none() {
            // Every statement is bounded, so a stuck row lock answers an error instead of hanging a request.
            config.options("-c statement_timeout=30000 -c lock_timeout=20000");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(backend)?;
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                faults: options.faults,
                lock_lifetime: options.lock_lifetime,
                expiry_clock: options.expiry_clock,
                instance: options.instance,
                memory_locks: Mutex::new(HashMap::new()),
                record_cache: Mutex::new(HashMap::new()),
            }),
        };
        let mut client = store.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK_KEY])
            .await
            .map_err(pg)?;
        tx.batch_execute(&schema()).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO containers (id, name, parent) VALUES ($1, 'root', NULL) ON CONFLICT (id) DO NOTHING",
            &[&ROOT_CONTAINER_ID],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.inner
            .pool
            .get()
            .await
            .map_err(|e| backend(format!("PostgreSQL connection pool: {e}")))
    }

    // One statement on a pooled connection, outside any transaction (the reads and single writes of the trait).
    async fn query_pooled(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        query(&self.client().await?, sql, params).await
    }

    async fn query_opt_pooled(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, StoreError> {
        query_opt(&self.client().await?, sql, params).await
    }

    async fn query_one_pooled(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, StoreError> {
        query_one(&self.client().await?, sql, params).await
    }

    async fn execute_pooled(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        execute(&self.client().await?, sql, params).await
    }

    /// Reads `key` from `meta`, or stores `init()` under it if absent; every instance ends up with the same value
    /// (the token signing key, so a token from one instance verifies on all).
    pub async fn meta_or_init(&self, key: &str, init: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let client = self.client().await?;
        let value = init();
        execute(
            &client,
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )
        .await?;
        let row = query_opt(&client, "SELECT value FROM meta WHERE key = $1", &[&key])
            .await?
            .ok_or_else(|| backend("meta value vanished"))?;
        row.try_get(0).map_err(pg)
    }

    /// The time lock expiry is measured against: the database clock or the host's.
    fn lock_now(&self, host_now: SystemTime, db_now: SystemTime) -> SystemTime {
        let now = match self.inner.expiry_clock {
            ExpiryClock::Database => db_now,
            ExpiryClock::Host => host_now,
        };
        if self.inner.faults.has(Fault::ExpiryByInstanceClock) {
            // The fault: each instance measures expiry by its own clock, and the clocks disagree.
            now + FAULT_SKEW_PER_INSTANCE * self.inner.instance
        } else {
            now
        }
    }

    /// The record with the lock that is in effect now (and, under the in-memory fault, this instance's idea of it).
    fn effective(&self, stored: StoredFile, host_now: SystemTime) -> FileRecord {
        let now = self.lock_now(host_now, stored.db_now);
        let mut record = stored.record;
        if self.inner.faults.has(Fault::LocksInProcessMemory) {
            record.lock = guard(&self.inner.memory_locks).get(&record.id).cloned();
        }
        record.lock = locks::effective(record.lock.take(), now, &self.inner.faults);
        record
    }

    async fn read_file<C: GenericClient>(
        &self,
        c: &C,
        id: &FileId,
        for_update: bool,
    ) -> Result<StoredFile, StoreError> {
        let sql = if for_update {
            format!("SELECT {FILE_COLS} FROM files WHERE id = $1 FOR UPDATE")
        } else {
            format!("SELECT {FILE_COLS} FROM files WHERE id = $1")
        };
        let row = query_one(c, &sql, &[&id.as_str()]).await?;
        record_from(&row)
    }

    async fn file_named<C: GenericClient>(
        &self,
        c: &C,
        container: &ContainerId,
        name: &str,
        for_update: bool,
    ) -> Result<Option<StoredFile>, StoreError> {
        let sql = format!(
            "SELECT {FILE_COLS} FROM files WHERE container = $1 AND lower(name) = lower($2){}",
            if for_update { " FOR UPDATE" } else { "" }
        );
        query_opt_as(c, &sql, &[&container.as_str(), &name], record_from).await
    }

    async fn container_named<C: GenericClient>(
        &self,
        c: &C,
        parent: &ContainerId,
        name: &str,
    ) -> Result<Option<Container>, StoreError> {
        let sql = "SELECT id, name, parent FROM containers WHERE parent = $1 AND lower(name) = lower($2)";
        query_opt_as(c, sql, &[&parent.as_str(), &name], container_from).await
    }

    /// The first free numbered variant of `name` among the files or the sub-containers of a container.
    async fn free_name<C: GenericClient>(
        &self,
        c: &C,
        scope: NameScope<'_>,
        name: &FileName,
    ) -> Result<FileName, StoreError> {
        for candidate in name_candidates(name) {
            let taken = match scope {
                NameScope::Files(container) => self
                    .file_named(c, container, candidate.as_str(), false)
                    .await?
                    .is_some(),
                NameScope::Containers(parent) => self.container_named(c, parent, candidate.as_str()).await?.is_some(),
            };
            if !taken {
                return Ok(candidate);
            }
        }
        Err(no_free_name(name))
    }

    fn remember(&self, record: &FileRecord) {
        if self.inner.faults.has(Fault::CheckFileInfoCachePerInstance) {
            guard(&self.inner.record_cache).insert(record.id.clone(), record.clone());
        }
    }

    fn forget(&self, id: &FileId) {
        guard(&self.inner.record_cache).remove(id);
        guard(&self.inner.memory_locks).remove(id);
    }

    /// Writes a lock change on the file row (or, under the in-memory fault, in this process only).
    async fn store_lock<C: GenericClient>(
        &self,
        c: &C,
        id: &FileId,
        lock: Option<&ActiveLock>,
    ) -> Result<(), StoreError> {
        if self.inner.faults.has(Fault::LocksInProcessMemory) {
            let mut map = guard(&self.inner.memory_locks);
            match lock {
                Some(l) => map.insert(id.clone(), l.clone()),
                None => map.remove(id),
            };
            return Ok(());
        }
        let (lock_id, expires) = match lock {
            Some(l) => (Some(l.id.as_str()), Some(to_ms(l.expires_at))),
            None => (None, None),
        };
        execute(
            c,
            "UPDATE files SET lock_id = $2, lock_expires_ms = $3 WHERE id = $1",
            &[&id.as_str(), &lock_id, &expires],
        )
        .await?;
        Ok(())
    }

    async fn apply_change<C: GenericClient>(
        &self,
        c: &C,
        id: &FileId,
        change: Change,
        current: Option<ActiveLock>,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let Some(new_lock) = change.resulting_lock(current, now, &self.inner.faults, self.inner.lock_lifetime) else {
            return Ok(());
        };
        self.store_lock(c, id, new_lock.as_ref()).await
    }

    /// The file as it stands at `now`, its row locked until `c`'s transaction ends (so no other instance's write
    /// can slip between a check and the write that follows it).
    async fn current_for_update<C: GenericClient>(
        &self,
        c: &C,
        id: &FileId,
        now: SystemTime,
    ) -> Result<FileRecord, StoreError> {
        let stored = self.read_file(c, id, true).await?;
        Ok(self.effective(stored, now))
    }

    /// Inserts the blob (if new) and a version row, updates the file row, and prunes old versions; inside `c`'s
    /// transaction.
    async fn write_version<C: GenericClient>(&self, c: &C, v: &NewVersion<'_>) -> Result<(), StoreError> {
        let size = i64_from(v.content.len() as u64);
        let version = i64_from(v.version);
        let modified = to_ms(v.modified);
        execute(
            c,
            "INSERT INTO blobs (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
            &[&&v.sha256[..], &v.content],
        )
        .await?;
        execute(
            c,
            "INSERT INTO versions (file, version, size, sha256, modified_ms, author) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &v.file.as_str(),
                &version,
                &size,
                &&v.sha256[..],
                &modified,
                &v.author.as_str(),
            ],
        )
        .await?;
        execute(
            c,
            "UPDATE files SET version = $2, size = $3, sha256 = $4, modified_ms = $5 WHERE id = $1",
            &[&v.file.as_str(), &version, &size, &&v.sha256[..], &modified],
        )
        .await?;
        let keep = i64_from(MAX_VERSIONS_KEPT);
        if version > keep {
            execute(
                c,
                "DELETE FROM versions WHERE file = $1 AND version <= $2",
                &[&v.file.as_str(), &(version - keep)],
            )
            .await?;
        }
        Ok(())
    }

    /// Deletes content nothing refers to any more. Best effort and outside the write's transaction: a concurrent
    /// writer that starts referring to a blob holds a key-share lock on it, so the delete waits and then fails on
    /// the foreign key instead of removing live content; such a failure is only logged.
    async fn prune_blobs(&self) {
        let result = async {
            self.execute_pooled(
                "DELETE FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.sha256 = b.sha256) \
                 AND NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = b.sha256)",
                &[],
            )
            .await
        }
        .await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "pruning unreferenced content (will retry on a later write)");
        }
    }

    async fn delete_file_rows<C: GenericClient>(&self, c: &C, id: &FileId) -> Result<(), StoreError> {
        execute(c, "DELETE FROM versions WHERE file = $1", &[&id.as_str()]).await?;
        execute(c, "DELETE FROM files WHERE id = $1", &[&id.as_str()]).await?;
        Ok(())
    }

    async fn lock_op_impl(&self, id: FileId, op: LockOp, host_now: SystemTime) -> Result<LockOutcome, StoreError> {
        let faults = self.inner.faults;
        if faults.has(Fault::LockCheckSeparateTransaction) {
            // The fault: read and decide in one transaction (autocommit), write in another; racing instances can
            // all see "unlocked" and all win.
            let client = self.client().await?;
            let stored = self.read_file(&client, &id, false).await?;
            let now = self.lock_now(host_now, stored.db_now);
            let current = self.effective(stored, host_now).lock;
            let decision = locks::decide(&op, current.as_ref(), &faults).map_err(conflict);
            tokio::time::sleep(Duration::from_millis(20)).await;
            let (change, outcome) = decision?;
            self.apply_change(&client, &id, change, current, now).await?;
            self.forget_cached_record(&id);
            return Ok(outcome);
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let stored = self.read_file(&tx, &id, true).await?;
        let now = self.lock_now(host_now, stored.db_now);
        let current = self.effective(stored, host_now).lock;
        let mut coauth = load_coauth(&tx, &id).await?;
        if !matches!(op, LockOp::GetLock) {
            crate::coauth::wopi_lock_access(&coauth, crate::coauth::millis(now), &faults)
                .map_err(StoreError::WriteConflict)?;
        }
        let (change, outcome) = locks::decide(&op, current.as_ref(), &faults).map_err(conflict)?;
        let relocked = matches!(change, Change::Set(_) | Change::Clear);
        self.apply_change(&tx, &id, change, current, now).await?;
        if relocked && coauth.wopi_lock_changed() {
            store_coauth(&tx, &id, &coauth).await?;
        }
        tx.commit().await.map_err(pg)?;
        self.forget_cached_record(&id);
        Ok(outcome)
    }

    /// A lock change makes this instance's cached record stale; the cache fault is about *other* instances' writes.
    fn forget_cached_record(&self, id: &FileId) {
        guard(&self.inner.record_cache).remove(id);
    }

    async fn put_content_impl(&self, write: ContentWrite) -> Result<FileRecord, StoreError> {
        let faults = self.inner.faults;
        let separate = faults.has(Fault::LockCheckSeparateTransaction);
        let (id, host_now) = (&write.id, write.now);
        let mut client = self.client().await?;
        // The check: under the fault outside the write's transaction (and without the row lock), else inside it.
        let current = if separate {
            let stored = self.read_file(&client, id, false).await?;
            let current = self.effective(stored, host_now);
            write.check(&current, &load_coauth(&client, id).await?, &faults)?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some(current)
        } else {
            None
        };
        let tx = client.transaction().await.map_err(pg)?;
        let current = match current {
            Some(c) => c,
            None => {
                let current = self.current_for_update(&tx, id, host_now).await?;
                write.check(&current, &load_coauth(&tx, id).await?, &faults)?;
                current
            }
        };
        let hash = sha256(&write.content);
        // The version is taken from the row as it is now (a separate-transaction writer may have moved it).
        let now = host_now;
        let version = if separate {
            let v: i64 = query_one(
                &tx,
                "SELECT version FROM files WHERE id = $1 FOR UPDATE",
                &[&id.as_str()],
            )
            .await?
            .try_get(0)
            .map_err(pg)?;
            u64_from(v) + 1
        } else {
            current.version + 1
        };
        self.write_version(
            &tx,
            &NewVersion::new(id, version, &write.content, &hash, &write.author, now),
        )
        .await?;
        tx.commit().await.map_err(pg)?;
        Ok(self.committed(current, write.content.len(), hash, version, now).await)
    }

    /// The record after content of `size` bytes (hashing to `hash`) was committed as `version` of `current`;
    /// remembered, and old blobs pruned once versions start to fall out.
    async fn committed(
        &self,
        current: FileRecord,
        size: usize,
        hash: [u8; 32],
        version: u64,
        now: SystemTime,
    ) -> FileRecord {
        let record = current.written(size, hash, version, now);
        self.remember(&record);
        if version > MAX_VERSIONS_KEPT {
            self.prune_blobs().await;
        }
        record
    }

    /// The CSPP Plus state of a file, read inside `c` (with the file row locked when `for_update`).
    async fn chunked_in<C: GenericClient>(
        &self,
        c: &C,
        id: &FileId,
        now: SystemTime,
        for_update: bool,
    ) -> Result<(FileRecord, ChunkedFile), StoreError> {
        let current = self.effective(self.read_file(c, id, for_update).await?, now);
        let main: Vec<u8> = query_one(c, "SELECT data FROM blobs WHERE sha256 = $1", &[&&current.sha256[..]])
            .await?
            .try_get(0)
            .map_err(pg)?;
        let row = query_opt_as(
            c,
            "SELECT state, data FROM chunked WHERE file = $1",
            &[&id.as_str()],
            |r| {
                Ok(ChunkedRow {
                    state: r.try_get(0).map_err(pg)?,
                    data: r.try_get(1).map_err(pg)?,
                })
            },
        )
        .await?;
        let state = ChunkedFile::load(&current, Bytes::from(main), row.as_ref(), &self.inner.faults)?;
        Ok((current, state))
    }

    async fn put_chunked_impl(&self, write: ChunkedWrite) -> Result<(FileRecord, SequenceNumber), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        let (current, state) = self.chunked_in(&tx, &write.id, write.now, true).await?;
        let coauth = load_coauth(&tx, &write.id).await?;
        let applied = write.apply(&current, &state, &coauth, &self.inner.faults)?;
        let (hash, version) = (sha256(&applied.main), current.version + 1);
        let row = applied.row(version, hash)?;
        self.write_version(
            &tx,
            &NewVersion::new(&write.id, version, &applied.main, &hash, &write.author, write.now),
        )
        .await?;
        execute(
            &tx,
            "INSERT INTO chunked (file, state, data) VALUES ($1, $2, $3) \
             ON CONFLICT (file) DO UPDATE SET state = excluded.state, data = excluded.data",
            &[&write.id.as_str(), &row.state, &row.data],
        )
        .await?;
        tx.commit().await.map_err(pg)?;
        let record = self
            .committed(current, applied.main.len(), hash, version, write.now)
            .await;
        Ok((record, applied.state.content().sequence()))
    }

    async fn create_file_impl(&self, new: NewFile, host_now: SystemTime) -> Result<Created, StoreError> {
        let faults = self.inner.faults;
        let hash = sha256(&new.content);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        // Serialises creations in one container, so two instances cannot both create the same name.
        execute(
            &tx,
            "SELECT id FROM containers WHERE id = $1 FOR UPDATE",
            &[&new.container.as_str()],
        )
        .await
        .and_then(|n| if n == 0 { Err(StoreError::NotFound) } else { Ok(()) })?;
        let existing = self
            .file_named(&tx, &new.container, new.name.as_str(), true)
            .await?
            .map(|s| self.effective(s, host_now));
        let (name, existing) = match (existing, new.mode) {
            (None, _) => (new.name.clone(), None),
            (Some(_), NameMode::Suggested) => (
                self.free_name(&tx, NameScope::Files(&new.container), &new.name).await?,
                None,
            ),
            (Some(target), NameMode::Exact { overwrite }) if overwrite => {
                locks::check_delete(target.lock.as_ref(), &faults).map_err(conflict)?;
                (target.name.clone(), Some(target))
            }
            (Some(_), NameMode::Exact { .. }) => {
                let valid = self.free_name(&tx, NameScope::Files(&new.container), &new.name).await?;
                return Err(StoreError::NameExists {
                    valid: Some(valid.into_string()),
                });
            }
        };
        let now = host_now;
        let (record, overwritten) = match existing {
            Some(target) => {
                let record = target.overwritten(&new.content, hash, now);
                self.write_version(
                    &tx,
                    &NewVersion::new(&record.id, record.version, &new.content, &hash, &new.owner, now),
                )
                .await?;
                (record, true)
            }
            None => {
                let id = FileId::new(uuid::Uuid::new_v4().simple().to_string()).map_err(backend)?;
                let record = FileRecord::created(id, &new, name, hash, now);
                insert_file(&tx, &record, &new.content).await?;
                self.write_version(
                    &tx,
                    &NewVersion::new(&record.id, 1, &new.content, &hash, &new.owner, now),
                )
                .await?;
                (record, false)
            }
        };
        tx.commit().await.map_err(pg)?;
        self.forget_cached_record(&record.id);
        Ok(Created {
            file: record,
            overwritten,
        })
    }
}

impl Store for PgStore {
    fn root_container(&self) -> StoreFuture<'_, Container> {
        Box::pin(async move { container(&self.client().await?, ROOT_CONTAINER_ID).await })
    }

    fn put_user(&self, user: NewUser) -> StoreFuture<'_, User> {
        Box::pin(async move {
            let row = self
                .query_opt_pooled(
                    "INSERT INTO users (id, friendly_name, can_write) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE \
                 SET friendly_name = excluded.friendly_name, can_write = excluded.can_write \
                 RETURNING id, friendly_name, can_write, user_info",
                    &[&user.id.as_str(), &user.friendly_name, &user.can_write],
                )
                .await?
                .ok_or_else(|| backend("upsert returned no row"))?;
            user_from(&row)
        })
    }

    fn user(&self, id: &UserId) -> StoreFuture<'_, User> {
        let id = id.clone();
        Box::pin(async move {
            let row = self
                .query_one_pooled(
                    "SELECT id, friendly_name, can_write, user_info FROM users WHERE id = $1",
                    &[&id.as_str()],
                )
                .await?;
            user_from(&row)
        })
    }

    fn set_user_info(&self, id: &UserId, info: String) -> StoreFuture<'_, ()> {
        let id = id.clone();
        Box::pin(async move {
            let n = self
                .execute_pooled("UPDATE users SET user_info = $2 WHERE id = $1", &[&id.as_str(), &info])
                .await?;
            if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
    }

    fn file(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, FileRecord> {
        let id = id.clone();
        Box::pin(async move {
            if self.inner.faults.has(Fault::CheckFileInfoCachePerInstance)
                && let Some(cached) = guard(&self.inner.record_cache).get(&id).cloned()
            {
                return Ok(cached);
            }
            let stored = self.read_file(&self.client().await?, &id, false).await?;
            let record = self.effective(stored, now);
            self.remember(&record);
            Ok(record)
        })
    }

    fn content(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, (FileRecord, Bytes)> {
        let id = id.clone();
        Box::pin(async move {
            // One statement, so the record and the bytes are of the same version.
            let sql = format!(
                "SELECT {FILE_COLS_F}, b.data FROM files f JOIN blobs b ON b.sha256 = f.sha256 WHERE f.id = $1"
            );
            let row = self.query_one_pooled(&sql, &[&id.as_str()]).await?;
            let data: Vec<u8> = row.try_get(11).map_err(pg)?;
            let stored = record_from(&row)?;
            Ok((self.effective(stored, now), Bytes::from(data)))
        })
    }

    fn versions(&self, id: &FileId) -> StoreFuture<'_, Vec<VersionRecord>> {
        let id = id.clone();
        Box::pin(async move {
            let rows = self
                .query_pooled(
                    "SELECT version, size, sha256, modified_ms, author FROM versions WHERE file = $1 ORDER BY version",
                    &[&id.as_str()],
                )
                .await?;
            let out = rows
                .iter()
                .map(|r| {
                    let hash: Vec<u8> = r.try_get(2).map_err(pg)?;
                    Ok(VersionRecord {
                        version: u64_from(r.try_get(0).map_err(pg)?),
                        size: u64_from(r.try_get(1).map_err(pg)?),
                        sha256: hash.try_into().map_err(|_| backend("stored hash is not 32 bytes"))?,
                        modified: from_ms(r.try_get(3).map_err(pg)?),
                        author: UserId::new(r.try_get::<_, String>(4).map_err(pg)?).map_err(backend)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            if out.is_empty() {
                return Err(StoreError::NotFound);
            }
            Ok(out)
        })
    }

    fn create_file(&self, new: NewFile, now: SystemTime) -> StoreFuture<'_, Created> {
        Box::pin(self.create_file_impl(new, now))
    }

    fn lock_op(&self, id: &FileId, op: LockOp, now: SystemTime) -> StoreFuture<'_, LockOutcome> {
        Box::pin(self.lock_op_impl(id.clone(), op, now))
    }

    fn put_content(&self, write: ContentWrite) -> StoreFuture<'_, FileRecord> {
        Box::pin(self.put_content_impl(write))
    }

    fn chunked(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, (FileRecord, ChunkedFile)> {
        let id = id.clone();
        Box::pin(async move {
            let client = self.client().await?;
            self.chunked_in(&client, &id, now, false).await
        })
    }

    fn put_chunked(&self, write: ChunkedWrite) -> StoreFuture<'_, (FileRecord, SequenceNumber)> {
        Box::pin(self.put_chunked_impl(write))
    }

    fn rename_file(&self, rename: Rename) -> StoreFuture<'_, FileRecord> {
        let id = rename.id.clone();
        Box::pin(async move {
            let faults = self.inner.faults;
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let current = self.current_for_update(&tx, &id, rename.now).await?;
            rename.check(&current, &load_coauth(&tx, &id).await?, &faults)?;
            let name = rename.name;
            execute(
                &tx,
                "SELECT id FROM containers WHERE id = $1 FOR UPDATE",
                &[&current.container.as_str()],
            )
            .await?;
            let name = match self.file_named(&tx, &current.container, name.as_str(), false).await? {
                Some(other) if other.record.id != id => {
                    self.free_name(&tx, NameScope::Files(&current.container), &name).await?
                }
                _ => name,
            };
            execute(
                &tx,
                "UPDATE files SET name = $2 WHERE id = $1",
                &[&id.as_str(), &name.as_str()],
            )
            .await?;
            tx.commit().await.map_err(pg)?;
            self.forget_cached_record(&id);
            Ok(FileRecord { name, ..current })
        })
    }

    fn delete_file(&self, id: &FileId, now: SystemTime) -> StoreFuture<'_, ()> {
        let id = id.clone();
        Box::pin(async move {
            let faults = self.inner.faults;
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let current = self.current_for_update(&tx, &id, now).await?;
            locks::check_delete(current.lock.as_ref(), &faults).map_err(conflict)?;
            self.delete_file_rows(&tx, &id).await?;
            tx.commit().await.map_err(pg)?;
            self.forget(&id);
            self.prune_blobs().await;
            Ok(())
        })
    }

    fn file_by_name(&self, container: &ContainerId, name: &str, now: SystemTime) -> StoreFuture<'_, FileRecord> {
        let container = container.clone();
        let name = name.to_owned();
        Box::pin(async move {
            let stored = self
                .file_named(&self.client().await?, &container, &name, false)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(self.effective(stored, now))
        })
    }

    fn coauth_op(&self, id: &FileId, op: CoauthOp, host_now: SystemTime) -> StoreFuture<'_, CoauthAnswer> {
        let id = id.clone();
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            // The file row's lock serialises this with every lock operation and write on the file, on any instance.
            let stored = self.read_file(&tx, &id, true).await?;
            let now = crate::coauth::millis(self.lock_now(host_now, stored.db_now));
            let wopi = self.effective(stored, host_now).lock;
            let mut state = load_coauth(&tx, &id).await?;
            let before = state.clone();
            let answer = crate::coauth::apply(&op, &mut state, wopi.as_ref(), now, &self.inner.faults);
            if state != before {
                store_coauth(&tx, &id, &state).await?;
                tx.commit().await.map_err(pg)?;
            }
            answer.map_err(StoreError::Coauth)
        })
    }

    fn container(&self, id: &ContainerId) -> StoreFuture<'_, Container> {
        let id = id.clone();
        Box::pin(async move { container(&self.client().await?, id.as_str()).await })
    }

    fn create_container(&self, parent: &ContainerId, name: FileName, mode: NameMode) -> StoreFuture<'_, Container> {
        let parent = parent.clone();
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let n = execute(
                &tx,
                "SELECT id FROM containers WHERE id = $1 FOR UPDATE",
                &[&parent.as_str()],
            )
            .await?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let name = match (self.container_named(&tx, &parent, name.as_str()).await?, mode) {
                (None, _) => name,
                (Some(_), NameMode::Suggested) => self.free_name(&tx, NameScope::Containers(&parent), &name).await?,
                (Some(_), NameMode::Exact { .. }) => {
                    let valid = self.free_name(&tx, NameScope::Containers(&parent), &name).await?;
                    return Err(StoreError::NameExists {
                        valid: Some(valid.into_string()),
                    });
                }
            };
            let id = ContainerId::new(format!("c{}", uuid::Uuid::new_v4().simple())).map_err(backend)?;
            execute(
                &tx,
                "INSERT INTO containers (id, name, parent) VALUES ($1, $2, $3)",
                &[&id.as_str(), &name.as_str(), &parent.as_str()],
            )
            .await?;
            tx.commit().await.map_err(pg)?;
            Ok(Container {
                id,
                name: name.into_string(),
                parent: Some(parent),
            })
        })
    }

    fn rename_container(&self, id: &ContainerId, name: FileName) -> StoreFuture<'_, Container> {
        let id = id.clone();
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let row = container_row(&tx, id.as_str(), true).await?;
            let current = container_from(&row)?;
            let parent = current.parent.clone().ok_or(StoreError::RootContainer)?;
            execute(
                &tx,
                "SELECT id FROM containers WHERE id = $1 FOR UPDATE",
                &[&parent.as_str()],
            )
            .await?;
            if self
                .container_named(&tx, &parent, name.as_str())
                .await?
                .is_some_and(|c| c.id != id)
            {
                return Err(StoreError::NameExists { valid: None });
            }
            execute(
                &tx,
                "UPDATE containers SET name = $2 WHERE id = $1",
                &[&id.as_str(), &name.as_str()],
            )
            .await?;
            tx.commit().await.map_err(pg)?;
            Ok(Container {
                name: name.into_string(),
                ..current
            })
        })
    }

    fn delete_container(&self, id: &ContainerId) -> StoreFuture<'_, ()> {
        let id = id.clone();
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let row = container_row(&tx, id.as_str(), true).await?;
            if container_from(&row)?.parent.is_none() {
                return Err(StoreError::RootContainer);
            }
            let children = query_opt(
                &tx,
                "SELECT (SELECT count(*) FROM files WHERE container = $1) + \
                 (SELECT count(*) FROM containers WHERE parent = $1)",
                &[&id.as_str()],
            )
            .await?
            .map(|r| r.try_get::<_, i64>(0))
            .transpose()
            .map_err(pg)?
            .unwrap_or(0);
            if children > 0 {
                return Err(StoreError::NotEmpty);
            }
            execute(&tx, "DELETE FROM containers WHERE id = $1", &[&id.as_str()]).await?;
            tx.commit().await.map_err(pg)?;
            Ok(())
        })
    }

    fn children(&self, id: &ContainerId, now: SystemTime) -> StoreFuture<'_, (Vec<Container>, Vec<FileRecord>)> {
        let id = id.clone();
        Box::pin(async move {
            let client = self.client().await?;
            if query_opt(&client, "SELECT id FROM containers WHERE id = $1", &[&id.as_str()])
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound);
            }
            let containers = query(
                &client,
                "SELECT id, name, parent FROM containers WHERE parent = $1 ORDER BY name COLLATE \"C\"",
                &[&id.as_str()],
            )
            .await?
            .iter()
            .map(container_from)
            .collect::<Result<Vec<_>, _>>()?;
            let sql = format!("SELECT {FILE_COLS} FROM files WHERE container = $1 ORDER BY name COLLATE \"C\"");
            let files = query(&client, &sql, &[&id.as_str()])
                .await?
                .iter()
                .map(|r| record_from(r).map(|s| self.effective(s, now)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((containers, files))
        })
    }

    fn ancestors(&self, id: &ContainerId) -> StoreFuture<'_, Vec<Container>> {
        let id = id.clone();
        Box::pin(async move {
            let client = self.client().await?;
            let mut current = container(&client, id.as_str()).await?;
            let mut chain = Vec::new();
            while let Some(parent) = current.parent.clone() {
                current = container(&client, parent.as_str()).await.map_err(|e| match e {
                    StoreError::NotFound => backend("dangling container parent"),
                    e => e,
                })?;
                chain.push(current.clone());
                if chain.len() > 10_000 {
                    return Err(backend("container parent cycle"));
                }
            }
            chain.reverse();
            Ok(chain)
        })
    }
}
