//! agg: a news aggregator and syndication producer.
//!
//! The layers, lowest first (`scripts/check-layers` keeps dependencies pointing one way):
//! - data and utilities: [`model`], [`util`], [`dates`], [`sanitize`], [`weburl`];
//! - [`config`]: the YAML file, checked and compiled once;
//! - the stages, pure where they can be and never using each other: [`fetch`], [`listing`]
//!   (listing bytes to links), [`extract`] (page to article), [`markdown`], [`dedup`],
//!   [`publish`] (feeds);
//! - [`store`]: the state shared between runs (SQLite, or PostgreSQL shared by workers);
//! - [`serve`] (feeds over HTTP) and [`obs`] (metrics, health, run events);
//! - [`app`]: the use cases (a run, a source, a page, publishing, forgetting), and [`hugo`]
//!   (whether the Hugo site a hook builds reads agg's dates in the right zone);
//! - [`daemon`]: scheduling runs; then the command line (`main.rs`).

pub mod app;
pub mod config;
pub mod daemon;
pub mod dates;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod hugo;
pub mod listing;
pub mod markdown;
pub mod model;
pub mod obs;
pub mod publish;
pub mod sanitize;
pub mod serve;
pub mod store;
pub mod util;
pub mod weburl;

pub use app::{Context, RunReport, SourceReport};
pub use config::Config;
