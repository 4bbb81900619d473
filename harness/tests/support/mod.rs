//! Helpers shared by integration tests (each test file that needs them says `mod support;`).

pub mod hostile;
