//! Coauth locks in the host: the per-file state a store keeps, the four coauth operations run on it, and the one
//! place every writer asks whether a request holds the lock it needs.
//!
//! The rules themselves are [`wopi_protocol::cspp::coauth`] (`../shared/notes/cspp-plus.md` §2.1–2.4, §6); this
//! module adds what a host needs around them, and the faults that break them:
//!
//! * [`CoauthState`] is what a store persists per file (the [`CoauthTable`] with expiry times and its version, plus
//!   the user-visible WOPI lock holder of §2.8). A store reads it, runs one pure function of this module on it inside
//!   the same critical section that guards the WOPI lock (SQLite: the writer connection; PostgreSQL: the file row
//!   `FOR UPDATE`), and writes it back, so several instances on one database agree.
//! * [`apply`] runs GetCoauthLock, RefreshCoauthLock, UnlockCoauthLock and GetCoauthTable.
//! * [`write_access`] is the **one** function writers call (PutFile, PutChunkedFile, RenameFile): given the WOPI
//!   lock in effect, the coauth table and the lock the request presents, may it write? WOPI Lock and its siblings
//!   ask [`wopi_lock_access`].
//!
//! Time is the host's clock ([`crate::AppState::now`]) converted with [`millis`], so tests step it.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use wopi_protocol::cspp::coauth::{
    CoauthConflict, CoauthLockId, CoauthTable, CoauthTableJson, GetCoauthLock, HolderName, LockConflict, LockState,
    Presented, RefreshCoauthLock, TableAnswer, UnixMillis, WopiLockHeld, put_chunked_file_decision,
    rename_file_decision, wopi_lock_decision,
};
use wopi_protocol::lock::LockId;

use crate::faults::{Fault, FaultSet};
use crate::locks::ActiveLock;

/// What a store keeps per file for coauth locks (as JSON: a new field must have a serde default).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CoauthState {
    /// The coauth table (rows with expiry, and the version counter).
    pub table: CoauthTable,
    /// The WOPI lock taken with `X-WOPI-LockUserVisible: true`, with its holder's name (§2.8). It counts only while
    /// that lock id is the lock in effect; a store clears it whenever the WOPI lock changes.
    #[serde(default)]
    pub visible_lock: Option<VisibleLock>,
}

/// A WOPI lock whose holder's name may be shown (`X-WOPI-ConflictingLockUsername`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisibleLock {
    /// The WOPI lock id.
    pub lock: String,
    /// The holder's `UserFriendlyName`.
    pub user: String,
}

impl CoauthState {
    /// Reads the stored JSON; `None` (no row yet) is the empty state.
    pub fn from_stored(json: Option<&str>) -> Result<Self, serde_json::Error> {
        json.map_or_else(|| Ok(CoauthState::default()), serde_json::from_str)
    }

