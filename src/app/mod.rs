//! The use cases: a run of sources, one source, one page, publishing the feeds, uploading
//! Markdown files, forgetting an article, the status of sources.

pub mod dedup;
pub mod forget;
pub mod hooks;
pub mod listing;
pub mod page;
pub mod schedule;
pub mod status;

pub use page::*;
