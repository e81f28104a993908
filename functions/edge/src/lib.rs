//! The edge of the system: adapters from the engine's traits to AWS and ClickHouse.
//! The engine (`ocsfmap`) never sees an SDK type; the function binaries wire these in.

pub mod clickhouse;
pub mod env;
pub mod overrides;
pub mod s3;
pub mod secrets;
pub mod telemetry;
