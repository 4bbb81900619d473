//! Turns a suite request into the exact HTTP request the validator would send (validator-semantics.md §2.2),
//! signed for real by the mock Office client.
//!
//! Divergences from the engine, on purpose: a WOPISrc with a query string gets the path suffix in its path (the
//! engine appends it after the query); an `AccessToken` mutation replaces the token with form encoding as the
//! engine does, and the request is signed with it; `ProofKey@Timestamp` is read as UTC (the engine reads a
//! trailing `Z` as local time); and where the engine throws (a `$State:` key never saved, an unknown resource, a
//! missing mode) the request fails with a message instead of aborting the run.

use bytes::Bytes;
use http::Method;
use url::Url;
use wopi_mock_office::client::{ProofMode, ProofSpec, RawRequest};
use wopi_protocol::dotnet::{self, bool_str};
use wopi_protocol::utf7;

use super::Target;
use crate::suite::{
    Category, CoauthLockType, KeyRelation, ProofTimestamp, PutRelativeMode, Request, RequestKind, Suite, TestCase,
};
use crate::validate::{State, frames};

/// `User-Agent` the validator sends for OfficeNativeClient cases.
pub const ONC_USER_AGENT: &str = "Microsoft Office WOPI Validator/1.0";

/// A request ready for the client, plus what the runner needs to know about it.
#[derive(Debug)]
pub struct Built {
    pub raw: RawRequest,
    /// Tokens used (the target's, or a mutation): scrubbed from every failure message.
    pub token: String,
    /// GetFromFileUrl: sent without `Authorization` (and unsigned), as the engine does.
    pub anonymous: bool,
    /// `<ProofKey ext:AgeSeconds>`: the proof is stamped this many seconds before the host's now, which only the
    /// runner knows (its clock hook or clock offset), so the runner resolves it at send time.
    pub proof_age_secs: Option<i64>,
}

/// Why a request could not be built: the case fails with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

fn berr<T>(m: impl Into<String>) -> Result<T, BuildError> {
    Err(BuildError(m.into()))
}

/// The URL suffix, method and `X-WOPI-Override` of each request element.
fn shape(kind: &RequestKind) -> (Method, &'static str, Option<&'static str>) {
    use RequestKind as K;
    match kind {
        K::CheckFileInfo | K::CheckContainerInfo | K::CheckEcosystem { .. } | K::GetFromFileUrl => {
            (Method::GET, "", None)
        }
        K::GetFile { .. } => (Method::GET, "/contents", None),
        K::EnumerateChildren { .. } => (Method::GET, "/children", None),
        K::EnumerateAncestors => (Method::GET, "/ancestry", None),
        K::GetEcosystem => (Method::GET, "/ecosystem_pointer", None),
        K::GetRootContainer { .. } => (Method::GET, "/root_container_pointer", None),
        K::PutFile { .. } => (Method::POST, "/contents", Some("PUT")),
        K::PutChunkedFile(_) => (Method::POST, "/contents", Some("PUT_CHUNKED_FILE")),
        K::PutRelativeFile { .. } => (Method::POST, "", Some("PUT_RELATIVE")),
        K::Lock { .. } | K::UnlockAndRelock { .. } => (Method::POST, "", Some("LOCK")),
        K::Unlock { .. } => (Method::POST, "", Some("UNLOCK")),
        K::RefreshLock { .. } => (Method::POST, "", Some("REFRESH_LOCK")),
        K::GetLock => (Method::POST, "", Some("GET_LOCK")),
        K::PutUserInfo { .. } => (Method::POST, "", Some("PUT_USER_INFO")),
        K::AddActivities { .. } => (Method::POST, "", Some("ADD_ACTIVITIES")),
        K::DeleteFile => (Method::POST, "", Some("DELETE")),
        K::RenameFile { .. } => (Method::POST, "", Some("RENAME_FILE")),
        K::GetShareUrl { .. } => (Method::POST, "", Some("GET_SHARE_URL")),
        K::GetNewAccessToken { .. } => (Method::POST, "", Some("GET_NEW_ACCESS_TOKEN")),
        K::CreateChildContainer { .. } => (Method::POST, "", Some("CREATE_CHILD_CONTAINER")),
        K::CreateChildFile { .. } => (Method::POST, "", Some("CREATE_CHILD_FILE")),
        K::DeleteContainer => (Method::POST, "", Some("DELETE_CONTAINER")),
        K::RenameContainer { .. } => (Method::POST, "", Some("RENAME_CONTAINER")),
        K::PutToFileUrl { .. } => (Method::POST, "", None),
        K::GetCoauthLock(_) => (Method::POST, "", Some("GET_COAUTH_LOCK")),
        K::RefreshCoauthLock(_) => (Method::POST, "", Some("REFRESH_COAUTH_LOCK")),
        K::UnlockCoauthLock { .. } => (Method::POST, "", Some("UNLOCK_COAUTH_LOCK")),
        K::GetCoauthTable { .. } => (Method::POST, "", Some("GET_COAUTH_TABLE")),
        K::GetChunkedFile { .. } => (Method::POST, "", Some("GET_CHUNKED_FILE")),
        K::GetSequenceNumber => (Method::POST, "", Some("GET_SEQUENCE_NUMBER")),
        K::Delay { .. } => (Method::GET, "", None),
    }
}

