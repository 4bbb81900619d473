//! Token verification as a host with a token fault does it: an expired token accepted (`ExpiredTokenAccepted`),
//! an invalid one taken as the default user's (`InvalidTokenAccepted`), a token for another resource accepted
//! (`TokenNotBoundToResource`). The correct path is [`crate::wopi::request::authorize`].

use crate::AppState;
use crate::error::WopiError;
use crate::faults::Fault;
use crate::tokens::{Claims, Resource, TokenError, epoch_ms};

/// The claims a host with token faults accepts for `token` (as read from the request) on `resource`.
pub fn claims(state: &AppState, token: Result<String, WopiError>, resource: &Resource) -> Result<Claims, WopiError> {
    let faults = &state.faults;
    let verified = token.and_then(|token| match state.tokens.verify(&token, state.now()) {
        Err(TokenError::Expired) if faults.has(Fault::ExpiredTokenAccepted) => {
            Ok(state.tokens.verify_signature(&token)?)
        }
        other => Ok(other?),
    });
    let claims = match verified {
        Err(WopiError::Token(TokenError::Invalid)) if faults.has(Fault::InvalidTokenAccepted) => Claims {
            user: crate::store::UserId::new(crate::DEFAULT_USER).map_err(|_| WopiError::Token(TokenError::Invalid))?,
            resource: resource.clone(),
            expires_at_ms: epoch_ms(state.now() + state.limits.token_ttl),
        },
        other => other?,
    };
    if &claims.resource != resource && !faults.has(Fault::TokenNotBoundToResource) {
        return Err(WopiError::WrongResource);
    }
    Ok(claims)
}
