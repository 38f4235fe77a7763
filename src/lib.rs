//! agg: a news aggregator and syndication producer.
//!
//! The pipeline (see [`pipeline`]): a configured [`config::Source`] lists [`model::Link`]s
//! (`listing`, `source`), each page is fetched (`fetch`), extracted into a
//! [`model::Article`] (`extract`), stored (`store`), written as a Hugo Markdown file
//! (`markdown`) and published in feeds (`publish`). `daemon` schedules runs.

pub mod config;
pub mod daemon;
pub mod dates;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod fsutil;
pub mod health;
pub mod hooks;
pub mod hugo;
pub mod listing;
pub mod markdown;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod progress;
pub mod publish;
pub mod sanitize;
pub mod serve;
pub mod slug;
pub mod source;
pub mod status;
pub mod store;
pub mod weburl;

pub use config::Config;
pub use pipeline::{Context, RunReport, SourceReport};
