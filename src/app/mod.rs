//! The use cases, one layer above the stages and the store:
//!
//! - [`run`]: a run of sources, start to end (it reads as a table of contents);
//! - [`source`]: one source (listing via [`listing`], then its pages);
//! - [`page`]: one page, from a link to a committed item (decisions in [`dedup`] and
//!   [`decisions`], the item assembled by [`item`]);
//! - [`publish`]: the feeds from the store; [`upload`]: Markdown files to S3;
//! - [`forget`]: `agg forget` and `agg dedup-report`; [`status`]: `agg status`;
//! - [`tombstones`]: deleted files; [`hooks`]: the after-run hook; [`schedule`]: when sources
//!   run next.
//!
//! Results are data ([`report`]). [`Context`] holds the long-lived parts.

mod context;
pub mod decisions;
pub mod dedup;
pub mod forget;
pub mod hooks;
pub mod item;
pub mod listing;
pub mod page;
pub mod publish;
pub mod report;
pub mod run;
pub mod schedule;
pub mod source;
pub mod status;
pub mod tombstones;
pub mod upload;

pub use context::{Context, OpenError};
pub use report::{PageError, PageFailure, RunReport, SourceFailure, SourceReport};
pub use run::run;
