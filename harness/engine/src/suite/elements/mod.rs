//! One module per suite element, where the vocabulary grows: [`requests`] (each request element's attributes and
//! what it sends), [`validators`] (each validator element's attributes) and [`steps`] (each `ext:` step).
//!
//! The suite parser (`crate::suite`) reads the document's skeleton and hands every element to its module here
//! through one small table per family; the runner (`crate::exec::request`) builds a request's headers and body
//! through [`requests::send`]. Element modules import the suite model, its parse context and `lenient_json`, never
//! the runner or the checks: what a request needs from the run comes through [`requests::Env`].

pub mod requests;
pub(crate) mod steps;
pub mod validators;
