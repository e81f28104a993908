//! The scheduled export: ClickHouse's events of each finished interval → Parquet files in
//! the lake bucket → a ledger row.
//!
//! Intervals are fixed slices of `classified_at` (the time the row took its present form),
//! ending `lag` before now so inserts still in flight have landed. Exactly once:
//! - a file's key is a function of (source, day, interval), and an S3 PUT is atomic, so a
//!   re-run replaces the files of the first run instead of adding to them, and a run that
//!   dies mid-way leaves whole files or none;
//! - the ledger row (migration 5, `lake_exports`) is written last: an interval without one
//!   is exported again by the next run, one with one is not (unless forced);
//! - keys a previous run of the interval wrote and this one did not (an event re-classified
//!   since into another class) are deleted, so no event is in the lake twice.
//!
//! Rows come from `events FINAL` (the newest classification of each event).

use std::collections::BTreeSet;
use std::future::Future;

use serde_json::{json, Value};

use super::{parquet_file, plan, FileOptions, LakeError, LakeEvent, Layout};
use crate::failure::{Disposition, Failure};
use crate::store::review::{datetime_text, Param, Sql};
use crate::store::StoreError;
use crate::version::OutputVersion;

/// Where the files go (the edge writes to S3, as the role Security Lake gave the source).
pub trait LakeStore: Send + Sync {
    fn put(&self, key: &str, bytes: Vec<u8>)
        -> impl Future<Output = Result<(), StoreError>> + Send;
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lake(#[from] LakeError),
}

impl Failure for ExportError {
    fn disposition(&self) -> Disposition {
        match self {
            ExportError::Store(e) => e.disposition(),
            // A file that cannot be made will not be made on a retry either.
            ExportError::Lake(_) => Disposition::Permanent,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// Interval length: 5 minutes to a day (Security Lake's delivery bounds).
    pub interval_ms: i64,
    /// How long after an interval ends before it is exported.
    pub lag_ms: i64,
    /// Intervals one run exports at most (a backlog is worked off over several runs).
    pub max_intervals: usize,
    pub files: FileOptions,
    pub events_table: String,
    pub ledger_table: String,
}

pub const MIN_INTERVAL_MS: i64 = 5 * 60_000;
pub const MAX_INTERVAL_MS: i64 = 24 * 3_600_000;

/// What one interval's export did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IntervalReport {
    pub interval_start_ms: i64,
    pub rows: usize,
    pub files: Vec<String>,
    /// Events of classes no source is configured for (kept in ClickHouse only).
    pub unrouted: usize,
    /// Keys of an earlier run of this interval that this run no longer writes.
    pub deleted: Vec<String>,
}

pub struct Exporter<'a, S, L> {
    pub sql: &'a S,
    pub lake: &'a L,
    pub layout: &'a Layout,
    pub version: &'a OutputVersion,
    pub cfg: &'a ExportConfig,
}

impl<S: Sql, L: LakeStore> Exporter<'_, S, L> {
    /// Exports every finished interval not in the ledger yet (oldest first, at most
    /// `max_intervals`). With no ledger at all, starts with the last finished interval.
    pub async fn run_due(&self, now_ms: i64) -> Result<Vec<IntervalReport>, ExportError> {
        let step = self.cfg.interval_ms;
        let due_end = (now_ms - self.cfg.lag_ms).div_euclid(step) * step;
        let next = self.next_start().await?.unwrap_or(due_end - step);
        let mut out = Vec::new();
        let mut start = next;
        while start + step <= due_end && out.len() < self.cfg.max_intervals {
            out.push(self.export(start).await?);
            start += step;
        }
        Ok(out)
    }

    async fn next_start(&self) -> Result<Option<i64>, StoreError> {
        let sql = format!(
            "SELECT toUnixTimestamp64Milli(max(interval_start)) AS last, count() AS n FROM `{}` FINAL WHERE interval_ms = {{step:UInt64}}",
            self.cfg.ledger_table
        );
        let rows =
            self.sql.select(&sql, &[("step", Param::U64(self.cfg.interval_ms as u64))]).await?;
        let row = rows.first();
        let n = row.and_then(|r| r["n"].as_u64()).unwrap_or(0);
        Ok((n > 0)
            .then(|| row.and_then(|r| r["last"].as_i64()).unwrap_or(0) + self.cfg.interval_ms))
    }

