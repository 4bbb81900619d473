//! The WOPI lock rules, as pure functions a store runs inside its critical section.
//!
//! Sources: `rest/files/Lock.rst`, `Unlock.rst`, `RefreshLock.rst`, `UnlockAndRelock.rst`, `GetLock.rst`,
//! `PutFile.rst`, `RenameFile.rst`, `DeleteFile.rst`, and the lock term in `rest/concepts.rst`.
//!
//! * A lock lasts 30 minutes ([`wopi_protocol::lock::LOCK_EXPIRY`]) from the time it was taken or last refreshed;
//!   an expired lock is the same as no lock.
//! * Lock IDs compare exactly ([`LockId::matches`]), never case-folded or parsed.
//! * Lock with the current ID is a refresh; with another ID on a locked file it is a conflict (409).
//! * Unlock, RefreshLock and UnlockAndRelock need the current ID; on an unlocked file they are a conflict whose
//!   reported current lock is the empty string.
//! * PutFile on a locked file needs the current ID; on an unlocked file it is allowed only when the file is empty
//!   (the "create new" flow), otherwise 409 with an empty lock.
//! * RenameFile on an unlocked file proceeds whatever `X-WOPI-Lock` says; on a locked file it needs the current ID.
//! * DeleteFile on a locked file is a conflict.
//!
//! Every conflict carries the current lock (or `None`) so the response can always include `X-WOPI-Lock`.

use std::time::SystemTime;

use wopi_protocol::lock::LockId;

use crate::faults::{Fault, FaultSet};

/// A lock that has not expired at the time it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveLock {
    /// The client's lock ID, kept byte for byte.
    pub id: LockId,
    /// When the lock lapses unless refreshed (30 minutes after it was taken or refreshed).
    pub expires_at: SystemTime,
}

/// A lock operation as a client asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOp {
    /// Lock (`X-WOPI-Override: LOCK` without `X-WOPI-OldLock`).
    Lock(LockId),
    /// Unlock.
    Unlock(LockId),
    /// RefreshLock.
    Refresh(LockId),
    /// UnlockAndRelock (`LOCK` with `X-WOPI-OldLock`).
    UnlockAndRelock {
        /// `X-WOPI-OldLock`: the lock the client believes is current.
        old: LockId,
        /// `X-WOPI-Lock`: the new lock.
        new: LockId,
    },
    /// GetLock.
    GetLock,
}

/// What a successful lock operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOutcome {
    /// A new lock was set (Lock on an unlocked file, or UnlockAndRelock).
    Locked,
    /// The existing lock's timer was reset (RefreshLock, or Lock with the current ID).
    Refreshed,
    /// The lock was released.
    Unlocked,
    /// GetLock: the current lock, `None` when unlocked.
    Current(Option<LockId>),
}

/// A refusal under the lock rules: answer 409 with `current` in `X-WOPI-Lock` (empty when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The lock on the file now.
    pub current: Option<LockId>,
    /// Why, for `X-WOPI-LockFailureReason` (logging only).
    pub reason: &'static str,
}

/// What the store must do after [`decide`] allowed an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Store this lock with a fresh 30-minute expiry.
    Set(LockId),
    /// Reset the current lock's expiry to 30 minutes from now.
    Extend,
    /// Remove the lock.
    Clear,
    /// Change nothing.
    Nothing,
}

impl Change {
    /// The lock the file holds after this change, from the `current` one: `None` for [`Change::Nothing`] (nothing
    /// to store), else `Some` of the new lock (`Some(None)`: no lock). A set or extended lock expires `lifetime`
    /// after `now` (sooner under [`Fault::LockExpiresEarly`]).
    pub fn resulting_lock(
        self,
        current: Option<ActiveLock>,
        now: SystemTime,
        faults: &FaultSet,
        lifetime: std::time::Duration,
    ) -> Option<Option<ActiveLock>> {
        let expires_at = || expiry_from(now, faults, lifetime);
        match self {
            Change::Nothing => None,
            Change::Set(id) => Some(Some(ActiveLock {
                id,
                expires_at: expires_at(),
            })),
            Change::Extend => Some(current.map(|l| ActiveLock {
                id: l.id,
                expires_at: expires_at(),
            })),
            Change::Clear => Some(None),
        }
    }
}

/// The lock in effect at `now`: `None` if there is none or it has expired.
pub fn effective(stored: Option<ActiveLock>, now: SystemTime, faults: &FaultSet) -> Option<ActiveLock> {
    stored.filter(|lock| faults.has(Fault::LockNeverExpires) || lock.expires_at > now)
}

