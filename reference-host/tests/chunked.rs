//! GetChunkedFile, PutChunkedFile and GetSequenceNumber over HTTP (cspp-plus.md §2.5, §2.6, §5, §6.2): the lock
//! and sequence rules, chunk reuse across streams and versions, content properties and their retention, PutFile
//! clearing the alternate streams, and a cut-off or unresolvable PutChunkedFile changing nothing. The same scenario
//! runs on the SQLite store and on the PostgreSQL store (a private cluster started by the test; Debian's
//! `postgresql` package, installed by scripts/test.sh).

#![allow(clippy::unwrap_used)] // test assertions

mod common;

use common::*;
use reqwest::{Response, StatusCode};
use wopi_protocol::cspp::chunking::{ChunkingScheme, signature};
use wopi_protocol::cspp::frame::{FrameStream, Limits};
use wopi_protocol::cspp::message::{
    ChunksToReturn, ContentFilter, GetChunkedFileRequest, GetChunkedFileResponse, PutChunkedFileRequest,
    StreamSignature, from_wire_json, write_body,
};
use wopi_protocol::cspp::properties::{ContentProperty, Retention, StreamId};
use wopi_protocol::cspp::spooky::ChunkId;
use wopi_reference_host::pgcluster::PrivateCluster;
use wopi_reference_host::spawn_for_test;

/// One stream of a PutChunkedFile: its ID and its chunks (FullFile when there is one chunk).
struct Stream<'a> {
    id: &'a str,
    chunks: Vec<&'a [u8]>,
}

