//! Reports of a run: the model every format renders, and one module per format.
//!
//! ## Layout
//! | module | output | for whom |
//! |---|---|---|
//! | [`model`] | the [`RunReport`] every format renders; also the JSON schema | runner and reporters |
//! | [`json`] | `--json`: versioned pretty JSON, readable again by `report --from` | tools, archives |
//! | [`junit`] | `--junit`: JUnit XML through quick-junit | CI test tabs |
//! | [`markdown`] | `--markdown`: a CI job summary (`$GITHUB_STEP_SUMMARY`) | people reading CI |
//! | [`html`] | `--html`: one self-contained page with filters | people in a browser |
//! | [`console`] | progress bar, a line per failed or skipped case, summary table | people at a terminal |
//!
//! Every file is written atomically (a temporary file in the same directory, then a rename), so a reader never sees
//! half a report and an interrupted run never leaves a truncated one in place of the last good one.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod progress;
mod text;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use model::{
    CaseResult, DocRef, Failure, HostStopped, Outcome, RootCause, RunReport, SCHEMA_VERSION, TargetInfo, Totals,
    Verdict,
};

/// Where each report format goes; `None` skips that format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportOutputs {
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

/// Why a report could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write report {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read report {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not a wopi-conformance JSON report: {source}", path.display())]
    InvalidJson { path: PathBuf, source: serde_json::Error },
    #[error("{} is not a wopi-conformance JSON report: it has no numeric `schema_version`", path.display())]
    MissingSchemaVersion { path: PathBuf },
    #[error(
        "{} uses report schema version {found}, but this wopi-conformance reads versions up to {supported}; \
         render it with the wopi-conformance version that wrote it, or upgrade this one",
        path.display()
    )]
    NewerSchema { path: PathBuf, found: u64, supported: u32 },
    #[error("cannot serialise the JSON report: {0}")]
    SerializeJson(#[source] serde_json::Error),
    #[error("cannot serialise the JUnit report: {0}")]
    SerializeJunit(#[source] quick_junit::SerializeError),
    #[error("cannot render the HTML report: {0}")]
    RenderHtml(#[source] askama::Error),
}

/// Writes every report format that has a path in `outputs`.
///
/// All formats are attempted even when one fails, so a full disk for the HTML file still leaves the JUnit file for
/// CI; the first error is returned.
pub fn write_reports(report: &RunReport, outputs: &ReportOutputs) -> Result<(), ReportError> {
    let ReportOutputs {
        json,
        junit,
        markdown,
        html,
    } = outputs;
    let mut first_error = None;
    let mut note = |r: Result<(), ReportError>| {
        if let Err(e) = r {
            tracing::error!(error = %e, "report not written");
            first_error.get_or_insert(e);
        }
    };
    if let Some(path) = json {
        note(json::write(report, path));
    }
    if let Some(path) = junit {
        note(junit::write(report, path));
    }
    if let Some(path) = markdown {
        note(write_atomic(path, markdown::render(report).as_bytes()));
    }
    if let Some(path) = html {
        note(html::render(report).and_then(|page| write_atomic(path, page.as_bytes())));
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Reads a saved JSON report and writes it again in the formats of `outputs`
/// (`wopi-conformance report --from run.json --html out.html`). Returns the report that was read.
pub fn render_from_json(path: &Path, outputs: &ReportOutputs) -> Result<RunReport, ReportError> {
    let report = json::read(path)?;
    write_reports(&report, outputs)?;
    Ok(report)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
///
/// The same directory matters: a rename is only atomic within one file system.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".wopi-report-");
    // A temporary file is private (0600) by default; a report is meant to be shared like any other output file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
