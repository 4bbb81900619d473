//! What every request element may carry besides its own vocabulary: `OverrideUrl`, `ext:Instance`,
//! `<Validators>`, `<SaveState>`, `<Mutators>`, `<ext:Header>` and `<ext:AccessToken>`.

use super::mutators;
use crate::suite::builder::{Builder, R};
use crate::suite::elements::validators;
use crate::suite::xml::Node;
use crate::suite::{ExtraHeader, Request, RequestKind, Resource, StateSource, StateSpec, TokenUse};

/// The child elements every request element accepts.
pub(super) const COMMON: &[&str] = &["Validators", "SaveState", "Mutators", "ext:Header", "ext:AccessToken"];

/// Fails unless resource `id` is declared in `<Resources>`.
pub(super) fn check_resource(b: &Builder, r: &Node, resources: &[Resource], id: &str) -> R<()> {
    if resources.iter().any(|x| x.id == id) {
        Ok(())
    } else {
        Err(b.err(r.pos, format!("resource '{id}' is not declared in <Resources>")))
    }
}

/// The request of element `r`, whose own vocabulary was read into `kind`.
pub(super) fn request(b: &mut Builder, r: &Node, resources: &[Resource], kind: RequestKind) -> R<Request> {
    let validators = match b.child(r, "Validators") {
        Some(v) => {
            b.enter(v);
            b.check_attrs(v, &[])?;
            let list = validators::parse_all(b, v, resources)?;
            b.leave();
            Some(list)
        }
        None => None,
    };
    let save_state = save_state(b, r)?;
    let mutators = match b.child(r, "Mutators") {
        Some(m) => mutators::parse(b, m)?,
        None => Default::default(),
    };
    let headers = ext_headers(b, r)?;
    let token_use = token_use(b, r)?;
    if token_use.is_some() && mutators.access_token.is_some() {
        return Err(b.err(r.pos, "give <ext:AccessToken> or <Mutators><AccessToken>, not both"));
    }
    let instance = match b.opt(r, "ext:Instance") {
        None => None,
        Some(v) => Some(v.trim().parse::<u16>().map_err(|_| {
            b.err(
                r.pos,
                format!("ext:Instance=\"{v}\" is not an instance number (0, 1, 2, ...)"),
            )
        })?),
    };
    Ok(Request {
        kind,
        instance,
        override_url: b.opt(r, "OverrideUrl"),
        validators,
        save_state,
        mutators,
        headers,
        token_use,
        pos: r.pos,
    })
}

/// `<SaveState><State Name Source SourceType/></SaveState>`.
fn save_state(b: &mut Builder, r: &Node) -> R<Vec<StateSpec>> {
    let mut out = Vec::new();
    let Some(s) = b.child(r, "SaveState") else {
        return Ok(out);
    };
    b.enter(s);
    b.check_attrs(s, &[])?;
    // The engine does not check the child element names; we only accept <State>.
    b.check_children(s, &["State"])?;
    for st in &s.children {
        b.check_attrs(st, &["Name", "Source", "SourceType"])?;
        let source_type = match b.opt(st, "SourceType") {
            Some(t) if t.trim().eq_ignore_ascii_case("header") => StateSource::Header,
            _ => StateSource::JsonBody,
        };
        out.push(StateSpec {
            name: b.req(st, "Name")?,
            source: b.req(st, "Source")?,
            source_type,
        });
    }
    b.leave();
    Ok(out)
}

/// `<ext:Header Name Value/>` children, names and literal values checked as HTTP allows them.
fn ext_headers(b: &Builder, r: &Node) -> R<Vec<ExtraHeader>> {
    let mut headers = Vec::new();
    for h in r.children.iter().filter(|c| c.name == "ext:Header") {
        b.check_attrs(h, &["Name", "Value"])?;
        b.check_children(h, &[])?;
        let name = b.req(h, "Name")?;
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(b.err(
                h.pos,
                format!("<ext:Header> Name=\"{name}\" is not a valid header name"),
            ));
        }
        let value = b.opt(h, "Value").unwrap_or_default();
        if !value.starts_with("$State:") && http::HeaderValue::from_str(&value).is_err() {
            return Err(b.err(
                h.pos,
                format!("<ext:Header Name=\"{name}\"> has a value that is not a valid header value"),
            ));
        }
        headers.push(ExtraHeader { name, value });
    }
    Ok(headers)
}

/// The one `<ext:AccessToken Use/>`, if any.
fn token_use(b: &Builder, r: &Node) -> R<Option<TokenUse>> {
    let mut token_use = None;
    for t in r.children.iter().filter(|c| c.name == "ext:AccessToken") {
        b.check_attrs(t, &["Use"])?;
        b.check_children(t, &[])?;
        if token_use.is_some() {
            return Err(b.err(t.pos, "only one <ext:AccessToken> per request"));
        }
        token_use = Some(match b.req(t, "Use")?.as_str() {
            "expired" => TokenUse::Expired,
            "other-file" => TokenUse::OtherFile,
            v => {
                return Err(b.err(
                    t.pos,
                    format!("<ext:AccessToken> Use=\"{v}\" is unknown; expected expired or other-file"),
                ));
            }
        });
    }
    Ok(token_use)
}
