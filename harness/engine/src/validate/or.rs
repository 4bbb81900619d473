//! OrValidator: passes when any alternative passes; otherwise one failure listing them all.

use super::{Context, ResponseView};
use crate::report::model::Failure;
use crate::suite::Validator;

pub(super) fn check(children: &[Validator], resp: &ResponseView<'_>, ctx: &Context<'_>) -> Vec<Failure> {
    let results: Vec<Vec<Failure>> = children.iter().map(|c| super::evaluate(c, resp, ctx)).collect();
    if results.iter().any(Vec::is_empty) {
        Vec::new()
    } else {
        let all: Vec<Failure> = results.into_iter().flatten().collect();
        vec![
            ctx.failure(
                "Or",
                all.iter()
                    .map(|f| format!("{}: {}", f.check, f.expected))
                    .collect::<Vec<_>>()
                    .join(" OR "),
                all.iter()
                    .map(|f| format!("{}: {}", f.check, f.actual))
                    .collect::<Vec<_>>()
                    .join("; "),
                "at least one of the alternatives must hold",
            ),
        ]
    }
}