    /// The JSON a store keeps.
    pub fn to_stored(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// The WOPI lock in effect as the coauth rules see it, with its visible holder.
    fn wopi_held(&self, wopi: Option<&ActiveLock>) -> Option<WopiLockHeld> {
        wopi.map(|l| WopiLockHeld {
            lock: l.id.clone(),
            visible_user: self
                .visible_lock
                .as_ref()
                .filter(|v| v.lock == l.id.as_str())
                .map(|v| v.user.clone()),
        })
    }

    /// Called by a store after it changed the WOPI lock: a visibility mark belongs to the lock it was set for.
    pub fn wopi_lock_changed(&mut self) -> bool {
        self.visible_lock.take().is_some()
    }
}

/// Declares CSPP Plus coauthoring in CheckFileInfo (note §8, "the schema trap"): the validator's CsppPlus schema
/// requires all eight Plus properties together (one missing fails WopiValidatorPrereq and skips every case), and
/// SupportsCoauthPrereq checks SupportsCoauth, the two timestamps (ms since 1970, within ten years of now), the two
/// endpoint URLs (absolute) and SharingStatus (`Private` or `Shared`).
///
/// `sequence_number` is the file's content sequence number. The two endpoint URLs name this host; nothing serves
/// them (no client of this toolkit opens a real-time channel; the validator only checks their form).
pub fn declare_cspp_plus(
    info: &mut wopi_protocol::checkfileinfo::CheckFileInfo,
    origin: &str,
    sequence_number: u64,
    access_token_expiry_ms: u64,
    now: SystemTime,
) {
    use serde_json::Value;
    info.supports_coauth = Some(true);
    info.sharing_status = Some("Private".to_owned());
    let extra = [
        ("SequenceNumber", Value::from(sequence_number)),
        ("AccessTokenExpiry", Value::from(access_token_expiry_ms)),
        ("ServerTime", Value::from(millis(now).0)),
        ("RealTimeChannelEndpointUrl", Value::from(format!("{origin}/wopi/rtc"))),
        (
            "OfficeCollaborationServiceEndpointUrl",
            Value::from(format!("{origin}/wopi/collab")),
        ),
        // Required to be present (string or null). No region was agreed with Microsoft: the empty string, not
        // null, because CheckFileInfo.rst asks hosts to leave out rather than null a property.
        ("FileGeoLocationCode", Value::from("")),
    ];
    for (name, value) in extra {
        info.extra.insert(name.into(), value);
    }
}

/// The host's time as [`UnixMillis`].
pub fn millis(t: SystemTime) -> UnixMillis {
    UnixMillis(
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    )
}

/// One coauth operation, checked (every 400 is decided before the store is asked).
#[derive(Debug, Clone)]
pub enum CoauthOp {
    /// GetCoauthLock, taken by the caller named `holder`.
    Get(GetCoauthLock, HolderName),
    /// RefreshCoauthLock.
    Refresh(RefreshCoauthLock),
    /// UnlockCoauthLock.
    Unlock(CoauthLockId),
    /// GetCoauthTable with the client's `X-WOPI-CoauthTableVersion`.
    Table(Option<String>),
    /// Remember that the WOPI lock `lock` was taken with `X-WOPI-LockUserVisible: true` by `user` (only if it is
    /// still the lock in effect).
    MarkWopiLockVisible {
        /// The lock.
        lock: LockId,
        /// The holder's display name.
        user: String,
    },
}

/// What a coauth operation answers with on 200: `X-WOPI-CoauthTableVersion` and the `{"CoauthTable":[…]}` body
/// (`None`: an empty body, GetCoauthTable with the current version, §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoauthAnswer {
    /// The table version.
    pub version: String,
    /// The rows, unless the client already has this version.
    pub body: Option<CoauthTableJson>,
}

impl CoauthAnswer {
    fn of(
        answer: TableAnswer,
        table: &CoauthTable,
        client_version: Option<&str>,
        now: UnixMillis,
        faults: &FaultSet,
    ) -> Self {
        if faults.has(Fault::CoauthTableVersionIsRowCount) {
            // The fault: the version is the number of rows, so a retyped row, new metadata or one row replacing
            // another leaves it unchanged (§6.4: it must change whenever a row is added, removed, retyped or its
            // metadata changes).
            let version = table.live(now).count().to_string();
            let current = client_version.is_some_and(|c| c.trim() == version);
            return CoauthAnswer {
                body: (!current).then(|| table.to_json(now)),
                version,
            };
        }
        CoauthAnswer {
            version: answer.version.to_string(),
            body: answer.body,
        }
    }
}

