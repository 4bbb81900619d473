//! Scripted editor sessions: the sequences of WOPI calls an editor makes, each returning its transcript and a
//! verdict made of named checks.
//!
//! | flow | calls | source |
//! |---|---|---|
//! | [`view`] | CheckFileInfo → GetFile | `rest/files/CheckFileInfo.rst`, `GetFile.rst` |
//! | [`edit`] | CheckFileInfo → GetFile → Lock → RefreshLock (timer) → PutFile → Unlock, then checks content, version, lock | `Lock.rst`, `RefreshLock.rst`, `PutFile.rst` |
//! | [`edit_new`] | CheckFileInfo (Size 0) → PutFile unlocked → Lock → Unlock | `online/scenarios/createnew.rst` |
//! | [`save_as`] | PutRelativeFile → CheckFileInfo and GetFile on the new file | `PutRelativeFile.rst` |
//! | [`convert`] | CheckFileInfo → GetFile → PutRelativeFile (suggested `.ext`, `X-WOPI-FileConversion`) → the new file | `online/scenarios/conversion.rst` |
//! | [`rename`] | Lock → RenameFile → CheckFileInfo → Unlock | `RenameFile.rst` |
//! | [`two_editors`] | A locks; B's Lock and PutFile meet 409 with A's lock ID; A unlocks; B can lock | `Lock.rst` |
//!
//! The view and edit flows also check the CheckFileInfo body with [`wopi_protocol::checkfileinfo::validate`].
//!
//! Each flow runs in a new client session (its own `X-WOPI-SessionId`). When a step fails, the flow stops, but a
//! lock it took is released on the way out so one failing flow does not block the next. Timers are
//! [`FlowTimers`], milliseconds in tests.

use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use wopi_protocol::headers as h;
use wopi_protocol::transcript::Exchange;

use crate::client::{ClientError, RawResponse, WopiClient, WopiTarget};

/// The editor's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowTimers {
    /// Time between RefreshLock calls while the document is open.
    pub refresh_interval: Duration,
    /// How long the document stays open between Lock and the save; at least one RefreshLock is always sent.
    pub edit_duration: Duration,
}

impl Default for FlowTimers {
    /// Short enough for a suite run; a real editor refreshes every few minutes (locks expire after 30).
    fn default() -> Self {
        FlowTimers {
            refresh_interval: Duration::from_millis(100),
            edit_duration: Duration::from_millis(250),
        }
    }
}

impl FlowTimers {
    /// Milliseconds, for unit tests.
    pub fn fast() -> FlowTimers {
        FlowTimers {
            refresh_interval: Duration::from_millis(10),
            edit_duration: Duration::from_millis(35),
        }
    }
}

/// One expectation of a flow and whether it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, e.g. `Lock returns 200`.
    pub step: String,
    pub passed: bool,
    /// What was seen.
    pub detail: String,
}

/// The verdict of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

/// What a flow did and whether the host behaved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowOutcome {
    pub flow: String,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    pub transcript: Vec<Exchange>,
}

