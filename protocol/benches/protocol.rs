//! Timing loops for the hot paths of wopi-protocol: proof signing and verification (every WOPI request carries
//! two signatures and the host checks up to three combinations), UTF-7 name coding, and CSPP Plus incremental
//! transfer: SpookyHash chunk IDs, Zip chunking, frame bodies and reassembly on the validator's Excel and Word
//! fixtures (read in place from `../shared/validator/Resources/ZipChunking/`) and on a generated 10 MiB zip.
//!
//! Plain `fn main` with `std::time::Instant`, no framework: `cargo bench -p wopi-protocol`. Each figure is the
//! median of 5 rounds; the fixed keys in `fixtures/proof-keys/` are used so runs are comparable.
//!
//! Proof signing and verification run on aws-lc-rs; the "rsa crate" rows time the pure-Rust `rsa` crate on the same
//! key and message (what `proof.rs` used before, and still uses for keys aws-lc-rs will not sign with).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use wopi_protocol::cspp::chunking::{self, ChunkSignature, ChunkingScheme};
use wopi_protocol::cspp::frame::{FrameStream, Limits};
use wopi_protocol::cspp::message::{PutChunkedFileRequest, StreamSignature, write_body};
use wopi_protocol::cspp::properties::StreamId;
use wopi_protocol::cspp::spooky::ChunkId;
use wopi_protocol::proof::{
    ProofHeaders, ProofKeyPair, ProofKeys, Ticks, expected_proof, sign_request, verify as verify_request,
};
use wopi_protocol::utf7;

/// The CSPP inputs, shared with the reference host's bench.
#[path = "shared/cspp_inputs.rs"]
mod inputs;

const ROUNDS: usize = 5;
const TOKEN: &str =
    "yZhdN1qgywcOQWhyEMVpB6NE3pvBksvcLXsrFKXNtBeDTPW%2fu62g2t%2fOCWSlb3jUGaz1zc%2fzOzbNgAredLdhQI1Q7sPP";
const URL: &str = "https://contoso.example/wopi/files/vHxYyRGM8VfmSGwGYDBMIQPzuE?access_token=yZhdN1qgywcOQWhyEMVpB6NE3pvBksvcLXsrFKXNtBeDTPW%2fu62g2t%2fOCWSlb3jUGaz1zc%2fzOzbNgAredLdhQI1Q7sPP&access_token_ttl=0";

/// Median wall time per iteration of `f` over `iters` iterations, across [`ROUNDS`] rounds.
fn per_op(iters: u32, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed() / iters
        })
        .collect();
    rounds.sort();
    rounds[ROUNDS / 2]
}

fn fmt_dur(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns >= 1_000_000 {
        format!("{:.3} ms", d.as_secs_f64() * 1e3)
    } else if ns >= 1_000 {
        format!("{:.2} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{ns} ns")
    }
}

fn row(name: &str, iters: u32, d: Duration, extra: &str) {
    println!("| {name:<52} | {iters:>7} | {:>12} | {extra:<18} |", fmt_dur(d));
}

fn pem(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/proof-keys/{name}.pem"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn load(name: &str) -> ProofKeyPair {
    ProofKeyPair::from_pkcs8_pem(&pem(name)).unwrap_or_else(|e| panic!("{name}.pem: {e}"))
}

/// About 1 MiB of file names as a WOPI host sees them: mostly ASCII with spaces and Set O characters, some
/// accented Latin, some CJK, some astral-plane characters (surrogate pairs in UTF-16).
fn utf7_corpus() -> String {
    let names = [
        "Quarterly Report (final) v2.docx",
        "budget_2026_Q3 [draft].xlsx",
        "Présentation générale - équipe.pptx",
        "議事録 2026年11月.docx",
        "notes + ideas ~ misc!.txt",
        "🚀 launch plan 🎉.pptx",
        "plain ascii name.docx",
    ];
    let mut s = String::with_capacity(1 << 20);
    let mut i = 0;
    while s.len() < (1 << 20) {
        s.push_str(names[i % names.len()]);
        s.push('\n');
        i += 1;
    }
    s
}

fn mb_per_s(bytes: usize, d: Duration) -> String {
    format!("{:.1} MB/s", bytes as f64 / d.as_secs_f64() / 1e6)
}

