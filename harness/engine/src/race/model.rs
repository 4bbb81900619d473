//! The sequential lock model of one file: what a correct host answers to each lock-family operation, one at a
//! time. The linearizability check ([`super::check`]) asks this model whether a concurrent history can be
//! explained by *some* order of its operations.
//!
//! Rules, from `rest/files/`:
//! - `Lock.rst`: unlocked → 200 and locked; locked with the same ID → 200 (a refresh); otherwise 409 with the
//!   current lock in `X-WOPI-Lock`.
//! - `Unlock.rst`, `RefreshLock.rst` (via `_fragments/priorlock.rst`, `lock409.rst`): the current ID → 200
//!   (Unlock releases); a different ID → 409 with the current lock; unlocked → 409 with an empty `X-WOPI-Lock`.
//! - `UnlockAndRelock.rst`: `X-WOPI-OldLock` equal to the current lock → 200 and the lock becomes `X-WOPI-Lock`;
//!   otherwise 409 with the current lock (empty when unlocked). Atomic.
//! - `GetLock.rst`: always 200 with the current lock (the empty string when unlocked).
//! - `PutFile.rst`: locked with the request's ID → 200 and the content changes; locked with another ID → 409 with
//!   the current lock; unlocked → allowed only while the file is empty ("should"), else 409 with an empty lock.
//! - GetFile returns the content and never changes anything.
//!
//! An empty `X-WOPI-Lock` and a missing one are treated alike (hosts behind IIS cannot send empty headers; the
//! validator accepts both since wopi-validator-core#93). Lock expiry (30 minutes) never happens inside a race.

/// A lock ID, interned by the checker (index into its table of strings).
pub type LockKey = u32;

/// A content, interned by the checker: [`INITIAL_CONTENT`] is the file before the race; every PutFile body is
/// unique and has its own key.
pub type ContentKey = u32;

/// The content the file had when the race began.
pub const INITIAL_CONTENT: ContentKey = 0;

/// The model's state: who holds the lock and which content the file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileState {
    /// The current lock, `None` when unlocked.
    pub holder: Option<LockKey>,
    /// The current content.
    pub content: ContentKey,
}

/// One operation of a race over the values it carries: `L` a lock, `B` a PutFile body. The model works on keys
/// ([`Call`]); the wire gets strings and bytes ([`super::run::SentCall`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation<L, B> {
    Lock { lock: L },
    Unlock { lock: L },
    RefreshLock { lock: L },
    UnlockAndRelock { new: L, old: L },
    GetLock,
    PutFile { lock: L, body: B },
    GetFile,
}

/// One operation as the model sees it.
pub type Call = Operation<LockKey, ContentKey>;

/// What `X-WOPI-Lock` said, interned. `Empty` covers both the empty string and a missing header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenLock {
    Empty,
    Id(LockKey),
}

impl SeenLock {
    /// Whether this is what a host must report for `holder`.
    pub fn reports(self, holder: Option<LockKey>) -> bool {
        match (self, holder) {
            (SeenLock::Empty, None) => true,
            (SeenLock::Id(seen), Some(h)) => seen == h,
            _ => false,
        }
    }
}

/// One answer as the checker sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A 200 answer: `lock` is `X-WOPI-Lock` (only GetLock's is checked), `content` what GetFile returned (`None`
    /// for a body that is neither the initial content nor any body sent).
    Ok {
        lock: SeenLock,
        content: Option<ContentKey>,
    },
    /// A 409 answer with its `X-WOPI-Lock`.
    Conflict { lock: SeenLock },
    /// No usable answer (a transport error, a timeout, an unexpected status): the operation may or may not have
    /// taken effect.
    Unknown,
}

/// The sequential specification of one file.
#[derive(Debug, Clone, Copy)]
pub struct LockModel {
    /// Whether the file was empty before the race (PutFile on an unlocked empty file is the "create new" flow).
    pub initially_empty: bool,
}

impl LockModel {
    fn empty(&self, state: FileState) -> bool {
        state.content == INITIAL_CONTENT && self.initially_empty
    }

