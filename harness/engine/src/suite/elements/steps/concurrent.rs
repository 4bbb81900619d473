//! `<ext:Concurrent Repeat>`: request elements sent at the same time (each `Repeat` times), then
//! `<ext:ExpectStatus Code Exactly|AtLeast|AtMost>` checks over all answers.

use super::requests;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{CombinedExpectation, Concurrent, CountRule, Resource, Step};

pub(super) fn parse(b: &mut Builder, r: &Node, resources: &[Resource], out: &mut Vec<Step>) -> R<()> {
    b.check_attrs(r, &["Repeat"])?;
    let repeat = b
        .parse_attr::<u32>(r, "Repeat", "a positive whole number")?
        .unwrap_or(1);
    if repeat == 0 || repeat > 64 {
        return Err(b.err(r.pos, "Repeat must be between 1 and 64"));
    }
    let mut requests = Vec::new();
    let mut expect = Vec::new();
    for c in &r.children {
        if c.name == "ext:ExpectStatus" {
            expect.push(expect_status(b, c)?);
        } else if requests::lookup(&c.name).is_some() && c.name != "Delay" {
            let req = requests::parse(b, c, resources)?;
            if req.token_use.is_some() {
                return Err(b.err(c.pos, "<ext:AccessToken> is not supported inside <ext:Concurrent>"));
            }
            requests.push(req);
        } else {
            return Err(b.err(
                c.pos,
                format!(
                    "unexpected element <{}> in <ext:Concurrent>; expected request elements and <ext:ExpectStatus>",
                    c.name
                ),
            ));
        }
    }
    if requests.is_empty() {
        return Err(b.err(r.pos, "<ext:Concurrent> needs at least one request"));
    }
    out.push(Step::Concurrent(Concurrent {
        requests,
        repeat,
        expect,
        pos: r.pos,
    }));
    Ok(())
}

fn expect_status(b: &mut Builder, c: &Node) -> R<CombinedExpectation> {
    b.enter(c);
    b.check_attrs(c, &["Code", "Exactly", "AtLeast", "AtMost"])?;
    let code = b
        .parse_attr::<u16>(c, "Code", "an HTTP status")?
        .ok_or_else(|| b.err(c.pos, "<ext:ExpectStatus> needs Code"))?;
    let count = match (
        b.parse_attr::<u32>(c, "Exactly", "a count")?,
        b.parse_attr::<u32>(c, "AtLeast", "a count")?,
        b.parse_attr::<u32>(c, "AtMost", "a count")?,
    ) {
        (Some(n), None, None) => CountRule::Exactly(n),
        (None, Some(n), None) => CountRule::AtLeast(n),
        (None, None, Some(n)) => CountRule::AtMost(n),
        _ => {
            return Err(b.err(
                c.pos,
                "<ext:ExpectStatus> needs exactly one of Exactly, AtLeast, AtMost",
            ));
        }
    };
    b.leave();
    Ok(CombinedExpectation {
        code,
        count,
        pos: c.pos,
    })
}
