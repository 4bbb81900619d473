//! The JSON report (`--json`): the [`RunReport`] as pretty JSON, and reading it back for `report --from`.
//!
//! The schema is documented in `harness/REPORTS.md` and described by `harness/report-schema.json`
//! (JSON Schema draft 2020-12). Its version is [`SCHEMA_VERSION`]; a reader refuses a newer version with a clear
//! message rather than misreading fields whose meaning changed.

use std::path::Path;

use super::model::{RunReport, SCHEMA_VERSION};
use super::{ReportError, write_atomic};

/// The report as pretty JSON, ending with a newline.
pub fn to_string(report: &RunReport) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(report).map_err(ReportError::SerializeJson)?;
    s.push('\n');
    Ok(s)
}

/// Writes the report to `path` atomically.
pub fn write(report: &RunReport, path: &Path) -> Result<(), ReportError> {
    write_atomic(path, to_string(report)?.as_bytes())
}

/// Reads a report written by [`write`], by this or an older version of the tool.
pub fn read(path: &Path) -> Result<RunReport, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_str(&text, path)
}

/// Parses a report; `path` only names the source in errors.
pub fn from_str(text: &str, path: &Path) -> Result<RunReport, ReportError> {
    let invalid = |source| ReportError::InvalidJson {
        path: path.to_path_buf(),
        source,
    };
    // The version is checked before the shape: a newer report may not match this build's types, and "newer
    // version" is the message that tells the user what to do, not "missing field".
    let value: serde_json::Value = serde_json::from_str(text).map_err(invalid)?;
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ReportError::MissingSchemaVersion {
            path: path.to_path_buf(),
        })?;
    if found > u64::from(SCHEMA_VERSION) {
        return Err(ReportError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    serde_json::from_value(value).map_err(invalid)
}
