//! The public API for running the host inside another program, as the harness's embedded run does: create a file
//! with content and get its WopiSrc and token, issue a token with a chosen expiry, step the clock, start more
//! instances on one clock. Everything goes through here, so an embedding program never touches the store or the
//! token signer.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use wopi_protocol::ids::FileId;
use wopi_protocol::names::FileName;

use crate::clock::TestClock;
use crate::store::{NameMode, NewFile, UserId};
use crate::tokens::{Resource, TokenError, epoch_ms};
use crate::{AppState, Config, DEFAULT_USER, HostError, Provisioned, TestHost};

/// A handle on a running test host for the program embedding it. Cheap to clone.
#[derive(Clone)]
pub struct Embedded {
    state: AppState,
    clock: Arc<TestClock>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("host", &self.state.base_url())
            .finish_non_exhaustive()
    }
}

/// What the host makes of a token at its current time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    /// Genuine and current, bound to this file (`None`: a container or the ecosystem).
    Valid { file: Option<FileId> },
    /// Genuine but expired, bound to this file.
    Expired { file: Option<FileId> },
    /// Not a token of this host.
    Invalid,
}

impl TestHost {
    /// The embedding API of this host.
    pub fn embedded(&self) -> Embedded {
        Embedded {
            state: self.state.clone(),
            clock: self.clock.clone(),
        }
    }

    /// Starts another host with `config` on this host's clock (for several instances on one database).
    pub async fn spawn_sibling(&self, config: Config) -> Result<TestHost, HostError> {
        crate::spawn_for_test_with_clock(config, self.clock.clone()).await
    }
}

impl Embedded {
    /// The host's public base URL (no trailing slash).
    pub fn base_url(&self) -> &str {
        self.state.base_url()
    }

    /// The validator's `test.wopitest` in the root container, created on first call.
    pub async fn seed(&self) -> Result<Provisioned, HostError> {
        self.state.seed().await
    }

    /// A file `name` with `content`, owned by and writable for [`DEFAULT_USER`], in a new container named after
    /// `container` (made unique if taken) under the root, with a fresh token. An existing `name` there is replaced.
    pub async fn create_file_in_new_container(
        &self,
        container: &str,
        name: &str,
        content: Bytes,
    ) -> Result<Provisioned, HostError> {
        let user = default_user()?;
        let store = &self.state.store;
        let root = store.root_container().await?;
        let dir_name = FileName::new(container).map_err(|e| HostError::Config(e.to_string()))?;
        let dir = store.create_container(&root.id, dir_name, NameMode::Suggested).await?;
        let new = NewFile {
            container: dir.id,
            name: FileName::new(name).map_err(|e| HostError::Config(e.to_string()))?,
            mode: NameMode::Exact { overwrite: true },
            owner: user.clone(),
            content,
        };
        let created = store.create_file(new, self.state.now()).await?;
        Ok(self.state.provisioned(&user, &created.file))
    }

    /// A genuine [`DEFAULT_USER`] token for file `file` that expires at `expires_at` on the host's clock (which
    /// may be in the past: an expired token whose only fault is its lifetime).
    pub fn file_token_until(&self, file: &FileId, expires_at: SystemTime) -> Result<String, HostError> {
        let user = default_user()?;
        let resource = Resource::File(file.clone());
        Ok(self
            .state
            .tokens
            .issue_until(&user, &resource, epoch_ms(expires_at))
            .access_token)
    }

    /// What the host makes of `token` now.
    pub fn check_token(&self, token: &str) -> TokenCheck {
        let file = |resource: Resource| match resource {
            Resource::File(id) => Some(id),
            _ => None,
        };
        match self.state.tokens.verify(token, self.now()) {
            Ok(claims) => TokenCheck::Valid {
                file: file(claims.resource),
            },
            Err(TokenError::Expired) => match self.state.tokens.verify_signature(token) {
                Ok(claims) => TokenCheck::Expired {
                    file: file(claims.resource),
                },
                Err(_) => TokenCheck::Invalid,
            },
            Err(_) => TokenCheck::Invalid,
        }
    }

    /// Moves the host's clock forward (lock and token expiry) without waiting.
    pub fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The host's current time.
    pub fn now(&self) -> SystemTime {
        self.state.now()
    }
}

fn default_user() -> Result<UserId, HostError> {
    UserId::new(DEFAULT_USER).map_err(|e| HostError::Config(e.to_string()))
}