    /// The state after `call` succeeds in `state`, or `None` when the model refuses it (409).
    fn success(&self, state: FileState, call: Call) -> Option<FileState> {
        match call {
            Call::Lock { lock } => match state.holder {
                None => Some(FileState {
                    holder: Some(lock),
                    ..state
                }),
                Some(h) if h == lock => Some(state),
                Some(_) => None,
            },
            Call::Unlock { lock } => (state.holder == Some(lock)).then_some(FileState { holder: None, ..state }),
            Call::RefreshLock { lock } => (state.holder == Some(lock)).then_some(state),
            Call::UnlockAndRelock { new, old } => (state.holder == Some(old)).then_some(FileState {
                holder: Some(new),
                ..state
            }),
            Call::GetLock | Call::GetFile => Some(state),
            Call::PutFile { lock, body } => match state.holder {
                Some(h) if h == lock => Some(FileState { content: body, ..state }),
                None if self.empty(state) => Some(FileState { content: body, ..state }),
                _ => None,
            },
        }
    }

    /// Whether `call` answered `answer` leaves every state it fits in unchanged: a refusal, a read, a refresh.
    /// (Lock answered 200 is not: it refreshes a held lock but takes a free one.)
    pub fn never_changes(call: Call, answer: Answer) -> bool {
        match answer {
            Answer::Conflict { .. } => true,
            Answer::Ok { .. } => matches!(call, Call::GetLock | Call::GetFile | Call::RefreshLock { .. }),
            Answer::Unknown => false,
        }
    }

