//! What a live display hears while a run is in progress: the runner (`exec`) calls it, reporters implement it.

use super::model::CaseResult;

/// What the runner tells a live display while a run is in progress.
///
/// Cases may finish on several worker tasks at once, so implementations take `&self` and must be `Send + Sync`.
pub trait Progress: Send + Sync {
    /// The run starts with `total` cases.
    fn started(&self, total: usize);
    /// A case has its verdict.
    fn case_finished(&self, result: &CaseResult);
}

/// A [`Progress`] that shows nothing (library use, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn started(&self, _total: usize) {}
    fn case_finished(&self, _result: &CaseResult) {}
}
