//! UTF-7 (RFC 2152) as WOPI clients put file names into headers.
//!
//! `X-WOPI-SuggestedTarget`, `X-WOPI-RelativeTarget` and `X-WOPI-RequestedName` carry names that may hold any
//! Unicode, but HTTP header values are ASCII, so Office (and Microsoft's validator) encode them as UTF-7
//! (`rest/files/PutRelativeFile.rst`). The validator uses .NET's `new UTF7Encoding()` with `allowOptionals =
//! false`; [`encode`] reproduces that byte for byte, because a host that compares names or a harness that checks
//! the echoed name must agree with it exactly.
//!
//! [`decode`] accepts both that form and RFC 2152's optional-direct form (Set O punctuation written as itself,
//! runs ended by any non-base64 character), and rejects what RFC 2152 calls ill-formed with the byte position of
//! the problem, so a host can answer a malformed header with an error instead of a garbled name.

use thiserror::Error;

/// The modified-base64 alphabet of RFC 2152 (standard base64 without `=` padding).
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What .NET writes as itself with `allowOptionals = false`: RFC 2152 Set D plus space, tab, CR and LF.
/// Same set as `UTF7Encoding.directChars` in dotnet/runtime.
fn is_direct(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '\'' | '(' | ')' | ',' | '-' | '.' | '/' | ':' | '?' | ' ' | '\t' | '\r' | '\n'
        )
}

fn base64_value(b: u8) -> Option<u32> {
    let v = match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Encodes `s` exactly as .NET's `new UTF7Encoding().GetBytes(s)` does.
///
/// Set D, space, tab, CR and LF are written directly; every other character (Set O punctuation included, so
/// `_` becomes `+AF8-`) goes into a base64 run over its UTF-16 code units; a `+` outside a run becomes `+-`
/// (inside a run it is base64-encoded like any other character); every run is closed with `-`, even before a
/// character that would end it implicitly.
///
/// ```
/// assert_eq!(wopi_protocol::utf7::encode("madeup_name.wopitestx"), "madeup+AF8-name.wopitestx");
/// assert_eq!(wopi_protocol::utf7::encode("a b+c.docx"), "a b+-c.docx");
/// ```
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    // `bits` holds the not yet written low `bit_count` bits; `None` means "not inside a run" (.NET's -1).
    let mut bits: u32 = 0;
    let mut bit_count: Option<u32> = None;
    for c in s.chars() {
        if is_direct(c) {
            if let Some(n) = bit_count.take() {
                flush_run(&mut out, bits, n);
            }
            out.push(c);
        } else if c == '+' && bit_count.is_none() {
            out.push_str("+-");
        } else {
            let mut units = [0u16; 2];
            for &unit in c.encode_utf16(&mut units).iter() {
                let n = bit_count.get_or_insert_with(|| {
                    out.push('+');
                    0
                });
                // Only the low `n` (< 6) bits are still pending, so masking keeps `bits` from overflowing.
                bits = ((bits & 0x3F) << 16) | u32::from(unit);
                *n += 16;
                while *n >= 6 {
                    *n -= 6;
                    out.push(char::from(BASE64[((bits >> *n) & 0x3F) as usize]));
                }
            }
        }
    }
    if let Some(n) = bit_count {
        flush_run(&mut out, bits, n);
    }
    out
}

/// Writes the last partial sextet of a run (zero-padded) and the closing `-`.
fn flush_run(out: &mut String, bits: u32, pending: u32) {
    if pending > 0 {
        out.push(char::from(BASE64[((bits << (6 - pending)) & 0x3F) as usize]));
    }
    out.push('-');
}

/// What Microsoft's validator actually sends for PutRelativeFile, CreateChildFile and CreateChildContainer:
/// `Uri.UnescapeDataString(HttpUtility.UrlEncode(name, Encoding.UTF7))`, which is [`encode`] with every space
/// turned into `+`. The result is usually not valid UTF-7 (`a b.docx` becomes `a+b.docx`); it exists so the
/// harness can reproduce the validator's requests in parity mode.
pub fn encode_validator_url(s: &str) -> String {
    encode(s).replace(' ', "+")
}

