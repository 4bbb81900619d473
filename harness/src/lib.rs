//! # wopi-harness
//!
//! Loads WOPI conformance suites (XML in the format of Microsoft's validator, extended), runs them against a host,
//! and writes reports. Its binary, `wopi-conformance`, is the user's entry point.
//!
//! ## Layout
//! | module | what it holds |
//! |---|---|
//! | [`suite`] | the suite model and its parser: every element of the validator's TestCases format plus our `ext:` steps; errors carry file, line, column and element path |
//! | [`exec`] | the runner: targets and provisioners, prereqs, saved state, mutators, cleanup, concurrency, clock steps, filters, progress |
//! | [`validate`] | one check per validator element (status, headers, JSON properties, lock mismatch, schemas, frames), each producing a [`report::Failure`] |
//! | [`race`] | the lock-race engine: seeded concurrent schedules, a sequential lock model, a linearizability check, shrinking |
//! | [`browser`] | Debian's Chromium over WebDriver for the host-page and postMessage checks |
//! | [`report`] | the run model and its formats: console, JSON (versioned schema), JUnit, Markdown, HTML |
//! | [`embedded`] | the in-process reference host and mock Office client that `run` uses when no host is given |
//! | [`instances`] | one host, several doors: requests and race clients spread over the host's instances (`--instance`) |
//! | [`mutation`] | the mutation matrix: every suite against the reference host with each of its faults on |
//! | [`cli`] | the command line of `wopi-conformance` |
//!
//! ## Data flow
//! `cli` plans which suite files to load; `suite` parses them; `exec::Runner` gets a file per case from a
//! provisioner (or the one `--wopisrc`), sends each request through `wopi_mock_office::client::WopiClient` (signed
//! with the mock's proof keys, bounded by timeouts, recorded in a redacted transcript), and hands every answer to
//! `validate`. Each case ends as a [`report::CaseResult`]; the whole run is a [`report::RunReport`] that every report
//! format renders.

pub mod browser;
pub mod cli;
pub mod embedded;
pub mod exec;
pub mod instances;
pub mod mutation;
pub mod race;
pub mod report;
pub mod suite;
pub mod validate;
