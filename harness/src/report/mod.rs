//! Reports of a run: the model every format renders, and one module per format.

pub mod model;
