//! Proof keys: how Office for the web signs every WOPI request and how a host checks the signature.
//!
//! Source: `online/scenarios/proofkeys.rst`, and the validator's `ProofKeyHelper.cs` (see
//! `notes/validator-semantics.md` §3). The client signs a pre-image built from the access token, the request URL
//! and the `X-WOPI-TimeStamp` value ([`expected_proof`]) with RSA PKCS#1 v1.5 over SHA-256, once with its current
//! key (`X-WOPI-Proof`) and once with its old key (`X-WOPI-ProofOld`). The host accepts the request if any of three
//! combinations verifies ([`ProofAccepted`]) and the timestamp is no more than 20 minutes old ([`verify`]).
//!
//! Public keys come from discovery in two forms, both supported here: the base64 modulus/exponent pair
//! ([`ProofPublicKey::from_modulus_exponent`]) and the .NET `ExportCspBlob` form
//! ([`ProofPublicKey::from_csp_blob`], [`ProofPublicKey::to_csp_blob`]).
//!
//! Verification and signing run on aws-lc-rs (a host checks up to three signatures per request and must sustain
//! thousands of requests a second on one core: about 15 µs per verify against 64 µs for the pure-Rust `rsa`
//! crate). The `rsa` crate still does key generation, PEM and the CSP blob numbers, and signs for keys aws-lc-rs
//! will not sign with (below 2048 bits); PKCS#1 v1.5 is deterministic, so both give byte-identical signatures.
//!
//! Nothing here panics on input from a peer: malformed base64, truncated blobs, tiny moduli and wrong-length
//! signatures all come back as a [`KeyError`] or [`ProofError`] that says what was wrong.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest::{self, Digest, SHA256};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, RSA_PKCS1_SHA256, RsaKeyPair,
    RsaPublicKeyComponents,
};
use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::{BoxedUint, PrivateKey, PublicKey};
use sha2::{Digest as _, Sha256};

/// Re-exported: the timestamp unit lives in [`crate::dotnet`] with the other .NET time rules.
pub use crate::dotnet::Ticks;
use crate::dotnet::{MalformedTicks, TICKS_PER_SEC, duration_to_ticks};
use crate::headers::{X_WOPI_PROOF, X_WOPI_PROOF_OLD, X_WOPI_TIMESTAMP};

/// How old a proof may be: "Ensure that the X-WOPI-TimeStamp header is no more than 20 minutes old" (proofkeys.rst).
pub const MAX_PROOF_AGE: Duration = Duration::from_secs(20 * 60);

/// How far in the future a timestamp may lie before it is rejected. The docs only bound the age; without a bound
/// on the other side a proof stamped a year ahead would stay valid for a year (WopiHost#296 added the same check).
/// Five minutes absorbs ordinary clock skew between client and host.
pub const MAX_CLOCK_SKEW_FUTURE: Duration = Duration::from_secs(5 * 60);

/// Key size of [`ProofKeyPair::generate`]: what Office for the web publishes (the vectors' blob says 2048 bits).
pub const GENERATED_KEY_BITS: usize = 2048;

/// CAPI `PUBLICKEYBLOB` header fields (`BLOBHEADER` + `RSAPUBKEY`, see `RSACryptoServiceProvider.ExportCspBlob`).
const BLOB_TYPE_PUBLIC: u8 = 0x06;
const BLOB_TYPE_PRIVATE: u8 = 0x07;
const BLOB_VERSION: u8 = 0x02;
/// `CALG_RSA_KEYX`: what .NET writes for an exchange key, the kind Office publishes.
const CALG_RSA_KEYX: u32 = 0x0000_A400;
/// `CALG_RSA_SIGN`: a signature key; same layout, accepted on import.
const CALG_RSA_SIGN: u32 = 0x0000_2400;
/// "RSA1" read as a little-endian u32.
const RSA1_MAGIC: &[u8; 4] = b"RSA1";
const BLOB_HEADER_LEN: usize = 20;

/// Base64 as .NET's `Convert.FromBase64String` reads it, but tolerant of missing padding (some discovery
/// generators strip it).
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn b64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    LENIENT_B64.decode(s.trim())
}

// ---------------------------------------------------------------------------------------------------------------
// Pre-image
// ---------------------------------------------------------------------------------------------------------------

/// The bytes a proof signs (proofkeys.rst "Constructing the expected proof", validator `ProofKeyHelper.cs`):
///
/// `BE32(len token) ‖ token ‖ BE32(len URL) ‖ URL upper-cased ‖ BE32(8) ‖ BE64(ticks)`, strings as UTF-8.
///
/// `url` must be the full URL exactly as sent, query string included (scheme, host, port and percent-encoding
/// all matter; only letter case does not). Upper-casing uses simple per-character mapping like .NET's
/// `ToUpperInvariant`, so a character whose upper case is several characters (`ß`) stays as it is.
#[must_use]
pub fn expected_proof(access_token: &str, url: &str, timestamp: Ticks) -> Vec<u8> {
    let url_upper = upper_invariant(url);
    let mut out = Vec::with_capacity(4 + access_token.len() + 4 + url_upper.len() + 4 + 8);
    push_len_prefixed(&mut out, access_token.as_bytes());
    push_len_prefixed(&mut out, url_upper.as_bytes());
    push_len_prefixed(&mut out, &timestamp.0.to_be_bytes());
    out
}

