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
use serde_json::{Value, json};
use url::Url;
use wopi_protocol::discovery::{Action, App, Discovery, NetZone, ProofKeyElement};
use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;
use wopi_protocol::proof::ProofKeys;

use super::{Dialect, SaveKind, json_str, root, step};
use crate::client::{ClientConfig, ProofSpec, RawRequest, WopiClient, WopiTarget};
use crate::flows::{self, FlowOutcome, Run, Stop};

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

/// The editing session of one user, end to end (clients.md §2.1); see [`Options::advance_host_clock`] for the one
/// pause it makes.
pub async fn session(client: &WopiClient, target: &WopiTarget, content: Bytes, options: Options) -> FlowOutcome {
    let mut run = Run::new("collabora session");
    let c = client.new_session();
    let mut lock = None;
    let _ = steps(&mut run, &c, target, &content, &options, &mut lock).await;
    if let Some(lock) = lock {
        // A failed session still releases its lock, as coolwsd does at unload.
        let _ = c.unlock(target, &lock).await;
        run.absorb(&c, None);
    }
    run.finish()
}

fn req(op: Op, t: &WopiTarget, label: &str) -> RawRequest {
    RawRequest::for_op(op, t)
        .label(format!("{label} (Collabora)"))
        .proof(ProofSpec::mode(crate::client::ProofMode::CurrentOnly))
}