/// How long a lock lasts under the [`Fault::LockExpiresEarly`] fault: a 5-minute cache TTL.
const EARLY_EXPIRY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// When a lock taken or refreshed at `now` expires: after `lifetime` (the docs' 30 minutes,
/// [`wopi_protocol::lock::LOCK_EXPIRY`], unless a test configuration shortens it with `--lock-ttl`).
pub fn expiry_from(now: SystemTime, faults: &FaultSet, lifetime: std::time::Duration) -> SystemTime {
    if faults.has(Fault::LockExpiresEarly) {
        now + EARLY_EXPIRY.min(lifetime / 6)
    } else {
        now + lifetime
    }
}

fn same(a: &LockId, b: &LockId, faults: &FaultSet) -> bool {
    if faults.has(Fault::LockIdCaseInsensitive) {
        a.as_str().to_lowercase() == b.as_str().to_lowercase()
    } else {
        a.matches(b)
    }
}

fn conflict(current: Option<&ActiveLock>, reason: &'static str) -> Conflict {
    Conflict {
        current: current.map(|l| l.id.clone()),
        reason,
    }
}

/// Decides a lock operation against the lock in effect (`current`, already filtered by [`effective`]).
pub fn decide(op: &LockOp, current: Option<&ActiveLock>, faults: &FaultSet) -> Result<(Change, LockOutcome), Conflict> {
    match (op, current) {
        (LockOp::Lock(new), None) => Ok((Change::Set(new.clone()), LockOutcome::Locked)),
        (LockOp::Lock(new), Some(cur)) if same(new, &cur.id, faults) => {
            if faults.has(Fault::RelockSameIdConflicts) {
                Err(conflict(current, "the file is already locked"))
            } else if faults.has(Fault::RelockDoesNotExtend) {
                Ok((Change::Nothing, LockOutcome::Refreshed))
            } else {
                Ok((Change::Extend, LockOutcome::Refreshed))
            }
        }
        (LockOp::Lock(new), Some(_)) => {
            if faults.has(Fault::LockMismatchAnswers200) {
                Ok((Change::Set(new.clone()), LockOutcome::Locked))
            } else {
                Err(conflict(current, "the file is locked with a different lock ID"))
            }
        }
        (LockOp::Unlock(_), None) => {
            if faults.has(Fault::UnlockUnlockedAnswers200) {
                Ok((Change::Nothing, LockOutcome::Unlocked))
            } else {
                Err(conflict(None, "the file is not locked"))
            }
        }
        (LockOp::Unlock(id), Some(cur)) if same(id, &cur.id, faults) => {
            let change = if faults.has(Fault::UnlockKeepsLock) {
                Change::Nothing
            } else {
                Change::Clear
            };
            Ok((change, LockOutcome::Unlocked))
        }
        (LockOp::Unlock(_), Some(_)) => Err(conflict(current, "the file is locked with a different lock ID")),
        (LockOp::Refresh(_), None) => Err(conflict(None, "the file is not locked")),
        (LockOp::Refresh(id), Some(cur)) if same(id, &cur.id, faults) => {
            let change = if faults.has(Fault::RefreshDoesNotExtend) {
                Change::Nothing
            } else {
                Change::Extend
            };
            Ok((change, LockOutcome::Refreshed))
        }
        (LockOp::Refresh(_), Some(_)) => Err(conflict(current, "the file is locked with a different lock ID")),
        (LockOp::UnlockAndRelock { .. }, None) => Err(conflict(None, "the file is not locked")),
        (LockOp::UnlockAndRelock { old, new }, Some(cur)) => {
            if same(old, &cur.id, faults) || faults.has(Fault::RelockIgnoresOldLock) {
                Ok((Change::Set(new.clone()), LockOutcome::Locked))
            } else {
                Err(conflict(current, "X-WOPI-OldLock does not match the current lock"))
            }
        }
        (LockOp::GetLock, _) => Ok((Change::Nothing, LockOutcome::Current(current.map(|l| l.id.clone())))),
    }
}

/// PutFile's rule: may `lock` (the request's `X-WOPI-Lock`) write a file of `current_size` bytes?
pub fn check_put(
    lock: Option<&LockId>,
    current: Option<&ActiveLock>,
    current_size: u64,
    faults: &FaultSet,
) -> Result<(), Conflict> {
    match (current, lock) {
        (None, _) if current_size == 0 => Ok(()),
        (None, _) if faults.has(Fault::PutUnlockedNonEmptyAccepted) => Ok(()),
        (None, _) => Err(conflict(None, "the file is not locked and is not empty")),
        (Some(cur), Some(id)) if same(id, &cur.id, faults) => Ok(()),
        (Some(_), _) if faults.has(Fault::PutFileWrongLockAccepted) => Ok(()),
        (Some(_), Some(_)) => Err(conflict(current, "the file is locked with a different lock ID")),
        (Some(_), None) => Err(conflict(current, "the file is locked and no X-WOPI-Lock was sent")),
    }
}

