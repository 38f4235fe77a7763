//! agg: a news aggregator and syndication producer.
//!
//! The pipeline (see `pipeline`): a configured [`config::Source`] lists [`model::Link`]s
//! (`source`), each page is fetched (`fetch`), extracted into a [`model::Article`] (`extract`),
//! deduplicated and stored (`store`), written as a Hugo Markdown file (`markdown`) and
//! published in feeds (`publish`).

pub mod dates;
pub mod extract;
pub mod fsutil;
pub mod model;
pub mod publish;
pub mod sanitize;
pub mod slug;
pub mod source;
