//! A client's editing session as data. Collabora and ONLYOFFICE run the same kinds of steps (open, lock, fetch,
//! save, Save As, rename, close) with different headers, names, conditions and checks; each client lists its
//! steps in a [`Client`] (`collabora::CLIENT`, `onlyoffice::CLIENT`) and [`run`] plays them in order.
//!
//! Lock steps run only when the session locks: the client's [`Client::flag`] reads `SupportsLocks` as true
//! (Collabora locks only then; ONLYOFFICE refuses to edit otherwise, so for it the lock steps always run).

use bytes::Bytes;
use serde_json::{Map, Value};
use url::Url;
use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::{ClockHook, SaveKind, json_str, step};
use crate::client::{ProofMode, ProofSpec, RawRequest, WopiClient, WopiTarget};
use crate::flows::{self, FlowOutcome, Run, Stop};

/// What a session needs to know about the CheckFileInfo it opened with and the saves it made.
pub(crate) struct State {
    /// The CheckFileInfo body at open.
    pub body: Map<String, Value>,
    /// The lock ID, when the session locks.
    pub lock: Option<String>,
    /// Whether the host holds our lock now (released on the way out of a failed session).
    held: bool,
    /// The last `LastModifiedTime` the host gave us.
    pub stamp: Option<String>,
    /// The content of the last save.
    last_saved: Bytes,
    content: Bytes,
}

/// Everything a client's PutFile headers may depend on.
pub(crate) struct PutContext<'a> {
    pub kind: SaveKind,
    pub timestamp: Option<&'a str>,
    pub lock: Option<&'a str>,
    /// `UserId` from CheckFileInfo (ONLYOFFICE's `X-WOPI-Editors`).
    pub user: String,
    pub legacy_server: bool,
}

/// One client's session: its identity on the wire and its steps.
pub(crate) struct Client {
    /// `"<name> session"` is the flow's name.
    pub name: &'static str,
    /// Every request's label ends in ` (<label>)`.
    pub label: &'static str,
    /// A proof mode other than the client's default.
    pub proof: Option<ProofMode>,
    pub lock_id: fn(&WopiTarget) -> String,
    /// How the client reads a CheckFileInfo flag.
    pub flag: fn(&Map<String, Value>, &str) -> bool,
    /// The client's own checks of the CheckFileInfo body at open; `Err` ends the session.
    pub open_checks: fn(&mut Run, &Map<String, Value>) -> Result<(), Stop>,
    pub put_headers: fn(&PutContext<'_>) -> Vec<(String, String)>,
    pub steps: &'static [Step],
}

/// A step's name (what the check list shows), its request's label and the client rule it enforces.
#[derive(Clone, Copy)]
pub(crate) struct Says {
    pub name: &'static str,
    pub label: &'static str,
    pub rule: &'static str,
}

/// Who sends a Lock.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Editor {
    /// This session.
    This,
    /// A second editor opening the same document (its own client session).
    Second,
}

/// What a save's answer must carry.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    /// A JSON `LastModifiedTime`; the check names the sources given.
    LastModifiedTime(&'static str),
    /// Anything; a `LastModifiedTime` in it is kept.
    Any,
}

/// Which property must be fresh on the CheckFileInfo after a save.
#[derive(Clone, Copy)]
pub(crate) enum Fresh {
    /// Equal to the `LastModifiedTime` the save answered.
    LastModifiedTime,
    /// Different from the `Version` at open.
    Version,
}

