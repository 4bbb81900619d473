//! File names: what a host may accept, and the naming rules of PutRelativeFile and RenameFile.
//!
//! Sources: `rest/files/PutRelativeFile.rst` (X-WOPI-SuggestedTarget / X-WOPI-RelativeTarget),
//! `rest/files/RenameFile.rst` (X-WOPI-RequestedName has *no* extension; the response `Name` has none either),
//! `rest/containers/CreateChildFile.rst` (same two modes), `rest/files/CheckFileInfo.rst` (`BaseFileName` is a name
//! "including extension, without a path"; `FileNameMaxLength` "excluding the file extension", default 250).
//!
//! The docs leave "legal name" to the host. This module's rules are the ones that keep names safe for every WOPI
//! client, Office on Windows included (public threads show Windows-invalid characters breaking Office):
//! no empty name, no `.`/`..`, no path separators, no control characters, none of `< > : " | ? *`, no trailing dot or
//! space, no leading dot (the validator's CheckFileInfoSchema refuses a `BaseFileName` starting with `.`), no Windows
//! device names (`CON`, `NUL`, `COM1`...), and a length limit on the name without its extension.
//!
//! Header values arrive UTF-7 encoded; decode them (see `utf7`) before calling anything here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Default `FileNameMaxLength` (`CheckFileInfo.rst`): the longest name *without its extension*, in characters.
/// Clients use it when the property is omitted or `0`.
pub const DEFAULT_FILE_NAME_MAX_LENGTH: usize = 250;

/// Longest extension (after the last dot) we accept, in characters. The docs set no limit; this bounds what a peer
/// can make us store when the name-length limit only covers the part before the extension.
pub const MAX_EXTENSION_CHARS: usize = 255;

/// Characters Windows forbids in names, which hosts must refuse because Office clients cannot handle them.
pub const RESERVED_CHARS: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Windows device names, refused as a name's first dot-separated part in any case (`con.docx`, `Nul.tar.gz`).
const RESERVED_DEVICE_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Which naming rule a name broke. The message is short enough for `X-WOPI-InvalidFileNameError`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is `.` or `..`.
    #[error("the name is a relative path component (\".\" or \"..\")")]
    DotSegment,
    /// The name contains `/` or `\`.
    #[error("the name contains the path separator {ch:?} at character {position}")]
    PathSeparator {
        /// `/` or `\`.
        ch: char,
        /// Character index.
        position: usize,
    },
    /// The name contains a control character (Unicode category Cc).
    #[error("the name contains control character U+{code:04X} at character {position}")]
    ControlCharacter {
        /// The code point.
        code: u32,
        /// Character index.
        position: usize,
    },
    /// The name contains one of `< > : " | ? *`.
    #[error("the name contains the reserved character {ch:?} at character {position}")]
    ReservedCharacter {
        /// The character.
        ch: char,
        /// Character index.
        position: usize,
    },
    /// The name ends with `.` or a space (Windows strips them, so the name would silently change).
    #[error("the name ends with a dot or a space")]
    TrailingDotOrSpace,
    /// The name starts with `.`, so it has no name before its extension.
    #[error("the name starts with a dot (it has no name before the extension)")]
    LeadingDot,
    /// The name is a Windows device name such as `CON` or `LPT1`.
    #[error("{0:?} is a reserved device name")]
    ReservedDeviceName(String),
    /// The name without its extension is longer than the limit (`FileNameMaxLength`).
    #[error("the name without extension has {chars} characters, the limit is {max}")]
    TooLong {
        /// Characters before the extension.
        chars: usize,
        /// The limit applied.
        max: usize,
    },
    /// The extension is longer than [`MAX_EXTENSION_CHARS`].
    #[error("the extension has {chars} characters, the limit is {max}")]
    ExtensionTooLong {
        /// Characters after the last dot.
        chars: usize,
        /// The limit applied.
        max: usize,
    },
    /// An extension-only target (`.docx` form) with nothing after the dot.
    #[error("the extension is empty")]
    EmptyExtension,
}

/// Checks the per-character rules. `offset` is added to reported positions (used when validating a suffix).
fn check_chars(s: &str, offset: usize) -> Result<(), NameError> {
    for (i, ch) in s.chars().enumerate() {
        let position = i + offset;
        if ch == '/' || ch == '\\' {
            return Err(NameError::PathSeparator { ch, position });
        }
        if ch.is_control() {
            return Err(NameError::ControlCharacter {
                code: u32::from(ch),
                position,
            });
        }
        if RESERVED_CHARS.contains(&ch) {
            return Err(NameError::ReservedCharacter { ch, position });
        }
    }
    Ok(())
}

