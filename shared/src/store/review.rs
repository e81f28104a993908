//! What the review API asks of the event store, as SQL text over a tiny port ([`Sql`]).
//!
//! The edge implements [`Sql`] with a real ClickHouse client: it runs a statement with
//! server-side query parameters (`{name:Type}`, sent as `param_name`, never pasted into the
//! text) and hands back `JSONEachRow` lines. The SQL and the row types stay here, beside the
//! DDL they depend on, so the engine's tests and the edge read one definition.
//!
//! Cost on 1 million stored events (measured in BENCHMARKS.md): the queue aggregates the
//! window's `needs_review` rows by `(signature, source)` reading only small columns
//! (`signature`, `source`, `received_at`, the decision columns; not `raw` nor `ocsf_event`),
//! then the samples of the page's shapes only, found by `event_id` first so that `raw`
//! is read for the selected granules alone.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::{check_identifier, StoreError, Tables};
use crate::signature::Signature;

/// A server-side query parameter's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    U64(u64),
    I64(i64),
    U64s(Vec<u64>),
}

/// Runs SQL against the event store (the edge implements it with a ClickHouse client).
pub trait Sql: Send + Sync {
    /// A SELECT whose rows come back as JSON objects (ClickHouse's `JSONEachRow`, 64-bit
    /// integers unquoted).
    fn select(
        &self,
        sql: &str,
        params: &[(&str, Param)],
    ) -> impl Future<Output = Result<Vec<serde_json::Value>, StoreError>> + Send;

    /// An `INSERT INTO t (cols) FORMAT JSONEachRow` statement followed by these rows.
    fn insert_json(
        &self,
        table: &str,
        columns: &[&str],
        rows: &[serde_json::Value],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The review queue's filters and page position, already validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueQuery {
    pub days: u32,
    pub source: Option<String>,
    pub class_uid: Option<u32>,
    pub min_count: u32,
    pub include_corrected: bool,
    /// Rows to fetch (one more than the page, to know whether there is a next one).
    pub limit: u32,
    /// Keyset position: the last item of the previous page.
    pub after: Option<After>,
    /// Only this shape (the detail view).
    pub signature: Option<Signature>,
    /// Only records that need review (the queue); the detail view shows every record.
    pub only_review: bool,
}

/// Where the previous page ended, in the queue's order (count desc, signature, source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct After {
    pub count: u64,
    pub signature: Signature,
    pub source: String,
}

/// One shape of the queue: what classify stored for its newest record, and its extent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShapeRow {
    pub signature: Signature,
    pub source: String,
    pub format: String,
    pub count: u64,
    #[serde(rename = "seen_first")]
    pub first_seen: String,
    #[serde(rename = "seen_last")]
    pub last_seen: String,
    pub class_uid: u32,
    pub class_name: String,
    pub activity_id: i32,
    pub confidence: f32,
    pub decided_by: String,
    pub kb_version: String,
    pub candidates: Vec<(u32, f32)>,
}

/// A stored record of a shape.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SampleRow {
    pub signature: Signature,
    pub source: String,
    #[serde(rename = "event_id_text")]
    pub event_id: String,
    #[serde(rename = "received_text")]
    pub received_at: String,
    pub raw: String,
    /// The stored OCSF event as JSON text (detail view only; empty otherwise).
    #[serde(default, rename = "event_json")]
    pub ocsf_event: String,
}

/// A shape's records in the window, all sources together, and its newest raw record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShapeExtent {
    pub signature: Signature,
    pub source: String,
    pub count: u64,
    pub raw: String,
    pub class_uid: u32,
    pub activity_id: i32,
}

/// The latest correction row of a shape (withdrawn or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectionRow {
    pub signature: Signature,
    pub source: String,
    pub class_uid: u32,
    pub activity_id: Option<i32>,
    pub who: String,
    pub at_ms: i64,
    pub note: String,
    pub withdrawn: bool,
}

/// One kb-rebuild run, as recorded in the builds table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildRow {
    pub at_ms: i64,
    /// `published`, `same_content`, `unchanged` or `refused`.
    pub outcome: String,
    /// The serving version after the run (the candidate's hash when refused).
    pub kb_version: String,
    /// The newest override row the run read (0: none).
    pub overrides_through_ms: i64,
    pub reason: String,
}