/// The name a Save As asks for.
#[derive(Clone, Copy)]
pub(crate) enum SaveAsTarget {
    /// The whole name: the stem, this infix, the extension (UTF-7).
    FullName(&'static str),
    /// Only the extension (`.docx`).
    Extension,
}

/// What a RenameFile answer must be.
#[derive(Clone, Copy)]
pub(crate) enum RenameAnswer {
    NameAndUrl,
    EmptyOrName,
}

/// One step of a client session.
pub(crate) enum Step {
    /// `1 open: CheckFileInfo` (the client's rule for it), then the client's [`Client::open_checks`].
    Open(&'static str),
    Lock(Says, Editor),
    RefreshLock(Says),
    Unlock(Says),
    /// GetFile, optionally with `X-WOPI-MaxExpectedSize`; `size_check` names the check that it returns `Size`
    /// bytes.
    GetFile {
        says: Says,
        max_expected_size: Option<u64>,
        size_check: &'static str,
    },
    /// PutFile of the content with `suffix`; `timestamp`: send the last `LastModifiedTime`.
    Save {
        says: Says,
        kind: SaveKind,
        suffix: &'static [u8],
        timestamp: bool,
        answer: Answer,
    },
    /// CheckFileInfo after a save, and the `check` that `fresh` holds.
    AfterSave {
        name: &'static str,
        check: &'static str,
        fresh: Fresh,
    },
    /// Storage changes behind the client's back; the client's next save with its stale timestamp is refused.
    Conflict(&'static Conflict),
    /// PutRelativeFile of the last save, when `UserCanNotWriteRelative` is not set.
    SaveAs {
        says: Says,
        target: SaveAsTarget,
        content_type: bool,
        /// The check of the answer; `open_new` names a CheckFileInfo on the new Url (which then needs a token).
        check: &'static str,
        open_new: Option<&'static str>,
    },
    /// RenameFile, when `SupportsRename` and `UserCanRename` are set.
    Rename {
        says: Says,
        requested: &'static str,
        /// Send the last save as body (`Content-Type: application/octet-stream`).
        with_body: bool,
        answer: RenameAnswer,
        check: &'static str,
    },
    /// GetFile after the session, and the check that it returns the last save.
    HoldsLastSave {
        name: &'static str,
        check: &'static str,
    },
}

/// A timestamp conflict (Collabora's model, clients.md §8.1 C4).
pub(crate) struct Conflict {
    /// How long the client waits at least between uploads (the host clock is moved that far).
    pub min_gap_secs: u64,
    pub external: &'static str,
    pub stale: Says,
    /// The status code the 409 body must carry, and where.
    pub status_code: u64,
    pub status_fields: &'static [&'static str],
    pub body_check: &'static str,
    pub kept: &'static str,
    pub kept_check: &'static str,
}

/// How a session runs.
#[derive(Clone, Default)]
pub(crate) struct Options {
    pub legacy_server: bool,
    pub advance_host_clock: Option<ClockHook>,
}

/// Runs `client`'s session on `target`; a lock it still holds when a step fails is released.
pub(crate) async fn run(
    client: &Client,
    wopi: &WopiClient,
    target: &WopiTarget,
    content: Bytes,
    options: &Options,
) -> FlowOutcome {
    let mut run = Run::new(&format!("{} session", client.name));
    let c = wopi.new_session();
    let mut state = State {
        body: Map::new(),
        lock: None,
        held: false,
        stamp: None,
        last_saved: content.clone(),
        content,
    };
    let s = Session {
        client,
        c: &c,
        t: target,
        options,
    };
    for each in client.steps {
        if s.play(&mut run, &mut state, each).await.is_err() {
            break;
        }
    }
    if let (true, Some(lock)) = (state.held, &state.lock) {
        let _ = c.unlock(target, lock).await;
        run.absorb(&c, None);
    }
    run.finish()
}

struct Session<'a> {
    client: &'a Client,
    c: &'a WopiClient,
    t: &'a WopiTarget,
    options: &'a Options,
}

impl Session<'_> {
    fn req(&self, op: Op, t: &WopiTarget, label: &str) -> RawRequest {
        let r = RawRequest::for_op(op, t).label(format!("{label} ({})", self.client.label));
        match &self.client.proof {
            Some(mode) => r.proof(ProofSpec::mode(mode.clone())),
            None => r,
        }
    }

    async fn send(
        &self,
        run: &mut Run,
        says: Says,
        req: RawRequest,
        expected: u16,
    ) -> Result<crate::client::RawResponse, Stop> {
        step(run, self.c, says.name, req, expected, says.rule).await
    }

    fn flag(&self, state: &State, name: &str) -> bool {
        (self.client.flag)(&state.body, name)
    }

