//! FramesValidator proven on synthetic answers, with the validator's own cases (TestCases.xml and the Zip fixtures,
//! read in place from the validator directory).
//!
//! A tiny in-test host ([`MiniHost`], built on `protocol::cspp`) takes the PutFile and PutChunkedFile requests our
//! request builder writes for each case and answers its GetChunkedFile requests. Every FramesValidator of the
//! validator must pass that host's answers; each rule must fail an answer broken in that one way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use http::HeaderMap;
use url::Url;
use wopi_protocol::cspp::chunking::{self, ChunkingScheme};
use wopi_protocol::cspp::frame::{FrameStream, Limits};
use wopi_protocol::cspp::message::{
    self, GetChunkedFileRequest, GetChunkedFileResponse, PutChunkedFileRequest, StreamSignature,
};
use wopi_protocol::cspp::properties::{ContentProperty, Retention, StoredStream, StreamId};
use wopi_protocol::cspp::spooky::ChunkId;

use crate::exec::Target;
use crate::exec::request::build;
use crate::report::model::Failure;
use crate::suite::{self, Request, RequestKind, Suite, TestCase, Validator, ValidatorKind};
use crate::validate::{Context, ResponseView, SchemaStore, State, evaluate};

fn core() -> &'static Suite {
    static CORE: OnceLock<Suite> = OnceLock::new();
    CORE.get_or_init(|| {
        let p = suite::validator_dir().join("TestCases.xml");
        suite::load(&p).unwrap_or_else(|e| panic!("these tests read the validator's TestCases.xml: {e}"))
    })
}

fn schemas() -> &'static SchemaStore {
    static S: OnceLock<SchemaStore> = OnceLock::new();
    S.get_or_init(|| SchemaStore::load(&suite::validator_dir().join("JsonSchemas")))
}

fn case(name: &str) -> &'static TestCase {
    core()
        .cases()
        .map(|(_, c)| c)
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn frames_validators(r: &Request) -> Vec<&Validator> {
    r.validators
        .iter()
        .flatten()
        .filter(|v| matches!(v.kind, ValidatorKind::Frames(_)))
        .collect()
}

/// The FramesValidators of `r` (only those: status and headers are other modules' business) on `body`.
fn judge_in(suite: &Suite, r: &Request, body: &[u8]) -> Vec<Failure> {
    let headers = HeaderMap::new();
    let view = ResponseView {
        status: 200,
        headers: &headers,
        body,
        binary: true,
    };
    let state = State::new();
    let ctx = Context {
        label: "GetChunkedFile",
        state: &state,
        suite,
        schemas: schemas(),
        now_ms: 1_780_000_000_000,
    };
    frames_validators(r)
        .into_iter()
        .flat_map(|v| evaluate(v, &view, &ctx))
        .collect()
}

fn judge(r: &Request, body: &[u8]) -> Vec<Failure> {
    judge_in(core(), r, body)
}

/// The body our request builder writes for `r` of `case`.
fn body_of(case: &TestCase, r: &Request) -> Vec<u8> {
    built_of(case, r).raw.body.to_vec()
}

/// Ways a host answer can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// Answers with the scheme the request asked for, not the stored one.
    EchoRequestedScheme,
    /// Leaves out the last chunk it should send.
    DropChunk,
    /// Sends every chunk, known or not, whatever ChunksToReturn says.
    SendAll,
    /// Leaves the last requested stream out of Signatures.
    DropStream,
    /// Declares each chunk one byte longer.
    WrongLength,
    /// PutFile keeps DeleteOnContentChange properties.
    KeepDeletableProperties,
    /// Answers every property with KeepOnContentChange.
    WrongRetention,
    /// Only the first PutChunkedFile replaces the stored streams (later answers are stale).
    IgnoreLaterUploads,
}

/// A host of one file, in memory: what a correct CSPP Plus host stores, and its GetChunkedFile answer.
struct MiniHost {
    fault: Fault,
    streams: BTreeMap<StreamId, StoredStream>,
    chunks: HashMap<ChunkId, Vec<u8>>,
    props: BTreeMap<String, ContentProperty>,
    uploads: usize,
}

impl MiniHost {
    fn new(fault: Fault) -> Self {
        MiniHost {
            fault,
            streams: BTreeMap::new(),
            chunks: HashMap::new(),
            props: BTreeMap::new(),
            uploads: 0,
        }
    }

