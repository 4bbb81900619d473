//! The target name of the three operations that create an item (PutRelativeFile, CreateChildFile,
//! CreateChildContainer): the `PutRelativeFileMode` attribute and the headers it selects.

use wopi_protocol::headers as h;
use wopi_protocol::utf7;

use super::wire::{BuildError, Wire, berr, dotnet_bool};
use crate::suite::PutRelativeMode;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;

/// Reads a mode attribute (`PutRelativeFileMode`, or FeatureTestCases' `Type`); `Relative` is `ExactName`.
pub(super) fn mode(b: &Builder, r: &Node, attr: &str) -> R<Option<PutRelativeMode>> {
    match b.attr(r, attr) {
        None => Ok(None),
        Some(a) => match a.value.as_str() {
            "Suggested" => Ok(Some(PutRelativeMode::Suggested)),
            "ExactName" | "Relative" => Ok(Some(PutRelativeMode::ExactName)),
            "Conflicting" => Ok(Some(PutRelativeMode::Conflicting)),
            v => Err(b.err(
                a.pos,
                format!("{attr}=\"{v}\" is unknown; expected Suggested, ExactName or Conflicting"),
            )),
        },
    }
}

/// The mode, which building `element` needs (the engine throws without one; the case fails instead).
pub(super) fn required(element: &str, mode: Option<PutRelativeMode>) -> Result<PutRelativeMode, BuildError> {
    match mode {
        Some(m) => Ok(m),
        None => berr(format!("{element} needs PutRelativeFileMode")),
    }
}

/// The target headers of `mode`, the name UTF-7 encoded as the validator does.
pub(super) fn headers(w: &mut Wire, mode: PutRelativeMode, name: &str, overwrite: Option<bool>) {
    let encoded = utf7::encode_validator_url(name);
    match mode {
        PutRelativeMode::Suggested => w.header(h::X_WOPI_SUGGESTED_TARGET, &encoded),
        PutRelativeMode::ExactName => {
            w.header(h::X_WOPI_RELATIVE_TARGET, &encoded);
            if let Some(o) = overwrite {
                w.header(h::X_WOPI_OVERWRITE_RELATIVE_TARGET, dotnet_bool(o));
            }
        }
        PutRelativeMode::Conflicting => {
            w.header(h::X_WOPI_SUGGESTED_TARGET, &encoded);
            w.header(h::X_WOPI_RELATIVE_TARGET, &encoded);
        }
    }
}
