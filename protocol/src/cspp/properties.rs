//! What a CSPP Plus file holds besides its bytes, and the rules that change it (cspp-plus.md §5;
//! D:file-transfer/file-content-data-model, content-sequence, put-chunked-file, get-sequence-number):
//!
//! - **content properties** (§5.2): name/value pairs with a retention rule. PutChunkedFile upserts them by name;
//!   any other content change (PutFile, a PutRelativeFile overwrite, …) deletes the `DeleteOnContentChange` ones;
//! - **streams** (§5.3): MainContent plus alternate streams by [`StreamId`]. PutChunkedFile replaces only the
//!   streams it lists and deletes a listed non-Main stream that has no chunk; any other content change deletes
//!   every alternate stream;
//! - the **sequence number** (§5.4): an int32 in `1..=2147483647` that grows on every content change and never on
//!   lock operations or reads; a PutChunkedFile must present the current value exactly, else 412.
//!
//! [`FileContent`] ties the three together with the two kinds of write as methods; each write either applies
//! completely or, on error, leaves the value as it was.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::chunking::{ChunkSignature, ChunkingScheme};

/// Longest property name, in characters (docs limit; untested by the validator).
pub const MAX_PROPERTY_NAME_CHARS: usize = 256;
/// Longest property value, in bytes ("1 KB"; docs limit; untested by the validator).
pub const MAX_PROPERTY_VALUE_BYTES: usize = 1024;
/// Most properties per file (docs limit; untested by the validator).
pub const MAX_PROPERTIES: usize = 256;
/// Most alternate streams per file (docs limit; untested by the validator).
pub const MAX_ALTERNATE_STREAMS: usize = 256;

/// Why a property, stream or sequence number is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContentError {
    /// Empty property name.
    #[error("a content property name must not be empty")]
    EmptyPropertyName,
    /// Property name too long.
    #[error("content property name of {len} characters; the limit is {MAX_PROPERTY_NAME_CHARS}")]
    PropertyNameTooLong {
        /// Its length.
        len: usize,
    },
    /// Property value too long.
    #[error("content property {name:?} has a {len}-byte value; the limit is {MAX_PROPERTY_VALUE_BYTES} bytes")]
    PropertyValueTooLong {
        /// The property.
        name: String,
        /// The value's length.
        len: usize,
    },
    /// Too many properties after an upsert.
    #[error("the file would hold {count} content properties; the limit is {MAX_PROPERTIES}")]
    TooManyProperties {
        /// Count after the upsert.
        count: usize,
    },
    /// Empty stream ID.
    #[error("a stream ID must not be empty")]
    EmptyStreamId,
    /// Too many alternate streams after a write.
    #[error("the file would hold {count} alternate streams; the limit is {MAX_ALTERNATE_STREAMS}")]
    TooManyStreams {
        /// Count after the write.
        count: usize,
    },
    /// The same stream listed twice in one write.
    #[error("stream {0} is listed twice in one write")]
    DuplicateStream(String),
    /// Not in `1..=2147483647`.
    #[error("sequence number {0} is outside 1..=2147483647")]
    SequenceOutOfRange(i64),
    /// The sequence number cannot grow any more.
    #[error("the sequence number is at 2147483647 and cannot grow")]
    SequenceExhausted,
}

// ---------------------------------------------------------------- content properties (§5.2)

/// What happens to a property when the content changes other than through PutChunkedFile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Retention {
    /// Survives PutFile and other content changes.
    KeepOnContentChange,
    /// Deleted by PutFile and other content changes (not by PutChunkedFile).
    DeleteOnContentChange,
}

crate::newtype::checked_string! {
    /// A content property name: 1 to 256 characters, compared exactly.
    #[derive(Hash, PartialOrd, Ord)]
    pub struct PropertyName(String): ContentError;
}