fn main() {
    let current = load("current");
    let old = load("old");
    let keys = ProofKeys {
        current: current.public(),
        old: Some(old.public()),
    };
    let ts = Ticks::now();
    let now = ts.to_system_time().unwrap_or_else(std::time::SystemTime::now);
    let message = expected_proof(TOKEN, URL, ts);
    let signature = current.sign(&message);
    let public = current.public();

    println!(
        "wopi-protocol benchmarks (median of {ROUNDS} rounds; RSA 2048, pre-image {} bytes)",
        message.len()
    );
    println!();
    println!(
        "| {:<52} | {:>7} | {:>12} | {:<18} |",
        "operation", "iters", "per op", "throughput"
    );
    println!("|{:-<54}|{:-<9}|{:-<14}|{:-<20}|", "", "", "", "");

    let d = per_op(200_000, || {
        black_box(expected_proof(black_box(TOKEN), black_box(URL), black_box(ts)));
    });
    row("expected_proof (pre-image construction)", 200_000, d, "");

    let d = per_op(1_000, || {
        black_box(current.sign(black_box(&message)));
    });
    row("ProofKeyPair::sign (one proof)", 1_000, d, "");

    let d = per_op(500, || {
        black_box(sign_request(&current, Some(&old), TOKEN, URL, ts));
    });
    row("sign_request (current + old: both headers)", 500, d, "");

    let d = per_op(20_000, || {
        black_box(public.verify(black_box(&message), black_box(&signature)));
    });
    row("ProofPublicKey::verify (one proof)", 20_000, d, "");

    // The same operations on the pure-Rust rsa crate, for comparison.
    let rsa_private = {
        use rsa::pkcs8::DecodePrivateKey as _;
        rsa::PrivateKey::from_pkcs8_pem(&pem("current")).unwrap_or_else(|e| panic!("current.pem for rsa: {e}"))
    };
    let rsa_public = rsa_private.to_public_key();
    let d = per_op(100, || {
        black_box(rsa_private.pkcs1v15_sign::<sha2::Sha256>(black_box(&message)).ok());
    });
    row("rsa crate: pkcs1v15_sign (reference)", 100, d, "");
    let rsa_signature = rsa_private
        .pkcs1v15_sign::<sha2::Sha256>(&message)
        .unwrap_or_else(|e| panic!("rsa sign: {e}"));
    let d = per_op(2_000, || {
        black_box(
            rsa_public
                .pkcs1v15_verify::<sha2::Sha256>(black_box(&message), black_box(&rsa_signature))
                .is_ok(),
        );
    });
    row("rsa crate: pkcs1v15_verify (reference)", 2_000, d, "");

    let signed = sign_request(&current, Some(&old), TOKEN, URL, ts);
    let headers = ProofHeaders::from_values(
        Some(&signed.proof),
        signed.proof_old.as_deref(),
        Some(&signed.timestamp.to_string()),
    )
    .unwrap_or_else(|e| panic!("headers: {e}"));
    let d = per_op(20_000, || {
        let h = ProofHeaders::from_values(
            Some(&signed.proof),
            signed.proof_old.as_deref(),
            Some(&signed.timestamp.to_string()),
        );
        black_box(h.map(|h| verify_request(&keys, &h, TOKEN, URL, now)).ok());
    });
    row("verify request: parse headers + accept (1st combo)", 20_000, d, "");

    // Worst case a host pays: a request that fails, so all three combinations are tried.
    let stranger = load("next");
    let bad = sign_request(&stranger, Some(&stranger), TOKEN, URL, ts);
    let bad_headers = ProofHeaders {
        proof: bad.proof,
        proof_old: bad.proof_old,
        timestamp: ts,
    };
    let d = per_op(10_000, || {
        black_box(verify_request(&keys, black_box(&bad_headers), TOKEN, URL, now).is_err());
    });
    row("verify request: reject (all 3 combos tried)", 10_000, d, "");
    black_box(&headers);

    let corpus = utf7_corpus();
    let encoded = utf7::encode(&corpus);
    match utf7::decode(&encoded) {
        Ok(back) if back == corpus => {}
        Ok(_) => println!("WARNING: utf7 round trip differs from the input"),
        Err(e) => println!("WARNING: utf7 decode failed: {e}"),
    }
    let d = per_op(10, || {
        black_box(utf7::encode(black_box(&corpus)));
    });
    row(
        &format!("utf7::encode ({} KiB UTF-8 in)", corpus.len() / 1024),
        10,
        d,
        &mb_per_s(corpus.len(), d),
    );
    let d = per_op(10, || {
        black_box(utf7::decode(black_box(&encoded)).ok());
    });
    row(
        &format!("utf7::decode ({} KiB UTF-7 in)", encoded.len() / 1024),
        10,
        d,
        &mb_per_s(encoded.len(), d),
    );

    let ascii: String = corpus.chars().filter(char::is_ascii_alphanumeric).collect();
    let d = per_op(20, || {
        black_box(utf7::encode(black_box(&ascii)));
    });
    row(
        &format!("utf7::encode (Set D only, {} KiB)", ascii.len() / 1024),
        20,
        d,
        &mb_per_s(ascii.len(), d),
    );

    cspp_rows();
}

