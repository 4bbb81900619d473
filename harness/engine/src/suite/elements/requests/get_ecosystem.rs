//! `<GetEcosystem>`: no attributes; a GET on `/ecosystem_pointer` (`rest/files/GetEcosystem.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = element("GetEcosystem", Address::Op(Op::GetEcosystem), |_, _, _| {
    Ok(RequestKind::GetEcosystem)
});
