//! Small utilities every layer may use: atomic file writes ([`fsutil`]), readable slugs
//! ([`slug`]), short stable hashes ([`hashing`]) and one-line error messages ([`error`]).

pub mod error;
pub mod fsutil;
pub mod hashing;
pub mod slug;
