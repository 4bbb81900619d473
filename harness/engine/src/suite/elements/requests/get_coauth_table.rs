//! `<GetCoauthTable CoauthTableVersion | CoauthTableVersionStateKey>` (CSPP Plus): `X-WOPI-CoauthTableVersion`,
//! from saved state or the literal, always sent (empty when neither gives a value).

use wopi_protocol::headers as h;
use wopi_protocol::ops::Op;

use super::wire::Wire;
use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["CoauthTableVersion", "CoauthTableVersionStateKey"],
    ..element("GetCoauthTable", Address::Op(Op::GetCoauthTable), |b, r, _| {
        let version = b.opt(r, "CoauthTableVersion");
        let version_state_key = b.opt(r, "CoauthTableVersionStateKey");
        if version.is_some() && version_state_key.is_some() {
            return Err(b.err(r.pos, "give CoauthTableVersion or CoauthTableVersionStateKey, not both"));
        }
        Ok(RequestKind::GetCoauthTable {
            version,
            version_state_key,
        })
    })
};

pub(super) fn send(version: Option<&str>, version_state_key: Option<&str>, w: &mut Wire) {
    let v = version_state_key
        .and_then(|k| w.env.state(k).flatten())
        .or(version)
        .unwrap_or_default()
        .to_string();
    w.header(h::X_WOPI_COAUTH_TABLE_VERSION, &v);
}
