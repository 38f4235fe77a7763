//! Observability: what runs tell the world ([`events`]), Prometheus [`metrics`], extraction
//! [`health`], and terminal [`progress`] bars.

pub mod events;
pub mod health;
pub mod metrics;
pub mod progress;
