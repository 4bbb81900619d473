//! Chunking a stream's bytes into a signature, and rebuilding the bytes from a signature (cspp-plus.md §4;
//! D:file-transfer/chunk-streams, file-content-data-model; V:IncrementalFileTransfer/FullFileChunkProcessor.cs,
//! V:ResourceManagement/Resource.cs `GetZipChunkingBlobs`).
//!
//! - **FullFile**: the whole stream is one chunk; empty content has **no** chunk (what the validator's chunker
//!   does; the docs want one zero-length chunk for an empty MainContent, §9 item 3: a host may answer either way,
//!   [`ChunkSignature::of`] of `&[]` gives that chunk).
//! - **Zip**: for each local entry in file order, chunk A = the local file header (30 bytes + name + extra
//!   field), chunk B = the entry's data up to the next local header (so a data descriptor goes with the data),
//!   then one final chunk from the first central-directory header to the end of the file (central directory +
//!   EOCD + comment). 2 × entries + 1 chunks. Verified on all 12 validator fixtures (their `ChunkIds.txt` files
//!   hold exactly these start offsets); data descriptors and comments are not in the fixtures (§9 item 14), and
//!   zip64 and multi-disk archives are refused ([`ZipError`]) so that such content falls back to FullFile.
//!
//! [`chunk_by_content`] is the host's choice of scheme "based on the file content" (§4.5): Zip when the bytes are a
//! zip archive by the rule above, else FullFile.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::spooky::ChunkId;

/// How a stream is cut into chunks. Case-sensitive on the wire, as the validator compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChunkingScheme {
    /// The whole stream is one chunk.
    FullFile,
    /// Local headers, entry data and the central directory are separate chunks.
    Zip,
}

impl fmt::Display for ChunkingScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChunkingScheme::FullFile => "FullFile",
            ChunkingScheme::Zip => "Zip",
        })
    }
}

/// One entry of a stream's signature: the chunk's ID and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChunkSignature {
    /// SpookyHash V2 of the chunk.
    #[serde(rename = "ChunkId")]
    pub chunk_id: ChunkId,
    /// Bytes in the chunk.
    #[serde(rename = "Length")]
    pub length: u64,
}

impl ChunkSignature {
    /// The signature entry of `chunk`.
    pub fn of(chunk: &[u8]) -> ChunkSignature {
        ChunkSignature {
            chunk_id: ChunkId::of(chunk),
            length: chunk.len() as u64,
        }
    }
}

/// The signature of a list of chunks, in order.
pub fn signature(chunks: &[&[u8]]) -> Vec<ChunkSignature> {
    chunks.iter().map(|c| ChunkSignature::of(c)).collect()
}

/// FullFile chunking: one chunk, none for empty content.
pub fn full_file(content: &[u8]) -> Vec<&[u8]> {
    if content.is_empty() { Vec::new() } else { vec![content] }
}

