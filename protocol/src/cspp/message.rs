//! The MessageJSON of GetChunkedFile and PutChunkedFile (cspp-plus.md §3.2, §4.6; JS:GetChunkedFileRequestSchema,
//! GetChunkedFileResponseSchema; V:IncrementalFileTransfer/JsonDataContracts.cs), and whole request/response bodies.
//!
//! The validator writes with .NET's `DataContractJsonSerializer`: members in ordinal alphabetical order, nulls
//! written, `/` escaped as `\/`, no whitespace. [`to_wire_json`] writes exactly that (the structs below declare
//! their members in that order), so our client's bodies are byte-for-byte the validator's. Reading accepts any
//! conforming JSON, ignores unknown members and is case-sensitive on names, as the .NET reader is.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use super::chunking::{ChunkSignature, ChunkingScheme};
use super::frame::{Frame, write_stream};
use super::properties::{ContentProperty, StoredStream, StreamId};
use super::spooky::ChunkId;

/// Why a message cannot be read or written.
#[derive(Debug, Error)]
pub enum MessageError {
    /// Not JSON of the expected shape.
    #[error("{what} message: {source}")]
    Json {
        /// Which message.
        what: &'static str,
        /// serde_json's account (line, column, member).
        source: serde_json::Error,
    },
    /// GetChunkedFile with no content filter (docs: 400).
    #[error("GetChunkedFile request has an empty ContentFilters list")]
    NoContentFilters,
    /// Two filters or signatures for one stream (docs: 400).
    #[error("{what} names stream {stream} twice")]
    DuplicateStream {
        /// Which list.
        what: &'static str,
        /// The stream.
        stream: StreamId,
    },
}

/// Which chunks a GetChunkedFile filter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChunksToReturn {
    /// Every chunk not already known.
    All,
    /// No chunk (signature only).
    None,
    /// Only the last chunk of a Zip stream (the central directory); nothing for a FullFile stream.
    LastZipChunk,
}

/// One stream asked for in GetChunkedFile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentFilter {
    /// Chunks the client already has.
    #[serde(rename = "AlreadyKnownChunks", default)]
    pub already_known_chunks: Vec<ChunkId>,
    /// The scheme the client would like (the host answers by content, §4.5).
    #[serde(rename = "ChunkingScheme")]
    pub chunking_scheme: ChunkingScheme,
    /// Which chunks to send.
    #[serde(rename = "ChunksToReturn")]
    pub chunks_to_return: ChunksToReturn,
    /// The stream.
    #[serde(rename = "StreamId")]
    pub stream_id: StreamId,
}

impl ContentFilter {
    /// The chunk IDs to send as Chunk frames for `stream` (§4.6): `All` → the signature's chunks not in
    /// `AlreadyKnownChunks`; `None` → none; `LastZipChunk` → the last chunk of a Zip stream unless known (the
    /// known-chunk filter is the note's suggestion, §9 item 15), none for FullFile. Each ID once, first-seen order.
    pub fn chunks_to_send(&self, stream: &StoredStream) -> Vec<ChunkId> {
        let known: HashSet<&ChunkId> = self.already_known_chunks.iter().collect();
        let candidates: Vec<ChunkId> = match (self.chunks_to_return, stream.scheme) {
            (ChunksToReturn::All, _) => stream.chunks.iter().map(|c| c.chunk_id).collect(),
            (ChunksToReturn::None, _) | (ChunksToReturn::LastZipChunk, ChunkingScheme::FullFile) => Vec::new(),
            (ChunksToReturn::LastZipChunk, ChunkingScheme::Zip) => {
                stream.chunks.last().map(|c| c.chunk_id).into_iter().collect()
            }
        };
        let mut seen = HashSet::new();
        candidates
            .into_iter()
            .filter(|id| !known.contains(id) && seen.insert(*id))
            .collect()
    }
}

/// GetChunkedFile request message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetChunkedFileRequest {
    /// One filter per stream.
    #[serde(rename = "ContentFilters")]
    pub content_filters: Vec<ContentFilter>,
    /// Property names to return.
    #[serde(rename = "ContentPropertiesToReturn", default)]
    pub content_properties_to_return: Vec<String>,
}

