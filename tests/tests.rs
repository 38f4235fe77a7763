//! One integration-test binary: real `agg` runs against real HTTP servers on 127.0.0.1.

mod common;

mod acceptance;
mod daemon;
mod dedup;
mod failures;
mod hostile;
mod ops;
mod render;
mod s3;
mod serve;
mod shared;
mod sources;