/// Splits at the last dot. A dot at index 0 does not start an extension (such names are refused anyway).
fn split_extension(s: &str) -> (&str, Option<&str>) {
    match s.rfind('.') {
        Some(i) if i > 0 => (&s[..i], Some(&s[i + 1..])),
        _ => (s, None),
    }
}

fn validate_name(s: &str, max_stem_chars: usize) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s == "." || s == ".." {
        return Err(NameError::DotSegment);
    }
    check_chars(s, 0)?;
    if s.ends_with(['.', ' ']) {
        return Err(NameError::TrailingDotOrSpace);
    }
    if s.starts_with('.') {
        return Err(NameError::LeadingDot);
    }
    let device = s.split('.').next().unwrap_or(s).trim_end_matches(' ');
    if RESERVED_DEVICE_NAMES.iter().any(|d| d.eq_ignore_ascii_case(device)) {
        return Err(NameError::ReservedDeviceName(device.to_owned()));
    }
    let (stem, ext) = split_extension(s);
    let stem_chars = stem.chars().count();
    if stem_chars > max_stem_chars {
        return Err(NameError::TooLong {
            chars: stem_chars,
            max: max_stem_chars,
        });
    }
    if let Some(ext) = ext {
        let ext_chars = ext.chars().count();
        if ext_chars > MAX_EXTENSION_CHARS {
            return Err(NameError::ExtensionTooLong {
                chars: ext_chars,
                max: MAX_EXTENSION_CHARS,
            });
        }
    }
    Ok(())
}

/// A legal file name: including its extension, without a path (`BaseFileName`, PutRelativeFile `Name`).
///
/// The extension is everything after the last dot; a name without a dot has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileName(String);

impl FileName {
    /// Validates `s` with the default limit of 250 characters before the extension
    /// ([`DEFAULT_FILE_NAME_MAX_LENGTH`]).
    pub fn new(s: impl Into<String>) -> Result<FileName, NameError> {
        Self::new_with_max(s, DEFAULT_FILE_NAME_MAX_LENGTH)
    }

    /// Validates `s` with a host's own `FileNameMaxLength` (characters before the extension). As in
    /// CheckFileInfo, `0` means the default 250.
    pub fn new_with_max(s: impl Into<String>, max_chars: usize) -> Result<FileName, NameError> {
        let s = s.into();
        let max = if max_chars == 0 {
            DEFAULT_FILE_NAME_MAX_LENGTH
        } else {
            max_chars
        };
        validate_name(&s, max)?;
        Ok(FileName(s))
    }

