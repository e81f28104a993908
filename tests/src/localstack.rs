//! AWS SDK clients for LocalStack and helpers that create uniquely named
//! resources (buckets, queues with a dead-letter queue, event buses).
//!
//! LocalStack accepts any credentials; the account is `000000000000`.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use aws_sdk_sqs::types::{Message, QueueAttributeName};
use tokio::time::Instant;

use crate::{aws_err, names, services, Error, Result};

pub use crate::services::localstack_endpoint as endpoint;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT_ID: &str = "000000000000";
const ACCESS_KEY: &str = "test";
const SECRET_KEY: &str = "test";

/// Shared SDK configuration: LocalStack endpoint, region, test credentials and
/// bounded timeouts. Fails fast if LocalStack is not running.
pub async fn sdk_config() -> Result<SdkConfig> {
    services::require_localstack().await?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "ocsfmap-tests"))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .load()
        .await)
}

/// S3 client with path-style addressing (LocalStack has no per-bucket DNS).
pub async fn s3_client() -> Result<aws_sdk_s3::Client> {
    let config =
        aws_sdk_s3::config::Builder::from(&sdk_config().await?).force_path_style(true).build();
    Ok(aws_sdk_s3::Client::from_conf(config))
}

pub async fn sqs_client() -> Result<aws_sdk_sqs::Client> {
    Ok(aws_sdk_sqs::Client::new(&sdk_config().await?))
}

pub async fn eventbridge_client() -> Result<aws_sdk_eventbridge::Client> {
    Ok(aws_sdk_eventbridge::Client::new(&sdk_config().await?))
}

/// Environment for a function process (see [`crate::FunctionProcess`]) so that
/// its AWS SDK talks to LocalStack. The function must still turn on S3
/// path-style addressing itself when `AWS_ENDPOINT_URL` is set.
pub fn function_env() -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint()),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_DEFAULT_REGION", REGION.to_string()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

// --- S3 ------------------------------------------------------------------------

/// Creates a bucket named `<prefix>-<unique>` and returns its name.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, prefix: &str) -> Result<String> {
    let name = names::unique(prefix);
    s3.create_bucket().bucket(&name).send().await.map_err(aws_err("S3 CreateBucket"))?;
    Ok(name)
}

pub async fn get_object_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>> {
    let out =
        s3.get_object().bucket(bucket).key(key).send().await.map_err(aws_err("S3 GetObject"))?;
    let body = out.body.collect().await.map_err(aws_err("S3 GetObject body"))?;
    Ok(body.into_bytes().to_vec())
}

/// All keys under `prefix` (follows pagination).
pub async fn list_keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("S3 ListObjectsV2"))?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
    }
    Ok(keys)
}

/// Empties and deletes a bucket (for tests that clean up after themselves).
pub async fn delete_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    for key in list_keys(s3, bucket, "").await? {
        s3.delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(aws_err("S3 DeleteObject"))?;
    }
    s3.delete_bucket().bucket(bucket).send().await.map_err(aws_err("S3 DeleteBucket"))?;
    Ok(())
}

// --- SQS -----------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Queue {
    pub name: String,
    pub url: String,
    pub arn: String,
}

#[derive(Debug, Clone)]
pub struct QueueWithDlq {
    pub queue: Queue,
    pub dlq: Queue,
    /// Receives after which SQS moves a message to the DLQ.
    pub max_receive_count: u32,
}

/// Creates a standard queue named `<prefix>-<unique>`.
pub async fn create_queue(sqs: &aws_sdk_sqs::Client, prefix: &str) -> Result<Queue> {
    create_queue_with(sqs, prefix, HashMap::new()).await
}

/// Creates a queue and its dead-letter queue (`<name>-dlq`) joined by a
/// redrive policy: a message received `max_receive_count` times without
/// being deleted moves to the DLQ.
pub async fn create_queue_with_dlq(
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    max_receive_count: u32,
    visibility_timeout: Duration,
) -> Result<QueueWithDlq> {
    let dlq = create_queue(sqs, &format!("{prefix}-dlq")).await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq.arn,
        "maxReceiveCount": max_receive_count.to_string(),
    });
    let attributes = HashMap::from([
        (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        (QueueAttributeName::VisibilityTimeout, visibility_timeout.as_secs().to_string()),
    ]);
    let queue = create_queue_with(sqs, prefix, attributes).await?;
    Ok(QueueWithDlq { queue, dlq, max_receive_count })
}