/// Events per class per hour, for the dashboard.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HourClassRow {
    pub hour: String,
    pub class_uid: u32,
    pub class_name: String,
    pub records: u64,
    #[serde(rename = "needing_review")]
    pub needs_review: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SourceRow {
    pub source: String,
    pub records: u64,
    #[serde(rename = "needing_review")]
    pub needs_review: u64,
}

const ISO: &str = "'%Y-%m-%dT%H:%i:%SZ'";
/// The signature as the API spells it: 16 lower-case hex digits.
const SIG_HEX: &str = "leftPad(lower(hex(signature)), 16, '0')";

fn params_for_queue(q: &QueueQuery) -> Vec<(&'static str, Param)> {
    let after = q.after.clone().unwrap_or(After {
        count: 0,
        signature: Signature(0),
        source: String::new(),
    });
    vec![
        ("days", Param::U64(q.days.into())),
        ("source", Param::Str(q.source.clone().unwrap_or_default())),
        ("class_uid", Param::U64(q.class_uid.unwrap_or(0).into())),
        ("include_corrected", Param::U64(q.include_corrected.into())),
        ("min_count", Param::U64(q.min_count.into())),
        ("has_after", Param::U64(q.after.is_some().into())),
        ("after_count", Param::U64(after.count)),
        ("after_sig", Param::Str(after.signature.to_string())),
        ("after_source", Param::Str(after.source)),
        ("limit", Param::U64(q.limit.into())),
        ("one_sig", Param::U64(q.signature.map_or(0, |s| s.0))),
        ("has_sig", Param::U64(q.signature.is_some().into())),
        ("only_review", Param::U64(q.only_review.into())),
    ]
}

/// The queue: shapes with records needing review in the window, most records first.
pub fn queue_sql(t: &Tables) -> Result<String, StoreError> {
    let e = check_identifier(&t.events)?;
    let o = check_identifier(&t.overrides)?;
    Ok(format!(
        "SELECT {SIG_HEX} AS signature_hex, source, argMax(format, received_at) AS last_format,
    count() AS n,
    formatDateTime(min(received_at), {ISO}) AS seen_first,
    formatDateTime(max(received_at), {ISO}) AS seen_last,
    argMax(class_uid, received_at) AS last_class_uid, argMax(class_name, received_at) AS last_class_name,
    argMax(activity_id, received_at) AS last_activity_id, argMax(confidence, received_at) AS last_confidence,
    argMax(decided_by, received_at) AS last_decided_by, argMax(kb_version, received_at) AS last_kb_version,
    argMax(candidates, received_at) AS last_candidates
FROM
(
    -- The filters in a subquery: the aggregates' names above must not shadow its columns.
    SELECT signature, source, format, received_at, class_uid, class_name, activity_id,
        confidence, decided_by, kb_version, candidates
    FROM `{e}`
    WHERE received_at >= now64(3) - toIntervalDay({{days:UInt64}})
        AND ({{only_review:UInt64}} = 0 OR needs_review)
        AND ({{has_sig:UInt64}} = 0 OR signature = {{one_sig:UInt64}})
        AND ({{source:String}} = '' OR source = {{source:String}})
        AND ({{class_uid:UInt64}} = 0 OR class_uid = {{class_uid:UInt64}})
        AND ({{include_corrected:UInt64}} = 1 OR signature NOT IN (
            SELECT signature FROM
                (SELECT signature, withdrawn FROM `{o}` WHERE signature != 0 ORDER BY at DESC LIMIT 1 BY event_id)
            WHERE NOT withdrawn))
)
GROUP BY signature, source
HAVING n >= {{min_count:UInt64}}
    AND ({{has_after:UInt64}} = 0 OR n < {{after_count:UInt64}}
         OR (n = {{after_count:UInt64}} AND (signature_hex, source) > ({{after_sig:String}}, {{after_source:String}})))
ORDER BY n DESC, signature_hex, source
LIMIT {{limit:UInt64}}"
    ))
}

/// Up to `per` newest records of each listed shape in the window; `with_event` adds the
/// stored OCSF event.
pub fn samples_sql(t: &Tables, with_event: bool) -> Result<String, StoreError> {
    let e = check_identifier(&t.events)?;
    let event = if with_event { ", toString(ocsf_event) AS event_json" } else { "" };
    Ok(format!(
        "SELECT {SIG_HEX} AS signature_hex, source, toString(event_id) AS event_id_text,
    formatDateTime(received_at, {ISO}) AS received_text, raw{event}
FROM `{e}`
WHERE event_id IN (
    SELECT event_id FROM `{e}`
    WHERE received_at >= now64(3) - toIntervalDay({{days:UInt64}}) AND signature IN {{sigs:Array(UInt64)}}
    ORDER BY received_at DESC
    LIMIT {{per:UInt64}} BY signature, source)
ORDER BY signature_hex, source, received_text DESC
LIMIT {{per:UInt64}} BY signature_hex, source"
    ))
}