    /// A legal name derived from anything a peer sent, for *suggested* mode, where `PutRelativeFile.rst` says the
    /// host "must modify the proposed name as needed" rather than answer 400: path separators, control and reserved
    /// characters become `_`, a leading dot gets `file` in front (so `.docx` becomes `file.docx`), trailing dots
    /// and spaces are dropped, a device name gets `_` appended, and the part before the extension is cut to
    /// `max_chars` (0 = 250). The extension is kept when it is itself legal. Never fails.
    pub fn sanitized(raw: &str, max_chars: usize) -> FileName {
        let max = if max_chars == 0 {
            DEFAULT_FILE_NAME_MAX_LENGTH
        } else {
            max_chars
        };
        let mut s: String = raw
            .chars()
            .map(|c| {
                if c == '/' || c == '\\' || c.is_control() || RESERVED_CHARS.contains(&c) {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let trimmed_len = s.trim_end_matches(['.', ' ']).len();
        s.truncate(trimmed_len);
        if s.starts_with('.') || s.is_empty() {
            s.insert_str(0, "file");
        }
        let (stem, ext) = split_extension(&s);
        let ext = ext
            .filter(|e| e.chars().count() <= MAX_EXTENSION_CHARS)
            .map(str::to_owned);
        let fallback: String = "file".chars().take(max).collect();
        let mut stem: String = stem.chars().take(max).collect();
        let stem_trimmed_len = stem.trim_end_matches(['.', ' ']).len();
        stem.truncate(stem_trimmed_len);
        if stem.is_empty() {
            stem.clone_from(&fallback);
        }
        let device_len = stem.split('.').next().unwrap_or(&stem).len();
        if RESERVED_DEVICE_NAMES
            .iter()
            .any(|d| d.eq_ignore_ascii_case(stem[..device_len].trim_end_matches(' ')))
        {
            // `CON.tar` becomes `CON_.tar`; when there is no room for the `_`, use the fallback instead.
            if stem.chars().count() < max {
                stem.insert(device_len, '_');
            } else {
                stem.clone_from(&fallback);
            }
        }
        let candidate = match ext {
            Some(ext) => with_extension(&stem, &ext),
            None => stem,
        };
        // The steps above establish every rule; the fallback is a guard, not an expected path.
        FileName::new_with_max(candidate, max).unwrap_or(FileName(fallback))
    }

    /// The name as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The extension without its dot (`"docx"` for `a.b.docx`), or `None` when the name has no dot. Never empty.
    pub fn extension(&self) -> Option<&str> {
        split_extension(&self.0).1
    }

    /// Whether the extension equals `ext` ignoring ASCII case; `ext` may be given with or without the dot.
    pub fn has_extension(&self, ext: &str) -> bool {
        let ext = ext.strip_prefix('.').unwrap_or(ext);
        self.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
    }

    /// The name without its extension (what RenameFile's response `Name` carries).
    pub fn stem(&self) -> &str {
        split_extension(&self.0).0
    }

    /// The name a RenameFile to `requested_stem` produces: X-WOPI-RequestedName has no extension, and renaming must
    /// keep the file's extension (`RenameFile.rst`). Validated with the default length limit.
    pub fn renamed(&self, requested_stem: &str) -> Result<FileName, NameError> {
        self.renamed_with_max(requested_stem, DEFAULT_FILE_NAME_MAX_LENGTH)
    }

    /// [`FileName::renamed`] with a host's own `FileNameMaxLength`.
    pub fn renamed_with_max(&self, requested_stem: &str, max_chars: usize) -> Result<FileName, NameError> {
        if requested_stem.is_empty() {
            return Err(NameError::Empty);
        }
        // The requested name must be legal on its own: `b.` would otherwise hide inside `b..docx`.
        if requested_stem.ends_with(['.', ' ']) {
            return Err(NameError::TrailingDotOrSpace);
        }
        let name = match self.extension() {
            Some(ext) => with_extension(requested_stem, ext),
            None => requested_stem.to_owned(),
        };
        FileName::new_with_max(name, max_chars)
    }

    /// A variant of this name for resolving a conflict in suggested mode, keeping the extension:
    /// `report.docx` → `report (2).docx`. The part before the extension is shortened to fit `max_chars` (0 = 250).
    pub fn numbered(&self, n: u64, max_chars: usize) -> FileName {
        let max = if max_chars == 0 {
            DEFAULT_FILE_NAME_MAX_LENGTH
        } else {
            max_chars
        };
        let suffix = format!(" ({n})");
        let room = max.saturating_sub(suffix.chars().count());
        let stem: String = self.stem().chars().take(room).collect();
        let base = format!("{}{suffix}", stem.trim_end_matches(['.', ' ']));
        let candidate = match self.extension() {
            Some(ext) => with_extension(&base, ext),
            None => base,
        };
        FileName::sanitized(&candidate, max)
    }

    /// Gives back the owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for FileName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for FileName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl Serialize for FileName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FileName {
    /// Applies every rule except the length limit before the extension, which is a host setting.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        FileName::new_with_max(s, usize::MAX).map_err(serde::de::Error::custom)
    }
}

/// Joins a name without extension and an extension given with or without its dot: `with_extension("a", "docx")`
/// and `with_extension("a", ".docx")` are both `a.docx`; an empty extension gives `stem` unchanged.
pub fn with_extension(stem: &str, ext: &str) -> String {
    let ext = ext.strip_prefix('.').unwrap_or(ext);
    if ext.is_empty() {
        stem.to_owned()
    } else {
        format!("{stem}.{ext}")
    }
}

/// The decoded value of `X-WOPI-SuggestedTarget` (`PutRelativeFile.rst`, `CreateChildFile.rst`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuggestedTarget {
    /// "If the string begins with a period (`.`), it is a file extension." Held with its leading dot (`.docx`).
    Extension(String),
    /// "Otherwise, it is a full file name."
    FullName(FileName),
}

impl SuggestedTarget {
    /// Classifies a decoded (not UTF-7) suggested target. An extension form must have something after the dot and
    /// obey the character rules; a full name must be a legal [`FileName`]. Hosts must not answer 400 in suggested
    /// mode: on `Err`, fall back to [`FileName::sanitized`].
    pub fn parse(decoded: &str) -> Result<SuggestedTarget, NameError> {
        if decoded.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(ext) = decoded.strip_prefix('.') {
            if ext.is_empty() {
                return Err(NameError::EmptyExtension);
            }
            if decoded == ".." {
                return Err(NameError::DotSegment);
            }
            check_chars(ext, 1)?;
            if ext.ends_with(['.', ' ']) {
                return Err(NameError::TrailingDotOrSpace);
            }
            let chars = ext.chars().count();
            if chars > MAX_EXTENSION_CHARS {
                return Err(NameError::ExtensionTooLong {
                    chars,
                    max: MAX_EXTENSION_CHARS,
                });
            }
            return Ok(SuggestedTarget::Extension(decoded.to_owned()));
        }
        FileName::new_with_max(decoded, usize::MAX).map(SuggestedTarget::FullName)
    }

