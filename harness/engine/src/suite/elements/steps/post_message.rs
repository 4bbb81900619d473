//! `<ext:PostMessage Check Action Send ExpectMessage TimeoutSeconds>`: a browser step against the host page.

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{PostMessageStep, Resource, Step};

pub(super) fn parse(b: &mut Builder, r: &Node, _: &[Resource], out: &mut Vec<Step>) -> R<()> {
    b.check_attrs(r, &["Check", "Action", "Send", "ExpectMessage", "TimeoutSeconds"])?;
    b.check_children(r, &[])?;
    out.push(Step::PostMessage(PostMessageStep {
        check: b.opt(r, "Check"),
        action: b.opt(r, "Action").unwrap_or_else(|| "edit".into()),
        send: b.opt(r, "Send"),
        expect_message: b.opt(r, "ExpectMessage"),
        timeout_seconds: b.parse_attr(r, "TimeoutSeconds", "a whole number")?.unwrap_or(30),
        pos: r.pos,
    }));
    Ok(())
}
