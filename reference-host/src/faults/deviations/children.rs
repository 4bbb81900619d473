//! How EnumerateChildren's extension filter departs from the docs under its faults.

use crate::faults::{Fault, FaultSet};

/// The EnumerateChildren faults of one host.
#[derive(Debug, Clone, Copy)]
pub struct Deviations(FaultSet);

impl Deviations {
    pub fn of(faults: FaultSet) -> Self {
        Self(faults)
    }

    /// `EnumerateChildrenIgnoresFilter`: the filter header is not read.
    pub fn filter(self, header: Option<&str>) -> Option<&str> {
        header.filter(|_| !self.0.has(Fault::EnumerateChildrenIgnoresFilter))
    }

    /// Whether a filter entry matches a file's extension: case-insensitively, or exactly under
    /// `ExtensionFilterCaseSensitive`.
    pub fn extension_matches(self, entry: &str, extension: &str) -> bool {
        if self.0.has(Fault::ExtensionFilterCaseSensitive) {
            entry == extension
        } else {
            entry.eq_ignore_ascii_case(extension)
        }
    }
}
