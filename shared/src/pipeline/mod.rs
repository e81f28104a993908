//! Queue batches → classified rows → one insert, independent of SQS and ClickHouse.
//!
//! [`Processor::process`] takes the delivered messages and reports which ones failed and
//! why. A malformed message fails on every delivery (the queue's redrive policy moves it to
//! the dead-letter queue) without holding back the others; a storage failure fails every
//! message whose rows were in the insert, so none is deleted from the queue and the retry,
//! carrying the same events, is deduplicated by the store.

pub mod kb_holder;
pub mod message;
mod rows;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use kb_holder::{ActiveKb, KbHolder, KbHolderConfig, KbUnavailable};
pub use message::{decode, Malformed, QueueMessage};
pub use rows::{build_row, build_rows, VersionCounts, WorkerPanicked};

use crate::blob::BlobStore;
use crate::envelope::Envelope;
use crate::failure::{Disposition, Failure};
use crate::sink::{dedup_token, EventSink};
use crate::store::StoreError;

#[derive(Debug, Clone)]
pub struct ProcessorConfig {
    /// Upper bound for one insert (the store's own timeouts should be at most this).
    pub insert_timeout: Duration,
    /// Kept free before the invocation deadline: an insert is cut short to leave it, so the
    /// function always answers (and reports failures) before it is killed.
    pub deadline_margin: Duration,
    /// Threads classifying a batch.
    pub threads: usize,
    /// The OCSF version events are emitted in; `None`: the KB's own.
    pub output: Option<Arc<crate::version::OutputVersion>>,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        ProcessorConfig {
            insert_timeout: Duration::from_secs(10),
            deadline_margin: Duration::from_millis(1500),
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            output: None,
        }
    }
}

/// Why a message is reported as failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// Not a batch: fails on every delivery until it reaches the dead-letter queue.
    Malformed(String),
    /// Its rows were not stored. Every such message is reported failed whatever the
    /// disposition (deleting it would lose its records); the disposition tells the operator
    /// whether redelivery can fix it or the dead-letter queue is where it will end.
    Storage { reason: String, disposition: Disposition },
}

impl FailureReason {
    pub fn disposition(&self) -> Disposition {
        match self {
            FailureReason::Malformed(_) => Disposition::Permanent,
            FailureReason::Storage { disposition, .. } => *disposition,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    pub message_id: String,
    pub reason: FailureReason,
}

/// What happened to one delivered batch of messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Messages to report as batch item failures (everything else may be deleted).
    pub failures: Vec<ItemFailure>,
    /// Rows sent in the insert (0 when nothing was inserted).
    pub rows: usize,
    /// Envelopes dropped because another envelope in the batch had the same event id.
    pub duplicates: usize,
    /// Messages whose rows were stored.
    pub stored_messages: usize,
    pub kb_version: Option<String>,
    pub dedup_token: Option<String>,
    /// What the output version changed in this batch's events.
    pub version: VersionCounts,
}

/// Batch failures that concern the whole invocation rather than single messages.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    NoKnowledgeBase(#[from] KbUnavailable),
}

impl Failure for PipelineError {
    fn disposition(&self) -> Disposition {
        match self {
            PipelineError::NoKnowledgeBase(e) => e.disposition(),
        }
    }
}

pub struct Processor<S, K> {
    kb: KbHolder<S>,
    sink: K,
    cfg: ProcessorConfig,
}

impl<S: BlobStore, K: EventSink> Processor<S, K> {
    pub fn new(kb: KbHolder<S>, sink: K, cfg: ProcessorConfig) -> Self {
        Processor { kb, sink, cfg }
    }

    pub fn kb(&self) -> &KbHolder<S> {
        &self.kb
    }

    pub fn sink(&self) -> &K {
        &self.sink
    }