/// A truthy CheckFileInfo flag as Collabora reads it: `true` or the string `"true"` (its own tests use strings).
fn truthy(body: &serde_json::Map<String, Value>, name: &str) -> bool {
    match body.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

async fn steps(
    run: &mut Run,
    c: &WopiClient,
    t: &WopiTarget,
    content: &Bytes,
    options: &Options,
    held: &mut Option<String>,
) -> Result<(), Stop> {
    // 1. CheckFileInfo: every user joining.
    let resp = step(
        run,
        c,
        "1 open: CheckFileInfo",
        req(Op::CheckFileInfo, t, "CheckFileInfo"),
        200,
        "Collabora needs 200 and a JSON object (CO-WS: anything else is 'Access denied')",
    )
    .await?;
    let body = flows::cfi_body(run, &resp, "1 open: CheckFileInfo")?;
    let base = body
        .get("BaseFileName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
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
    let Some(mut stamp) = body.get("LastModifiedTime").and_then(Value::as_str).map(str::to_string) else {
        run.check(
            "1 open: CheckFileInfo has LastModifiedTime, which Collabora echoes in X-COOL-WOPI-Timestamp (CO-REF)",
            false,
            format!("LastModifiedTime {:?}", body.get("LastModifiedTime")),
        );
        return Err(Stop);
    };
    if !run.check(
        "1 open: UserCanWrite for an editing session (CO-WS: false makes the session read-only)",
        truthy(&body, "UserCanWrite"),
        format!("UserCanWrite {:?}", body.get("UserCanWrite")),
    ) {
        return Err(Stop);
    }
    let locks = truthy(&body, "SupportsLocks");
    let lock = new_lock_id();

    // 2. Lock, only when SupportsLocks (newer coolwsd locks before downloading).
    if locks {
        step(
            run,
            c,
            "2 open: Lock (SupportsLocks is true)",
            req(Op::Lock, t, "Lock").header(h::X_WOPI_LOCK, &lock),
            200,
            "a failed Lock makes the Collabora session read-only (CO-DB)",
        )
        .await?;
        *held = Some(lock.clone());
    }
    let lock_header = locks.then_some(lock.as_str());

    // 3. GetFile: first user only.
    let got = step(
        run,
        c,
        "3 open: GetFile",
        req(Op::GetFile, t, "GetFile"),
        200,
        "the document does not load otherwise (CO-WS)",
    )
    .await?;
    let size = body.get("Size").and_then(Value::as_u64);
    run.check(
        "3 open: GetFile returns Size bytes",
        size == Some(got.body.len() as u64),
        format!("{} bytes, CheckFileInfo Size {size:?}", got.body.len()),
    );

    // 4. Autosave after 30 s idle with the CheckFileInfo timestamp.
    let autosaved = with_suffix(content, b" (autosave)");
    stamp = save(
        run,
        c,
        t,
        "4 autosave (idle 30 s): PutFile",
        SaveKind::Autosave,
        Some(&stamp),
        lock_header,
        &autosaved,
        options,
    )
    .await?;
    let cfi = step(
        run,
        c,
        "4 autosave: CheckFileInfo after the save",
        req(Op::CheckFileInfo, t, "CheckFileInfo"),
        200,
        "",
    )
    .await?;
    let now = cfi.json().ok().and_then(|v| json_str(&v, "LastModifiedTime"));
    run.check(
        "4 autosave: the LastModifiedTime PutFile answered is the one CheckFileInfo reports (clients.md §8.1 C3)",
        now.as_deref() == Some(stamp.as_str()),
        format!("PutFile answered {stamp:?}, CheckFileInfo says {now:?}"),
    );

    // 5. Lock refresh: the same Lock again every 900 s (never RefreshLock).
    if locks {
        step(
            run,
            c,
            "5 lock refresh (every 900 s): Lock with the same ID",
            req(Op::Lock, t, "Lock (refresh)").header(h::X_WOPI_LOCK, &lock),
            200,
            "Lock.rst: a Lock with the current lock ID is a RefreshLock; Collabora never sends REFRESH_LOCK (CO-WS, owncloud/richdocuments#375)",
        )
        .await?;
    }

    // 6. Storage changes behind Collabora's back (another interface writes the file), then Collabora autosaves
    //    with its now stale timestamp: the host must refuse with 409 + COOLStatusCode 1010 and keep the file.
    match &options.advance_host_clock {
        Some(advance) => advance(std::time::Duration::from_secs(TIMERS.min_upload_gap_secs)),
        None => tokio::time::sleep(std::time::Duration::from_millis(1100)).await,
    }
    let other = with_suffix(content, b" (changed in storage)");
    let other_writer = c.new_session();
    let mut external = RawRequest::for_op(Op::PutFile, t)
        .label("PutFile (another interface)")
        .body(other.clone());
    if let Some(l) = lock_header {
        external = external.header(h::X_WOPI_LOCK, l);
    }
    step(
        run,
        &other_writer,
        "6 conflict: the file changes in storage",
        external,
        200,
        "",
    )
    .await?;
    run.absorb(&other_writer, Some("storage"));
    let conflicted = with_suffix(content, b" (stale)");
    let mut put = req(Op::PutFile, t, "PutFile (autosave, stale timestamp)").body(conflicted);
    for (n, v) in put_file_headers(SaveKind::Autosave, Some(&stamp), lock_header, options.legacy_server) {
        put = put.header(n, v);
    }
    let r = step(
        run,
        c,
        "6 conflict: PutFile with a stale X-COOL-WOPI-Timestamp",
        put,
        409,
        "CO-REF: a PutFile whose X-COOL-WOPI-Timestamp differs from the file's LastModifiedTime is answered 409 with {\"COOLStatusCode\":1010}",
    )
    .await?;
    let code = r.json().ok().and_then(|v| {
        v.get("COOLStatusCode")
            .or_else(|| v.get("LOOLStatusCode"))
            .and_then(Value::as_u64)
    });
    run.check(
        "6 conflict: the 409 body is {\"COOLStatusCode\":1010} (CO-WS: otherwise a plain failure, no conflict dialog; nextcloud/richdocuments#5107)",
        code == Some(DOC_CHANGED),
        format!("body {:?}", String::from_utf8_lossy(&r.body[..r.body.len().min(200)])),
    );
    let kept = step(
        run,
        c,
        "6 conflict: GetFile after the refused save",
        req(Op::GetFile, t, "GetFile"),
        200,
        "",
    )
    .await?;
    run.check(
        "6 conflict: the refused save wrote nothing",
        kept.body == other,
        format!(
            "{} bytes stored, the external change had {}",
            kept.body.len(),
            other.len()
        ),
    );

    // 7. The user chooses "overwrite": the same save again without the timestamp.
    let overwritten = with_suffix(content, b" (overwrite)");
    stamp = save(
        run,
        c,
        t,
        "7 conflict dialog, overwrite: PutFile without X-COOL-WOPI-Timestamp",
        SaveKind::UserSave,
        None,
        lock_header,
        &overwritten,
        options,
    )
    .await?;

    // 8. The user presses Save.
    let saved = with_suffix(content, b" (saved)");
    stamp = save(
        run,
        c,
        t,
        "8 save (user): PutFile",
        SaveKind::UserSave,
        Some(&stamp),
        lock_header,
        &saved,
        options,
    )
    .await?;

    // 9. Save As: PutRelativeFile, the full name in UTF-7, no lock even on a locked source.
    if !truthy(&body, "UserCanNotWriteRelative") {
        let (stem, ext) = base.rsplit_once('.').unwrap_or((base.as_str(), ""));
        let name = format!("{stem} (copie é).{ext}");
        let put = req(Op::PutRelativeFile, t, "PutRelativeFile (Save As)")
            .header(h::X_WOPI_SUGGESTED_TARGET, wopi_protocol::utf7::encode(&name))
            .header(h::X_WOPI_SIZE, saved.len().to_string())
            .header("Content-Type", "application/octet-stream")
            .body(saved.clone());
        let r = step(
            run,
            c,
            "9 Save As: PutRelativeFile (full name in UTF-7, no X-WOPI-Lock)",
            put,
            200,
            "CO-WS: Save As on a locked source carries no lock; the host answers JSON Name and Url",
        )
        .await?;
        let json = r.json().unwrap_or(Value::Null);
        let url = json_str(&json, "Url").and_then(|u| Url::parse(&u).ok());
        let new = url.as_ref().and_then(WopiTarget::from_url_with_token);
        run.check(
            "9 Save As: the answer has Name and a Url with access_token (CO-WS loads the new document from it)",
            json_str(&json, "Name").is_some() && new.is_some(),
            format!("body {json}"),
        );
        if let Some(new) = new {
            step(
                run,
                c,
                "9 Save As: CheckFileInfo on the new Url",
                req(Op::CheckFileInfo, &new, "CheckFileInfo (Save As)"),
                200,
                "",
            )
            .await?;
        }
    }

    // 10. Rename: RenameFile carries the document as its body (CO-WS sets the body unconditionally).
    if truthy(&body, "SupportsRename") && truthy(&body, "UserCanRename") {
        let mut r = req(Op::RenameFile, t, "RenameFile")
            .header(
                h::X_WOPI_REQUESTED_NAME,
                wopi_protocol::utf7::encode("renamed by Collabora"),
            )
            .header("Content-Type", "application/octet-stream")
            .body(saved.clone());
        if let Some(l) = lock_header {
            r = r.header(h::X_WOPI_LOCK, l);
        }
        let r = step(
            run,
            c,
            "10 rename: RenameFile with the document as body",
            r,
            200,
            "CO-WS: RenameFile carries the file as body with Content-Type application/octet-stream",
        )
        .await?;
        let json = r.json().unwrap_or(Value::Null);
        run.check(
            "10 rename: the answer has Name and Url (CO-WS, ecosystem §5)",
            json_str(&json, "Name").is_some() && json_str(&json, "Url").is_some(),
            format!("body {json}"),
        );
    }

    // 11. The last user leaves: exit save with Connection: close, then Unlock.
    let exit = with_suffix(content, b" (exit)");
    save(
        run,
        c,
        t,
        "11 close: PutFile (exit save)",
        SaveKind::ExitSave,
        Some(&stamp),
        lock_header,
        &exit,
        options,
    )
    .await?;
    if locks {
        step(
            run,
            c,
            "11 close: Unlock",
            req(Op::Unlock, t, "Unlock").header(h::X_WOPI_LOCK, &lock),
            200,
            "Unlock.rst; CO-WS unlocks after the exit save",
        )
        .await?;
        *held = None;
    }
    let last = step(
        run,
        c,
        "11 close: GetFile after the session",
        req(Op::GetFile, t, "GetFile"),
        200,
        "",
    )
    .await?;
    run.check(
        "11 close: the file holds the exit save",
        last.body == exit,
        format!("{} bytes stored, exit save had {}", last.body.len(), exit.len()),
    );
    Ok(())
}

/// One upload; returns the new `LastModifiedTime` the host answered (Collabora keeps it for the next save).
#[allow(clippy::too_many_arguments)]
async fn save(
    run: &mut Run,
    c: &WopiClient,
    t: &WopiTarget,
    name: &str,
    kind: SaveKind,
    stamp: Option<&str>,
    lock: Option<&str>,
    body: &Bytes,
    options: &Options,
) -> Result<String, Stop> {
    let mut put = req(Op::PutFile, t, "PutFile").body(body.clone());
    for (n, v) in put_file_headers(kind, stamp, lock, options.legacy_server) {
        put = put.header(n, v);
    }
    let r = step(
        run,
        c,
        name,
        put,
        200,
        "CO-REF: a PutFile with the current (or no) X-COOL-WOPI-Timestamp succeeds",
    )
    .await?;
    let answered = r.json().ok().and_then(|v| json_str(&v, "LastModifiedTime"));
    match answered {
        Some(s) => {
            run.check(
                format!("{name}: answers JSON LastModifiedTime (CO-WS, CO-REF)"),
                true,
                s.clone(),
            );
            Ok(s)
        }
        None => {
            run.check(
                format!("{name}: answers JSON LastModifiedTime (CO-WS, CO-REF: without it the next save conflicts)"),
                false,
                format!("body {:?}", String::from_utf8_lossy(&r.body[..r.body.len().min(200)])),
            );
            Err(Stop)
        }
    }
}

fn with_suffix(content: &Bytes, suffix: &[u8]) -> Bytes {
    let mut v = content.to_vec();
    v.extend_from_slice(suffix);
    Bytes::from(v)
}

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