fn stream<'a>(id: &'a str, chunks: &[&'a [u8]]) -> Stream<'a> {
    Stream {
        id,
        chunks: chunks.to_vec(),
    }
}

/// The body of a PutChunkedFile that sends the chunks of `streams` that `send` accepts.
fn put_body(streams: &[Stream<'_>], props: Vec<ContentProperty>, send: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let signatures = streams
        .iter()
        .map(|s| StreamSignature {
            chunk_signatures: signature(&s.chunks),
            chunking_scheme: if s.chunks.len() > 1 {
                ChunkingScheme::Zip
            } else {
                ChunkingScheme::FullFile
            },
            stream_id: StreamId::new(s.id).unwrap(),
        })
        .collect();
    let request = PutChunkedFileRequest {
        content_properties: props,
        signatures,
        upload_session_token_to_commit: None,
    };
    let chunks = streams
        .iter()
        .flat_map(|s| s.chunks.iter().copied())
        .filter(|c| send(c));
    write_body("PutChunkedFile", &request, chunks).unwrap()
}

async fn put_chunked(t: &Target, seq: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut all = vec![("X-WOPI-SequenceNumber", seq), ("X-WOPI-Editors", "")];
    all.extend_from_slice(headers);
    post(t, "/contents", "PUT_CHUNKED_FILE", &all, body).await
}

/// A GetChunkedFile answer: sequence number, message, and the chunks received.
struct Got {
    seq: i32,
    message: GetChunkedFileResponse,
    chunks: Vec<(ChunkId, Vec<u8>)>,
}

impl Got {
    /// The stream `id` rebuilt from its signature, taking chunks from the answer or from `known`.
    fn bytes(&self, id: &str, known: &[&[u8]]) -> Vec<u8> {
        let sig = self.signature(id);
        let mut out = Vec::new();
        for c in &sig.chunk_signatures {
            let from_answer = self
                .chunks
                .iter()
                .find(|(i, _)| *i == c.chunk_id)
                .map(|(_, d)| d.as_slice());
            let from_known = known.iter().copied().find(|k| ChunkId::of(k) == c.chunk_id);
            out.extend_from_slice(from_answer.or(from_known).expect("every chunk is sent or known"));
        }
        out
    }

    fn property_names(&self) -> Vec<&str> {
        self.message
            .content_properties
            .iter()
            .map(|p| p.name().as_str())
            .collect()
    }

    fn signature(&self, id: &str) -> &StreamSignature {
        self.message
            .signatures
            .iter()
            .find(|s| s.stream_id.as_str() == id)
            .unwrap()
    }
}

async fn get_chunked(t: &Target, filters: &[(&str, ChunksToReturn, &[&[u8]])], props: &[&str]) -> Got {
    let request = GetChunkedFileRequest {
        content_filters: filters
            .iter()
            .map(|(id, what, known)| ContentFilter {
                already_known_chunks: known.iter().map(|k| ChunkId::of(k)).collect(),
                chunking_scheme: ChunkingScheme::FullFile,
                chunks_to_return: *what,
                stream_id: StreamId::new(*id).unwrap(),
            })
            .collect(),
        content_properties_to_return: props.iter().map(|p| p.to_string()).collect(),
    };
    let body = write_body("GetChunkedFile", &request, []).unwrap();
    let r = post(t, "", "GET_CHUNKED_FILE", &[], &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "X-WOPI-ItemVersion").is_some());
    let seq = header(&r, "X-WOPI-SequenceNumber").unwrap().parse().unwrap();
    let bytes = r.bytes().await.unwrap();
    let frames = FrameStream::parse(&bytes, &Limits::default()).unwrap();
    Got {
        seq,
        message: from_wire_json("GetChunkedFile", frames.message).unwrap(),
        chunks: frames.chunks.iter().map(|(i, d)| (*i, d.to_vec())).collect(),
    }
}

fn prop(name: &str, value: &str, r: Retention) -> ContentProperty {
    ContentProperty::new(name, value, r).unwrap()
}

const ALL: ChunksToReturn = ChunksToReturn::All;

/// The whole scenario, against whichever store the host runs on.
async fn scenario(host: &wopi_reference_host::TestHost) {
    let t = new_file(host, "c.wopitest", b"").await;
    let first = get_chunked(&t, &[("MainContent", ALL, &[])], &[]).await;
    assert_eq!(first.seq, 1, "a new file starts at sequence number 1");
    assert!(first.signature("MainContent").chunk_signatures.is_empty());

    // Unlocked, 0 bytes: the first write needs no lock. Main and Alternate share no chunk yet.
    let (v1, alt1): (&[u8], &[u8]) = (b"SampleTextVersion-1", b"Alt_SampleTextVersion-1");
    let props = vec![
        prop("Keep", "k", Retention::KeepOnContentChange),
        prop("Drop", "d", Retention::DeleteOnContentChange),
    ];
    let body = put_body(
        &[stream("MainContent", &[v1]), stream("Alternate", &[alt1])],
        props,
        |_| true,
    );
    let r = put_chunked(&t, "1", &[], &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "X-WOPI-SequenceNumber").as_deref(), Some("2"));
    assert_eq!(contents(&t).await, v1, "GetFile serves MainContent");

    // Non-empty and unlocked: 409 with an empty X-WOPI-Lock.
    let body2 = put_body(&[stream("MainContent", &[b"x"])], vec![], |_| true);
    let r = put_chunked(&t, "2", &[], &body2).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(header(&r, "X-WOPI-Lock").as_deref(), Some(""));

    assert_eq!(lock(&t, "L").await.status(), StatusCode::OK);
    let got = get_chunked(&t, &[("MainContent", ALL, &[])], &[]).await;
    assert_eq!(got.seq, 2, "a lock does not move the sequence number");

    // Another WOPI lock: 409 naming the mechanism and the lock. Both lock headers: 400.
    let r = put_chunked(&t, "2", &[("X-WOPI-Lock", "other")], &body2).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(header(&r, "X-WOPI-ConflictingMechanism").as_deref(), Some("WOPI-Lock"));
    assert_eq!(header(&r, "X-WOPI-Lock").as_deref(), Some("L"));
    let r = put_chunked(&t, "2", &[("X-WOPI-Lock", "L"), ("X-WOPI-CoauthLockId", "C")], &body2).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // A stale sequence number: 412, empty body, the current number.
    let r = put_chunked(&t, "1", &[("X-WOPI-Lock", "L")], &body2).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(header(&r, "X-WOPI-SequenceNumber").as_deref(), Some("2"));
    assert!(r.bytes().await.unwrap().is_empty());

    // A chunk neither sent nor stored: 400. A body cut off before its EndFrame: 400. Neither changes anything.
    let unknown = put_body(&[stream("MainContent", &[b"never sent"])], vec![], |_| false);
    assert_eq!(
        put_chunked(&t, "2", &[("X-WOPI-Lock", "L")], &unknown).await.status(),
        StatusCode::BAD_REQUEST
    );
    let full = put_body(&[stream("MainContent", &[b"cut", b"-off"])], vec![], |_| true);
    let cut = &full[..full.len() - 18];
    assert_eq!(
        put_chunked(&t, "2", &[("X-WOPI-Lock", "L")], cut).await.status(),
        StatusCode::BAD_REQUEST
    );
    // A frame header announcing 4 GiB is a 400, not an allocation.
    let mut huge = full[..16].to_vec();
    huge[8..16].copy_from_slice(&(4u64 << 30).to_be_bytes());
    assert_eq!(
        put_chunked(&t, "2", &[("X-WOPI-Lock", "L")], &huge).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(contents(&t).await, v1, "refused writes leave the file as it was");
    assert_eq!(get_chunked(&t, &[("MainContent", ALL, &[])], &[]).await.seq, 2);

    // Chunk reuse across streams and versions: the new Alternate is V1 Main's chunk plus a new one, and only the
    // new one is sent; Main is not listed and stays.
    let tail: &[u8] = b"-tail";
    let body = put_body(&[stream("Alternate", &[v1, tail])], vec![], |c| c == tail);
    let r = put_chunked(&t, "2", &[("X-WOPI-Lock", "L")], &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "X-WOPI-SequenceNumber").as_deref(), Some("3"));
    let got = get_chunked(
        &t,
        &[("MainContent", ALL, &[v1]), ("Alternate", ALL, &[])],
        &["Keep", "Drop", "Nope"],
    )
    .await;
    assert_eq!(got.seq, 3);
    assert_eq!(got.bytes("MainContent", &[v1]), v1);
    assert_eq!(got.bytes("Alternate", &[]), [v1, tail].concat());
    assert_eq!(
        got.chunks.len(),
        2,
        "the known Main chunk is not sent; the shared chunk once"
    );
    assert_eq!(got.signature("Alternate").chunking_scheme, ChunkingScheme::Zip);
    let names = got.property_names();
    assert_eq!(names, ["Keep", "Drop"], "unknown property names are omitted");
    // None and LastZipChunk (on a FullFile stream) send no chunk; LastZipChunk on a Zip stream sends its last.
    let got = get_chunked(
        &t,
        &[
            ("MainContent", ChunksToReturn::LastZipChunk, &[]),
            ("Alternate", ChunksToReturn::LastZipChunk, &[]),
        ],
        &[],
    )
    .await;
    assert_eq!(got.chunks, vec![(ChunkId::of(tail), tail.to_vec())]);

    // PutFile: the alternate streams and the DeleteOnContentChange properties go, the number grows.
    assert_eq!(put_file(&t, Some("L"), b"plain").await.status(), StatusCode::OK);
    let got = get_chunked(
        &t,
        &[("MainContent", ALL, &[]), ("Alternate", ALL, &[])],
        &["Keep", "Drop"],
    )
    .await;
    assert_eq!(got.seq, 4);
    assert_eq!(got.bytes("MainContent", &[]), b"plain");
    let alt = got.signature("Alternate");
    assert!(alt.chunk_signatures.is_empty());
    assert_eq!(
        alt.chunking_scheme,
        ChunkingScheme::Zip,
        "a missing stream answers Zip (§9 item 4)"
    );
    let names = got.property_names();
    assert_eq!(names, ["Keep"]);

    let r = post(&t, "", "GET_SEQUENCE_NUMBER", &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "X-WOPI-SequenceNumber").as_deref(), Some("4"));
}