    fn put_file(&mut self, bytes: &[u8]) {
        let (scheme, chunks) = chunking::chunk_by_content(bytes);
        for c in &chunks {
            self.chunks.insert(ChunkId::of(c), c.to_vec());
        }
        self.streams.clear();
        self.streams.insert(
            StreamId::main(),
            StoredStream {
                scheme,
                chunks: chunking::signature(&chunks),
            },
        );
        if self.fault != Fault::KeepDeletableProperties {
            self.props
                .retain(|_, p| p.retention() == Retention::KeepOnContentChange);
        }
    }

    fn put_chunked(&mut self, body: &[u8]) {
        let frames = FrameStream::parse(body, &Limits::default()).expect("our request parses");
        let req: PutChunkedFileRequest = message::from_wire_json("PutChunkedFile", frames.message).expect("message");
        for (id, data) in &frames.chunks {
            self.chunks.insert(*id, data.to_vec());
        }
        for p in req.content_properties {
            self.props.insert(p.name().to_string(), p);
        }
        self.uploads += 1;
        if self.fault == Fault::IgnoreLaterUploads && self.uploads > 1 {
            return;
        }
        for s in req.signatures {
            for c in &s.chunk_signatures {
                assert!(
                    self.chunks.contains_key(&c.chunk_id),
                    "our client left out chunk {}",
                    c.chunk_id
                );
            }
            let (id, stored) = s.into_stored();
            if !id.is_main() && stored.chunks.is_empty() {
                self.streams.remove(&id);
            } else {
                self.streams.insert(id, stored);
            }
        }
    }

    fn get_chunked(&self, body: &[u8]) -> Vec<u8> {
        let frames = FrameStream::parse(body, &Limits::default()).expect("our request parses");
        let req: GetChunkedFileRequest = message::from_wire_json("GetChunkedFile", frames.message).expect("message");
        let mut signatures = Vec::new();
        let mut send: Vec<&[u8]> = Vec::new();
        for f in &req.content_filters {
            // A nonexistent stream is Zip with no chunk (cspp-plus.md §4.5).
            let empty = StoredStream {
                scheme: ChunkingScheme::Zip,
                chunks: Vec::new(),
            };
            let stored = self.streams.get(&f.stream_id).unwrap_or(&empty);
            let mut filter = f.clone();
            if self.fault == Fault::SendAll {
                filter.already_known_chunks.clear();
                filter.chunks_to_return = message::ChunksToReturn::All;
            }
            let mut ids = filter.chunks_to_send(stored);
            if self.fault == Fault::DropChunk {
                ids.pop();
            }
            send.extend(ids.iter().map(|id| self.chunks[id].as_slice()));
            let mut sig = StreamSignature::of(f.stream_id.clone(), stored);
            if self.fault == Fault::EchoRequestedScheme {
                sig.chunking_scheme = f.chunking_scheme;
            }
            if self.fault == Fault::WrongLength {
                for c in &mut sig.chunk_signatures {
                    c.length += 1;
                }
            }
            signatures.push(sig);
        }
        if self.fault == Fault::DropStream {
            signatures.pop();
        }
        let content_properties = req
            .content_properties_to_return
            .iter()
            .filter_map(|n| self.props.get(n))
            .map(|p| {
                if self.fault == Fault::WrongRetention {
                    ContentProperty::new(p.name().as_str(), p.value(), Retention::KeepOnContentChange).expect("prop")
                } else {
                    p.clone()
                }
            })
            .collect();
        let answer = GetChunkedFileResponse {
            content_properties,
            signatures,
        };
        message::write_body("GetChunkedFile answer", &answer, send).expect("answer")
    }
}

/// One judged GetChunkedFile of a case: the request, the answer, the failures.
struct Judged {
    request: &'static Request,
    answer: Vec<u8>,
    failures: Vec<Failure>,
}