fn push_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    // A string over 4 GiB cannot reach us through HTTP headers; saturating keeps this total without a panic.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// .NET `ToUpperInvariant`: one-to-one simple case mapping; ASCII fast path since URLs are nearly always ASCII.
fn upper_invariant(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------------

/// Why a key could not be read, built or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A base64 field did not decode.
    #[error("{field} is not valid base64: {detail}")]
    NotBase64 {
        /// Which input (e.g. "modulus", "CSP blob").
        field: &'static str,
        /// The decoder's message.
        detail: String,
    },
    /// A field decoded to zero bytes or to the number zero.
    #[error("{field} is empty")]
    Empty {
        /// Which input.
        field: &'static str,
    },
    /// The modulus is shorter than RSA allows here (1024 bits minimum).
    #[error("modulus has {bits} bits; at least 1024 are required")]
    ModulusTooSmall {
        /// Bit length of the modulus given.
        bits: u64,
    },
    /// The modulus is longer than 8192 bits (a denial-of-service guard).
    #[error("modulus has {bits} bits; at most 8192 are accepted")]
    ModulusTooLarge {
        /// Bit length of the modulus given.
        bits: u64,
    },
    /// The public exponent is outside what RSA and the CSP blob format allow (3 ..= 2^32-1, odd).
    #[error("public exponent is invalid: {0}")]
    BadExponent(String),
    /// The key material was rejected by the RSA implementation (e.g. even modulus).
    #[error("invalid RSA key: {0}")]
    InvalidKey(String),
    /// The CSP blob is shorter than its 20-byte header.
    #[error("CSP blob is {len} bytes; a PUBLICKEYBLOB has at least a 20-byte header")]
    BlobTooShort {
        /// Decoded length.
        len: usize,
    },
    /// The blob's first byte is not `PUBLICKEYBLOB` (0x06).
    #[error("CSP blob type is 0x{found:02x}; expected 0x06 (PUBLICKEYBLOB){hint}")]
    BlobType {
        /// The byte found.
        found: u8,
        /// Extra explanation for a private-key blob.
        hint: &'static str,
    },
    /// The blob version is not 2.
    #[error("CSP blob version is {found}; expected 2")]
    BlobVersion {
        /// The byte found.
        found: u8,
    },
    /// The reserved field is not zero.
    #[error("CSP blob reserved field is 0x{found:04x}; expected 0")]
    BlobReserved {
        /// The value found.
        found: u16,
    },
    /// The algorithm id is neither `CALG_RSA_KEYX` nor `CALG_RSA_SIGN`.
    #[error("CSP blob algorithm is 0x{found:08x}; expected 0x0000a400 (CALG_RSA_KEYX) or 0x00002400 (CALG_RSA_SIGN)")]
    BlobAlgorithm {
        /// The value found.
        found: u32,
    },
    /// The `RSAPUBKEY` magic is not "RSA1".
    #[error("CSP blob magic is {found:?}; expected \"RSA1\"")]
    BlobMagic {
        /// The four bytes found, lossily as text.
        found: String,
    },
    /// The bit length in the blob is zero or not a whole number of bytes.
    #[error("CSP blob bit length {bitlen} is not a positive multiple of 8")]
    BlobBitLength {
        /// The value found.
        bitlen: u32,
    },
    /// The blob's size does not match its bit length.
    #[error("CSP blob is {found} bytes; its bit length {bitlen} requires {expected}")]
    BlobLength {
        /// Declared bit length.
        bitlen: u32,
        /// `20 + bitlen / 8`.
        expected: usize,
        /// Decoded length.
        found: usize,
    },
    /// A PEM private key could not be read.
    #[error("cannot read private key PEM: {0}")]
    Pem(String),
    /// Key generation failed (the OS random source failed).
    #[error("cannot generate an RSA key: {0}")]
    Generate(String),
    /// A key could not be encoded.
    #[error("cannot encode the key: {0}")]
    Encode(String),
    /// Signing failed.
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// An RSA public key as a host learns it from discovery.
///
/// Invariant: modulus 1024..=8192 bits, odd; exponent fits 32 bits (the CSP blob carries it as a u32), so
/// [`to_csp_blob`](Self::to_csp_blob) cannot fail.
#[derive(Clone)]
pub struct ProofPublicKey {
    key: PublicKey,
    /// The same key parsed once by aws-lc-rs, so each verify skips key setup. The 1024..=8192 "legacy" parameters
    /// because old validator keys are 1024-bit. `None` only if aws-lc-rs refused a key the `rsa` crate accepted;
    /// then `rsa` verifies (slower, same answers).
    fast: Option<Arc<ParsedPublicKey>>,
}

impl PartialEq for ProofPublicKey {
    /// `fast` is derived from `key`, so the numbers decide.
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for ProofPublicKey {}

impl fmt::Debug for ProofPublicKey {
    /// The numbers only: the parsed aws-lc-rs form would repeat them as a long hex DER string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofPublicKey").field("key", &self.key).finish()
    }
}

impl ProofPublicKey {
    /// From the base64 big-endian `modulus` and `exponent` attributes of discovery's `<proof-key>`.
    ///
    /// # Errors
    /// [`KeyError`] naming the field that is not base64, or why the numbers do not form an acceptable key.
    pub fn from_modulus_exponent(modulus_b64: &str, exponent_b64: &str) -> Result<Self, KeyError> {
        let n = b64_decode(modulus_b64).map_err(|e| KeyError::NotBase64 {
            field: "modulus",
            detail: e.to_string(),
        })?;
        let e = b64_decode(exponent_b64).map_err(|e| KeyError::NotBase64 {
            field: "exponent",
            detail: e.to_string(),
        })?;
        Self::from_be_parts(&n, &e)
    }

    /// From the base64 `value`/`oldvalue` attribute: a .NET `ExportCspBlob` PUBLICKEYBLOB (see [`Self::to_csp_blob`]).
    ///
    /// # Errors
    /// [`KeyError`] naming the header field, magic or length that is wrong.
    pub fn from_csp_blob(value_b64: &str) -> Result<Self, KeyError> {
        let blob = b64_decode(value_b64).map_err(|e| KeyError::NotBase64 {
            field: "CSP blob",
            detail: e.to_string(),
        })?;
        if blob.len() < BLOB_HEADER_LEN {
            return Err(KeyError::BlobTooShort { len: blob.len() });
        }
        let le32 = |at: usize| u32::from_le_bytes([blob[at], blob[at + 1], blob[at + 2], blob[at + 3]]);
        match blob[0] {
            BLOB_TYPE_PUBLIC => {}
            BLOB_TYPE_PRIVATE => {
                return Err(KeyError::BlobType {
                    found: BLOB_TYPE_PRIVATE,
                    hint: "; this is a PRIVATEKEYBLOB, never publish a private key",
                });
            }
            found => return Err(KeyError::BlobType { found, hint: "" }),
        }
        if blob[1] != BLOB_VERSION {
            return Err(KeyError::BlobVersion { found: blob[1] });
        }
        let reserved = u16::from_le_bytes([blob[2], blob[3]]);
        if reserved != 0 {
            return Err(KeyError::BlobReserved { found: reserved });
        }
        let alg = le32(4);
        if alg != CALG_RSA_KEYX && alg != CALG_RSA_SIGN {
            return Err(KeyError::BlobAlgorithm { found: alg });
        }
        if &blob[8..12] != RSA1_MAGIC {
            return Err(KeyError::BlobMagic {
                found: String::from_utf8_lossy(&blob[8..12]).into_owned(),
            });
        }
        let bitlen = le32(12);
        if bitlen == 0 || bitlen % 8 != 0 {
            return Err(KeyError::BlobBitLength { bitlen });
        }
        let modulus_len = usize::try_from(bitlen / 8).unwrap_or(usize::MAX);
        let expected = BLOB_HEADER_LEN.saturating_add(modulus_len);
        if blob.len() != expected {
            return Err(KeyError::BlobLength {
                bitlen,
                expected,
                found: blob.len(),
            });
        }
        let exponent = le32(16);
        let mut modulus_be = blob[BLOB_HEADER_LEN..].to_vec();
        modulus_be.reverse();
        Self::from_be_parts(&modulus_be, &exponent.to_be_bytes())
    }

    fn from_be_parts(modulus: &[u8], exponent: &[u8]) -> Result<Self, KeyError> {
        let modulus = strip_leading_zeros(modulus);
        let exponent = strip_leading_zeros(exponent);
        if modulus.is_empty() {
            return Err(KeyError::Empty { field: "modulus" });
        }
        if exponent.is_empty() {
            return Err(KeyError::Empty { field: "exponent" });
        }
        // Check sizes before handing the numbers to rsa so the error can say how many bits there were.
        let bits = bit_length(modulus);
        if bits < u64::try_from(PublicKey::MIN_SIZE).unwrap_or(u64::MAX) {
            return Err(KeyError::ModulusTooSmall { bits });
        }
        if bits > u64::try_from(PublicKey::MAX_SIZE).unwrap_or(u64::MAX) {
            return Err(KeyError::ModulusTooLarge { bits });
        }
        if exponent.len() > 4 {
            return Err(KeyError::BadExponent(format!(
                "{} bytes; a CSP blob can only carry a 32-bit exponent",
                exponent.len()
            )));
        }
        let n = BoxedUint::from_be_slice_vartime(modulus);
        let e = BoxedUint::from_be_slice_vartime(exponent);
        let key = PublicKey::new(n, e).map_err(|err| match err {
            rsa::Error::PublicExponentTooSmall | rsa::Error::PublicExponentTooLarge | rsa::Error::InvalidExponent => {
                KeyError::BadExponent(err.to_string())
            }
            other => KeyError::InvalidKey(other.to_string()),
        })?;
        Self::from_rsa(key)
    }

    fn from_rsa(key: PublicKey) -> Result<Self, KeyError> {
        if key.e_bytes().len() > 4 {
            return Err(KeyError::BadExponent(
                "wider than 32 bits; a CSP blob cannot carry it".to_owned(),
            ));
        }
        let n = key.n_bytes();
        let e = key.e_bytes();
        let components = RsaPublicKeyComponents {
            n: strip_leading_zeros(&n),
            e: strip_leading_zeros(&e),
        };
        let fast = components
            .to_parsed_public_key(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY)
            .ok()
            .map(Arc::new);
        Ok(ProofPublicKey { key, fast })
    }

    /// Whether verification runs on aws-lc-rs (for tests: a silent fallback to `rsa` would only show as slowness).
    #[cfg(test)]
    fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// The .NET `ExportCspBlob` form, base64: `06 02 00 00 00 A4 00 00`, `"RSA1"`, bit length LE32, exponent LE32,
    /// modulus little-endian padded to bit length / 8 bytes. Byte-exact with what Office publishes in `value`.
    #[must_use]
    pub fn to_csp_blob(&self) -> String {
        let modulus_len = self.key.size();
        let bitlen = u32::try_from(modulus_len.saturating_mul(8)).unwrap_or(u32::MAX);
        let exponent = self.exponent_u32();
        let mut blob = Vec::with_capacity(BLOB_HEADER_LEN + modulus_len);
        blob.extend_from_slice(&[BLOB_TYPE_PUBLIC, BLOB_VERSION, 0, 0]);
        blob.extend_from_slice(&CALG_RSA_KEYX.to_le_bytes());
        blob.extend_from_slice(RSA1_MAGIC);
        blob.extend_from_slice(&bitlen.to_le_bytes());
        blob.extend_from_slice(&exponent.to_le_bytes());
        let n = self.key.n_bytes();
        let mut modulus_le = vec![0u8; modulus_len];
        for (dst, src) in modulus_le.iter_mut().zip(n.iter().rev()) {
            *dst = *src;
        }
        blob.extend_from_slice(&modulus_le);
        STANDARD.encode(blob)
    }

    fn exponent_u32(&self) -> u32 {
        // Invariant (checked in `from_rsa`): the exponent has at most 4 bytes.
        self.key
            .e_bytes()
            .iter()
            .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
    }

    /// The modulus as discovery's `modulus` attribute writes it: base64 of the big-endian bytes, no leading zero.
    #[must_use]
    pub fn modulus_b64(&self) -> String {
        STANDARD.encode(self.key.n_bytes())
    }

    /// The exponent as discovery's `exponent` attribute writes it (`"AQAB"` for 65537).
    #[must_use]
    pub fn exponent_b64(&self) -> String {
        STANDARD.encode(self.key.e_bytes())
    }

    /// Modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }

    /// Whether `signature_b64` is a valid PKCS#1 v1.5 SHA-256 signature of `message` by this key.
    /// Malformed base64 and wrong-length signatures are simply `false`; see [`verify`] for the reason.
    #[must_use]
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> bool {
        self.check(&digest::digest(&SHA256, message), signature_b64).is_ok()
    }

    /// `digest` is SHA-256 of the pre-image, computed once by [`verify`] for all three combinations.
    fn check(&self, digest: &Digest, signature_b64: &str) -> Result<(), AttemptFailure> {
        let sig = b64_decode(signature_b64).map_err(|_| AttemptFailure::NotBase64)?;
        let expected = self.key.size();
        if sig.len() != expected {
            return Err(AttemptFailure::WrongLength {
                expected,
                found: sig.len(),
            });
        }
        let verified = match &self.fast {
            Some(fast) => fast.verify_digest_sig(digest, &sig).is_ok(),
            None => self
                .key
                .pkcs1v15_verify_prehash::<Sha256>(digest.as_ref(), &sig)
                .is_ok(),
        };
        if verified {
            Ok(())
        } else {
            Err(AttemptFailure::Mismatch)
        }
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Bit length of a big-endian number with no leading zero byte (empty = 0).
fn bit_length(be: &[u8]) -> u64 {
    match be.first() {
        None => 0,
        Some(top) => {
            let bytes = u64::try_from(be.len()).unwrap_or(u64::MAX);
            bytes.saturating_sub(1).saturating_mul(8) + u64::from(8 - top.leading_zeros())
        }
    }
}

/// An RSA private key that signs proofs (the mock Office client's side).
#[derive(Clone)]
pub struct ProofKeyPair {
    private: PrivateKey,
    public: ProofPublicKey,
    /// The same key loaded into aws-lc-rs, which signs about 10x faster than `rsa`. `None` for keys below 2048 bits
    /// (aws-lc-rs refuses to sign with them); `rsa` signs those.
    fast: Option<Arc<RsaKeyPair>>,
}

impl fmt::Debug for ProofKeyPair {
    /// Shows the public half only: a key pair can end up in logs, its private exponent must not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let modulus = self.public.modulus_b64();
        let prefix: String = modulus.chars().take(16).collect();
        f.debug_struct("ProofKeyPair")
            .field("bits", &self.public.bits())
            .field("modulus", &format_args!("{prefix}…"))
            .field("private", &"<redacted>")
            .finish()
    }
}

impl ProofKeyPair {
    /// A fresh 2048-bit key with exponent 65537 from the OS random source (tens of ms in release).
    ///
    /// aws-lc-rs generates it: the `rsa` crate's pure-Rust prime search took 0.1 to 1 s per key in release builds,
    /// and every key rotation in a suite waits for one. PKCS#8 carries the key over to `rsa` (PEM, CSP numbers).
    ///
    /// # Errors
    /// [`KeyError::Generate`] if the random source fails.
    pub fn generate() -> Result<Self, KeyError> {
        const _: () = assert!(
            GENERATED_KEY_BITS == 2048,
            "KeySize below must match GENERATED_KEY_BITS"
        );
        let generated = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| KeyError::Generate(e.to_string()))?;
        let der: Pkcs8V1Der<'static> = generated.as_der().map_err(|e| KeyError::Generate(e.to_string()))?;
        let private = PrivateKey::from_pkcs8_der(der.as_ref()).map_err(|e| KeyError::Generate(e.to_string()))?;
        Self::from_private(private)
    }

    /// From a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, what `openssl genpkey` writes), e.g. the fixed keys in
    /// `fixtures/proof-keys/`.
    ///
    /// # Errors
    /// [`KeyError::Pem`] if the text is not an unencrypted PKCS#8 RSA key, or a [`KeyError`] if the key is not
    /// acceptable as a proof key (size, exponent).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let private = PrivateKey::from_pkcs8_pem(pem).map_err(|e| KeyError::Pem(format!("PKCS#8: {e}")))?;
        Self::from_private(private)
    }

    /// From either PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`, what `openssl genrsa`
    /// traditionally writes) PEM.
    ///
    /// # Errors
    /// As [`Self::from_pkcs8_pem`].
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
            let private = PrivateKey::from_pkcs1_pem(pem).map_err(|e| KeyError::Pem(format!("PKCS#1: {e}")))?;
            Self::from_private(private)
        } else {
            Self::from_pkcs8_pem(pem)
        }
    }

    fn from_private(private: PrivateKey) -> Result<Self, KeyError> {
        let public = ProofPublicKey::from_rsa(private.to_public_key())?;
        let bits = u64::try_from(public.bits()).unwrap_or(u64::MAX);
        if public.bits() < PublicKey::MIN_SIZE {
            return Err(KeyError::ModulusTooSmall { bits });
        }
        // PKCS#8 is the one private encoding both crates share; a failure here only costs speed.
        let fast = private
            .to_pkcs8_der()
            .ok()
            .and_then(|der| RsaKeyPair::from_pkcs8(der.as_bytes()).ok())
            .map(Arc::new);
        Ok(ProofKeyPair { private, public, fast })
    }

    /// PKCS#8 PEM with LF line endings, readable by [`Self::from_pkcs8_pem`] and OpenSSL.
    ///
    /// # Errors
    /// [`KeyError::Encode`] if DER encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        let pem = self
            .private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Encode(e.to_string()))?;
        Ok(pem.as_str().to_owned())
    }

    /// The public half, as discovery publishes it.
    #[must_use]
    pub fn public(&self) -> ProofPublicKey {
        self.public.clone()
    }

    /// Base64 RSA PKCS#1 v1.5 SHA-256 signature of `message` (what goes into `X-WOPI-Proof`). aws-lc-rs signs
    /// (it blinds internally); for keys it does not take, `rsa` signs, blinded with the OS random source.
    ///
    /// # Errors
    /// [`KeyError::Sign`] if the `rsa` fallback's random source fails.
    pub fn try_sign(&self, message: &[u8]) -> Result<String, KeyError> {
        if let Some(sig) = self.fast_sign(message) {
            return Ok(STANDARD.encode(sig));
        }
        let sig = self
            .private
            .pkcs1v15_sign::<Sha256>(message)
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        Ok(STANDARD.encode(sig))
    }

    /// aws-lc-rs's signature, or `None` if there is no aws-lc-rs key or it failed (then `rsa` signs).
    fn fast_sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let fast = self.fast.as_ref()?;
        let mut sig = vec![0u8; fast.public_modulus_len()];
        // aws-lc-rs ignores the RNG argument (it blinds with its own); it is only there for ring compatibility.
        let rng = aws_lc_rs::rand::SystemRandom::new();
        fast.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig).ok()?;
        Some(sig)
    }

    /// As [`Self::try_sign`], infallible: PKCS#1 v1.5 is deterministic, the random source only blinds the private
    /// operation, so if the OS source fails we blind with a hash-derived stream instead and get the same signature.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> String {
        if let Ok(sig) = self.try_sign(message) {
            return sig;
        }
        let mut rng = FallbackRng::new(message);
        // The key was validated at construction (>= 1024 bits, far above the 62 bytes SHA-256 needs) and this RNG
        // cannot fail, so this cannot error; an empty proof, which every verifier rejects, is the safe answer if it
        // ever did.
        self.private
            .pkcs1v15_sign_with_rng::<Sha256, _>(&mut rng, message)
            .map(|sig| STANDARD.encode(sig))
            .unwrap_or_default()
    }
}

