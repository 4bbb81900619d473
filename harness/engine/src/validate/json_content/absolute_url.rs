//! AbsoluteUrlProperty: the value must be an absolute URL, with an access_token parameter when asked.

use super::Prop;
use super::values::{as_text, is_empty, show};
use crate::report::model::Failure;

pub(super) fn check(prop: &Prop<'_>, must_include_access_token: bool) -> Option<Failure> {
    let p = prop.p;
    if is_empty(prop.actual) {
        return prop.absent();
    }
    let v = prop.actual?;
    let Some(text) = as_text(v) else {
        return prop.fail(
            "an absolute URL".into(),
            show(Some(v)),
            format!("{} must be an absolute URL", p.name),
        );
    };
    let Ok(url) = url::Url::parse(&text) else {
        return prop.fail(
            "an absolute URL".into(),
            format!("'{}'", wopi_protocol::transcript::redact_url(&text)),
            format!("{} must be an absolute URL", p.name),
        );
    };
    if must_include_access_token && !url.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case("access_token")) {
        return prop.fail(
            "a URL with an access_token query parameter".into(),
            format!("'{}'", wopi_protocol::transcript::redact_url(&text)),
            format!("{} must include the access_token query parameter", p.name),
        );
    }
    None
}
