//! One envelope → one classified event: parse, classify, build the OCSF event.

use std::collections::HashSet;

use crate::envelope::Envelope;
use crate::event::EventContext;
use crate::parse;
use crate::sink::ClassifiedEvent;
use crate::version::{Conversion, OutputVersion};

use super::kb_holder::ActiveKb;

/// What rewriting a batch's events to the output version did (all zero without one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VersionCounts {
    /// Events emitted as Base Events because the output version lacks their class.
    pub class_missing: usize,
    /// Events whose activity the output version's class lacks (emitted as Other).
    pub activity_missing: usize,
    /// Values moved to `unmapped` because the output version does not define them.
    pub moved: usize,
}

impl VersionCounts {
    fn add(&mut self, c: &Conversion) {
        self.class_missing += usize::from(c.class_missing.is_some());
        self.activity_missing += usize::from(c.activity_missing.is_some());
        self.moved += c.moved;
    }
}

/// Classifies `env` with the active knowledge base and builds its event, in `output`'s OCSF
/// version when given (the row's class stays the classifier's, in the KB's version). Never
/// fails: a record nothing matches still becomes a row (class 0, flagged for review).
pub fn build_row(
    kb: &ActiveKb,
    env: &Envelope,
    classified_at_ms: i64,
    output: Option<&OutputVersion>,
) -> (ClassifiedEvent, Conversion) {
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
    let conversion = match output {
        Some(o) => o.convert(&mut built.event, &built.mapped, env.received_at),
        None => Conversion::default(),
    };
    let row = ClassifiedEvent {
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
    };
    (row, conversion)
}

/// Rows for `envelopes`, one per distinct event id (the first wins), sorted by event id so
/// that the same set of events always forms the same insert blocks. Spreads the work over
/// `threads` threads. Returns the rows, the number of duplicates dropped, and what the
/// output version changed.
pub fn build_rows(
    kb: &ActiveKb,
    envelopes: Vec<Envelope>,
    threads: usize,
    classified_at_ms: i64,
    output: Option<&OutputVersion>,
) -> Result<(Vec<ClassifiedEvent>, usize, VersionCounts), WorkerPanicked> {
    let before = envelopes.len();
    let mut seen = HashSet::with_capacity(before);
    let envelopes: Vec<Envelope> =
        envelopes.into_iter().filter(|e| seen.insert(e.event_id)).collect();
    let duplicates = before - envelopes.len();
    let threads = threads.clamp(1, 64);
    let built: Vec<(ClassifiedEvent, Conversion)> = if threads == 1 || envelopes.len() < 64 {
        envelopes.iter().map(|e| build_row(kb, e, classified_at_ms, output)).collect()
    } else {
        let chunk = envelopes.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = envelopes
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|e| build_row(kb, e, classified_at_ms, output))
                            .collect::<Vec<_>>()
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
    let mut counts = VersionCounts::default();
    let mut rows: Vec<ClassifiedEvent> = built
        .into_iter()
        .map(|(row, c)| {
            counts.add(&c);
            row
        })
        .collect();
    rows.sort_unstable_by_key(|r| r.event_id);
    Ok((rows, duplicates, counts))
}

/// A classification thread panicked (a bug): the batch is failed, not half stored.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("a classification worker panicked")]
pub struct WorkerPanicked;
