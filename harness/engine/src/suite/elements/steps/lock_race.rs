//! `<ext:LockRace .../>`: N clients race the lock family on the case's file; the attributes are the race's
//! configuration ([`crate::suite::race_config::RaceConfig`]).

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, Step};

pub(super) fn parse(b: &mut Builder, r: &Node, _: &[Resource], out: &mut Vec<Step>) -> R<()> {
    b.check_attrs(r, crate::suite::race_config::RaceConfig::ATTRIBUTES)?;
    b.check_children(r, &[])?;
    let attrs = r.attrs.iter().map(|a| (a.name.as_str(), a.value.as_str()));
    let config = crate::suite::race_config::RaceConfig::from_attributes(attrs).map_err(|m| b.err(r.pos, m))?;
    out.push(Step::LockRace { config, pos: r.pos });
    Ok(())
}
