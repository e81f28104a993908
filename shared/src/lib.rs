//! ocsfmap engine: everything the CLI and the Lambda functions share.
//!
//! No AWS or ClickHouse types live here; the functions adapt their events to these types.

pub mod alloc;
pub mod blob;
pub mod envelope;
pub mod event;
pub mod parse;
pub mod embed;
pub mod eval;
pub mod schema;
pub mod text;

#[cfg(test)]
pub(crate) mod testutil;
pub mod ingest;
pub mod classify;
pub mod features;
pub mod kb;
pub mod search;
pub mod rebuild;
pub mod store;
pub mod pipeline;
