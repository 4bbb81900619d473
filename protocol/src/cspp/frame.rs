//! The binary frame stream of GetChunkedFile and PutChunkedFile bodies (cspp-plus.md §3;
//! V:IncrementalFileTransfer/Frame.cs, FrameProtocol.cs; D:file-transfer/encode-send-data).
//!
//! Every frame is a 16-byte header, **all integers big-endian**: type (u32), extended-header size E (u32),
//! payload size P (u64); then E bytes of extended header and P bytes of payload. No padding, no alignment.
//!
//! | type | E | extended header | payload |
//! |---|---|---|---|
//! | 1 EndFrame | 0 | – | – |
//! | 2 MessageJSON | 0 | – | UTF-8 JSON |
//! | 3 Chunk | 16 | the raw chunk ID | the chunk bytes |
//! | 4 ChunkRange | 36 | chunk ID ‖ offset u64 ‖ length u64 ‖ flags u32 (1 = the range ends the chunk) | the range bytes |
//!
//! A stream is one MessageJSON, then Chunk (or ChunkRange) frames in any order, then EndFrame; bytes after the
//! EndFrame are ignored. Type 0 (Undefined) and types 5 and up are errors, as in the validator's parser.
//!
//! Parsing is **bounded**: sizes are checked against the bytes that remain and against caller-given [`Limits`]
//! before anything is read, and parsed frames borrow from the input, so a header that announces 4 GiB is an
//! error naming the frame and the field, never an allocation. A host reading a body incrementally can use
//! [`FrameHeader::parse`] on each 16-byte header to learn how much to read, with the same checks.

use thiserror::Error;

use super::spooky::ChunkId;

/// Size of a frame header.
pub const HEADER_LEN: usize = 16;
/// Extended-header size of a Chunk frame (the raw chunk ID).
pub const CHUNK_EXT_LEN: u32 = 16;
/// Extended-header size of a ChunkRange frame.
pub const CHUNK_RANGE_EXT_LEN: u32 = 36;

/// The frame types that may appear in a stream (0 is "Undefined" and rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// 1: ends the stream.
    End,
    /// 2: the JSON message that opens the stream.
    MessageJson,
    /// 3: one whole chunk.
    Chunk,
    /// 4: a byte range of a chunk (GetChunks; the validator reads and ignores it).
    ChunkRange,
}

impl FrameType {
    /// The wire value.
    pub fn code(self) -> u32 {
        match self {
            FrameType::End => 1,
            FrameType::MessageJson => 2,
            FrameType::Chunk => 3,
            FrameType::ChunkRange => 4,
        }
    }

    /// The extended-header size this type must announce.
    pub fn ext_len(self) -> u32 {
        match self {
            FrameType::End | FrameType::MessageJson => 0,
            FrameType::Chunk => CHUNK_EXT_LEN,
            FrameType::ChunkRange => CHUNK_RANGE_EXT_LEN,
        }
    }
}

/// A header field, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameField {
    /// Bytes 0..4.
    Type,
    /// Bytes 4..8.
    ExtendedHeaderSize,
    /// Bytes 8..16.
    PayloadSize,
    /// The E bytes after the header.
    ExtendedHeader,
    /// The P bytes after the extended header.
    Payload,
}

impl std::fmt::Display for FrameField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FrameField::Type => "frame type",
            FrameField::ExtendedHeaderSize => "extended-header size",
            FrameField::PayloadSize => "payload size",
            FrameField::ExtendedHeader => "extended header",
            FrameField::Payload => "payload",
        })
    }
}

