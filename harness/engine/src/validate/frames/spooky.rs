//! SpookyHash V2 (Bob Jenkins), 128-bit: the chunk ids of incremental file transfer. A port of the hash, kept
//! whole (the validator's vectors test it below).

use base64::Engine as _;

const SC_CONST: u64 = 0xdead_beef_dead_beef;

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
    h3 ^= h2;
    h2 = h2.rotate_left(15);
    h3 = h3.wrapping_add(h2);
    h0 ^= h3;
    h3 = h3.rotate_left(52);
    h0 = h0.wrapping_add(h3);
    h1 ^= h0;
    h0 = h0.rotate_left(26);
    h1 = h1.wrapping_add(h0);
    h2 ^= h1;
    h1 = h1.rotate_left(51);
    h2 = h2.wrapping_add(h1);
    h3 ^= h2;
    h2 = h2.rotate_left(28);
    h3 = h3.wrapping_add(h2);
    h0 ^= h3;
    h3 = h3.rotate_left(9);
    h0 = h0.wrapping_add(h3);
    h1 ^= h0;
    h0 = h0.rotate_left(47);
    h1 = h1.wrapping_add(h0);
    h2 ^= h1;
    h1 = h1.rotate_left(54);
    h2 = h2.wrapping_add(h1);
    h3 ^= h2;
    h2 = h2.rotate_left(32);
    h3 = h3.wrapping_add(h2);
    h0 ^= h3;
    h3 = h3.rotate_left(25);
    h0 = h0.wrapping_add(h3);
    h1 ^= h0;
    h0 = h0.rotate_left(63);
    h1 = h1.wrapping_add(h0);
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

/// SpookyHash V2, 128 bits, seeds 0 and 0: the validator's chunk id function.
pub fn spooky128(msg: &[u8]) -> (u64, u64) {
    if msg.len() < 192 {
        return spooky_short(msg, 0, 0);
    }
    let mut h = [0u64, 0, SC_CONST, 0, 0, SC_CONST, 0, 0, SC_CONST, 0, 0, SC_CONST];
    let blocks = msg.len() / 96;
    for b in 0..blocks {
        mix(&msg[b * 96..b * 96 + 96], &mut h);
    }
    let rest = &msg[blocks * 96..];
    let mut buf = [0u8; 96];
    buf[..rest.len()].copy_from_slice(rest);
    buf[95] = u8::try_from(rest.len()).unwrap_or(0);
    for (i, v) in h.iter_mut().enumerate() {
        *v = v.wrapping_add(rd64(&buf, i * 8));
    }
    end_partial(&mut h);
    end_partial(&mut h);
    end_partial(&mut h);
    (h[0], h[1])
}

/// The 16 raw bytes of a chunk id: `LE(h1) ‖ LE(h2)`.
pub fn chunk_id_bytes(chunk: &[u8]) -> [u8; 16] {
    let (a, b) = spooky128(chunk);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// A chunk id as the JSON messages carry it (base64).
pub fn chunk_id(chunk: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(chunk_id_bytes(chunk))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spooky_vectors_from_the_validator() {
        assert_eq!(spooky128(b"foobar"), (0x86C0_57A5_03ED_DE99, 0x6517_8FE2_4E37_629A));
        assert_eq!(chunk_id(b"foobar"), "md7tA6VXwIaaYjdO4o8XZQ==");
        assert_eq!(chunk_id(b""), "GQn1a/wGJyPHUei0Ze5yiw==");
        assert_eq!(chunk_id(b"SampleTextVersion-1"), "OpSWhpt12BRkuGX4z7bQPg==");
    }

    #[test]
    fn long_inputs_hash_without_panicking_and_differ() {
        let a = vec![1u8; 1000];
        let mut b = a.clone();
        b[999] = 2;
        assert_ne!(spooky128(&a), spooky128(&b));
        assert_ne!(spooky128(&a[..192]), spooky128(&a[..191]));
    }
}
