//! wopi-reference-host
pub mod clock;
pub mod faults;
pub mod locks;
pub mod store;
pub mod hostpage;
pub mod proof;
pub mod error;
pub mod tokens;
