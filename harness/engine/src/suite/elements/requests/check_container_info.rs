//! `<CheckContainerInfo>`: no attributes; a GET on the container (`rest/containers/CheckContainerInfo.rst`).

use wopi_protocol::ops::Op;

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = element("CheckContainerInfo", Address::Op(Op::CheckContainerInfo), |_, _, _| {
    Ok(RequestKind::CheckContainerInfo)
});