/// Why bytes are not a zip archive that the Zip scheme can cut.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ZipError {
    /// No end-of-central-directory record whose comment runs exactly to the end.
    #[error("no end-of-central-directory record (PK\\x05\\x06) ends the content")]
    NoEndOfCentralDirectory,
    /// Zip64 or multi-disk markers.
    #[error("zip64 or multi-disk archives are not chunked with the Zip scheme ({0})")]
    Unsupported(&'static str),
    /// The central directory does not sit just before the EOCD record.
    #[error("the central directory (offset {offset}, {size} bytes) does not end at the EOCD record (byte {eocd})")]
    CentralDirectoryPlacement {
        /// Offset from the EOCD.
        offset: u64,
        /// Size from the EOCD.
        size: u64,
        /// Where the EOCD record starts.
        eocd: usize,
    },
    /// A central-directory header is cut off or has a wrong signature.
    #[error("central-directory entry {entry} at byte {offset} is malformed: {reason}")]
    CentralDirectoryEntry {
        /// Entry index.
        entry: usize,
        /// Where it starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A local file header is missing, cut off or overlaps the next entry.
    #[error("the local file header at byte {offset} is malformed: {reason}")]
    LocalHeader {
        /// Where it should start.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The content does not start with the first local header.
    #[error("the first local file header is at byte {first}, not at byte 0")]
    LeadingBytes {
        /// Where the first entry starts.
        first: u64,
    },
}

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD_LEN: usize = 22;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Finds the EOCD record: the last `PK\x05\x06` whose comment length reaches exactly the end of the content.
fn find_eocd(content: &[u8]) -> Option<usize> {
    let last = content.len().checked_sub(EOCD_LEN)?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last).rev().find(|&pos| {
        le32(content, pos) == Some(EOCD_SIG)
            && le16(content, pos + 20).is_some_and(|c| pos + EOCD_LEN + usize::from(c) == content.len())
    })
}

/// The start offsets of the Zip-scheme chunks of `content` (the numbers a validator `ChunkIds.txt` holds).
/// Empty content has no chunk.
pub fn zip_chunk_offsets(content: &[u8]) -> Result<Vec<usize>, ZipError> {
    if content.is_empty() {
        return Ok(Vec::new());
    }
    let eocd = find_eocd(content).ok_or(ZipError::NoEndOfCentralDirectory)?;
    let field16 = |at| le16(content, eocd + at).unwrap_or(u16::MAX);
    let field32 = |at| le32(content, eocd + at).unwrap_or(u32::MAX);
    if field16(4) != 0 || field16(6) != 0 {
        return Err(ZipError::Unsupported("disk numbers are not 0"));
    }
    let (on_disk, total) = (field16(8), field16(10));
    let (cd_size, cd_offset) = (field32(12), field32(16));
    if total == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(ZipError::Unsupported("EOCD fields hold the zip64 marker"));
    }
    if on_disk != total {
        return Err(ZipError::Unsupported("entries on this disk differ from the total"));
    }
    let (cd_start, cd_end) = (cd_offset as usize, cd_offset as usize + cd_size as usize);
    if cd_end != eocd {
        return Err(ZipError::CentralDirectoryPlacement {
            offset: u64::from(cd_offset),
            size: u64::from(cd_size),
            eocd,
        });
    }
    // (local header offset, compressed size) of every entry, from the central directory.
    let mut entries = Vec::with_capacity(usize::from(total));
    let mut p = cd_start;
    for entry in 0..usize::from(total) {
        let bad = |reason| ZipError::CentralDirectoryEntry {
            entry,
            offset: p,
            reason,
        };
        let header = content.get(p..p + CENTRAL_LEN).filter(|_| p + CENTRAL_LEN <= cd_end);
        let header = header.ok_or_else(|| bad("cut off by the end of the central directory"))?;
        if le32(header, 0) != Some(CENTRAL_SIG) {
            return Err(bad("no PK\\x01\\x02 signature"));
        }
        let compressed = le32(header, 20).unwrap_or(u32::MAX);
        let local = le32(header, 42).unwrap_or(u32::MAX);
        if compressed == u32::MAX || local == u32::MAX {
            return Err(ZipError::Unsupported("an entry holds the zip64 marker"));
        }
        let var: usize = [28, 30, 32]
            .iter()
            .map(|&at| usize::from(le16(header, at).unwrap_or(0)))
            .sum();
        if p + CENTRAL_LEN + var > cd_end {
            return Err(bad("its name, extra field or comment runs past the central directory"));
        }
        entries.push((u64::from(local), u64::from(compressed)));
        p += CENTRAL_LEN + var;
    }
    if p != cd_end {
        return Err(ZipError::CentralDirectoryPlacement {
            offset: u64::from(cd_offset),
            size: u64::from(cd_size),
            eocd,
        });
    }
    entries.sort_unstable();
    match entries.first() {
        Some(&(first, _)) if first != 0 => return Err(ZipError::LeadingBytes { first }),
        None if cd_start != 0 => return Err(ZipError::LeadingBytes { first: cd_start as u64 }),
        _ => {}
    }
    let mut offsets = Vec::with_capacity(entries.len() * 2 + 1);
    for (i, &(local, compressed)) in entries.iter().enumerate() {
        let next = entries.get(i + 1).map_or(cd_start as u64, |e| e.0);
        let bad = |reason| ZipError::LocalHeader { offset: local, reason };
        if local >= next {
            return Err(bad("two entries share it, or it lies in the central directory"));
        }
        let at = local as usize;
        let header = content.get(at..at + LOCAL_LEN).ok_or_else(|| bad("cut off"))?;
        if le32(header, 0) != Some(LOCAL_SIG) {
            return Err(bad("no PK\\x03\\x04 signature"));
        }
        let var = u64::from(le16(header, 26).unwrap_or(0)) + u64::from(le16(header, 28).unwrap_or(0));
        let data = local + LOCAL_LEN as u64 + var;
        if data + compressed > next {
            return Err(bad("its name, extra field or data overlap the next entry"));
        }
        offsets.push(at);
        offsets.push(data as usize);
    }
    offsets.push(cd_start);
    Ok(offsets)
}