/// Blinding randomness for when the OS source fails: SHA-256 in counter mode over the message, the time and the
/// address of a stack value. Blinding does not change a PKCS#1 v1.5 signature, only masks timing.
struct FallbackRng {
    seed: [u8; 32],
    counter: u64,
}

impl FallbackRng {
    fn new(message: &[u8]) -> Self {
        let nanos = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let local = 0u8;
        let addr = std::ptr::addr_of!(local) as usize;
        let mut h = Sha256::new();
        h.update(message);
        h.update(nanos.to_le_bytes());
        h.update(addr.to_le_bytes());
        FallbackRng {
            seed: h.finalize().into(),
            counter: 0,
        }
    }
}

impl rsa::rand_core::TryRng for FallbackRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(self.counter.to_le_bytes());
            self.counter = self.counter.wrapping_add(1);
            let block = h.finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl rsa::rand_core::TryCryptoRng for FallbackRng {}

/// The keys a WOPI client publishes in discovery: `value`/`modulus`/`exponent` and `oldvalue`/`oldmodulus`/
/// `oldexponent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofKeys {
    /// The key `X-WOPI-Proof` is normally signed with.
    pub current: ProofPublicKey,
    /// The previous key, if the client published one (some servers omit it).
    pub old: Option<ProofPublicKey>,
}