async fn create_queue_with(
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<Queue> {
    let name = names::unique(prefix);
    let out = sqs
        .create_queue()
        .queue_name(&name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(aws_err("SQS CreateQueue"))?;
    let url = out.queue_url().unwrap_or_default().to_string();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(aws_err("SQS GetQueueAttributes"))?;
    let arn =
        attrs.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).cloned().ok_or_else(
            || Error::Aws {
                operation: "SQS GetQueueAttributes",
                message: format!("no QueueArn for {url}"),
            },
        )?;
    Ok(Queue { name, url, arn })
}

/// One receive call (long poll up to `wait`, at most 10 messages), with all
/// message attributes. Messages are not deleted.
pub async fn receive(sqs: &aws_sdk_sqs::Client, url: &str, wait: Duration) -> Result<Vec<Message>> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait.as_secs().min(20) as i32)
        .message_attribute_names("All")
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(aws_err("SQS ReceiveMessage"))?;
    Ok(out.messages.unwrap_or_default())
}

/// Receives and deletes messages until `expected` have arrived, or fails
/// after `timeout` saying how many did.
pub async fn receive_all(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    expected: usize,
    timeout: Duration,
) -> Result<Vec<Message>> {
    let started = Instant::now();
    let mut got = Vec::new();
    while got.len() < expected {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(Error::Missing {
                what: format!("messages on {url}"),
                expected,
                got: got.len(),
                after: started.elapsed(),
            });
        }
        let batch = receive(sqs, url, left.min(Duration::from_secs(1))).await?;
        for message in batch {
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map_err(aws_err("SQS DeleteMessage"))?;
            }
            got.push(message);
        }
    }
    Ok(got)
}

/// Approximate visible + in-flight message count.
pub async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<u64> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(aws_err("SQS GetQueueAttributes"))?;
    let attrs = out.attributes();
    let count = |name: QueueAttributeName| -> u64 {
        attrs.and_then(|a| a.get(&name)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    Ok(count(QueueAttributeName::ApproximateNumberOfMessages)
        + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
}

// --- EventBridge ---------------------------------------------------------------

/// An event bus whose rule forwards matching events to an SQS queue, so a test
/// can read what a function published.
#[derive(Debug, Clone)]
pub struct BusToQueue {
    pub bus_name: String,
    pub bus_arn: String,
    pub rule_name: String,
    pub queue: Queue,
}

/// Creates a bus, a queue and a rule with `event_pattern` (JSON) targeting
/// the queue. `{"source": [{"prefix": ""}]}` matches every event.
pub async fn bus_to_queue(
    eventbridge: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    event_pattern: &str,
) -> Result<BusToQueue> {
    let bus_name = names::unique(prefix);
    let bus = eventbridge
        .create_event_bus()
        .name(&bus_name)
        .send()
        .await
        .map_err(aws_err("EventBridge CreateEventBus"))?;
    let bus_arn = bus.event_bus_arn().unwrap_or_default().to_string();
    let queue = create_queue(sqs, &format!("{prefix}-events")).await?;
    let rule_name = names::unique(&format!("{prefix}-rule"));
    eventbridge
        .put_rule()
        .name(&rule_name)
        .event_bus_name(&bus_name)
        .event_pattern(event_pattern)
        .send()
        .await
        .map_err(aws_err("EventBridge PutRule"))?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("queue")
        .arn(&queue.arn)
        .build()
        .map_err(aws_err("EventBridge Target"))?;
    let out = eventbridge
        .put_targets()
        .rule(&rule_name)
        .event_bus_name(&bus_name)
        .targets(target)
        .send()
        .await
        .map_err(aws_err("EventBridge PutTargets"))?;
    if out.failed_entry_count() > 0 {
        return Err(Error::Aws {
            operation: "EventBridge PutTargets",
            message: format!("{:?}", out.failed_entries()),
        });
    }
    Ok(BusToQueue { bus_name, bus_arn, rule_name, queue })
}