/// Cuts `content` at `offsets` (ascending, the first 0): chunk i runs from `offsets[i]` to the next offset or the end.
fn cut<'a>(content: &'a [u8], offsets: &[usize]) -> Vec<&'a [u8]> {
    offsets
        .iter()
        .enumerate()
        .map(|(i, &start)| &content[start..offsets.get(i + 1).copied().unwrap_or(content.len())])
        .collect()
}

/// Zip chunking (see the module docs). Empty content has no chunk.
pub fn zip(content: &[u8]) -> Result<Vec<&[u8]>, ZipError> {
    Ok(cut(content, &zip_chunk_offsets(content)?))
}

/// The scheme a host picks for stored bytes (§4.5): Zip if they are a zip archive by the Zip rule, FullFile otherwise.
pub fn chunk_by_content(content: &[u8]) -> (ChunkingScheme, Vec<&[u8]>) {
    match zip(content) {
        Ok(chunks) if !content.is_empty() => (ChunkingScheme::Zip, chunks),
        _ => (ChunkingScheme::FullFile, full_file(content)),
    }
}

/// Why a signature cannot be turned back into bytes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReassembleError {
    /// A chunk the signature names is not available.
    #[error("signature entry {index}: chunk {id} is neither in the request nor already known")]
    MissingChunk {
        /// Entry index.
        index: usize,
        /// The chunk.
        id: ChunkId,
    },
    /// A chunk's bytes do not have the signature's length.
    #[error("signature entry {index}: chunk {id} has {actual} bytes, the signature says {declared}")]
    LengthMismatch {
        /// Entry index.
        index: usize,
        /// The chunk.
        id: ChunkId,
        /// Length in the signature.
        declared: u64,
        /// Length of the bytes found.
        actual: u64,
    },
    /// The lengths add up to more than the caller allows.
    #[error("the signature adds up to more than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
}