/// Why a frame stream is rejected. `index` counts frames from 0; `offset` is the byte where the frame starts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The input ends inside a frame.
    #[error("frame {index} (at byte {offset}): the {field} needs {needed} bytes, only {available} remain")]
    Truncated {
        /// Frame index.
        index: usize,
        /// Frame start.
        offset: usize,
        /// The part that is cut off.
        field: FrameField,
        /// Bytes that part needs.
        needed: u64,
        /// Bytes left in the input.
        available: usize,
    },
    /// Type 0 ("Undefined").
    #[error("frame {index} (at byte {offset}): frame type 0 (Undefined) is not allowed")]
    UndefinedType {
        /// Frame index.
        index: usize,
        /// Frame start.
        offset: usize,
    },
    /// Type 5 or higher.
    #[error("frame {index} (at byte {offset}): unknown frame type {value}")]
    UnknownType {
        /// Frame index.
        index: usize,
        /// Frame start.
        offset: usize,
        /// The announced type.
        value: u32,
    },
    /// The extended-header size does not fit the type.
    #[error("frame {index} ({kind:?}): extended-header size is {found}, a {kind:?} frame has {expected}")]
    ExtendedHeaderSize {
        /// Frame index.
        index: usize,
        /// Frame type.
        kind: FrameType,
        /// Size the type requires.
        expected: u32,
        /// Size announced.
        found: u32,
    },
    /// An EndFrame that announces a payload.
    #[error("frame {index} (EndFrame): payload size is {found}, an EndFrame has none")]
    EndFramePayload {
        /// Frame index.
        index: usize,
        /// Size announced.
        found: u64,
    },
    /// A size above the caller's limit.
    #[error("frame {index} ({kind:?}): the {field} announces {announced} bytes, the limit is {limit}")]
    TooLarge {
        /// Frame index.
        index: usize,
        /// Frame type.
        kind: FrameType,
        /// The field.
        field: FrameField,
        /// Size announced.
        announced: u64,
        /// The limit.
        limit: u64,
    },
    /// More frames than the caller allows.
    #[error("more than {limit} frames before the EndFrame")]
    TooManyFrames {
        /// The limit.
        limit: usize,
    },
    /// A Chunk frame whose extended header is not the SpookyHash of its payload.
    #[error("frame {index} (Chunk): the extended header says chunk {announced}, the payload hashes to {computed}")]
    ChunkIdMismatch {
        /// Frame index.
        index: usize,
        /// ID in the extended header.
        announced: ChunkId,
        /// SpookyHash of the payload.
        computed: ChunkId,
    },
    /// The input ends without an EndFrame.
    #[error("the stream ends after {frames} frames without an EndFrame")]
    MissingEndFrame {
        /// Frames read.
        frames: usize,
    },
    /// The stream is empty.
    #[error("the body is empty: a frame stream starts with a MessageJSON frame")]
    Empty,
    /// The first frame is not MessageJSON.
    #[error("frame 0 is a {found:?} frame, a stream starts with a MessageJSON frame")]
    FirstFrameNotMessage {
        /// Its type.
        found: FrameType,
    },
    /// The MessageJSON payload is empty.
    #[error("frame 0 (MessageJSON) has an empty payload")]
    EmptyMessage,
    /// A second MessageJSON frame.
    #[error("frame {index} is a second MessageJSON frame")]
    SecondMessage {
        /// Frame index.
        index: usize,
    },
}

/// Caller-given bounds on what a stream may announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload of one frame, in bytes.
    pub max_payload: u64,
    /// Largest MessageJSON payload, in bytes.
    pub max_message: u64,
    /// Most frames before the EndFrame (the EndFrame included).
    pub max_frames: usize,
}

impl Default for Limits {
    /// 256 MiB per chunk, 16 MiB of JSON, 1,000,000 frames.
    fn default() -> Self {
        Limits {
            max_payload: 256 << 20,
            max_message: 16 << 20,
            max_frames: 1_000_000,
        }
    }
}

/// A checked frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The type.
    pub kind: FrameType,
    /// Payload size (within the limits).
    pub payload_len: u64,
}

impl FrameHeader {
    /// Checks the 16 header bytes of frame `index` (starting at byte `offset`, for messages): a known type, the
    /// extended-header size of that type, and a payload size within `limits`.
    pub fn parse(index: usize, offset: usize, bytes: &[u8; HEADER_LEN], limits: &Limits) -> Result<Self, FrameError> {
        let [t0, t1, t2, t3, e0, e1, e2, e3, p @ ..] = *bytes;
        let code = u32::from_be_bytes([t0, t1, t2, t3]);
        let ext = u32::from_be_bytes([e0, e1, e2, e3]);
        let payload_len = u64::from_be_bytes(p);
        let kind = match code {
            0 => return Err(FrameError::UndefinedType { index, offset }),
            1 => FrameType::End,
            2 => FrameType::MessageJson,
            3 => FrameType::Chunk,
            4 => FrameType::ChunkRange,
            value => return Err(FrameError::UnknownType { index, offset, value }),
        };
        if ext != kind.ext_len() {
            return Err(FrameError::ExtendedHeaderSize {
                index,
                kind,
                expected: kind.ext_len(),
                found: ext,
            });
        }
        let limit = match kind {
            FrameType::End if payload_len != 0 => {
                return Err(FrameError::EndFramePayload {
                    index,
                    found: payload_len,
                });
            }
            FrameType::MessageJson => limits.max_message,
            _ => limits.max_payload,
        };
        if payload_len > limit {
            return Err(FrameError::TooLarge {
                index,
                kind,
                field: FrameField::PayloadSize,
                announced: payload_len,
                limit,
            });
        }
        Ok(FrameHeader { kind, payload_len })
    }
}

