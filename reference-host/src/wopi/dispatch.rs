//! From a request to its operation's handler: the catalogue resolves the operation ([`Op::resolve`]), and
//! [`run`] is the one table from an operation to the module that answers it. An operation the catalogue knows but
//! this host does not implement answers 501, as an unknown `X-WOPI-Override` does; a `POST` without one is a 400.

use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use bytes::Bytes;
use wopi_protocol::headers::X_WOPI_OVERRIDE;
use wopi_protocol::ops::{Endpoint, Method, Op, PathForm, ResolveError};

use super::request::{Body, ContainerRequest, EcosystemRequest, FileRequest, body_bytes, single_header};
use super::{ancestry, containers, ecosystem, files};
use crate::AppState;
use crate::error::WopiError;
use crate::faults::layer::{self, Exchange};

/// The resource a request is addressed to, with its verified context.
#[derive(Debug)]
pub enum Target {
    File(FileRequest),
    Container(ContainerRequest),
    Ecosystem(EcosystemRequest),
}

impl Target {
    fn endpoint(&self) -> Endpoint {
        match self {
            Target::File(_) => Endpoint::Files,
            Target::Container(_) => Endpoint::Containers,
            Target::Ecosystem(_) => Endpoint::Ecosystem,
        }
    }

    fn headers(&self) -> &axum::http::HeaderMap {
        match self {
            Target::File(r) => &r.headers,
            Target::Container(r) => &r.headers,
            Target::Ecosystem(r) => &r.headers,
        }
    }

    fn state(&self) -> &AppState {
        match self {
            Target::File(r) => &r.state,
            Target::Container(r) => &r.state,
            Target::Ecosystem(r) => &r.state,
        }
    }
}

/// The axum handler for one method on one (endpoint, path form). `GET`s leave the body unread.
pub fn handler(endpoint: Endpoint, method: Method, path: PathForm) -> MethodRouter<AppState> {
    let empty = || -> Body { Ok(Bytes::new()) };
    match (endpoint, method) {
        (Endpoint::Files, Method::Get) => get(move |r: FileRequest| serve(Target::File(r), method, path, empty())),
        (Endpoint::Files, Method::Post) => {
            post(move |r: FileRequest, body: Body| serve(Target::File(r), method, path, body))
        }
        (Endpoint::Containers, Method::Get) => {
            get(move |r: ContainerRequest| serve(Target::Container(r), method, path, empty()))
        }
        (Endpoint::Containers, Method::Post) => {
            post(move |r: ContainerRequest, body: Body| serve(Target::Container(r), method, path, body))
        }
        (Endpoint::Ecosystem, Method::Get) => {
            get(move |r: EcosystemRequest| serve(Target::Ecosystem(r), method, path, empty()))
        }
        (Endpoint::Ecosystem, Method::Post) => {
            post(move |r: EcosystemRequest, body: Body| serve(Target::Ecosystem(r), method, path, body))
        }
    }
}

/// Resolves the operation and runs it; a host with faults on answers through [`crate::faults::layer`].
async fn serve(target: Target, method: Method, path: PathForm, body: Body) -> Result<Response, WopiError> {
    let op = resolve(&target, method, path)?;
    if target.state().faults.is_empty() {
        return run(op, target, body).await;
    }
    let (state, request) = (target.state().clone(), target.headers().clone());
    let exchange = Exchange {
        op,
        endpoint: target.endpoint(),
        method,
        path,
        state: &state,
        request: &request,
    };
    if let Some(answer) = layer::answer_instead(&exchange) {
        return answer;
    }
    layer::rewrite(&exchange, run(op, target, body).await).await
}

/// Which operation the request is, by the catalogue. A duplicated `X-WOPI-Override` is a 400.
fn resolve(target: &Target, method: Method, path: PathForm) -> Result<Op, WopiError> {
    let headers = target.headers();
    let override_value = match method {
        Method::Post => single_header(headers, X_WOPI_OVERRIDE)?,
        Method::Get => None,
    };
    Op::resolve(target.endpoint(), method, path, override_value, |name| {
        headers.contains_key(name)
    })
    .map_err(|e| match e {
        ResolveError::MissingOverride => WopiError::BadRequest("X-WOPI-Override is required".into()),
        ResolveError::UnknownOverride(raw) => WopiError::NotImplemented(format!("X-WOPI-Override {raw:?}")),
        ResolveError::NoSuchRoute { method } => WopiError::NotImplemented(format!("{method} on this path")),
    })
}

