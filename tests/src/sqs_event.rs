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