fn cspp_rows() {
    let inputs = inputs::cspp_inputs();

    println!();
    println!("CSPP Plus incremental transfer (cspp-plus.md §3, §4)");
    println!();
    println!(
        "| {:<52} | {:>7} | {:>12} | {:<18} |",
        "operation", "iters", "per op", "throughput"
    );
    println!("|{:-<54}|{:-<9}|{:-<14}|{:-<20}|", "", "", "", "");
    for (label, bytes) in &inputs {
        let iters = u32::try_from((64 << 20) / bytes.len().max(1))
            .unwrap_or(1)
            .clamp(20, 20_000);
        let d = per_op(iters, || {
            black_box(ChunkId::of(black_box(bytes)));
        });
        row(
            &format!("SpookyHash V2 (one chunk): {label}"),
            iters,
            d,
            &mb_per_s(bytes.len(), d),
        );

        let d = per_op(iters, || {
            black_box(chunking::zip_chunk_offsets(black_box(bytes)).ok());
        });
        // Reads only the zip headers, so a byte rate would mean nothing.
        row(&format!("Zip chunk offsets: {label}"), iters, d, "headers only");

        let d = per_op(iters, || {
            let (_, chunks) = chunking::chunk_by_content(black_box(bytes));
            black_box(chunking::signature(&chunks));
        });
        row(&format!("chunk + sign: {label}"), iters, d, &mb_per_s(bytes.len(), d));

        // PutChunkedFile: the client builds the body, the host parses it (hashing every chunk) and reassembles.
        let (scheme, chunks) = chunking::chunk_by_content(bytes);
        if scheme != ChunkingScheme::Zip {
            println!("WARNING: {label} did not chunk as a zip");
        }
        let sig: Vec<ChunkSignature> = chunking::signature(&chunks);
        let req = PutChunkedFileRequest {
            content_properties: vec![],
            signatures: vec![StreamSignature {
                chunk_signatures: sig.clone(),
                chunking_scheme: scheme,
                stream_id: StreamId::main(),
            }],
            upload_session_token_to_commit: None,
        };
        let body = write_body("PutChunkedFile", &req, chunks.iter().copied()).unwrap_or_else(|e| panic!("body: {e}"));
        let d = per_op(iters, || {
            black_box(write_body("PutChunkedFile", &req, chunks.iter().copied()).ok());
        });
        row(
            &format!("PutChunkedFile body: {label}"),
            iters,
            d,
            &mb_per_s(body.len(), d),
        );
        let d = per_op(iters, || {
            black_box(FrameStream::parse(black_box(&body), &Limits::default()).ok());
        });
        row(
            &format!("parse + ID check: {label}"),
            iters,
            d,
            &mb_per_s(body.len(), d),
        );
        let parsed = FrameStream::parse(&body, &Limits::default()).unwrap_or_else(|e| panic!("parse: {e}"));
        let store: std::collections::HashMap<ChunkId, &[u8]> = parsed.chunks.iter().copied().collect();
        match chunking::reassemble(&sig, |id| store.get(id).copied(), u64::MAX) {
            Ok(back) if back == *bytes => {}
            Ok(_) => println!("WARNING: {label}: reassembly differs from the input"),
            Err(e) => println!("WARNING: {label}: reassembly failed: {e}"),
        }
        let d = per_op(iters, || {
            black_box(chunking::reassemble(&sig, |id| store.get(id).copied(), u64::MAX).ok());
        });
        row(&format!("reassemble: {label}"), iters, d, &mb_per_s(bytes.len(), d));
    }
}
