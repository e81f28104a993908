//! One envelope → one classified event: parse, classify, build the OCSF event.

use std::collections::HashSet;

use crate::envelope::Envelope;
use crate::event::EventContext;
use crate::parse;
use crate::sink::ClassifiedEvent;

use super::kb_holder::ActiveKb;

/// Classifies `env` with the active knowledge base. Never fails: a record nothing matches
/// still becomes a row (class 0, flagged for review).
pub fn build_row(kb: &ActiveKb, env: &Envelope, classified_at_ms: i64) -> ClassifiedEvent {
    let record = parse::parse(&env.raw);
    let d = kb.classifier.classify_record(&record);
    let ctx = EventContext {
        event_id: Some(env.event_id),
        received_at_ms: env.received_at,
        source: env.source.clone(),
    };
    let mut built = kb.mapper.build_raw(&env.raw, &record, &d, &ctx);
    // `time` is the record's own time, or the ingest time when it has none.
    let event_time_ms = built.event.get("time").and_then(|t| t.as_i64()).unwrap_or(env.received_at);
    // The raw record is stored once, in its own compressed column.
    if let Some(obj) = built.event.as_object_mut() {
        obj.remove("raw_data");
    }
    ClassifiedEvent {
        event_id: env.event_id,
        received_at_ms: env.received_at,
        event_time_ms,
        classified_at_ms,
        source: env.source.clone().unwrap_or_default(),
        format: d.format,
        class_uid: d.class_uid,
        class_name: d.class_name,
        category_uid: d.category_uid,
        activity_id: i32::try_from(d.activity_id).unwrap_or(0),
        type_uid: d.type_uid,
        confidence: d.confidence,
        needs_review: d.needs_review,
        decided_by: d.decided_by,
        candidates: d.candidates.iter().map(|c| (c.class_uid, c.score)).collect(),
        signature: d.signature,
        kb_version: kb.version().to_string(),
        raw: env.raw.clone(),
        ocsf_event: built.event.to_json(),
    }
}

/// Rows for `envelopes`, one per distinct event id (the first wins), sorted by event id so
/// that the same set of events always forms the same insert blocks. Spreads the work over
/// `threads` threads.
pub fn build_rows(
    kb: &ActiveKb,
    envelopes: Vec<Envelope>,
    threads: usize,
    classified_at_ms: i64,
) -> Result<(Vec<ClassifiedEvent>, usize), WorkerPanicked> {
    let before = envelopes.len();
    let mut seen = HashSet::with_capacity(before);
    let envelopes: Vec<Envelope> =
        envelopes.into_iter().filter(|e| seen.insert(e.event_id)).collect();
    let duplicates = before - envelopes.len();
    let threads = threads.clamp(1, 64);
    let mut rows: Vec<ClassifiedEvent> = if threads == 1 || envelopes.len() < 64 {
        envelopes.iter().map(|e| build_row(kb, e, classified_at_ms)).collect()
    } else {
        let chunk = envelopes.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = envelopes
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter().map(|e| build_row(kb, e, classified_at_ms)).collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(envelopes.len());
            for h in handles {
                all.extend(h.join().map_err(|_| WorkerPanicked)?);
            }
            Ok(all)
        })?
    };
    rows.sort_unstable_by_key(|r| r.event_id);
    Ok((rows, duplicates))
}

/// A classification thread panicked (a bug): the batch is failed, not half stored.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("a classification worker panicked")]
pub struct WorkerPanicked;
