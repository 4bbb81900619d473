//! # wopi-mock-office
//!
//! A stand-in for Office for the web, so a WOPI host can be tested end to end on a developer machine: Office only
//! talks to public, approved hosts, and Microsoft's command-line validator never signs its requests, so without
//! this crate the proof-key rules of a host cannot be exercised locally (`shared/notes/ecosystem.md` §1.1).
//!
//! ## Layout
//! | module | what it holds |
//! |---|---|
//! | [`keys`] | the proof-key ring (current, old, next), fixed test keys or fresh ones, rotation |
//! | [`client`] | the signed WOPI client: bounded transport, proof headers and their deliberate deviations, transcript |
//! | [`server`] | the HTTP side: `/hosting/discovery`, the editor frame pages, admin endpoints |
//! | [`frame`] | the editor frame a host page loads in its iframe, and what it saw (form fields, postMessages) |
//! | [`profile`] | one module per client (Office, Collabora, ONLYOFFICE): discovery, headers, editing session, postMessage dialect |
//! | [`flows`] | scripted editor sessions (view, edit, editnew, Save As, rename, two editors) with a verdict |
//!
//! ## Data flow
//! A host under test reads the mock's discovery (apps, action URLs, public proof keys). The harness (or a flow)
//! sends WOPI requests through [`client::WopiClient`], signed with the private halves of the same [`keys::KeyRing`],
//! so the host can verify them exactly as it would verify Office's. A browser test loads the host page, which
//! POSTs the access token into the mock's frame; the frame calls CheckFileInfo server side and then exchanges
//! postMessages with the host page, and `/admin/frame/{session}` reports both sides.

pub mod client;
pub mod flows;
pub mod frame;
pub mod keys;
pub mod profile;
pub mod server;

use std::net::SocketAddr;

pub use client::{ClientConfig, ClientError, ProofMode, ProofSpec, RawRequest, RawResponse, WopiClient, WopiTarget};
pub use keys::{KeyRing, SharedKeys};
pub use profile::ClientProfile;
pub use server::{MockConfig, MockOffice, MockOfficeHandle};

/// Why the mock could not start or change its state.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// A fixed key in `fixtures/proof-keys/` did not load, or a fresh one could not be generated.
    #[error("proof key `{which}`: {message}")]
    Key { which: &'static str, message: String },
    /// The listener failed (bind, local address, serving).
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// A base URL given in the configuration (or derived from the listener) is not usable.
    #[error("base URL: {0}")]
    BaseUrl(String),
    /// [`MockOffice::start`] was called outside a tokio runtime.
    #[error("the mock must be started from within a tokio runtime")]
    NoRuntime,
    /// The WOPI client of the frame could not be built.
    #[error("WOPI client: {0}")]
    Client(#[from] ClientError),
}

/// Runs the mock on its own until Ctrl-C, for `wopi-conformance office --listen ADDR`: binds `listen`, prints the
/// discovery URL on standard output (the one line a host builder needs to configure), and serves.
pub async fn run_standalone(listen: SocketAddr) -> Result<(), MockError> {
    run_standalone_with(listen, MockConfig::default(), async {
        // If the signal handler cannot be installed, stopping at once is better than running unstoppable.
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C; stopping");
        }
    })
    .await
}

/// [`run_standalone`] playing `profile` (its discovery, and `/hosting/capabilities` for Collabora and ONLYOFFICE).
pub async fn run_standalone_profile(listen: SocketAddr, profile: ClientProfile) -> Result<(), MockError> {
    let config = MockConfig {
        profile,
        ..MockConfig::default()
    };
    run_standalone_with(listen, config, async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C; stopping");
        }
    })
    .await
}

/// [`run_standalone`] with a configuration and a shutdown signal of the caller's choosing.
pub async fn run_standalone_with(
    listen: SocketAddr,
    config: MockConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), MockError> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let profile = config.profile;
    let handle = MockOffice::start(listener, config)?;
    println!("mock {profile} client is listening on {}", handle.local_addr);
    if profile != ClientProfile::Office {
        println!("capabilities URL: {}hosting/capabilities", handle.base_url);
    }
    println!("discovery URL: {}", handle.discovery_url);
    println!(
        "admin (loopback or {}): POST {}admin/keys/rotate, GET {}admin/frames",
        server::ADMIN_SECRET_HEADER,
        handle.base_url,
        handle.base_url
    );
    tracing::info!(discovery = %handle.discovery_url, "mock Office started");
    shutdown.await;
    handle.shutdown().await;
    Ok(())
}