    async fn play(&self, run: &mut Run, state: &mut State, each: &Step) -> Result<(), Stop> {
        let t = self.t;
        match each {
            Step::Open(rule) => {
                let says = &Says {
                    name: "1 open: CheckFileInfo",
                    label: "CheckFileInfo",
                    rule,
                };
                let resp = self
                    .send(run, *says, self.req(Op::CheckFileInfo, t, says.label), 200)
                    .await?;
                state.body = flows::cfi_body(run, &resp, says.name)?;
                (self.client.open_checks)(run, &state.body)?;
                state.stamp = json_str(&Value::Object(state.body.clone()), "LastModifiedTime");
                if self.flag(state, "SupportsLocks") {
                    state.lock = Some((self.client.lock_id)(t));
                }
            }
            Step::Lock(says, editor) => {
                let Some(lock) = state.lock.clone() else {
                    return Ok(());
                };
                let req = self.req(Op::Lock, t, says.label).header(h::X_WOPI_LOCK, &lock);
                if *editor == Editor::Second {
                    let second = self.c.new_session();
                    step(run, &second, says.name, req, 200, says.rule).await?;
                    run.absorb(&second, Some("second editor"));
                } else {
                    self.send(run, *says, req, 200).await?;
                    state.held = true;
                }
            }
            Step::RefreshLock(says) | Step::Unlock(says) => {
                let Some(lock) = state.lock.clone() else {
                    return Ok(());
                };
                let op = match each {
                    Step::Unlock(_) => Op::Unlock,
                    _ => Op::RefreshLock,
                };
                self.send(
                    run,
                    *says,
                    self.req(op, t, says.label).header(h::X_WOPI_LOCK, &lock),
                    200,
                )
                .await?;
                if op == Op::Unlock {
                    state.held = false;
                }
            }
            Step::GetFile {
                says,
                max_expected_size,
                size_check,
            } => {
                let mut req = self.req(Op::GetFile, t, says.label);
                if let Some(max) = max_expected_size {
                    req = req.header(h::X_WOPI_MAX_EXPECTED_SIZE, max.to_string());
                }
                let got = self.send(run, *says, req, 200).await?;
                let size = state.body.get("Size").and_then(Value::as_u64);
                run.check(
                    *size_check,
                    size == Some(got.body.len() as u64),
                    format!("{} bytes, CheckFileInfo Size {size:?}", got.body.len()),
                );
            }
            Step::Save {
                says,
                kind,
                suffix,
                timestamp,
                answer,
            } => {
                let body = with_suffix(&state.content, suffix);
                let stamp = if *timestamp { state.stamp.clone() } else { None };
                let r = self
                    .put(run, state, *says, (*kind, stamp.as_deref()), body.clone(), 200)
                    .await?;
                state.last_saved = body;
                let answered = r.json().ok().and_then(|v| json_str(&v, "LastModifiedTime"));
                match (answer, answered) {
                    (_, Some(s)) => {
                        if let Answer::LastModifiedTime(source) = answer {
                            run.check(
                                format!("{}: answers JSON LastModifiedTime ({source})", says.name),
                                true,
                                s.clone(),
                            );
                        }
                        state.stamp = Some(s);
                    }
                    (Answer::LastModifiedTime(source), None) => {
                        run.check(
                            format!(
                                "{}: answers JSON LastModifiedTime ({source}: without it the next save conflicts)",
                                says.name
                            ),
                            false,
                            format!("body {:?}", start(&r.body)),
                        );
                        return Err(Stop);
                    }
                    (Answer::Any, None) => {}
                }
            }
            Step::AfterSave { name, check, fresh } => {
                let says = Says {
                    name,
                    label: "CheckFileInfo",
                    rule: "",
                };
                let cfi = self
                    .send(run, says, self.req(Op::CheckFileInfo, t, says.label), 200)
                    .await?;
                let now = cfi.json().ok();
                match fresh {
                    Fresh::LastModifiedTime => {
                        let now = now.and_then(|v| json_str(&v, "LastModifiedTime"));
                        run.check(
                            *check,
                            now.is_some() && now == state.stamp,
                            format!("PutFile answered {:?}, CheckFileInfo says {now:?}", state.stamp),
                        );
                    }
                    Fresh::Version => {
                        let before = state.body.get("Version").cloned();
                        let after = now.and_then(|v| v.get("Version").cloned());
                        run.check(
                            *check,
                            after.is_some() && after != before,
                            format!("before {before:?}, after {after:?}"),
                        );
                    }
                }
            }
            Step::Conflict(conflict) => self.conflict(run, state, conflict).await?,
            Step::SaveAs {
                says,
                target,
                content_type,
                check,
                open_new,
            } => {
                if self.flag(state, "UserCanNotWriteRelative") {
                    return Ok(());
                }
                let base = state
                    .body
                    .get("BaseFileName")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let (stem, ext) = base.rsplit_once('.').unwrap_or((base, ""));
                let name = match target {
                    SaveAsTarget::FullName(infix) => format!("{stem}{infix}.{ext}"),
                    SaveAsTarget::Extension if base.contains('.') => format!(".{ext}"),
                    SaveAsTarget::Extension => String::new(),
                };
                let mut req = self
                    .req(Op::PutRelativeFile, t, says.label)
                    .header(h::X_WOPI_SUGGESTED_TARGET, wopi_protocol::utf7::encode(&name))
                    .header(h::X_WOPI_SIZE, state.last_saved.len().to_string());
                if *content_type {
                    req = req.header("Content-Type", "application/octet-stream");
                }
                let r = self.send(run, *says, req.body(state.last_saved.clone()), 200).await?;
                let json = r.json();
                let field = |n: &str| json.as_ref().ok().and_then(|v| json_str(v, n));
                let new = field("Url")
                    .and_then(|u| Url::parse(&u).ok())
                    .as_ref()
                    .and_then(WopiTarget::from_url_with_token);
                let url_ok = if open_new.is_some() {
                    new.is_some()
                } else {
                    field("Url").is_some()
                };
                run.check(*check, field("Name").is_some() && url_ok, format!("{json:?}"));
                if let (Some(name), Some(new)) = (open_new, new) {
                    let says = Says {
                        name,
                        label: "CheckFileInfo (Save As)",
                        rule: "",
                    };
                    self.send(run, says, self.req(Op::CheckFileInfo, &new, says.label), 200)
                        .await?;
                }
            }
            Step::Rename {
                says,
                requested,
                with_body,
                answer,
                check,
            } => {
                if !(self.flag(state, "SupportsRename") && self.flag(state, "UserCanRename")) {
                    return Ok(());
                }
                let mut req = self
                    .req(Op::RenameFile, t, says.label)
                    .header(h::X_WOPI_REQUESTED_NAME, wopi_protocol::utf7::encode(requested));
                if let Some(lock) = &state.lock {
                    req = req.header(h::X_WOPI_LOCK, lock);
                }
                if *with_body {
                    req = req
                        .header("Content-Type", "application/octet-stream")
                        .body(state.last_saved.clone());
                }
                let r = self.send(run, *says, req, 200).await?;
                let json = r.json();
                let field = |n: &str| json.as_ref().ok().and_then(|v| json_str(v, n));
                let ok = match answer {
                    RenameAnswer::NameAndUrl => field("Name").is_some() && field("Url").is_some(),
                    RenameAnswer::EmptyOrName => r.body.is_empty() || field("Name").is_some(),
                };
                run.check(*check, ok, start(&r.body));
            }
            Step::HoldsLastSave { name, check } => {
                let says = Says {
                    name,
                    label: "GetFile",
                    rule: "",
                };
                let last = self.send(run, says, self.req(Op::GetFile, t, says.label), 200).await?;
                run.check(
                    *check,
                    last.body == state.last_saved,
                    format!(
                        "{} bytes stored, the last save had {}",
                        last.body.len(),
                        state.last_saved.len()
                    ),
                );
            }
        }
        Ok(())
    }

