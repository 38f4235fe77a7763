//! Observability: Prometheus [`metrics`], extraction [`health`], and terminal [`progress`].

pub mod health;
pub mod metrics;
pub mod progress;