/// The one table from an operation to its handler.
async fn run(op: Op, target: Target, body: Body) -> Result<Response, WopiError> {
    use Target::{Container as C, Ecosystem as E, File as F};
    if let Some(why) = not_offered(op, &target) {
        return Err(WopiError::NotImplemented(why));
    }
    match (op, target) {
        (Op::CheckFileInfo, F(req)) => files::check_file_info::handle(req).await,
        (Op::GetFile, F(req)) => files::get_file::handle(req).await,
        (Op::PutFile, F(req)) => files::put_file::handle(req, body).await,
        (Op::Lock, F(req)) => files::lock::lock(req).await,
        (Op::Unlock, F(req)) => files::lock::unlock(req).await,
        (Op::RefreshLock, F(req)) => files::lock::refresh(req).await,
        (Op::UnlockAndRelock, F(req)) => files::lock::unlock_and_relock(req).await,
        (Op::GetLock, F(req)) => files::lock::get_lock(req).await,
        (Op::PutRelativeFile, F(req)) => files::put_relative::handle(req, body_bytes(body)?).await,
        (Op::RenameFile, F(req)) => files::rename::handle(req).await,
        (Op::DeleteFile, F(req)) => files::delete::handle(req).await,
        (Op::PutUserInfo, F(req)) => files::user_info::handle(req, body_bytes(body)?).await,
        (Op::GetShareUrl, F(req)) => files::share_url::handle(req).await,
        (Op::GetChunkedFile, F(req)) => files::get_chunked_file::handle(req, body).await,
        (Op::PutChunkedFile, F(req)) => files::put_chunked_file::handle(req, body).await,
        (Op::GetSequenceNumber, F(req)) => files::get_sequence_number::handle(req).await,
        (Op::GetCoauthLock, F(req)) => files::get_coauth_lock::handle(req, body_bytes(body)?).await,
        (Op::RefreshCoauthLock, F(req)) => files::refresh_coauth_lock::handle(req, body_bytes(body)?).await,
        (Op::UnlockCoauthLock, F(req)) => files::unlock_coauth_lock::handle(req).await,
        (Op::GetCoauthTable, F(req)) => files::get_coauth_table::handle(req).await,
        (Op::GetShareUrl, C(req)) => containers::share_url::handle(req).await,
        (Op::AddActivities, F(req)) => files::add_activities::handle(req, body_bytes(body)?).await,
        (Op::EnumerateAncestors, F(req)) => ancestry::of_file(req).await,
        (Op::EnumerateAncestors, C(req)) => ancestry::of_container(req).await,
        (Op::GetEcosystem, F(req)) => ecosystem::pointer::of_file(req).await,
        (Op::GetEcosystem, C(req)) => ecosystem::pointer::of_container(req).await,
        (Op::CheckContainerInfo, C(req)) => containers::check_container_info::handle(req).await,
        (Op::EnumerateChildren, C(req)) => containers::enumerate_children::handle(req).await,
        (Op::CreateChildContainer, C(req)) => containers::create_child_container::handle(req).await,
        (Op::CreateChildFile, C(req)) => containers::create_child_file::handle(req).await,
        (Op::DeleteContainer, C(req)) => containers::delete_container::handle(req).await,
        (Op::RenameContainer, C(req)) => containers::rename_container::handle(req).await,
        (Op::CheckEcosystem, E(_)) => Ok(ecosystem::check_ecosystem()),
        (Op::GetRootContainer, E(req)) => ecosystem::root_container::handle(req).await,
        (Op::GetFileWopiSrc, E(req)) => ecosystem::file_wopi_src::handle(req).await,
        (op, target) => Err(WopiError::NotImplemented(format!(
            "{op} is not implemented on {:?} by this host",
            target.endpoint()
        ))),
    }
}

/// Why the host's configuration does not offer `op` here: without containers (`--configuration no-containers`)
/// there is nothing to address on `/wopi/containers`, no ancestors to enumerate and no root container.
fn not_offered(op: Op, target: &Target) -> Option<String> {
    let needs_containers =
        matches!(target, Target::Container(_)) || matches!(op, Op::EnumerateAncestors | Op::GetRootContainer);
    (needs_containers && !target.state().settings.containers)
        .then(|| format!("{op}: this host has no containers (SupportsContainers is false)"))
}
