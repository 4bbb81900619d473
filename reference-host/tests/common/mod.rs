//! Shared helpers for the integration tests: an in-process host and a small WOPI request builder.

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use url::Url;
use wopi_reference_host::faults::FaultSet;
use wopi_reference_host::testing::IssuedToken;
use wopi_reference_host::{Config, Provisioned, TestHost, spawn_for_test};

pub fn config() -> Config {
    Config::new(Url::parse("http://127.0.0.1:1").unwrap())
}

pub async fn host() -> TestHost {
    spawn_for_test(config()).await.unwrap()
}

pub async fn host_with(faults: FaultSet) -> TestHost {
    let mut config = config();
    config.faults = faults;
    spawn_for_test(config).await.unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A file and a token for it.
#[derive(Clone, Debug)]
pub struct Target {
    pub wopisrc: String,
    pub token: String,
}

impl Target {
    pub fn of(p: &Provisioned) -> Self {
        Self {
            wopisrc: p.wopisrc.clone(),
            token: p.access_token.clone(),
        }
    }

    pub fn with_token(&self, token: &IssuedToken) -> Self {
        Self {
            wopisrc: self.wopisrc.clone(),
            token: token.access_token.clone(),
        }
    }

    /// From a `Url` value of a response (WOPISrc with `access_token`).
    pub fn from_url(url: &str) -> Self {
        let parsed = Url::parse(url).unwrap();
        let token = parsed
            .query_pairs()
            .find(|(k, _)| k == "access_token")
            .unwrap()
            .1
            .into_owned();
        let mut bare = parsed.clone();
        bare.set_query(None);
        Self {
            wopisrc: bare.to_string(),
            token,
        }
    }

    pub fn url(&self, suffix: &str) -> String {
        format!("{}{}?access_token={}", self.wopisrc, suffix, self.token)
    }

    pub fn file_id(&self) -> String {
        self.wopisrc.rsplit('/').next().unwrap().to_owned()
    }
}

pub async fn new_file(host: &TestHost, name: &str, content: &[u8]) -> Target {
    Target::of(&host.file(name, content).await.unwrap())
}

pub async fn cfi(t: &Target) -> serde_json::Value {
    let r = client().get(t.url("")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

pub async fn get(t: &Target, suffix: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = client().get(t.url(suffix));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

pub async fn post(t: &Target, suffix: &str, op: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut req = client()
        .request(Method::POST, t.url(suffix))
        .header("X-WOPI-Override", op);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(body.to_vec()).send().await.unwrap()
}

pub async fn lock(t: &Target, id: &str) -> Response {
    post(t, "", "LOCK", &[("X-WOPI-Lock", id)], b"").await
}

pub async fn unlock(t: &Target, id: &str) -> Response {
    post(t, "", "UNLOCK", &[("X-WOPI-Lock", id)], b"").await
}

pub async fn get_lock(t: &Target) -> String {
    let r = post(t, "", "GET_LOCK", &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    header(&r, "X-WOPI-Lock").expect("GetLock must send X-WOPI-Lock")
}

pub async fn put_file(t: &Target, lock: Option<&str>, body: &[u8]) -> Response {
    let headers: Vec<(&str, &str)> = lock.map(|l| vec![("X-WOPI-Lock", l)]).unwrap_or_default();
    post(t, "/contents", "PUT", &headers, body).await
}

pub async fn contents(t: &Target) -> Vec<u8> {
    let r = get(t, "/contents", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

pub fn header(r: &Response, name: &str) -> Option<String> {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

/// Asserts a documented lock mismatch: 409 with `X-WOPI-Lock` equal to `current`.
pub fn assert_lock_mismatch(r: &Response, current: &str) {
    assert_eq!(r.status(), StatusCode::CONFLICT, "expected 409");
    assert_eq!(header(r, "X-WOPI-Lock").as_deref(), Some(current), "X-WOPI-Lock on 409");
}

/// GetCoauthLock of `id` (type Coauth, 120 s, no metadata).
pub async fn get_coauth_lock(t: &Target, id: &str) -> Response {
    let headers = [
        ("X-WOPI-CoauthLockId", id),
        ("X-WOPI-CoauthLockType", "Coauth"),
        ("X-WOPI-CoauthLockExpirationTimeout", "120"),
    ];
    post(t, "", "GET_COAUTH_LOCK", &headers, b"").await
}

/// GetCoauthTable without a version: the table version header and the ids listed.
pub async fn coauth_table(t: &Target) -> (String, Vec<String>) {
    let r = post(t, "", "GET_COAUTH_TABLE", &[], b"").await;
    assert_eq!(r.status(), StatusCode::OK);
    let version = header(&r, "X-WOPI-CoauthTableVersion").expect("GetCoauthTable must send the version");
    let body: serde_json::Value = r.json().await.unwrap();
    let ids = body["CoauthTable"]
        .as_array()
        .expect("a CoauthTable array")
        .iter()
        .map(|row| row["CoauthLockId"].as_str().unwrap().to_owned())
        .collect();
    (version, ids)
}
