//! `<CheckEcosystem EcosystemUrl>`: the engine ignores `EcosystemUrl` and sends a GET to the case's WopiSrc
//! itself, not to `/wopi/ecosystem` (the catalogue's endpoint; the method and empty path suffix are the same).
//! So do we: the verdicts depend on it (`rest/ecosystem/CheckEcosystem.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["EcosystemUrl"],
    ..element("CheckEcosystem", Address::Op(Op::CheckEcosystem), |b, r, _| {
        Ok(RequestKind::CheckEcosystem {
            ecosystem_url: b.opt(r, "EcosystemUrl"),
        })
    })
};
