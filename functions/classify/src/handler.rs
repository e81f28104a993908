//! SQS event → pipeline → partial batch response.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Diagnostic, LambdaEvent};
use ocsfmap::blob::BlobStore;
use ocsfmap::failure::Disposition;
use ocsfmap::pipeline::{FailureReason, Processor, QueueMessage};
use ocsfmap::sink::EventSink;
use ocsfmap_edge::lambda::{diagnostic, failure_diagnostic};

/// Processes one SQS batch. Failed messages are listed by id (`ReportBatchItemFailures`);
/// an `Err` fails the whole batch, which SQS then redelivers in full; its error type says
/// whether waiting can fix it (`Retry.*`) or an operator must (`Permanent.*`).
pub async fn handle<S: BlobStore, K: EventSink>(
    processor: &Processor<S, K>,
    ev: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Diagnostic> {
    let deadline = deadline_instant(ev.context.deadline);
    let messages: Vec<QueueMessage> = ev
        .payload
        .records
        .into_iter()
        .map(|r| QueueMessage {
            id: r.message_id.unwrap_or_default(),
            receive_count: r.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()),
            body: r.body.unwrap_or_default(),
        })
        .collect();
    let out = processor.process(&messages, Some(deadline)).await.map_err(|e| {
        tracing::error!(error = %e, messages = messages.len(), "batch not processed: every message will be redelivered");
        failure_diagnostic("Pipeline", &e)
    })?;
    // A failure we cannot name would be deleted from the queue: fail the whole batch instead.
    if out.failures.iter().any(|f| f.message_id.is_empty()) {
        return Err(diagnostic(
            Disposition::Retry,
            "Batch",
            "a failed message has no message id; failing the whole batch so nothing is lost",
        ));
    }
    let malformed =
        out.failures.iter().filter(|f| matches!(f.reason, FailureReason::Malformed(_))).count();
    let permanent =
        out.failures.iter().filter(|f| f.reason.disposition() == Disposition::Permanent).count();
    tracing::info!(
        messages = messages.len(),
        stored_messages = out.stored_messages,
        rows = out.rows,
        duplicates = out.duplicates,
        malformed,
        failed = out.failures.len(),
        // Failures redelivery cannot fix: they will reach the dead-letter queue.
        failed_permanent = permanent,
        kb_version = out.kb_version.as_deref().unwrap_or(""),
        version_class_missing = out.version.class_missing,
        version_activity_missing = out.version.activity_missing,
        version_moved = out.version.moved,
        "batch done"
    );
    let mut response = SqsBatchResponse::default();
    for f in out.failures {
        response.add_failure(f.message_id);
    }
    Ok(response)
}

/// The invocation deadline (epoch ms) as an `Instant`.
fn deadline_instant(deadline_ms: u64) -> Instant {
    let now_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
