//! One shared file for every case (the validator's model, `run -w URL -t TOKEN`): setup the careful way, and a
//! baseline between cases.
//!
//! - **Setup.** Bringing the file to a case's starting content is Lock (a harness-owned lock ID) → PutFile →
//!   Unlock, as the validator does before its zero-byte cases; an unlocked PutFile on a non-empty file must be
//!   refused (rest/files/PutFile.rst), so it is never used for setup. A refused setup step makes the case
//!   `blocked` with the host's answer, never `failed` for a rule it did not check.
//! - **Baseline.** [`Ledger`] records every lock ID and new name a case sent. After the case (after its cleanup)
//!   the harness looks at the file (GetLock where the host declares it, else a Lock/Unlock probe), unlocks it with
//!   the lock ID the host reports or the ones the case sent, renames it back after a RenameFile, and checks again.
//!   When the file cannot be brought back, the case gets a `left_dirty` finding that says how, and the cases after
//!   it are `blocked`, naming it, until the file is clean again (a lock may expire; the harness looks before each
//!   case).

use std::sync::Mutex;

use http::Method;
use wopi_mock_office::client::RawRequest;
use wopi_protocol::transcript::Exchange;

use super::{Answer, Inner, Target};
use crate::report::model::{DocRef, Failure};

/// The lock ID the harness's own setup and probes use; no suite uses it.
pub(crate) const HARNESS_LOCK: &str = "wopi-conformance-harness-lock";

/// What a case sent that can leave the shared file changed.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    inner: Mutex<LedgerInner>,
}

#[derive(Debug, Default, Clone)]
struct LedgerInner {
    /// Every `X-WOPI-Lock` / `X-WOPI-OldLock` value sent, first-seen order.
    locks: Vec<String>,
    /// A RenameFile was answered 200 (the `X-WOPI-RequestedName` sent).
    renamed_to: Option<String>,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, LedgerInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes what `raw` carries before it is sent.
    pub(crate) fn sending(&self, raw: &RawRequest) {
        let mut l = self.lock();
        for name in ["X-WOPI-Lock", "X-WOPI-OldLock"] {
            if let Some(v) = request_header(raw, name)
                && !v.is_empty()
                && !l.locks.iter().any(|x| x == v)
            {
                l.locks.push(v.to_string());
            }
        }
    }

    /// Notes the answer to `raw`: a successful RenameFile changed the file's name.
    pub(crate) fn answered(&self, raw: &RawRequest, answer: &Answer) {
        let renamed = request_header(raw, "X-WOPI-Override").is_some_and(|o| o.eq_ignore_ascii_case("RENAME_FILE"));
        if renamed
            && let Answer::Response(r) = answer
            && r.status == 200
        {
            self.lock().renamed_to = request_header(raw, "X-WOPI-RequestedName").map(str::to_string);
        }
    }

    /// Whether the case sent nothing that can leave the file changed.
    pub(crate) fn is_empty(&self) -> bool {
        let l = self.lock();
        l.locks.is_empty() && l.renamed_to.is_none()
    }

    fn snapshot(&self) -> LedgerInner {
        self.lock().clone()
    }
}

/// How a case left the file when it could not be brought back.
#[derive(Debug, Clone)]
pub(crate) struct Dirty {
    /// `left the file locked with 'abc'; Unlock with 'abc' answered 409`.
    pub(crate) how: String,
    /// The host broke a rule while the harness restored the file (Unlock with the current ID refused, a lock that
    /// stays after a 200): a failure of the case that left it.
    pub(crate) host_fault: Option<Failure>,
}

/// One request on the shared file: its label, `X-WOPI-Override` (empty: a GET), headers, URL suffix and body.
struct FileOp<'a> {
    label: &'a str,
    over: &'a str,
    headers: &'a [(&'a str, &'a str)],
    suffix: &'a str,
    body: Option<bytes::Bytes>,
}

