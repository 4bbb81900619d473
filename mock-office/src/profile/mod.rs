//! Client profiles: what each WOPI client puts on the wire and what it needs back, one module per client.
//!
//! | profile | module | discovery | request headers | editing session | postMessage |
//! |---|---|---|---|---|---|
//! | Office for the web | [`office`] | `online/discovery.rst`: Word, Excel, PowerPoint, WopiTest, placeholders, current and old proof key | `X-WOPI-*` of `rest/common_headers.rst`, proof and proof-old | [`crate::flows::edit`]: Lock, RefreshLock, PutFile, Unlock | `App_LoadingStatus` after `Host_PostmessageReady` |
//! | Collabora Online | [`collabora`] | `cool.html?` with no placeholders, a `Capabilities` app, a single-key `<proof-key>`; `/hosting/capabilities` | `Authorization: Bearer`, `X-COOL-WOPI-ServerId`; PutFile `X-COOL-WOPI-IsModifiedByUser`/`IsAutosave`/`IsExitSave`/`Timestamp` (`X-LOOL-` duplicates on a legacy server); never `X-WOPI-ProofOld` | [`collabora::session`]: locks only with `SupportsLocks`, re-LOCK refresh, timestamp conflicts (409 + `COOLStatusCode` 1010), overwrite, Save As, rename with a body, exit save, Unlock | `Frame_Ready`, `Document_Loaded`; see [`collabora::DIALECT`] |
//! | ONLYOFFICE Docs | [`onlyoffice`] | Office-style apps plus MIME-type apps, `requires="locks,update"`, `<wopisrc=WOPI_SOURCE&>`, `<proof-key>` only with both keys; `/hosting/capabilities` | no `Authorization`; PutFile `X-LOOL-WOPI-*` only, `X-WOPI-Editors`; proof and proof-old | [`onlyoffice::session`]: deterministic lock ID, Lock on every open, RefreshLock, force-save, Save As, rename, exit save, Unlock | one `App_LoadingStatus` (`Document_Loaded`); see [`onlyoffice::DIALECT`] |
//!
//! Every fact comes from `shared/notes/clients.md` (which cites the clients' sources: `CO-WS` for Collabora's
//! `wsd/wopi/WopiStorage.cpp`, `OO-srv` for ONLYOFFICE's `DocService/sources/wopiClient.js`, ...); the comments
//! name the section. The Office profile is the mock's original behaviour.
//!
//! The sessions do not wait out the clients' real timers (minutes); they send the requests those timers trigger,
//! in the clients' order, and each step's name says which timer fires it ([`collabora::TIMERS`],
//! [`onlyoffice::TIMERS`]).

pub mod collabora;
pub mod office;
pub mod onlyoffice;
mod session;

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use serde::Serialize;
use url::Url;
use wopi_protocol::discovery::Discovery;
use wopi_protocol::proof::ProofKeys;

use crate::client::{ClientConfig, ProofMode, WopiClient, WopiTarget};
use crate::flows::{self, FlowOutcome, FlowTimers};

/// Moves a test host's clock forward by the given time.
pub type ClockHook = std::sync::Arc<dyn Fn(std::time::Duration) + Send + Sync>;

/// Which WOPI client the mock plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientProfile {
    /// Microsoft Office for the web (the validator's client).
    #[default]
    Office,
    /// Collabora Online (COOL, formerly LibreOffice Online).
    Collabora,
    /// ONLYOFFICE Docs in WOPI mode.
    Onlyoffice,
}

