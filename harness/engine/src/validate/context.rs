//! What every validator sees: the response, the case's saved state, the suite and the schemas.

use std::collections::HashMap;

use http::HeaderMap;

use super::SchemaStore;
use crate::report::model::Failure;
use crate::suite::Suite;

/// The state of one case execution: values saved by `<SaveState>`, read by `$State:` and `*StateKey`.
///
/// A saved value may be `None` (the source was absent), which is different from a key never saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    values: HashMap<String, Option<String>>,
}

impl State {
    pub fn new() -> Self {
        State::default()
    }

    /// `Some(value)` when the key was saved (the value may be `None`).
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        self.values.get(key).map(|v| v.as_deref())
    }

    /// The saved value when it exists and is not empty.
    pub fn get_nonempty(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|v| v.as_deref())
            .filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, key: impl Into<String>, value: Option<String>) {
        self.values.insert(key.into(), value);
    }
}

/// A response as the validators see it.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// The engine treats GetFile, GetChunkedFile, PutChunkedFile and GetSequenceNumber answers as binary: no text.
    pub binary: bool,
}

impl ResponseView<'_> {
    /// A header by case-insensitive name; repeated headers joined with `,` as .NET's WebHeaderCollection does.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<String> = self
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(","))
        }
    }

    /// The body as text (UTF-8, BOM skipped), or `None` for binary responses and empty bodies.
    pub fn text(&self) -> Option<String> {
        if self.binary || self.body.is_empty() {
            return None;
        }
        let body = self.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(self.body);
        Some(String::from_utf8_lossy(body).into_owned())
    }
}

/// What the validators need besides the response.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Label of the request in the case (`Lock`, `GetFile#2`), copied into each failure.
    pub label: &'a str,
    pub state: &'a State,
    pub suite: &'a Suite,
    pub schemas: &'a SchemaStore,
    /// Now, in Unix milliseconds (the ±10-year timestamp rule).
    pub now_ms: i64,
}

impl Context<'_> {
    pub(crate) fn failure(
        &self,
        check: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
        rule: impl Into<String>,
    ) -> Failure {
        Failure {
            request: self.label.to_string(),
            check: check.into(),
            expected: expected.into(),
            actual: actual.into(),
            rule: Some(rule.into()),
            doc: None,
            should_only: false,
        }
    }
}