/// RenameFile's rule.
pub fn check_rename(lock: Option<&LockId>, current: Option<&ActiveLock>, faults: &FaultSet) -> Result<(), Conflict> {
    match (current, lock) {
        (None, Some(_)) if faults.has(Fault::RenameChecksLockWhenUnlocked) => {
            Err(conflict(None, "the file is not locked but X-WOPI-Lock was sent"))
        }
        (None, _) => Ok(()),
        (Some(cur), Some(id)) if same(id, &cur.id, faults) => Ok(()),
        (Some(_), Some(_)) => Err(conflict(current, "the file is locked with a different lock ID")),
        (Some(_), None) => Err(conflict(current, "the file is locked and no X-WOPI-Lock was sent")),
    }
}

/// DeleteFile's rule (and the rule for overwriting a file by name).
pub fn check_delete(current: Option<&ActiveLock>, faults: &FaultSet) -> Result<(), Conflict> {
    match current {
        Some(_) if !faults.has(Fault::DeleteLockedFile) => Err(conflict(current, "the file is locked")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn id(s: &str) -> LockId {
        LockId::new(s).unwrap()
    }

    fn held(s: &str) -> ActiveLock {
        ActiveLock {
            id: id(s),
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(10_000),
        }
    }

    const NONE: FaultSet = FaultSet::none();

    #[test]
    fn lock_rules() {
        assert_eq!(
            decide(&LockOp::Lock(id("a")), None, &NONE),
            Ok((Change::Set(id("a")), LockOutcome::Locked))
        );
        assert_eq!(
            decide(&LockOp::Lock(id("a")), Some(&held("a")), &NONE),
            Ok((Change::Extend, LockOutcome::Refreshed))
        );
        let err = decide(&LockOp::Lock(id("b")), Some(&held("a")), &NONE).unwrap_err();
        assert_eq!(err.current, Some(id("a")));
        // Exact comparison: case matters.
        assert!(decide(&LockOp::Lock(id("A")), Some(&held("a")), &NONE).is_err());
    }

    #[test]
    fn unlock_refresh_relock_on_unlocked_file_conflict_with_empty_lock() {
        for op in [
            LockOp::Unlock(id("a")),
            LockOp::Refresh(id("a")),
            LockOp::UnlockAndRelock {
                old: id("a"),
                new: id("b"),
            },
        ] {
            assert_eq!(decide(&op, None, &NONE).unwrap_err().current, None, "{op:?}");
        }
    }

    #[test]
    fn unlock_and_relock_needs_old_lock() {
        let op = LockOp::UnlockAndRelock {
            old: id("a"),
            new: id("b"),
        };
        assert_eq!(
            decide(&op, Some(&held("a")), &NONE),
            Ok((Change::Set(id("b")), LockOutcome::Locked))
        );
        assert_eq!(decide(&op, Some(&held("c")), &NONE).unwrap_err().current, Some(id("c")));
    }

    #[test]
    fn put_rules() {
        assert!(check_put(None, None, 0, &NONE).is_ok());
        assert_eq!(check_put(Some(&id("a")), None, 5, &NONE).unwrap_err().current, None);
        assert!(check_put(Some(&id("a")), Some(&held("a")), 5, &NONE).is_ok());
        assert_eq!(
            check_put(Some(&id("b")), Some(&held("a")), 0, &NONE)
                .unwrap_err()
                .current,
            Some(id("a"))
        );
        assert!(check_put(None, Some(&held("a")), 0, &NONE).is_err());
    }

    #[test]
    fn rename_and_delete_rules() {
        assert!(check_rename(None, None, &NONE).is_ok());
        assert!(check_rename(Some(&id("x")), None, &NONE).is_ok());
        assert!(check_rename(Some(&id("a")), Some(&held("a")), &NONE).is_ok());
        assert!(check_rename(None, Some(&held("a")), &NONE).is_err());
        assert!(check_delete(Some(&held("a")), &NONE).is_err());
        assert!(check_delete(None, &NONE).is_ok());
    }

    #[test]
    fn expiry() {
        let lock = held("a");
        let before = lock.expires_at - Duration::from_secs(1);
        assert!(effective(Some(lock.clone()), before, &NONE).is_some());
        assert!(effective(Some(lock.clone()), lock.expires_at, &NONE).is_none());
        assert_eq!(
            expiry_from(SystemTime::UNIX_EPOCH, &NONE, wopi_protocol::lock::LOCK_EXPIRY),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1800)
        );
    }
}
