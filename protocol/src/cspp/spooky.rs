//! Chunk IDs: Bob Jenkins' SpookyHash **V2** (the August 2012 revision), 128 bits, seeds (0, 0), written as
//! `LE64(h1) ‖ LE64(h2)` and carried in JSON as standard base64 with padding (cspp-plus.md §4.2;
//! V:IncrementalFileTransfer/Utils/SpookyHash.cs, MemoryBlob.cs).
//!
//! Our own port rather than a crate: the only crate checked against the note's vectors (`anyhash` 0.1.x) is young,
//! and V1 (what most other ports implement) gives different values. The note's vector table is the unit test below.
//!
//! - Inputs under [`SHORT_LIMIT`] (192) bytes take the short path, which adds `len << 56` to h3 in every case.
//! - Longer inputs are mixed in 96-byte blocks; the end step adds the zero-padded last block with the remainder
//!   length in byte 95 and runs `EndPartial` three times.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// First input length that takes the long path (inputs of 0..=191 bytes take the short one).
pub const SHORT_LIMIT: usize = 192;

/// SpookyHash's arbitrary constant ("not zero, odd, a not-very-regular mix of 1s and 0s").
const SC_CONST: u64 = 0xdead_beef_dead_beef;

/// Block size of the long path.
const BLOCK: usize = 96;

