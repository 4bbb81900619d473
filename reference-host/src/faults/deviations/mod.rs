//! The faults that must change a handler's logic (what it decides, stores or refuses), one module per handler
//! with several. A handler reads its deviations through one value and otherwise reads as the correct host.

pub mod children;
pub mod put_relative;
pub mod rename;
pub mod tokens;