impl FlowOutcome {
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }

    /// The failed checks, one per line (for assertion messages and reports).
    pub fn failure_summary(&self) -> String {
        self.failures()
            .map(|c| format!("{}: {}", c.step, c.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A flow in progress: checks and a transcript gathered in call order across editors.
pub(crate) struct Run {
    flow: String,
    checks: Vec<Check>,
    transcript: Vec<Exchange>,
}

/// Ends a flow early; the checks say why.
pub(crate) struct Stop;

impl Run {
    pub(crate) fn new(flow: &str) -> Run {
        Run {
            flow: flow.to_string(),
            checks: Vec::new(),
            transcript: Vec::new(),
        }
    }

    pub(crate) fn check(&mut self, step: impl Into<String>, passed: bool, detail: impl Into<String>) -> bool {
        self.checks.push(Check {
            step: step.into(),
            passed,
            detail: detail.into(),
        });
        passed
    }

    /// Moves what `client` recorded into the flow's transcript, labelled with the editor's name if given.
    pub(crate) fn absorb(&mut self, client: &WopiClient, editor: Option<&str>) {
        for mut e in client.take_transcript() {
            if let Some(name) = editor {
                e.label = format!("{name}: {}", e.label);
            }
            self.transcript.push(e);
        }
    }

    /// Records the call and requires a transport success and `expected` status.
    pub(crate) fn call(
        &mut self,
        client: &WopiClient,
        editor: Option<&str>,
        step: &str,
        result: Result<RawResponse, ClientError>,
        expected: u16,
    ) -> Result<RawResponse, Stop> {
        self.absorb(client, editor);
        let who = editor.map(|e| format!("{e}: ")).unwrap_or_default();
        match result {
            Err(e) => {
                self.check(format!("{who}{step} returns {expected}"), false, e.to_string());
                Err(Stop)
            }
            Ok(resp) => {
                let detail = format!("status {}{}", resp.status, server_error(&resp));
                if self.check(
                    format!("{who}{step} returns {expected}"),
                    resp.status == expected,
                    detail,
                ) {
                    Ok(resp)
                } else {
                    Err(Stop)
                }
            }
        }
    }

    pub(crate) fn finish(self) -> FlowOutcome {
        let verdict = if !self.checks.is_empty() && self.checks.iter().all(|c| c.passed) {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        FlowOutcome {
            flow: self.flow,
            verdict,
            checks: self.checks,
            transcript: self.transcript,
        }
    }
}

pub(crate) fn server_error(resp: &RawResponse) -> String {
    resp.header(h::X_WOPI_SERVER_ERROR)
        .map(|e| format!(" ({e})"))
        .unwrap_or_default()
}

/// The CheckFileInfo body as a JSON object, or a failed check.
pub(crate) fn cfi_body(run: &mut Run, resp: &RawResponse, step: &str) -> Result<serde_json::Map<String, Value>, Stop> {
    match resp.json() {
        Ok(Value::Object(map)) => {
            run.check(format!("{step} body is a JSON object"), true, "ok");
            Ok(map)
        }
        Ok(other) => {
            run.check(format!("{step} body is a JSON object"), false, format!("got {other}"));
            Err(Stop)
        }
        Err(e) => {
            run.check(format!("{step} body is a JSON object"), false, e.to_string());
            Err(Stop)
        }
    }
}

/// The CheckFileInfo body conforms to `rest/files/CheckFileInfo.rst` (required properties, types, combinations).
fn cfi_conforms(run: &mut Run, body: &serde_json::Map<String, Value>) {
    let problems = wopi_protocol::checkfileinfo::validate(&Value::Object(body.clone()));
    let detail = if problems.is_empty() {
        "ok".to_string()
    } else {
        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    };
    run.check(
        "CheckFileInfo conforms to CheckFileInfo.rst",
        problems.is_empty(),
        detail,
    );
}

pub(crate) fn flag(body: &serde_json::Map<String, Value>, name: &str) -> bool {
    body.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn new_lock_id() -> String {
    // Office's lock IDs are JSON documents; a GUID-like string is what most hosts see in tests.
    format!("mock-office-lock-{}", uuid::Uuid::new_v4())
}

/// View: CheckFileInfo → GetFile (with `X-WOPI-MaxExpectedSize` from `Size`); the body must have that size.
pub async fn view(client: &WopiClient, target: &WopiTarget) -> FlowOutcome {
    let mut run = Run::new("view");
    let c = client.new_session();
    let _ = view_steps(&mut run, &c, target).await;
    run.finish()
}

async fn view_steps(run: &mut Run, c: &WopiClient, t: &WopiTarget) -> Result<(), Stop> {
    let resp = run.call(c, None, "CheckFileInfo", c.check_file_info(t).await, 200)?;
    let body = cfi_body(run, &resp, "CheckFileInfo")?;
    cfi_conforms(run, &body);
    let size = body.get("Size").and_then(Value::as_u64);
    let file = run.call(c, None, "GetFile", c.get_file(t, size).await, 200)?;
    if let Some(size) = size {
        run.check(
            "GetFile body has CheckFileInfo's Size",
            file.body.len() as u64 == size,
            format!("Size {size}, body {} bytes", file.body.len()),
        );
    }
    Ok(())
}

/// Edit: CheckFileInfo → GetFile → Lock → RefreshLock on the timer → PutFile → Unlock, then checks that the new
/// content is stored, `Version` changed and the lock is released.
pub async fn edit(client: &WopiClient, target: &WopiTarget, new_content: Bytes, timers: FlowTimers) -> FlowOutcome {
    let mut run = Run::new("edit");
    let c = client.new_session();
    let lock = new_lock_id();
    let mut locked = false;
    let _ = edit_steps(&mut run, &c, target, &new_content, timers, &lock, &mut locked).await;
    release(&mut run, &c, None, target, &lock, locked).await;
    run.finish()
}

/// Unlocks if a failed flow still holds its lock (best effort, recorded in the transcript only).
async fn release(run: &mut Run, c: &WopiClient, editor: Option<&str>, t: &WopiTarget, lock: &str, locked: bool) {
    if locked {
        let _ = c.unlock(t, lock).await;
        run.absorb(c, editor);
    }
}

async fn edit_steps(
    run: &mut Run,
    c: &WopiClient,
    t: &WopiTarget,
    content: &Bytes,
    timers: FlowTimers,
    lock: &str,
    locked: &mut bool,
) -> Result<(), Stop> {
    let resp = run.call(c, None, "CheckFileInfo", c.check_file_info(t).await, 200)?;
    let body = cfi_body(run, &resp, "CheckFileInfo")?;
    cfi_conforms(run, &body);
    let editable = flag(&body, "SupportsLocks") && flag(&body, "SupportsUpdate") && flag(&body, "UserCanWrite");
    if !run.check(
        "CheckFileInfo allows editing (SupportsLocks, SupportsUpdate, UserCanWrite)",
        editable,
        format!(
            "SupportsLocks {:?}, SupportsUpdate {:?}, UserCanWrite {:?}",
            body.get("SupportsLocks"),
            body.get("SupportsUpdate"),
            body.get("UserCanWrite")
        ),
    ) {
        return Err(Stop);
    }
    let version_before = body.get("Version").cloned();
    run.call(
        c,
        None,
        "GetFile",
        c.get_file(t, body.get("Size").and_then(Value::as_u64)).await,
        200,
    )?;
    run.call(c, None, "Lock", c.lock(t, lock).await, 200)?;
    *locked = true;
    refresh_while_editing(run, c, None, t, lock, timers).await?;
    let put = run.call(
        c,
        None,
        "PutFile",
        c.put_file(t, Some(lock), content.clone()).await,
        200,
    )?;
    if let Some(v) = put.header(h::X_WOPI_ITEM_VERSION) {
        run.check(
            "PutFile returns X-WOPI-ItemVersion",
            !v.is_empty(),
            format!("X-WOPI-ItemVersion {v:?}"),
        );
    }
    run.call(c, None, "Unlock", c.unlock(t, lock).await, 200)?;
    *locked = false;

    let after = run.call(c, None, "CheckFileInfo after save", c.check_file_info(t).await, 200)?;
    let after = cfi_body(run, &after, "CheckFileInfo after save")?;
    let version_after = after.get("Version").cloned();
    run.check(
        "Version changed after PutFile",
        version_before.is_some() && version_after.is_some() && version_before != version_after,
        format!("before {version_before:?}, after {version_after:?}"),
    );
    let size = after.get("Size").and_then(Value::as_u64);
    run.check(
        "Size is the saved length",
        size == Some(content.len() as u64),
        format!("Size {size:?}, saved {} bytes", content.len()),
    );
    let stored = run.call(c, None, "GetFile after save", c.get_file(t, None).await, 200)?;
    run.check(
        "GetFile returns the saved content",
        stored.body == *content,
        format!("{} bytes back, {} saved", stored.body.len(), content.len()),
    );
    lock_released(run, c, None, t, &after).await
}

/// RefreshLock every `refresh_interval` for `edit_duration`, at least once.
async fn refresh_while_editing(
    run: &mut Run,
    c: &WopiClient,
    editor: Option<&str>,
    t: &WopiTarget,
    lock: &str,
    timers: FlowTimers,
) -> Result<(), Stop> {
    let interval = timers.refresh_interval.max(Duration::from_millis(1));
    let rounds = (timers.edit_duration.as_millis() / interval.as_millis()).max(1);
    for _ in 0..rounds {
        tokio::time::sleep(interval).await;
        run.call(c, editor, "RefreshLock", c.refresh_lock(t, lock).await, 200)?;
    }
    Ok(())
}

/// The file is unlocked: GetLock answers an empty `X-WOPI-Lock` (or, without GetLock support, a new Lock works).
async fn lock_released(
    run: &mut Run,
    c: &WopiClient,
    editor: Option<&str>,
    t: &WopiTarget,
    cfi: &serde_json::Map<String, Value>,
) -> Result<(), Stop> {
    if flag(cfi, "SupportsGetLock") || !cfi.contains_key("SupportsGetLock") {
        let resp = run.call(c, editor, "GetLock after Unlock", c.get_lock(t).await, 200)?;
        let current = resp.header(h::X_WOPI_LOCK).unwrap_or("");
        run.check(
            "the lock is released (GetLock returns an empty X-WOPI-Lock)",
            current.is_empty(),
            format!("X-WOPI-Lock {current:?}"),
        );
    } else {
        let probe = new_lock_id();
        run.call(
            c,
            editor,
            "Lock by another session after Unlock",
            c.lock(t, &probe).await,
            200,
        )?;
        run.call(c, editor, "Unlock of the probe lock", c.unlock(t, &probe).await, 200)?;
    }
    Ok(())
}

/// Editnew: CheckFileInfo reports a zero-byte file → PutFile without a lock writes the template (hosts must
/// accept it on an empty unlocked file) → Lock → Unlock; the stored content is then the template.
pub async fn edit_new(client: &WopiClient, target: &WopiTarget, template: Bytes) -> FlowOutcome {
    let mut run = Run::new("editnew");
    let c = client.new_session();
    let lock = new_lock_id();
    let mut locked = false;
    let _ = edit_new_steps(&mut run, &c, target, &template, &lock, &mut locked).await;
    release(&mut run, &c, None, target, &lock, locked).await;
    run.finish()
}

async fn edit_new_steps(
    run: &mut Run,
    c: &WopiClient,
    t: &WopiTarget,
    template: &Bytes,
    lock: &str,
    locked: &mut bool,
) -> Result<(), Stop> {
    let resp = run.call(c, None, "CheckFileInfo", c.check_file_info(t).await, 200)?;
    let body = cfi_body(run, &resp, "CheckFileInfo")?;
    let size = body.get("Size").and_then(Value::as_u64);
    if !run.check("the file is empty (Size 0)", size == Some(0), format!("Size {size:?}")) {
        return Err(Stop);
    }
    run.call(
        c,
        None,
        "PutFile without a lock on the empty file",
        c.put_file(t, None, template.clone()).await,
        200,
    )?;
    run.call(c, None, "Lock", c.lock(t, lock).await, 200)?;
    *locked = true;
    run.call(c, None, "Unlock", c.unlock(t, lock).await, 200)?;
    *locked = false;
    let stored = run.call(c, None, "GetFile", c.get_file(t, None).await, 200)?;
    run.check(
        "GetFile returns the template",
        stored.body == *template,
        format!("{} bytes back, {} written", stored.body.len(), template.len()),
    );
    Ok(())
}

/// Save As: PutRelativeFile with `X-WOPI-RelativeTarget: name` (no overwrite) → the response's `Url` opens the
/// new file, whose CheckFileInfo `BaseFileName` is the returned `Name` and whose content is `content`.
pub async fn save_as(client: &WopiClient, target: &WopiTarget, name: &str, content: Bytes) -> FlowOutcome {
    let mut run = Run::new("save as");
    let c = client.new_session();
    let _ = save_as_steps(&mut run, &c, target, name, &content).await;
    run.finish()
}

async fn save_as_steps(run: &mut Run, c: &WopiClient, t: &WopiTarget, name: &str, content: &Bytes) -> Result<(), Stop> {
    let resp = run.call(
        c,
        None,
        "PutRelativeFile",
        c.put_relative_relative(t, name, false, content.clone()).await,
        200,
    )?;
    let body = cfi_body(run, &resp, "PutRelativeFile")?;
    let new_name = body.get("Name").and_then(Value::as_str).unwrap_or_default().to_string();
    run.check(
        "PutRelativeFile returns the requested Name",
        new_name == name,
        format!("Name {new_name:?}"),
    );
    let url = body
        .get("Url")
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok());
    let new_target = url.as_ref().and_then(WopiTarget::from_url_with_token);
    let Some(new_target) = new_target else {
        run.check(
            "PutRelativeFile returns a Url with an access token",
            false,
            format!("Url {:?}", body.get("Url")),
        );
        return Err(Stop);
    };
    run.check("PutRelativeFile returns a Url with an access token", true, "ok");
    let cfi = run.call(
        c,
        None,
        "CheckFileInfo on the new file",
        c.check_file_info(&new_target).await,
        200,
    )?;
    let cfi = cfi_body(run, &cfi, "CheckFileInfo on the new file")?;
    let base = cfi.get("BaseFileName").and_then(Value::as_str).unwrap_or_default();
    run.check(
        "the new file's BaseFileName is the returned Name",
        base == new_name,
        format!("BaseFileName {base:?}"),
    );
    let stored = run.call(
        c,
        None,
        "GetFile on the new file",
        c.get_file(&new_target, None).await,
        200,
    )?;
    run.check(
        "the new file holds the saved content",
        stored.body == *content,
        format!("{} bytes back, {} saved", stored.body.len(), content.len()),
    );
    Ok(())
}

/// Convert (the `convert` action on a binary file): CheckFileInfo → GetFile → PutRelativeFile in suggested mode
/// with the modern extension (e.g. `docx`) and `X-WOPI-FileConversion` → the returned `Url` opens a new file with
/// that extension holding `converted`. The original file must be left as it was.
pub async fn convert(client: &WopiClient, target: &WopiTarget, target_ext: &str, converted: Bytes) -> FlowOutcome {
    let mut run = Run::new("convert");
    let c = client.new_session();
    let _ = convert_steps(&mut run, &c, target, target_ext, &converted).await;
    run.finish()
}

async fn convert_steps(
    run: &mut Run,
    c: &WopiClient,
    t: &WopiTarget,
    target_ext: &str,
    converted: &Bytes,
) -> Result<(), Stop> {
    let ext = target_ext.trim_start_matches('.');
    run.call(c, None, "CheckFileInfo", c.check_file_info(t).await, 200)?;
    let original = run.call(c, None, "GetFile", c.get_file(t, None).await, 200)?;
    let resp = run.call(
        c,
        None,
        "PutRelativeFile (conversion)",
        c.put_relative_conversion(t, &format!(".{ext}"), converted.clone())
            .await,
        200,
    )?;
    let body = cfi_body(run, &resp, "PutRelativeFile (conversion)")?;
    let name = body.get("Name").and_then(Value::as_str).unwrap_or_default().to_string();
    let suffix = format!(".{ext}");
    run.check(
        "the converted file's Name has the new extension",
        name.to_ascii_lowercase().ends_with(&suffix.to_ascii_lowercase()),
        format!("Name {name:?}"),
    );
    let url = body
        .get("Url")
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok());
    let Some(new_target) = url.as_ref().and_then(WopiTarget::from_url_with_token) else {
        run.check(
            "PutRelativeFile returns a Url with an access token",
            false,
            format!("Url {:?}", body.get("Url")),
        );
        return Err(Stop);
    };
    let stored = run.call(
        c,
        None,
        "GetFile on the converted file",
        c.get_file(&new_target, None).await,
        200,
    )?;
    run.check(
        "the converted file holds the converted content",
        stored.body == *converted,
        format!("{} bytes back, {} sent", stored.body.len(), converted.len()),
    );
    let again = run.call(c, None, "GetFile on the original", c.get_file(t, None).await, 200)?;
    run.check(
        "the original file is unchanged",
        again.body == original.body,
        format!("{} bytes before, {} after", original.body.len(), again.body.len()),
    );
    Ok(())
}

/// Rename: Lock → RenameFile (`X-WOPI-RequestedName` without extension) → CheckFileInfo shows the new name with
/// the old extension → Unlock.
pub async fn rename(client: &WopiClient, target: &WopiTarget, requested_name: &str) -> FlowOutcome {
    let mut run = Run::new("rename");
    let c = client.new_session();
    let lock = new_lock_id();
    let mut locked = false;
    let _ = rename_steps(&mut run, &c, target, requested_name, &lock, &mut locked).await;
    release(&mut run, &c, None, target, &lock, locked).await;
    run.finish()
}

async fn rename_steps(
    run: &mut Run,
    c: &WopiClient,
    t: &WopiTarget,
    requested: &str,
    lock: &str,
    locked: &mut bool,
) -> Result<(), Stop> {
    let resp = run.call(c, None, "CheckFileInfo", c.check_file_info(t).await, 200)?;
    let body = cfi_body(run, &resp, "CheckFileInfo")?;
    let old_name = body
        .get("BaseFileName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let ext = old_name.rsplit_once('.').map(|(_, e)| e.to_string());
    run.call(c, None, "Lock", c.lock(t, lock).await, 200)?;
    *locked = true;
    let renamed = run.call(
        c,
        None,
        "RenameFile",
        c.rename_file(t, requested, Some(lock)).await,
        200,
    )?;
    let renamed = cfi_body(run, &renamed, "RenameFile")?;
    let name = renamed
        .get("Name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    run.check(
        "RenameFile returns the requested Name",
        name == requested,
        format!("Name {name:?}"),
    );
    let after = run.call(c, None, "CheckFileInfo after rename", c.check_file_info(t).await, 200)?;
    let after = cfi_body(run, &after, "CheckFileInfo after rename")?;
    let base = after.get("BaseFileName").and_then(Value::as_str).unwrap_or_default();
    let expected = match &ext {
        Some(ext) => format!("{name}.{ext}"),
        None => name.clone(),
    };
    run.check(
        "BaseFileName is the new name with the old extension",
        base == expected,
        format!("BaseFileName {base:?}, expected {expected:?}"),
    );
    run.call(c, None, "Unlock", c.unlock(t, lock).await, 200)?;
    *locked = false;
    Ok(())
}

/// Two editors: A opens and locks; B's Lock and PutFile with its own lock ID get 409 with A's lock ID in
/// `X-WOPI-Lock`; A unlocks; then B can lock (and unlocks).
pub async fn two_editors(client: &WopiClient, target: &WopiTarget) -> FlowOutcome {
    let mut run = Run::new("two editors");
    let a = client.new_session();
    let b = client.new_session();
    let lock_a = new_lock_id();
    let lock_b = new_lock_id();
    let mut held = (false, false);
    if two_editors_steps(&mut run, (&a, &b), target, (&lock_a, &lock_b), &mut held)
        .await
        .is_err()
    {
        // A host that wrongly granted B's lock leaves B holding it; release whatever either editor may hold.
        held = (true, true);
    }
    release(&mut run, &a, Some("editor A"), target, &lock_a, held.0).await;
    release(&mut run, &b, Some("editor B"), target, &lock_b, held.1).await;
    run.finish()
}

async fn two_editors_steps(
    run: &mut Run,
    (a, b): (&WopiClient, &WopiClient),
    t: &WopiTarget,
    (lock_a, lock_b): (&str, &str),
    held: &mut (bool, bool),
) -> Result<(), Stop> {
    const A: Option<&str> = Some("editor A");
    const B: Option<&str> = Some("editor B");
    run.call(a, A, "CheckFileInfo", a.check_file_info(t).await, 200)?;
    run.call(a, A, "GetFile", a.get_file(t, None).await, 200)?;
    run.call(a, A, "Lock", a.lock(t, lock_a).await, 200)?;
    held.0 = true;

    run.call(b, B, "CheckFileInfo", b.check_file_info(t).await, 200)?;
    run.call(b, B, "GetFile", b.get_file(t, None).await, 200)?;
    let conflict = run.call(b, B, "Lock while A holds the lock", b.lock(t, lock_b).await, 409)?;
    let seen = conflict.header(h::X_WOPI_LOCK).unwrap_or("").to_string();
    run.check(
        "editor B: the 409 carries A's lock ID in X-WOPI-Lock",
        seen == lock_a,
        format!("X-WOPI-Lock {seen:?}"),
    );
    let put = run.call(
        b,
        B,
        "PutFile with B's lock while A holds the lock",
        b.put_file(t, Some(lock_b), Bytes::from_static(b"editor B's content"))
            .await,
        409,
    )?;
    let seen = put.header(h::X_WOPI_LOCK).unwrap_or("").to_string();
    run.check(
        "editor B: PutFile's 409 carries A's lock ID",
        seen == lock_a,
        format!("X-WOPI-Lock {seen:?}"),
    );

    run.call(a, A, "Unlock", a.unlock(t, lock_a).await, 200)?;
    held.0 = false;
    run.call(b, B, "Lock after A released it", b.lock(t, lock_b).await, 200)?;
    held.1 = true;
    run.call(b, B, "Unlock", b.unlock(t, lock_b).await, 200)?;
    held.1 = false;
    Ok(())
}