/// Builds the request `r` of `case` against `target` with the case's `state`.
pub fn build(
    r: &Request,
    label: &str,
    case: &TestCase,
    suite: &Suite,
    target: &Target,
    state: &State,
) -> Result<Built, BuildError> {
    use RequestKind as K;
    let (method, suffix, override_op) = shape(&r.kind);
    let deletes = matches!(r.kind, K::DeleteFile | K::DeleteContainer);

    // --- URL and token ---
    let mut token = target.access_token.clone();
    let mut with_ttl = true;
    let explicit: Option<String> = match r.override_url.as_deref() {
        Some(o) => match o.strip_prefix("$State:") {
            Some(key) => match state.get(key) {
                None => return berr(format!("OverrideUrl uses $State:{key}, which no earlier request saved")),
                Some(None) | Some(Some("")) if deletes => {
                    return berr(format!(
                        "$State:{key} is empty (the request that creates it failed); refusing to send {} to the original file",
                        r.kind.name()
                    ));
                }
                // The engine's fallback: a saved-but-empty URL means the original WopiSrc.
                Some(None) | Some(Some("")) => None,
                Some(Some(v)) => Some(v.to_string()),
            },
            None => Some(o.to_string()),
        },
        None if deletes => {
            return berr(format!(
                "{} needs an OverrideUrl (the original file is never deleted)",
                r.kind.name()
            ));
        }
        None if matches!(r.kind, K::GetFromFileUrl) => {
            return berr("GetFromFileUrl needs an OverrideUrl ($State:FileUrl)");
        }
        None => None,
    };
    let mut url = match &explicit {
        Some(u) => {
            let mut url = Url::parse(u).or_else(|e| {
                berr(format!(
                    "OverrideUrl '{}' is not a URL: {e}",
                    wopi_protocol::transcript::redact_url(u)
                ))
            })?;
            if !suffix.is_empty() {
                let path = format!("{}{}", url.path().trim_end_matches('/'), suffix);
                url.set_path(&path);
            }
            // The engine takes the token from the URL's own access_token parameter (empty if none).
            token = url
                .query_pairs()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            with_ttl = false;
            url
        }
        None => {
            let mut url = target.wopisrc.clone();
            if !suffix.is_empty() {
                let path = format!("{}{}", url.path().trim_end_matches('/'), suffix);
                url.set_path(&path);
            }
            url.query_pairs_mut().append_pair("access_token", &target.access_token);
            url
        }
    };
    if let Some(n) = r.instance {
        url = crate::instances::rebase(&url, &target.instances, n);
    }
    let anonymous = matches!(r.kind, K::GetFromFileUrl);
    if with_ttl && !anonymous {
        url.query_pairs_mut()
            .append_pair("access_token_ttl", &target.access_token_ttl.to_string());
    }
    if let Some(m) = &r.mutators.access_token {
        token = m.mutation.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        put_token_first(&mut url, &token);
    }

    // --- headers and body ---
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut body = Bytes::new();
    let mut h = |n: &str, v: &str| headers.push((n.to_string(), v.to_string()));
    let resource = |id: &str| -> Result<Vec<u8>, BuildError> {
        suite
            .resource(id)
            .map(|r| r.bytes())
            .ok_or_else(|| BuildError(format!("resource '{id}' is not declared")))
    };
    let target_headers =
        |mode: Option<PutRelativeMode>, name: &str, overwrite: Option<bool>, h: &mut dyn FnMut(&str, &str)| {
            let encoded = utf7::encode_validator_url(name);
            match mode {
                Some(PutRelativeMode::Suggested) => h("X-WOPI-SuggestedTarget", &encoded),
                Some(PutRelativeMode::ExactName) => {
                    h("X-WOPI-RelativeTarget", &encoded);
                    if let Some(o) = overwrite {
                        h("X-WOPI-OverwriteRelativeTarget", bool_str(o));
                    }
                }
                Some(PutRelativeMode::Conflicting) => {
                    h("X-WOPI-SuggestedTarget", &encoded);
                    h("X-WOPI-RelativeTarget", &encoded);
                }
                None => {}
            }
        };
    match &r.kind {
        K::GetFile { new_lock, .. } => {
            if let Some(l) = new_lock {
                h("X-WOPI-Lock", l);
            }
        }
        K::PutFile { lock, resource_id } => {
            if let Some(l) = lock.as_deref().filter(|l| !l.is_empty()) {
                h("X-WOPI-Lock", l);
            }
            body = resource(resource_id)?.into();
        }
        K::PutRelativeFile {
            name,
            resource_id,
            mode,
            overwrite_relative,
            overwrite_in_suggested,
        } => {
            if mode.is_none() {
                return berr("PutRelativeFile needs PutRelativeFileMode");
            }
            let bytes = resource(resource_id)?;
            h("X-WOPI-Size", &bytes.len().to_string());
            target_headers(*mode, name, *overwrite_relative, &mut h);
            if *overwrite_in_suggested {
                // The loader allows this only in Suggested mode, where the host must ignore it.
                h("X-WOPI-OverwriteRelativeTarget", bool_str(true));
            }
            body = bytes.into();
        }
        K::CreateChildFile {
            name,
            mode,
            overwrite_relative,
        } => {
            if mode.is_none() {
                return berr("CreateChildFile needs PutRelativeFileMode");
            }
            target_headers(*mode, name, *overwrite_relative, &mut h);
        }
        K::CreateChildContainer { folder_name, mode } => {
            if mode.is_none() {
                return berr("CreateChildContainer needs PutRelativeFileMode");
            }
            target_headers(*mode, folder_name, None, &mut h);
        }
        K::Lock {
            lock,
            lock_user_visible,
        } => {
            h("X-WOPI-Lock", lock);
            if let Some(v) = lock_user_visible {
                h("X-WOPI-LockUserVisible", bool_str(*v));
            }
        }
        K::Unlock { lock } | K::RefreshLock { lock } => h("X-WOPI-Lock", lock),
        K::UnlockAndRelock { new_lock, old_lock } => {
            h("X-WOPI-Lock", new_lock);
            h("X-WOPI-OldLock", old_lock);
        }
        K::PutUserInfo { body: b } | K::AddActivities { body: b } => body = Bytes::from(b.clone().into_bytes()),
        K::RenameFile {
            name,
            lock,
            coauth_lock_id,
        } => {
            h("X-WOPI-RequestedName", &utf7::encode(name));
            h("X-WOPI-Lock", lock.as_deref().unwrap_or(""));
            h("X-WOPI-CoauthLockId", coauth_lock_id.as_deref().unwrap_or(""));
        }
        K::RenameContainer { name } => h("X-WOPI-RequestedName", &utf7::encode(name)),
        K::GetShareUrl { url_type } => {
            if let Some(t) = url_type {
                h("X-WOPI-UrlType", t);
            }
        }
        K::GetNewAccessToken { .. } => h("X-WOPI-WopiSrc", target.wopisrc.as_str()),
        K::EnumerateChildren {
            file_extension_filter_list,
        } => {
            if let Some(f) = file_extension_filter_list.as_deref().filter(|f| !f.is_empty()) {
                h("X-WOPI-FileExtensionFilterList", f);
            }
        }
        K::GetCoauthLock(c) | K::RefreshCoauthLock(c) => {
            if let Some(t) = c.lock_type {
                let t = match t {
                    CoauthLockType::Coauth => "Coauth",
                    CoauthLockType::CoauthExclusive => "CoauthExclusive",
                    CoauthLockType::None => "None",
                };
                h("X-WOPI-CoauthLockType", t);
            }
            h("X-WOPI-CoauthLockId", &c.coauth_lock_id);
            if let Some(t) = c.expiration_timeout {
                h("X-WOPI-CoauthLockExpirationTimeout", &t.to_string());
            }
            match &c.metadata_as_body {
                Some(m) => body = Bytes::from(serde_json::json!({ "CoauthLockMetadata": m }).to_string().into_bytes()),
                None => {
                    if let Some(m) = &c.metadata {
                        h("X-WOPI-CoauthLockMetadata", m);
                    }
                }
            }
        }
        K::UnlockCoauthLock { coauth_lock_id } => h("X-WOPI-CoauthLockId", coauth_lock_id),
        K::GetCoauthTable {
            version,
            version_state_key,
        } => {
            let v = version_state_key
                .as_deref()
                .and_then(|k| state.get(k).flatten())
                .map(str::to_string)
                .or_else(|| version.clone())
                .unwrap_or_default();
            h("X-WOPI-CoauthTableVersion", &v);
        }
        K::GetChunkedFile {
            properties_to_return,
            filters,
        } => {
            let mut list = Vec::new();
            for f in filters {
                let known = frames::content_chunks(
                    suite,
                    &f.chunking_scheme,
                    f.already_existing_content.as_deref(),
                    f.already_existing_content_resource_id.as_deref(),
                )
                .map_err(BuildError)?;
                let ids = known.iter().map(|c| frames::chunk_id(c)).collect();
                list.push((
                    f.stream_id.clone(),
                    ids,
                    f.chunking_scheme.clone(),
                    f.chunks_to_return.clone(),
                ));
            }
            body = frames::encode_request(&frames::get_chunked_file_message(list, properties_to_return), &[]).into();
        }
        K::PutChunkedFile(p) => {
            let from_state = p
                .sequence_number_state_key
                .as_deref()
                .and_then(|k| state.get_nonempty(k))
                .and_then(|v| v.trim().parse::<i64>().ok());
            let seq = from_state
                .or_else(|| p.sequence_number.as_deref().and_then(|v| v.trim().parse::<i64>().ok()))
                .ok_or_else(|| {
                    BuildError(
                        "PutChunkedFile needs a sequence number (SequenceNumber or a saved SequenceNumberStateKey)"
                            .into(),
                    )
                })?;
            h("X-WOPI-SequenceNumber", &seq.to_string());
            h("X-WOPI-Lock", p.lock.as_deref().unwrap_or(""));
            h("X-WOPI-CoauthLockId", p.coauth_lock_id.as_deref().unwrap_or(""));
            h("X-WOPI-Editors", p.editors.as_deref().unwrap_or(""));
            let mut signatures = Vec::new();
            let mut send: Vec<Vec<u8>> = Vec::new();
            for s in &p.streams {
                let new = frames::content_chunks(
                    suite,
                    &s.chunking_scheme,
                    s.new_content.as_deref(),
                    s.new_content_resource_id.as_deref(),
                )
                .map_err(BuildError)?;
                let known = frames::content_chunks(
                    suite,
                    &s.chunking_scheme,
                    s.last_known_host_content.as_deref(),
                    s.last_known_host_content_resource_id.as_deref(),
                )
                .map_err(BuildError)?;
                let known_ids: Vec<String> = known.iter().map(|c| frames::chunk_id(c)).collect();
                let sigs: Vec<serde_json::Value> = new
                    .iter()
                    .map(|c| serde_json::json!({"ChunkId": frames::chunk_id(c), "Length": c.len()}))
                    .collect();
                for c in new {
                    // Only the delta, each chunk once across streams.
                    if !known_ids.contains(&frames::chunk_id(&c)) && !send.contains(&c) {
                        send.push(c);
                    }
                }
                signatures.push(serde_json::json!({"ChunkSignatures": sigs, "ChunkingScheme": s.chunking_scheme, "StreamId": s.stream_id}));
            }
            let props: Vec<serde_json::Value> = p
                .properties
                .iter()
                .map(|c| serde_json::json!({"Name": c.name, "Retention": c.retention, "Value": c.value}))
                .collect();
            let message = serde_json::json!({
                "ContentProperties": props,
                "Signatures": signatures,
                "UploadSessionTokenToCommit": p.upload_session_token,
            });
            body = frames::encode_request(&message, &send).into();
        }
        K::PutToFileUrl { .. } => {
            return berr("PutToFileUrl is in the XSD but unknown to the validator engine; not supported");
        }
        K::Delay { .. } => return berr("Delay is not an HTTP request"),
        K::CheckFileInfo
        | K::GetLock
        | K::DeleteFile
        | K::CheckContainerInfo
        | K::EnumerateAncestors
        | K::GetEcosystem
        | K::GetRootContainer { .. }
        | K::CheckEcosystem { .. }
        | K::DeleteContainer
        | K::GetFromFileUrl
        | K::GetSequenceNumber => {}
    }
    if let Some(op) = override_op {
        h("X-WOPI-Override", op);
    }
    if case.category == Category::OfficeNativeClient && !anonymous {
        h("User-Agent", ONC_USER_AGENT);
    }

    // `<ext:Header>` last, so it can replace a header the element itself sends.
    for x in &r.headers {
        let value = match x.value.strip_prefix("$State:") {
            Some(key) => match state.get(key) {
                Some(Some(v)) => v.to_string(),
                Some(None) => String::new(),
                None => {
                    return berr(format!(
                        "<ext:Header Name=\"{}\"> uses $State:{key}, which no earlier request saved",
                        x.name
                    ));
                }
            },
            None => x.value.clone(),
        };
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&x.name));
        headers.push((x.name.clone(), value));
    }

    // --- proof ---
    let (proof, proof_age_secs) = if anonymous {
        (ProofSpec::mode(ProofMode::Unsigned), None)
    } else {
        proof_spec(r)?
    };
    let raw = RawRequest {
        label: label.to_string(),
        method,
        url,
        access_token: if anonymous { String::new() } else { token.clone() },
        headers,
        body,
        proof,
    };
    Ok(Built {
        raw,
        token,
        anonymous,
        proof_age_secs,
    })
}

