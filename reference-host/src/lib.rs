//! wopi-reference-host
