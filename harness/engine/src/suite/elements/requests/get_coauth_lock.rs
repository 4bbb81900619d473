//! `<GetCoauthLock CoauthLockType ...>` (CSPP Plus): the coauth lock headers of [`super::coauth_lock`], plus
//! `X-WOPI-CoauthLockType` (an empty `CoauthLockType` sends none).

use wopi_protocol::ops::Op;

use super::{Address, Element, coauth_lock, element};
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{CoauthLockType, RequestKind, Resource};

pub(super) const ELEMENT: Element = Element {
    attrs: &[
        "CoauthLockId",
        "CoauthLockExpirationTimeout",
        "CoauthLockMetadata",
        "CoauthLockMetadataAsBody",
        "CoauthLockType",
    ],
    ..element("GetCoauthLock", Address::Op(Op::GetCoauthLock), parse)
};

fn parse(b: &mut Builder, r: &Node, _: &[Resource]) -> R<RequestKind> {
    let lock_type = match b.opt(r, "CoauthLockType").as_deref().map(str::trim) {
        None | Some("") => None,
        Some("Coauth") => Some(CoauthLockType::Coauth),
        Some("CoauthExclusive") => Some(CoauthLockType::CoauthExclusive),
        Some("None") => Some(CoauthLockType::None),
        Some(v) => {
            return Err(b.err(
                r.pos,
                format!("CoauthLockType=\"{v}\" is unknown; expected Coauth, CoauthExclusive or None"),
            ));
        }
    };
    Ok(RequestKind::GetCoauthLock(coauth_lock::parse(b, r, lock_type)?))
}
