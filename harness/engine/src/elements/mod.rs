//! One module per suite element, where the vocabulary grows: [`requests`] (each request element's attributes and
//! what it sends), [`validators`] (each validator element's attributes) and [`steps`] (each `ext:` step).
//!
//! The suite parser (`crate::suite`) reads the document's skeleton and hands every element to its module here
//! through one small table per family; the runner (`crate::exec::request`) builds a request's headers and body
//! through [`requests::send`]. Element modules import the suite model and its parse context, not the runner or the
//! checks: what a request needs from the run comes through [`requests::Env`]. (Two imports the suite parser had
//! before this layout remain, each in its element's module: `race::RaceConfig` in `steps/lock_race.rs` and
//! `validate::json::parse_lenient` in `validators/properties.rs`.)

pub mod requests;
pub(crate) mod steps;
pub mod validators;
