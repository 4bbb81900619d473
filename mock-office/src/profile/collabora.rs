//! Collabora Online as a WOPI client (`shared/notes/clients.md` §1.1, §2.1, §3.1, §4, §5, §6.1, §8.1; sources
//! `CO-WS` = `wsd/wopi/WopiStorage.cpp`, `CO-CRD` = `wsd/ClientRequestDispatcher.cpp`, `CO-PK` = `wsd/ProofKey.cpp`,
//! `CO-REF` = `wsd/reference.md`, `CO-SDK` = sdk.collaboraonline.com).
//!
//! - **Discovery** (`CO-CRD`): one net-zone `external-http`; MIME-type apps (legacy) and `writer`, `calc`,
//!   `impress`, `draw` apps; every `urlsrc` is `<server>/browser/<hash>/cool.html?` with no placeholders; an app
//!   `Capabilities` whose `getinfo` action points at `/hosting/capabilities`; a `<proof-key>` with the current key
//!   only (no `old*` attributes, `CO-PK`).
//! - **Headers**: `Authorization: Bearer`, `X-COOL-WOPI-ServerId` on every request; proofs with `X-WOPI-Proof` and
//!   `X-WOPI-TimeStamp` only; PutFile adds `X-COOL-WOPI-IsModifiedByUser`, `-IsAutosave`, `-IsExitSave` and
//!   `-Timestamp` (the last `LastModifiedTime`, verbatim), and `X-LOOL-` duplicates on a legacy server (`CO-WS`).
//! - **Session** ([`session`]): CheckFileInfo, Lock only with `SupportsLocks`, GetFile, autosave, re-LOCK refresh,
//!   a timestamp conflict (409 + `{"COOLStatusCode":1010}`) and the user's "overwrite" (PutFile without the
//!   timestamp), Save, Save As (PutRelativeFile, UTF-7 full name, no lock), rename (RenameFile with the document as
//!   body), exit save (`Connection: close`), Unlock.
//! - **postMessage** ([`DIALECT`], `CO-JS`, `CO-SDK`).

use bytes::Bytes;
use serde_json::{Map, Value, json};
use url::Url;
use wopi_protocol::discovery::{Action, App, Discovery, NetZone, ProofKeyElement};
use wopi_protocol::headers as h;
use wopi_protocol::proof::ProofKeys;

use super::session::{self, Answer, Client, Conflict, Editor, Fresh, RenameAnswer, SaveAsTarget, Says, Step};
use super::{Dialect, SaveKind, root};
use crate::client::{ClientConfig, ProofMode, WopiClient, WopiTarget};
use crate::flows::{FlowOutcome, Run, Stop};

/// Where a host builder reads about these rules.
pub const DOC: &str =
    "sdk.collaboraonline.com/docs/How_to_integrate.html and wsd/reference.md (CollaboraOnline/online)";

/// The version hash in `cool.html` URLs (coolwsd puts its git hash there).
pub const VERSION_HASH: &str = "wopimock";

/// `X-COOL-WOPI-ServerId`: the coolwsd process identifier (also `serverId` in capabilities).
pub const SERVER_ID: &str = "wopi-mock-coolwsd";

/// PutFile headers (`CO-WS` `uploadLocalFileToStorageAsync`).
pub const IS_MODIFIED_BY_USER: &str = "X-COOL-WOPI-IsModifiedByUser";
pub const IS_AUTOSAVE: &str = "X-COOL-WOPI-IsAutosave";
pub const IS_EXIT_SAVE: &str = "X-COOL-WOPI-IsExitSave";
pub const TIMESTAMP: &str = "X-COOL-WOPI-Timestamp";
/// The same headers under their pre-2021 names, sent only by a server configured with `is_legacy_server`.
pub const LEGACY_PREFIX: &str = "X-LOOL-WOPI-";

/// The status code in the body of a 409 that tells Collabora the document changed in storage (`CO-REF`).
pub const DOC_CHANGED: u64 = 1010;

/// Collabora's timers (`coolwsd.xml` defaults, clients.md §2.1); the session sends what they trigger without
/// waiting for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    pub idle_save_secs: u64,
    pub autosave_secs: u64,
    pub lock_refresh_secs: u64,
    pub min_upload_gap_secs: u64,
}

pub const TIMERS: Timers = Timers {
    idle_save_secs: 30,
    autosave_secs: 300,
    lock_refresh_secs: 900,
    min_upload_gap_secs: 5,
};

