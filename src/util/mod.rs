//! Small utilities every layer may use: atomic file writes ([`fsutil`]) and readable slugs
//! ([`slug`]).

pub mod fsutil;
pub mod slug;
