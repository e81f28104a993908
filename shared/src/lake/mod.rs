//! OCSF events as Parquet in the Amazon Security Lake custom-source layout.
//!
//! One OCSF class per custom source; each class's columns come from the events' OCSF
//! version ([`columns`]); each event is fitted to them ([`fit`]) and Arrow's JSON decoder
//! and Parquet writer (the `arrow`/`parquet` crates) do the rest ([`write`]). The keys are a
//! function of the export interval ([`layout`]), so writing an interval again replaces its
//! files. Built with the `lake` feature (the export function's; the others do not link
//! Arrow).

pub mod columns;
pub mod export;
pub mod fit;
pub mod layout;
pub mod write;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use columns::class_schema;
pub use columns::Depth;
pub use layout::{event_day, parse_sources, Layout, LayoutError};

use crate::event::Ev;
use crate::version::OutputVersion;

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("arrow: {0}")]
    Arrow(String),
    #[error("parquet: {0}")]
    Parquet(String),
    #[error("OCSF {version} has no class {class_uid}")]
    UnknownClass { version: String, class_uid: u32 },
}

impl LakeError {
    fn arrow(e: impl std::fmt::Display) -> Self {
        LakeError::Arrow(e.to_string())
    }
    fn parquet(e: impl std::fmt::Display) -> Self {
        LakeError::Parquet(e.to_string())
    }
}

/// One stored event, as the export reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct LakeEvent {
    /// The class of the event as emitted (`ocsf_event.class_uid`).
    pub class_uid: u32,
    /// The event's own `time` (epoch ms): its `eventDay`, and the file's sort order.
    pub time_ms: i64,
    /// The event as JSON, without `raw_data`.
    pub event: Value,
    /// The record as received; goes to `raw_data` unless the lake leaves it out.
    pub raw: String,
}

/// Options of the Parquet files.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileOptions {
    pub depth: Depth,
    /// Leave `raw_data` out (raw records can carry secrets the lake's readers should not see).
    pub omit_raw: bool,
}

/// What one interval's events become: a file per (source, day), each sorted by time.
#[derive(Debug, Default)]
pub struct Planned {
    /// (source, eventDay) → (class, events).
    pub files: BTreeMap<(String, String), (u32, Vec<LakeEvent>)>,
    /// Events whose class has no configured source (they stay in ClickHouse only).
    pub unrouted: usize,
}

/// Groups events by custom source and day.
pub fn plan(layout: &Layout, events: Vec<LakeEvent>) -> Planned {
    let mut out = Planned::default();
    for e in events {
        let Some(source) = layout.source(e.class_uid) else {
            out.unrouted += 1;
            continue;
        };
        let slot = out
            .files
            .entry((source.to_string(), event_day(e.time_ms)))
            .or_insert_with(|| (e.class_uid, Vec::new()));
        slot.1.push(e);
    }
    for (_, events) in out.files.values_mut() {
        // By time, then by the event's own id for a stable order among equal times.
        fn id(e: &LakeEvent) -> Option<&str> {
            e.event.pointer("/metadata/uid").and_then(Value::as_str)
        }
        events.sort_by(|a, b| a.time_ms.cmp(&b.time_ms).then_with(|| id(a).cmp(&id(b))));
    }
    out
}

/// One Parquet file of `class_uid` events in `version`'s columns. A source holds one
/// class, so every event must be of it.
pub fn parquet_file(
    version: &OutputVersion,
    class_uid: u32,
    events: &[LakeEvent],
    opts: FileOptions,
) -> Result<Vec<u8>, LakeError> {
    let target = version.target();
    let schema = class_schema(target, class_uid, opts.depth, opts.omit_raw)
        .ok_or_else(|| LakeError::UnknownClass { version: target.version.clone(), class_uid })?;
    let rows: Vec<Map<String, Value>> = events
        .iter()
        .map(|e| {
            // Held to the version once more: ClickHouse's JSON column keeps leaf paths only,
            // so an empty object the version requires (`http_request: {}`) comes back
            // missing; rewriting puts it back, and leaves an event already in the version as
            // it was.
            let mut ev = Ev::from(&e.event);
            version.convert(&mut ev, &[], e.time_ms);
            let mut m = match ev.to_value() {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            if !opts.omit_raw && !e.raw.is_empty() {
                m.insert("raw_data".into(), Value::String(e.raw.clone()));
            }
            fit::fit(m, schema.fields())
        })
        .collect();
    write::write(&schema, &rows)
}

#[cfg(test)]
mod tests;
