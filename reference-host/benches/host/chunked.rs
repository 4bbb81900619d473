//! GetChunkedFile and PutChunkedFile throughput (issue 13) on the validator's Excel and Word Zip-chunking fixtures
//! and on a generated 10 MiB zip (`WOPI_BENCH_FILTER=chunked`), on the host without proof checks.
//!
//! PutChunkedFile is a full upload: every chunk of the content goes in each request, under a WOPI lock, with the
//! sequence number the host answered last. Each connection has a file and lock of its own, since every write must
//! present its file's current number. Each upload's last chunk (central directory and end record) carries a zip
//! comment with a number no other upload has, so every upload is new content: the host hashes, reassembles and
//! stores all of it, and its content-addressed blob store cannot skip the write. GetChunkedFile asks for
//! MainContent with no known chunks, so every chunk comes back. Before the timed runs, an upload is checked by
//! GetFile (the host returns exactly the uploaded bytes) and a GetChunkedFile answer by reassembling it.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use tokio::runtime::Runtime;
use wopi_protocol::cspp::chunking::{self, ChunkSignature, ChunkingScheme};
use wopi_protocol::cspp::frame::{Frame, FrameStream, Limits};
use wopi_protocol::cspp::message::{
    self, ChunksToReturn, ContentFilter, GetChunkedFileRequest, GetChunkedFileResponse, PutChunkedFileRequest,
    StreamSignature,
};
use wopi_protocol::cspp::properties::StreamId;
use wopi_reference_host::DEFAULT_USER;

use super::{Answer, Host, Lane, Stamp, build, head, next_stamp, one_exchange, one_request, report, scenario};

/// Connections of each scenario; PutChunkedFile gives each its own file.
const CONNECTIONS: usize = 4;
/// Content PutChunkedFile may write per scenario, in bytes: every upload is new bytes the store keeps.
const MAX_PUT_BYTES: usize = 2 << 30;
/// The zip end-of-central-directory record: its signature, and its length without a comment.
const EOCD_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
const EOCD_LEN: usize = 22;

/// Both scenarios on each input whose names `want` accepts.
pub(super) fn scenarios(
    load_rt: &Runtime,
    server_rt: &Runtime,
    host: &Host,
    duration: Duration,
    max: u64,
    want: &dyn Fn(&str) -> bool,
) -> anyhow::Result<()> {
    if !want("PutChunkedFile") && !want("GetChunkedFile") {
        return Ok(());
    }
    println!(
        "chunked transfer, proof checks off: PutChunkedFile uploads every chunk under a WOPI lock, one file per \
         connection, each upload unique; GetChunkedFile returns every chunk of MainContent"
    );
    for (n, (label, bytes)) in super::inputs::cspp_inputs().into_iter().enumerate() {
        let prepared = Arc::new(Prepared::new(bytes).with_context(|| label.clone())?);
        let short = label.split(',').next().unwrap_or(&label).to_owned();
        println!("{label}: {} chunks", prepared.head_signature.len() + 1);
        let files = server_rt.block_on(provision(host, n))?;
        let lanes = load_rt.block_on(lanes(host.addr, &files, &prepared))?;
        let get = get_request(&files[0].0, host.addr)?;
        load_rt.block_on(verify(&lanes[0], &prepared, &files[0], &get))?;
        let len = prepared.content.len();

        let name = format!("PutChunkedFile {short}");
        if want(&name) {
            let cap = max.min(u64::try_from(MAX_PUT_BYTES / len.max(1)).unwrap_or(u64::MAX));
            let r = load_rt.block_on(scenario(lanes, CONNECTIONS, duration, cap, Some(len)))?;
            report(&name, &r, None);
            anyhow::ensure!(r.errors == 0, "{name}: {} requests failed", r.errors);
        }
        let name = format!("GetChunkedFile {short}");
        if want(&name) {
            let lane = Lane::new(host.addr, vec![get]);
            let r = load_rt.block_on(scenario(vec![lane], CONNECTIONS, duration, max, Some(len)))?;
            report(&name, &r, None);
            anyhow::ensure!(r.errors == 0, "{name}: {} requests failed", r.errors);
        }
    }
    Ok(())
}

/// One input cut for upload: the chunks before the last one, and where the last (central directory and end
/// record) starts.
struct Prepared {
    content: Vec<u8>,
    tail_at: usize,
    head_signature: Vec<ChunkSignature>,
    /// The Chunk frames of the chunks before the last (each distinct chunk once) and the EndFrame: the part of
    /// every upload body that never changes.
    rest: Vec<u8>,
}

