//! # wopi-harness
//!
//! The `wopi-conformance` tool: the conformance engine ([`wopi_harness_engine`]: suites, execution, validators,
//! races, browser checks, reports) plus what needs a host or a terminal. Its binary, `wopi-conformance`, is the
//! user's entry point.
//!
//! ## Layout
//! | module | what it holds |
//! |---|---|
//! | [`embedded`] | the in-process reference host and mock Office client that `run` uses when no host is given |
//! | [`configurations`] | which reference-host configuration (`--configuration`) each group runs on in embedded mode |
//! | [`mutation`] | the mutation matrix: every suite against the reference host with each of its faults on |
//! | [`builtin`] | the built-in suites, compiled into the binary from `suites/` (by `build.rs`) |
//! | [`cli`] | the command line of `wopi-conformance` |
//! | [`suite`], [`exec`], [`validate`], [`race`], [`browser`], [`report`], [`instances`] | re-exported from the engine, so `wopi_harness::exec::Runner` and friends keep their paths |
//!
//! The `bench` subcommand (in `main.rs`) measures the engine against the embedded host.
//!
//! ## Data flow
//! `cli` plans which suite files to load and which host to run against (a URL, or the embedded reference host);
//! the engine parses, runs, validates and reports; `mutation` repeats that run with each of the reference host's
//! faults on and checks every fault is caught.

pub use wopi_harness_engine::{browser, exec, instances, race, report, suite, validate};

pub mod builtin;
pub mod cli;
pub mod configurations;
pub mod embedded;
pub mod mutation;
