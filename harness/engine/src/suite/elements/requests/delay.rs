//! `<Delay DelayTimeInSeconds>`: not a request; the runner sleeps (only in groups with `HasDelay="true"`).

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = Element {
    attrs: &["DelayTimeInSeconds"],
    ..element("Delay", Address::NotSent("Delay is not an HTTP request"), |b, r, _| {
        Ok(RequestKind::Delay {
            seconds: b.parse_attr(r, "DelayTimeInSeconds", "an unsigned 32-bit number")?,
        })
    })
};