/// The editor frame's dialect (`CO-JS` `Map.WOPI.js`, `CO-SDK` postmessage_api; clients.md §6.1). The SDK says
/// nothing is posted without `PostMessageOrigin`; the code read posts to `*` (clients.md §9 open question 1): the
/// profile follows the SDK, which is what a host builder can rely on.
pub const DIALECT: Dialect = Dialect {
    loading_statuses: &["Initialized", "Frame_Ready", "Document_Loaded"],
    silent_without_origin: true,
    waits_for_host_ready: true,
    accepted_before_ready: &[
        "Close_Session",
        "Show_Button",
        "Hide_Button",
        "Remove_Button",
        "Remove_Statusbar_Element",
        "Show_Menubar",
        "Hide_Menubar",
        "Show_Ruler",
        "Hide_Ruler",
        "Show_Menu_Item",
        "Hide_Menu_Item",
        "Insert_Button",
        "Send_UNO_Command",
        "Disable_Default_UIAction",
    ],
    incoming_must_be_string: false,
    outgoing: &[
        "App_LoadingStatus",
        "UI_Hyperlink",
        "Views_List",
        "Get_Views_Resp",
        "Get_Export_Formats_Resp",
        "Action_Save_Resp",
        "UI_SaveAs",
        "UI_InsertGraphic",
        "Download_As",
        "Session_Closed",
        "User_Idle",
        "Doc_ModifiedStatus",
        "UI_Close",
        "File_Rename",
    ],
    incoming: &[
        "Host_PostmessageReady",
        "Set_Settings",
        "Get_Views",
        "Reset_Access_Token",
        "Action_Save",
        "Action_Close",
        "Action_Print",
        "Action_Export",
        "Action_InsertGraphic",
        "Action_SaveAs",
        "Get_Export_Formats",
        "Grab_Focus",
    ],
};

/// (app, [(action, ext)]): the MIME-type apps of the old template, then the named apps of newer CODE output.
const APPS: &[(&str, &[(&str, &str)])] = &[
    ("application/vnd.oasis.opendocument.text", &[("edit", "odt")]),
    ("application/vnd.oasis.opendocument.spreadsheet", &[("edit", "ods")]),
    ("application/vnd.oasis.opendocument.presentation", &[("edit", "odp")]),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &[("edit", "docx")],
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &[("edit", "xlsx")],
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &[("edit", "pptx")],
    ),
    (
        "writer",
        &[("edit", "odt"), ("edit", "docx"), ("view", "doc"), ("edit", "rtf")],
    ),
    (
        "calc",
        &[("edit", "ods"), ("edit", "xlsx"), ("view", "xls"), ("edit", "csv")],
    ),
    ("impress", &[("edit", "odp"), ("edit", "pptx"), ("view", "ppt")]),
    ("draw", &[("view_comment", "pdf"), ("edit", "odg")]),
];

fn action(name: &str, ext: &str, urlsrc: String) -> Action {
    Action {
        name: name.to_string(),
        ext: Some(ext.to_string()),
        progid: None,
        urlsrc,
        requires: None,
        default: false,
        newprogid: None,
        newext: None,
        use_parent: None,
        targetext: None,
    }
}

/// Collabora's discovery for a server at `base` with proof key `keys.current` (the old key is never published).
pub fn discovery(base: &Url, keys: &ProofKeys) -> Discovery {
    let root = root(base);
    let cool = format!("{root}/browser/{VERSION_HASH}/cool.html?");
    let mut apps: Vec<App> = APPS
        .iter()
        .map(|(name, actions)| App {
            name: (*name).to_string(),
            fav_icon_url: None,
            check_license: None,
            actions: actions.iter().map(|(a, ext)| action(a, ext, cool.clone())).collect(),
        })
        .collect();
    apps.push(App {
        name: "Capabilities".to_string(),
        fav_icon_url: None,
        check_license: None,
        actions: vec![action("getinfo", "", format!("{root}/hosting/capabilities"))],
    });
    Discovery {
        net_zones: vec![NetZone {
            name: "external-http".to_string(),
            apps,
        }],
        proof_key: Some(ProofKeyElement::from_keys(&ProofKeys {
            current: keys.current.clone(),
            old: None,
        })),
    }
}

/// The discovery XML: [`discovery`] without the empty `old*` attributes Collabora never writes.
pub fn discovery_xml(base: &Url, keys: &ProofKeys) -> String {
    discovery(base, keys)
        .to_xml()
        .replace(" oldvalue=\"\" oldmodulus=\"\" oldexponent=\"\"", "")
}