/// Replaces the URL's `access_token` with `token`, put first as the engine does for its mutations.
fn put_token_first(url: &mut Url, token: &str) {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "access_token")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut q = url.query_pairs_mut();
    q.clear();
    q.append_pair("access_token", token);
    for (k, v) in &pairs {
        q.append_pair(k, v);
    }
}

/// Sends `built` with `token` (an `<ext:AccessToken>` token from the host hook) instead of the one it carries; the
/// request is signed with the new token.
pub fn swap_token(built: &mut Built, token: String) {
    put_token_first(&mut built.raw.url, &token);
    built.raw.access_token = token.clone();
    built.token = token;
}

/// The `<ProofKey>` mutator as a mock-client proof spec (validator-semantics.md §3.3), plus the age in seconds
/// of an `ext:AgeSeconds` timestamp (resolved when the request is sent).
fn proof_spec(r: &Request) -> Result<(ProofSpec, Option<i64>), BuildError> {
    let Some(m) = &r.mutators.proof_key else {
        return Ok((ProofSpec::valid(), None));
    };
    let mode = match m.key_relation {
        KeyRelation::Ahead => ProofMode::Ahead,
        KeyRelation::Behind => ProofMode::Behind,
        KeyRelation::Other => ProofMode::Valid,
        KeyRelation::Synced => match (m.mutate_current, m.mutate_old) {
            (true, true) => ProofMode::BothInvalid,
            (true, false) => ProofMode::CurrentInvalid,
            (false, true) => ProofMode::OldInvalid,
            (false, false) => ProofMode::Valid,
        },
    };
    let spec = ProofSpec::mode(mode);
    match &m.timestamp {
        None => Ok((spec, None)),
        Some(ProofTimestamp::At(ts)) => {
            let ticks = dotnet::parse_utc_ticks(ts)
                .ok_or_else(|| BuildError(format!("ProofKey Timestamp '{ts}' is not a date-time")))?;
            Ok((spec.at(ticks), None))
        }
        Some(ProofTimestamp::AgeSeconds(age)) => Ok((spec, Some(*age))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::suite::{self, Step};
    use std::path::Path;

    fn suite_of(requests: &str, category: &str) -> Suite {
        let text = format!(
            r#"<WopiValidation xmlns:ext="urn:wopi-conformance:ext:1"><Resources><File Id="WordSimpleDocument" Name="WordSimpleDocument.docx" FilePath="Resources\WordSimpleDocument.docx"/></Resources>
               <TestGroup Name="G"><TestCases><TestCase Name="C" Category="{category}"><Description>d</Description>
               <Requests>{requests}</Requests></TestCase></TestCases></TestGroup></WopiValidation>"#
        );
        suite::parse_str(&text, Path::new("t.xml"), "t".into()).unwrap()
    }

    fn target() -> Target {
        Target {
            wopisrc: Url::parse("http://h/wopi/files/1").unwrap(),
            access_token: "a+b/c".into(),
            access_token_ttl: 42,
            instances: Vec::new(),
        }
    }

    /// Builds request `i` of the single case with `state`.
    fn built(requests: &str, i: usize, state: &State) -> Result<Built, BuildError> {
        built_in(requests, "WopiCore", i, state)
    }

    fn built_in(requests: &str, category: &str, i: usize, state: &State) -> Result<Built, BuildError> {
        let s = suite_of(requests, category);
        let case = &s.groups[0].cases[0];
        let Step::Request(r) = &case.requests[i] else {
            panic!("not a request")
        };
        build(r, "L", case, &s, &target(), state)
    }

    fn header<'a>(b: &'a Built, name: &str) -> Option<&'a str> {
        b.raw
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn ext_headers_add_or_replace_and_read_state() {
        let mut state = State::new();
        state.set("Size", Some("7".into()));
        let b = built(
            r#"<GetFile NewLock="L"><ext:Header Name="x-wopi-lock" Value="M"/><ext:Header Name="X-WOPI-MaxExpectedSize" Value="$State:Size"/></GetFile>"#,
            0,
            &state,
        )
        .unwrap();
        assert_eq!(header(&b, "X-WOPI-MaxExpectedSize"), Some("7"));
        assert_eq!(header(&b, "X-WOPI-Lock"), Some("M"));
        assert_eq!(
            b.raw
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("x-wopi-lock"))
                .count(),
            1
        );
        let err = built(
            r#"<GetFile><ext:Header Name="X-A" Value="$State:Never"/></GetFile>"#,
            0,
            &state,
        )
        .unwrap_err();
        assert!(err.0.contains("$State:Never"), "{}", err.0);
    }

    #[test]
    fn swapped_token_goes_in_the_url_and_the_signature() {
        let mut b = built("<CheckFileInfo/>", 0, &State::new()).unwrap();
        swap_token(&mut b, "new tok".into());
        assert_eq!(
            b.raw.url.as_str(),
            "http://h/wopi/files/1?access_token=new+tok&access_token_ttl=42"
        );
        assert_eq!(b.raw.access_token, "new tok");
        assert_eq!(b.token, "new tok");
    }

    #[test]
    fn default_url_carries_the_encoded_token_and_ttl() {
        let b = built("<GetFile/>", 0, &State::new()).unwrap();
        assert_eq!(b.raw.method, Method::GET);
        assert_eq!(
            b.raw.url.as_str(),
            "http://h/wopi/files/1/contents?access_token=a%2Bb%2Fc&access_token_ttl=42"
        );
        assert_eq!(b.raw.access_token, "a+b/c");
        assert_eq!(b.raw.proof, ProofSpec::valid());
    }

    #[test]
    fn put_relative_file_sends_utf7_target_size_and_the_fake_bytes() {
        let b = built(
            r#"<PutRelativeFile Name="madeup_name.wopitestx" ResourceId="WordSimpleDocument" PutRelativeFileMode="ExactName" OverwriteRelative="false"/>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert_eq!(header(&b, "X-WOPI-Override"), Some("PUT_RELATIVE"));
        assert_eq!(header(&b, "X-WOPI-RelativeTarget"), Some("madeup+AF8-name.wopitestx"));
        assert_eq!(header(&b, "X-WOPI-OverwriteRelativeTarget"), Some("False"));
        assert_eq!(header(&b, "X-WOPI-Size"), Some("74"));
        assert_eq!(b.raw.body.len(), 74);
        let c = built(
            r#"<PutRelativeFile Name="a.wopitest" ResourceId="WordSimpleDocument" PutRelativeFileMode="Conflicting"/>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert!(header(&c, "X-WOPI-SuggestedTarget").is_some() && header(&c, "X-WOPI-RelativeTarget").is_some());
    }

    #[test]
    fn overwrite_in_suggested_sends_the_overwrite_header_beside_the_suggested_target() {
        let b = built(
            r#"<PutRelativeFile Name=".docx" ResourceId="WordSimpleDocument" PutRelativeFileMode="Suggested" ext:OverwriteInSuggested="true"/>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert_eq!(header(&b, "X-WOPI-SuggestedTarget"), Some(".docx"));
        assert_eq!(header(&b, "X-WOPI-OverwriteRelativeTarget"), Some("True"));
        assert_eq!(header(&b, "X-WOPI-RelativeTarget"), None);
        // Without it, suggested mode sends no overwrite header (OverwriteRelative is ExactName's).
        let plain = built(
            r#"<PutRelativeFile Name=".docx" ResourceId="WordSimpleDocument" PutRelativeFileMode="Suggested" OverwriteRelative="true"/>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert_eq!(header(&plain, "X-WOPI-OverwriteRelativeTarget"), None);
    }

    #[test]
    fn lock_family_headers() {
        let b = built(r#"<Lock Lock="A" LockUserVisible="true"/>"#, 0, &State::new()).unwrap();
        assert_eq!(
            (header(&b, "X-WOPI-Override"), header(&b, "X-WOPI-Lock")),
            (Some("LOCK"), Some("A"))
        );
        assert_eq!(header(&b, "X-WOPI-LockUserVisible"), Some("True"));
        let b = built(r#"<UnlockAndRelock NewLock="N" OldLock="O"/>"#, 0, &State::new()).unwrap();
        assert_eq!(
            (header(&b, "X-WOPI-Lock"), header(&b, "X-WOPI-OldLock")),
            (Some("N"), Some("O"))
        );
        // GetFile ignores Lock (engine), PutFile sends a non-empty one.
        let b = built(r#"<GetFile Lock="X"/>"#, 0, &State::new()).unwrap();
        assert_eq!(header(&b, "X-WOPI-Lock"), None);
        let b = built(
            r#"<PutFile Lock="" ResourceId="WordSimpleDocument"/>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert_eq!(header(&b, "X-WOPI-Lock"), None);
        assert_eq!(header(&b, "X-WOPI-Override"), Some("PUT"));
    }

    #[test]
    fn rename_file_always_sends_lock_and_coauth_headers() {
        let b = built(r#"<RenameFile Name="madeup_renamed"/>"#, 0, &State::new()).unwrap();
        assert_eq!(header(&b, "X-WOPI-RequestedName"), Some("madeup+AF8-renamed"));
        assert_eq!(header(&b, "X-WOPI-Lock"), Some(""));
        assert_eq!(header(&b, "X-WOPI-CoauthLockId"), Some(""));
    }

    #[test]
    fn override_urls_from_state_and_their_fallbacks() {
        let mut state = State::new();
        state.set("New", Some("http://h/wopi/files/9?access_token=tok9".into()));
        state.set("Empty", None);
        let b = built(r#"<CheckFileInfo OverrideUrl="$State:New"/>"#, 0, &state).unwrap();
        assert_eq!(b.raw.url.as_str(), "http://h/wopi/files/9?access_token=tok9");
        assert_eq!(b.token, "tok9");
        let b = built(r#"<EnumerateAncestors OverrideUrl="$State:New"/>"#, 0, &state).unwrap();
        assert_eq!(b.raw.url.path(), "/wopi/files/9/ancestry");
        // Saved but empty: the original file, as the engine does...
        let b = built(r#"<CheckFileInfo OverrideUrl="$State:Empty"/>"#, 0, &state).unwrap();
        assert_eq!(b.raw.url.path(), "/wopi/files/1");
        // ...except for deletes, which never touch the original file.
        assert!(
            built(r#"<DeleteFile OverrideUrl="$State:Empty"/>"#, 0, &state)
                .unwrap_err()
                .0
                .contains("refusing")
        );
        assert!(built(r#"<DeleteFile/>"#, 0, &state).is_err());
        assert!(
            built(r#"<CheckFileInfo OverrideUrl="$State:Never"/>"#, 0, &state)
                .unwrap_err()
                .0
                .contains("no earlier request saved")
        );
    }

    #[test]
    fn get_from_file_url_is_anonymous_and_unsigned() {
        let mut state = State::new();
        state.set("FileUrl", Some("http://files.example/blob/1".into()));
        let b = built(r#"<GetFromFileUrl OverrideUrl="$State:FileUrl"/>"#, 0, &state).unwrap();
        assert!(b.anonymous);
        assert_eq!(b.raw.url.as_str(), "http://files.example/blob/1");
        assert_eq!(b.raw.proof.mode, ProofMode::Unsigned);
        assert_eq!(b.raw.access_token, "");
    }

    #[test]
    fn mutators_map_to_tokens_and_proof_modes() {
        let b = built(
            r#"<CheckFileInfo><Mutators><AccessToken Mutation="INVALID"/></Mutators></CheckFileInfo>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert_eq!(b.token, "INVALID");
        assert!(b.raw.url.as_str().contains("access_token=INVALID"), "{}", b.raw.url);
        assert!(!b.raw.url.as_str().contains("a%2Bb"));
        let cases = [
            (r#"<ProofKey MutateCurrent="true"/>"#, ProofMode::CurrentInvalid),
            (r#"<ProofKey MutateOld="true"/>"#, ProofMode::OldInvalid),
            (
                r#"<ProofKey MutateCurrent="true" MutateOld="true"/>"#,
                ProofMode::BothInvalid,
            ),
            (r#"<ProofKey KeyRelation="Ahead"/>"#, ProofMode::Ahead),
            (r#"<ProofKey KeyRelation="Behind"/>"#, ProofMode::Behind),
        ];
        for (m, mode) in cases {
            let b = built(
                &format!("<CheckFileInfo><Mutators>{m}</Mutators></CheckFileInfo>"),
                0,
                &State::new(),
            )
            .unwrap();
            assert_eq!(b.raw.proof.mode, mode, "{m}");
        }
        let b = built(
            r#"<CheckFileInfo><Mutators><ProofKey Timestamp="2015-08-17T00:00:00Z"/></Mutators></CheckFileInfo>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert_eq!(
            b.raw.proof.timestamp,
            Some(wopi_protocol::proof::Ticks(635_753_664_000_000_000))
        );
        assert_eq!(b.proof_age_secs, None);
        let b = built(
            r#"<CheckFileInfo><Mutators><ProofKey ext:AgeSeconds="-60" KeyRelation="Behind"/></Mutators></CheckFileInfo>"#,
            0,
            &State::new(),
        )
        .unwrap();
        // The age is left for the runner: the spec itself says "now" until then.
        assert_eq!(b.raw.proof.timestamp, None);
        assert_eq!(b.raw.proof.mode, ProofMode::Behind);
        assert_eq!(b.proof_age_secs, Some(-60));
    }

    #[test]
    fn coauth_requests_follow_the_engine() {
        let b = built(
            r#"<GetCoauthLock CoauthLockType="Coauth" CoauthLockId="C1" CoauthLockExpirationTimeout="600" CoauthLockMetadata="m" CoauthLockMetadataAsBody="b"/>"#,
            0,
            &State::new(),
        )
        .unwrap();
        assert_eq!(header(&b, "X-WOPI-CoauthLockType"), Some("Coauth"));
        assert_eq!(header(&b, "X-WOPI-CoauthLockExpirationTimeout"), Some("600"));
        // With the body form the header form is not sent (the engine's "SentAsBodyAndHeader" quirk).
        assert_eq!(header(&b, "X-WOPI-CoauthLockMetadata"), None);
        assert_eq!(&b.raw.body[..], br#"{"CoauthLockMetadata":"b"}"#);
        let mut state = State::new();
        state.set("V", Some("7".into()));
        let b = built(r#"<GetCoauthTable CoauthTableVersionStateKey="V"/>"#, 0, &state).unwrap();
        assert_eq!(header(&b, "X-WOPI-CoauthTableVersion"), Some("7"));
        let b = built(r#"<GetCoauthTable/>"#, 0, &State::new()).unwrap();
        assert_eq!(header(&b, "X-WOPI-CoauthTableVersion"), Some(""));
    }

    #[test]
    fn office_native_client_cases_send_the_validator_user_agent() {
        let b = built_in("<CheckFileInfo/>", "OfficeNativeClient", 0, &State::new()).unwrap();
        assert_eq!(header(&b, "User-Agent"), Some(ONC_USER_AGENT));
        assert_eq!(
            header(&built("<CheckFileInfo/>", 0, &State::new()).unwrap(), "User-Agent"),
            None
        );
    }
}