    /// Processes one delivery. `deadline` is when the invocation is killed, if known.
    /// `Err` means nothing was attempted and the whole batch must be retried.
    pub async fn process(
        &self,
        messages: &[QueueMessage],
        deadline: Option<Instant>,
    ) -> Result<Outcome, PipelineError> {
        let mut out = Outcome::default();
        let mut good: Vec<&QueueMessage> = Vec::with_capacity(messages.len());
        let mut envelopes: Vec<Envelope> = Vec::new();
        for m in messages {
            match message::decode(&m.body) {
                Ok(batch) => {
                    good.push(m);
                    envelopes.extend(batch.records);
                }
                Err(e) => {
                    tracing::warn!(
                        message_id = %m.id,
                        receive_count = m.receive_count,
                        body_bytes = m.body.len(),
                        reason = %e,
                        "malformed queue message: reported as failed so the queue moves it to the dead-letter queue"
                    );
                    out.failures.push(ItemFailure {
                        message_id: m.id.clone(),
                        reason: FailureReason::Malformed(e.to_string()),
                    });
                }
            }
        }
        if good.is_empty() {
            return Ok(out);
        }
        let kb = self.kb.current().await?;
        out.kb_version = Some(kb.version().to_string());

        let threads = self.cfg.threads;
        let classified_at = now_ms();
        let kb2 = kb.clone();
        let output = self.cfg.output.clone();
        let built = tokio::task::spawn_blocking(move || {
            build_rows(&kb2, envelopes, threads, classified_at, output.as_deref())
        })
        .await;
        let (rows, duplicates, version) = match built {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Ok(fail_all(out, &good, e.to_string(), Disposition::Permanent)),
            Err(e) => {
                return Ok(fail_all(
                    out,
                    &good,
                    format!("classification task failed: {e}"),
                    Disposition::Permanent,
                ))
            }
        };
        out.duplicates = duplicates;
        out.version = version;
        if version.class_missing > 0 {
            // Counted per batch: an operator pinned to an older version sees what it costs.
            tracing::warn!(
                events = version.class_missing,
                ocsf_version = self.cfg.output.as_ref().map(|o| o.version()).unwrap_or(""),
                "events whose class the output OCSF version lacks were emitted as Base Events (original class under unmapped)"
            );
        }

        let token = dedup_token(&rows);
        let budget = match deadline {
            Some(d) => {
                d.saturating_duration_since(Instant::now()).saturating_sub(self.cfg.deadline_margin)
            }
            None => self.cfg.insert_timeout,
        }
        .min(self.cfg.insert_timeout);
        if budget < Duration::from_millis(100) {
            return Ok(fail_all(
                out,
                &good,
                "no time left before the invocation deadline to insert".into(),
                Disposition::Retry,
            ));
        }
        let started = Instant::now();
        let result = match tokio::time::timeout(budget, self.sink.write_batch(&rows, &token)).await
        {
            Ok(r) => r,
            Err(_) => Err(StoreError::Unavailable(format!("insert timed out after {budget:?}"))),
        };
        match result {
            Ok(()) => {
                tracing::info!(
                    rows = rows.len(),
                    messages = good.len(),
                    duplicates,
                    dedup_token = %token,
                    kb_version = kb.version(),
                    insert_ms = started.elapsed().as_millis() as u64,
                    "batch stored"
                );
                out.rows = rows.len();
                out.stored_messages = good.len();
                out.dedup_token = Some(token);
                Ok(out)
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    retryable = e.is_retryable(),
                    rows = rows.len(),
                    messages = good.len(),
                    dedup_token = %token,
                    "insert failed: every message of the insert is reported failed and will be redelivered"
                );
                out.dedup_token = Some(token);
                Ok(fail_all(out, &good, e.to_string(), e.disposition()))
            }
        }
    }
}

fn fail_all(
    mut out: Outcome,
    good: &[&QueueMessage],
    reason: String,
    disposition: Disposition,
) -> Outcome {
    out.failures.extend(good.iter().map(|m| ItemFailure {
        message_id: m.id.clone(),
        reason: FailureReason::Storage { reason: reason.clone(), disposition },
    }));
    out
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