/// `/hosting/capabilities` (`CO-CRD` `getCapabilitiesJson`).
pub fn capabilities(base: &Url) -> Value {
    let _ = base;
    json!({
        "convert-to": { "available": true, "endpoint": "/cool/convert-to" },
        "hasTemplateSaveAs": false,
        "hasTemplateSource": true,
        "hasMobileSupport": true,
        "productName": "Collabora Online (wopi-mock-office)",
        "serverId": SERVER_ID,
        "productVersion": "24.04.0",
        "productVersionHash": VERSION_HASH,
        "hasProxyPrefix": false,
        "hasZoteroSupport": true,
        "hasWASMSupport": false,
    })
}

/// Collabora's identity: `Authorization: Bearer`, `X-COOL-WOPI-ServerId`, no `X-WOPI-MachineName`.
pub fn client_config(base: ClientConfig) -> ClientConfig {
    ClientConfig {
        client_version: "coolwsd (wopi-mock-office)".to_string(),
        authorization_header: true,
        machine_name_header: false,
        profile_headers: vec![("X-COOL-WOPI-ServerId".to_string(), SERVER_ID.to_string())],
        ..base
    }
}

/// The PutFile headers of a save beyond `X-WOPI-Override: PUT` (`CO-WS`): the three flags always, the timestamp when Collabora trusts the one it
/// has, the lock when locks are on, and the `X-LOOL-` duplicates on a legacy server.
pub fn put_file_headers(
    kind: SaveKind,
    timestamp: Option<&str>,
    lock: Option<&str>,
    legacy: bool,
) -> Vec<(String, String)> {
    let (modified, autosave, exit) = kind.flags();
    let mut out = Vec::new();
    if let Some(lock) = lock {
        out.push((h::X_WOPI_LOCK.to_string(), lock.to_string()));
    }
    let mut cool = vec![
        ("IsModifiedByUser", modified.to_string()),
        ("IsAutosave", autosave.to_string()),
        ("IsExitSave", exit.to_string()),
    ];
    if let Some(t) = timestamp {
        cool.push(("Timestamp", t.to_string()));
    }
    for (name, value) in &cool {
        out.push((format!("X-COOL-WOPI-{name}"), value.clone()));
    }
    if legacy {
        for (name, value) in cool {
            out.push((format!("{LEGACY_PREFIX}{name}"), value));
        }
    }
    out.push(("Content-Type".to_string(), "application/octet-stream".to_string()));
    if kind == SaveKind::ExitSave {
        out.push(("Connection".to_string(), "close".to_string()));
    }
    out
}

/// How the session runs.
#[derive(Clone, Default)]
pub struct Options {
    /// Send the `X-LOOL-WOPI-*` duplicates (`storage.wopi.is_legacy_server`).
    pub legacy_server: bool,
    /// Moves the host's clock forward (a test host with a frozen clock). Collabora leaves at least
    /// `min_time_between_uploads` (5 s) between uploads; the session calls this with that gap before the simulated
    /// external change, so the change gets a new `LastModifiedTime`. Without it the session sleeps 1.1 s, enough
    /// for a host whose times have whole seconds.
    pub advance_host_clock: Option<super::ClockHook>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("legacy_server", &self.legacy_server)
            .field("advance_host_clock", &self.advance_host_clock.is_some())
            .finish()
    }
}

/// A lock ID as Collabora makes one: `cool-lock` and 8 hex digits (`CO-STO`).
pub fn new_lock_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("cool-lock{}", &hex[..8])
}

/// The editing session of one user, end to end (clients.md §2.1, [`SESSION`]); see
/// [`Options::advance_host_clock`] for the one pause it makes.
pub async fn session(client: &WopiClient, target: &WopiTarget, content: Bytes, options: Options) -> FlowOutcome {
    let options = session::Options {
        legacy_server: options.legacy_server,
        advance_host_clock: options.advance_host_clock,
    };
    session::run(&SESSION, client, target, content, &options).await
}

