//! The mock's proof keys: the current key signs `X-WOPI-Proof`, the old key `X-WOPI-ProofOld`, and the next key
//! is the one a rotation promotes (and the one an "ahead" client signs with before hosts have seen it).
//!
//! By default the keys are the fixed test keys in `fixtures/proof-keys/`, embedded at build time, so a host
//! configured once with the mock's discovery keeps trusting it across runs. [`KeyRing::fresh`] generates new
//! ones for tests that must not share keys. Rotation follows `online/scenarios/proofkeys.rst`: the current key
//! becomes the old one and a new current key appears.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use wopi_protocol::proof::{ProofKeyPair, ProofKeys};

use crate::MockError;

/// The fixed test keys (throw-away, see `fixtures/proof-keys/README.md`).
const FIXED_CURRENT: &str = include_str!("../../fixtures/proof-keys/current.pem");
const FIXED_OLD: &str = include_str!("../../fixtures/proof-keys/old.pem");
const FIXED_NEXT: &str = include_str!("../../fixtures/proof-keys/next.pem");
/// Next keys for the first rotations of the fixed ring, in order. Generating a 2048-bit key costs tens of ms of
/// CPU and a rotating case runs alone, so a run's handful of rotations use these; later rotations generate.
const FIXED_ROTATIONS: &[&str] = &[
    include_str!("../../fixtures/proof-keys/rotation-1.pem"),
    include_str!("../../fixtures/proof-keys/rotation-2.pem"),
    include_str!("../../fixtures/proof-keys/rotation-3.pem"),
    include_str!("../../fixtures/proof-keys/rotation-4.pem"),
    include_str!("../../fixtures/proof-keys/rotation-5.pem"),
    include_str!("../../fixtures/proof-keys/rotation-6.pem"),
    include_str!("../../fixtures/proof-keys/rotation-7.pem"),
    include_str!("../../fixtures/proof-keys/rotation-8.pem"),
];

/// The key ring shared by the discovery endpoint and every client that signs for the mock.
///
/// A std `RwLock` because every access is a short copy or swap; it is never held across an `.await`.
pub type SharedKeys = Arc<RwLock<KeyRing>>;

/// Current, old and next proof keys.
#[derive(Debug, Clone)]
pub struct KeyRing {
    current: ProofKeyPair,
    /// `None` only before the first rotation of a ring built without an old key; discovery then publishes the
    /// current key as the old one, as Office does when it has nothing older.
    old: Option<ProofKeyPair>,
    next: ProofKeyPair,
    /// How many rotations (or replacements) this ring has seen; lets callers notice a change.
    generation: u64,
    /// How many of [`FIXED_ROTATIONS`] this ring has used; `None` for rings that always generate (fresh ones).
    /// An index, not the keys, so `Debug` cannot print private keys.
    rotations_used: Option<usize>,
}

fn key_error(which: &'static str, e: impl std::fmt::Display) -> MockError {
    MockError::Key {
        which,
        message: e.to_string(),
    }
}

impl KeyRing {
    /// The fixed test keys from `fixtures/proof-keys/` (`current.pem`, `old.pem`, `next.pem`).
    pub fn fixed() -> Result<KeyRing, MockError> {
        Ok(KeyRing {
            current: ProofKeyPair::from_pkcs8_pem(FIXED_CURRENT).map_err(|e| key_error("current", e))?,
            old: Some(ProofKeyPair::from_pkcs8_pem(FIXED_OLD).map_err(|e| key_error("old", e))?),
            next: ProofKeyPair::from_pkcs8_pem(FIXED_NEXT).map_err(|e| key_error("next", e))?,
            generation: 0,
            rotations_used: Some(0),
        })
    }

    /// Three newly generated 2048-bit keys.
    pub fn fresh() -> Result<KeyRing, MockError> {
        Ok(KeyRing {
            current: ProofKeyPair::generate().map_err(|e| key_error("current", e))?,
            old: Some(ProofKeyPair::generate().map_err(|e| key_error("old", e))?),
            next: ProofKeyPair::generate().map_err(|e| key_error("next", e))?,
            generation: 0,
            rotations_used: None,
        })
    }

    /// A ring from given keys (tests that need a particular key in a particular place).
    pub fn from_pairs(current: ProofKeyPair, old: Option<ProofKeyPair>, next: ProofKeyPair) -> KeyRing {
        KeyRing {
            current,
            old,
            next,
            generation: 0,
            rotations_used: None,
        }
    }

    /// Rotates: the next key becomes current, the current becomes old, and a new next key takes its place: the
    /// next unused fixed rotation key for the fixed ring (`fixtures/proof-keys/rotation-N.pem`, never seen before
    /// in this ring), else a newly generated one.
    ///
    /// The new key is made first, so a failure leaves the ring unchanged.
    pub fn rotate(&mut self) -> Result<(), MockError> {
        let spare = self.rotations_used.and_then(|i| Some((i, *FIXED_ROTATIONS.get(i)?)));
        let new_next = match spare {
            Some((_, pem)) => ProofKeyPair::from_pkcs8_pem(pem),
            None => ProofKeyPair::generate(),
        }
        .map_err(|e| key_error("next", e))?;
        if let Some((i, _)) = spare {
            self.rotations_used = Some(i + 1);
        }
        let promoted = std::mem::replace(&mut self.next, new_next);
        let demoted = std::mem::replace(&mut self.current, promoted);
        self.old = Some(demoted);
        self.generation += 1;
        Ok(())
    }