/// One frame, borrowing its bytes from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The JSON message (not yet parsed).
    MessageJson(&'a [u8]),
    /// A whole chunk. [`parse_frame`] has checked that `id` is the hash of `data`; a writer may send any `id`
    /// (that is how a test client sends a wrong chunk ID on purpose).
    Chunk {
        /// The chunk ID from the extended header.
        id: ChunkId,
        /// The chunk bytes.
        data: &'a [u8],
    },
    /// A byte range of a chunk.
    ChunkRange {
        /// The chunk the range belongs to.
        id: ChunkId,
        /// Offset of the range in the chunk.
        offset: u64,
        /// Length of the range as announced in the extended header (not checked against `data`: the
        /// validator ignores ChunkRange frames, so neither do we judge them).
        length: u64,
        /// Flags bit 1: this range ends the chunk.
        ends_chunk: bool,
        /// The range bytes.
        data: &'a [u8],
    },
    /// The end of the stream.
    End,
}

impl Frame<'_> {
    /// The frame's type.
    pub fn kind(&self) -> FrameType {
        match self {
            Frame::MessageJson(_) => FrameType::MessageJson,
            Frame::Chunk { .. } => FrameType::Chunk,
            Frame::ChunkRange { .. } => FrameType::ChunkRange,
            Frame::End => FrameType::End,
        }
    }

    /// A Chunk frame for `data`, with its true ID.
    pub fn chunk(data: &[u8]) -> Frame<'_> {
        Frame::Chunk {
            id: ChunkId::of(data),
            data,
        }
    }

    /// Bytes this frame takes on the wire.
    pub fn wire_len(&self) -> usize {
        let payload = match self {
            Frame::MessageJson(d) | Frame::Chunk { data: d, .. } | Frame::ChunkRange { data: d, .. } => d.len(),
            Frame::End => 0,
        };
        HEADER_LEN + self.kind().ext_len() as usize + payload
    }

    /// Appends the frame to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let kind = self.kind();
        out.reserve(self.wire_len());
        out.extend_from_slice(&kind.code().to_be_bytes());
        out.extend_from_slice(&kind.ext_len().to_be_bytes());
        let payload: &[u8] = match self {
            Frame::MessageJson(d) | Frame::Chunk { data: d, .. } | Frame::ChunkRange { data: d, .. } => d,
            Frame::End => &[],
        };
        out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        match self {
            Frame::Chunk { id, .. } => out.extend_from_slice(id.as_bytes()),
            Frame::ChunkRange {
                id,
                offset,
                length,
                ends_chunk,
                ..
            } => {
                out.extend_from_slice(id.as_bytes());
                out.extend_from_slice(&offset.to_be_bytes());
                out.extend_from_slice(&length.to_be_bytes());
                out.extend_from_slice(&u32::from(*ends_chunk).to_be_bytes());
            }
            Frame::MessageJson(_) | Frame::End => {}
        }
        out.extend_from_slice(payload);
    }
}

/// Writes a whole stream: `message`, one Chunk frame per item of `chunks` (in the given order, as given), and
/// the EndFrame.
pub fn write_stream<'a>(message: &[u8], chunks: impl IntoIterator<Item = Frame<'a>>) -> Vec<u8> {
    let mut out = Vec::new();
    Frame::MessageJson(message).write_to(&mut out);
    for frame in chunks {
        frame.write_to(&mut out);
    }
    Frame::End.write_to(&mut out);
    out
}

