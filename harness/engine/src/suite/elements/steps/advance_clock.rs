//! `<ext:AdvanceClock Seconds Purpose>`: the host's clock jumps forward; `Purpose="LockExpiry"` marks a step that
//! only moves a lock towards its expiry (replaceable by a real wait against a host without a clock hook).

use crate::suite::builder::{Builder, R};
use crate::suite::xml::Node;
use crate::suite::{Resource, Step};

pub(super) fn parse(b: &mut Builder, r: &Node, _: &[Resource], out: &mut Vec<Step>) -> R<()> {
    b.check_attrs(r, &["Seconds", "Purpose"])?;
    b.check_children(r, &[])?;
    let seconds = b
        .parse_attr::<u64>(r, "Seconds", "a whole number of seconds")?
        .ok_or_else(|| b.err(r.pos, "<ext:AdvanceClock> needs Seconds"))?;
    let lock_expiry = match b.opt(r, "Purpose").as_deref() {
        None => false,
        Some("LockExpiry") => true,
        Some(other) => {
            return Err(b.err(
                r.pos,
                format!("<ext:AdvanceClock Purpose=\"{other}\">: the only purpose is LockExpiry"),
            ));
        }
    };
    out.push(Step::AdvanceClock {
        seconds,
        lock_expiry,
        pos: r.pos,
    });
    Ok(())
}