/// Runs `op` on `state` at `now` against the WOPI lock in effect. The caller persists `state` afterwards whether or
/// not the operation succeeded: purging expired rows is a change too.
pub fn apply(
    op: &CoauthOp,
    state: &mut CoauthState,
    wopi: Option<&ActiveLock>,
    now: UnixMillis,
    faults: &FaultSet,
) -> Result<CoauthAnswer, CoauthConflict> {
    let held = state.wopi_held(wopi);
    let table = &mut state.table;
    let mut client_version = None;
    match op {
        CoauthOp::Get(req, holder) => {
            // The fault: a WOPI lock does not stop a coauth lock (§2.1 rule 4).
            let wopi = held.as_ref().filter(|_| !faults.has(Fault::CoauthIgnoresWopiLock));
            table.get_lock(req, holder.clone(), wopi, now)?;
        }
        CoauthOp::Refresh(req) => match table.refresh(req, now) {
            // The fault: an unknown id is "refreshed" (§2.2: no unexpired row → 409).
            Err(CoauthConflict::NoSuchLock(_)) if faults.has(Fault::RefreshCoauthUnknownSucceeds) => {}
            other => other?,
        },
        CoauthOp::Unlock(id) => table.unlock(id, now)?,
        CoauthOp::Table(v) => client_version = v.as_deref(),
        CoauthOp::MarkWopiLockVisible { lock, user } => {
            if wopi.is_some_and(|w| w.id.matches(lock)) {
                state.visible_lock = Some(VisibleLock {
                    lock: lock.as_str().to_string(),
                    user: user.clone(),
                });
            }
        }
    }
    let answer = state.table.table(client_version, now);
    Ok(CoauthAnswer::of(answer, &state.table, client_version, now, faults))
}

/// The instant writers judge coauth rows at: `now`, or under [`Fault::ExpiredCoauthRowStillHolds`] the epoch, so
/// every stored row counts, expired or not (a host that checks a row's presence but not its expiry).
fn rows_judged_at(now: UnixMillis, faults: &FaultSet) -> UnixMillis {
    if faults.has(Fault::ExpiredCoauthRowStillHolds) {
        UnixMillis(0)
    } else {
        now
    }
}

/// The writers that need a lock, each with its own rule against coauth rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// PutFile (`rest/files/PutFile.rst`): a WOPI lock write; with coauth rows held it is refused (§6.1: a WOPI
    /// write needs the WOPI lock, which cannot exist while coauth rows do).
    PutFile,
    /// PutChunkedFile (§6.2): the WOPI lock, or a coauth lock in the table.
    PutChunkedFile,
    /// RenameFile with CSPP Plus headers (§6.3).
    RenameFile,
}

/// **The one lock check for writers**: may a `writer` request that presents `presented` (from
/// [`Presented::from_headers`] on `X-WOPI-Lock` and `X-WOPI-CoauthLockId`; both set is a 400 before this) write the
/// file now? `wopi` is the WOPI lock in effect, `coauth` the file's stored coauth state, `main_len` the current
/// length of the file's content (MainContent), `now` the host's clock.
///
/// Call it inside the store's critical section for the file (where `wopi` and `coauth` were read), so the
/// decision and the write are one atomic step. `Err` is a 409 whose headers are in the [`LockConflict`]
/// ([`crate::error::WopiError::from`] maps it): `X-WOPI-Lock` left out while coauth rows exist (locks-about), and
/// `X-WOPI-ConflictingMechanism` where §6.2 gives one.
pub fn write_access(
    writer: Writer,
    presented: &Presented,
    wopi: Option<&ActiveLock>,
    coauth: &CoauthState,
    main_len: u64,
    now: UnixMillis,
    faults: &FaultSet,
) -> Result<(), LockConflict> {
    let held = coauth.wopi_held(wopi);
    let now = rows_judged_at(now, faults);
    let state = LockState {
        wopi: held.as_ref(),
        coauth: &coauth.table,
        now,
    };
    match writer {
        Writer::PutChunkedFile => put_chunked_file_decision(state, presented, main_len),
        Writer::RenameFile => rename_file_decision(state, presented),
        Writer::PutFile => {
            if held.is_none() && !faults.has(Fault::WopiLockIgnoresCoauth) {
                wopi_lock_decision(&coauth.table, now)?;
            }
            Ok(())
        }
    }
}

