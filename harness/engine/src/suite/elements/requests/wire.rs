//! What a request element's module writes when its request is built: headers and a body, from the element's
//! attributes and what the run knows ([`Env`]: resources, saved state, the WopiSrc, stream content).
//!
//! The run is reached through [`Env`] so that the element modules, which the suite parser also uses, import no
//! engine module (`exec`, `validate`).

use crate::suite::ChunkingScheme;
use crate::suite::content::{Content, ContentError};

/// Why a request could not be built: the case fails with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

pub(crate) fn berr<T>(m: impl Into<String>) -> Result<T, BuildError> {
    Err(BuildError(m.into()))
}

/// What the runner offers an element while its request is built.
pub trait Env {
    /// The bytes the validator uploads for a declared resource.
    fn resource(&self, id: &str) -> Option<Vec<u8>>;
    /// A saved state value: `None` never saved, `Some(None)` saved empty.
    fn state(&self, key: &str) -> Option<Option<&str>>;
    /// The case's WopiSrc.
    fn wopisrc(&self) -> &str;
    /// A CSPP Plus stream's content for `scheme`: inline text (FullFile) or a resource (Zip, read from the
    /// validator's fixtures).
    fn stream_content(
        &self,
        scheme: ChunkingScheme,
        text: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Content, ContentError>;
}

/// The headers and body an element sends, in the order it adds them.
pub struct Wire<'a> {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    pub(crate) env: &'a dyn Env,
}

impl<'a> Wire<'a> {
    pub fn new(env: &'a dyn Env) -> Self {
        Wire {
            headers: Vec::new(),
            body: Vec::new(),
            env,
        }
    }

    pub fn header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_string(), value.to_string()));
    }

    pub fn set_body(&mut self, body: Vec<u8>) {
        self.body = body;
    }

    /// A declared resource's bytes, or the error a case fails with.
    pub fn resource(&self, id: &str) -> Result<Vec<u8>, BuildError> {
        self.env
            .resource(id)
            .ok_or_else(|| BuildError(format!("resource '{id}' is not declared")))
    }

    pub fn into_parts(self) -> (Vec<(String, String)>, Vec<u8>) {
        (self.headers, self.body)
    }
}

/// `True`/`False`, as C# `bool.ToString()` writes header values.
pub(crate) use wopi_protocol::dotnet::bool_str as dotnet_bool;