impl PropertyName {
    /// Checks the docs' limits.
    pub fn new(s: impl Into<String>) -> Result<Self, ContentError> {
        let s = s.into();
        let len = s.chars().count();
        if len == 0 {
            return Err(ContentError::EmptyPropertyName);
        }
        if len > MAX_PROPERTY_NAME_CHARS {
            return Err(ContentError::PropertyNameTooLong { len });
        }
        Ok(PropertyName(s))
    }
}

/// One content property as it travels in PutChunkedFile and GetChunkedFile messages. Members in the contract's
/// order (`Name, Retention, Value`, §3.2).
///
/// The data-model page calls the retention member `ContentPropertyRetention`; the validator, the GetChunkedFile
/// sample and the JSON schemas use `Retention` (§9 item 2). We write `Retention` and accept both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireProperty")]
pub struct ContentProperty {
    /// The name.
    #[serde(rename = "Name")]
    name: PropertyName,
    /// The retention rule.
    #[serde(rename = "Retention")]
    retention: Retention,
    /// The value (at most [`MAX_PROPERTY_VALUE_BYTES`]).
    #[serde(rename = "Value")]
    value: String,
}

#[derive(Deserialize)]
struct WireProperty {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Retention", alias = "ContentPropertyRetention")]
    retention: Retention,
    #[serde(rename = "Value")]
    value: String,
}

impl TryFrom<WireProperty> for ContentProperty {
    type Error = ContentError;
    fn try_from(w: WireProperty) -> Result<Self, Self::Error> {
        ContentProperty::new(w.name, w.value, w.retention)
    }
}

impl ContentProperty {
    /// Checks the docs' name and value limits.
    pub fn new(name: impl Into<String>, value: impl Into<String>, retention: Retention) -> Result<Self, ContentError> {
        let name = PropertyName::new(name)?;
        let value = value.into();
        if value.len() > MAX_PROPERTY_VALUE_BYTES {
            return Err(ContentError::PropertyValueTooLong {
                name: name.0,
                len: value.len(),
            });
        }
        Ok(ContentProperty { name, retention, value })
    }

    /// The name.
    pub fn name(&self) -> &PropertyName {
        &self.name
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The retention rule.
    pub fn retention(&self) -> Retention {
        self.retention
    }
}

/// A file's content properties, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentProperties(BTreeMap<PropertyName, ContentProperty>);

impl ContentProperties {
    /// PutChunkedFile: insert or replace by name; names not in `props` are left as they are. All or nothing.
    pub fn upsert(&mut self, props: impl IntoIterator<Item = ContentProperty>) -> Result<(), ContentError> {
        let mut next = self.0.clone();
        for p in props {
            next.insert(p.name.clone(), p);
        }
        if next.len() > MAX_PROPERTIES {
            return Err(ContentError::TooManyProperties { count: next.len() });
        }
        self.0 = next;
        Ok(())
    }

    /// A content change that did not come through PutChunkedFile: every `DeleteOnContentChange` property goes,
    /// every `KeepOnContentChange` one stays (FullFile 8, Zip 14).
    pub fn on_other_content_change(&mut self) {
        self.0.retain(|_, p| p.retention == Retention::KeepOnContentChange);
    }

    /// GetChunkedFile's `ContentPropertiesToReturn`: the listed names that exist, in the order asked, each once. An
    /// unknown name is **omitted**, not returned empty (`ContentPropertyValidator ShouldBeReturned="false"`).
    pub fn select<'a>(&'a self, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a ContentProperty> {
        let mut out: Vec<&ContentProperty> = Vec::new();
        for name in names {
            if let Some(p) = self.0.values().find(|p| p.name.as_str() == name)
                && !out.iter().any(|q| q.name == p.name)
            {
                out.push(p);
            }
        }
        out
    }

    /// One property.
    pub fn get(&self, name: &str) -> Option<&ContentProperty> {
        self.0.values().find(|p| p.name.as_str() == name)
    }