    /// The state after `call` answered `answer` in `state`, or `None` when a correct host could not have given
    /// that answer there.
    pub fn step(&self, state: FileState, call: Call, answer: Answer) -> Option<FileState> {
        match answer {
            // Taking effect here or never: "never" is the same as being ordered last, which the search can always
            // do for an operation without a response, so only the effect needs a state.
            Answer::Unknown => Some(self.success(state, call).unwrap_or(state)),
            Answer::Ok { lock, content } => {
                let next = self.success(state, call)?;
                match call {
                    Call::GetLock => lock.reports(state.holder).then_some(next),
                    Call::GetFile => (content == Some(state.content)).then_some(next),
                    _ => Some(next),
                }
            }
            Answer::Conflict { lock } => {
                let refusable = match call {
                    // PutFile on an unlocked empty file "should" proceed; a 409 there is allowed, not required.
                    Call::PutFile { .. } => state.holder.is_none() || self.success(state, call).is_none(),
                    _ => self.success(state, call).is_none(),
                };
                (refusable && lock.reports(state.holder)).then_some(state)
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The model and starting state most tests of the race module use.
    pub(in crate::race) const M: LockModel = LockModel { initially_empty: false };
    pub(in crate::race) const UNLOCKED: FileState = FileState {
        holder: None,
        content: INITIAL_CONTENT,
    };

    fn held(h: LockKey) -> FileState {
        FileState {
            holder: Some(h),
            content: INITIAL_CONTENT,
        }
    }

    fn ok() -> Answer {
        Answer::Ok {
            lock: SeenLock::Empty,
            content: None,
        }
    }

    fn conflict(lock: SeenLock) -> Answer {
        Answer::Conflict { lock }
    }

    #[test]
    fn lock_takes_refreshes_or_conflicts_naming_the_holder() {
        assert_eq!(M.step(UNLOCKED, Call::Lock { lock: 1 }, ok()), Some(held(1)));
        assert_eq!(M.step(held(1), Call::Lock { lock: 1 }, ok()), Some(held(1)));
        assert_eq!(M.step(held(1), Call::Lock { lock: 2 }, ok()), None);
        assert_eq!(
            M.step(held(1), Call::Lock { lock: 2 }, conflict(SeenLock::Id(1))),
            Some(held(1))
        );
        assert_eq!(M.step(held(1), Call::Lock { lock: 2 }, conflict(SeenLock::Id(2))), None);
        assert_eq!(M.step(held(1), Call::Lock { lock: 2 }, conflict(SeenLock::Empty)), None);
        assert_eq!(
            M.step(UNLOCKED, Call::Lock { lock: 2 }, conflict(SeenLock::Empty)),
            None
        );
    }

    #[test]
    fn unlock_refresh_relock_need_the_current_lock() {
        assert_eq!(M.step(held(1), Call::Unlock { lock: 1 }, ok()), Some(UNLOCKED));
        assert_eq!(
            M.step(UNLOCKED, Call::Unlock { lock: 1 }, conflict(SeenLock::Empty)),
            Some(UNLOCKED)
        );
        assert_eq!(M.step(UNLOCKED, Call::RefreshLock { lock: 1 }, ok()), None);
        assert_eq!(M.step(held(1), Call::RefreshLock { lock: 1 }, ok()), Some(held(1)));
        assert_eq!(
            M.step(held(1), Call::UnlockAndRelock { new: 2, old: 1 }, ok()),
            Some(held(2))
        );
        assert_eq!(
            M.step(
                held(3),
                Call::UnlockAndRelock { new: 2, old: 1 },
                conflict(SeenLock::Id(3))
            ),
            Some(held(3))
        );
        assert_eq!(M.step(UNLOCKED, Call::UnlockAndRelock { new: 2, old: 1 }, ok()), None);
    }

    #[test]
    fn put_file_changes_content_only_with_the_current_lock() {
        let put = Call::PutFile { lock: 1, body: 7 };
        assert_eq!(
            M.step(held(1), put, ok()),
            Some(FileState {
                holder: Some(1),
                content: 7
            })
        );
        assert_eq!(M.step(held(2), put, ok()), None);
        assert_eq!(M.step(held(2), put, conflict(SeenLock::Id(2))), Some(held(2)));
        // Unlocked and not empty: 409 with an empty lock.
        assert_eq!(M.step(UNLOCKED, put, ok()), None);
        assert_eq!(M.step(UNLOCKED, put, conflict(SeenLock::Empty)), Some(UNLOCKED));
        // Unlocked and empty: may proceed, may be refused.
        let empty = LockModel { initially_empty: true };
        assert_eq!(
            empty.step(UNLOCKED, put, ok()),
            Some(FileState {
                holder: None,
                content: 7
            })
        );
        assert_eq!(empty.step(UNLOCKED, put, conflict(SeenLock::Empty)), Some(UNLOCKED));
    }

    #[test]
    fn reads_report_the_state() {
        let get_lock = |lock| Answer::Ok { lock, content: None };
        assert_eq!(M.step(held(4), Call::GetLock, get_lock(SeenLock::Id(4))), Some(held(4)));
        assert_eq!(M.step(held(4), Call::GetLock, get_lock(SeenLock::Empty)), None);
        assert_eq!(
            M.step(UNLOCKED, Call::GetLock, get_lock(SeenLock::Empty)),
            Some(UNLOCKED)
        );
        let read = |content| Answer::Ok {
            lock: SeenLock::Empty,
            content,
        };
        assert_eq!(
            M.step(UNLOCKED, Call::GetFile, read(Some(INITIAL_CONTENT))),
            Some(UNLOCKED)
        );
        assert_eq!(M.step(UNLOCKED, Call::GetFile, read(Some(3))), None);
        assert_eq!(M.step(UNLOCKED, Call::GetFile, read(None)), None);
    }

    #[test]
    fn only_refusals_reads_and_refreshes_never_change_the_state() {
        let ok = ok();
        assert!(LockModel::never_changes(
            Call::Lock { lock: 1 },
            conflict(SeenLock::Empty)
        ));
        assert!(LockModel::never_changes(Call::GetLock, ok));
        assert!(LockModel::never_changes(Call::RefreshLock { lock: 1 }, ok));
        assert!(!LockModel::never_changes(Call::Lock { lock: 1 }, ok));
        assert!(!LockModel::never_changes(Call::PutFile { lock: 1, body: 2 }, ok));
        assert!(!LockModel::never_changes(Call::GetLock, Answer::Unknown));
        // Every state where a never-changing answer fits is left as it was.
        for state in [UNLOCKED, held(1), held(2)] {
            for call in [Call::GetLock, Call::RefreshLock { lock: 1 }, Call::Unlock { lock: 2 }] {
                for answer in [ok, conflict(SeenLock::Id(1)), conflict(SeenLock::Empty)] {
                    if LockModel::never_changes(call, answer)
                        && let Some(after) = M.step(state, call, answer)
                    {
                        assert_eq!(after, state, "{call:?} {answer:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn unknown_answers_take_effect_when_they_could() {
        assert_eq!(M.step(UNLOCKED, Call::Lock { lock: 1 }, Answer::Unknown), Some(held(1)));
        assert_eq!(M.step(held(2), Call::Lock { lock: 1 }, Answer::Unknown), Some(held(2)));
    }
}
