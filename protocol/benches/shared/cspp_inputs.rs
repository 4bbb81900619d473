//! The CSPP Plus bench inputs, shared by `wopi-protocol`'s bench and the reference host's (`#[path]` include, so
//! both time the same bytes): the validator's Excel and Word Zip-chunking fixtures, read in place from
//! `../shared/validator/Resources/ZipChunking/` (never copied into the project), and a 10 MiB zip generated here.

use std::path::PathBuf;

/// The inputs as `(label, bytes)`: Excel V1 MainContent, Word V1 MainContent (each skipped with a one-line note
/// when `../shared/validator` is not beside the checkout), then the generated zip.
pub fn cspp_inputs() -> Vec<(String, Vec<u8>)> {
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (label, rel) in [
        ("Excel V1 Main", "NonZeroByteExcel/Version1/MainContent"),
        ("Word V1 Main", "NonZeroByteWord/Version1/MainContent"),
    ] {
        if let Some(b) = fixture(rel) {
            inputs.push((format!("{label}, {} B", b.len()), b));
        }
    }
    let big = generated_zip();
    inputs.push((format!("zip, {:.1} MiB", big.len() as f64 / f64::from(1 << 20)), big));
    inputs
}

/// A validator zip fixture, or `None` (with a note) when `../shared/validator` is not beside the checkout.
fn fixture(rel: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/validator/Resources/ZipChunking")
        .join(rel)
        .join("FileStream");
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            println!("(skipped {rel}: {}: {e})", path.display());
            None
        }
    }
}

/// A 10 MiB zip written by the `zip` crate: 40 stored entries of 256 KiB of xorshift noise (incompressible, like
/// the images and media that make Office files large).
fn generated_zip() -> Vec<u8> {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(11 << 20)));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..40 {
        w.start_file(format!("word/media/image{i}.bin"), opts)
            .unwrap_or_else(|e| panic!("zip start_file: {e}"));
        let mut data = Vec::with_capacity(256 << 10);
        while data.len() < 256 << 10 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        w.write_all(&data).unwrap_or_else(|e| panic!("zip write: {e}"));
    }
    w.finish().unwrap_or_else(|e| panic!("zip finish: {e}")).into_inner()
}