// ---------------------------------------------------------------------------------------------------------------
// Headers, signing, verification
// ---------------------------------------------------------------------------------------------------------------

/// The proof headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofHeaders {
    /// `X-WOPI-Proof`.
    pub proof: String,
    /// `X-WOPI-ProofOld`; `None` if absent or empty.
    pub proof_old: Option<String>,
    /// `X-WOPI-TimeStamp`.
    pub timestamp: Ticks,
}

impl ProofHeaders {
    /// From the raw header values (`None` = header absent).
    ///
    /// # Errors
    /// [`ProofError::MissingHeader`] if `X-WOPI-Proof` or `X-WOPI-TimeStamp` is absent or blank,
    /// [`ProofError::MalformedTimestamp`] if the timestamp is not a tick count. `X-WOPI-ProofOld` is optional:
    /// a blank value counts as absent.
    pub fn from_values(
        proof: Option<&str>,
        proof_old: Option<&str>,
        timestamp: Option<&str>,
    ) -> Result<Self, ProofError> {
        let proof = non_blank(proof).ok_or(ProofError::MissingHeader(X_WOPI_PROOF))?;
        let timestamp = non_blank(timestamp).ok_or(ProofError::MissingHeader(X_WOPI_TIMESTAMP))?;
        Ok(ProofHeaders {
            proof: proof.to_owned(),
            proof_old: non_blank(proof_old).map(str::to_owned),
            timestamp: Ticks::parse(timestamp)?,
        })
    }
}

