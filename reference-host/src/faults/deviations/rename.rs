//! How RenameFile departs from the docs under its logic faults.

use wopi_protocol::names::FileName;

use crate::faults::{Fault, FaultSet};

/// The RenameFile faults of one host.
#[derive(Debug, Clone, Copy)]
pub struct Deviations(FaultSet);

impl Deviations {
    pub fn of(faults: FaultSet) -> Self {
        Self(faults)
    }

    /// `RenameAcceptsInvalidChars`: a name the host must refuse is "accepted" (200 with that name) and nothing
    /// changes.
    pub fn accepts_invalid_name(self) -> bool {
        self.0.has(Fault::RenameAcceptsInvalidChars)
    }

    /// The `Name` reported: without its extension, or with it under `RenameNameWithExtension`.
    pub fn reported_name(self, name: &FileName) -> &str {
        if self.0.has(Fault::RenameNameWithExtension) {
            name.as_str()
        } else {
            name.stem()
        }
    }
}
