//! `<RefreshCoauthLock ...>` (CSPP Plus): the coauth lock headers of [`super::coauth_lock`], without a type.

use wopi_protocol::ops::Op;

use super::{Address, Element, coauth_lock, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: coauth_lock::ATTRS,
    ..element("RefreshCoauthLock", Address::Op(Op::RefreshCoauthLock), |b, r, _| {
        Ok(RequestKind::RefreshCoauthLock(coauth_lock::parse(b, r, None)?))
    })
};
