//! Where classified events go, as the pipeline sees it.
//!
//! [`crate::pipeline::Processor`] hands every batch to one [`EventSink`] and reports the
//! batch's messages failed unless the sink says it kept them. A sink is ClickHouse's events
//! table today (`ocsfmap_edge::clickhouse::ClickHouseSink`); a second one (Parquet in S3)
//! plugs in beside it as `(ClickHouseSink, ParquetSink)` in the function's `main.rs`,
//! without touching the pipeline. Each sink maps [`ClassifiedEvent`] to its own layout.

use std::future::Future;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::classify::DecidedBy;
use crate::failure::{Disposition, Failure};
use crate::parse::Format;
use crate::signature::Signature;
use crate::store::StoreError;

/// One classified record, in the engine's own types.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifiedEvent {
    /// Ingest's UUIDv7: the idempotency key from the front door to every sink.
    pub event_id: Uuid,
    /// Milliseconds since the epoch when ingest accepted the record.
    pub received_at_ms: i64,
    /// When the event happened according to the record, else `received_at_ms`.
    pub event_time_ms: i64,
    /// When this classification was made; the newest one of an event wins.
    pub classified_at_ms: i64,
    /// The client's source hint, empty when none was given. Untrusted text.
    pub source: String,
    pub format: Format,
    pub class_uid: u32,
    pub class_name: String,
    pub category_uid: u32,
    pub activity_id: i32,
    pub type_uid: i64,
    pub confidence: f32,
    pub needs_review: bool,
    pub decided_by: DecidedBy,
    /// Top candidate classes with their probabilities, best first.
    pub candidates: Vec<(u32, f32)>,
    pub signature: Signature,
    /// Version id of the knowledge base that decided.
    pub kb_version: String,
    /// The record as received.
    pub raw: String,
    /// The OCSF event as JSON text, without `raw_data` (the record is [`Self::raw`]: a
    /// sink that wants it inside the event puts it back).
    pub ocsf_event: String,
}

/// Accepts batches of classified events.
pub trait EventSink: Send + Sync {
    /// Keeps `events` or fails as a whole. `dedup_token` identifies the set of events
    /// ([`dedup_token`]): a retried batch with the same token must not be kept twice.
    fn write_batch(
        &self,
        events: &[ClassifiedEvent],
        dedup_token: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Both sinks get every batch, concurrently; the batch is kept only when both kept it. A
/// retry after one of them failed goes to both again, which their deduplication by token
/// makes harmless.
impl<A: EventSink, B: EventSink> EventSink for (A, B) {
    async fn write_batch(&self, events: &[ClassifiedEvent], token: &str) -> Result<(), StoreError> {
        let (a, b) = futures_util::join!(
            self.0.write_batch(events, token),
            self.1.write_batch(events, token)
        );
        match (a, b) {
            (Ok(()), Ok(())) => Ok(()),
            // A retryable failure wins: the retry can fix it, and redoes the other too.
            (Err(x), Err(y)) if y.disposition() == Disposition::Retry => {
                tracing::warn!(error = %x, "the first sink failed too");
                Err(y)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }
}

/// A sink that is configured off keeps nothing and never fails.
impl<S: EventSink> EventSink for Option<S> {
    async fn write_batch(&self, events: &[ClassifiedEvent], token: &str) -> Result<(), StoreError> {
        match self {
            Some(s) => s.write_batch(events, token).await,
            None => Ok(()),
        }
    }
}

/// The deduplication token for a set of events: a hash of their sorted, distinct event
/// ids. The same events give the same token however SQS regroups or reorders the messages
/// that carried them, so a repeated write of an already kept set is dropped by the sink
/// (ClickHouse: within the table's deduplication window, before any merge).
pub fn dedup_token(events: &[ClassifiedEvent]) -> String {
    let mut ids: Vec<&Uuid> = events.iter().map(|r| &r.event_id).collect();
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
    use std::sync::Mutex;

    use super::*;

    pub(crate) fn event(id: Uuid) -> ClassifiedEvent {
        ClassifiedEvent {
            event_id: id,
            received_at_ms: 0,
            event_time_ms: 0,
            classified_at_ms: 0,
            source: String::new(),
            format: Format::Json,
            class_uid: 0,
            class_name: String::new(),
            category_uid: 0,
            activity_id: 0,
            type_uid: 0,
            confidence: 0.0,
            needs_review: true,
            decided_by: DecidedBy::Nothing,
            candidates: Vec::new(),
            signature: Signature::default(),
            kb_version: String::new(),
            raw: String::new(),
            ocsf_event: "{}".into(),
        }
    }

    #[test]
    fn token_depends_on_the_set_of_ids_only() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let t = dedup_token(&[event(a), event(b)]);
        assert_eq!(t, dedup_token(&[event(b), event(a)]));
        assert_eq!(t, dedup_token(&[event(b), event(a), event(a)]));
        let mut changed = event(a);
        changed.class_uid = 3002;
        assert_eq!(
            t,
            dedup_token(&[changed, event(b)]),
            "a re-classification is still the same events"
        );
        assert_ne!(t, dedup_token(&[event(a), event(b), event(c)]));
        assert_ne!(t, dedup_token(&[event(a)]));
        assert!(t.starts_with("ocsfmap-v1-") && t.len() == 11 + 32);
    }

    /// Records what it was given; fails with `fail` when set.
    #[derive(Default)]
    struct Recorder {
        kept: Mutex<Vec<String>>,
        fail: Option<StoreError>,
    }

    impl EventSink for Recorder {
        async fn write_batch(&self, e: &[ClassifiedEvent], token: &str) -> Result<(), StoreError> {
            if let Some(f) = &self.fail {
                return Err(f.clone());
            }
            self.kept.lock().unwrap().push(format!("{}:{token}", e.len()));
            Ok(())
        }
    }

    #[tokio::test]
    async fn two_sinks_both_get_the_batch_and_either_failure_fails_it() {
        let batch = [event(Uuid::now_v7())];
        let both = (Recorder::default(), Recorder::default());
        both.write_batch(&batch, "t").await.unwrap();
        assert_eq!(*both.0.kept.lock().unwrap(), ["1:t"]);
        assert_eq!(*both.1.kept.lock().unwrap(), ["1:t"]);

        let refused = StoreError::Rejected("no".into());
        let down = StoreError::Unavailable("down".into());
        let second_fails =
            (Recorder::default(), Recorder { fail: Some(refused.clone()), ..Default::default() });
        assert_eq!(second_fails.write_batch(&batch, "t").await, Err(refused.clone()));
        assert_eq!(second_fails.0.kept.lock().unwrap().len(), 1, "the first still wrote");
        let both_fail = (
            Recorder { fail: Some(refused), ..Default::default() },
            Recorder { fail: Some(down.clone()), ..Default::default() },
        );
        assert_eq!(both_fail.write_batch(&batch, "t").await, Err(down), "retryable wins");

        let off: Option<Recorder> = None;
        off.write_batch(&batch, "t").await.unwrap();
    }
}