// Callers pass offsets that the loops below keep in bounds; the slices are fixed-size so these cannot fail on
// any input length (the proptests check that).
fn rd64(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

fn rd32(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u64::from(u32::from_le_bytes(w))
}

fn short_mix(h: &mut [u64; 4]) {
    let [mut h0, mut h1, mut h2, mut h3] = *h;
    for (r0, r1, r2, r3) in [(50, 52, 30, 41), (54, 48, 38, 37), (62, 34, 5, 36)] {
        h2 = h2.rotate_left(r0).wrapping_add(h3);
        h0 ^= h2;
        h3 = h3.rotate_left(r1).wrapping_add(h0);
        h1 ^= h3;
        h0 = h0.rotate_left(r2).wrapping_add(h1);
        h2 ^= h0;
        h1 = h1.rotate_left(r3).wrapping_add(h2);
        h3 ^= h1;
    }
    *h = [h0, h1, h2, h3];
}

fn short_end(h: &mut [u64; 4]) {
    let [mut h0, mut h1, mut h2, mut h3] = *h;
    // ShortEnd: eleven (xor, rotate, add) rounds with these rotations, on the pairs (3,2), (0,3), (1,0), (2,1), …
    for (i, rot) in [15u32, 52, 26, 51, 28, 9, 47, 54, 32, 25, 63].into_iter().enumerate() {
        match i % 4 {
            0 => {
                h3 ^= h2;
                h2 = h2.rotate_left(rot);
                h3 = h3.wrapping_add(h2);
            }
            1 => {
                h0 ^= h3;
                h3 = h3.rotate_left(rot);
                h0 = h0.wrapping_add(h3);
            }
            2 => {
                h1 ^= h0;
                h0 = h0.rotate_left(rot);
                h1 = h1.wrapping_add(h0);
            }
            _ => {
                h2 ^= h1;
                h1 = h1.rotate_left(rot);
                h2 = h2.wrapping_add(h1);
            }
        }
    }
    *h = [h0, h1, h2, h3];
}

fn spooky_short(msg: &[u8], seed1: u64, seed2: u64) -> (u64, u64) {
    let length = msg.len();
    let mut h = [seed1, seed2, SC_CONST, SC_CONST];
    let mut p = 0;
    let mut remainder = length % 32;
    if length > 15 {
        let end = (length / 32) * 32;
        while p < end {
            h[2] = h[2].wrapping_add(rd64(msg, p));
            h[3] = h[3].wrapping_add(rd64(msg, p + 8));
            short_mix(&mut h);
            h[0] = h[0].wrapping_add(rd64(msg, p + 16));
            h[1] = h[1].wrapping_add(rd64(msg, p + 24));
            p += 32;
        }
        if remainder >= 16 {
            h[2] = h[2].wrapping_add(rd64(msg, p));
            h[3] = h[3].wrapping_add(rd64(msg, p + 8));
            short_mix(&mut h);
            p += 16;
            remainder -= 16;
        }
    }
    // V2: the length goes into h3 whatever the remainder (V1 added it only for some remainders).
    h[3] = h[3].wrapping_add((length as u64) << 56);
    let t = &msg[p..];
    let byte = |i: usize| u64::from(t[i]);
    let (mut c, mut d) = (h[2], h[3]);
    match remainder {
        12..=15 => {
            if remainder >= 15 {
                d = d.wrapping_add(byte(14) << 48);
            }
            if remainder >= 14 {
                d = d.wrapping_add(byte(13) << 40);
            }
            if remainder >= 13 {
                d = d.wrapping_add(byte(12) << 32);
            }
            d = d.wrapping_add(rd32(t, 8));
            c = c.wrapping_add(rd64(t, 0));
        }
        8..=11 => {
            if remainder >= 11 {
                d = d.wrapping_add(byte(10) << 16);
            }
            if remainder >= 10 {
                d = d.wrapping_add(byte(9) << 8);
            }
            if remainder >= 9 {
                d = d.wrapping_add(byte(8));
            }
            c = c.wrapping_add(rd64(t, 0));
        }
        4..=7 => {
            if remainder >= 7 {
                c = c.wrapping_add(byte(6) << 48);
            }
            if remainder >= 6 {
                c = c.wrapping_add(byte(5) << 40);
            }
            if remainder >= 5 {
                c = c.wrapping_add(byte(4) << 32);
            }
            c = c.wrapping_add(rd32(t, 0));
        }
        1..=3 => {
            if remainder >= 3 {
                c = c.wrapping_add(byte(2) << 16);
            }
            if remainder >= 2 {
                c = c.wrapping_add(byte(1) << 8);
            }
            c = c.wrapping_add(byte(0));
        }
        _ => {
            c = c.wrapping_add(SC_CONST);
            d = d.wrapping_add(SC_CONST);
        }
    }
    h[2] = c;
    h[3] = d;
    short_end(&mut h);
    (h[0], h[1])
}

fn mix(data: &[u8], s: &mut [u64; 12]) {
    const ROT: [u32; 12] = [11, 32, 43, 31, 17, 28, 39, 57, 55, 54, 22, 46];
    for i in 0..12 {
        s[i] = s[i].wrapping_add(rd64(data, i * 8));
        s[(i + 2) % 12] ^= s[(i + 10) % 12];
        s[(i + 11) % 12] ^= s[i];
        s[i] = s[i].rotate_left(ROT[i]);
        s[(i + 11) % 12] = s[(i + 11) % 12].wrapping_add(s[(i + 1) % 12]);
    }
}

fn end_partial(h: &mut [u64; 12]) {
    const ROT: [u32; 12] = [44, 15, 34, 21, 38, 33, 10, 13, 38, 53, 42, 54];
    for (i, rot) in ROT.into_iter().enumerate() {
        // h[i+11] += h[i+1]; h[i+2] ^= h[i+11]; h[i+1] = rot(h[i+1])
        let a = (i + 11) % 12;
        let b = (i + 1) % 12;
        let c = (i + 2) % 12;
        h[a] = h[a].wrapping_add(h[b]);
        h[c] ^= h[a];
        h[b] = h[b].rotate_left(rot);
    }
}

/// SpookyHash V2, 128 bits, seeds 0 and 0: `(h1, h2)`.
pub fn spooky128(msg: &[u8]) -> (u64, u64) {
    if msg.len() < SHORT_LIMIT {
        return spooky_short(msg, 0, 0);
    }
    let mut h = [0u64, 0, SC_CONST, 0, 0, SC_CONST, 0, 0, SC_CONST, 0, 0, SC_CONST];
    let mut blocks = msg.chunks_exact(BLOCK);
    for block in &mut blocks {
        mix(block, &mut h);
    }
    let rest = blocks.remainder();
    let mut last = [0u8; BLOCK];
    last[..rest.len()].copy_from_slice(rest);
    // `rest.len() < 96`, so the conversion never saturates.
    last[BLOCK - 1] = u8::try_from(rest.len()).unwrap_or(u8::MAX);
    for (i, v) in h.iter_mut().enumerate() {
        *v = v.wrapping_add(rd64(&last, i * 8));
    }
    end_partial(&mut h);
    end_partial(&mut h);
    end_partial(&mut h);
    (h[0], h[1])
}

/// Why a string is not a chunk ID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChunkIdError {
    /// Not standard base64 with padding.
    #[error("chunk ID {value:?} is not standard base64 with padding: {reason}")]
    Base64 {
        /// The rejected text (cut to 64 characters).
        value: String,
        /// What the decoder said.
        reason: String,
    },
    /// Decodes, but not to 16 bytes.
    #[error("chunk ID {value:?} decodes to {len} bytes, a chunk ID has 16")]
    Length {
        /// The rejected text (cut to 64 characters).
        value: String,
        /// Decoded length.
        len: usize,
    },
}

