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
use wopi_protocol::ops;

use super::Target;
use crate::suite::content::{self, Content, ContentError};
use crate::suite::elements::requests::{self, Address, Env, Wire};
use crate::suite::{Category, ChunkingScheme, KeyRelation, ProofTimestamp, Request, Suite, TestCase};
use crate::validate::State;

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

pub use crate::suite::elements::requests::BuildError;

fn berr<T>(m: impl Into<String>) -> Result<T, BuildError> {
    Err(BuildError(m.into()))
}

/// The method, path suffix and `X-WOPI-Override` of a request element, from the operation catalogue.
fn from_catalogue(address: Address) -> (Method, &'static str, Option<&'static str>) {
    match address {
        Address::Op(op) => {
            let spec = op.spec();
            let method = match spec.method {
                ops::Method::Get => Method::GET,
                ops::Method::Post => Method::POST,
            };
            (method, spec.path.suffix(), spec.override_op.map(|o| o.as_str()))
        }
        Address::FileUrl | Address::NotSent(_) => (Method::GET, "", None),
    }
}

/// What the runner offers the element modules while a request is built.
struct RunEnv<'a> {
    suite: &'a Suite,
    target: &'a Target,
    state: &'a State,
}

impl Env for RunEnv<'_> {
    fn resource(&self, id: &str) -> Option<Vec<u8>> {
        self.suite.resource(id).map(|r| r.bytes())
    }

    fn state(&self, key: &str) -> Option<Option<&str>> {
        self.state.get(key)
    }

    fn wopisrc(&self) -> &str {
        self.target.wopisrc.as_str()
    }

    fn stream_content(
        &self,
        scheme: ChunkingScheme,
        text: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Content, ContentError> {
        content::stream_content(self.suite, scheme, text, resource_id)
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
    let address = r.kind.address();
    let (method, suffix, override_op) = from_catalogue(address);
    let anonymous = address == Address::FileUrl;
    let (url, token) = url_and_token(r, target, state, suffix, anonymous)?;

    // --- headers and body: the element's own, then the override ---
    if let Address::NotSent(why) = address {
        return berr(why);
    }
    let env = RunEnv { suite, target, state };
    let mut wire = Wire::new(&env);
    requests::send(&r.kind, &mut wire)?;
    let (mut headers, body) = wire.into_parts();
    let mut h = |n: &str, v: &str| headers.push((n.to_string(), v.to_string()));
    if let Some(op) = override_op {
        h(wopi_protocol::headers::X_WOPI_OVERRIDE, op);
    }
    if case.category == Category::OfficeNativeClient && !anonymous {
        h("User-Agent", ONC_USER_AGENT);
    }
    ext_headers(r, state, &mut headers)?;

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
        body: Bytes::from(body),
        proof,
    };
    Ok(Built {
        raw,
        token,
        anonymous,
        proof_age_secs,
    })
}

/// The `OverrideUrl` to send to, if any: a literal, or a saved `$State:` URL (saved-but-empty means the original
/// WopiSrc, except for deletes, which never touch the original file).
fn explicit_url(r: &Request, state: &State, anonymous: bool) -> Result<Option<String>, BuildError> {
    let deletes = r.kind.deletes();
    match r.override_url.as_deref() {
        Some(o) => match o.strip_prefix("$State:") {
            Some(key) => match state.get(key) {
                None => berr(format!("OverrideUrl uses $State:{key}, which no earlier request saved")),
                Some(None) | Some(Some("")) if deletes => berr(format!(
                    "$State:{key} is empty (the request that creates it failed); refusing to send {} to the original file",
                    r.kind.name()
                )),
                // The engine's fallback: a saved-but-empty URL means the original WopiSrc.
                Some(None) | Some(Some("")) => Ok(None),
                Some(Some(v)) => Ok(Some(v.to_string())),
            },
            None => Ok(Some(o.to_string())),
        },
        None if deletes => berr(format!(
            "{} needs an OverrideUrl (the original file is never deleted)",
            r.kind.name()
        )),
        None if anonymous => berr("GetFromFileUrl needs an OverrideUrl ($State:FileUrl)"),
        None => Ok(None),
    }
}

/// The request URL (path suffix, token, TTL, instance, token mutation) and the token it carries.
fn url_and_token(
    r: &Request,
    target: &Target,
    state: &State,
    suffix: &str,
    anonymous: bool,
) -> Result<(Url, String), BuildError> {
    let with_suffix = |mut url: Url| {
        if !suffix.is_empty() {
            let path = format!("{}{}", url.path().trim_end_matches('/'), suffix);
            url.set_path(&path);
        }
        url
    };
    let explicit = explicit_url(r, state, anonymous)?;
    let (mut url, mut token) = match &explicit {
        Some(u) => {
            let url = with_suffix(Url::parse(u).or_else(|e| {
                berr(format!(
                    "OverrideUrl '{}' is not a URL: {e}",
                    wopi_protocol::transcript::redact_url(u)
                ))
            })?);
            // The engine takes the token from the URL's own access_token parameter (empty if none).
            let token = url
                .query_pairs()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            (url, token)
        }
        None => {
            let mut url = with_suffix(target.wopisrc.clone());
            url.query_pairs_mut().append_pair("access_token", &target.access_token);
            (url, target.access_token.clone())
        }
    };
    if let Some(n) = r.instance {
        url = crate::instances::rebase(&url, &target.instances, n);
    }
    if explicit.is_none() && !anonymous {
        url.query_pairs_mut()
            .append_pair("access_token_ttl", &target.access_token_ttl.to_string());
    }
    if let Some(m) = &r.mutators.access_token {
        token = m.mutation.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        put_token_first(&mut url, &token);
    }
    Ok((url, token))
}

/// `<ext:Header>` last, so it can replace (case-insensitively) a header the element itself sends.
fn ext_headers(r: &Request, state: &State, headers: &mut Vec<(String, String)>) -> Result<(), BuildError> {
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
    Ok(())
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
            let ticks = wopi_protocol::dotnet::parse_utc_ticks(ts)
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
