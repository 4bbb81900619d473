//! Access tokens: HMAC-SHA256 signed, bound to one user and one resource, with an expiry.
//!
//! A token is `v1.<payload>.<tag>`, both parts base64url without padding (so a token never needs escaping in a
//! URL). The payload is compact JSON `{"u": user, "r": resource, "x": expiry}` where the expiry is the
//! `access_token_ttl` value: **milliseconds since the Unix epoch** (`rest/concepts.rst`, term *access_token_ttl*), not
//! a duration. The signing key is 32 random bytes kept in the store, so tokens outlive a restart.
//!
//! Verification is constant-time on the tag and checks the expiry against the host's [`crate::clock::Clock`].

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use wopi_protocol::ids::{ContainerId, FileId};

use crate::store::UserId;

type HmacSha256 = Hmac<Sha256>;

/// What a token grants access to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    /// One file (`/wopi/files/{id}` and its sub-paths).
    File(FileId),
    /// One container (`/wopi/containers/{id}` and its sub-paths).
    Container(ContainerId),
    /// The ecosystem endpoint (`/wopi/ecosystem`).
    Ecosystem,
}

impl Resource {
    fn encode(&self) -> String {
        match self {
            Resource::File(id) => format!("f:{id}"),
            Resource::Container(id) => format!("c:{id}"),
            Resource::Ecosystem => "e".to_owned(),
        }
    }

    fn decode(s: &str) -> Option<Self> {
        match s.split_once(':') {
            Some(("f", id)) => FileId::new(id).ok().map(Resource::File),
            Some(("c", id)) => ContainerId::new(id).ok().map(Resource::Container),
            None if s == "e" => Some(Resource::Ecosystem),
            _ => None,
        }
    }
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The user acting.
    pub user: UserId,
    /// The resource the token is bound to.
    pub resource: Resource,
    /// Expiry in milliseconds since the Unix epoch (the `access_token_ttl` value).
    pub expires_at_ms: u64,
}

/// A freshly issued token with its `access_token_ttl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    /// The token.
    pub access_token: String,
    /// Expiry in milliseconds since the Unix epoch.
    pub access_token_ttl: u64,
}

/// Why a token was refused (both answer 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token this host issued, or tampered with.
    #[error("the access token is not valid")]
    Invalid,
    /// Signed by this host but past its expiry.
    #[error("the access token has expired")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    u: String,
    r: String,
    x: u64,
}

/// Issues and verifies tokens with one secret key.
#[derive(Clone)]
pub struct TokenSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner { key: <redacted> }")
    }
}

/// Milliseconds since the Unix epoch (0 for times before it).
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl TokenSigner {
    /// A signer with this key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// A signer with a fresh random key.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(Self { key })
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
        <HmacSha256 as KeyInit>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
    }

    /// Issues a token for `user` on `resource`, valid until `now + ttl`.
    pub fn issue(&self, user: &UserId, resource: &Resource, now: SystemTime, ttl: Duration) -> IssuedToken {
        let expires = epoch_ms(now + ttl);
        self.issue_until(user, resource, expires)
    }

    /// Issues a token that expires at `expires_at_ms` (milliseconds since the epoch); used when trading a token for
    /// one on a related resource, which must not outlive the original.
    pub fn issue_until(&self, user: &UserId, resource: &Resource, expires_at_ms: u64) -> IssuedToken {
        let payload = Payload {
            u: user.as_str().to_owned(),
            r: resource.encode(),
            x: expires_at_ms,
        };
        // Serialising a struct of strings and an integer cannot fail.
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let body = URL_SAFE_NO_PAD.encode(json);
        let mut mac = self.mac();
        mac.update(b"v1.");
        mac.update(body.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        IssuedToken {
            access_token: format!("v1.{body}.{tag}"),
            access_token_ttl: expires_at_ms,
        }
    }

    /// Checks signature and expiry.
    pub fn verify(&self, token: &str, now: SystemTime) -> Result<Claims, TokenError> {
        let claims = self.verify_signature(token)?;
        if epoch_ms(now) >= claims.expires_at_ms {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// Checks the signature only (for the `ExpiredTokenAccepted` fault and diagnostics).
    pub fn verify_signature(&self, token: &str) -> Result<Claims, TokenError> {
        let rest = token.strip_prefix("v1.").ok_or(TokenError::Invalid)?;
        let (body, tag) = rest.split_once('.').ok_or(TokenError::Invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| TokenError::Invalid)?;
        let mut mac = self.mac();
        mac.update(b"v1.");
        mac.update(body.as_bytes());
        mac.verify_slice(&tag).map_err(|_| TokenError::Invalid)?;
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| TokenError::Invalid)?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
        Ok(Claims {
            user: UserId::new(payload.u).map_err(|_| TokenError::Invalid)?,
            resource: Resource::decode(&payload.r).ok_or(TokenError::Invalid)?,
            expires_at_ms: payload.x,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (TokenSigner, UserId, Resource, SystemTime) {
        let signer = TokenSigner::new([7; 32]);
        let user = UserId::new("bob").unwrap();
        let file = Resource::File(FileId::new("f1").unwrap());
        (
            signer,
            user,
            file,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
    }

    #[test]
    fn round_trip_and_ttl_is_epoch_milliseconds() {
        let (signer, user, file, now) = setup();
        let issued = signer.issue(&user, &file, now, Duration::from_secs(3600));
        assert_eq!(issued.access_token_ttl, 1_700_003_600_000);
        let claims = signer.verify(&issued.access_token, now).unwrap();
        assert_eq!(
            claims,
            Claims {
                user,
                resource: file,
                expires_at_ms: 1_700_003_600_000
            }
        );
        assert!(
            issued
                .access_token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        );
    }

    #[test]
    fn expiry_and_tampering() {
        let (signer, user, file, now) = setup();
        let issued = signer.issue(&user, &file, now, Duration::from_secs(60));
        assert_eq!(
            signer.verify(&issued.access_token, now + Duration::from_secs(60)),
            Err(TokenError::Expired)
        );
        let mut tampered = issued.access_token.clone();
        tampered.insert(5, 'A');
        assert_eq!(signer.verify(&tampered, now), Err(TokenError::Invalid));
        let other = TokenSigner::new([8; 32]);
        assert_eq!(other.verify(&issued.access_token, now), Err(TokenError::Invalid));
        assert_eq!(signer.verify("", now), Err(TokenError::Invalid));
        assert_eq!(signer.verify("v1.a.b.c", now), Err(TokenError::Invalid));
    }
}