/// Parses frame `index` at `offset` of `input`; returns it and the offset of the next frame.
pub fn parse_frame<'a>(
    input: &'a [u8],
    index: usize,
    offset: usize,
    limits: &Limits,
) -> Result<(Frame<'a>, usize), FrameError> {
    let rest = input.get(offset..).unwrap_or_default();
    let truncated = |field, needed: u64, available: usize| FrameError::Truncated {
        index,
        offset,
        field,
        needed,
        available,
    };
    let header: &[u8; HEADER_LEN] = rest
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| truncated(FrameField::Type, HEADER_LEN as u64, rest.len()))?;
    let FrameHeader { kind, payload_len } = FrameHeader::parse(index, offset, header, limits)?;
    let body = &rest[HEADER_LEN..];
    let ext_len = kind.ext_len() as usize;
    let ext = body
        .get(..ext_len)
        .ok_or_else(|| truncated(FrameField::ExtendedHeader, u64::from(kind.ext_len()), body.len()))?;
    let body = &body[ext_len..];
    let data = usize::try_from(payload_len)
        .ok()
        .and_then(|p| body.get(..p))
        .ok_or_else(|| truncated(FrameField::Payload, payload_len, body.len()))?;
    let next = offset + HEADER_LEN + ext_len + data.len();
    let id_of = |ext: &[u8]| -> ChunkId {
        let mut raw = [0u8; 16];
        raw.copy_from_slice(&ext[..16]);
        ChunkId::from_bytes(raw)
    };
    let be64 = |b: &[u8]| -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        u64::from_be_bytes(w)
    };
    let frame = match kind {
        FrameType::End => Frame::End,
        FrameType::MessageJson => Frame::MessageJson(data),
        FrameType::Chunk => {
            let id = id_of(ext);
            let computed = ChunkId::of(data);
            if computed != id {
                return Err(FrameError::ChunkIdMismatch {
                    index,
                    announced: id,
                    computed,
                });
            }
            Frame::Chunk { id, data }
        }
        FrameType::ChunkRange => Frame::ChunkRange {
            id: id_of(ext),
            offset: be64(&ext[16..24]),
            length: be64(&ext[24..32]),
            ends_chunk: u32::from_be_bytes([ext[32], ext[33], ext[34], ext[35]]) == 1,
            data,
        },
    };
    Ok((frame, next))
}

/// A parsed stream: the message and the data frames, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameStream<'a> {
    /// The MessageJSON payload (non-empty).
    pub message: &'a [u8],
    /// Chunk frames in arrival order (IDs verified).
    pub chunks: Vec<(ChunkId, &'a [u8])>,
    /// ChunkRange frames in arrival order, as [`Frame::ChunkRange`].
    pub ranges: Vec<Frame<'a>>,
    /// Bytes consumed up to and including the EndFrame (anything after is ignored).
    pub consumed: usize,
}

