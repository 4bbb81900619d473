//! # wopi-harness
//!
//! Loads WOPI conformance suites (XML in the format of Microsoft's validator, extended), runs them against a
//! host, and writes reports.

pub mod browser;
pub mod cli;
pub mod embedded;
pub mod exec;
pub mod mutation;
pub mod race;
pub mod report;
pub mod suite;
pub mod validate;