impl GetChunkedFileRequest {
    /// The docs' 400 causes: no filter, or two filters for one stream.
    pub fn check(&self) -> Result<(), MessageError> {
        if self.content_filters.is_empty() {
            return Err(MessageError::NoContentFilters);
        }
        unique_streams(
            "GetChunkedFile ContentFilters",
            self.content_filters.iter().map(|f| &f.stream_id),
        )
    }
}

fn unique_streams<'a>(what: &'static str, ids: impl Iterator<Item = &'a StreamId>) -> Result<(), MessageError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(MessageError::DuplicateStream {
                what,
                stream: id.clone(),
            });
        }
    }
    Ok(())
}

/// One stream's signature in a PutChunkedFile request or a GetChunkedFile answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSignature {
    /// The chunks, in order.
    #[serde(rename = "ChunkSignatures")]
    pub chunk_signatures: Vec<ChunkSignature>,
    /// The scheme.
    #[serde(rename = "ChunkingScheme")]
    pub chunking_scheme: ChunkingScheme,
    /// The stream.
    #[serde(rename = "StreamId")]
    pub stream_id: StreamId,
}

impl StreamSignature {
    /// A stored stream's signature under `id`.
    pub fn of(id: StreamId, stream: &StoredStream) -> StreamSignature {
        StreamSignature {
            chunk_signatures: stream.chunks.clone(),
            chunking_scheme: stream.scheme,
            stream_id: id,
        }
    }

    /// The stream as a host stores it.
    pub fn into_stored(self) -> (StreamId, StoredStream) {
        (
            self.stream_id,
            StoredStream {
                scheme: self.chunking_scheme,
                chunks: self.chunk_signatures,
            },
        )
    }
}

/// GetChunkedFile answer message. `ContentProperties` is required even when empty (schema `required`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetChunkedFileResponse {
    /// The requested properties that exist.
    #[serde(rename = "ContentProperties")]
    pub content_properties: Vec<ContentProperty>,
    /// One signature per requested stream (nonexistent ones included: Zip, no chunk).
    #[serde(rename = "Signatures")]
    pub signatures: Vec<StreamSignature>,
}

/// PutChunkedFile request message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutChunkedFileRequest {
    /// Properties to upsert.
    #[serde(rename = "ContentProperties", default)]
    pub content_properties: Vec<ContentProperty>,
    /// The streams to replace.
    #[serde(rename = "Signatures")]
    pub signatures: Vec<StreamSignature>,
    /// Upload session to commit: written as `null` when absent; `null`, `""` and a missing member all read as
    /// "no session" (§7.2).
    #[serde(rename = "UploadSessionTokenToCommit", default, deserialize_with = "empty_as_none")]
    pub upload_session_token_to_commit: Option<String>,
}

impl PutChunkedFileRequest {
    /// Two signatures for one stream are a 400.
    pub fn check(&self) -> Result<(), MessageError> {
        unique_streams(
            "PutChunkedFile Signatures",
            self.signatures.iter().map(|s| &s.stream_id),
        )
    }
}

fn empty_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// JSON as the validator's `DataContractJsonSerializer` writes it: no whitespace, nulls written, `/` as `\/`.
/// A `/` can only occur inside JSON strings, so escaping every one is exact.
pub fn to_wire_json<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, MessageError> {
    let plain = serde_json::to_vec(value).map_err(|source| MessageError::Json { what, source })?;
    let mut out = Vec::with_capacity(plain.len() + 8);
    for b in plain {
        if b == b'/' {
            out.push(b'\\');
        }
        out.push(b);
    }
    Ok(out)
}

/// Reads a MessageJSON payload.
pub fn from_wire_json<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, MessageError> {
    serde_json::from_slice(bytes).map_err(|source| MessageError::Json { what, source })
}