    /// A PutFile from this client with its headers.
    async fn put(
        &self,
        run: &mut Run,
        state: &State,
        says: Says,
        (kind, timestamp): (SaveKind, Option<&str>),
        body: Bytes,
        expected: u16,
    ) -> Result<crate::client::RawResponse, Stop> {
        let ctx = PutContext {
            kind,
            timestamp,
            lock: state.lock.as_deref(),
            user: user_id(&state.body),
            legacy_server: self.options.legacy_server,
        };
        let mut req = self.req(Op::PutFile, self.t, says.label).body(body);
        for (n, v) in (self.client.put_headers)(&ctx) {
            req = req.header(n, v);
        }
        self.send(run, says, req, expected).await
    }

    async fn conflict(&self, run: &mut Run, state: &mut State, k: &Conflict) -> Result<(), Stop> {
        // The client leaves a gap between uploads; the external change must get a new LastModifiedTime.
        match &self.options.advance_host_clock {
            Some(advance) => advance(std::time::Duration::from_secs(k.min_gap_secs)),
            None => tokio::time::sleep(std::time::Duration::from_millis(1100)).await,
        }
        let other = with_suffix(&state.content, b" (changed in storage)");
        let other_writer = self.c.new_session();
        let mut external = RawRequest::for_op(Op::PutFile, self.t)
            .label("PutFile (another interface)")
            .body(other.clone());
        if let Some(l) = &state.lock {
            external = external.header(h::X_WOPI_LOCK, l);
        }
        step(run, &other_writer, k.external, external, 200, "").await?;
        run.absorb(&other_writer, Some("storage"));
        let stale = with_suffix(&state.content, b" (stale)");
        let stamp = state.stamp.clone();
        let r = self
            .put(run, state, k.stale, (SaveKind::Autosave, stamp.as_deref()), stale, 409)
            .await?;
        let code = r
            .json()
            .ok()
            .and_then(|v| k.status_fields.iter().find_map(|f| v.get(*f).and_then(Value::as_u64)));
        run.check(
            k.body_check,
            code == Some(k.status_code),
            format!("body {:?}", start(&r.body)),
        );
        let says = Says {
            name: k.kept,
            label: "GetFile",
            rule: "",
        };
        let kept = self
            .send(run, says, self.req(Op::GetFile, self.t, says.label), 200)
            .await?;
        run.check(
            k.kept_check,
            kept.body == other,
            format!(
                "{} bytes stored, the external change had {}",
                kept.body.len(),
                other.len()
            ),
        );
        Ok(())
    }
}

/// `UserId` as a string (numbers as written).
fn user_id(body: &Map<String, Value>) -> String {
    body.get("UserId")
        .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
        .unwrap_or_default()
}

/// The first 200 bytes of a body, for a check's detail.
fn start(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

fn with_suffix(content: &Bytes, suffix: &[u8]) -> Bytes {
    let mut v = content.to_vec();
    v.extend_from_slice(suffix);
    Bytes::from(v)
}