/// Why [`decode`] rejected its input. Every position is a byte offset into the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Utf7Error {
    /// UTF-7 is a 7-bit encoding; a character outside ASCII cannot appear in it.
    #[error("UTF-7 input has the non-ASCII character {found:?} at byte {position}")]
    NonAscii { position: usize, found: char },
    /// A `+` not followed by a base64 character or `-` (RFC 2152 calls this ill-formed).
    #[error("UTF-7 input has a '+' at byte {position} that starts no base64 run and is not the '+-' escape")]
    EmptyRun { position: usize },
    /// A base64 run ended with 6 or more bits that do not make a whole UTF-16 code unit.
    #[error("UTF-7 base64 run ending at byte {position} leaves a partial UTF-16 code unit")]
    PartialCodeUnit { position: usize },
    /// A base64 run ended with padding bits that are not zero, which RFC 2152 forbids.
    #[error("UTF-7 base64 run ending at byte {position} has non-zero padding bits")]
    NonZeroPadding { position: usize },
    /// A low surrogate without a high one before it, or a high surrogate not followed by a low one in the same
    /// run; neither is a character.
    #[error("UTF-7 base64 run has an unpaired UTF-16 surrogate {unit:#06X} at byte {position}")]
    UnpairedSurrogate { position: usize, unit: u16 },
}

/// State of one base64 run while decoding.
struct Run {
    /// Byte offset of the `+` that opened the run.
    start: usize,
    bits: u32,
    bit_count: u32,
    /// A high surrogate waiting for its low half, with the offset where it was completed.
    high: Option<(u16, usize)>,
    /// Whether any base64 character has been read, which tells `+-` from an empty run.
    any: bool,
}

/// Decodes UTF-7 as RFC 2152 defines it.
///
/// Accepts the .NET form [`encode`] writes and the optional-direct forms: any ASCII character outside a run
/// stands for itself, and a run ends at `-` (which is consumed) or at any other non-base64 character (which is
/// kept). Rejects, with the byte offset: non-ASCII input, a `+` that starts an empty run without `-`, a run
/// ending with a partial UTF-16 code unit or non-zero padding bits, and unpaired surrogates (a pair split over
/// two runs counts as unpaired; no encoder writes one).
///
/// ```
/// assert_eq!(wopi_protocol::utf7::decode("A+ImIDkQ.").as_deref(), Ok("A\u{2262}\u{391}."));
/// assert_eq!(wopi_protocol::utf7::decode("madeup_name.wopitestx").as_deref(), Ok("madeup_name.wopitestx"));
/// ```
pub fn decode(s: &str) -> Result<String, Utf7Error> {
    let mut out = String::with_capacity(s.len());
    let mut run: Option<Run> = None;
    for (position, c) in s.char_indices() {
        if !c.is_ascii() {
            return Err(Utf7Error::NonAscii { position, found: c });
        }
        // `c` is ASCII, so this cast is lossless.
        let byte = c as u8;
        if let Some(mut r) = run.take() {
            if let Some(v) = base64_value(byte) {
                r.any = true;
                // 22 bits hold the at most 21 pending ones; older bits were already written out.
                r.bits = ((r.bits << 6) | v) & 0x3F_FFFF;
                r.bit_count += 6;
                if r.bit_count >= 16 {
                    r.bit_count -= 16;
                    // Truncation keeps exactly the 16 bits just completed.
                    let unit = (r.bits >> r.bit_count) as u16;
                    push_unit(&mut out, &mut r, unit, position)?;
                }
                run = Some(r);
                continue;
            }
            end_run(&r, position)?;
            if byte == b'-' {
                if !r.any {
                    out.push('+');
                }
                continue;
            }
            if !r.any {
                return Err(Utf7Error::EmptyRun { position: r.start });
            }
        }
        if byte == b'+' {
            run = Some(Run {
                start: position,
                bits: 0,
                bit_count: 0,
                high: None,
                any: false,
            });
        } else {
            out.push(c);
        }
    }
    if let Some(r) = run {
        end_run(&r, s.len())?;
        if !r.any {
            return Err(Utf7Error::EmptyRun { position: r.start });
        }
    }
    Ok(out)
}