/// Runs `case` against a fresh [`MiniHost`] with `fault`; judges every GetChunkedFile that has a FramesValidator.
fn run_case(case: &'static TestCase, fault: Fault) -> Vec<Judged> {
    let mut host = MiniHost::new(fault);
    let mut out = Vec::new();
    for r in case.all_requests() {
        match &r.kind {
            RequestKind::PutFile { resource_id, .. } => {
                host.put_file(&core().resource(resource_id).expect("resource").bytes());
            }
            RequestKind::PutChunkedFile(_) => host.put_chunked(&body_of(case, r)),
            RequestKind::GetChunkedFile { .. } => {
                let answer = host.get_chunked(&body_of(case, r));
                if !frames_validators(r).is_empty() {
                    let failures = judge(r, &answer);
                    out.push(Judged {
                        request: r,
                        answer,
                        failures,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

fn frames_cases() -> Vec<&'static TestCase> {
    core()
        .cases()
        .map(|(_, c)| c)
        .filter(|c| c.all_requests().any(|r| !frames_validators(r).is_empty()))
        .collect()
}

#[test]
fn every_frames_validator_of_the_validator_passes_a_correct_host() {
    let cases = frames_cases();
    // 24 in TestCases.xml at upstream 6ca021a.
    assert!(cases.len() >= 24, "only {} cases with a FramesValidator", cases.len());
    let mut judged = 0;
    for c in cases {
        for j in run_case(c, Fault::None) {
            assert!(j.failures.is_empty(), "{}: {:#?}", c.name, j.failures);
            judged += 1;
        }
    }
    assert!(judged >= 26, "{judged}");
}

fn blobs_expected(r: &Request) -> Option<i32> {
    frames_validators(r).iter().find_map(|v| match &v.kind {
        ValidatorKind::Frames(f) => f.expected_host_blobs_count,
        _ => None,
    })
}

/// cspp-plus.md §4.6: the Chunk frames a correct host sends, and the validator's ExpectedHostBlobsCount, agree
/// with the note's table; one chunk more or less fails.
#[test]
fn the_notes_chunk_frame_count_table() {
    let table = [
        ("IncrementalFileTransfer.Zip.DownloadWithNoneChunksToReturn.Success", 0),
        ("IncrementalFileTransfer.Zip.DownloadWithLastZipChunk.Success", 2),
        ("IncrementalFileTransfer.FullFile.DownloadWithLastZipChunk.Success", 0),
        (
            "IncrementalFileTransfer.Zip.DeltaUploadsAndDeltaDownloadZeroBlobs.Success",
            0,
        ),
        (
            "IncrementalFileTransfer.Zip.DeltaUploadsAndDeltaDownloadNonZeroBlobs.Success",
            18,
        ),
        ("RenameFile.ClientPresentsCoauthLockWithHostCoauthLock.Success", 0),
    ];
    for (name, count) in table {
        let c = case(name);
        let judged = run_case(c, Fault::None);
        let last = judged.last().unwrap_or_else(|| panic!("{name}: no FramesValidator"));
        assert_eq!(blobs_expected(last.request), Some(count), "{name}");
        let frames = FrameStream::parse(&last.answer, &Limits::default()).expect("answer");
        let distinct: HashSet<ChunkId> = frames.chunks.iter().map(|(id, _)| *id).collect();
        assert_eq!(distinct.len() as i32, count, "{name}");
        assert!(last.failures.is_empty(), "{name}: {:#?}", last.failures);
        let broken = run_case(c, if count == 0 { Fault::SendAll } else { Fault::DropChunk });
        let f = &broken.last().expect("judged").failures;
        assert!(
            f.iter().any(|f| f.expected == format!("{count} distinct chunks")),
            "{name}: {f:#?}"
        );
    }
}

/// The first failure's rule, for a case run with `fault`.
fn rules(name: &str, fault: Fault) -> Vec<String> {
    run_case(case(name), fault)
        .into_iter()
        .flat_map(|j| j.failures)
        .map(|f| format!("{} | {} | {}", f.expected, f.actual, f.rule.unwrap_or_default()))
        .collect()
}

fn assert_fails(name: &str, fault: Fault, needle: &str) {
    let r = rules(name, fault);
    assert!(
        r.iter().any(|r| r.contains(needle)),
        "{name} {fault:?}: wanted '{needle}' in {r:#?}"
    );
}

const ZIP_DELTA: &str = "IncrementalFileTransfer.Zip.DeltaUploadsAndFullDownload.Success";
const ZIP_NON_ZERO: &str = "IncrementalFileTransfer.Zip.DeltaUploadsAndDeltaDownloadNonZeroBlobs.Success";
const FULL_UPLOAD: &str = "IncrementalFileTransfer.FullFile.UploadWithCoauthLock.Success";

#[test]
fn a_host_that_echoes_the_requested_scheme_fails() {
    // Zip 4 and 5: the host answers by content, whatever the request asked for.
    assert_fails(
        "IncrementalFileTransfer.Zip.DownloadWithZipAndHostReturnsFullFileDueToNonZipArchive.Success",
        Fault::EchoRequestedScheme,
        "the host answers with the scheme of the stored content",
    );
    assert_fails(
        "IncrementalFileTransfer.Zip.DownloadFullFileAndHostReturnsZipDueToContentEligibleForZip.Success",
        Fault::EchoRequestedScheme,
        "ChunkingScheme 'FullFile'",
    );
    // FullFile 6: a stream that does not exist is Zip.
    assert_fails(
        "IncrementalFileTransfer.FullFile.DownloadUnexistedStreamShouldReturnEmptyStream.Success",
        Fault::EchoRequestedScheme,
        "a nonexistent stream Zip",
    );
}

#[test]
fn missing_chunks_streams_and_wrong_lengths_fail() {
    assert_fails(ZIP_DELTA, Fault::DropChunk, "neither in the request nor already known");
    assert_fails(
        FULL_UPLOAD,
        Fault::DropChunk,
        "the host sends every chunk of the signature",
    );
    assert_fails(FULL_UPLOAD, Fault::DropStream, "a signature for stream Alternate");
    assert_fails(ZIP_NON_ZERO, Fault::WrongLength, "Length is the chunk's size in bytes");
    assert_fails(ZIP_NON_ZERO, Fault::SendAll, "18 distinct chunks");
}

#[test]
fn stale_content_fails() {
    // The Zip V1→V2 upload ignored: the rebuilt stream is V1, not V2.
    assert_fails(ZIP_DELTA, Fault::IgnoreLaterUploads, "equals what was last uploaded");
    assert_fails(
        "IncrementalFileTransfer.FullFile.DeltaUploadsAndFullDownload.Success",
        Fault::IgnoreLaterUploads,
        "stream MainContent: 'SampleTextVersion-2'",
    );
}

#[test]
fn content_property_rules() {
    let name = "IncrementalFileTransfer.FullFile.PutChunkedFileWithContentPropertiesAndPutFile.SuccessWithContentPropertyCleanedUp";
    assert_fails(name, Fault::KeepDeletableProperties, "no content property name2");
    assert_fails(name, Fault::WrongRetention, "name2 = 'value2' (DeleteOnContentChange)");
    assert_fails(
        "IncrementalFileTransfer.Zip.PutChunkedFileWithContentPropertiesAndPutFile.SuccessWithContentPropertyCleanedUp",
        Fault::KeepDeletableProperties,
        "is not returned",
    );
}

/// The good answer of the Zip delta download, and the request that judges it.
fn zip_answer() -> (&'static Request, Vec<u8>) {
    let j = run_case(case(ZIP_NON_ZERO), Fault::None).pop().expect("judged");
    assert!(j.failures.is_empty());
    (j.request, j.answer)
}

fn one_rule(r: &Request, body: &[u8]) -> String {
    let f = judge(r, body);
    assert_eq!(f.len(), 1, "{f:#?}");
    format!("{} | {}", f[0].actual, f[0].rule.clone().unwrap_or_default())
}

#[test]
fn byte_level_faults_of_the_frame_stream_fail() {
    let (r, good) = zip_answer();
    let stream = FrameStream::parse(&good, &Limits::default()).expect("good");
    let first_chunk = 16 + stream.message.len();
    // A chunk ID that is not the hash of its payload.
    let mut bad = good.clone();
    bad[first_chunk + 16] ^= 1;
    assert!(one_rule(r, &bad).contains("SpookyHash V2 chunk ID of its payload"));
    // No EndFrame.
    let bad = &good[..good.len() - 16];
    assert!(one_rule(r, bad).contains("ends with an EndFrame"));
    // Cut off inside a chunk.
    assert!(one_rule(r, &good[..first_chunk + 40]).contains("ends with an EndFrame"));
    // An unknown frame type.
    let mut bad = good.clone();
    bad[first_chunk + 3] = 5;
    assert!(one_rule(r, &bad).contains("unknown frame type 5"));
    // Type 0.
    let mut bad = good.clone();
    bad[first_chunk + 3] = 0;
    assert!(one_rule(r, &bad).contains("frame types are"));
    // A chunk first.
    assert!(one_rule(r, &good[first_chunk..]).contains("starts with one non-empty MessageJSON frame"));
    // Empty body.
    assert!(one_rule(r, b"").contains("never an empty body"));
    // Bytes after the EndFrame are ignored, as by the validator.
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"junk");
    assert!(judge(r, &trailing).is_empty());
}

#[test]
fn a_message_that_breaks_the_schema_fails() {
    let (r, good) = zip_answer();
    let stream = FrameStream::parse(&good, &Limits::default()).expect("good");
    let json = String::from_utf8(stream.message.to_vec()).expect("utf8");
    let tail = &good[16 + stream.message.len()..];
    let rebuild = |json: &str| {
        let mut out = vec![0, 0, 0, 2, 0, 0, 0, 0];
        out.extend_from_slice(&(json.len() as u64).to_be_bytes());
        out.extend_from_slice(json.as_bytes());
        out.extend_from_slice(tail);
        out
    };
    assert!(judge(r, &rebuild(&json)).is_empty(), "the rebuilt good answer passes");
    let lower = json.replace("\"Zip\"", "\"zip\"");
    assert!(one_rule(r, &rebuild(&lower)).contains("must match its schema"));
    let no_props = json.replacen("\"ContentProperties\":[],", "", 1);
    assert_ne!(no_props, json);
    assert!(one_rule(r, &rebuild(&no_props)).contains("must match its schema"));
    assert!(one_rule(r, &rebuild("not json")).contains("UTF-8 JSON"));
}

/// cspp-plus.md §3.3: the 248-byte host answer for MainContent = `SampleTextVersion-1`, written out by hand,
/// passes; ExpectedHostBlobsCount counts it.
#[test]
fn the_notes_worked_answer_passes() {
    let json = r#"{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile","StreamId":"MainContent"}]}"#;
    assert_eq!(json.len(), 165);
    let mut body = vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa5];
    body.extend_from_slice(json.as_bytes());
    body.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x13]);
    body.extend_from_slice(&[
        0x3a, 0x94, 0x96, 0x86, 0x9b, 0x75, 0xd8, 0x14, 0x64, 0xb8, 0x65, 0xf8, 0xcf, 0xb6, 0xd0, 0x3e,
    ]);
    body.extend_from_slice(b"SampleTextVersion-1");
    body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(body.len(), 248);
    let text = format!(
        r#"<WopiValidation xmlns:ext="{}"><TestGroup Name="G"><TestCases><TestCase Name="C" Category="WopiCoauth">
           <Description>d</Description><Requests><GetChunkedFile>
           <ContentFilters><ContentFilter ChunkingScheme="FullFile" StreamId="MainContent" ChunksToReturn="All" AlreadyExistingContent=""/></ContentFilters>
           <Validators><FramesValidator MessageJsonPayloadSchema="GetChunkedFileResponseSchema" ExpectedHostBlobsCount="{{n}}">
           <ContentStreamValidator StreamId="MainContent" ExpectedChunkingScheme="FullFile" AlreadyExistingContent="" ExpectedContent="SampleTextVersion-1"/>
           </FramesValidator></Validators></GetChunkedFile></Requests></TestCase></TestCases></TestGroup></WopiValidation>"#,
        suite::EXT_NS
    );
    for (n, ok) in [(1, true), (0, false)] {
        let s = suite::parse_str(&text.replace("{n}", &n.to_string()), Path::new("t.xml"), "t".into()).expect("suite");
        let r = s.groups[0].cases[0].all_requests().next().expect("request");
        assert_eq!(judge_in(&s, r, &body).is_empty(), ok, "count {n}");
    }
}

#[test]
fn the_validators_content_stream_rules_are_load_errors() {
    let load = |attrs: &str| {
        let text = format!(
            r#"<WopiValidation><TestGroup Name="G"><TestCases><TestCase Name="C" Category="WopiCoauth">
               <Description>d</Description><Requests><CheckFileInfo><Validators>
               <FramesValidator MessageJsonPayloadSchema="GetChunkedFileResponseSchema"><ContentStreamValidator StreamId="MainContent" {attrs}/></FramesValidator>
               </Validators></CheckFileInfo></Requests></TestCase></TestCases></TestGroup></WopiValidation>"#
        );
        suite::parse_str(&text, Path::new("t.xml"), "t".into())
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert!(load(r#"ExpectedChunkingScheme="FullFile""#).is_ok());
    assert!(load(r#"ExpectedChunkingScheme="FullFile" AlreadyExistingContent="" ExpectedContent="x""#).is_ok());
    let e = load(r#"ExpectedChunkingScheme="FullFile" ExpectedContent="x""#).expect_err("half");
    assert!(
        e.contains("needs both AlreadyExistingContent and ExpectedContent"),
        "{e}"
    );
    let e = load(r#"ExpectedChunkingScheme="Zip" ExpectedContentResourceId="X""#).expect_err("half");
    assert!(e.contains("needs both AlreadyExistingContentResourceId"), "{e}");
    let e = load(r#"ExpectedChunkingScheme="zip""#).expect_err("case");
    assert!(e.contains("is not one of FullFile, Zip"), "{e}");
}

#[test]
fn a_zip_check_without_the_fixtures_fails_saying_where_it_looked() {
    // A suite file elsewhere whose resource names a fixture that exists nowhere: the failure lists the places.
    let text = format!(
        r#"<WopiValidation xmlns:ext="{}"><Resources>
           <File Id="ZeroByteOfficeDocument" Name="" FilePath=""/>
           <File Id="Gone" Name="ChunkIds.txt" FilePath="Microsoft.Office.WopiValidator.Core.Resources.ZipChunking.NoSuchDoc.Version1.MainContent."/>
           </Resources><TestGroup Name="G"><TestCases><TestCase Name="C" Category="WopiCoauth">
           <Description>d</Description><Requests><GetChunkedFile>
           <ContentFilters><ContentFilter ChunkingScheme="Zip" StreamId="MainContent" ChunksToReturn="All" AlreadyExistingContentResourceId="ZeroByteOfficeDocument"/></ContentFilters>
           <Validators><FramesValidator MessageJsonPayloadSchema="GetChunkedFileResponseSchema">
           <ContentStreamValidator StreamId="MainContent" ExpectedChunkingScheme="Zip" AlreadyExistingContentResourceId="ZeroByteOfficeDocument" ExpectedContentResourceId="Gone"/>
           </FramesValidator></Validators></GetChunkedFile></Requests></TestCase></TestCases></TestGroup></WopiValidation>"#,
        suite::EXT_NS
    );
    let s = suite::parse_str(&text, Path::new("/nowhere/t.xml"), "t".into()).expect("suite");
    let r = s.groups[0].cases[0].all_requests().next().expect("request");
    let answer = message::write_body(
        "answer",
        &GetChunkedFileResponse {
            content_properties: vec![],
            signatures: vec![StreamSignature {
                chunk_signatures: vec![],
                chunking_scheme: ChunkingScheme::Zip,
                stream_id: StreamId::main(),
            }],
        },
        std::iter::empty::<&[u8]>(),
    )
    .expect("answer");
    let f = judge_in(&s, r, &answer);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].actual
            .contains("/nowhere/Resources/ZipChunking/NoSuchDoc/Version1/MainContent/FileStream"),
        "{:?}",
        f[0]
    );
}

// ---------------------------------------------------------------- the requests our builder writes

fn built_of(case: &TestCase, r: &Request) -> crate::exec::request::Built {
    let target = Target {
        wopisrc: Url::parse("http://h/wopi/files/1").expect("url"),
        access_token: "t".into(),
        access_token_ttl: 0,
        instances: Vec::new(),
    };
    let mut state = State::new();
    state.set("SequenceNumberStateOverride", Some("1".into()));
    build(r, "L", case, core(), &target, &state).unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

fn nth_of(case: &'static TestCase, pick: fn(&RequestKind) -> bool, n: usize) -> &'static Request {
    case.all_requests()
        .filter(|r| pick(&r.kind))
        .nth(n)
        .unwrap_or_else(|| panic!("{}: request {n}", case.name))
}

fn is_put(k: &RequestKind) -> bool {
    matches!(k, RequestKind::PutChunkedFile(_))
}

fn is_get(k: &RequestKind) -> bool {
    matches!(k, RequestKind::GetChunkedFile { .. })
}

/// cspp-plus.md §3.3: the PutChunkedFile of `ClientSequenceNumberMismatchWithHost`, byte for byte as the note
/// lists it (282 bytes), and its headers (empty lock headers sent, sequence number 0).
#[test]
fn the_notes_worked_put_chunked_file_body_from_our_builder() {
    let c = case("IncrementalFileTransfer.ClientSequenceNumberMismatchWithHost.PreconditionFail412");
    let b = built_of(c, nth_of(c, is_put, 0));
    let json = r#"{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile","StreamId":"MainContent"}],"UploadSessionTokenToCommit":null}"#;
    assert_eq!(json.len(), 199);
    let mut expected = vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc7];
    expected.extend_from_slice(json.as_bytes());
    expected.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x13]);
    expected.extend_from_slice(&[
        0x3a, 0x94, 0x96, 0x86, 0x9b, 0x75, 0xd8, 0x14, 0x64, 0xb8, 0x65, 0xf8, 0xcf, 0xb6, 0xd0, 0x3e,
    ]);
    expected.extend_from_slice(b"SampleTextVersion-1");
    expected.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(expected.len(), 282);
    assert_eq!(b.raw.body.as_ref(), expected.as_slice());
    let header = |n: &str| {
        b.raw
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("X-WOPI-SequenceNumber"), Some("0"));
    assert_eq!(header("X-WOPI-Lock"), Some(""));
    assert_eq!(header("X-WOPI-Editors"), Some(""));
    assert_eq!(header("X-WOPI-CoauthLockId"), Some("Client_1_CoauthLock"));
    assert_eq!(b.raw.url.path(), "/wopi/files/1/contents");
}

/// cspp-plus.md §3.3: the GetChunkedFile that opens most cases is one 153-byte MessageJSON, 185 bytes framed.
#[test]
fn the_notes_get_chunked_file_request_from_our_builder() {
    let c = case(FULL_UPLOAD);
    let b = built_of(c, nth_of(c, is_get, 0));
    let json = r#"{"ContentFilters":[{"AlreadyKnownChunks":[],"ChunkingScheme":"FullFile","ChunksToReturn":"All","StreamId":"MainContent"}],"ContentPropertiesToReturn":[]}"#;
    let mut expected = vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99];
    expected.extend_from_slice(json.as_bytes());
    expected.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(expected.len(), 185);
    assert_eq!(b.raw.body.as_ref(), expected.as_slice());
}

/// cspp-plus.md §4.4: the first Zip upload sends 30 Chunk frames (21 + 21 minus 12 shared), the V1→V2 delta 18;
/// the signatures list every chunk; `/` in chunk IDs goes out as `\/`.
#[test]
fn zip_uploads_send_the_fixture_chunks_once() {
    let c = case(ZIP_DELTA);
    let first = built_of(c, nth_of(c, is_put, 0));
    let stream = FrameStream::parse(&first.raw.body, &Limits::default()).expect("frames");
    assert_eq!(stream.chunks.len(), 30);
    let req: PutChunkedFileRequest = message::from_wire_json("PutChunkedFile", stream.message).expect("message");
    let lens: Vec<usize> = req.signatures.iter().map(|s| s.chunk_signatures.len()).collect();
    assert_eq!(lens, [21, 21]);
    assert_eq!(
        req.signatures[0]
            .chunk_signatures
            .last()
            .map(|c| c.chunk_id.to_string()),
        Some("5R2NpDek+YvE4R/a0Lhfpw==".to_string())
    );
    assert!(String::from_utf8_lossy(stream.message).contains(r#""5R2NpDek+YvE4R\/a0Lhfpw==""#));
    let delta = built_of(c, nth_of(c, is_put, 1));
    let stream = FrameStream::parse(&delta.raw.body, &Limits::default()).expect("frames");
    assert_eq!(stream.chunks.len(), 18);
}

/// AlreadyKnownChunks: the distinct IDs of the known content, in first-seen order (the validator's dictionary keys).
#[test]
fn get_chunked_file_lists_the_known_fixture_chunks() {
    let c = case(ZIP_NON_ZERO);
    let b = built_of(c, nth_of(c, is_get, 1));
    let stream = FrameStream::parse(&b.raw.body, &Limits::default()).expect("frames");
    let req: GetChunkedFileRequest = message::from_wire_json("GetChunkedFile", stream.message).expect("message");
    let v1 = suite::content::stream_content(core(), ChunkingScheme::Zip, None, Some("NonZeroByteExcel_Main_V1"))
        .expect("fixture");
    let mut ids: Vec<ChunkId> = Vec::new();
    for c in v1.chunks() {
        if !ids.contains(&ChunkId::of(c)) {
            ids.push(ChunkId::of(c));
        }
    }
    assert_eq!(req.content_filters[0].already_known_chunks, ids);
    assert_eq!(req.content_filters[0].chunking_scheme, ChunkingScheme::Zip);
}