/// A whole frame body: the message, one Chunk frame per distinct chunk of `chunks` in first-seen order (the
/// validator de-duplicates across all streams of a request), the EndFrame.
pub fn write_body<'c, T: Serialize>(
    what: &'static str,
    message: &T,
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Result<Vec<u8>, MessageError> {
    let json = to_wire_json(what, message)?;
    let mut seen = HashSet::new();
    let frames: Vec<Frame<'c>> = chunks
        .into_iter()
        .map(Frame::chunk)
        .filter(|f| match f {
            Frame::Chunk { id, .. } => seen.insert(*id),
            _ => true,
        })
        .collect();
    Ok(write_stream(&json, frames))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cspp::chunking::{signature, zip};
    use crate::cspp::frame::{FrameStream, Limits};
    use crate::cspp::properties::Retention;

    fn main_id() -> StreamId {
        StreamId::main()
    }

    fn id(s: &str) -> ChunkId {
        ChunkId::parse(s).expect("chunk id")
    }

    const PUT_JSON: &str = r#"{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile","StreamId":"MainContent"}],"UploadSessionTokenToCommit":null}"#;

    fn worked_request() -> PutChunkedFileRequest {
        PutChunkedFileRequest {
            content_properties: vec![],
            signatures: vec![StreamSignature {
                chunk_signatures: signature(&[b"SampleTextVersion-1"]),
                chunking_scheme: ChunkingScheme::FullFile,
                stream_id: main_id(),
            }],
            upload_session_token_to_commit: None,
        }
    }

    /// §3.3: the PutChunkedFile message and body, byte for byte, and parsed back by the host side.
    #[test]
    fn worked_example_from_typed_values() {
        let req = worked_request();
        let json = to_wire_json("PutChunkedFile", &req).expect("json");
        assert_eq!(String::from_utf8_lossy(&json), PUT_JSON);
        let body = write_body("PutChunkedFile", &req, [&b"SampleTextVersion-1"[..]]).expect("body");
        assert_eq!(body.len(), 282);
        let mut expected = vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc7];
        expected.extend_from_slice(PUT_JSON.as_bytes());
        expected.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x13]);
        expected.extend_from_slice(id("OpSWhpt12BRkuGX4z7bQPg==").as_bytes());
        expected.extend_from_slice(b"SampleTextVersion-1");
        expected.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(body, expected);
        let stream = FrameStream::parse(&body, &Limits::default()).expect("frames");
        let back: PutChunkedFileRequest = from_wire_json("PutChunkedFile", stream.message).expect("message");
        assert_eq!(back, req);
        assert_eq!(back.check().ok(), Some(()));
    }

    /// §3.3: the 153-byte GetChunkedFile request and the 165-byte host answer.
    #[test]
    fn get_chunked_file_messages() {
        let req = GetChunkedFileRequest {
            content_filters: vec![ContentFilter {
                already_known_chunks: vec![],
                chunking_scheme: ChunkingScheme::FullFile,
                chunks_to_return: ChunksToReturn::All,
                stream_id: main_id(),
            }],
            content_properties_to_return: vec![],
        };
        let json = to_wire_json("GetChunkedFile", &req).expect("json");
        assert_eq!(
            String::from_utf8_lossy(&json),
            r#"{"ContentFilters":[{"AlreadyKnownChunks":[],"ChunkingScheme":"FullFile","ChunksToReturn":"All","StreamId":"MainContent"}],"ContentPropertiesToReturn":[]}"#
        );
        assert_eq!(write_body("GetChunkedFile", &req, []).expect("body").len(), 185);
        let answer = GetChunkedFileResponse {
            content_properties: vec![],
            signatures: worked_request().signatures,
        };
        let json = to_wire_json("GetChunkedFile answer", &answer).expect("json");
        assert_eq!(
            String::from_utf8_lossy(&json),
            r#"{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile","StreamId":"MainContent"}]}"#
        );
        let body = write_body("GetChunkedFile answer", &answer, [&b"SampleTextVersion-1"[..]]).expect("body");
        assert_eq!(body.len(), 248);
        // ContentProperties is required in an answer.
        let e = from_wire_json::<GetChunkedFileResponse>("GetChunkedFile answer", br#"{"Signatures":[]}"#)
            .expect_err("required");
        assert!(e.to_string().contains("ContentProperties"), "{e}");
    }

    /// §3.2: `/` goes out as `\/` and reads back; upload token null / "" / missing all mean none; unknown members
    /// are ignored; names are case-sensitive.
    #[test]
    fn datacontract_details() {
        let slash = id("5R2NpDek+YvE4R/a0Lhfpw==");
        let req = PutChunkedFileRequest {
            content_properties: vec![ContentProperty::new("A/B", "v", Retention::KeepOnContentChange).expect("p")],
            signatures: vec![StreamSignature {
                chunk_signatures: vec![ChunkSignature {
                    chunk_id: slash,
                    length: 662,
                }],
                chunking_scheme: ChunkingScheme::Zip,
                stream_id: main_id(),
            }],
            upload_session_token_to_commit: None,
        };
        let json = String::from_utf8(to_wire_json("PutChunkedFile", &req).expect("json")).expect("utf8");
        assert!(json.contains(r#""ChunkId":"5R2NpDek+YvE4R\/a0Lhfpw==""#), "{json}");
        assert!(json.contains(r#""Name":"A\/B""#), "{json}");
        let back: PutChunkedFileRequest = from_wire_json("PutChunkedFile", json.as_bytes()).expect("read");
        assert_eq!(back, req);
        for token in [
            r#","UploadSessionTokenToCommit":"""#,
            r#","UploadSessionTokenToCommit":null"#,
            "",
        ] {
            let text = format!(r#"{{"Signatures":[],"Extra":1{token}}}"#);
            let r: PutChunkedFileRequest = from_wire_json("PutChunkedFile", text.as_bytes()).expect("lenient");
            assert_eq!(r.upload_session_token_to_commit, None, "{text}");
        }
        let r: PutChunkedFileRequest = from_wire_json(
            "PutChunkedFile",
            br#"{"Signatures":[],"UploadSessionTokenToCommit":"t"}"#,
        )
        .expect("t");
        assert_eq!(r.upload_session_token_to_commit.as_deref(), Some("t"));
        assert!(from_wire_json::<PutChunkedFileRequest>("PutChunkedFile", br#"{"signatures":[]}"#).is_err());
        let e = from_wire_json::<PutChunkedFileRequest>(
            "PutChunkedFile",
            br#"{"Signatures":[{"ChunkSignatures":[{"ChunkId":"short","Length":1}],"ChunkingScheme":"Zip","StreamId":"MainContent"}]}"#,
        )
        .expect_err("bad id");
        assert!(e.to_string().contains("chunk ID \"short\""), "{e}");
    }

    #[test]
    fn docs_400_causes() {
        let empty = GetChunkedFileRequest {
            content_filters: vec![],
            content_properties_to_return: vec![],
        };
        assert!(matches!(empty.check(), Err(MessageError::NoContentFilters)));
        let f = ContentFilter {
            already_known_chunks: vec![],
            chunking_scheme: ChunkingScheme::Zip,
            chunks_to_return: ChunksToReturn::All,
            stream_id: main_id(),
        };
        let twice = GetChunkedFileRequest {
            content_filters: vec![f.clone(), f],
            content_properties_to_return: vec![],
        };
        let e = twice.check().expect_err("twice");
        assert_eq!(
            e.to_string(),
            "GetChunkedFile ContentFilters names stream MainContent twice"
        );
        let mut put = worked_request();
        put.signatures.push(put.signatures[0].clone());
        assert!(matches!(put.check(), Err(MessageError::DuplicateStream { .. })));
    }

    fn fixture(rel: &str) -> Vec<u8> {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/validator/Resources/ZipChunking")
            .join(rel)
            .join("FileStream");
        std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    fn zip_stream(bytes: &[u8]) -> StoredStream {
        StoredStream {
            scheme: ChunkingScheme::Zip,
            chunks: signature(&zip(bytes).expect("zip")),
        }
    }

    /// §4.4 derived counts through real bodies: the first Zip upload (Main V1 + Alt V1) carries 30 Chunk frames.
    #[test]
    fn first_zip_upload_has_30_chunk_frames() {
        let (main, alt) = (
            fixture("NonZeroByteExcel/Version1/MainContent"),
            fixture("NonZeroByteExcel/Version1/AltContent"),
        );
        let req = PutChunkedFileRequest {
            content_properties: vec![],
            signatures: vec![
                StreamSignature::of(main_id(), &zip_stream(&main)),
                StreamSignature::of(StreamId::new("Alternate").expect("id"), &zip_stream(&alt)),
            ],
            upload_session_token_to_commit: None,
        };
        let chunks = zip(&main).expect("zip").into_iter().chain(zip(&alt).expect("zip"));
        let body = write_body("PutChunkedFile", &req, chunks).expect("body");
        let parsed = FrameStream::parse(&body, &Limits::default()).expect("frames");
        assert_eq!(parsed.chunks.len(), 30);
    }

    /// §4.6 table: which Chunk frames a host sends per filter.
    #[test]
    fn chunks_to_send_per_case() {
        let main_v1 = zip_stream(&fixture("NonZeroByteExcel/Version1/MainContent"));
        let main_v2 = zip_stream(&fixture("NonZeroByteExcel/Version2/MainContent"));
        let alt_v1 = zip_stream(&fixture("NonZeroByteExcel/Version1/AltContent"));
        let alt_v2 = zip_stream(&fixture("NonZeroByteExcel/Version2/AltContent"));
        let text = StoredStream {
            scheme: ChunkingScheme::FullFile,
            chunks: signature(&[b"SampleTextVersion-1"]),
        };
        let filter = |ret, known: &StoredStream| ContentFilter {
            already_known_chunks: known.chunks.iter().map(|c| c.chunk_id).collect(),
            chunking_scheme: ChunkingScheme::Zip,
            chunks_to_return: ret,
            stream_id: main_id(),
        };
        let nothing = StoredStream::missing();
        // Zip 2 DownloadWithNoneChunksToReturn: 0.
        assert!(
            filter(ChunksToReturn::None, &nothing)
                .chunks_to_send(&main_v1)
                .is_empty()
        );
        // Zip 3 DownloadWithLastZipChunk: Main and Alt central directories, 2 in all.
        let last: HashSet<ChunkId> = [&main_v1, &alt_v1]
            .iter()
            .flat_map(|s| filter(ChunksToReturn::LastZipChunk, &nothing).chunks_to_send(s))
            .collect();
        assert_eq!(last.len(), 2);
        assert_eq!(
            last.iter().map(|i| i.to_string()).collect::<HashSet<_>>(),
            HashSet::from([
                "5R2NpDek+YvE4R/a0Lhfpw==".to_string(),
                "6NpkKBZ/D8ehRpwdm88pfw==".to_string()
            ])
        );
        // FullFile 9 DownloadWithLastZipChunk on text: 0.
        assert!(
            filter(ChunksToReturn::LastZipChunk, &nothing)
                .chunks_to_send(&text)
                .is_empty()
        );
        // Zip 9 DeltaDownloadZeroBlobs: V2 known → 0.
        assert!(
            filter(ChunksToReturn::All, &main_v2)
                .chunks_to_send(&main_v2)
                .is_empty()
        );
        assert!(filter(ChunksToReturn::All, &alt_v2).chunks_to_send(&alt_v2).is_empty());
        // Zip 10 DeltaDownloadNonZeroBlobs: V1 known → 18 distinct across Main and Alt.
        let delta: HashSet<ChunkId> = filter(ChunksToReturn::All, &main_v1)
            .chunks_to_send(&main_v2)
            .into_iter()
            .chain(filter(ChunksToReturn::All, &alt_v1).chunks_to_send(&alt_v2))
            .collect();
        assert_eq!(delta.len(), 18);
        // All with nothing known: every distinct chunk once.
        assert_eq!(filter(ChunksToReturn::All, &nothing).chunks_to_send(&main_v1).len(), 21);
    }
}