fn push_unit(out: &mut String, r: &mut Run, unit: u16, position: usize) -> Result<(), Utf7Error> {
    match (r.high.take(), unit) {
        (None, 0xD800..=0xDBFF) => {
            r.high = Some((unit, position));
            Ok(())
        }
        (Some((high, _)), 0xDC00..=0xDFFF) => {
            let scalar = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
            // A high/low pair always combines to a scalar value in U+10000..=U+10FFFF.
            let c = char::from_u32(scalar).ok_or(Utf7Error::UnpairedSurrogate { position, unit })?;
            out.push(c);
            Ok(())
        }
        (Some((high, at)), _) => Err(Utf7Error::UnpairedSurrogate {
            position: at,
            unit: high,
        }),
        (None, 0xDC00..=0xDFFF) => Err(Utf7Error::UnpairedSurrogate { position, unit }),
        (None, _) => {
            // Not a surrogate, so always a scalar value.
            let c = char::from_u32(u32::from(unit)).ok_or(Utf7Error::UnpairedSurrogate { position, unit })?;
            out.push(c);
            Ok(())
        }
    }
}

/// Checks the leftovers of a run that ends at byte `position`.
fn end_run(r: &Run, position: usize) -> Result<(), Utf7Error> {
    if let Some((unit, at)) = r.high {
        return Err(Utf7Error::UnpairedSurrogate { position: at, unit });
    }
    if r.bit_count >= 6 {
        return Err(Utf7Error::PartialCodeUnit { position });
    }
    if r.bits & ((1 << r.bit_count) - 1) != 0 {
        return Err(Utf7Error::NonZeroPadding { position });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn oracle_encode(s: &str) -> String {
        let (bytes, _, _) = charcode::UTF_7.encode(s).expect("UTF-7 can encode every string");
        String::from_utf8(bytes.into_owned()).expect("UTF-7 output is ASCII")
    }

    #[test]
    fn encodes_like_dotnet() {
        // Worked examples from validator-semantics.md §2.2.1 (a port of the .NET encoder) and issue #199.
        let cases = [
            ("madeup_name.wopitestx", "madeup+AF8-name.wopitestx"),
            ("new_file.wopitest", "new+AF8-file.wopitest"),
            ("madeup_renamed", "madeup+AF8-renamed"),
            ("container_name", "container+AF8-name"),
            ("文件1.docx", "+ZYdO9g-1.docx"),
            ("naïve~!.txt", "na+AO8-ve+AH4AIQ-.txt"),
            ("a b+c.docx", "a b+-c.docx"),
            ("+", "+-"),
            ("", ""),
            ("Hi Mom -☺-!", "Hi Mom -+Jjo--+ACE-"),
            ("日本語", "+ZeVnLIqe-"),
            // `+` inside a run is base64, not `+-`.
            ("_+", "+AF8AKw-"),
            // An astral character is a surrogate pair inside one run.
            ("😀", "+2D3eAA-"),
            ("tab\tcr\rlf\n", "tab\tcr\rlf\n"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(encode(plain), encoded, "encode({plain:?})");
            assert_eq!(decode(encoded).as_deref(), Ok(plain), "decode({encoded:?})");
        }
    }

    #[test]
    fn validator_url_variant_turns_spaces_into_plus() {
        assert_eq!(encode_validator_url("a b+c.docx"), "a+b+-c.docx");
        assert_eq!(
            encode_validator_url("madeup_name.wopitestx"),
            "madeup+AF8-name.wopitestx"
        );
        // The ambiguity the notes warn about: the result is not the name any more.
        assert_ne!(decode(&encode_validator_url("a b.docx")).as_deref(), Ok("a b.docx"));
    }

    #[test]
    fn decodes_rfc2152_optional_direct_forms() {
        let cases = [
            ("A+ImIDkQ.", "A\u{2262}\u{391}."),
            ("Hi Mom -+Jjo--!", "Hi Mom -\u{263A}-!"),
            ("+ZeVnLIqe-", "日本語"),
            ("Item 3 is +AKM-1.", "Item 3 is \u{A3}1."),
            ("Item 3 is +AKM 1.", "Item 3 is \u{A3} 1."),
            ("madeup_name.wopitestx", "madeup_name.wopitestx"),
            ("~!@#$%^&*{}[]\\|\"<>;=`", "~!@#$%^&*{}[]\\|\"<>;=`"),
            ("+--", "+-"),
            ("+-+-", "++"),
            ("+AF8--", "_-"),
            ("a+AF8", "a_"),
        ];
        for (encoded, plain) in cases {
            assert_eq!(decode(encoded).as_deref(), Ok(plain), "decode({encoded:?})");
        }
    }

    #[test]
    fn rejects_malformed_input_with_position() {
        let cases = [
            (
                "abcé",
                Utf7Error::NonAscii {
                    position: 3,
                    found: 'é',
                },
            ),
            ("ab+", Utf7Error::EmptyRun { position: 2 }),
            ("ab+!", Utf7Error::EmptyRun { position: 2 }),
            // 6 bits: not even one sextet short of a code unit.
            ("x+A-", Utf7Error::PartialCodeUnit { position: 3 }),
            // The validator's space quirk: `a b.docx` sent as `a+b.docx`.
            ("a+b.docx", Utf7Error::PartialCodeUnit { position: 3 }),
            // `AF9` = 0x005F plus padding bits 01.
            ("+AF9-", Utf7Error::NonZeroPadding { position: 4 }),
            // Lone low surrogate U+DC00.
            (
                "+3AA-",
                Utf7Error::UnpairedSurrogate {
                    position: 3,
                    unit: 0xDC00,
                },
            ),
            // High surrogate U+D83D at the end of the run.
            (
                "+2D0-",
                Utf7Error::UnpairedSurrogate {
                    position: 3,
                    unit: 0xD83D,
                },
            ),
            // High surrogate followed by a non-surrogate (U+0041).
            (
                "+2D0AQQ-",
                Utf7Error::UnpairedSurrogate {
                    position: 3,
                    unit: 0xD83D,
                },
            ),
            // A pair split over two runs.
            (
                "+2D0-+3gA-",
                Utf7Error::UnpairedSurrogate {
                    position: 3,
                    unit: 0xD83D,
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(decode(input), Err(expected.clone()), "decode({input:?})");
            assert!(expected.to_string().contains("byte"), "{expected}");
        }
    }

    /// Names the validator's TestCases.xml sends in UTF-7 headers (read from ../shared at test time, never copied).
    #[test]
    fn round_trips_names_from_validator_test_cases() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/validator/TestCases.xml");
        let Ok(xml) = std::fs::read_to_string(path) else {
            eprintln!("skipping: {path} not present");
            return;
        };
        // The `Name` attribute of the requests whose names travel UTF-7 encoded.
        let mut names = Vec::new();
        for element in [
            "<PutRelativeFile ",
            "<RenameFile ",
            "<CreateChildFile ",
            "<CreateChildContainer ",
            "<RenameContainer ",
        ] {
            for piece in xml.split(element).skip(1) {
                let tag = piece.split('>').next().unwrap_or_default();
                if let Some(value) = tag.split(" Name=\"").nth(1).and_then(|v| v.split('"').next()) {
                    names.push(value);
                }
            }
        }
        assert!(names.len() > 20, "too few names found: {names:?}");
        assert!(
            names.contains(&"madeup_name.wopitestx"),
            "expected the known name among {names:?}"
        );
        assert_eq!(encode("madeup_name.wopitestx"), "madeup+AF8-name.wopitestx");
        for name in names {
            assert_eq!(decode(&encode(name)).as_deref(), Ok(name), "{name:?}");
            assert_eq!(encode(name), oracle_encode(name), "{name:?}");
        }
    }

    proptest! {
        #[test]
        fn round_trips_any_unicode(s in any::<String>()) {
            let encoded = encode(&s);
            prop_assert!(encoded.is_ascii());
            prop_assert_eq!(decode(&encoded), Ok(s));
        }

        #[test]
        fn round_trips_astral_heavy(s in "[a-z_+ \u{10000}-\u{10FFFF}\u{80}-\u{FFFF}]{0,24}") {
            prop_assert_eq!(decode(&encode(&s)), Ok(s));
        }

        #[test]
        fn matches_oracle_encoder(s in any::<String>()) {
            prop_assert_eq!(encode(&s), oracle_encode(&s));
        }

        #[test]
        fn decode_never_panics(s in any::<String>()) {
            let _ = decode(&s);
        }

        #[test]
        fn decode_never_panics_on_utf7_alphabet(s in "[+\\-A-Za-z0-9/_. !é]{0,40}") {
            match decode(&s) {
                // Whatever decodes must be what an RFC 2152 decoder reads too.
                Ok(text) => {
                    let (oracle, _, tally) = charcode::UTF_7.decode(s.as_bytes());
                    prop_assert_eq!(tally.errors, 0);
                    prop_assert_eq!(text, oracle.into_owned());
                }
                Err(e) => prop_assert!(e.to_string().contains("byte")),
            }
        }
    }
}