impl Prepared {
    fn new(content: Vec<u8>) -> anyhow::Result<Self> {
        let chunks = chunking::zip(&content).map_err(|e| anyhow::anyhow!("not a zip the Zip scheme cuts: {e}"))?;
        let (last, before) = chunks.split_last().context("a zip without chunks")?;
        // The stamp goes in as a comment, so the archive must end with an end record that has none.
        anyhow::ensure!(
            last.len() >= EOCD_LEN
                && last[last.len() - EOCD_LEN..].starts_with(&EOCD_SIGNATURE)
                && last.ends_with(&[0, 0]),
            "the zip does not end with an end-of-central-directory record without a comment"
        );
        let tail_at = content.len() - last.len();
        let head_signature = chunking::signature(before);
        let mut rest = Vec::new();
        let mut seen = HashSet::new();
        for c in before {
            let frame = Frame::chunk(c);
            if matches!(frame, Frame::Chunk { id, .. } if seen.insert(id)) {
                frame.write_to(&mut rest);
            }
        }
        Frame::End.write_to(&mut rest);
        Ok(Self {
            content,
            tail_at,
            head_signature,
            rest,
        })
    }

    /// The last chunk with `stamp` as an 8-byte zip comment.
    fn tail(&self, stamp: u64) -> Vec<u8> {
        let mut tail = self.content[self.tail_at..].to_vec();
        let n = tail.len();
        tail[n - 2..].copy_from_slice(&8u16.to_le_bytes());
        tail.extend_from_slice(&stamp.to_le_bytes());
        tail
    }

    /// The content an upload stamped `stamp` writes.
    fn content(&self, stamp: u64) -> Vec<u8> {
        let mut content = self.content[..self.tail_at].to_vec();
        content.extend_from_slice(&self.tail(stamp));
        content
    }
}

/// A PutChunkedFile lane: its file, its WOPI lock, and the sequence number the next write must present.
pub(super) struct Put {
    prepared: Arc<Prepared>,
    addr: SocketAddr,
    url: String,
    lock: String,
    sequence: AtomicI32,
}

impl Put {
    /// The request head, the MessageJSON and the stamped last chunk in `own`, then the constant frames.
    pub(super) fn parts<'a>(&'a self, stamp: u64, own: &'a mut Vec<u8>) -> anyhow::Result<[&'a [u8]; 2]> {
        let p = &self.prepared;
        let tail = p.tail(stamp);
        let mut chunk_signatures = p.head_signature.clone();
        chunk_signatures.push(ChunkSignature::of(&tail));
        let request = PutChunkedFileRequest {
            content_properties: Vec::new(),
            signatures: vec![StreamSignature {
                chunk_signatures,
                chunking_scheme: ChunkingScheme::Zip,
                stream_id: StreamId::main(),
            }],
            upload_session_token_to_commit: None,
        };
        let json = message::to_wire_json("PutChunkedFile", &request)?;
        let mut body = Vec::with_capacity(json.len() + tail.len() + 64);
        Frame::MessageJson(&json).write_to(&mut body);
        Frame::chunk(&tail).write_to(&mut body);
        let headers = [
            ("X-WOPI-Override", "PUT_CHUNKED_FILE".to_owned()),
            ("X-WOPI-Lock", self.lock.clone()),
            (
                "X-WOPI-SequenceNumber",
                self.sequence.load(Ordering::Relaxed).to_string(),
            ),
        ];
        own.clear();
        head(own, "POST", &self.url, self.addr, &headers, body.len() + p.rest.len());
        own.extend_from_slice(&body);
        Ok([own, &p.rest])
    }

    /// The sequence number of the host's answer is the one the next write presents.
    pub(super) fn answered(&self, answer: &Answer) -> anyhow::Result<()> {
        let sequence = answer
            .sequence
            .context("PutChunkedFile answered without X-WOPI-SequenceNumber")?;
        self.sequence.store(sequence, Ordering::Relaxed);
        Ok(())
    }
}

/// A file's URL with its access token, and the URL of its contents.
type File = (String, String);

/// [`CONNECTIONS`] new files for input `n`.
async fn provision(host: &Host, n: usize) -> anyhow::Result<Vec<File>> {
    let mut files = Vec::with_capacity(CONNECTIONS);
    for c in 0..CONNECTIONS {
        let name = format!("chunked-{n}-{c}.docx");
        let p = host
            .state
            .provision(DEFAULT_USER, DEFAULT_USER, &name, Bytes::from_static(b"w"))
            .await?;
        let token: String = url::form_urlencoded::byte_serialize(p.access_token.as_bytes()).collect();
        files.push((
            format!("{}?access_token={token}", p.wopisrc),
            format!("{}/contents?access_token={token}", p.wopisrc),
        ));
    }
    Ok(files)
}

