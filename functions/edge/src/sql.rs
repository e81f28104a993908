//! The engine's [`Sql`] port over the ClickHouse client: statements with server-side query
//! parameters, rows back as `JSONEachRow`, inserts as `JSONEachRow` bodies.

use clickhouse::Client;
use ocsfmap::store::review::{Param, Sql};
use ocsfmap::store::{check_identifier, StoreError};

use crate::clickhouse::store_error;

#[derive(Clone)]
pub struct ClickHouseSql {
    client: Client,
}

impl ClickHouseSql {
    pub fn new(client: Client) -> Self {
        // 64-bit counts as JSON numbers (serde reads them exactly), not strings.
        ClickHouseSql {
            client: client.with_setting("output_format_json_quote_64bit_integers", "0"),
        }
    }
}

impl ClickHouseSql {
    /// The statement with its server-side parameters bound, ready to run (the bench times
    /// the queue's SQL through this too).
    pub fn query(&self, sql: &str, params: &[(&str, Param)]) -> clickhouse::query::Query {
        let mut q = self.client.query(&literal(sql));
        for (name, value) in params {
            q = match value {
                Param::Str(s) => q.param(name, s),
                Param::U64(n) => q.param(name, n),
                Param::I64(n) => q.param(name, n),
                Param::U64s(v) => q.param(name, v),
            };
        }
        q
    }
}

/// The client treats `?` in statement text as a bind placeholder; our statements bind
/// nothing that way (values go as server-side parameters or JSON rows), so a literal `?`
/// (in a raw record, say) is escaped.
fn literal(sql: &str) -> String {
    sql.replace('?', "??")
}

impl Sql for ClickHouseSql {
    async fn select(
        &self,
        sql: &str,
        params: &[(&str, Param)],
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        let mut cursor = self.query(sql, params).fetch_bytes("JSONEachRow").map_err(store_error)?;
        let body = cursor.collect().await.map_err(store_error)?;
        body.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_slice(l)
                    .map_err(|e| StoreError::Rejected(format!("a result row is not JSON: {e}")))
            })
            .collect()
    }

    async fn insert_json(
        &self,
        table: &str,
        columns: &[&str],
        rows: &[serde_json::Value],
    ) -> Result<(), StoreError> {
        let t = check_identifier(table)?;
        for c in columns {
            check_identifier(c)?;
        }
        let mut sql = format!("INSERT INTO `{t}` ({}) FORMAT JSONEachRow\n", columns.join(", "));
        for r in rows {
            sql.push_str(&r.to_string());
            sql.push('\n');
        }
        self.client.query(&literal(&sql)).execute().await.map_err(store_error)
    }
}
