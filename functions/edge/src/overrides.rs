//! Analyst overrides from ClickHouse, for `kb-rebuild`: the engine's
//! [`OverrideSource`] over the overrides table joined with the events table
//! (the SQL and its ordering live with the DDL in [`ocsfmap::store::ddl::overrides_query`]).

use clickhouse::Client;
use ocsfmap::kb::sources::Labeled;
use ocsfmap::store::{ddl, OverrideSource, StoreError, Tables};
use serde::Deserialize;

use crate::clickhouse::{store_error, ClickHouseConfig};

/// ClickHouse's error code for a table that does not exist.
const UNKNOWN_TABLE: &str = "Code: 60.";

#[derive(Debug, clickhouse::Row, Deserialize)]
struct Row {
    raw: String,
    class_uid: u32,
    activity_id: Option<i32>,
    source: String,
}

pub struct ClickHouseOverrides {
    client: Client,
    tables: Tables,
}

impl ClickHouseOverrides {
    /// Checks the table names now, so a bad name fails at init rather than at the first run.
    pub fn new(client: Client, tables: Tables) -> Result<Self, StoreError> {
        ddl::overrides_query(&tables)?;
        Ok(ClickHouseOverrides { client, tables })
    }

    pub fn from_config(cfg: &ClickHouseConfig) -> Result<Self, StoreError> {
        Self::new(cfg.client(), cfg.tables.clone())
    }
}

impl OverrideSource for ClickHouseOverrides {
    async fn fetch_overrides(&self) -> Result<Vec<Labeled>, StoreError> {
        let sql = ddl::overrides_query(&self.tables)?;
        let rows = match self.client.query(&sql).fetch_all::<Row>().await {
            Ok(rows) => rows,
            // A fresh deployment publishes its first KB before classify has created the
            // tables: no table means no overrides yet, said loudly in case a name is wrong.
            Err(clickhouse::error::Error::BadResponse(msg)) if msg.contains(UNKNOWN_TABLE) => {
                tracing::warn!(events = %self.tables.events, overrides = %self.tables.overrides, error = %msg,
                    "overrides or events table does not exist: building without overrides");
                return Ok(Vec::new());
            }
            Err(e) => return Err(store_error(e)),
        };
        tracing::info!(overrides = rows.len(), "read analyst overrides");
        Ok(rows
            .into_iter()
            .map(|r| Labeled {
                raw: r.raw,
                class_uid: r.class_uid,
                activity_id: r.activity_id.map(i64::from),
                source: r.source,
            })
            .collect())
    }
}
