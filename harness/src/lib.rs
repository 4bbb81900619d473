//! wopi-harness
