//! WOPI lock IDs and the rules for comparing and expiring them.
//!
//! Sources: `rest/concepts.rst` (term *Lock* and the note on lock ID lengths), `rest/files/Lock.rst`,
//! `Unlock.rst`, `RefreshLock.rst`, `UnlockAndRelock.rst`, `GetLock.rst`, `PutFile.rst` and
//! `rest/_fragments/lock409.rst`.
//!
//! - A lock ID is an opaque string of at most 1024 characters ([`MAX_LOCK_ID_CHARS`]); hosts that do not set
//!   `SupportsExtendedLockLength` are only promised 256 ([`LEGACY_MAX_LOCK_ID_CHARS`]).
//! - "Hosts must treat it as an opaque string": no trimming, case folding, JSON re-serialisation or partial match.
//!   Real hosts get this wrong (truncated columns, lower-casing, comparing only the `"S"` field of Office's JSON lock
//!   IDs); [`LockId::matches`] is the one exact comparison everyone should use.
//! - Locks expire after 30 minutes unless refreshed ([`LOCK_EXPIRY`]).
//! - When a lock does not match, the host answers 409 with `X-WOPI-Lock` set to the current lock, or to the empty
//!   string when the file is unlocked ([`lock_header_value`]).

use std::time::Duration;

use thiserror::Error;

/// How long a lock lives without a refresh: "WOPI locks must automatically expire after 30 minutes if not renewed"
/// (`concepts.rst`).
pub const LOCK_EXPIRY: Duration = Duration::from_secs(30 * 60);

/// Longest lock ID, in characters: "a maximum length of 1024 ASCII characters" (`concepts.rst`).
pub const MAX_LOCK_ID_CHARS: usize = 1024;

/// Longest lock ID a client may assume when the host does not set `SupportsExtendedLockLength`
/// (`CheckFileInfo.rst`: "WOPI clients will assume that lock IDs are limited to 256 ASCII characters").
pub const LEGACY_MAX_LOCK_ID_CHARS: usize = 256;

/// Why a string is not a usable lock ID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LockIdError {
    /// Empty: Lock answers 400 when "X-WOPI-Lock was not provided or was empty" (`Lock.rst`).
    #[error("a lock ID must not be empty")]
    Empty,
    /// Longer than the limit.
    #[error("a lock ID has at most {max} characters, this one has {len}")]
    TooLong {
        /// Characters in the rejected ID.
        len: usize,
        /// The limit applied.
        max: usize,
    },
    /// A control character (other than horizontal tab): it cannot travel in an HTTP header, so the host could
    /// never echo such a lock back in `X-WOPI-Lock`.
    #[error("a lock ID must not contain control character U+{code:04X} (at character {position})")]
    ControlCharacter {
        /// The code point.
        code: u32,
        /// Its character index.
        position: usize,
    },
}

crate::newtype::checked_string! {
    /// A WOPI lock ID: 1 to 1024 characters, otherwise opaque.
    ///
    /// Length is counted in Unicode scalar values. The docs speak of "ASCII characters", which for the ASCII IDs real
    /// clients send is the same count; non-ASCII IDs are accepted rather than rejected because the docs require hosts
    /// to treat the value as opaque. Whitespace is preserved exactly as received.
    #[derive(Hash)]
    pub struct LockId(String): LockIdError;
}

impl LockId {
    /// Validates a lock ID against the 1024-character limit of `concepts.rst`.
    pub fn new(s: impl Into<String>) -> Result<LockId, LockIdError> {
        Self::new_with_max(s, MAX_LOCK_ID_CHARS)
    }

    /// Validates a lock ID against a host-chosen limit, e.g. [`LEGACY_MAX_LOCK_ID_CHARS`] for a host that does not
    /// advertise `SupportsExtendedLockLength`.
    pub fn new_with_max(s: impl Into<String>, max_chars: usize) -> Result<LockId, LockIdError> {
        let s = s.into();
        if s.is_empty() {
            return Err(LockIdError::Empty);
        }
        let mut len = 0usize;
        for (position, ch) in s.chars().enumerate() {
            if ch.is_control() && ch != '\t' {
                return Err(LockIdError::ControlCharacter {
                    code: u32::from(ch),
                    position,
                });
            }
            len = position + 1;
        }
        if len > max_chars {
            return Err(LockIdError::TooLong { len, max: max_chars });
        }
        Ok(LockId(s))
    }

