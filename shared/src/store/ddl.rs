//! ClickHouse DDL and the queries that depend on its layout, as SQL text.
//!
//! # The events table
//!
//! Analysts ask three kinds of question: events of some classes over a time range, the
//! review queue (low-confidence decisions, newest first) and the class mix per source. And
//! the pipeline needs a redelivered record to end up as one row.
//!
//! - **Engine `ReplacingMergeTree(classified_at)`**: rows with the same sorting key collapse
//!   to the newest classification on merge. Queries that must not see a not-yet-merged
//!   duplicate use `FINAL` (cheap here: duplicates can only sit in the same partition, so
//!   `do_not_merge_across_partitions_select_final` applies) or count `uniqExact(event_id)`.
//! - **`ORDER BY (toStartOfHour(received_at), source, event_id)`**: the sorting key is the
//!   deduplication key, so it may only hold values fixed by the envelope, never by the
//!   classification: a redelivery after a KB update can decide another class, and a key
//!   with `class_uid` in it would then keep both rows. Time first prunes every time-range
//!   query; `source` next clusters similar records (better compression of `raw`, fast
//!   per-source filters and group-bys); `event_id` (UUIDv7, time-ordered) makes the key
//!   unique per event.
//! - **`PARTITION BY toYYYYMM(received_at)`**: monthly parts, few enough to keep merges and
//!   `FINAL` cheap, and the unit for retention (`ALTER TABLE ... DROP PARTITION`). Also fixed
//!   by the envelope, so duplicates always meet in one partition.
//! - **Skip indexes** serve the filters the key does not lead with: `minmax` on
//!   `event_time` (close to `received_at`, so granules stay selective), `set` on `class_uid`
//!   and `needs_review`.
//! - **Codecs**: `raw` is the bulk of a row and compresses very well: `ZSTD(3)`. Timestamps
//!   rise within the sort order: `Delta` then `ZSTD`. The OCSF event is a `JSON` column
//!   (paths queryable as `ocsf_event.actor.user.name`); its `raw_data` is not repeated there
//!   since `raw` holds it. Plain `JSON`, no type parameters: the `clickhouse` crate names
//!   the column type without them in its `RowBinaryWithNamesAndTypes` header and the server
//!   refuses an insert whose header type differs from the column's.
//! - **`candidates`** holds (class_uid, probability) pairs, best first: `candidates.1` is the
//!   array of candidate classes (`has(candidates.1, 3002)`). `signature` is the record's
//!   shape as a number: `leftPad(lower(hex(signature)), 16, '0')` is the CLI's hex form.
//! - **`LowCardinality(String)`** for values with few distinct strings per part: source,
//!   format, class name, decided_by, KB version.
//! - **Insert deduplication**: `non_replicated_deduplication_window` keeps the hashes of
//!   the last N inserted blocks, so an insert retried with the same
//!   `insert_deduplication_token` (see [`super::dedup_token`]) is dropped before any merge.
//!
//! # The overrides table
//!
//! A small table the review API (or an analyst by hand) inserts into: the latest row per
//! `event_id` wins, hence `ReplacingMergeTree(at) ORDER BY event_id`. Two kinds of row:
//! - **a shape correction** (the review API): `signature` set, `event_id` derived from it
//!   ([`super::review::shape_key`]) so the latest row per shape wins, `raw` holding the
//!   shape's representative record, `withdrawn` marking a withdrawal;
//! - **an event override** (hand-written, the original form): `signature` 0, `raw` empty;
//!   the raw record comes from the events table.
//!
//! `kb-rebuild` reads the latest row per key, drops the withdrawn ones and takes the raw
//! record from the row or from the events table ([`overrides_query`]).
//!
//! # The builds table
//!
//! One row per kb-rebuild run that read the overrides: the outcome, the version serving
//! after it and the newest override row it read, which is how the review queue tells a
//! correction's state (pending, in KB version N, refused by the quality gate).

use super::{check_identifier, StoreError, Tables};

/// How many recent insert blocks the server remembers for deduplication. Retries come
/// within the queue's visibility timeout (minutes); at the insert rate the event source
/// mapping allows (a few per second at most) this covers far more than that.
pub const DEDUP_WINDOW: u32 = 10_000;

/// `CREATE TABLE` for the events table.
pub fn create_events(table: &str) -> Result<String, StoreError> {
    let t = check_identifier(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS `{t}`
(
    event_id      UUID,
    received_at   DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    event_time    DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    classified_at DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    source        LowCardinality(String),
    format        LowCardinality(String),
    class_uid     UInt32,
    class_name    LowCardinality(String),
    category_uid  UInt32,
    activity_id   Int32,
    type_uid      Int64,
    confidence    Float32,
    needs_review  Bool,
    decided_by    LowCardinality(String),
    candidates    Array(Tuple(UInt32, Float32)),
    signature     UInt64,
    kb_version    LowCardinality(String),
    raw           String CODEC(ZSTD(3)),
    ocsf_event    JSON,
    INDEX idx_event_time event_time TYPE minmax GRANULARITY 1,
    INDEX idx_class class_uid TYPE set(256) GRANULARITY 4,
    INDEX idx_review needs_review TYPE set(2) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(classified_at)
PARTITION BY toYYYYMM(received_at)
ORDER BY (toStartOfHour(received_at), source, event_id)
SETTINGS non_replicated_deduplication_window = {DEDUP_WINDOW}"
    ))
}

