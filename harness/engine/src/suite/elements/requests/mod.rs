//! One module per request element of the validator's vocabulary: each holds how the element is read from the XML
//! (its attributes and children → its [`RequestKind`] variant) and what its request carries (headers and body).
//! Method, path and `X-WOPI-Override` come from the operation catalogue ([`wopi_protocol::ops`]) through the
//! element's [`Address`]; the few elements that are no catalogue operation say so in their module.
//!
//! What every request element shares (`OverrideUrl`, `<Validators>`, `<SaveState>`, `<Mutators>`, `<ext:Header>`,
//! `<ext:AccessToken>`, `ext:Instance`) is read in [`children`] and [`mutators`].

mod children;
mod lock_header;
mod mutators;
mod request_body;
mod send;
mod table;
mod target;
mod wire;

mod add_activities;
mod check_container_info;
mod check_ecosystem;
mod check_file_info;
mod coauth_lock;
mod create_child_container;
mod create_child_file;
mod delay;
mod delete_container;
mod delete_file;
mod enumerate_ancestors;
mod enumerate_children;
mod get_chunked_file;
mod get_coauth_lock;
mod get_coauth_table;
mod get_ecosystem;
mod get_file;
mod get_from_file_url;
mod get_lock;
mod get_new_access_token;
mod get_root_container;
mod get_sequence_number;
mod get_share_url;
mod lock;
mod put_chunked_file;
mod put_file;
mod put_relative_file;
mod put_to_file_url;
mod put_user_info;
mod refresh_coauth_lock;
mod refresh_lock;
mod rename_container;
mod rename_file;
mod unlock;
mod unlock_and_relock;
mod unlock_coauth_lock;

use wopi_protocol::ops::Op;

pub use send::send;
pub(crate) use table::{lookup, names};
pub use wire::{BuildError, Env, Wire};

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Request, RequestKind, Resource};

/// Reads an element's own attributes and children into its variant.
pub(crate) type Parse = fn(&mut Builder, &Node, &[Resource]) -> R<RequestKind>;

/// How an element's request is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// The catalogue operation's method, path suffix and `X-WOPI-Override`, on the case's WopiSrc (or the
    /// element's `OverrideUrl`).
    Op(Op),
    /// A `GET` on the `OverrideUrl` as given, without `Authorization` and unsigned (GetFromFileUrl).
    FileUrl,
    /// Never sent: building the request fails with this message.
    NotSent(&'static str),
}

/// One request element: its name, vocabulary, parser and address.
pub(crate) struct Element {
    pub(crate) name: &'static str,
    /// Attributes beyond `OverrideUrl` and `ext:Instance`.
    pub(crate) attrs: &'static [&'static str],
    /// Child elements beyond the common ones ([`children::COMMON`]).
    pub(crate) children: &'static [&'static str],
    pub(crate) parse: Parse,
    pub(crate) address: Address,
    /// Deletes what it addresses: needs an `OverrideUrl` and never falls back to the original file.
    pub(crate) deletes: bool,
    /// The engine treats the response as binary: its body is never JSON text.
    pub(crate) binary_response: bool,
}

/// An element with no attributes or children of its own, not deleting, with a text response.
pub(crate) const fn element(name: &'static str, address: Address, parse: Parse) -> Element {
    Element {
        name,
        attrs: &[],
        children: &[],
        parse,
        address,
        deletes: false,
        binary_response: false,
    }
}

/// Reads a request element with everything it carries.
pub(crate) fn parse(b: &mut Builder, r: &Node, resources: &[Resource]) -> R<Request> {
    b.enter(r);
    let Some(element) = lookup(&r.name) else {
        return Err(b.err(r.pos, format!("unknown request element <{}>", r.name)));
    };
    let kind = (element.parse)(b, r, resources)?;
    let mut attrs = element.attrs.to_vec();
    attrs.extend_from_slice(&["OverrideUrl", "ext:Instance"]);
    b.check_attrs(r, &attrs)?;
    let mut allowed = children::COMMON.to_vec();
    allowed.extend_from_slice(element.children);
    b.check_children(r, &allowed)?;
    let request = children::request(b, r, resources, kind)?;
    b.leave();
    Ok(request)
}

#[cfg(test)]
mod tests;
