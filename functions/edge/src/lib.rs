//! The edge of the system: adapters from the engine's traits to AWS and ClickHouse, and
//! the one way every function starts, reads configuration and reports errors.
//! The engine (`ocsfmap`) never sees an SDK type; the function binaries wire these in.
//!
//! Features keep each binary to what it uses: `http` and `sqs` (ingest, review), `s3` and
//! `clickhouse` (classify, kb-rebuild, review).

pub mod aws;
#[cfg(feature = "clickhouse")]
pub mod clickhouse;
pub mod env;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "lake")]
pub mod lake;
pub mod lambda;
#[cfg(feature = "clickhouse")]
pub mod overrides;
#[cfg(feature = "s3")]
pub mod s3;
pub mod secrets;
#[cfg(feature = "clickhouse")]
pub mod sql;
#[cfg(feature = "sqs")]
pub mod sqs;
pub mod telemetry;
