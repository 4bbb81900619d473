//! Scripted editor sessions.