    /// Replaces every key with a fresh one (the generation still counts up, so watchers notice).
    pub fn replace_with(&mut self, other: KeyRing) {
        let generation = self.generation + 1;
        *self = KeyRing { generation, ..other };
    }

    /// The key that signs `X-WOPI-Proof`.
    pub fn current(&self) -> &ProofKeyPair {
        &self.current
    }

    /// The key that signs `X-WOPI-ProofOld`, if any.
    pub fn old(&self) -> Option<&ProofKeyPair> {
        self.old.as_ref()
    }

    /// The key the next rotation makes current.
    pub fn next(&self) -> &ProofKeyPair {
        &self.next
    }

    /// How many rotations or replacements happened since the ring was built.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The public keys discovery publishes: current, and old (the current one again if there is no old key).
    pub fn proof_keys(&self) -> ProofKeys {
        let current = self.current.public();
        let old = self
            .old
            .as_ref()
            .map(ProofKeyPair::public)
            .unwrap_or_else(|| current.clone());
        ProofKeys {
            current,
            old: Some(old),
        }
    }

    /// Wraps the ring for sharing.
    pub fn shared(self) -> SharedKeys {
        Arc::new(RwLock::new(self))
    }
}

/// Reads the ring. A poisoned lock (a panic elsewhere while writing) still holds a complete ring, because every
/// write is a single assignment or [`KeyRing::rotate`], which mutates only after its fallible step.
pub fn read(keys: &SharedKeys) -> RwLockReadGuard<'_, KeyRing> {
    keys.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes the ring; see [`read`] for why poisoning is recovered from.
pub fn write(keys: &SharedKeys) -> RwLockWriteGuard<'_, KeyRing> {
    keys.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_keys_load_and_are_distinct() {
        let ring = KeyRing::fixed().expect("fixed keys load");
        let cur = ring.current().public().modulus_b64();
        let old = ring.old().expect("old key").public().modulus_b64();
        let next = ring.next().public().modulus_b64();
        assert_ne!(cur, old);
        assert_ne!(cur, next);
        assert_ne!(old, next);
        // Loading twice gives the same keys: a host configured once keeps trusting the mock.
        let again = KeyRing::fixed().expect("fixed keys load");
        assert_eq!(again.current().public().modulus_b64(), cur);
    }

    #[test]
    fn rotation_promotes_next_and_demotes_current() {
        let mut ring = KeyRing::fixed().expect("fixed keys load");
        let cur = ring.current().public().modulus_b64();
        let next = ring.next().public().modulus_b64();
        ring.rotate().expect("rotate");
        assert_eq!(ring.current().public().modulus_b64(), next);
        assert_eq!(ring.old().expect("old").public().modulus_b64(), cur);
        assert_ne!(ring.next().public().modulus_b64(), next);
        assert_eq!(ring.generation(), 1);
        let published = ring.proof_keys();
        assert_eq!(published.current.modulus_b64(), next);
        assert_eq!(published.old.expect("old published").modulus_b64(), cur);
    }

    #[test]
    fn rotations_of_the_fixed_ring_never_repeat_a_key_and_generate_after_the_fixtures() {
        let mut ring = KeyRing::fixed().expect("fixed keys load");
        let mut seen = vec![
            ring.old().expect("old").public().modulus_b64(),
            ring.current().public().modulus_b64(),
            ring.next().public().modulus_b64(),
        ];
        // One rotation past the fixed rotation keys, so the last one generates.
        for _ in 0..=FIXED_ROTATIONS.len() {
            ring.rotate().expect("rotate");
            let next = ring.next().public().modulus_b64();
            assert!(!seen.contains(&next), "rotation {} reused a key", ring.generation());
            seen.push(next);
        }
        // The fixed sequence is the same for every fixed ring: a host keeps trusting the mock across runs.
        let mut again = KeyRing::fixed().expect("fixed keys load");
        again.rotate().expect("rotate");
        assert_eq!(again.next().public().modulus_b64(), seen[3]);
        // Fresh rings never take the fixed rotation keys.
        let mut fresh = KeyRing::fresh().expect("fresh keys");
        fresh.rotate().expect("rotate");
        assert!(!seen.contains(&fresh.next().public().modulus_b64()));
    }

    #[test]
    fn a_ring_without_old_key_publishes_current_as_old() {
        let fixed = KeyRing::fixed().expect("fixed keys load");
        let ring = KeyRing::from_pairs(fixed.current().clone(), None, fixed.next().clone());
        let keys = ring.proof_keys();
        assert_eq!(keys.old.expect("old").modulus_b64(), keys.current.modulus_b64());
    }
}
