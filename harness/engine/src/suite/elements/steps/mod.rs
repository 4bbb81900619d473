//! One module per extension step (`ext:` elements of `<Requests>`): how each is read into its [`Step`].
//! A request element in `<Requests>` is read by [`super::requests`].

mod advance_clock;
mod concurrent;
mod for_each;
mod lock_race;
mod post_message;
mod rotate_keys;

use super::requests;
use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, Step};

/// Reads a step element (entered) into `out`: most add one step, `ext:ForEach` one per row and body element.
type Parse = fn(&mut Builder, &Node, &[Resource], &mut Vec<Step>) -> R<()>;

/// Every extension step, in the order messages list them.
const STEPS: &[(&str, Parse)] = &[
    ("ext:Concurrent", concurrent::parse),
    ("ext:RotateKeys", rotate_keys::parse),
    ("ext:AdvanceClock", advance_clock::parse),
    ("ext:ForEach", for_each::parse),
    ("ext:PostMessage", post_message::parse),
    ("ext:LockRace", lock_race::parse),
];

/// Reads one entry of `<Requests>` into `out`.
pub(crate) fn parse(b: &mut Builder, r: &Node, resources: &[Resource], out: &mut Vec<Step>) -> R<()> {
    if requests::lookup(&r.name).is_some() {
        out.push(Step::Request(requests::parse(b, r, resources)?));
        return Ok(());
    }
    b.enter(r);
    let Some((_, parse)) = STEPS.iter().find(|(n, _)| *n == r.name) else {
        let mut expected: Vec<&str> = requests::names().collect();
        expected.extend(STEPS.iter().map(|(n, _)| *n));
        return Err(b.err(
            r.pos,
            format!(
                "unknown request element <{}>; expected one of: {}",
                r.name,
                expected.join(", ")
            ),
        ));
    };
    parse(b, r, resources, out)?;
    b.leave();
    Ok(())
}