/// One lane per file: the file locked, its sequence number read with a GetChunkedFile.
async fn lanes(addr: SocketAddr, files: &[File], prepared: &Arc<Prepared>) -> anyhow::Result<Vec<Lane>> {
    let mut lanes = Vec::with_capacity(files.len());
    for (c, (file, contents)) in files.iter().enumerate() {
        let lock = format!("bench-chunked-{c}");
        let headers = [("X-WOPI-Override", "LOCK".to_owned()), ("X-WOPI-Lock", lock.clone())];
        let status = one_request(addr, &build("POST", file, addr, &headers, b"")).await?;
        anyhow::ensure!(status == 200, "Lock before PutChunkedFile answered {status}");
        let answer = one_exchange(addr, &[&get_request(file, addr)?, &[]], None).await?;
        let sequence = answer
            .sequence
            .filter(|_| answer.status == 200)
            .with_context(|| format!("GetChunkedFile answered {} without a sequence number", answer.status))?;
        let put = Put {
            prepared: prepared.clone(),
            addr,
            url: contents.clone(),
            lock,
            sequence: AtomicI32::new(sequence),
        };
        lanes.push(Lane {
            stamp: Stamp::Chunked(put),
            ..Lane::new(addr, Vec::new())
        });
    }
    Ok(lanes)
}

/// GetChunkedFile of MainContent, no chunk known, every chunk returned.
fn get_request(file: &str, addr: SocketAddr) -> anyhow::Result<Vec<u8>> {
    let request = GetChunkedFileRequest {
        content_filters: vec![ContentFilter {
            already_known_chunks: Vec::new(),
            chunking_scheme: ChunkingScheme::Zip,
            chunks_to_return: ChunksToReturn::All,
            stream_id: StreamId::main(),
        }],
        content_properties_to_return: Vec::new(),
    };
    let body = message::write_body("GetChunkedFile", &request, std::iter::empty::<&[u8]>())?;
    let headers = [("X-WOPI-Override", "GET_CHUNKED_FILE".to_owned())];
    Ok(build("POST", file, addr, &headers, &body))
}

/// One upload through `lane`, then GetFile must return exactly its bytes and `get` must reassemble to them.
async fn verify(lane: &Lane, prepared: &Prepared, (_, contents): &File, get: &[u8]) -> anyhow::Result<()> {
    let stamp = next_stamp();
    let expected = prepared.content(stamp);
    let mut own = Vec::new();
    let put = one_exchange(lane.addr, &lane.parts(0, stamp, &mut own)?, None).await?;
    anyhow::ensure!(put.status == 200, "PutChunkedFile answered {}", put.status);
    lane.answered(&put)?;

    let mut body = Vec::new();
    let get_file = build("GET", contents, lane.addr, &[], b"");
    let answer = one_exchange(lane.addr, &[&get_file, &[]], Some(&mut body)).await?;
    anyhow::ensure!(
        answer.status == 200,
        "GetFile after PutChunkedFile answered {}",
        answer.status
    );
    anyhow::ensure!(
        body == expected,
        "GetFile after PutChunkedFile returned {} bytes, not the {} uploaded",
        body.len(),
        expected.len()
    );

    body.clear();
    let answer = one_exchange(lane.addr, &[get, &[]], Some(&mut body)).await?;
    anyhow::ensure!(answer.status == 200, "GetChunkedFile answered {}", answer.status);
    let frames = FrameStream::parse(&body, &Limits::default())?;
    let message: GetChunkedFileResponse = message::from_wire_json("GetChunkedFile", frames.message)?;
    let main = message
        .signatures
        .iter()
        .find(|s| s.stream_id == StreamId::main())
        .context("GetChunkedFile answered no MainContent signature")?;
    let lookup = |id: &_| frames.chunks.iter().find(|(c, _)| c == id).map(|(_, d)| *d);
    let rebuilt = chunking::reassemble(&main.chunk_signatures, lookup, u64::MAX)?;
    anyhow::ensure!(
        rebuilt == expected,
        "GetChunkedFile reassembled to {} bytes, not the {} uploaded",
        rebuilt.len(),
        expected.len()
    );
    Ok(())
}
