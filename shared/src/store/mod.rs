//! Where classified events and analyst overrides are stored, as the engine sees it.
//!
//! The override row ([`OverrideRow`]), the ClickHouse DDL as SQL text with the reasoning
//! behind each physical choice ([`ddl`]), the ordered migrations ([`migrations`]), and the
//! port the edge implements with a real ClickHouse client ([`OverrideSource`]). Classified
//! events leave through [`crate::sink`]. The SQL lives here on purpose (see the crate
//! docs); no ClickHouse client type does.

pub mod ddl;
pub mod migrations;
pub mod review;
mod rows;

use std::future::Future;

pub use migrations::{Migration, MIGRATIONS};
pub use rows::OverrideRow;

use crate::failure::{Disposition, Failure};
use crate::kb::sources::Labeled;

/// Names of the tables the service writes and reads (configurable per deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub events: String,
    pub overrides: String,
    /// kb-rebuild's runs (not configurable: one per database).
    pub builds: String,
    /// lake-export's ledger of exported intervals (not configurable).
    pub lake_exports: String,
}

impl Default for Tables {
    fn default() -> Self {
        Tables {
            events: "events".into(),
            overrides: "overrides".into(),
            builds: "kb_builds".into(),
            lake_exports: "lake_exports".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Connection refused, timeout, overloaded or restarting server: the same request may
    /// succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The server refused the statement or the data (schema mismatch, bad value, auth).
    #[error("storage refused the request: {0}")]
    Rejected(String),
    /// A table or column name that cannot be used safely in SQL text.
    #[error(
        "invalid identifier {0:?}: use letters, digits and underscores, not starting with a digit"
    )]
    BadIdentifier(String),
}

impl Failure for StoreError {
    fn disposition(&self) -> Disposition {
        match self {
            StoreError::Unavailable(_) => Disposition::Retry,
            StoreError::Rejected(_) | StoreError::BadIdentifier(_) => Disposition::Permanent,
        }
    }
}

/// Analyst overrides joined with the raw records they correct, oldest first, so that a
/// later override of the same shape wins when the knowledge base is built.
pub trait OverrideSource: Send + Sync {
    fn fetch_overrides(&self) -> impl Future<Output = Result<Overrides, StoreError>> + Send;

    /// Records what a rebuild did with the overrides it read (the review queue shows each
    /// correction's state from these records).
    fn record_build(
        &self,
        build: &review::BuildRow,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The overrides a rebuild uses and the newest override row it saw (withdrawals included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub labeled: Vec<Labeled>,
    /// Milliseconds since the epoch; 0 when there is none.
    pub through_ms: i64,
}

/// Checks that `name` can be pasted into SQL as an identifier.
pub fn check_identifier(name: &str) -> Result<&str, StoreError> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128;
    if ok {
        Ok(name)
    } else {
        Err(StoreError::BadIdentifier(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for good in ["events", "_x", "Events_2024"] {
            assert_eq!(check_identifier(good), Ok(good));
        }
        for bad in ["", "1events", "ev-ents", "ev`ents", "a b", "db.events", &"x".repeat(200)] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }
}
