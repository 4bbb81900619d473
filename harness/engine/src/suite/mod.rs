//! Suites: XML files in the format of Microsoft's WOPI validator (`TestCases.xsd`), plus our extensions.
//!
//! [`load`] reads a file into a typed [`Suite`]; a file that does not parse gives a [`SuiteError::Parse`] naming
//! the file, line, column, the element path and what was expected. Every element and attribute that
//! `TestCases.xml` and `FeatureTestCases.xml` use is understood; where the C# engine and the XSD disagree the
//! engine's reading is used (validator-semantics.md §2.10). Our extension elements live in the [`EXT_NS`]
//! namespace and are documented in `suites/README.md`.
//!
//! Divergences from the engine, on purpose:
//! - `<CheckFile>` (FeatureTestCases.xml) is read as `<CheckFileInfo>` and `PutRelativeFile@Type="Relative"` as
//!   `PutRelativeFileMode="ExactName"`, so that file runs instead of failing to parse.
//! - A missing prereq name is reported with the name (the engine's message leaves `{0}` unformatted).
//! - An invalid `Comparator` is a load error rather than a failure at run time.

mod build;
pub(crate) mod builder;
pub mod content;
pub mod elements;
pub mod model;
pub mod race_config;
pub(crate) mod xml;

use std::path::{Path, PathBuf};

pub use elements::validators::KNOWN_SCHEMAS;
pub use model::*;

/// The namespace of our extension elements and attributes (`xmlns:ext="urn:wopi-conformance:ext:1"`).
pub const EXT_NS: &str = "urn:wopi-conformance:ext:1";

/// Why a suite could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("cannot read suite {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{pos}: in {element_path}: {message}", file.display())]
    Parse {
        file: PathBuf,
        pos: Pos,
        element_path: String,
        message: String,
    },
}

/// Loads a suite file, naming it with [`default_suite_name`].
pub fn load(path: &Path) -> Result<Suite, SuiteError> {
    load_named(path, default_suite_name(path))
}

/// Loads a suite file under the given short name.
pub fn load_named(path: &Path, name: String) -> Result<Suite, SuiteError> {
    let bytes = std::fs::read(path).map_err(|source| SuiteError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| SuiteError::Parse {
        file: path.to_path_buf(),
        pos: Pos { line: 1, column: 1 },
        element_path: String::new(),
        message: format!("the file is not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
    })?;
    parse_str(&text, path, name)
}

/// Parses suite text; `path` is only used in errors and kept in [`Suite::path`].
pub fn parse_str(text: &str, path: &Path, name: String) -> Result<Suite, SuiteError> {
    let mut b = builder::Builder::new(path);
    let root = xml::parse_document(text).map_err(|e| b.xml_error(e))?;
    b.suite(&root, name)
}

/// `core` for the validator's TestCases.xml, `feature` for FeatureTestCases.xml, otherwise `ext_<stem>`.
pub fn default_suite_name(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("suite");
    match stem {
        "TestCases" => "core".to_string(),
        "FeatureTestCases" => "feature".to_string(),
        s => format!(
            "ext_{}",
            s.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_")
        ),
    }
}

/// Where Microsoft's validator files (TestCases.xml, JsonSchemas/) are read from: `$WOPI_VALIDATOR_DIR`, else
/// [`find_validator_dir`] from the current directory, else `shared/validator` (which then does not exist, so
/// whatever is read from it is reported missing). They are never copied into the project or compiled into a binary.
pub fn validator_dir() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    find_validator_dir(&cwd).unwrap_or_else(|_| PathBuf::from("shared").join("validator"))
}

/// `$WOPI_VALIDATOR_DIR` when set (whether or not it exists), else the first `shared/validator` directory in
/// `cwd` or a directory above it (this project's layout keeps the validator in `../shared/validator` next to the
/// workspace, so every directory of the workspace finds it). Nothing depends on where the binary was built, so
/// an installed or copied binary looks in the same places. `Err` says where it looked.
pub fn find_validator_dir(cwd: &Path) -> Result<PathBuf, String> {
    if let Some(d) = std::env::var_os("WOPI_VALIDATOR_DIR") {
        return Ok(PathBuf::from(d));
    }
    cwd.ancestors()
        .map(|d| d.join("shared").join("validator"))
        .find(|d| d.is_dir())
        .ok_or_else(|| {
            format!(
                "WOPI_VALIDATOR_DIR is not set and there is no shared/validator in {} or above",
                cwd.display()
            )
        })
}

#[cfg(test)]
mod tests;
