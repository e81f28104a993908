//! The shared [`Queue`] port implemented with SQS SendMessageBatch.

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use ocsfmap::ingest::{FailedEntry, Queue, QueueEntry, QueueError};

pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }
}

/// Error codes that no retry will fix.
const PERMANENT: &[&str] = &[
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "AccessDenied",
    "AccessDeniedException",
    "InvalidAddress",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSecurity",
    "AWS.SimpleQueueService.BatchRequestTooLong",
    "BatchRequestTooLong",
    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "TooManyEntriesInBatchRequest",
    "KmsAccessDenied",
    "KmsDisabled",
    "KmsNotFound",
];

impl Queue for SqsQueue {
    async fn send_batch(&self, entries: &[QueueEntry]) -> Result<Vec<FailedEntry>, QueueError> {
        let mut request = self.client.send_message_batch().queue_url(&self.queue_url);
        for e in entries {
            let entry = SendMessageBatchRequestEntry::builder()
                .id(&e.id)
                .message_body(&e.body)
                .build()
                .map_err(|err| QueueError::Permanent(err.to_string()))?;
            request = request.entries(entry);
        }
        let out = request.send().await.map_err(classify)?;
        let mut failed: Vec<FailedEntry> = out
            .failed()
            .iter()
            .map(|f| FailedEntry {
                id: f.id().to_string(),
                code: f.code().to_string(),
                sender_fault: f.sender_fault(),
            })
            .collect();
        // Anything neither confirmed nor reported failed is treated as failed.
        let confirmed = |id: &str| {
            out.successful().iter().any(|s| s.id() == id) || failed.iter().any(|f| f.id == id)
        };
        let unconfirmed: Vec<FailedEntry> = entries
            .iter()
            .filter(|e| !confirmed(&e.id))
            .map(|e| FailedEntry {
                id: e.id.clone(),
                code: "NotConfirmed".into(),
                sender_fault: false,
            })
            .collect();
        failed.extend(unconfirmed);
        Ok(failed)
    }
}

fn classify<E, R>(err: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown").to_string();
            let message = se.err().message().unwrap_or("").chars().take(200).collect::<String>();
            let text = if message.is_empty() { code.clone() } else { format!("{code}: {message}") };
            if PERMANENT.contains(&code.as_str()) {
                QueueError::Permanent(text)
            } else {
                QueueError::Transient(text)
            }
        }
        SdkError::ConstructionFailure(_) => QueueError::Permanent(describe(&err)),
        _ => QueueError::Transient(describe(&err)),
    }
}

/// The SDK's top-level message is terse ("dispatch failure"); include the source chain.
fn describe(err: &dyn std::error::Error) -> String {
    ocsfmap::text::error_chain(err).chars().take(300).collect()
}

/// The review API's rebuild requests: one small message per correction on kb-rebuild's
/// request queue, whose batching window turns a burst into one run.
pub struct SqsRebuildRequests {
    client: Client,
    queue_url: String,
}

impl SqsRebuildRequests {
    pub fn new(client: Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }
}

impl ocsfmap::review::RebuildRequests for SqsRebuildRequests {
    async fn request_rebuild(&self, reason: &str) -> Result<bool, String> {
        let body = serde_json::json!({"action": "rebuild", "reason": reason}).to_string();
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map(|_| true)
            .map_err(|e| match &e {
                SdkError::ServiceError(s) => {
                    format!(
                        "{}: {}",
                        s.err().code().unwrap_or("?"),
                        s.err().message().unwrap_or("")
                    )
                }
                other => other.to_string(),
            })
    }
}
