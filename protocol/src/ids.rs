//! File and container identifiers.
//!
//! Source: `rest/concepts.rst`, term *File ID*: a file ID "must be a URL-safe string because IDs are passed in URLs,
//! principally via the WOPISrc parameter", must stay the same across edits, renames and moves, and must be the same
//! for every user. Containers (`rest/containers/*.rst`) use their IDs in URLs the same way.
//!
//! We make "URL-safe" concrete and strict: 1 to [`MAX_ID_CHARS`] characters from RFC 3986's *unreserved* set
//! (`A-Z a-z 0-9 - . _ ~`), so an ID never needs percent-encoding inside a path segment or a WOPISrc query value.
//! `.` and `..` alone are refused because URL normalisation would resolve them as dot segments.

use thiserror::Error;

/// Longest identifier we accept, in characters (all ASCII, so also bytes).
pub const MAX_ID_CHARS: usize = 256;

/// Why a string is not a valid file or container ID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// The ID is empty.
    #[error("an ID must not be empty")]
    Empty,
    /// The ID has more than [`MAX_ID_CHARS`] characters.
    #[error("an ID has at most {max} characters, this one has {len}")]
    TooLong {
        /// Characters in the rejected ID.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character outside `A-Z a-z 0-9 - . _ ~`.
    #[error("character {ch:?} at position {position} is not URL-safe (allowed: A-Z a-z 0-9 - . _ ~)")]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its character index.
        position: usize,
    },
    /// `.` or `..`, which URL normalisation would turn into a path traversal.
    #[error("an ID must not be \".\" or \"..\"")]
    DotSegment,
}

fn validate_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    for (position, ch) in s.chars().enumerate() {
        if position >= MAX_ID_CHARS {
            return Err(IdError::TooLong {
                len: s.chars().count(),
                max: MAX_ID_CHARS,
            });
        }
        if !(ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | '_' | '~')) {
            return Err(IdError::InvalidChar { ch, position });
        }
    }
    if s == "." || s == ".." {
        return Err(IdError::DotSegment);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        crate::newtype::checked_string! {
            $(#[$meta])*
            #[derive(Hash, PartialOrd, Ord)]
            pub struct $name(String): IdError;
        }

        impl $name {
            /// Validates `s`: 1 to 256 characters of `A-Z a-z 0-9 - . _ ~`, and not `.` or `..`.
            pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                validate_id(&s)?;
                Ok(Self(s))
            }

            /// Gives back the owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }
    };
}

id_type! {
    /// A host's file identifier, the last path segment of a WOPISrc (`/wopi/files/(file_id)`).
    /// Construction enforces the URL-safe rule of `rest/concepts.rst`; serde reads and writes it as a string and
    /// rejects invalid IDs when reading.
    FileId
}

id_type! {
    /// A host's container identifier (`/wopi/containers/(container_id)`), with the same rules as [`FileId`].
    ContainerId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_unreserved_characters_up_to_256() {
        let id = FileId::new("abc-DEF_012.~x").expect("valid");
        assert_eq!(id.as_str(), "abc-DEF_012.~x");
        assert_eq!(id.to_string(), "abc-DEF_012.~x");
        assert!(FileId::new("a".repeat(256)).is_ok());
        assert!(ContainerId::new("...").is_ok(), "three dots is not a dot segment");
    }

    #[test]
    fn rejects_empty_long_unsafe_and_dot_segments() {
        assert_eq!(FileId::new(""), Err(IdError::Empty));
        assert_eq!(
            FileId::new("a".repeat(257)),
            Err(IdError::TooLong { len: 257, max: 256 })
        );
        assert_eq!(FileId::new("a/b"), Err(IdError::InvalidChar { ch: '/', position: 1 }));
        assert_eq!(FileId::new("a b"), Err(IdError::InvalidChar { ch: ' ', position: 1 }));
        assert_eq!(FileId::new("é"), Err(IdError::InvalidChar { ch: 'é', position: 0 }));
        for bad in ["a%2F", "a?b", "a#b", "a+b", "a&b"] {
            assert!(matches!(FileId::new(bad), Err(IdError::InvalidChar { .. })), "{bad}");
        }
        assert_eq!(ContainerId::new("."), Err(IdError::DotSegment));
        assert_eq!(ContainerId::new(".."), Err(IdError::DotSegment));
    }

    #[test]
    fn serde_is_a_plain_string_and_validates() {
        let id = FileId::new("f1").expect("valid");
        assert_eq!(serde_json::to_string(&id).expect("serialize"), "\"f1\"");
        let back: FileId = serde_json::from_str("\"f1\"").expect("deserialize");
        assert_eq!(back, id);
        assert!(serde_json::from_str::<FileId>("\"a/b\"").is_err());
        assert!(serde_json::from_str::<ContainerId>("\"\"").is_err());
    }
}