impl<'a> FileOp<'a> {
    fn new(label: &'a str, over: &'a str, headers: &'a [(&'a str, &'a str)]) -> Self {
        FileOp {
            label,
            over,
            headers,
            suffix: "",
            body: None,
        }
    }
}

/// What the file looks like now.
enum LockState {
    Unlocked,
    /// Locked; the ID when the host said it.
    Locked(Option<String>),
    /// The file answers 404 or 401: gone, or the token no longer opens it.
    Gone(u16),
    /// The host's answer tells nothing (a 500, a transport error): nothing can be concluded.
    Unknown,
}

impl Inner {
    /// Sends one baseline or setup request on the shared file and records it in `transcript`.
    async fn file_request(
        &self,
        case_id: &str,
        target: &Target,
        op: FileOp<'_>,
        transcript: &mut Vec<Exchange>,
    ) -> Answer {
        let FileOp {
            label,
            over,
            headers,
            suffix,
            body,
        } = op;
        let mut url = target.wopisrc.clone();
        let path = format!("{}{suffix}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.query_pairs_mut().append_pair("access_token", &target.access_token);
        let mut raw = RawRequest::new(label, Method::POST, url, target.access_token.clone());
        if !over.is_empty() {
            raw = raw.header("X-WOPI-Override", over);
        }
        if suffix.is_empty() && over.is_empty() {
            raw.method = Method::GET;
        }
        for (k, v) in headers {
            raw = raw.header(*k, *v);
        }
        if let Some(b) = body {
            raw = raw.body(b);
        }
        let (answer, ex) = self.transmit(case_id, &self.client, raw, None).await;
        transcript.push(ex);
        answer
    }

    async fn lock_state(&self, case_id: &str, target: &Target, use_get_lock: bool, t: &mut Vec<Exchange>) -> LockState {
        if use_get_lock {
            let a = self
                .file_request(case_id, target, FileOp::new("baseline/GetLock", "GET_LOCK", &[]), t)
                .await;
            return match a {
                Answer::Response(r) if r.status == 200 => match header(&r, "X-WOPI-Lock") {
                    Some(l) if !l.is_empty() => LockState::Locked(Some(l)),
                    _ => LockState::Unlocked,
                },
                Answer::Response(r) if matches!(r.status, 401 | 404) => LockState::Gone(r.status),
                Answer::Response(_) | Answer::Transport(_) | Answer::Halted(_) => LockState::Unknown,
            };
        }
        let probe = [("X-WOPI-Lock", HARNESS_LOCK)];
        match self
            .file_request(case_id, target, FileOp::new("baseline/Lock", "LOCK", &probe), t)
            .await
        {
            Answer::Response(r) if r.status == 200 => {
                match self
                    .file_request(case_id, target, FileOp::new("baseline/Unlock", "UNLOCK", &probe), t)
                    .await
                {
                    Answer::Response(u) if u.status == 200 => LockState::Unlocked,
                    // The probe's own lock is now on the file: report it as the lock to undo.
                    _ => LockState::Locked(Some(HARNESS_LOCK.to_string())),
                }
            }
            Answer::Response(r) if r.status == 409 => {
                LockState::Locked(header(&r, "X-WOPI-Lock").filter(|l| !l.is_empty()))
            }
            Answer::Response(r) if matches!(r.status, 401 | 404) => LockState::Gone(r.status),
            Answer::Response(_) | Answer::Transport(_) | Answer::Halted(_) => LockState::Unknown,
        }
    }

    /// Brings the shared file back after case `case_id`: unlocked, under its original name. `Err` says how it is
    /// left when that cannot be done.
    pub(crate) async fn restore_baseline(
        &self,
        case_id: &str,
        target: &Target,
        ledger: &Ledger,
        transcript: &mut Vec<Exchange>,
    ) -> Result<(), Dirty> {
        // Without the host's declarations nothing can be concluded about its file (a host whose CheckFileInfo
        // fails fails every case on its own).
        let Some(declared) = self.declared(None, case_id, target).await else {
            return Ok(());
        };
        let locks = declared.supports_locks();
        let use_get_lock = declared.supports_get_lock();
        let declared = Some(declared);
        let sent = ledger.snapshot();
        if locks {
            self.release(case_id, target, use_get_lock, &sent.locks, transcript)
                .await?;
        }
        if let Some(new_name) = &sent.renamed_to {
            let original = declared
                .as_ref()
                .and_then(|d| d.string("BaseFileName"))
                .map(str::to_string);
            self.rename_back(case_id, target, new_name, original.as_deref(), transcript)
                .await?;
        }
        Ok(())
    }

    async fn release(
        &self,
        case_id: &str,
        target: &Target,
        use_get_lock: bool,
        sent: &[String],
        t: &mut Vec<Exchange>,
    ) -> Result<(), Dirty> {
        let current = match self.lock_state(case_id, target, use_get_lock, t).await {
            LockState::Unlocked | LockState::Unknown => return Ok(()),
            LockState::Gone(status) => {
                return Err(Dirty {
                    how: format!("left the file answering {status} (was it deleted, or its token revoked?)"),
                    host_fault: None,
                });
            }
            LockState::Locked(id) => id,
        };
        // The ID the host reports first, then what the case sent, newest first.
        let mut candidates: Vec<String> = current.iter().cloned().collect();
        for l in sent.iter().rev() {
            if !candidates.contains(l) {
                candidates.push(l.clone());
            }
        }
        let mut tried = Vec::new();
        let mut host_fault = None;
        for id in &candidates {
            let h = [("X-WOPI-Lock", id.as_str())];
            let answer = self
                .file_request(case_id, target, FileOp::new("baseline/Unlock", "UNLOCK", &h), t)
                .await;
            let status = match &answer {
                Answer::Response(r) => r.status.to_string(),
                Answer::Transport(e) => e.clone(),
                Answer::Halted(h) => h.reason().to_string(),
            };
            tried.push(format!("Unlock with '{id}' answered {status}"));
            let ok = matches!(&answer, Answer::Response(r) if r.status == 200);
            let is_current = current.as_deref() == Some(id.as_str());
            match self.lock_state(case_id, target, use_get_lock, t).await {
                LockState::Unlocked => return Ok(()),
                LockState::Locked(_) if ok && is_current => {
                    host_fault = Some(unlock_fault(
                        id,
                        "Unlock answered 200 but the file stayed locked",
                        "Unlock removes the lock: 'The Unlock operation releases the lock on a file' \
                         (rest/files/Unlock.rst)",
                    ));
                }
                LockState::Locked(_) if is_current && !ok => {
                    host_fault = Some(unlock_fault(
                        id,
                        &format!("Unlock with the lock ID the host itself reported answered {status}"),
                        "a lock ID that matches the current lock must be unlocked (rest/files/Unlock.rst)",
                    ));
                }
                _ => {}
            }
        }
        let held = current.map_or_else(|| "an ID the host does not disclose".to_string(), |c| format!("'{c}'"));
        Err(Dirty {
            how: format!("left the file locked with {held}; {}", tried.join("; ")),
            host_fault,
        })
    }

    async fn rename_back(
        &self,
        case_id: &str,
        target: &Target,
        new_name: &str,
        original: Option<&str>,
        t: &mut Vec<Exchange>,
    ) -> Result<(), Dirty> {
        let Some(original) = original else {
            return Err(Dirty {
                how: format!(
                    "renamed the file to '{new_name}', and its original name is unknown (CheckFileInfo had no \
                     BaseFileName)"
                ),
                host_fault: None,
            });
        };
        // RenameFile's requested name has no extension (rest/files/RenameFile.rst) and is UTF-7 encoded.
        let stem = original.rsplit_once('.').map_or(original, |(s, _)| s);
        let encoded = wopi_protocol::utf7::encode(stem);
        let h = [("X-WOPI-RequestedName", encoded.as_str())];
        let answer = self
            .file_request(
                case_id,
                target,
                FileOp::new("baseline/RenameFile", "RENAME_FILE", &h),
                t,
            )
            .await;
        let status = match &answer {
            Answer::Response(r) => r.status.to_string(),
            Answer::Transport(e) => e.clone(),
            Answer::Halted(h) => h.reason().to_string(),
        };
        let check = self
            .file_request(case_id, target, FileOp::new("baseline/CheckFileInfo", "", &[]), t)
            .await;
        let now = match &check {
            Answer::Response(r) if r.status == 200 => {
                super::declared::Declared::from_body(&r.body).and_then(|d| d.string("BaseFileName").map(str::to_string))
            }
            _ => None,
        };
        if now.as_deref() == Some(original) {
            return Ok(());
        }
        Err(Dirty {
            how: format!(
                "renamed the file to '{new_name}'; RenameFile back to '{stem}' answered {status}, and CheckFileInfo \
                 now gives BaseFileName {}",
                now.map_or_else(|| "nothing".to_string(), |n| format!("'{n}'"))
            ),
            host_fault: None,
        })
    }

    /// Brings the file to `content` the careful way: Lock → PutFile → Unlock with the harness's lock ID (an
    /// unlocked PutFile only when the host declares no locks). `Err` is why the case is blocked.
    pub(crate) async fn setup_content(
        &self,
        case_id: &str,
        target: &Target,
        content: bytes::Bytes,
        prefix: &str,
        t: &mut Vec<Exchange>,
    ) -> Result<(), String> {
        let declared = self.declared(None, case_id, target).await;
        let locks = declared.as_ref().is_none_or(super::declared::Declared::supports_locks);
        let h = [("X-WOPI-Lock", HARNESS_LOCK)];
        let label = |op: &str| format!("{prefix}setup/{op}");
        if locks {
            let a = self
                .file_request(case_id, target, FileOp::new(&label("Lock"), "LOCK", &h), t)
                .await;
            expect_ok(&a, "Lock")?;
        }
        let put_headers: &[(&str, &str)] = if locks { &h } else { &[] };
        let a = self
            .file_request(
                case_id,
                target,
                FileOp {
                    suffix: "/contents",
                    body: Some(content),
                    ..FileOp::new(&label("PutFile"), "PUT", put_headers)
                },
                t,
            )
            .await;
        let put = expect_ok(&a, "PutFile");
        if locks {
            // Unlock even after a refused PutFile, so the harness's own lock never stays behind.
            let a = self
                .file_request(case_id, target, FileOp::new(&label("Unlock"), "UNLOCK", &h), t)
                .await;
            put?;
            return expect_ok(&a, "Unlock");
        }
        put
    }
}

fn expect_ok(answer: &Answer, op: &str) -> Result<(), String> {
    match answer {
        Answer::Response(r) if r.status == 200 => Ok(()),
        Answer::Response(r) => {
            let lock = header(r, "X-WOPI-Lock")
                .map(|l| format!(" (X-WOPI-Lock '{l}')"))
                .unwrap_or_default();
            Err(format!(
                "setup {op} (the harness's Lock → PutFile → Unlock to bring the file to this case's content) answered \
                 {}{lock}",
                r.status
            ))
        }
        Answer::Transport(e) => Err(format!("setup {op} got no response: {e}")),
        Answer::Halted(h) => Err(format!("setup {op} {}", h.reason())),
    }
}

/// A header the request carries (its extra headers; defaults are added by the client and carry no IDs).
fn request_header<'a>(raw: &'a RawRequest, name: &str) -> Option<&'a str> {
    raw.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn header(r: &wopi_mock_office::client::RawResponse, name: &str) -> Option<String> {
    r.headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn unlock_fault(id: &str, actual: &str, rule: &str) -> Failure {
    Failure {
        request: "baseline/Unlock".into(),
        check: "Baseline".into(),
        expected: format!("the lock '{id}' released"),
        actual: actual.to_string(),
        rule: Some(rule.to_string()),
        doc: Some(DocRef {
            page: "rest/files/Unlock.rst".into(),
            url: None,
        }),
        should_only: false,
    }
}