fn non_blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// Which of the three combinations in proofkeys.rst "Verifying the proof keys" verified (also used to name a
/// combination that was tried and failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofAccepted {
    /// `X-WOPI-Proof` with the current key: the normal case.
    CurrentKey,
    /// `X-WOPI-ProofOld` with the current key: the client rotated keys and the host has not re-read discovery.
    ProofOldWithCurrentKey,
    /// `X-WOPI-Proof` with the old key: the host re-read discovery, the signing machine still has the old key.
    ProofWithOldKey,
}

impl ProofAccepted {
    /// All three, in the order [`verify`] tries them.
    pub const ALL: [ProofAccepted; 3] = [
        ProofAccepted::CurrentKey,
        ProofAccepted::ProofOldWithCurrentKey,
        ProofAccepted::ProofWithOldKey,
    ];
}

impl fmt::Display for ProofAccepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProofAccepted::CurrentKey => "X-WOPI-Proof with the current key",
            ProofAccepted::ProofOldWithCurrentKey => "X-WOPI-ProofOld with the current key",
            ProofAccepted::ProofWithOldKey => "X-WOPI-Proof with the old key",
        })
    }
}

/// Why one combination did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptFailure {
    /// The header value is not base64.
    NotBase64,
    /// The decoded signature is not as long as the key's modulus.
    WrongLength {
        /// Modulus length in bytes.
        expected: usize,
        /// Decoded signature length.
        found: usize,
    },
    /// A well-formed signature, but not of this pre-image by this key (wrong key, URL, token or timestamp).
    Mismatch,
    /// `X-WOPI-ProofOld` was not sent.
    HeaderAbsent,
    /// Discovery published no old key.
    NoOldKey,
}

