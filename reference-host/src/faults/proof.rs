//! Proof-key verification as a host with a verification fault does it: each fault changes the moment the request
//! is judged at, the keys or headers tried, or reconsiders a failure. The correct path is
//! [`crate::proof::ProofChecker`]'s one call to [`wopi_protocol::proof::verify`].

use std::time::{Duration, SystemTime};

use wopi_protocol::proof::{ProofAccepted, ProofError, ProofHeaders, ProofKeys, expected_proof};

use super::{Fault, FaultSet};

/// [`wopi_protocol::proof::verify`] at `now`, with the verification faults of `faults` applied.
pub fn verify(
    faults: &FaultSet,
    keys: &ProofKeys,
    headers: &ProofHeaders,
    access_token: &str,
    signed_url: &str,
    now: SystemTime,
) -> Result<ProofAccepted, ProofError> {
    let mut now = now;
    if faults.has(Fault::StaleProofAccepted)
        && let Some(stamped) = headers.timestamp.to_system_time()
        && stamped < now
    {
        // Judge the request at the moment it claims to have been signed: any age passes.
        now = stamped;
    }
    if faults.has(Fault::ProofAgeInWholeMinutes)
        && let Some(stamped) = headers.timestamp.to_system_time()
        && let Ok(age) = now.duration_since(stamped)
    {
        // The fault: `age.as_secs() / 60 > 20` rejects only from 21 minutes; judge at the truncated age.
        now = stamped + Duration::from_secs(age.as_secs() / 60 * 60);
    }
    if faults.has(Fault::ProofAgeLimitFiveMinutes)
        && let Some(stamped) = headers.timestamp.to_system_time()
        && now
            .duration_since(stamped)
            .is_ok_and(|age| age > Duration::from_secs(5 * 60))
    {
        // The fault: anything over five minutes is judged as if it were over the real limit.
        now = stamped + Duration::from_secs(21 * 60);
    }
    if faults.has(Fault::MalformedProofOldRejected)
        && let Some(proof_old) = &headers.proof_old
    {
        // The fault: X-WOPI-ProofOld must look like a signature for the current key, or the request fails.
        let probe_keys = ProofKeys {
            current: keys.current.clone(),
            old: None,
        };
        let probe = ProofHeaders {
            proof: proof_old.clone(),
            proof_old: None,
            timestamp: headers.timestamp,
        };
        if let Err(e @ ProofError::MalformedSignature { .. }) =
            wopi_protocol::proof::verify(&probe_keys, &probe, access_token, signed_url, now)
        {
            return Err(e);
        }
    }
    let result = if faults.has(Fault::ProofOnlyCurrentKey) {
        // Only X-WOPI-Proof against the current key: the rotation combinations are never tried.
        let only_current = ProofKeys {
            current: keys.current.clone(),
            old: None,
        };
        let only_proof = ProofHeaders {
            proof_old: None,
            ..headers.clone()
        };
        wopi_protocol::proof::verify(&only_current, &only_proof, access_token, signed_url, now)
    } else {
        wopi_protocol::proof::verify(keys, headers, access_token, signed_url, now)
    };
    // Only a signature failure is reconsidered: the timestamp rules still hold under this fault.
    if matches!(
        result,
        Err(ProofError::SignatureMismatch { .. } | ProofError::MalformedSignature { .. })
    ) && faults.has(Fault::ProofOldWithOldKeyAccepted)
        && let (Some(old), Some(proof_old)) = (&keys.old, &headers.proof_old)
        && old.verify(&expected_proof(access_token, signed_url, headers.timestamp), proof_old)
    {
        return Ok(ProofAccepted::ProofWithOldKey);
    }
    result
}