#[tokio::test]
async fn chunked_transfer_on_sqlite() {
    scenario(&host().await).await;
}

#[tokio::test]
async fn chunked_transfer_on_postgresql() {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap()
        .unwrap();
    let mut config = config();
    config.database = Some(cluster.create_database("wopi").await.unwrap());
    let host = spawn_for_test(config).await.unwrap();
    scenario(&host).await;
    drop(host);
}

#[tokio::test]
async fn chunked_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config();
    config.data_dir = Some(dir.path().to_path_buf());
    let host = spawn_for_test(config.clone()).await.unwrap();
    let t = new_file(&host, "d.wopitest", b"").await;
    let body = put_body(
        &[stream("MainContent", &[b"m"]), stream("Alternate", &[b"a1", b"a2"])],
        vec![prop("P", "v", Retention::DeleteOnContentChange)],
        |_| true,
    );
    assert_eq!(put_chunked(&t, "1", &[], &body).await.status(), StatusCode::OK);
    let old_base = host.base_url.clone();
    host.stop().await;
    let host = spawn_for_test(config).await.unwrap();
    // Tokens survive a restart too (durability.rs); only the port changes.
    let t = Target {
        wopisrc: t.wopisrc.replacen(&old_base, &host.base_url, 1),
        token: t.token.clone(),
    };
    let got = get_chunked(&t, &[("Alternate", ALL, &[])], &["P"]).await;
    assert_eq!(got.seq, 2);
    assert_eq!(got.bytes("Alternate", &[]), b"a1a2");
    assert_eq!(got.message.content_properties.len(), 1);
}

/// cspp-plus.md §3.3: the note's worked PutChunkedFile body (282 bytes), written out here byte for byte rather than
/// by our frame writer, is parsed by the host, stores its MainContent, and GetFile serves it. (The harness test
/// `the_notes_worked_put_chunked_file_body_from_our_builder` shows our client sends exactly these bytes.)
#[tokio::test]
async fn the_notes_worked_body_is_parsed_by_the_host() {
    let host = host().await;
    let t = new_file(&host, "worked.wopitest", b"").await;
    let json = r#"{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile","StreamId":"MainContent"}],"UploadSessionTokenToCommit":null}"#;
    let mut body = vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc7];
    body.extend_from_slice(json.as_bytes());
    body.extend_from_slice(&[0, 0, 0, 3, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x13]);
    body.extend_from_slice(&[
        0x3a, 0x94, 0x96, 0x86, 0x9b, 0x75, 0xd8, 0x14, 0x64, 0xb8, 0x65, 0xf8, 0xcf, 0xb6, 0xd0, 0x3e,
    ]);
    body.extend_from_slice(b"SampleTextVersion-1");
    body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(body.len(), 282);
    let r = put_chunked(&t, "1", &[("X-WOPI-Lock", "")], &body).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(contents(&t).await, b"SampleTextVersion-1");
    let got = get_chunked(&t, &[("MainContent", ALL, &[])], &[]).await;
    assert_eq!(got.bytes("MainContent", &[]), b"SampleTextVersion-1");
    assert_eq!(
        got.signature("MainContent").chunk_signatures[0].chunk_id,
        ChunkId::parse("OpSWhpt12BRkuGX4z7bQPg==").unwrap()
    );
}