/// Lock, Unlock, RefreshLock and UnlockAndRelock against coauth rows (§6.1 row 1): while any unexpired row exists
/// they answer 409 without `X-WOPI-Lock`; otherwise the WopiCore rules ([`crate::locks`]) decide. GetLock is a
/// read and is not asked.
pub fn wopi_lock_access(coauth: &CoauthState, now: UnixMillis, faults: &FaultSet) -> Result<(), LockConflict> {
    if faults.has(Fault::WopiLockIgnoresCoauth) {
        return Ok(());
    }
    wopi_lock_decision(&coauth.table, rows_judged_at(now, faults))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use wopi_protocol::cspp::coauth::{CoauthLockType, ExpirationTimeout, Metadata};

    const NONE: FaultSet = FaultSet::none();

    fn get(id: &str, secs: u64) -> CoauthOp {
        CoauthOp::Get(
            GetCoauthLock {
                id: CoauthLockId::new(id).unwrap(),
                lock_type: CoauthLockType::Coauth,
                timeout: ExpirationTimeout::from_secs(secs).unwrap(),
                metadata: Metadata::new("m").unwrap(),
            },
            HolderName::new("User").unwrap(),
        )
    }

    fn at(secs: u64) -> UnixMillis {
        millis(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs))
    }

    fn wopi(id: &str) -> ActiveLock {
        ActiveLock {
            id: LockId::new(id).unwrap(),
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
        }
    }

    #[test]
    fn state_round_trips_through_storage_json() {
        let mut s = CoauthState::default();
        apply(&get("C1", 120), &mut s, None, at(0), &NONE).unwrap();
        let back = CoauthState::from_stored(Some(&s.to_stored())).unwrap();
        assert_eq!(back, s);
        assert_eq!(CoauthState::from_stored(None).unwrap(), CoauthState::default());
    }

    #[test]
    fn visible_wopi_lock_names_its_holder_only_while_it_is_the_lock() {
        let mut s = CoauthState::default();
        let mark = CoauthOp::MarkWopiLockVisible {
            lock: LockId::new("L").unwrap(),
            user: "Ann".into(),
        };
        apply(&mark, &mut s, Some(&wopi("L")), at(0), &NONE).unwrap();
        let err = apply(&get("C1", 120), &mut s, Some(&wopi("L")), at(0), &NONE).unwrap_err();
        assert_eq!(
            err,
            CoauthConflict::WopiLock {
                conflicting_lock_username: Some("Ann".into())
            }
        );
        let err = apply(&get("C1", 120), &mut s, Some(&wopi("Other")), at(0), &NONE).unwrap_err();
        assert_eq!(
            err,
            CoauthConflict::WopiLock {
                conflicting_lock_username: None
            }
        );
    }

    #[test]
    fn writers_against_coauth_rows() {
        let mut s = CoauthState::default();
        apply(&get("C1", 60), &mut s, None, at(0), &NONE).unwrap();
        let c1 = Presented::CoauthLock("C1".into());
        assert!(write_access(Writer::PutChunkedFile, &c1, None, &s, 5, at(1), &NONE).is_ok());
        assert!(write_access(Writer::RenameFile, &c1, None, &s, 5, at(1), &NONE).is_ok());
        let put = write_access(Writer::PutFile, &Presented::Nothing, None, &s, 0, at(1), &NONE).unwrap_err();
        assert_eq!(put.x_wopi_lock, None, "no X-WOPI-Lock while coauth rows exist");
        assert!(wopi_lock_access(&s, at(1), &NONE).is_err());
        // After expiry (60 s) nothing is held.
        assert!(write_access(Writer::PutFile, &Presented::Nothing, None, &s, 0, at(60), &NONE).is_ok());
        assert!(wopi_lock_access(&s, at(60), &NONE).is_ok());
        assert!(write_access(Writer::PutChunkedFile, &c1, None, &s, 5, at(60), &NONE).is_err());
    }
}
