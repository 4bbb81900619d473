//! CSPP Plus content as both stores keep it (cspp-plus.md §5): MainContent's signature, the alternate streams, the
//! content properties and the sequence number, and the PutChunkedFile write that changes them.
//!
//! One row per file (`chunked` table): the state as JSON and the alternate streams' bytes, concatenated in the
//! state's stream order. MainContent's bytes are the file's current content (so GetFile, CheckFileInfo `Size` and
//! versions see every PutChunkedFile). The row records the file version and SHA-256 it describes: when the content
//! has changed since by any other write (PutFile, a PutRelativeFile overwrite, …) the row is stale and reads as
//! that change applied ([`FileContent::other_content_change`]: alternate streams and `DeleteOnContentChange`
//! properties gone, MainContent chunked by content). Deriving it on read covers every non-chunked write path of
//! both stores in one place; the next PutChunkedFile replaces the stale row.
//!
//! The sequence number is the state's own counter; with no row it is the file version (1 for a new file), so it
//! grows on every content change and never on lock operations or reads (§5.4).

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use wopi_protocol::cspp::chunking;
use wopi_protocol::cspp::coauth::Presented;
use wopi_protocol::cspp::message::{PutChunkedFileRequest, StreamSignature};
use wopi_protocol::cspp::properties::{ContentProperty, FileContent, SequenceNumber, StoredStream, StreamId};
use wopi_protocol::cspp::spooky::ChunkId;
use wopi_protocol::ids::FileId;

use super::{FileRecord, StoreError, UserId};
use crate::coauth::{CoauthState, Writer};
use crate::faults::{Fault, FaultSet};

/// The stored row of a file's CSPP Plus state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkedRow {
    /// [`Saved`] as JSON.
    pub state: String,
    /// The alternate streams' bytes, in the state's order.
    pub data: Vec<u8>,
}

/// What the JSON of a [`ChunkedRow`] holds.
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    /// The file version this state describes.
    version: u64,
    /// The SHA-256 of MainContent this state describes (a write that keeps the version still changes this).
    sha256: [u8; 32],
    sequence: SequenceNumber,
    /// MainContent's signature as the client uploaded it.
    main: StreamSignature,
    alternates: Vec<StreamSignature>,
    properties: Vec<ContentProperty>,
}

/// A file's CSPP Plus content as of its current version, with every chunk's bytes.
#[derive(Debug, Clone)]
pub struct ChunkedFile {
    content: FileContent,
    /// Each stream's bytes (MainContent included).
    streams: BTreeMap<StreamId, Bytes>,
    /// Each chunk of every stream, by ID.
    chunks: HashMap<ChunkId, Bytes>,
}

impl ChunkedFile {
    /// The state of `file` whose current content is `main`, from its stored row if any.
    pub(crate) fn load(
        file: &FileRecord,
        main: Bytes,
        row: Option<&ChunkedRow>,
        faults: &FaultSet,
    ) -> Result<ChunkedFile, StoreError> {
        let (scheme, cut) = chunking::chunk_by_content(&main);
        let by_content = StoredStream {
            scheme,
            chunks: chunking::signature(&cut),
        };
        let version_seq = SequenceNumber::new(i64::try_from(file.version).unwrap_or(i64::MAX)).map_err(backend)?;
        let Some(row) = row else {
            let content = FileContent::restore(by_content, BTreeMap::new(), [], version_seq).map_err(backend)?;
            return Self::index(content, main, BTreeMap::new());
        };
        let saved: Saved = serde_json::from_str(&row.state).map_err(backend)?;
        let mut alternates = BTreeMap::new();
        let mut alt_bytes = BTreeMap::new();
        let mut at = 0usize;
        for sig in saved.alternates {
            let (id, stream) = sig.into_stored();
            let len = usize::try_from(stream.len()).map_err(backend)?;
            let end = at
                .checked_add(len)
                .filter(|e| *e <= row.data.len())
                .ok_or_else(|| backend("stored alternate streams are shorter than their signatures"))?;
            alt_bytes.insert(id.clone(), Bytes::copy_from_slice(&row.data[at..end]));
            alternates.insert(id, stream);
            at = end;
        }
        let current = saved.version == file.version && saved.sha256 == file.sha256;
        let (_, main_sig) = saved.main.into_stored();
        if current && main_sig.len() == main.len() as u64 {
            let content =
                FileContent::restore(main_sig, alternates, saved.properties, saved.sequence).map_err(backend)?;
            return Self::index(content, main, alt_bytes);
        }
        // Changed by another write since: that change applied now. The sequence number grows by one per version
        // written since, and at least by one (a write that kept the version still changed the bytes).
        let versions_since = file.version.saturating_sub(saved.version).max(1);
        let base = i64::from(saved.sequence.get()) + i64::try_from(versions_since - 1).unwrap_or(i64::MAX);
        let base = SequenceNumber::new(base).map_err(backend)?;
        let kept = alternates.clone();
        let mut content =
            FileContent::restore(by_content.clone(), alternates, saved.properties, base).map_err(backend)?;
        content.other_content_change(by_content).map_err(backend)?;
        if faults.has(Fault::AlternateStreamsKeptAfterPutFile) {
            // The fault: the alternate streams outlive the other write.
            let props: Vec<ContentProperty> = content.properties().iter().cloned().collect();
            let content =
                FileContent::restore(content.main().clone(), kept, props, content.sequence()).map_err(backend)?;
            return Self::index(content, main, alt_bytes);
        }
        Self::index(content, main, BTreeMap::new())
    }

