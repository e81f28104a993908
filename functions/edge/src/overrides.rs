//! Analyst overrides from ClickHouse, for `kb-rebuild`: the engine's [`OverrideSource`]
//! over the overrides table (shape corrections carry their raw record; event overrides are
//! joined with the events table), and the builds table the run's outcome goes to. The SQL
//! lives with the DDL in [`ocsfmap::store::ddl`].

use clickhouse::Client;
use ocsfmap::kb::sources::Labeled;
use ocsfmap::store::review::{datetime_text, BuildRow, Sql, BUILD_COLUMNS};
use ocsfmap::store::{ddl, OverrideSource, Overrides, StoreError, Tables};
use serde::Deserialize;

use crate::clickhouse::{store_error, ClickHouseConfig};
use crate::sql::ClickHouseSql;

/// ClickHouse's error code for a table that does not exist.
const UNKNOWN_TABLE: &str = "Code: 60.";

#[derive(Debug, clickhouse::Row, Deserialize)]
struct Row {
    raw: String,
    class_uid: u32,
    activity_id: Option<i32>,
    source: String,
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct Through {
    through_ms: i64,
}

pub struct ClickHouseOverrides {
    client: Client,
    tables: Tables,
}

impl ClickHouseOverrides {
    /// Checks the table names now, so a bad name fails at init rather than at the first run.
    pub fn new(client: Client, tables: Tables) -> Result<Self, StoreError> {
        ddl::overrides_query(&tables)?;
        ddl::create_builds(&tables.builds)?;
        Ok(ClickHouseOverrides { client, tables })
    }

    pub fn from_config(cfg: &ClickHouseConfig) -> Result<Self, StoreError> {
        Self::new(cfg.client(), cfg.tables.clone())
    }
}

fn missing_table(e: &clickhouse::error::Error) -> bool {
    matches!(e, clickhouse::error::Error::BadResponse(msg) if msg.contains(UNKNOWN_TABLE))
}

impl OverrideSource for ClickHouseOverrides {
    async fn fetch_overrides(&self) -> Result<Overrides, StoreError> {
        let sql = ddl::overrides_query(&self.tables)?;
        let rows = match self.client.query(&sql).fetch_all::<Row>().await {
            Ok(rows) => rows,
            // A fresh deployment publishes its first KB before the tables exist: no table
            // means no overrides yet, said loudly in case a name is wrong.
            Err(e) if missing_table(&e) => {
                tracing::warn!(events = %self.tables.events, overrides = %self.tables.overrides, error = %e,
                    "overrides or events table does not exist: building without overrides");
                return Ok(Overrides::default());
            }
            Err(e) => return Err(store_error(e)),
        };
        let through = self
            .client
            .query(&ddl::overrides_through_query(&self.tables)?)
            .fetch_one::<Through>()
            .await
            .map_err(store_error)?;
        tracing::info!(
            overrides = rows.len(),
            through_ms = through.through_ms,
            "read analyst overrides"
        );
        Ok(Overrides {
            labeled: rows
                .into_iter()
                .map(|r| Labeled {
                    raw: r.raw,
                    class_uid: r.class_uid,
                    activity_id: r.activity_id.map(i64::from),
                    source: r.source,
                })
                .collect(),
            through_ms: through.through_ms,
        })
    }

    async fn record_build(&self, b: &BuildRow) -> Result<(), StoreError> {
        let row = serde_json::json!({
            "at": datetime_text(b.at_ms),
            "outcome": b.outcome,
            "kb_version": b.kb_version,
            "overrides_through": datetime_text(b.overrides_through_ms),
            "reason": b.reason,
        });
        ClickHouseSql::new(self.client.clone())
            .insert_json(&self.tables.builds, &BUILD_COLUMNS, &[row])
            .await
    }
}