/// A truthy CheckFileInfo flag as Collabora reads it: `true` or the string `"true"` (its own tests use strings).
fn truthy(body: &Map<String, Value>, name: &str) -> bool {
    match body.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// What Collabora checks in CheckFileInfo when a user joins (CO-WS, CO-SDK, CO-REF).
fn open_checks(run: &mut Run, body: &Map<String, Value>) -> Result<(), Stop> {
    let base = body.get("BaseFileName").and_then(Value::as_str).unwrap_or_default();
    run.check(
        "1 open: BaseFileName is a non-empty name without a path (CO-WS validates it, CollaboraOnline/online#11136)",
        !base.is_empty() && !base.contains(['/', '\\']),
        format!("BaseFileName {base:?}"),
    );
    for name in ["Size", "UserId", "OwnerId"] {
        run.check(
            format!("1 open: CheckFileInfo has {name} (CO-SDK How_to_integrate)"),
            body.contains_key(name),
            format!("{name} {:?}", body.get(name)),
        );
    }
    if body.get("LastModifiedTime").and_then(Value::as_str).is_none() {
        run.check(
            "1 open: CheckFileInfo has LastModifiedTime, which Collabora echoes in X-COOL-WOPI-Timestamp (CO-REF)",
            false,
            format!("LastModifiedTime {:?}", body.get("LastModifiedTime")),
        );
        return Err(Stop);
    }
    if run.check(
        "1 open: UserCanWrite for an editing session (CO-WS: false makes the session read-only)",
        truthy(body, "UserCanWrite"),
        format!("UserCanWrite {:?}", body.get("UserCanWrite")),
    ) {
        Ok(())
    } else {
        Err(Stop)
    }
}

/// A save's rule: the current (or no) timestamp succeeds.
const SAVE_RULE: &str = "CO-REF: a PutFile with the current (or no) X-COOL-WOPI-Timestamp succeeds";
const SAVE_ANSWER: Answer = Answer::LastModifiedTime("CO-WS, CO-REF");

const fn says(name: &'static str, label: &'static str, rule: &'static str) -> Says {
    Says { name, label, rule }
}

/// A save of the content with `suffix`, as `name`.
const fn save(name: &'static str, kind: SaveKind, suffix: &'static [u8], timestamp: bool) -> Step {
    Step::Save {
        says: says(name, "PutFile", SAVE_RULE),
        kind,
        suffix,
        timestamp,
        answer: SAVE_ANSWER,
    }
}

/// Storage changes behind Collabora's back (another interface writes the file), then Collabora autosaves with its
/// now stale timestamp: the host must refuse with 409 + COOLStatusCode 1010 and keep the file.
const CONFLICT: Conflict = Conflict {
    min_gap_secs: TIMERS.min_upload_gap_secs,
    external: "6 conflict: the file changes in storage",
    stale: says(
        "6 conflict: PutFile with a stale X-COOL-WOPI-Timestamp",
        "PutFile (autosave, stale timestamp)",
        "CO-REF: a PutFile whose X-COOL-WOPI-Timestamp differs from the file's LastModifiedTime is answered 409 with {\"COOLStatusCode\":1010}",
    ),
    status_code: DOC_CHANGED,
    status_fields: &["COOLStatusCode", "LOOLStatusCode"],
    body_check: "6 conflict: the 409 body is {\"COOLStatusCode\":1010} (CO-WS: otherwise a plain failure, no conflict dialog; nextcloud/richdocuments#5107)",
    kept: "6 conflict: GetFile after the refused save",
    kept_check: "6 conflict: the refused save wrote nothing",
};

/// Collabora's session (clients.md §2.1): its timers fire the steps named after them.
pub(crate) const SESSION: Client = Client {
    name: "collabora",
    label: "Collabora",
    proof: Some(ProofMode::CurrentOnly),
    lock_id: |_| new_lock_id(),
    flag: truthy,
    open_checks,
    put_headers: |ctx| put_file_headers(ctx.kind, ctx.timestamp, ctx.lock, ctx.legacy_server),
    steps: &[
        // Every user joining.
        Step::Open("Collabora needs 200 and a JSON object (CO-WS: anything else is 'Access denied')"),
        // Only with SupportsLocks; newer coolwsd locks before downloading.
        Step::Lock(
            says(
                "2 open: Lock (SupportsLocks is true)",
                "Lock",
                "a failed Lock makes the Collabora session read-only (CO-DB)",
            ),
            Editor::This,
        ),
        // First user only.
        Step::GetFile {
            says: says(
                "3 open: GetFile",
                "GetFile",
                "the document does not load otherwise (CO-WS)",
            ),
            max_expected_size: None,
            size_check: "3 open: GetFile returns Size bytes",
        },
        save(
            "4 autosave (idle 30 s): PutFile",
            SaveKind::Autosave,
            b" (autosave)",
            true,
        ),
        Step::AfterSave {
            name: "4 autosave: CheckFileInfo after the save",
            check: "4 autosave: the LastModifiedTime PutFile answered is the one CheckFileInfo reports (clients.md §8.1 C3)",
            fresh: Fresh::LastModifiedTime,
        },
        // The same Lock again every 900 s (never RefreshLock).
        Step::Lock(
            says(
                "5 lock refresh (every 900 s): Lock with the same ID",
                "Lock (refresh)",
                "Lock.rst: a Lock with the current lock ID is a RefreshLock; Collabora never sends REFRESH_LOCK (CO-WS, owncloud/richdocuments#375)",
            ),
            Editor::This,
        ),
        Step::Conflict(&CONFLICT),
        // The user chooses "overwrite": the same save again without the timestamp.
        save(
            "7 conflict dialog, overwrite: PutFile without X-COOL-WOPI-Timestamp",
            SaveKind::UserSave,
            b" (overwrite)",
            false,
        ),
        save("8 save (user): PutFile", SaveKind::UserSave, b" (saved)", true),
        // The full name in UTF-7, no lock even on a locked source.
        Step::SaveAs {
            says: says(
                "9 Save As: PutRelativeFile (full name in UTF-7, no X-WOPI-Lock)",
                "PutRelativeFile (Save As)",
                "CO-WS: Save As on a locked source carries no lock; the host answers JSON Name and Url",
            ),
            target: SaveAsTarget::FullName(" (copie é)"),
            content_type: true,
            check: "9 Save As: the answer has Name and a Url with access_token (CO-WS loads the new document from it)",
            open_new: Some("9 Save As: CheckFileInfo on the new Url"),
        },
        // CO-WS sets the body unconditionally.
        Step::Rename {
            says: says(
                "10 rename: RenameFile with the document as body",
                "RenameFile",
                "CO-WS: RenameFile carries the file as body with Content-Type application/octet-stream",
            ),
            requested: "renamed by Collabora",
            with_body: true,
            answer: RenameAnswer::NameAndUrl,
            check: "10 rename: the answer has Name and Url (CO-WS, ecosystem §5)",
        },
        // The last user leaves: exit save with Connection: close, then Unlock.
        save("11 close: PutFile (exit save)", SaveKind::ExitSave, b" (exit)", true),
        Step::Unlock(says(
            "11 close: Unlock",
            "Unlock",
            "Unlock.rst; CO-WS unlocks after the exit save",
        )),
        Step::HoldsLastSave {
            name: "11 close: GetFile after the session",
            check: "11 close: the file holds the exit save",
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_file_headers_follow_the_save_kind() {
        let hs = put_file_headers(SaveKind::ExitSave, Some("T"), None, true);
        let get = |n: &str| hs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get(IS_EXIT_SAVE), Some("true"));
        assert_eq!(get(IS_AUTOSAVE), Some("false"));
        assert_eq!(get(TIMESTAMP), Some("T"));
        assert_eq!(get("X-LOOL-WOPI-Timestamp"), Some("T"));
        assert_eq!(get("Connection"), Some("close"));
        assert_eq!(get(h::X_WOPI_LOCK), None, "no lock without SupportsLocks");
        let plain = put_file_headers(SaveKind::Autosave, None, Some("L"), false);
        assert!(
            plain
                .iter()
                .all(|(k, _)| !k.starts_with(LEGACY_PREFIX) && k != TIMESTAMP)
        );
    }

    #[test]
    fn discovery_has_cool_urls_capabilities_and_a_single_key() {
        let keys = crate::keys::KeyRing::fixed().expect("keys").proof_keys();
        let base = Url::parse("http://127.0.0.1:9/").expect("url");
        let xml = discovery_xml(&base, &keys);
        assert!(!xml.contains("oldvalue"), "{xml}");
        assert!(!xml.contains("&lt;"), "no placeholders: {xml}");
        let d = Discovery::parse(&xml).expect("parses");
        let (_, edit) = d.find_action("docx", "edit").expect("docx edit");
        assert_eq!(
            edit.urlsrc,
            format!("http://127.0.0.1:9/browser/{VERSION_HASH}/cool.html?")
        );
        assert!(
            d.actions()
                .any(|(a, x)| a.name == "Capabilities" && x.urlsrc.ends_with("/hosting/capabilities"))
        );
        assert_eq!(d.proof_keys().expect("keys").old, None);
    }
}