/// The shapes of the listed signatures in the window: records (all sources), newest raw.
pub fn extent_sql(t: &Tables) -> Result<String, StoreError> {
    let e = check_identifier(&t.events)?;
    Ok(format!(
        "SELECT {SIG_HEX} AS signature_hex, argMax(source, received_at) AS last_source, count() AS n,
    argMax(raw, received_at) AS last_raw, argMax(class_uid, received_at) AS last_class_uid,
    argMax(activity_id, received_at) AS last_activity_id
FROM
(
    SELECT signature, source, received_at, raw, class_uid, activity_id
    FROM `{e}`
    WHERE received_at >= now64(3) - toIntervalDay({{days:UInt64}}) AND signature IN {{sigs:Array(UInt64)}}
)
GROUP BY signature"
    ))
}

/// The shape of one stored event.
pub fn event_shape_sql(t: &Tables) -> Result<String, StoreError> {
    let e = check_identifier(&t.events)?;
    Ok(format!(
        "SELECT {SIG_HEX} AS signature_hex FROM `{e}` WHERE event_id = toUUIDOrZero({{event_id:String}}) LIMIT 1"
    ))
}

/// The latest correction row of each shape (all shapes when `sigs` is empty).
pub fn corrections_sql(t: &Tables) -> Result<String, StoreError> {
    let o = check_identifier(&t.overrides)?;
    Ok(format!(
        "SELECT {SIG_HEX} AS signature_hex, source, class_uid, activity_id, who,
    toUnixTimestamp64Milli(at) AS at_ms, note, withdrawn
FROM `{o}`
WHERE signature != 0 AND (empty({{sigs:Array(UInt64)}}) OR signature IN {{sigs:Array(UInt64)}})
ORDER BY at DESC
LIMIT 1 BY event_id"
    ))
}

/// The most recent kb-rebuild runs, newest first.
pub fn builds_sql(t: &Tables) -> Result<String, StoreError> {
    let b = check_identifier(&t.builds)?;
    Ok(format!(
        "SELECT toUnixTimestamp64Milli(at) AS at_ms, outcome, kb_version,
    toUnixTimestamp64Milli(overrides_through) AS overrides_through_ms, reason
FROM `{b}` ORDER BY at DESC LIMIT 50"
    ))
}

/// Records per class per hour over the last 24 hours.
pub fn hourly_sql(t: &Tables) -> Result<String, StoreError> {
    let e = check_identifier(&t.events)?;
    Ok(format!(
        "SELECT formatDateTime(toStartOfHour(received_at), {ISO}) AS hour, class_uid,
    any(class_name) AS class_name, count() AS records, countIf(needs_review) AS needing_review
FROM `{e}`
WHERE received_at >= toStartOfHour(now64(3)) - toIntervalHour(23)
GROUP BY hour, class_uid
ORDER BY hour, class_uid"
    ))
}

/// The busiest sources over the last 24 hours.
pub fn top_sources_sql(t: &Tables) -> Result<String, StoreError> {
    let e = check_identifier(&t.events)?;
    Ok(format!(
        "SELECT source, count() AS records, countIf(needs_review) AS needing_review
FROM `{e}`
WHERE received_at >= toStartOfHour(now64(3)) - toIntervalHour(23)
GROUP BY source ORDER BY records DESC, source LIMIT 10"
    ))
}

/// Columns of a correction row in the overrides table (after migration 3).
pub const CORRECTION_COLUMNS: [&str; 10] = [
    "event_id",
    "class_uid",
    "activity_id",
    "who",
    "at",
    "note",
    "signature",
    "source",
    "raw",
    "withdrawn",
];

/// A correction row for the overrides table (columns [`CORRECTION_COLUMNS`], as
/// `JSONEachRow`), keyed by the shape ([`shape_key`]); `raw` is the shape's representative
/// record (empty for a withdrawal).
pub fn correction_insert_row(c: &CorrectionRow, raw: &str) -> serde_json::Value {
    serde_json::json!({
        "event_id": shape_key(c.signature).to_string(),
        "class_uid": c.class_uid,
        "activity_id": c.activity_id,
        "who": c.who,
        "at": datetime_text(c.at_ms),
        "note": c.note,
        "signature": c.signature.0,
        "source": c.source,
        "raw": raw,
        "withdrawn": c.withdrawn,
    })
}

