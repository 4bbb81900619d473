//! `<ext:ForEach>`: the body elements once per `<ext:Row>`, with every `${Column}` in their attribute values and
//! text replaced by the row's attribute of that name.

use std::collections::HashMap;

use super::parse as step;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::{Attr, Node};
use crate::suite::{Resource, Step};

pub(super) fn parse(b: &mut Builder, r: &Node, resources: &[Resource], out: &mut Vec<Step>) -> R<()> {
    b.check_attrs(r, &[])?;
    let rows: Vec<&Node> = r.children.iter().filter(|c| c.name == "ext:Row").collect();
    if rows.is_empty() {
        return Err(b.err(r.pos, "<ext:ForEach> needs at least one <ext:Row>"));
    }
    for row in rows {
        let vars: HashMap<&str, &str> = row.attrs.iter().map(|a| (a.name.as_str(), a.value.as_str())).collect();
        for body in r.children.iter().filter(|c| c.name != "ext:Row") {
            let expanded = substitute(body, &vars).map_err(|m| b.err(body.pos, m))?;
            step(b, &expanded, resources, out)?;
        }
    }
    Ok(())
}

/// Copies a node with every `${Var}` in attribute values and text replaced from `vars`.
fn substitute(n: &Node, vars: &HashMap<&str, &str>) -> Result<Node, String> {
    let sub = |s: &str| -> Result<String, String> {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("unterminated ${{...}} in '{s}'"));
            };
            let key = &after[..end];
            let Some(v) = vars.get(key) else {
                return Err(format!(
                    "${{{key}}} is not a column of the <ext:Row>; columns are: {}",
                    {
                        let mut k: Vec<_> = vars.keys().copied().collect();
                        k.sort_unstable();
                        k.join(", ")
                    }
                ));
            };
            out.push_str(v);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    };
    let mut attrs = Vec::with_capacity(n.attrs.len());
    for a in &n.attrs {
        attrs.push(Attr {
            name: a.name.clone(),
            value: sub(&a.value)?,
            pos: a.pos,
        });
    }
    let mut children = Vec::with_capacity(n.children.len());
    for c in &n.children {
        children.push(substitute(c, vars)?);
    }
    Ok(Node {
        name: n.name.clone(),
        attrs,
        children,
        text: sub(&n.text)?,
        pos: n.pos,
    })
}