impl AttemptFailure {
    /// Whether the signature value itself was unusable (as opposed to absent, or well-formed but wrong).
    #[must_use]
    pub fn is_malformed(self) -> bool {
        matches!(self, AttemptFailure::NotBase64 | AttemptFailure::WrongLength { .. })
    }
}

impl fmt::Display for AttemptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptFailure::NotBase64 => f.write_str("not valid base64"),
            AttemptFailure::WrongLength { expected, found } => {
                write!(f, "signature is {found} bytes, the key needs {expected}")
            }
            AttemptFailure::Mismatch => f.write_str("signature does not match"),
            AttemptFailure::HeaderAbsent => f.write_str("header not sent"),
            AttemptFailure::NoOldKey => f.write_str("no old key published"),
        }
    }
}

/// One combination that was tried and why it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempt {
    /// Which header with which key.
    pub combination: ProofAccepted,
    /// Why it did not verify.
    pub failure: AttemptFailure,
}

/// The three attempts behind a rejected signature, for the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempts(pub Vec<FailedAttempt>);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", a.combination, a.failure)?;
        }
        Ok(())
    }
}

/// Why a request's proof was not accepted. Per proofkeys.rst the host answers any of these with 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A required header is absent or blank.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// `X-WOPI-TimeStamp` is not a .NET tick count.
    #[error("X-WOPI-TimeStamp {0:?} is not a .NET tick count (decimal 100-ns intervals since 0001-01-01)")]
    MalformedTimestamp(String),
    /// The timestamp is more than [`MAX_PROOF_AGE`] old.
    #[error("X-WOPI-TimeStamp is {age_secs} s old; at most 1200 s (20 minutes) is accepted")]
    TimestampTooOld {
        /// Age in whole seconds.
        age_secs: u64,
    },
    /// The timestamp is more than [`MAX_CLOCK_SKEW_FUTURE`] ahead of the host's clock.
    #[error("X-WOPI-TimeStamp is {ahead_secs} s in the future; at most 300 s of clock skew is accepted")]
    TimestampInFuture {
        /// How far ahead, in whole seconds.
        ahead_secs: u64,
    },
    /// No combination verified and no proof value was even a well-formed signature for these keys.
    #[error("no proof is a well-formed signature: {attempts}")]
    MalformedSignature {
        /// Each combination tried and why it failed.
        attempts: Attempts,
    },
    /// No combination verified.
    #[error("no proof combination verified: {attempts}")]
    SignatureMismatch {
        /// Each combination tried and why it failed.
        attempts: Attempts,
    },
}

