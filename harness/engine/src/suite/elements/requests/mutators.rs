//! `<Mutators>`: `<AccessToken Mutation>` and `<ProofKey MutateCurrent MutateOld KeyRelation Timestamp
//! ext:AgeSeconds>`; only the first of each counts (engine rule).

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{AccessTokenMutator, KeyRelation, Mutators, ProofKeyMutator, ProofTimestamp};

pub(super) fn parse(b: &mut Builder, m: &Node) -> R<Mutators> {
    b.enter(m);
    b.check_attrs(m, &[])?;
    b.check_children(m, &["AccessToken", "ProofKey"])?;
    let mut out = Mutators::default();
    for c in &m.children {
        match c.name.as_str() {
            "AccessToken" => {
                b.check_attrs(c, &["Mutation"])?;
                if out.access_token.is_none() {
                    out.access_token = Some(AccessTokenMutator {
                        mutation: b.opt(c, "Mutation"),
                    });
                }
            }
            _ => {
                b.check_attrs(
                    c,
                    &[
                        "MutateCurrent",
                        "MutateOld",
                        "KeyRelation",
                        "Timestamp",
                        "ext:AgeSeconds",
                    ],
                )?;
                let timestamp = match (b.opt(c, "Timestamp"), b.attr(c, "ext:AgeSeconds")) {
                    (Some(_), Some(a)) => {
                        return Err(b.err(
                            a.pos,
                            "give Timestamp (an absolute date) or ext:AgeSeconds (an age), not both",
                        ));
                    }
                    (Some(at), None) => Some(ProofTimestamp::At(at)),
                    (None, Some(_)) => b
                        .parse_attr::<i64>(c, "ext:AgeSeconds", "a whole number of seconds")?
                        .map(ProofTimestamp::AgeSeconds),
                    (None, None) => None,
                };
                let key_relation = match b.opt(c, "KeyRelation").as_deref() {
                    None | Some("Synced") => KeyRelation::Synced,
                    Some("Ahead") => KeyRelation::Ahead,
                    Some("Behind") => KeyRelation::Behind,
                    Some(_) => KeyRelation::Other,
                };
                if out.proof_key.is_none() {
                    out.proof_key = Some(ProofKeyMutator {
                        mutate_current: b.bool_attr(c, "MutateCurrent")?.unwrap_or(false),
                        mutate_old: b.bool_attr(c, "MutateOld")?.unwrap_or(false),
                        key_relation,
                        timestamp,
                    });
                }
            }
        }
    }
    b.leave();
    Ok(out)
}