impl<'a> FrameStream<'a> {
    /// Parses a whole body: MessageJSON first (non-empty), data frames, EndFrame. Bytes after the EndFrame
    /// are ignored, as the validator does.
    pub fn parse(input: &'a [u8], limits: &Limits) -> Result<Self, FrameError> {
        if input.is_empty() {
            return Err(FrameError::Empty);
        }
        let mut offset = 0;
        let mut message = None;
        let mut chunks = Vec::new();
        let mut ranges = Vec::new();
        for index in 0.. {
            if index >= limits.max_frames {
                return Err(FrameError::TooManyFrames {
                    limit: limits.max_frames,
                });
            }
            if offset >= input.len() {
                return Err(FrameError::MissingEndFrame { frames: index });
            }
            let (frame, next) = parse_frame(input, index, offset, limits)?;
            offset = next;
            match (index, frame) {
                (0, Frame::MessageJson([])) => return Err(FrameError::EmptyMessage),
                (0, Frame::MessageJson(m)) => message = Some(m),
                (0, other) => return Err(FrameError::FirstFrameNotMessage { found: other.kind() }),
                (_, Frame::MessageJson(_)) => return Err(FrameError::SecondMessage { index }),
                (_, Frame::Chunk { id, data }) => chunks.push((id, data)),
                (_, range @ Frame::ChunkRange { .. }) => ranges.push(range),
                (_, Frame::End) => break,
            }
        }
        Ok(FrameStream {
            message: message.unwrap_or_default(),
            chunks,
            ranges,
            consumed: offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    const PUT_JSON: &str = r#"{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile","StreamId":"MainContent"}],"UploadSessionTokenToCommit":null}"#;

    /// cspp-plus.md §3.3: the 282-byte PutChunkedFile body, assembled from the note's dump.
    fn worked_example() -> Vec<u8> {
        let mut v = hex("00000002 00000000 00000000000000c7");
        v.extend_from_slice(PUT_JSON.as_bytes());
        v.extend(hex("00000003 00000010 0000000000000013"));
        v.extend(hex("3a9496869b75d81464b865f8cfb6d03e"));
        v.extend_from_slice(b"SampleTextVersion-1");
        v.extend(hex("00000001 00000000 0000000000000000"));
        v
    }

    #[test]
    fn worked_example_is_written_byte_for_byte() {
        assert_eq!(PUT_JSON.len(), 199);
        let body = write_stream(PUT_JSON.as_bytes(), [Frame::chunk(b"SampleTextVersion-1")]);
        assert_eq!(body.len(), 282);
        assert_eq!(body, worked_example());
        // Spot checks against the note's dump lines (offsets 0x00d0, 0x00e0, 0x0100, 0x0110).
        assert_eq!(
            body[0xd0..0xe0],
            hex("22 3a 6e 75 6c 6c 7d 00 00 00 03 00 00 00 10 00")[..]
        );
        assert_eq!(
            body[0xe0..0xf0],
            hex("00 00 00 00 00 00 13 3a 94 96 86 9b 75 d8 14 64")[..]
        );
        assert_eq!(
            body[0x100..0x110],
            hex("74 56 65 72 73 69 6f 6e 2d 31 00 00 00 01 00 00")[..]
        );
        assert_eq!(body[0x110..], hex("00 00 00 00 00 00 00 00 00 00")[..]);
    }

    #[test]
    fn worked_example_parses_back() {
        let body = worked_example();
        let s = FrameStream::parse(&body, &Limits::default()).expect("parse");
        assert_eq!(s.message, PUT_JSON.as_bytes());
        assert_eq!(s.chunks.len(), 1);
        assert_eq!(s.chunks[0].0.to_string(), "OpSWhpt12BRkuGX4z7bQPg==");
        assert_eq!(s.chunks[0].1, b"SampleTextVersion-1");
        assert!(s.ranges.is_empty());
        assert_eq!(s.consumed, 282);
    }

    /// §3.3: the GetChunkedFile request that opens most cases (153-byte JSON, 185 bytes framed).
    #[test]
    fn get_chunked_file_request_framing() {
        let json = r#"{"ContentFilters":[{"AlreadyKnownChunks":[],"ChunkingScheme":"FullFile","ChunksToReturn":"All","StreamId":"MainContent"}],"ContentPropertiesToReturn":[]}"#;
        assert_eq!(json.len(), 153);
        let body = write_stream(json.as_bytes(), []);
        assert_eq!(body.len(), 185);
        assert_eq!(body[..16], hex("00000002 00000000 0000000000000099")[..]);
        assert_eq!(body[169..], hex("00000001 00000000 0000000000000000")[..]);
    }

    /// §3.3: the host answer the validator accepts (165-byte JSON, 248 bytes in all).
    #[test]
    fn get_chunked_file_answer_framing() {
        let json = r#"{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile","StreamId":"MainContent"}]}"#;
        assert_eq!(json.len(), 165);
        let body = write_stream(json.as_bytes(), [Frame::chunk(b"SampleTextVersion-1")]);
        assert_eq!(body.len(), 248);
        assert_eq!(body[16 + 165..], worked_example()[16 + 199..]);
    }

    fn header(kind: u32, ext: u32, payload: u64) -> Vec<u8> {
        let mut v = kind.to_be_bytes().to_vec();
        v.extend_from_slice(&ext.to_be_bytes());
        v.extend_from_slice(&payload.to_be_bytes());
        v
    }

    fn message_then(tail: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        Frame::MessageJson(b"{}").write_to(&mut v);
        v.extend_from_slice(tail);
        v
    }

    #[test]
    fn a_4_gib_payload_is_an_error_not_an_allocation() {
        let body = message_then(&header(3, 16, 4 << 30));
        let e = FrameStream::parse(&body, &Limits::default()).expect_err("4 GiB");
        assert_eq!(
            e,
            FrameError::TooLarge {
                index: 1,
                kind: FrameType::Chunk,
                field: FrameField::PayloadSize,
                announced: 4 << 30,
                limit: 256 << 20
            }
        );
        assert_eq!(
            e.to_string(),
            "frame 1 (Chunk): the payload size announces 4294967296 bytes, the limit is 268435456"
        );
        // u64::MAX with a limit as large as possible: still bounded by what is there.
        let body = message_then(&header(3, 16, u64::MAX));
        let all = Limits {
            max_payload: u64::MAX,
            ..Limits::default()
        };
        let e = FrameStream::parse(&body, &all).expect_err("u64::MAX");
        assert!(
            matches!(
                e,
                FrameError::Truncated {
                    index: 1,
                    field: FrameField::ExtendedHeader,
                    ..
                }
            ),
            "{e}"
        );
        let mut body = message_then(&header(3, 16, u64::MAX));
        body.extend_from_slice(ChunkId::empty().as_bytes());
        let e = FrameStream::parse(&body, &all).expect_err("u64::MAX");
        assert!(
            matches!(
                e,
                FrameError::Truncated {
                    index: 1,
                    field: FrameField::Payload,
                    needed: u64::MAX,
                    available: 0,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn a_message_over_the_callers_limit_is_named() {
        let body = write_stream(&[b'x'; 100], []);
        let small = Limits {
            max_message: 99,
            ..Limits::default()
        };
        let e = FrameStream::parse(&body, &small).expect_err("limit");
        assert!(
            matches!(
                e,
                FrameError::TooLarge {
                    index: 0,
                    kind: FrameType::MessageJson,
                    announced: 100,
                    limit: 99,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn bad_types_sizes_and_shapes_are_errors() {
        let lim = Limits::default();
        let e = FrameStream::parse(&header(0, 0, 0), &lim).expect_err("type 0");
        assert_eq!(e, FrameError::UndefinedType { index: 0, offset: 0 });
        let e = FrameStream::parse(&message_then(&header(5, 0, 0)), &lim).expect_err("type 5");
        assert_eq!(
            e,
            FrameError::UnknownType {
                index: 1,
                offset: 18,
                value: 5
            }
        );
        let e = FrameStream::parse(&message_then(&header(3, 15, 0)), &lim).expect_err("E=15");
        assert_eq!(
            e,
            FrameError::ExtendedHeaderSize {
                index: 1,
                kind: FrameType::Chunk,
                expected: 16,
                found: 15
            }
        );
        let e = FrameStream::parse(&header(2, 4, 0), &lim).expect_err("E=4 on MessageJSON");
        assert!(
            matches!(
                e,
                FrameError::ExtendedHeaderSize {
                    expected: 0,
                    found: 4,
                    ..
                }
            ),
            "{e}"
        );
        let e = FrameStream::parse(&message_then(&header(4, 16, 0)), &lim).expect_err("E=16 on ChunkRange");
        assert!(
            matches!(
                e,
                FrameError::ExtendedHeaderSize {
                    expected: 36,
                    found: 16,
                    ..
                }
            ),
            "{e}"
        );
        let e = FrameStream::parse(&message_then(&header(1, 0, 1)), &lim).expect_err("EndFrame payload");
        assert_eq!(e, FrameError::EndFramePayload { index: 1, found: 1 });
        let e = FrameStream::parse(&[], &lim).expect_err("empty");
        assert_eq!(e, FrameError::Empty);
        let e = FrameStream::parse(&message_then(&[]), &lim).expect_err("no EndFrame");
        assert_eq!(e, FrameError::MissingEndFrame { frames: 1 });
        let e = FrameStream::parse(&message_then(&[0, 0, 0]), &lim).expect_err("cut header");
        assert!(
            matches!(
                e,
                FrameError::Truncated {
                    index: 1,
                    field: FrameField::Type,
                    needed: 16,
                    available: 3,
                    ..
                }
            ),
            "{e}"
        );
        let e = FrameStream::parse(&write_stream(b"", []), &lim).expect_err("empty message");
        assert_eq!(e, FrameError::EmptyMessage);
        let mut v = Vec::new();
        Frame::chunk(b"x").write_to(&mut v);
        let e = FrameStream::parse(&v, &lim).expect_err("chunk first");
        assert_eq!(
            e,
            FrameError::FirstFrameNotMessage {
                found: FrameType::Chunk
            }
        );
        let body = write_stream(b"{}", [Frame::MessageJson(b"{}")]);
        assert_eq!(
            FrameStream::parse(&body, &lim),
            Err(FrameError::SecondMessage { index: 1 })
        );
        let few = Limits { max_frames: 2, ..lim };
        let body = write_stream(b"{}", [Frame::chunk(b"a"), Frame::chunk(b"b")]);
        assert_eq!(
            FrameStream::parse(&body, &few),
            Err(FrameError::TooManyFrames { limit: 2 })
        );
    }

    #[test]
    fn a_wrong_chunk_id_is_named() {
        let body = write_stream(
            b"{}",
            [Frame::Chunk {
                id: ChunkId::of(b"other"),
                data: b"data",
            }],
        );
        let e = FrameStream::parse(&body, &Limits::default()).expect_err("mismatch");
        assert_eq!(
            e,
            FrameError::ChunkIdMismatch {
                index: 1,
                announced: ChunkId::of(b"other"),
                computed: ChunkId::of(b"data")
            }
        );
    }

    #[test]
    fn bytes_after_the_end_frame_are_ignored_and_ranges_kept() {
        let range = Frame::ChunkRange {
            id: ChunkId::of(b"whole chunk"),
            offset: 6,
            length: 5,
            ends_chunk: true,
            data: b"chunk",
        };
        let mut body = write_stream(b"{}", [range]);
        let consumed = body.len();
        body.extend_from_slice(b"trailing garbage");
        let s = FrameStream::parse(&body, &Limits::default()).expect("parse");
        assert_eq!(s.ranges, vec![range]);
        assert_eq!(s.consumed, consumed);
        assert_eq!(&body[18..22], &[0, 0, 0, 4]);
        assert_eq!(&body[22..26], &36u32.to_be_bytes());
    }

    fn arb_frame() -> impl Strategy<Value = (u8, Vec<u8>, u64, u64, bool)> {
        (
            0u8..3,
            proptest::collection::vec(any::<u8>(), 0..300),
            any::<u64>(),
            any::<u64>(),
            any::<bool>(),
        )
    }

    proptest! {
        #[test]
        fn write_then_parse_is_the_identity(
            message in proptest::collection::vec(any::<u8>(), 1..200),
            frames in proptest::collection::vec(arb_frame(), 0..8),
            trailing in proptest::collection::vec(any::<u8>(), 0..20),
        ) {
            let frames: Vec<Frame<'_>> = frames
                .iter()
                .map(|(k, data, off, len, ends)| match k {
                    0 | 1 => Frame::chunk(data),
                    _ => Frame::ChunkRange { id: ChunkId::of(&data[..data.len() / 2]), offset: *off, length: *len, ends_chunk: *ends, data },
                })
                .collect();
            let mut body = write_stream(&message, frames.iter().copied());
            let expected_len: usize = 16 + message.len() + frames.iter().map(Frame::wire_len).sum::<usize>() + 16;
            prop_assert_eq!(body.len(), expected_len);
            body.extend_from_slice(&trailing);
            let s = FrameStream::parse(&body, &Limits::default()).expect("parse");
            prop_assert_eq!(s.message, &message[..]);
            prop_assert_eq!(s.consumed, expected_len);
            let chunks: Vec<Frame<'_>> = s.chunks.iter().map(|(id, data)| Frame::Chunk { id: *id, data }).collect();
            let want_chunks: Vec<Frame<'_>> = frames.iter().copied().filter(|f| f.kind() == FrameType::Chunk).collect();
            prop_assert_eq!(chunks, want_chunks);
            let want_ranges: Vec<Frame<'_>> = frames.iter().copied().filter(|f| f.kind() == FrameType::ChunkRange).collect();
            prop_assert_eq!(s.ranges, want_ranges);
        }

        #[test]
        fn parse_never_panics_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = FrameStream::parse(&body, &Limits::default());
        }

        /// Arbitrary bytes after a valid header prefix reach the deeper branches more often than pure noise.
        #[test]
        fn parse_never_panics_on_plausible_headers(
            kind in 0u32..6, ext in prop_oneof![Just(0u32), Just(16), Just(36), any::<u32>()],
            payload in prop_oneof![0u64..64, any::<u64>()],
            tail in proptest::collection::vec(any::<u8>(), 0..120),
        ) {
            let mut body = message_then(&header(kind, ext, payload));
            body.extend_from_slice(&tail);
            let _ = FrameStream::parse(&body, &Limits::default());
            let _ = FrameStream::parse(&body[16..], &Limits::default());
        }

        /// Any cut of a valid stream before its EndFrame is an error, never a shorter success.
        #[test]
        fn truncation_is_always_an_error(data in proptest::collection::vec(any::<u8>(), 0..100), cut in any::<prop::sample::Index>()) {
            let body = write_stream(b"{\"a\":1}", [Frame::chunk(&data)]);
            let at = cut.index(body.len());
            prop_assert!(FrameStream::parse(&body[..at], &Limits::default()).is_err());
        }
    }
}
