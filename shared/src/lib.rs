//! ocsfmap engine: everything the CLI and the Lambda functions share.
//!
//! No AWS or ClickHouse types live here; the functions adapt their events to these types.

pub mod alloc;
pub mod blob;
pub mod embed;
pub mod envelope;
pub mod eval;
pub mod event;
pub mod failure;
pub mod parse;
pub mod schema;
pub mod text;

pub mod classify;
pub mod features;
pub mod ingest;
pub mod kb;
pub mod pipeline;
pub mod rebuild;
pub mod search;
pub mod store;
#[cfg(test)]
pub(crate) mod testutil;