    /// All properties, by name.
    pub fn iter(&self) -> impl Iterator<Item = &ContentProperty> {
        self.0.values()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ---------------------------------------------------------------- streams (§5.3)

crate::newtype::checked_string! {
    /// A stream ID: `MainContent` or the name of an alternate stream (the validator uses `Alternate`). Non-empty,
    /// compared exactly.
    #[derive(Hash, PartialOrd, Ord)]
    pub struct StreamId(String): ContentError;
}

impl StreamId {
    /// The ID of the main stream.
    pub const MAIN: &'static str = "MainContent";

    /// A stream ID; empty is rejected.
    pub fn new(s: impl Into<String>) -> Result<Self, ContentError> {
        let s = s.into();
        if s.is_empty() {
            return Err(ContentError::EmptyStreamId);
        }
        Ok(StreamId(s))
    }

    /// `MainContent`.
    pub fn main() -> StreamId {
        StreamId(Self::MAIN.to_string())
    }

    /// Whether this is `MainContent`.
    pub fn is_main(&self) -> bool {
        self.0 == Self::MAIN
    }
}

/// A stored stream: the scheme and signature exactly as the client uploaded them (a host must keep the client's
/// chunk boundaries, §4.5), or as the host cut bytes written by PutFile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStream {
    /// The scheme to answer with.
    pub scheme: ChunkingScheme,
    /// The chunks, in order.
    pub chunks: Vec<ChunkSignature>,
}

impl StoredStream {
    /// What GetChunkedFile answers for a stream that does not exist: `Zip`, no chunk (§4.5; docs and validator
    /// agree, §9 item 4, even when FullFile was asked for).
    pub fn missing() -> StoredStream {
        StoredStream {
            scheme: ChunkingScheme::Zip,
            chunks: Vec::new(),
        }
    }

    /// The stream's length in bytes.
    pub fn len(&self) -> u64 {
        self.chunks.iter().map(|c| c.length).sum()
    }

    /// Whether the stream has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// ---------------------------------------------------------------- sequence numbers (§5.4)

/// A file state's sequence number: an int32 in `1..=2147483647` (0 is never a valid state: the 412 case sends 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i32")]
pub struct SequenceNumber(i32);

impl SequenceNumber {
    /// The first state's number.
    pub const FIRST: SequenceNumber = SequenceNumber(1);

    /// Checks the range.
    pub fn new(n: i64) -> Result<Self, ContentError> {
        i32::try_from(n)
            .ok()
            .filter(|v| *v >= 1)
            .map(SequenceNumber)
            .ok_or(ContentError::SequenceOutOfRange(n))
    }

    /// The value.
    pub fn get(self) -> i32 {
        self.0
    }

    /// The number of the next content state.
    pub fn next(self) -> Result<SequenceNumber, ContentError> {
        self.0
            .checked_add(1)
            .map(SequenceNumber)
            .ok_or(ContentError::SequenceExhausted)
    }

    /// Parses an `X-WOPI-SequenceNumber` value as .NET's `int.TryParse` reads it (surrounding whitespace, an
    /// optional sign, decimal digits). The result is any int32: a client may present 0 or a negative number, which
    /// then simply does not match.
    pub fn parse_presented(header: &str) -> Option<i32> {
        header.trim().parse().ok()
    }

    /// PutChunkedFile's check: the presented number must equal the current one exactly ("doesn't match" → 412 with
    /// `X-WOPI-SequenceNumber: <current>`). Exact match is the note's reading (§9 item 7); the validator only
    /// sends 0.
    pub fn check_presented(self, presented: i32) -> Result<(), SequenceMismatch> {
        if presented == self.0 {
            Ok(())
        } else {
            Err(SequenceMismatch {
                current: self,
                presented,
            })
        }
    }
}

impl TryFrom<i64> for SequenceNumber {
    type Error = ContentError;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        SequenceNumber::new(n)
    }
}

impl From<SequenceNumber> for i32 {
    fn from(s: SequenceNumber) -> i32 {
        s.0
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A PutChunkedFile that presents a stale sequence number: 412 with the current value in `X-WOPI-SequenceNumber`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("sequence number {presented} does not match the file's current {current}")]
pub struct SequenceMismatch {
    /// The host's number (send it in the 412).
    pub current: SequenceNumber,
    /// What the client sent.
    pub presented: i32,
}

// ---------------------------------------------------------------- the whole

/// Everything content-related a CSPP Plus host stores for a file, with the write rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    main: StoredStream,
    alternates: BTreeMap<StreamId, StoredStream>,
    properties: ContentProperties,
    sequence: SequenceNumber,
}

impl FileContent {
    /// A new file whose MainContent is `main`, with sequence number 1, no alternate stream and no property.
    pub fn new(main: StoredStream) -> FileContent {
        FileContent {
            main,
            alternates: BTreeMap::new(),
            properties: ContentProperties::default(),
            sequence: SequenceNumber::FIRST,
        }
    }