    /// The name the host should try first: for an extension, "the name of the initial file without extension
    /// should be combined with the extension"; for a full name, that name. The result is checked against
    /// `max_chars` (0 = 250); on `Err` a host in suggested mode should use [`FileName::sanitized`] instead of failing.
    pub fn proposed_name(&self, source: &FileName, max_chars: usize) -> Result<FileName, NameError> {
        match self {
            SuggestedTarget::Extension(ext) => FileName::new_with_max(with_extension(source.stem(), ext), max_chars),
            SuggestedTarget::FullName(name) => FileName::new_with_max(name.as_str(), max_chars),
        }
    }

    /// The extension the created file must keep, without its dot.
    pub fn extension(&self) -> Option<&str> {
        match self {
            SuggestedTarget::Extension(ext) => Some(ext.strip_prefix('.').unwrap_or(ext)),
            SuggestedTarget::FullName(name) => name.extension(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(s: &str) -> FileName {
        FileName::new(s).expect("valid name")
    }

    #[test]
    fn ordinary_names_are_accepted() {
        for ok in [
            "a.docx",
            "Report v1.2 final.xlsx",
            "madeup_name.wopitestx",
            "日本語.pptx",
            "a..b.docx",
            "noext",
        ] {
            assert_eq!(name(ok).as_str(), ok);
        }
    }

    #[test]
    fn each_rule_reports_its_own_error() {
        assert_eq!(FileName::new(""), Err(NameError::Empty));
        assert_eq!(FileName::new("."), Err(NameError::DotSegment));
        assert_eq!(FileName::new(".."), Err(NameError::DotSegment));
        assert_eq!(
            FileName::new("../x.docx"),
            Err(NameError::PathSeparator { ch: '/', position: 2 })
        );
        assert_eq!(
            FileName::new("a\\b.docx"),
            Err(NameError::PathSeparator { ch: '\\', position: 1 })
        );
        assert_eq!(
            FileName::new("a\u{7}.docx"),
            Err(NameError::ControlCharacter { code: 7, position: 1 })
        );
        assert_eq!(
            FileName::new("a\u{85}.docx"),
            Err(NameError::ControlCharacter {
                code: 0x85,
                position: 1
            })
        );
        assert_eq!(
            FileName::new("a\r\n.docx"),
            Err(NameError::ControlCharacter {
                code: 0x0D,
                position: 1
            })
        );
        for (i, ch) in RESERVED_CHARS.iter().enumerate() {
            let s = format!("ab{ch}.docx");
            assert_eq!(
                FileName::new(&s),
                Err(NameError::ReservedCharacter { ch: *ch, position: 2 }),
                "case {i}"
            );
        }
        assert_eq!(FileName::new("a.docx."), Err(NameError::TrailingDotOrSpace));
        assert_eq!(FileName::new("a.docx "), Err(NameError::TrailingDotOrSpace));
        assert_eq!(FileName::new(".docx"), Err(NameError::LeadingDot));
        assert_eq!(FileName::new("..docx"), Err(NameError::LeadingDot));
        assert_eq!(
            FileName::new("con.docx"),
            Err(NameError::ReservedDeviceName("con".into()))
        );
        assert_eq!(FileName::new("LPT1"), Err(NameError::ReservedDeviceName("LPT1".into())));
        assert_eq!(
            FileName::new("Nul .tar.gz"),
            Err(NameError::ReservedDeviceName("Nul".into()))
        );
        assert!(FileName::new("console.docx").is_ok());
    }

    #[test]
    fn length_limit_counts_the_name_without_extension() {
        let at_limit = format!("{}.docx", "a".repeat(250));
        assert!(FileName::new(&at_limit).is_ok());
        let over = format!("{}.docx", "a".repeat(251));
        assert_eq!(FileName::new(&over), Err(NameError::TooLong { chars: 251, max: 250 }));
        assert_eq!(
            FileName::new_with_max("abcdef.x", 5),
            Err(NameError::TooLong { chars: 6, max: 5 })
        );
        assert!(FileName::new_with_max(&over, 0).is_err(), "0 means the default 250");
        assert!(FileName::new_with_max(&over, 600).is_ok());
        let long_ext = format!("a.{}", "x".repeat(256));
        assert_eq!(
            FileName::new(&long_ext),
            Err(NameError::ExtensionTooLong { chars: 256, max: 255 })
        );
        // The validator's FileNameLongerThan512Chars case must be refused cleanly, not panic.
        let validator_long = format!("{}.wopitest", "longwopitestfilename".repeat(26));
        assert!(matches!(FileName::new(&validator_long), Err(NameError::TooLong { .. })));
    }

    #[test]
    fn extension_and_stem() {
        let n = name("archive.tar.GZ");
        assert_eq!(n.extension(), Some("GZ"));
        assert_eq!(n.stem(), "archive.tar");
        assert!(n.has_extension("gz"));
        assert!(n.has_extension(".Gz"));
        assert!(!n.has_extension("tar"));
        let plain = name("README");
        assert_eq!(plain.extension(), None);
        assert_eq!(plain.stem(), "README");
        assert!(!plain.has_extension(""));
    }

    #[test]
    fn with_extension_accepts_both_forms() {
        assert_eq!(with_extension("a", "docx"), "a.docx");
        assert_eq!(with_extension("a", ".docx"), "a.docx");
        assert_eq!(with_extension("a", ""), "a");
    }

    #[test]
    fn suggested_target_extension_vs_full_name() {
        assert_eq!(
            SuggestedTarget::parse(".docx"),
            Ok(SuggestedTarget::Extension(".docx".into()))
        );
        assert_eq!(
            SuggestedTarget::parse("name.docx"),
            Ok(SuggestedTarget::FullName(name("name.docx")))
        );
        assert_eq!(SuggestedTarget::parse("."), Err(NameError::EmptyExtension));
        assert_eq!(SuggestedTarget::parse(".."), Err(NameError::DotSegment));
        assert_eq!(SuggestedTarget::parse(""), Err(NameError::Empty));
        assert_eq!(
            SuggestedTarget::parse(".do/cx"),
            Err(NameError::PathSeparator { ch: '/', position: 3 })
        );
        assert_eq!(
            SuggestedTarget::parse("a/b.docx"),
            Err(NameError::PathSeparator { ch: '/', position: 1 })
        );
        // Collabora sends a path-like suggested target; it must not be taken as a name.
        assert!(SuggestedTarget::parse("/path/to/hello world.pdf").is_err());
    }

    #[test]
    fn suggested_extension_combines_with_source_stem() {
        let source = name("Budget 2024.xlsx");
        let ext = SuggestedTarget::parse(".wopitestx").expect("valid");
        assert_eq!(
            ext.proposed_name(&source, 0).expect("valid").as_str(),
            "Budget 2024.wopitestx"
        );
        assert_eq!(ext.extension(), Some("wopitestx"));
        let full = SuggestedTarget::parse("new_file.wopitest").expect("valid");
        assert_eq!(
            full.proposed_name(&source, 0).expect("valid").as_str(),
            "new_file.wopitest"
        );
        assert_eq!(full.extension(), Some("wopitest"));
    }

    #[test]
    fn rename_keeps_the_extension() {
        let n = name("ValidatorTestFile.wopitest");
        assert_eq!(
            n.renamed("ValidatorTestFileRenamed").expect("valid").as_str(),
            "ValidatorTestFileRenamed.wopitest"
        );
        assert_eq!(n.renamed("a.b").expect("valid").as_str(), "a.b.wopitest");
        assert_eq!(name("README").renamed("NOTES").expect("valid").as_str(), "NOTES");
        assert_eq!(n.renamed(""), Err(NameError::Empty));
        assert_eq!(n.renamed("a/b"), Err(NameError::PathSeparator { ch: '/', position: 1 }));
        assert_eq!(n.renamed("b."), Err(NameError::TrailingDotOrSpace));
        assert!(matches!(
            n.renamed_with_max("abcdef", 3),
            Err(NameError::TooLong { chars: 6, max: 3 })
        ));
    }

    #[test]
    fn sanitized_makes_any_input_legal_and_keeps_the_extension() {
        assert_eq!(FileName::sanitized("a/b:c.docx", 0).as_str(), "a_b_c.docx");
        assert_eq!(FileName::sanitized(".docx", 0).as_str(), "file.docx");
        assert_eq!(FileName::sanitized("", 0).as_str(), "file");
        assert_eq!(FileName::sanitized("..", 0).as_str(), "file");
        assert_eq!(FileName::sanitized("name.docx. ", 0).as_str(), "name.docx");
        assert_eq!(FileName::sanitized("CON.docx", 0).as_str(), "CON_.docx");
        assert_eq!(FileName::sanitized("con.tar.gz", 0).as_str(), "con_.tar.gz");
        assert_eq!(FileName::sanitized(".docx", 2).as_str(), "fi.docx");
        assert_eq!(
            FileName::sanitized(&format!("{}.docx", "x".repeat(300)), 10).as_str(),
            "xxxxxxxxxx.docx"
        );
    }

    #[test]
    fn numbered_keeps_extension_and_fits() {
        let n = name("report.docx");
        assert_eq!(n.numbered(2, 0).as_str(), "report (2).docx");
        let long = FileName::new_with_max(format!("{}.docx", "r".repeat(20)), 20).expect("valid");
        let numbered = long.numbered(12, 20);
        assert_eq!(numbered.as_str(), format!("{} (12).docx", "r".repeat(15)));
        assert!(FileName::new_with_max(numbered.as_str(), 20).is_ok());
    }

    #[test]
    fn serde_round_trip() {
        let n = name("a.docx");
        let json = serde_json::to_string(&n).expect("serialize");
        assert_eq!(json, "\"a.docx\"");
        assert_eq!(serde_json::from_str::<FileName>(&json).expect("deserialize"), n);
        assert!(serde_json::from_str::<FileName>("\"../a\"").is_err());
    }

    fn assert_clean(s: &str) {
        assert!(!s.is_empty());
        assert!(!s.contains(['/', '\\']), "{s:?}");
        assert!(!s.chars().any(char::is_control), "{s:?}");
        assert!(!s.contains(RESERVED_CHARS), "{s:?}");
        assert!(!s.ends_with(['.', ' ']), "{s:?}");
        assert!(!s.starts_with('.'), "{s:?}");
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic_and_accepted_names_are_clean(s in any::<String>()) {
            if let Ok(n) = FileName::new(s.as_str()) {
                assert_clean(n.as_str());
                prop_assert_eq!(n.as_str(), s.as_str());
            }
            let _ = SuggestedTarget::parse(&s);
        }

        #[test]
        fn name_like_strings_never_panic(s in "[a-zA-Z0-9 ./\\\\:*?<>|\"\\x00-\\x1f]{0,40}") {
            if let Ok(n) = FileName::new(s.as_str()) {
                assert_clean(n.as_str());
            }
            if let Ok(SuggestedTarget::Extension(ext)) = SuggestedTarget::parse(&s) {
                prop_assert!(ext.starts_with('.') && ext.len() > 1);
            }
        }

        #[test]
        fn sanitized_is_always_accepted(s in any::<String>(), max in 0usize..300) {
            let n = FileName::sanitized(&s, max);
            assert_clean(n.as_str());
            prop_assert!(FileName::new_with_max(n.as_str(), max).is_ok(), "{:?} from {:?}", n, s);
        }

        #[test]
        fn renamed_stem_is_what_was_asked(stem in "[a-zA-Z0-9 _.-]{1,30}") {
            let source = name("doc.docx");
            if let Ok(r) = source.renamed(&stem) {
                prop_assert_eq!(r.stem(), stem.as_str());
                prop_assert_eq!(r.extension(), Some("docx"));
            }
        }
    }
}
