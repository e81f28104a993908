//! ocsfmap engine: everything the CLI and the Lambda functions share.
//!
//! No AWS SDK or ClickHouse client types live here; the functions adapt their events to
//! these types. The ClickHouse SQL does live here, as text ([`store::ddl`],
//! [`store::migrations`]): the table layout is part of the domain (analysts query it, the
//! review queue reads it), so it is written and tested next to the row model, and the edge
//! only sends it. See ARCHITECTURE.md.

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
pub mod version;

pub mod classify;
pub mod features;
pub mod ingest;
pub mod kb;
#[cfg(feature = "lake")]
pub mod lake;
pub mod pipeline;
pub mod rebuild;
pub mod review;
pub mod routes;
pub mod search;
pub mod signature;
pub mod sink;
pub mod store;
#[cfg(test)]
pub(crate) mod testutil;