impl From<MalformedTicks> for ProofError {
    fn from(e: MalformedTicks) -> Self {
        ProofError::MalformedTimestamp(e.0)
    }
}

/// Checks a request's proof as proofkeys.rst requires: the timestamp is at most [`MAX_PROOF_AGE`] old (and at most
/// [`MAX_CLOCK_SKEW_FUTURE`] ahead), and one of the three [`ProofAccepted`] combinations verifies over
/// [`expected_proof`]`(access_token, url, timestamp)`.
///
/// `url` must be the URL the client signed: the public `https://` URL with its query string as sent, not one
/// rebuilt behind a TLS-terminating proxy. Letter case does not matter.
///
/// # Errors
/// A [`ProofError`] saying which check failed; for signatures, every combination tried and why.
pub fn verify(
    keys: &ProofKeys,
    headers: &ProofHeaders,
    access_token: &str,
    url: &str,
    now: SystemTime,
) -> Result<ProofAccepted, ProofError> {
    check_timestamp(headers.timestamp, now)?;
    let digest = digest::digest(&SHA256, &expected_proof(access_token, url, headers.timestamp));
    let mut attempts = Vec::with_capacity(3);
    for combination in ProofAccepted::ALL {
        let (key, signature) = match combination {
            ProofAccepted::CurrentKey => (Some(&keys.current), Some(headers.proof.as_str())),
            ProofAccepted::ProofOldWithCurrentKey => (Some(&keys.current), headers.proof_old.as_deref()),
            ProofAccepted::ProofWithOldKey => (keys.old.as_ref(), Some(headers.proof.as_str())),
        };
        let outcome = match (key, signature) {
            (_, None) => Err(AttemptFailure::HeaderAbsent),
            (None, _) => Err(AttemptFailure::NoOldKey),
            (Some(key), Some(sig)) => key.check(&digest, sig),
        };
        match outcome {
            Ok(()) => return Ok(combination),
            Err(failure) => attempts.push(FailedAttempt { combination, failure }),
        }
    }
    let any_malformed = attempts.iter().any(|a| a.failure.is_malformed());
    let any_mismatch = attempts.iter().any(|a| a.failure == AttemptFailure::Mismatch);
    let attempts = Attempts(attempts);
    if any_malformed && !any_mismatch {
        Err(ProofError::MalformedSignature { attempts })
    } else {
        Err(ProofError::SignatureMismatch { attempts })
    }
}

/// The 20-minute window (inclusive) and the future bound, compared in ticks so no `SystemTime` overflow can occur.
fn check_timestamp(timestamp: Ticks, now: SystemTime) -> Result<(), ProofError> {
    let now = Ticks::from_system_time(now).0;
    let ts = timestamp.0;
    if ts > now {
        let ahead = ts - now;
        if ahead > duration_to_ticks(MAX_CLOCK_SKEW_FUTURE) {
            return Err(ProofError::TimestampInFuture {
                ahead_secs: ahead / TICKS_PER_SEC,
            });
        }
    } else {
        let age = now - ts;
        if age > duration_to_ticks(MAX_PROOF_AGE) {
            return Err(ProofError::TimestampTooOld {
                age_secs: age / TICKS_PER_SEC,
            });
        }
    }
    Ok(())
}