/// `CREATE TABLE` for the analyst overrides table.
pub fn create_overrides(table: &str) -> Result<String, StoreError> {
    let t = check_identifier(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS `{t}`
(
    event_id    UUID,
    class_uid   UInt32,
    activity_id Nullable(Int32),
    who         LowCardinality(String),
    at          DateTime64(3, 'UTC') DEFAULT now64(3),
    note        String
)
ENGINE = ReplacingMergeTree(at)
ORDER BY event_id"
    ))
}

/// Migration 3: the overrides table learns shape corrections. `ADD COLUMN IF NOT EXISTS`
/// makes it idempotent; existing rows read as event overrides (signature 0, no raw).
pub fn alter_overrides_for_shapes(table: &str) -> Result<String, StoreError> {
    let t = check_identifier(table)?;
    Ok(format!(
        "ALTER TABLE `{t}`
    ADD COLUMN IF NOT EXISTS signature UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS source    LowCardinality(String) DEFAULT '',
    ADD COLUMN IF NOT EXISTS raw       String DEFAULT '' CODEC(ZSTD(3)),
    ADD COLUMN IF NOT EXISTS withdrawn Bool DEFAULT false"
    ))
}

/// Migration 4: kb-rebuild's runs.
pub fn create_builds(table: &str) -> Result<String, StoreError> {
    let t = check_identifier(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS `{t}`
(
    at                DateTime64(3, 'UTC'),
    outcome           LowCardinality(String),
    kb_version        String,
    overrides_through DateTime64(3, 'UTC'),
    reason            String
)
ENGINE = MergeTree
ORDER BY at
TTL toDateTime(at) + INTERVAL 90 DAY"
    ))
}

/// Migration 5: lake-export's ledger, one row per exported interval (the newest run wins):
/// the keys it wrote, so a re-run can remove what it no longer writes.
pub fn create_lake_exports(table: &str) -> Result<String, StoreError> {
    let t = check_identifier(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS `{t}`
(
    interval_start DateTime64(3, 'UTC'),
    interval_ms    UInt64,
    keys           Array(String),
    rows           UInt64,
    unrouted       UInt64,
    finished_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY (interval_ms, interval_start)"
    ))
}

/// The newest override row (withdrawals included): the watermark a rebuild records.
pub fn overrides_through_query(tables: &Tables) -> Result<String, StoreError> {
    let o = check_identifier(&tables.overrides)?;
    Ok(format!("SELECT toUnixTimestamp64Milli(max(at)) AS through_ms FROM `{o}`"))
}

/// The ledger of applied migrations (one row per applied statement, by checksum).
pub const MIGRATIONS_TABLE: &str = "ocsfmap_migrations";

pub fn create_migrations_table() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS `{MIGRATIONS_TABLE}`
(
    id         UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (id, checksum)"
    )
}

/// Overrides as labelled records, oldest first: the latest row per key, withdrawn ones
/// dropped, with the raw record from the row (shape corrections) or from the events table
/// (event overrides). Columns: `raw`, `class_uid`, `activity_id` (nullable), `source`.
/// Event overrides of events no longer stored are skipped.
pub fn overrides_query(tables: &Tables) -> Result<String, StoreError> {
    let e = check_identifier(&tables.events)?;
    let o = check_identifier(&tables.overrides)?;
    Ok(format!(
        "SELECT if(o.raw != '', o.raw, e.raw) AS raw, o.class_uid AS class_uid, o.activity_id AS activity_id, concat('override:', o.who) AS source
FROM
(
    SELECT event_id, class_uid, activity_id, who, at, raw, withdrawn
    FROM `{o}`
    ORDER BY event_id, at DESC
    LIMIT 1 BY event_id
) AS o
LEFT JOIN
(
    SELECT event_id, any(raw) AS raw
    FROM `{e}`
    WHERE event_id IN (SELECT event_id FROM `{o}` WHERE signature = 0)
    GROUP BY event_id
) AS e ON e.event_id = o.event_id
WHERE NOT o.withdrawn AND (o.raw != '' OR e.raw != '')
ORDER BY o.at, o.event_id
SETTINGS join_use_nulls = 0"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_names_the_table_and_keeps_the_dedup_key_envelope_only() {
        let sql = create_events("ev_1").unwrap();
        assert!(sql.starts_with("CREATE TABLE IF NOT EXISTS `ev_1`"));
        let order = sql.lines().find(|l| l.starts_with("ORDER BY")).unwrap();
        assert!(order.contains("event_id") && !order.contains("class_uid"), "{order}");
        assert!(sql.contains(&format!("non_replicated_deduplication_window = {DEDUP_WINDOW}")));
        assert!(create_overrides("ov").unwrap().contains("ORDER BY event_id"));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(create_events("x`; DROP TABLE y").is_err());
        let tables = Tables { events: "e".into(), overrides: "o v".into(), ..Tables::default() };
        assert!(overrides_query(&tables).is_err());
        assert!(overrides_query(&Tables::default()).unwrap().contains("FROM `overrides`"));
    }
}
