//! `<GetFromFileUrl>`: not a WOPI operation but the validator's download of CheckFileInfo's `FileUrl`. It is a
//! GET on the `OverrideUrl` as given (a `$State:` key saved from CheckFileInfo), with no path suffix, no token
//! of ours, no `Authorization` and no proof, as the engine sends it.

use super::{Address, Element, element};
use crate::suite::RequestKind;

pub(super) const ELEMENT: Element = element("GetFromFileUrl", Address::FileUrl, |_, _, _| {
    Ok(RequestKind::GetFromFileUrl)
});
