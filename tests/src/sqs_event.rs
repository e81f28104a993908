//! The SQS event Lambda's event source mapping sends for received messages.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::Message;
use serde_json::{json, Value};

/// The `{"Records": [...]}` event for `messages` received from the queue `queue_arn`.
pub fn from_messages(messages: &[Message], queue_arn: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attrs: BTreeMap<String, String> = m
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.as_str().to_string(), v.clone())).collect())
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attrs,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": crate::localstack::REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The message ids a partial batch response (`ReportBatchItemFailures`) reports as failed;
/// `None` when the response has no `batchItemFailures` list.
pub fn failed_ids(response: &Value) -> Option<std::collections::HashSet<String>> {
    Some(
        response["batchItemFailures"]
            .as_array()?
            .iter()
            .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
            .collect(),
    )
}

/// What Lambda does after a partial batch response: deletes every message not reported as
/// failed, so only the failed ones are redelivered.
pub async fn settle(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[Message],
    failed: &std::collections::HashSet<String>,
) -> crate::Result<()> {
    for m in messages {
        if failed.contains(m.message_id().unwrap_or_default()) {
            continue;
        }
        let handle = m.receipt_handle().ok_or_else(|| crate::Error::Aws {
            operation: "SQS DeleteMessage",
            message: format!("message {:?} has no receipt handle", m.message_id()),
        })?;
        sqs.delete_message()
            .queue_url(queue_url)
            .receipt_handle(handle)
            .send()
            .await
            .map_err(crate::aws_err("SQS DeleteMessage"))?;
    }
    Ok(())
}