    /// Exports one interval (again, if it was exported before).
    pub async fn export(&self, start_ms: i64) -> Result<IntervalReport, ExportError> {
        let end_ms = start_ms + self.cfg.interval_ms;
        let sql = format!(
            "SELECT toUInt32(ocsf_event.class_uid) AS class_uid, toUnixTimestamp64Milli(event_time) AS time_ms, \
             toJSONString(ocsf_event) AS event, raw FROM `{}` FINAL \
             WHERE classified_at >= fromUnixTimestamp64Milli({{start:Int64}}) AND classified_at < fromUnixTimestamp64Milli({{end:Int64}})",
            self.cfg.events_table
        );
        let rows = self
            .sql
            .select(&sql, &[("start", Param::I64(start_ms)), ("end", Param::I64(end_ms))])
            .await?;
        let events: Vec<LakeEvent> = rows
            .into_iter()
            .map(|r| LakeEvent {
                class_uid: r["class_uid"].as_u64().and_then(|c| u32::try_from(c).ok()).unwrap_or(0),
                time_ms: r["time_ms"].as_i64().unwrap_or(start_ms),
                event: r["event"]
                    .as_str()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or(Value::Null),
                raw: r["raw"].as_str().unwrap_or_default().to_string(),
            })
            .collect();
        let total = events.len();
        let planned = plan(self.layout, events);
        let mut keys = Vec::with_capacity(planned.files.len());
        let mut rows_written = 0;
        for ((source, day), (class_uid, events)) in &planned.files {
            let bytes = parquet_file(self.version, *class_uid, events, self.cfg.files)?;
            let key = self.layout.key(source, day, start_ms, self.cfg.interval_ms);
            self.lake.put(&key, bytes).await?;
            rows_written += events.len();
            keys.push(key);
        }
        let before = self.previous_keys(start_ms).await?;
        let now: BTreeSet<&String> = keys.iter().collect();
        let mut deleted = Vec::new();
        for k in before.iter().filter(|k| !now.contains(k)) {
            self.lake.delete(k).await?;
            deleted.push(k.clone());
        }
        // Last: with the ledger row the interval is done.
        let row = json!({
            "interval_start": datetime_text(start_ms),
            "interval_ms": self.cfg.interval_ms,
            "keys": keys,
            "rows": rows_written,
            "unrouted": planned.unrouted,
            "finished_at": datetime_text(crate::pipeline::now_ms()),
        });
        self.sql
            .insert_json(
                &self.cfg.ledger_table,
                &["interval_start", "interval_ms", "keys", "rows", "unrouted", "finished_at"],
                &[row],
            )
            .await?;
        tracing::info!(
            interval_start_ms = start_ms,
            events = total,
            rows = rows_written,
            files = keys.len(),
            unrouted = planned.unrouted,
            deleted = deleted.len(),
            "lake interval exported"
        );
        Ok(IntervalReport {
            interval_start_ms: start_ms,
            rows: rows_written,
            files: keys,
            unrouted: planned.unrouted,
            deleted,
        })
    }

    async fn previous_keys(&self, start_ms: i64) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT keys FROM `{}` FINAL WHERE interval_start = fromUnixTimestamp64Milli({{start:Int64}}) AND interval_ms = {{step:UInt64}}",
            self.cfg.ledger_table
        );
        let rows = self
            .sql
            .select(
                &sql,
                &[
                    ("start", Param::I64(start_ms)),
                    ("step", Param::U64(self.cfg.interval_ms as u64)),
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .flat_map(|r| r["keys"].as_array().cloned().unwrap_or_default())
            .filter_map(|k| k.as_str().map(String::from))
            .collect())
    }
}