/// Rebuilds a stream from its signature, taking each chunk from `lookup` (the request's Chunk frames, then the
/// chunks already stored). The declared lengths are summed and checked against `max_len` before anything is
/// copied.
pub fn reassemble<'c>(
    signature: &[ChunkSignature],
    lookup: impl Fn(&ChunkId) -> Option<&'c [u8]>,
    max_len: u64,
) -> Result<Vec<u8>, ReassembleError> {
    let total = signature
        .iter()
        .try_fold(0u64, |sum, s| sum.checked_add(s.length))
        .filter(|t| *t <= max_len)
        .ok_or(ReassembleError::TooLarge { limit: max_len })?;
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for (index, s) in signature.iter().enumerate() {
        let bytes = lookup(&s.chunk_id).ok_or(ReassembleError::MissingChunk { index, id: s.chunk_id })?;
        if bytes.len() as u64 != s.length {
            return Err(ReassembleError::LengthMismatch {
                index,
                id: s.chunk_id,
                declared: s.length,
                actual: bytes.len() as u64,
            });
        }
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};
    use std::path::PathBuf;

    /// The validator's fixtures, read in place (never copied into the project).
    fn fixture_dir(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/validator/Resources/ZipChunking")
            .join(rel)
    }

    /// The 12 fixture streams: `<Kind>/Version<N>/<Main|Alt>Content`.
    const FIXTURES: [&str; 12] = [
        "NonZeroByteExcel/Version1/MainContent",
        "NonZeroByteExcel/Version1/AltContent",
        "NonZeroByteExcel/Version2/MainContent",
        "NonZeroByteExcel/Version2/AltContent",
        "NonZeroByteExcel/Version3/MainContent",
        "NonZeroByteExcel/Version3/AltContent",
        "NonZeroBytePpt/Version1/MainContent",
        "NonZeroBytePpt/Version2/MainContent",
        "NonZeroBytePpt/Version3/MainContent",
        "NonZeroByteWord/Version1/MainContent",
        "NonZeroByteWord/Version2/MainContent",
        "NonZeroByteWord/Version3/MainContent",
    ];

    fn file_stream(rel: &str) -> Vec<u8> {
        let p = fixture_dir(rel).join("FileStream");
        std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// `ChunkIds.txt`: one decimal start offset per line.
    fn chunk_offsets_txt(rel: &str) -> Vec<usize> {
        let p = fixture_dir(rel).join("ChunkIds.txt");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: {l:?}: {e}", p.display()))
            })
            .collect()
    }

    /// The validator's own slicing (Resource.cs `GetZipChunkingBlobs`): chunk i = `[off_i, off_{i+1})`, the last to EOF.
    fn validator_ids(rel: &str) -> Vec<ChunkSignature> {
        let bytes = file_stream(rel);
        signature(&cut(&bytes, &chunk_offsets_txt(rel)))
    }

    #[test]
    fn zip_rule_reproduces_every_chunk_ids_txt() {
        for rel in FIXTURES {
            let bytes = file_stream(rel);
            assert_eq!(zip_chunk_offsets(&bytes), Ok(chunk_offsets_txt(rel)), "{rel}: offsets");
            let ours = signature(&zip(&bytes).expect("zip"));
            assert_eq!(ours, validator_ids(rel), "{rel}: chunk IDs");
            assert_eq!(chunk_by_content(&bytes).0, ChunkingScheme::Zip, "{rel}");
        }
    }

    fn sha256_prefix(b: &[u8]) -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(b)
            .iter()
            .take(8)
            .map(|x| format!("{x:02x}"))
            .collect()
    }

    /// cspp-plus.md §4.4 table: bytes, chunk count, SHA-256 prefix, first and last chunk (ID, length).
    #[test]
    fn the_notes_fixture_table() {
        let table = [
            (
                "NonZeroByteExcel/Version1/MainContent",
                8524,
                21,
                "736cdfa261ef95c8",
                ("DeXAW001MP4l5elGXDn28g==", 569),
                ("5R2NpDek+YvE4R/a0Lhfpw==", 662),
            ),
            (
                "NonZeroByteExcel/Version1/AltContent",
                8490,
                21,
                "d2f22e7bd31c1c0c",
                ("DeXAW001MP4l5elGXDn28g==", 569),
                ("6NpkKBZ/D8ehRpwdm88pfw==", 662),
            ),
            (
                "NonZeroByteExcel/Version2/MainContent",
                8568,
                21,
                "5d7b8df6c102288b",
                ("DeXAW001MP4l5elGXDn28g==", 569),
                ("z3jhqTnE9xXgLM0TZYl70g==", 662),
            ),
            (
                "NonZeroByteExcel/Version2/AltContent",
                8532,
                21,
                "e6a3e189996abc8e",
                ("DeXAW001MP4l5elGXDn28g==", 569),
                ("Jvvy9w9UzDU7CDbb5u3X4w==", 662),
            ),
            (
                "NonZeroByteWord/Version1/MainContent",
                12421,
                25,
                "469eed0be17a7661",
                ("ah8c2Q6W3aLeouKvBiP4jA==", 569),
                ("cdggbjGkGARUVpqxUY1LdA==", 798),
            ),
        ];
        for (rel, len, count, sha, first, last) in table {
            let bytes = file_stream(rel);
            assert_eq!(bytes.len(), len, "{rel}: size");
            assert_eq!(sha256_prefix(&bytes), sha, "{rel}: SHA-256");
            let sig = signature(&zip(&bytes).expect("zip"));
            assert_eq!(sig.len(), count, "{rel}: chunks");
            let show = |s: &ChunkSignature| (s.chunk_id.to_string(), s.length);
            assert_eq!(
                sig.first().map(show),
                Some((first.0.to_string(), first.1)),
                "{rel}: first"
            );
            assert_eq!(sig.last().map(show), Some((last.0.to_string(), last.1)), "{rel}: last");
        }
        // Ppt: 37 entries → 75 chunks, 65 distinct IDs (§4.1).
        let ppt = signature(&zip(&file_stream("NonZeroBytePpt/Version1/MainContent")).expect("zip"));
        assert_eq!(ppt.len(), 75);
        assert_eq!(ppt.iter().map(|s| s.chunk_id).collect::<HashSet<_>>().len(), 65);
    }

    /// §4.4 derived counts: 30 Chunk frames for the first upload (21 + 21 − 12 shared), 18 for the V1→V2 delta, the
    /// changed chunks being 4, 5, 8, 9, 14–17 and 20 of each stream.
    #[test]
    fn the_notes_upload_counts() {
        let ids = |rel: &str| -> Vec<ChunkId> {
            signature(&zip(&file_stream(rel)).expect("zip"))
                .into_iter()
                .map(|s| s.chunk_id)
                .collect()
        };
        let (m1, a1) = (
            ids("NonZeroByteExcel/Version1/MainContent"),
            ids("NonZeroByteExcel/Version1/AltContent"),
        );
        let (m2, a2) = (
            ids("NonZeroByteExcel/Version2/MainContent"),
            ids("NonZeroByteExcel/Version2/AltContent"),
        );
        let v1: HashSet<ChunkId> = m1.iter().chain(&a1).copied().collect();
        assert_eq!(v1.len(), 30);
        assert_eq!(
            m1.iter()
                .collect::<HashSet<_>>()
                .intersection(&a1.iter().collect())
                .count(),
            12
        );
        let delta: HashSet<ChunkId> = m2.iter().chain(&a2).filter(|id| !v1.contains(id)).copied().collect();
        assert_eq!(delta.len(), 18);
        for (old, new) in [(&m1, &m2), (&a1, &a2)] {
            let changed: Vec<usize> = (0..21).filter(|&i| old[i] != new[i]).collect();
            assert_eq!(changed, vec![4, 5, 8, 9, 14, 15, 16, 17, 20]);
        }
        let new_main: HashSet<_> = m2.iter().filter(|id| !v1.contains(id)).collect();
        let new_alt: HashSet<_> = a2.iter().filter(|id| !v1.contains(id)).collect();
        assert_eq!(new_main.intersection(&new_alt).count(), 0);
    }

    #[test]
    fn empty_and_non_zip_content() {
        assert_eq!(zip(&[]), Ok(vec![]));
        assert_eq!(full_file(&[]), Vec::<&[u8]>::new());
        assert_eq!(chunk_by_content(&[]), (ChunkingScheme::FullFile, vec![]));
        // §1.3: what PutFile ResourceId="WordSimpleDocument" stores is not a zip: FullFile, one chunk.
        let text = b"WordSimpleDocumentResources\\WordSimpleDocument.docxWordSimpleDocument.docx";
        assert_eq!(zip(text), Err(ZipError::NoEndOfCentralDirectory));
        let (scheme, chunks) = chunk_by_content(text);
        assert_eq!(scheme, ChunkingScheme::FullFile);
        assert_eq!(signature(&chunks)[0].chunk_id.to_string(), "D4WEWX/QfxrXdr2brAAMkw==");
        // An empty archive (EOCD only) is one chunk: the central directory chunk.
        let mut empty_zip = vec![0x50, 0x4b, 5, 6];
        empty_zip.extend_from_slice(&[0; 18]);
        assert_eq!(zip_chunk_offsets(&empty_zip), Ok(vec![0]));
    }

    #[test]
    fn zip_errors_are_named() {
        let word = file_stream("NonZeroByteWord/Version1/MainContent");
        let mut leading = b"MZ".to_vec();
        leading.extend_from_slice(&word);
        // The offsets are now all 2 bytes off: the first local header is not at 0 where the CD says.
        assert!(zip(&leading).is_err());
        let mut bad_local = word.clone();
        bad_local[0] = b'X';
        assert!(
            matches!(zip(&bad_local), Err(ZipError::LocalHeader { offset: 0, .. })),
            "{:?}",
            zip(&bad_local)
        );
        let mut comment_mismatch = word.clone();
        comment_mismatch.push(0);
        assert_eq!(zip(&comment_mismatch), Err(ZipError::NoEndOfCentralDirectory));
        let e = zip(&bad_local).expect_err("bad");
        assert!(e.to_string().contains("byte 0"), "{e}");
    }

    fn rebuild(sig: &[ChunkSignature], chunks: &[&[u8]]) -> Result<Vec<u8>, ReassembleError> {
        let store: HashMap<ChunkId, &[u8]> = chunks.iter().map(|c| (ChunkId::of(c), *c)).collect();
        reassemble(sig, |id| store.get(id).copied(), u64::MAX)
    }

    #[test]
    fn fixtures_reassemble_and_reassembly_errors_are_named() {
        for rel in FIXTURES {
            let bytes = file_stream(rel);
            let chunks = zip(&bytes).expect("zip");
            assert_eq!(rebuild(&signature(&chunks), &chunks), Ok(bytes.clone()), "{rel}");
        }
        let sig = signature(&[b"ab", b"cd"]);
        assert_eq!(
            rebuild(&sig, &[b"ab"]),
            Err(ReassembleError::MissingChunk {
                index: 1,
                id: ChunkId::of(b"cd")
            })
        );
        let wrong = [ChunkSignature {
            chunk_id: ChunkId::of(b"ab"),
            length: 3,
        }];
        assert_eq!(
            rebuild(&wrong, &[b"ab"]),
            Err(ReassembleError::LengthMismatch {
                index: 0,
                id: ChunkId::of(b"ab"),
                declared: 3,
                actual: 2
            })
        );
        let huge = [
            ChunkSignature {
                chunk_id: ChunkId::of(b"ab"),
                length: u64::MAX,
            },
            sig[0],
        ];
        assert_eq!(
            reassemble(&huge, |_| None, u64::MAX),
            Err(ReassembleError::TooLarge { limit: u64::MAX })
        );
        assert_eq!(
            reassemble(&sig, |_| Some(&b"ab"[..]), 3),
            Err(ReassembleError::TooLarge { limit: 3 })
        );
    }

    /// A hand-built zip: stored entries, optional data descriptors (flag bit 3, sizes 0 in the local header),
    /// extra fields and an archive comment; returns the archive and the chunk start offsets the rule predicts.
    /// (name, extra field, data, whether a data descriptor follows the data)
    type Entry = (Vec<u8>, Vec<u8>, Vec<u8>, bool);

    fn hand_zip(entries: &[Entry], comment: &[u8]) -> (Vec<u8>, Vec<usize>) {
        let mut out = Vec::new();
        let mut central = Vec::new();
        let mut offsets = Vec::new();
        for (name, extra, data, descriptor) in entries {
            let local = out.len();
            offsets.push(local);
            let flags: u16 = if *descriptor { 8 } else { 0 };
            let size = if *descriptor { 0 } else { data.len() as u32 };
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&[0; 10]); // method 0, time, date, crc (unchecked by the rule)
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            out.extend_from_slice(name);
            out.extend_from_slice(extra);
            offsets.push(out.len());
            out.extend_from_slice(data);
            if *descriptor {
                out.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
                out.extend_from_slice(&[0; 4]);
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            }
            central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0]);
            central.extend_from_slice(&flags.to_le_bytes());
            central.extend_from_slice(&[0; 10]);
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&(local as u32).to_le_bytes());
            central.extend_from_slice(name);
        }
        let cd_offset = out.len();
        offsets.push(cd_offset);
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&(cd_offset as u32).to_le_bytes());
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        (out, offsets)
    }

    fn arb_entry() -> impl Strategy<Value = Entry> {
        (
            proptest::collection::vec(any::<u8>(), 1..20),
            proptest::collection::vec(any::<u8>(), 0..8),
            proptest::collection::vec(any::<u8>(), 0..300),
            any::<bool>(),
        )
    }

    /// Archives written by the `zip` crate (stored entries; seekable writer, so no data descriptors).
    fn crate_zip(files: &[(String, Vec<u8>)], comment: &str) -> Vec<u8> {
        use std::io::Write as _;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, data) in files {
            w.start_file(name.as_str(), opts).expect("start_file");
            w.write_all(data).expect("write");
        }
        w.set_comment(comment.to_string()).expect("comment");
        w.finish().expect("finish").into_inner()
    }

    proptest! {
        #[test]
        fn any_bytes_chunk_then_reassemble_is_the_identity(data in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let (_, chunks) = chunk_by_content(&data);
            prop_assert_eq!(rebuild(&signature(&chunks), &chunks), Ok(data.clone()));
            let full = full_file(&data);
            prop_assert_eq!(rebuild(&signature(&full), &full), Ok(data));
        }

        #[test]
        fn hand_built_zips_follow_the_rule_and_reassemble(
            entries in proptest::collection::vec(arb_entry(), 0..6),
            comment in proptest::collection::vec(any::<u8>(), 0..30),
        ) {
            let (bytes, offsets) = hand_zip(&entries, &comment);
            prop_assert_eq!(zip_chunk_offsets(&bytes), Ok(offsets));
            let chunks = zip(&bytes).expect("zip");
            prop_assert_eq!(chunks.len(), 2 * entries.len() + 1);
            prop_assert_eq!(rebuild(&signature(&chunks), &chunks), Ok(bytes));
        }

        #[test]
        fn crate_built_zips_chunk_by_the_rule_and_reassemble(
            files in proptest::collection::vec(("[a-z]{1,12}(/[a-z]{1,8})?\\.xml", proptest::collection::vec(any::<u8>(), 0..400)), 1..8),
            comment in "[ -~]{0,20}",
        ) {
            // Unique names: the crate refuses duplicates.
            let mut seen = HashSet::new();
            let files: Vec<(String, Vec<u8>)> = files.into_iter().filter(|(n, _)| seen.insert(n.clone())).collect();
            let bytes = crate_zip(&files, &comment);
            let chunks = zip(&bytes).expect("zip");
            prop_assert_eq!(chunks.len(), 2 * files.len() + 1);
            for (i, (_, data)) in files.iter().enumerate() {
                prop_assert_eq!(chunks[2 * i + 1], &data[..], "entry {} data chunk", i);
                prop_assert_eq!(&chunks[2 * i][..4], &LOCAL_SIG.to_le_bytes()[..]);
            }
            prop_assert_eq!(&chunks[2 * files.len()][..4], &CENTRAL_SIG.to_le_bytes()[..]);
            prop_assert_eq!(rebuild(&signature(&chunks), &chunks), Ok(bytes));
        }

        /// Damaged fixtures: Zip chunking either refuses them or still covers every byte; never panics.
        #[test]
        fn damaged_fixtures_never_panic(which in 0usize..12, at in any::<prop::sample::Index>(), value in any::<u8>(), cut_at in any::<prop::sample::Index>()) {
            let mut bytes = file_stream(FIXTURES[which]);
            let i = at.index(bytes.len());
            bytes[i] = value;
            let keep = bytes.len() - cut_at.index(bytes.len()) / 8;
            bytes.truncate(keep);
            if let Ok(chunks) = zip(&bytes) {
                prop_assert_eq!(rebuild(&signature(&chunks), &chunks), Ok(bytes.clone()));
            }
            let (_, chunks) = chunk_by_content(&bytes);
            prop_assert_eq!(rebuild(&signature(&chunks), &chunks), Ok(bytes));
        }
    }
}