    /// A file state as a host stored it (a durable store reads its rows back through this).
    pub fn restore(
        main: StoredStream,
        alternates: BTreeMap<StreamId, StoredStream>,
        properties: impl IntoIterator<Item = ContentProperty>,
        sequence: SequenceNumber,
    ) -> Result<FileContent, ContentError> {
        let mut props = ContentProperties::default();
        props.upsert(properties)?;
        Ok(FileContent {
            main,
            alternates,
            properties: props,
            sequence,
        })
    }

    /// The current sequence number.
    pub fn sequence(&self) -> SequenceNumber {
        self.sequence
    }

    /// MainContent.
    pub fn main(&self) -> &StoredStream {
        &self.main
    }

    /// The alternate streams.
    pub fn alternates(&self) -> &BTreeMap<StreamId, StoredStream> {
        &self.alternates
    }

    /// The content properties.
    pub fn properties(&self) -> &ContentProperties {
        &self.properties
    }

    /// A stream by ID, if it exists.
    pub fn stream(&self, id: &StreamId) -> Option<&StoredStream> {
        if id.is_main() {
            Some(&self.main)
        } else {
            self.alternates.get(id)
        }
    }

    /// What GetChunkedFile answers for `id`: the stream, or [`StoredStream::missing`].
    pub fn answer(&self, id: &StreamId) -> StoredStream {
        self.stream(id).cloned().unwrap_or_else(StoredStream::missing)
    }

    /// A successful PutChunkedFile (after the lock and sequence checks): replace only the listed streams, delete a
    /// listed non-Main stream with no chunk, upsert the properties, bump the sequence number. All or nothing.
    ///
    /// MainContent need not be listed: the docs list its absence as a 400 cause, but the validator's
    /// `UploadSubsetOfFileStreams` cases send `Alternate` alone and require 200 (§9 item 1; we follow the validator).
    pub fn put_chunked(
        &mut self,
        streams: impl IntoIterator<Item = (StreamId, StoredStream)>,
        properties: impl IntoIterator<Item = ContentProperty>,
    ) -> Result<SequenceNumber, ContentError> {
        let mut next = self.clone();
        let mut seen = Vec::new();
        for (id, stream) in streams {
            if seen.contains(&id) {
                return Err(ContentError::DuplicateStream(id.0));
            }
            seen.push(id.clone());
            if id.is_main() {
                next.main = stream;
            } else if stream.chunks.is_empty() {
                next.alternates.remove(&id);
            } else {
                next.alternates.insert(id, stream);
            }
        }
        if next.alternates.len() > MAX_ALTERNATE_STREAMS {
            return Err(ContentError::TooManyStreams {
                count: next.alternates.len(),
            });
        }
        next.properties.upsert(properties)?;
        next.sequence = next.sequence.next()?;
        *self = next;
        Ok(self.sequence)
    }