impl ClientProfile {
    /// Every profile.
    pub const ALL: [ClientProfile; 3] = [
        ClientProfile::Office,
        ClientProfile::Collabora,
        ClientProfile::Onlyoffice,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ClientProfile::Office => "office",
            ClientProfile::Collabora => "collabora",
            ClientProfile::Onlyoffice => "onlyoffice",
        }
    }

    /// The profile called `name` (any case, surrounding spaces ignored).
    pub fn named(name: &str) -> Option<ClientProfile> {
        let name = name.trim();
        ClientProfile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The client's own documentation, for failure messages.
    pub fn doc(self) -> &'static str {
        match self {
            ClientProfile::Office => {
                "learn.microsoft.com/microsoft-365/cloud-storage-partner-program (rest/files/*.rst)"
            }
            ClientProfile::Collabora => collabora::DOC,
            ClientProfile::Onlyoffice => onlyoffice::DOC,
        }
    }

    /// The discovery model this client serves from `base` with `keys`.
    pub fn discovery(self, base: &Url, keys: &ProofKeys) -> Discovery {
        match self {
            ClientProfile::Office => office::discovery(base, keys),
            ClientProfile::Collabora => collabora::discovery(base, keys),
            ClientProfile::Onlyoffice => onlyoffice::discovery(base, keys, onlyoffice::KeyEra::Generated),
        }
    }

    /// The discovery XML exactly as this client serves it (Collabora writes no `old*` proof-key attributes).
    pub fn discovery_xml(self, base: &Url, keys: &ProofKeys) -> String {
        match self {
            ClientProfile::Collabora => collabora::discovery_xml(base, keys),
            _ => self.discovery(base, keys).to_xml(),
        }
    }

    /// The `/hosting/capabilities` JSON, for the clients that serve one (Office does not).
    pub fn capabilities(self, base: &Url) -> Option<serde_json::Value> {
        match self {
            ClientProfile::Office => None,
            ClientProfile::Collabora => Some(collabora::capabilities(base)),
            ClientProfile::Onlyoffice => Some(onlyoffice::capabilities()),
        }
    }

    /// `base` with this client's identity and default headers: its version string, whether it sends
    /// `Authorization: Bearer`, and the headers it puts on every request.
    pub fn client_config(self, base: ClientConfig) -> ClientConfig {
        match self {
            ClientProfile::Office => base,
            ClientProfile::Collabora => collabora::client_config(base),
            ClientProfile::Onlyoffice => onlyoffice::client_config(base),
        }
    }

    /// How this client signs (Collabora never sends `X-WOPI-ProofOld`, clients.md §7).
    pub fn proof_mode(self) -> ProofMode {
        match self {
            ClientProfile::Collabora => ProofMode::CurrentOnly,
            _ => ProofMode::Valid,
        }
    }

    /// The postMessage dialect of this client's editor frame.
    pub fn dialect(self) -> &'static Dialect {
        match self {
            ClientProfile::Office => &office::DIALECT,
            ClientProfile::Collabora => &collabora::DIALECT,
            ClientProfile::Onlyoffice => &onlyoffice::DIALECT,
        }
    }

    /// Runs this client's editing session end to end on `target` and judges each step against what the client
    /// needs. `content` is what the user "types"; the session saves variations of it. `advance_host_clock` moves a
    /// test host's clock where the client would have let time pass (see [`collabora::Options`]).
    pub async fn session(
        self,
        client: &WopiClient,
        target: &WopiTarget,
        content: Bytes,
        advance_host_clock: Option<ClockHook>,
    ) -> FlowOutcome {
        match self {
            ClientProfile::Office => flows::edit(client, target, content, FlowTimers::default()).await,
            ClientProfile::Collabora => {
                let options = collabora::Options {
                    advance_host_clock,
                    ..collabora::Options::default()
                };
                collabora::session(client, target, content, options).await
            }
            ClientProfile::Onlyoffice => onlyoffice::session(client, target, content).await,
        }
    }
}