/// A chunk ID: the 16 raw bytes of the SpookyHash V2 of the chunk (what a Chunk frame's extended header carries);
/// base64 (24 characters, ending in `==`) in JSON and in [`fmt::Display`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkId([u8; 16]);

impl ChunkId {
    /// The ID of the empty chunk, `GQn1a/wGJyPHUei0Ze5yiw==` (the docs' zero-length MainContent chunk, §4.3).
    pub fn empty() -> ChunkId {
        ChunkId::of(&[])
    }

    /// The ID of `chunk`: SpookyHash V2 (0, 0), `LE64(h1) ‖ LE64(h2)`.
    pub fn of(chunk: &[u8]) -> ChunkId {
        let (h1, h2) = spooky128(chunk);
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&h1.to_le_bytes());
        out[8..].copy_from_slice(&h2.to_le_bytes());
        ChunkId(out)
    }

    /// An ID from its raw bytes (a Chunk frame's extended header).
    pub fn from_bytes(bytes: [u8; 16]) -> ChunkId {
        ChunkId(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Whether `chunk` hashes to this ID.
    pub fn matches(&self, chunk: &[u8]) -> bool {
        ChunkId::of(chunk) == *self
    }

    /// Parses the base64 form (standard alphabet, padding required, exactly 16 bytes).
    pub fn parse(s: &str) -> Result<ChunkId, ChunkIdError> {
        let shown = || s.chars().take(64).collect::<String>();
        let bytes = STANDARD.decode(s).map_err(|e| ChunkIdError::Base64 {
            value: shown(),
            reason: e.to_string(),
        })?;
        let raw: [u8; 16] = bytes.as_slice().try_into().map_err(|_| ChunkIdError::Length {
            value: shown(),
            len: bytes.len(),
        })?;
        Ok(ChunkId(raw))
    }
}

impl fmt::Display for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

impl fmt::Debug for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkId({self})")
    }
}

impl FromStr for ChunkId {
    type Err = ChunkIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChunkId::parse(s)
    }
}