    /// Length in characters.
    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }

    /// Whether a client that was never told `SupportsExtendedLockLength` could have sent this ID (256 characters
    /// or fewer).
    pub fn fits_legacy_length(&self) -> bool {
        self.char_len() <= LEGACY_MAX_LOCK_ID_CHARS
    }

    /// Whether `other` is the same lock: exact, case-sensitive, byte-for-byte equality.
    ///
    /// `concepts.rst` (term *Lock*): the lock ID is metadata of the client's own, and "hosts must treat it as an
    /// opaque string"; `Lock.rst` and the other lock pages call a lock whose value differs a "lock mismatch".
    /// So `"ABC"` does not match `"abc"`, `" abc"` does not match `"abc"`, and two JSON lock IDs that differ only
    /// in key order or spacing do not match either.
    pub fn matches(&self, other: &LockId) -> bool {
        self.0 == other.0
    }

    /// Gives back the owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The `X-WOPI-Lock` value for a lock-mismatch (409) response: the current lock, or the empty string when the file
/// is unlocked (`_fragments/lock409.rst`: "In the case where the file is unlocked, the host must set X-WOPI-Lock to
/// the empty string"). The same value answers GetLock.
pub fn lock_header_value(current: Option<&LockId>) -> &str {
    current.map_or("", LockId::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limits_are_1_to_1024_characters() {
        assert!(LockId::new("a".repeat(1024)).is_ok());
        assert_eq!(
            LockId::new("a".repeat(1025)),
            Err(LockIdError::TooLong { len: 1025, max: 1024 })
        );
        assert_eq!(LockId::new(""), Err(LockIdError::Empty));
        assert!(LockId::new("x").is_ok());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 1024 two-byte characters: 2048 bytes but within the limit.
        let id = LockId::new("é".repeat(1024)).expect("1024 characters");
        assert_eq!(id.char_len(), 1024);
        assert!(LockId::new("é".repeat(1025)).is_err());
    }

    #[test]
    fn legacy_limit_is_256() {
        assert!(LockId::new_with_max("a".repeat(256), LEGACY_MAX_LOCK_ID_CHARS).is_ok());
        assert_eq!(
            LockId::new_with_max("a".repeat(257), LEGACY_MAX_LOCK_ID_CHARS),
            Err(LockIdError::TooLong { len: 257, max: 256 })
        );
        assert!(LockId::new("a".repeat(256)).expect("valid").fits_legacy_length());
        assert!(!LockId::new("a".repeat(257)).expect("valid").fits_legacy_length());
    }

    #[test]
    fn control_characters_are_rejected_but_tab_and_spaces_kept() {
        assert_eq!(
            LockId::new("a\nb"),
            Err(LockIdError::ControlCharacter {
                code: 0x0A,
                position: 1
            })
        );
        assert_eq!(
            LockId::new("\u{0}"),
            Err(LockIdError::ControlCharacter { code: 0, position: 0 })
        );
        assert_eq!(LockId::new(" a\tb ").expect("valid").as_str(), " a\tb ");
    }

    #[test]
    fn matching_is_exact_and_case_sensitive() {
        let a = LockId::new("LockString").expect("valid");
        assert!(a.matches(&LockId::new("LockString").expect("valid")));
        assert!(!a.matches(&LockId::new("lockstring").expect("valid")));
        assert!(!a.matches(&LockId::new("LOCKSTRING").expect("valid")));
        assert!(!a.matches(&LockId::new("LockString ").expect("valid")));
        assert!(!a.matches(&LockId::new("LockStrin").expect("valid")));
    }

    #[test]
    fn office_json_lock_ids_are_compared_as_opaque_strings() {
        let full = LockId::new(r#"{"S":"abc","F":6,"E":2}"#).expect("valid");
        let subset = LockId::new(r#"{"S":"abc","F":4}"#).expect("valid");
        let reordered = LockId::new(r#"{"F":6,"S":"abc","E":2}"#).expect("valid");
        assert!(!full.matches(&subset));
        assert!(!full.matches(&reordered));
        assert!(full.matches(&full.clone()));
    }

    #[test]
    fn header_value_is_empty_when_unlocked() {
        assert_eq!(lock_header_value(None), "");
        let id = LockId::new("L1").expect("valid");
        assert_eq!(lock_header_value(Some(&id)), "L1");
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let id = LockId::new("L 1").expect("valid");
        let json = serde_json::to_string(&id).expect("serialize");
        assert_eq!(json, "\"L 1\"");
        assert_eq!(serde_json::from_str::<LockId>(&json).expect("deserialize"), id);
        assert!(serde_json::from_str::<LockId>("\"\"").is_err());
    }

    #[test]
    fn expiry_is_thirty_minutes() {
        assert_eq!(LOCK_EXPIRY.as_secs(), 1800);
    }
}