    /// A content change that does not come through PutChunkedFile (PutFile, a PutRelativeFile overwrite, …): new
    /// MainContent, **every alternate stream deleted**, `DeleteOnContentChange` properties deleted, sequence number
    /// bumped (the docs leave PutFile's effect on it open, §9 item 7; bumping keeps "never goes backwards").
    pub fn other_content_change(&mut self, main: StoredStream) -> Result<SequenceNumber, ContentError> {
        let sequence = self.sequence.next()?;
        self.main = main;
        self.alternates.clear();
        self.properties.on_other_content_change();
        self.sequence = sequence;
        Ok(sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cspp::chunking::{ChunkSignature, signature};

    fn prop(name: &str, value: &str, r: Retention) -> ContentProperty {
        ContentProperty::new(name, value, r).expect("property")
    }

    fn full(text: &str) -> StoredStream {
        StoredStream {
            scheme: ChunkingScheme::FullFile,
            chunks: signature(&[text.as_bytes()]),
        }
    }

    fn alt() -> StreamId {
        StreamId::new("Alternate").expect("id")
    }

    #[test]
    fn property_json_shape_and_the_docs_alias() {
        let p = prop("P1", "v", Retention::DeleteOnContentChange);
        assert_eq!(
            serde_json::to_string(&p).expect("json"),
            r#"{"Name":"P1","Retention":"DeleteOnContentChange","Value":"v"}"#
        );
        let back: ContentProperty =
            serde_json::from_str(r#"{"Name":"P1","ContentPropertyRetention":"DeleteOnContentChange","Value":"v"}"#)
                .expect("alias");
        assert_eq!(back, p);
        assert!(
            serde_json::from_str::<ContentProperty>(r#"{"Name":"","Retention":"KeepOnContentChange","Value":""}"#)
                .is_err()
        );
        assert!(
            serde_json::from_str::<ContentProperty>(r#"{"Name":"a","Retention":"keeponcontentchange","Value":""}"#)
                .is_err()
        );
    }

    #[test]
    fn property_limits_are_named() {
        assert_eq!(
            ContentProperty::new("", "", Retention::KeepOnContentChange),
            Err(ContentError::EmptyPropertyName)
        );
        let long = "n".repeat(257);
        assert_eq!(
            ContentProperty::new(long, "", Retention::KeepOnContentChange),
            Err(ContentError::PropertyNameTooLong { len: 257 })
        );
        let e = ContentProperty::new("big", "v".repeat(1025), Retention::KeepOnContentChange).expect_err("1025");
        assert_eq!(
            e.to_string(),
            "content property \"big\" has a 1025-byte value; the limit is 1024 bytes"
        );
        let mut props = ContentProperties::default();
        props
            .upsert((0..256).map(|i| prop(&format!("p{i}"), "", Retention::KeepOnContentChange)))
            .expect("256");
        let before = props.clone();
        assert_eq!(
            props.upsert([prop("one more", "", Retention::KeepOnContentChange)]),
            Err(ContentError::TooManyProperties { count: 257 })
        );
        assert_eq!(props, before, "a refused upsert changes nothing");
    }

    /// §5.2: upsert by name, others untouched; select omits unknown names; other content changes drop
    /// DeleteOnContentChange and keep KeepOnContentChange (FullFile 8, Zip 14).
    #[test]
    fn retention_rules() {
        let mut props = ContentProperties::default();
        props
            .upsert([
                prop("Keep", "k1", Retention::KeepOnContentChange),
                prop("Drop", "d1", Retention::DeleteOnContentChange),
            ])
            .expect("upsert");
        props
            .upsert([prop("Keep", "k2", Retention::KeepOnContentChange)])
            .expect("upsert");
        assert_eq!(props.get("Keep").map(ContentProperty::value), Some("k2"));
        assert_eq!(props.get("Drop").map(ContentProperty::value), Some("d1"));
        let sel: Vec<&str> = props
            .select(["Drop", "Unknown", "Keep", "Drop"])
            .iter()
            .map(|p| p.name().as_str())
            .collect();
        assert_eq!(sel, ["Drop", "Keep"]);
        props.on_other_content_change();
        assert_eq!(props.get("Drop"), None);
        assert_eq!(props.get("Keep").map(ContentProperty::value), Some("k2"));
        assert_eq!(props.len(), 1);
    }

    /// §5.3 and §5.4 through FileContent.
    #[test]
    fn streams_and_sequence_through_writes() {
        let mut f = FileContent::new(StoredStream {
            scheme: ChunkingScheme::FullFile,
            chunks: vec![],
        });
        assert_eq!(f.sequence(), SequenceNumber::FIRST);
        assert_eq!(f.answer(&alt()), StoredStream::missing());
        assert_eq!(f.answer(&alt()).scheme, ChunkingScheme::Zip);
        let s = f
            .put_chunked(
                [
                    (StreamId::main(), full("SampleTextVersion-1")),
                    (alt(), full("Alt_SampleTextVersion-1")),
                ],
                [prop("P", "v", Retention::DeleteOnContentChange)],
            )
            .expect("put");
        assert_eq!(s.get(), 2);
        // UploadSubsetOfFileStreams: Alternate alone; MainContent stays (§9 item 1: validator wins).
        f.put_chunked([(alt(), full("Alt_SampleTextVersion-2"))], [])
            .expect("alt only");
        assert_eq!(f.main(), &full("SampleTextVersion-1"));
        assert_eq!(f.stream(&alt()), Some(&full("Alt_SampleTextVersion-2")));
        assert_eq!(f.sequence().get(), 3);
        // A listed non-Main stream with no chunk is deleted.
        f.put_chunked(
            [(
                alt(),
                StoredStream {
                    scheme: ChunkingScheme::Zip,
                    chunks: vec![],
                },
            )],
            [],
        )
        .expect("delete alt");
        assert_eq!(f.stream(&alt()), None);
        f.put_chunked([(alt(), full("again"))], []).expect("alt back");
        // PutFile: alternates gone, DeleteOnContentChange gone, sequence up.
        let s = f.other_content_change(full("PutFile body")).expect("putfile");
        assert_eq!(s.get(), 6);
        assert!(f.alternates().is_empty());
        assert!(f.properties().is_empty());
        assert_eq!(f.main(), &full("PutFile body"));
        // Errors change nothing.
        let before = f.clone();
        let dup = f.put_chunked([(alt(), full("a")), (alt(), full("b"))], []);
        assert_eq!(dup, Err(ContentError::DuplicateStream("Alternate".into())));
        assert_eq!(f, before);
        assert_eq!(f.main().len(), 12);
        assert_eq!(ChunkSignature::of(b"x").length, 1);
    }

    #[test]
    fn sequence_numbers() {
        assert_eq!(SequenceNumber::new(0), Err(ContentError::SequenceOutOfRange(0)));
        assert_eq!(
            SequenceNumber::new(1 << 31),
            Err(ContentError::SequenceOutOfRange(1 << 31))
        );
        let max = SequenceNumber::new(i64::from(i32::MAX)).expect("max");
        assert_eq!(max.next(), Err(ContentError::SequenceExhausted));
        let mut f = FileContent::new(StoredStream::missing());
        f.sequence = max;
        let before = f.clone();
        assert_eq!(f.put_chunked([], []), Err(ContentError::SequenceExhausted));
        assert_eq!(f, before);
        // IFT error case 9 sends 0: 412 with the current value.
        let cur = SequenceNumber::new(7).expect("7");
        let e = cur.check_presented(0).expect_err("stale");
        assert_eq!(e.current, cur);
        assert_eq!(e.to_string(), "sequence number 0 does not match the file's current 7");
        assert_eq!(cur.check_presented(7), Ok(()));
        assert_eq!(cur.check_presented(8).map_err(|e| e.presented), Err(8));
        assert_eq!(SequenceNumber::parse_presented(" +12 "), Some(12));
        assert_eq!(SequenceNumber::parse_presented("-3"), Some(-3));
        assert_eq!(SequenceNumber::parse_presented("2147483648"), None);
        assert_eq!(SequenceNumber::parse_presented("0x10"), None);
        assert_eq!(SequenceNumber::parse_presented(""), None);
        assert_eq!(serde_json::to_string(&cur).expect("json"), "7");
        assert!(serde_json::from_str::<SequenceNumber>("0").is_err());
    }
}