/// Columns of a builds-table row.
pub const BUILD_COLUMNS: [&str; 5] = ["at", "outcome", "kb_version", "overrides_through", "reason"];

/// `2026-12-07 10:00:00.123`: how a DateTime64(3) reads from JSON input.
pub fn datetime_text(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// RFC 3339 in UTC, to the second (how the API spells instants).
pub fn iso_text(ms: i64) -> String {
    let mut s = datetime_text(ms);
    s.truncate(19);
    s.replace_range(10..11, "T");
    s.push('Z');
    s
}

/// Shape corrections are keyed in the overrides table (`ORDER BY event_id`, latest row
/// wins) by an id derived from the signature: a UUIDv8, so it can never equal an event's
/// UUIDv7, and the same shape always maps to the same key.
pub fn shape_key(signature: Signature) -> uuid::Uuid {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(b"ocsfshap");
    b[8..].copy_from_slice(&signature.0.to_be_bytes());
    uuid::Uuid::new_v8(b)
}

/// Decodes rows, naming the query when one does not fit its type.
pub fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    rows: Vec<serde_json::Value>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter()
        .map(|mut v| {
            // The SQL spells signatures as hex under another name (an alias named
            // `signature` would shadow the column in WHERE and GROUP BY).
            // Aggregates are named `last_x` (the value of the newest record) so that they do
            // not shadow the column `x`.
            if let Some(obj) = v.as_object_mut() {
                let renamed: Vec<(String, serde_json::Value)> = std::mem::take(obj)
                    .into_iter()
                    .map(|(k, v)| {
                        let k = match k.as_str() {
                            "signature_hex" => "signature".to_string(),
                            "n" => "count".to_string(),
                            _ => k.strip_prefix("last_").unwrap_or(&k).to_string(),
                        };
                        (k, v)
                    })
                    .collect();
                obj.extend(renamed);
            }
            serde_json::from_value(v)
                .map_err(|e| StoreError::Rejected(format!("{what}: unexpected row: {e}")))
        })
        .collect()
}

/// The query parameters of [`queue_sql`].
pub fn queue_params(q: &QueueQuery) -> Vec<(&'static str, Param)> {
    params_for_queue(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_keys_are_stable_v8_and_distinct() {
        let a = shape_key(Signature(1));
        assert_eq!(a, shape_key(Signature(1)));
        assert_ne!(a, shape_key(Signature(2)));
        assert_eq!(a.get_version_num(), 8);
        assert_ne!(uuid::Uuid::now_v7().get_version_num(), 8);
    }

    #[test]
    fn times_spell_as_clickhouse_and_rfc3339() {
        assert_eq!(datetime_text(1_765_104_000_123), "2025-12-07 10:40:00.123");
        assert_eq!(iso_text(1_765_104_000_123), "2025-12-07T10:40:00Z");
    }

    #[test]
    fn sql_names_the_tables_and_takes_values_as_parameters_only() {
        let t = Tables::default();
        let q = queue_sql(&t).unwrap();
        assert!(q.contains("FROM `events`") && q.contains("FROM `overrides`"));
        // Values never go into the text: every filter is a server-side parameter.
        for p in queue_params(&QueueQuery::default()) {
            assert!(q.contains(&format!("{{{}:", p.0)), "{} unused", p.0);
        }
        let bad = Tables { events: "e; DROP".into(), ..Tables::default() };
        assert!(queue_sql(&bad).is_err() && samples_sql(&bad, true).is_err());
    }

    #[test]
    fn rows_decode_with_hex_signatures() {
        let rows = vec![serde_json::json!({
            "signature_hex": "00000000000000ff", "source": "s", "count": 3, "raw": "x",
            "class_uid": 1001, "activity_id": 1
        })];
        let got: Vec<ShapeExtent> = decode("extent", rows).unwrap();
        assert_eq!(got[0].signature, Signature(255));
        let bad: Result<Vec<ShapeExtent>, _> = decode("extent", vec![serde_json::json!({})]);
        assert!(bad.unwrap_err().to_string().contains("extent"));
    }
}
