//! CSPP Plus: coauth locks, incremental file transfer and content streams (`../shared/notes/cspp-plus.md`, the
//! CSPP Plus pages under `cloud-storage-partner-program/plus/`). No I/O: the reference host, the mock client and
//! the harness build on these values.
//!
//! | module | what it holds | note |
//! |---|---|---|
//! | [`chunking`] | [`chunking::ChunkingScheme`], signatures, FullFile and Zip chunking, reassembly | §4 |
//! | [`coauth`] | coauth lock ids, types, timeouts and metadata; the coauth table with its version and expiry; the PutChunkedFile, RenameFile and WOPI Lock decisions against WOPI locks | §2.1–2.4, §6 |
//! | [`frame`] | the binary frame codec (EndFrame, MessageJSON, Chunk, ChunkRange), bounded parsing, the stream writer | §3 |
//! | [`message`] | the MessageJSON of GetChunkedFile/PutChunkedFile as serde types, the validator's JSON dialect, whole bodies, the §4.6 chunk selection | §3.2, §4.6 |
//! | [`properties`] | content properties and their retention, [`properties::StreamId`] and stored streams, [`properties::SequenceNumber`], [`properties::FileContent`] with the PutChunkedFile and PutFile rules | §5 |
//! | [`spooky`] | SpookyHash V2 (128-bit, seeds 0/0) and [`spooky::ChunkId`] | §4.2 |

pub mod chunking;
pub mod coauth;
pub mod frame;
pub mod message;
pub mod properties;
pub mod spooky;