/// The three proof header values of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedProof {
    /// `X-WOPI-Proof`: signed with the current key.
    pub proof: String,
    /// `X-WOPI-ProofOld`: signed with the old key, if there is one.
    pub proof_old: Option<String>,
    /// `X-WOPI-TimeStamp`.
    pub timestamp: Ticks,
}

impl SignedProof {
    /// The headers to send, as (name, value) pairs in the docs' casing: `X-WOPI-Proof`, `X-WOPI-ProofOld` (if
    /// any), `X-WOPI-TimeStamp`.
    #[must_use]
    pub fn header_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::with_capacity(3);
        pairs.push((X_WOPI_PROOF, self.proof.clone()));
        if let Some(old) = &self.proof_old {
            pairs.push((X_WOPI_PROOF_OLD, old.clone()));
        }
        pairs.push((X_WOPI_TIMESTAMP, self.timestamp.to_string()));
        pairs
    }
}

/// What signs a proof pre-image: a [`ProofKeyPair`], or a client's wrapper around one (a memo of signatures, or a
/// deliberately wrong value when a test client checks that a host rejects it).
pub trait ProofSigner {
    /// The base64 `X-WOPI-Proof`-style value for `message`, the pre-image [`expected_proof`] built.
    fn sign_proof(&self, message: &[u8]) -> String;
}

impl ProofSigner for ProofKeyPair {
    fn sign_proof(&self, message: &[u8]) -> String {
        self.sign(message)
    }
}

/// Signs a request the way Office for the web does: one pre-image ([`expected_proof`]), signed with the current
/// key for `X-WOPI-Proof` and (if given) the old key for `X-WOPI-ProofOld`.
#[must_use]
pub fn sign_request<S: ProofSigner + ?Sized>(
    current: &S,
    old: Option<&S>,
    access_token: &str,
    url: &str,
    timestamp: Ticks,
) -> SignedProof {
    let message = expected_proof(access_token, url, timestamp);
    SignedProof {
        proof: current.sign_proof(&message),
        proof_old: old.map(|k| k.sign_proof(&message)),
        timestamp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> ProofKeyPair {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/proof-keys/{name}.pem"));
        let pem = std::fs::read_to_string(&path).expect("fixture PEM");
        ProofKeyPair::from_pkcs8_pem(&pem).expect("fixture key")
    }

    #[test]
    fn fixture_keys_sign_and_verify_on_aws_lc() {
        for name in ["current", "old", "next"] {
            let pair = fixture(name);
            assert!(pair.fast.is_some(), "{name}: aws-lc-rs did not load the private key");
            assert!(
                pair.public().is_fast(),
                "{name}: aws-lc-rs did not parse the public key"
            );
            let message = expected_proof("token", "https://h/wopi/files/1", Ticks(1));
            let fast = pair.fast_sign(&message).expect("aws-lc-rs signs");
            let slow = pair.private.pkcs1v15_sign::<Sha256>(&message).expect("rsa signs");
            assert_eq!(
                fast, slow,
                "{name}: PKCS#1 v1.5 is deterministic, both libraries must agree"
            );
        }
    }

    #[test]
    fn public_keys_from_discovery_forms_are_parsed_by_aws_lc() {
        let public = fixture("current").public();
        let from_parts = ProofPublicKey::from_modulus_exponent(&public.modulus_b64(), &public.exponent_b64())
            .expect("modulus/exponent");
        let from_blob = ProofPublicKey::from_csp_blob(&public.to_csp_blob()).expect("CSP blob");
        assert!(from_parts.is_fast());
        assert!(from_blob.is_fast());
        assert_eq!(from_parts, from_blob);
    }

    #[test]
    fn key_of_1024_bits_verifies_on_aws_lc_and_signs_with_rsa() {
        let private = PrivateKey::new(&mut getrandom::SysRng, 1024).expect("generate 1024-bit key");
        let pair = ProofKeyPair::from_private(private).expect("1024 bits is accepted");
        assert!(pair.fast.is_none(), "aws-lc-rs does not sign below 2048 bits; rsa must");
        let public = pair.public();
        assert!(
            public.is_fast(),
            "the legacy parameters verify 1024-bit keys on aws-lc-rs"
        );
        assert_eq!(public.bits(), 1024);
        let message = expected_proof("token", "https://h/wopi/files/1", Ticks(7));
        let sig = pair.sign(&message);
        assert!(public.verify(&message, &sig));
        assert!(!public.verify(&expected_proof("token", "https://h/wopi/files/1", Ticks(8)), &sig));
    }

    #[test]
    fn rsa_fallback_verifier_gives_the_same_answers() {
        let pair = fixture("current");
        let slow = ProofPublicKey {
            key: pair.public.key.clone(),
            fast: None,
        };
        let message = expected_proof("token", "https://h/wopi/files/1", Ticks(3));
        let sig = pair.sign(&message);
        assert!(slow.verify(&message, &sig));
        assert!(!slow.verify(b"other", &sig));
        assert_eq!(slow, pair.public());
    }
}
