//! The editor side of a browser check: the mock Office client's admin endpoints over loopback HTTP
//! (`GET /admin/frames`, `GET /admin/frame/{session}`, `POST /admin/frame/{session}/send`, `GET
//! /hosting/discovery`), so the checks work the same whether the mock runs in this process or beside it.

use std::time::Duration;

use url::Url;
use wopi_mock_office::frame::{FrameCommand, FrameReport, FrameSummary};
use wopi_protocol::discovery::Discovery;

/// Longest wait for one admin request (the mock is on loopback).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A client of one mock's admin endpoints.
#[derive(Debug, Clone)]
pub struct FrameApi {
    base: Url,
    http: reqwest::Client,
}

/// Why the mock could not be asked.
#[derive(Debug, thiserror::Error)]
#[error("mock Office admin endpoint {what}: {message}")]
pub struct FrameApiError {
    what: String,
    message: String,
}

impl FrameApi {
    /// `base` is the mock's base URL (`http://127.0.0.1:PORT/`).
    pub fn new(base: Url) -> Result<FrameApi, FrameApiError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FrameApiError {
                what: "client".into(),
                message: e.to_string(),
            })?;
        Ok(FrameApi { base, http })
    }

    /// The mock's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str) -> Result<Url, FrameApiError> {
        self.base.join(path).map_err(|e| FrameApiError {
            what: path.to_string(),
            message: e.to_string(),
        })
    }

    /// Sends `req` (built against `path`), mapping transport errors to a [`FrameApiError`] naming the request.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&FrameCommand>,
    ) -> Result<reqwest::Response, FrameApiError> {
        let mut req = self.http.request(method.clone(), self.url(path)?);
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.map_err(|e| api_error(&method, path, e))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>, FrameApiError> {
        let resp = self.exchange(reqwest::Method::GET, path, None).await?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(api_error(
                &reqwest::Method::GET,
                path,
                format!("status {}", resp.status()),
            ));
        }
        let json = resp.json::<T>().await;
        json.map(Some).map_err(|e| api_error(&reqwest::Method::GET, path, e))
    }

    /// Every frame session, oldest first.
    pub async fn sessions(&self) -> Result<Vec<FrameSummary>, FrameApiError> {
        Ok(self.get_json("admin/frames").await?.unwrap_or_default())
    }

    /// What the frame of `session` saw; `None` if there is no such session.
    pub async fn report(&self, session: &str) -> Result<Option<FrameReport>, FrameApiError> {
        self.get_json(&format!("admin/frame/{session}")).await
    }

    /// Makes the frame of `session` post `command` to the host page.
    pub async fn send(&self, session: &str, command: &FrameCommand) -> Result<(), FrameApiError> {
        let path = format!("admin/frame/{session}/send");
        let resp = self.exchange(reqwest::Method::POST, &path, Some(command)).await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(api_error(
                &reqwest::Method::POST,
                &path,
                format!("status {}", resp.status()),
            ))
        }
    }

    /// The discovery document the host reads.
    pub async fn discovery(&self) -> Result<Discovery, FrameApiError> {
        let path = wopi_mock_office::server::DISCOVERY_PATH;
        let resp = self.exchange(reqwest::Method::GET, path, None).await?;
        let text = resp
            .text()
            .await
            .map_err(|e| api_error(&reqwest::Method::GET, path, e))?;
        Discovery::parse(&text).map_err(|e| api_error(&reqwest::Method::GET, path, e))
    }
}

fn api_error(method: &reqwest::Method, path: &str, message: impl std::fmt::Display) -> FrameApiError {
    FrameApiError {
        what: format!("{method} /{path}"),
        message: message.to_string(),
    }
}
