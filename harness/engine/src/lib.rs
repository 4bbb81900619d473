//! # wopi-harness-engine
//!
//! The conformance engine: loads WOPI conformance suites (XML in the format of Microsoft's validator, extended),
//! runs them against any host through the mock Office client, checks every answer and writes reports. It depends on
//! `wopi-protocol` and `wopi-mock-office` only, never on a host: the reference host, the embedded run, the mutation
//! matrix and the command line live on top of it in `wopi-harness` (binary `wopi-conformance`).
//!
//! ## Layout
//! | module | what it holds |
//! |---|---|
//! | [`suite`] | the suite model and its parser: every element of the validator's TestCases format plus our `ext:` steps; errors carry file, line, column and element path |
//! | [`suite::elements`] | one module per request element (its XML attributes and the headers and body it sends; method, path and override from `wopi_protocol::ops`), per validator element (its XML) and per `ext:` step |
//! | [`exec`] | the runner: targets and provisioners, prereqs, saved state, mutators, cleanup, concurrency, clock steps, filters, progress |
//! | [`validate`] | one check per validator element (status, headers, JSON properties, lock mismatch, schemas, frames), each producing a [`report::Failure`] |
//! | [`race`] | the lock-race engine: seeded concurrent schedules, a sequential lock model, a linearizability check, shrinking |
//! | [`browser`] | Debian's Chromium over WebDriver for the host-page and postMessage checks |
//! | [`report`] | the run model and its formats: console, JSON (versioned schema), JUnit, Markdown, HTML |
//! | [`lenient_json`] | JSON as the validator reads it (Newtonsoft's lenient syntax, `SelectToken` paths), shared by the suite parser and the validators |
//! | [`instances`] | one host, several doors: requests and race clients spread over the host's instances (`--instance`) |
//!
//! ## Data flow
//! The caller (`wopi-harness`'s command line) plans which suite files to load; `suite` parses them; `exec::Runner`
//! gets a file per case from a provisioner (or the one `--wopisrc`), sends each request through
//! `wopi_mock_office::client::WopiClient` (signed with the mock's proof keys, bounded by timeouts, recorded in a
//! redacted transcript), and hands every answer to `validate`. Each case ends as a [`report::CaseResult`]; the whole
//! run is a [`report::RunReport`] that every report format renders.

pub mod browser;
pub mod exec;
pub mod instances;
pub mod lenient_json;
pub mod race;
pub mod report;
pub mod suite;
pub mod validate;