    /// Indexes the chunks of every stream; a signature that does not cut its bytes exactly is a backend error.
    fn index(
        content: FileContent,
        main: Bytes,
        mut streams: BTreeMap<StreamId, Bytes>,
    ) -> Result<ChunkedFile, StoreError> {
        streams.retain(|id, _| content.alternates().contains_key(id));
        streams.insert(StreamId::main(), main);
        let mut chunks = HashMap::new();
        for (id, bytes) in &streams {
            let stream = content.answer(id);
            let mut at = 0usize;
            for c in &stream.chunks {
                let end = usize::try_from(c.length)
                    .ok()
                    .and_then(|l| at.checked_add(l))
                    .filter(|e| *e <= bytes.len())
                    .ok_or_else(|| backend(format!("stream {id}: signature longer than its bytes")))?;
                chunks.entry(c.chunk_id).or_insert_with(|| bytes.slice(at..end));
                at = end;
            }
        }
        Ok(ChunkedFile {
            content,
            streams,
            chunks,
        })
    }

    /// The streams, properties and sequence number.
    pub fn content(&self) -> &FileContent {
        &self.content
    }

    /// A chunk's bytes, from any stream.
    pub fn chunk(&self, id: &ChunkId) -> Option<&Bytes> {
        self.chunks.get(id)
    }

    /// The stored row for this state, as of the file version `version` whose MainContent hashes to `sha256`.
    fn row(&self, version: u64, sha256: [u8; 32]) -> Result<ChunkedRow, StoreError> {
        let mut data = Vec::new();
        for id in self.content.alternates().keys() {
            data.extend_from_slice(self.streams.get(id).map_or(&[][..], |b| &b[..]));
        }
        let saved = Saved {
            version,
            sha256,
            sequence: self.content.sequence(),
            main: StreamSignature::of(StreamId::main(), self.content.main()),
            alternates: self
                .content
                .alternates()
                .iter()
                .map(|(id, s)| StreamSignature::of(id.clone(), s))
                .collect(),
            properties: self.content.properties().iter().cloned().collect(),
        };
        let state = serde_json::to_string(&saved).map_err(backend)?;
        Ok(ChunkedRow { state, data })
    }
}

/// A PutChunkedFile, as [`super::Store::put_chunked`] takes it.
#[derive(Debug, Clone)]
pub struct ChunkedWrite {
    /// The file written.
    pub id: FileId,
    /// `X-WOPI-Lock` or `X-WOPI-CoauthLockId` (both is a 400 before this point).
    pub presented: Presented,
    /// `X-WOPI-SequenceNumber`.
    pub sequence: i32,
    /// The MessageJSON.
    pub message: PutChunkedFileRequest,
    /// The request's Chunk frames, by ID (each verified against its ID by the frame parser).
    pub chunks: HashMap<ChunkId, Bytes>,
    /// Who writes (the new version's author).
    pub author: UserId,
    /// When, on the host's clock.
    pub now: SystemTime,
    /// The largest stream the host accepts, in bytes.
    pub max_len: u64,
}

/// A checked PutChunkedFile, ready for the store to commit in one transaction.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    /// The new MainContent (the file's next version).
    pub main: Bytes,
    /// The new state.
    pub state: ChunkedFile,
}

impl Applied {
    /// The row to store once the new version `version` (MainContent hashing to `sha256`) is written.
    pub fn row(&self, version: u64, sha256: [u8; 32]) -> Result<ChunkedRow, StoreError> {
        self.state.row(version, sha256)
    }
}

impl ChunkedWrite {
    /// The lock check (§6.2, [`crate::coauth::write_access`]), the sequence check (§5.4), then every stream rebuilt from the request's chunks and
    /// the chunks the file already has (any stream). Nothing is changed here; an error leaves the file as it was.
    pub(crate) fn apply(
        &self,
        file: &FileRecord,
        current: &ChunkedFile,
        coauth: &CoauthState,
        faults: &FaultSet,
    ) -> Result<Applied, StoreError> {
        if !faults.has(Fault::PutChunkedFileIgnoresLock) {
            crate::coauth::write_access(
                Writer::PutChunkedFile,
                &self.presented,
                file.lock.as_ref(),
                coauth,
                current.content.main().len(),
                crate::coauth::millis(self.now),
                faults,
            )
            .map_err(StoreError::WriteConflict)?;
        }
        if !faults.has(Fault::StaleSequenceNumberAccepted) {
            current
                .content
                .sequence()
                .check_presented(self.sequence)
                .map_err(|m| StoreError::SequenceMismatch(m.current))?;
        }
        let mut streams = current.streams.clone();
        let mut stored = Vec::with_capacity(self.message.signatures.len());
        for sig in &self.message.signatures {
            let lookup = |id: &ChunkId| self.chunks.get(id).or_else(|| current.chunk(id)).map(|b| &b[..]);
            let bytes = chunking::reassemble(&sig.chunk_signatures, lookup, self.max_len)
                .map_err(|e| StoreError::BadContent(format!("stream {}: {e}", sig.stream_id)))?;
            streams.insert(sig.stream_id.clone(), Bytes::from(bytes));
            stored.push(sig.clone().into_stored());
        }
        let mut content = current.content.clone();
        content
            .put_chunked(stored, self.message.content_properties.iter().cloned())
            .map_err(|e| StoreError::BadContent(e.to_string()))?;
        let main = streams.get(&StreamId::main()).cloned().unwrap_or_default();
        let state = ChunkedFile::index(content, main.clone(), streams)?;
        Ok(Applied { main, state })
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("chunked state: {e}"))
}