impl Serialize for ChunkId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChunkId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ChunkId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// cspp-plus.md §4.2, every row of the vector table: (input, h1, h2, ChunkId).
    fn vectors() -> Vec<(Vec<u8>, u64, u64, &'static str)> {
        vec![
            (
                b"".to_vec(),
                0x2327_06fc_6bf5_0919,
                0x8b72_ee65_b4e8_51c7,
                "GQn1a/wGJyPHUei0Ze5yiw==",
            ),
            (
                b"foobar".to_vec(),
                0x86c0_57a5_03ed_de99,
                0x6517_8fe2_4e37_629a,
                "md7tA6VXwIaaYjdO4o8XZQ==",
            ),
            (
                b"SampleTextVersion-1".to_vec(),
                0x14d8_759b_8696_943a,
                0x3ed0_b6cf_f865_b864,
                "OpSWhpt12BRkuGX4z7bQPg==",
            ),
            (
                b"Alt_SampleTextVersion-1".to_vec(),
                0x4715_021a_6c11_42b1,
                0xc5a0_e903_0344_c0b9,
                "sUIRbBoCFUe5wEQDA+mgxQ==",
            ),
            (
                b"SampleTextVersion-2".to_vec(),
                0xf8cb_3b3b_7644_78c6,
                0x9eea_b160_9d8d_9b91,
                "xnhEdjs7y/iRm42dYLHqng==",
            ),
            (
                b"Alt_SampleTextVersion-2".to_vec(),
                0xbc29_9528_d4b2_0995,
                0xf3a7_7149_ee8e_a6ea,
                "lQmy1CiVKbzqpo7uSXGn8w==",
            ),
            (
                b"Alt-SampleTextVersion-1".to_vec(),
                0x6009_2326_d28b_0b72,
                0xd097_495a_a095_13bb,
                "cguL0iYjCWC7E5WgWkmX0A==",
            ),
            (
                vec![2u8; 191],
                0xf0ee_5ad3_a4d7_f3cc,
                0x399a_3b1c_05dd_8a74,
                "zPPXpNNa7vB0it0FHDuaOQ==",
            ),
            (
                vec![1u8; 192],
                0x3816_9631_9e87_3000,
                0x5a31_8c76_d5f4_b8e0,
                "ADCHnjGWFjjguPTVdowxWg==",
            ),
            (
                vec![7u8; 300],
                0xd472_ce25_a72b_b8f3,
                0x8c9e_c378_c8ef_af5a,
                "87grpyXOctRar+/IeMOejA==",
            ),
        ]
    }

    #[test]
    fn every_vector_of_the_note() {
        for (input, h1, h2, id) in vectors() {
            assert_eq!(spooky128(&input), (h1, h2), "h1/h2 of a {}-byte input", input.len());
            let got = ChunkId::of(&input);
            assert_eq!(got.to_string(), id, "ChunkId of a {}-byte input", input.len());
            assert_eq!(ChunkId::parse(id), Ok(got));
            assert!(got.matches(&input));
        }
    }

    /// §1.3: MainContent after `PutFile ResourceId="WordSimpleDocument"` has this FullFile chunk ID.
    #[test]
    fn putfile_resource_string_vector() {
        let body = b"WordSimpleDocumentResources\\WordSimpleDocument.docxWordSimpleDocument.docx";
        assert_eq!(body.len(), 74);
        assert_eq!(ChunkId::of(body).to_string(), "D4WEWX/QfxrXdr2brAAMkw==");
    }

    /// §3.3: the raw bytes of `OpSWhpt12BRkuGX4z7bQPg==`.
    #[test]
    fn raw_bytes_are_le_h1_then_le_h2() {
        let id = ChunkId::of(b"SampleTextVersion-1");
        let hex: String = id.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "3a9496869b75d81464b865f8cfb6d03e");
        assert_eq!(ChunkId::empty().to_string(), "GQn1a/wGJyPHUei0Ze5yiw==");
    }

    #[test]
    fn json_form_is_the_base64_string() {
        let id = ChunkId::of(b"foobar");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"md7tA6VXwIaaYjdO4o8XZQ==\"")
        );
        let back: ChunkId = serde_json::from_str("\"md7tA6VXwIaaYjdO4o8XZQ==\"").expect("parse");
        assert_eq!(back, id);
    }

    #[test]
    fn bad_chunk_ids_are_named() {
        let e = ChunkId::parse("md7tA6VXwIaaYjdO4o8XZQ").expect_err("no padding");
        assert!(matches!(e, ChunkIdError::Base64 { .. }), "{e}");
        let e = ChunkId::parse("Zm9vYmFy").expect_err("6 bytes");
        assert_eq!(
            e,
            ChunkIdError::Length {
                value: "Zm9vYmFy".into(),
                len: 6
            }
        );
        assert!(e.to_string().contains("decodes to 6 bytes"));
        let e = ChunkId::parse("md7tA6VXwIaaYjdO4o8X_Q==").expect_err("url-safe alphabet");
        assert!(matches!(e, ChunkIdError::Base64 { .. }), "{e}");
    }

    proptest! {
        #[test]
        fn never_panics_and_is_deterministic(data in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let a = ChunkId::of(&data);
            prop_assert_eq!(a, ChunkId::of(&data));
            prop_assert_eq!(ChunkId::parse(&a.to_string()), Ok(a));
        }

        /// Around the short/long boundary (191/192 bytes) and the 96-byte block edges, one flipped byte
        /// always changes the ID (each path reads every byte).
        #[test]
        fn boundary_lengths_read_every_byte(len in 150usize..400, seed in any::<u8>(), at in any::<prop::sample::Index>()) {
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            let mut flipped = data.clone();
            let i = at.index(len);
            flipped[i] ^= 0x01;
            prop_assert_ne!(ChunkId::of(&data), ChunkId::of(&flipped));
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = ChunkId::parse(&s);
        }
    }

    #[test]
    fn short_and_long_paths_differ_across_the_boundary() {
        // 191 and 192 bytes of the same value: different paths, different IDs, both stable.
        let a = ChunkId::of(&[9u8; 191]);
        let b = ChunkId::of(&[9u8; 192]);
        assert_ne!(a, b);
        assert_eq!(ChunkId::of(&[9u8; 192]), b);
    }
}
