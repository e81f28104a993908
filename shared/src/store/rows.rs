//! One stored event and one analyst override, in plain Rust types (the edge maps them to
//! its client's row types; column order and types are in [`super::ddl`]).

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A classified record as stored in the events table.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Ingest's UUIDv7: the idempotency key from the front door to storage.
    pub event_id: Uuid,
    /// Milliseconds since the epoch when ingest accepted the record.
    pub received_at_ms: i64,
    /// When the event happened according to the record, else `received_at_ms`.
    pub event_time_ms: i64,
    /// When this row was produced; the newest classification of an event wins on merge.
    pub classified_at_ms: i64,
    /// The client's source hint, empty when none was given.
    pub source: String,
    /// Detected record format (`json`, `cef`, `syslog_rfc5424`, ...).
    pub format: String,
    pub class_uid: u32,
    pub class_name: String,
    pub category_uid: u32,
    pub activity_id: i32,
    pub type_uid: i64,
    pub confidence: f32,
    pub needs_review: bool,
    /// `override`, `search` or `nothing`.
    pub decided_by: String,
    /// Top candidate classes with their probabilities, best first.
    pub candidates: Vec<(u32, f32)>,
    /// Shape signature of the record.
    pub signature: u64,
    /// Version id of the knowledge base that decided.
    pub kb_version: String,
    pub raw: String,
    /// The OCSF event as JSON text.
    pub ocsf_event: String,
}

/// An analyst's correction of one stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideRow {
    pub event_id: Uuid,
    pub class_uid: u32,
    pub activity_id: Option<i32>,
    pub who: String,
    pub at_ms: i64,
    pub note: String,
}

/// The insert deduplication token for a set of rows: a hash of their sorted, distinct
/// event ids. The same events give the same token however SQS regroups or reorders the
/// messages that carried them, so a repeated insert of an already stored set is dropped by
/// the server (within the table's deduplication window) before any merge.
pub fn dedup_token(rows: &[EventRow]) -> String {
    let mut ids: Vec<&Uuid> = rows.iter().map(|r| &r.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut h = Sha256::new();
    for id in ids {
        h.update(id.as_bytes());
    }
    format!("ocsfmap-v1-{}", hex::encode(&h.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: Uuid) -> EventRow {
        EventRow {
            event_id: id,
            received_at_ms: 0,
            event_time_ms: 0,
            classified_at_ms: 0,
            source: String::new(),
            format: "json".into(),
            class_uid: 0,
            class_name: String::new(),
            category_uid: 0,
            activity_id: 0,
            type_uid: 0,
            confidence: 0.0,
            needs_review: true,
            decided_by: "nothing".into(),
            candidates: Vec::new(),
            signature: 0,
            kb_version: String::new(),
            raw: String::new(),
            ocsf_event: "{}".into(),
        }
    }

    #[test]
    fn token_depends_on_the_set_of_ids_only() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let t = dedup_token(&[row(a), row(b)]);
        assert_eq!(t, dedup_token(&[row(b), row(a)]));
        assert_eq!(t, dedup_token(&[row(b), row(a), row(a)]));
        let mut changed = row(a);
        changed.class_uid = 3002;
        assert_eq!(
            t,
            dedup_token(&[changed, row(b)]),
            "a re-classification is still the same events"
        );
        assert_ne!(t, dedup_token(&[row(a), row(b), row(c)]));
        assert_ne!(t, dedup_token(&[row(a)]));
        assert!(t.starts_with("ocsfmap-v1-") && t.len() == 11 + 32);
    }
}
