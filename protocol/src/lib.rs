//! # wopi-protocol
//!
//! The WOPI wire vocabulary that every crate of the toolkit shares: the reference host parses requests with it,
//! the mock Office client builds and signs requests with it, and the harness checks answers with it.
//! Nothing here does I/O; every function is a pure transformation that tests can drive with plain values.
//!
//! ## Layout
//! | module | what it holds | docs |
//! |---|---|---|
//! | [`dotnet`] | .NET ticks ([`dotnet::Ticks`]), civil dates and their string forms, `bool.ToString()` | `rest/common_headers.rst`, `online/scenarios/proofkeys.rst` |
//! | [`headers`] | every `X-WOPI-*` header name, the `X-WOPI-Override` values, typed parsing of structured values | `rest/common_headers.rst`, `rest/files/*.rst` |
//! | [`html`] | escaping for the host page and the editor frame: element text, attributes, JSON in `<script>` | `online/hostpage.rst` |
//! | [`ids`] | [`ids::FileId`] and [`ids::ContainerId`]: identifiers that are safe in a URL path | `rest/concepts.rst` |
//! | [`lock`] | [`lock::LockId`] (1 to 1024 characters), the exact-match comparison rule, the 30-minute expiry | `rest/files/Lock.rst` |
//! | [`ops`] | the operation catalogue: method, endpoint, path, `X-WOPI-Override`, headers and status codes of every operation; [`ops::Op::resolve`] routes a request | `rest/files/*.rst`, `rest/containers/*.rst`, `rest/ecosystem/*.rst` |
//! | [`names`] | file-name validity and extension rules of PutRelativeFile and RenameFile | `rest/files/PutRelativeFile.rst`, `RenameFile.rst` |
//! | [`utf7`] | RFC 2152 UTF-7 as .NET's `UTF7Encoding` writes it, and a decoder for both forms | `rest/files/PutRelativeFile.rst` |
//! | [`proof`] | proof-key pre-image, signing and verification, the CSP public-key blob | `online/scenarios/proofkeys.rst` |
//! | [`cspp`] | CSPP Plus: SpookyHash chunk IDs, the binary frame codec and its MessageJSON, FullFile/Zip chunking, content properties and streams, sequence numbers, coauth locks and their conflicts with WOPI locks | `../shared/notes/cspp-plus.md`; `plus/file-transfer/*`, `plus/coauthoring/*` |
//! | [`discovery`] | discovery XML model, parser, writer and action-URL expansion | `online/discovery.rst` |
//! | [`checkfileinfo`] | the CheckFileInfo response model and its validation by property | `rest/files/CheckFileInfo.rst` |
//! | [`transcript`] | one recorded request/response exchange, with tokens redacted, for reports | — |
//!
//! ## Data flow
//! A client builds a URL and headers (`headers`, `utf7`), signs them (`proof`) with keys it publishes
//! (`discovery`); a host parses the same headers, verifies the proof against the keys it read from discovery,
//! applies the lock and naming rules (`lock`, `names`), and answers with a CheckFileInfo body (`checkfileinfo`).
//! The harness records each exchange (`transcript`) and validates what came back with the same rules.

pub mod checkfileinfo;
pub mod cspp;
pub mod discovery;
pub mod dotnet;
pub mod headers;
pub mod html;
pub mod ids;
pub mod lock;
pub mod names;
mod newtype;
pub mod ops;
pub mod proof;
pub mod transcript;
pub mod utf7;