impl fmt::Display for ClientProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that is not one of [`ClientProfile::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown client profile `{0}`; expected one of: {names}", names = ClientProfile::ALL.map(ClientProfile::name).join(", "))]
pub struct UnknownProfile(pub String);

impl FromStr for ClientProfile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientProfile::named(s).ok_or_else(|| UnknownProfile(s.to_string()))
    }
}

/// The postMessage dialect of an editor frame (clients.md §6): what the frame posts to the host page and what it
/// accepts from it. Envelope for all three: `{"MessageId", "SendTime", "Values"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dialect {
    /// `App_LoadingStatus` `Values.Status` values, in the order the frame sends them (empty: no `Status` field).
    pub loading_statuses: &'static [&'static str],
    /// Whether the frame posts nothing at all when CheckFileInfo has no `PostMessageOrigin`.
    pub silent_without_origin: bool,
    /// Whether the frame ignores host messages (beyond [`Dialect::accepted_before_ready`]) until
    /// `Host_PostmessageReady`.
    pub waits_for_host_ready: bool,
    /// Host messages accepted before `Host_PostmessageReady`.
    pub accepted_before_ready: &'static [&'static str],
    /// Whether incoming `data` must be a JSON string (ONLYOFFICE ignores objects).
    pub incoming_must_be_string: bool,
    /// Messages the frame posts to the host page.
    pub outgoing: &'static [&'static str],
    /// Host messages the frame handles.
    pub incoming: &'static [&'static str],
}

/// Which save a PutFile is, as Collabora's and ONLYOFFICE's save flags tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// A timer-driven save of a modified document.
    Autosave,
    /// The user pressed Save (or the host sent `Action_Save`).
    UserSave,
    /// The last user left.
    ExitSave,
}

impl SaveKind {
    /// (`IsModifiedByUser`, `IsAutosave`, `IsExitSave`) for a modified document.
    pub fn flags(self) -> (bool, bool, bool) {
        match self {
            SaveKind::Autosave => (true, true, false),
            SaveKind::UserSave => (true, false, false),
            SaveKind::ExitSave => (true, false, true),
        }
    }
}

/// The last path segment of `wopisrc` (the file ID).
pub(crate) fn file_id(wopisrc: &Url) -> String {
    wopisrc
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .unwrap_or_default()
}

/// Base URL without its trailing slash.
pub(crate) fn root(base: &Url) -> String {
    base.as_str().trim_end_matches('/').to_string()
}

/// One step of a client session: sends `req` (with the profile's proof mode) and requires `expected`. A failure
/// names the step, the request line and the headers the step added, the status and the start of the body, and the
/// client's rule (`rule`, with its source).
pub(crate) async fn step(
    run: &mut flows::Run,
    c: &WopiClient,
    name: &str,
    req: crate::client::RawRequest,
    expected: u16,
    rule: &str,
) -> Result<crate::client::RawResponse, flows::Stop> {
    let sent = format!(
        "sent {} {}{}",
        req.method,
        req.url.path(),
        req.headers
            .iter()
            .map(|(n, v)| format!(", {n}: {v}"))
            .collect::<String>()
    );
    let result = c.send(req).await;
    run.absorb(c, None);
    match result {
        Err(e) => {
            run.check(
                format!("{name} returns {expected}"),
                false,
                format!("{sent}; got no answer: {e}; {rule}"),
            );
            Err(flows::Stop)
        }
        Ok(resp) if resp.status == expected => {
            run.check(
                format!("{name} returns {expected}"),
                true,
                format!("status {}", resp.status),
            );
            Ok(resp)
        }
        Ok(resp) => {
            let body = String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)]).into_owned();
            run.check(
                format!("{name} returns {expected}"),
                false,
                format!(
                    "{sent}; got {}{} {body:?}; {rule}",
                    resp.status,
                    flows::server_error(&resp)
                ),
            );
            Err(flows::Stop)
        }
    }
}

/// A JSON property as a string, if it is one.
pub(crate) fn json_str(v: &serde_json::Value, name: &str) -> Option<String> {
    v.get(name).and_then(serde_json::Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in ClientProfile::ALL {
            assert_eq!(p.name().parse::<ClientProfile>(), Ok(p));
        }
        assert!("libreoffice".parse::<ClientProfile>().is_err());
    }
}
