//! The harness itself, against the real services: S3 and SQS (with a DLQ)
//! and EventBridge through LocalStack, a MergeTree table through the
//! `clickhouse` crate, and a Lambda binary through the Runtime API.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use clickhouse::Row;
use ocsfmap_tests::clickhouse::TestDatabase;
use ocsfmap_tests::localstack::{self, QueueWithDlq};
use ocsfmap_tests::{poll, FunctionProcess, InvokeError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

// --- LocalStack ----------------------------------------------------------------

#[tokio::test]
async fn s3_put_get_list_delete() -> Result<()> {
    let s3 = localstack::s3_client().await?;
    let bucket = localstack::create_bucket(&s3, "harness-s3").await?;
    let body = b"{\"EventID\":4624}\n".repeat(1000);
    s3.put_object()
        .bucket(&bucket)
        .key("raw/2026/a.jsonl")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .context("PutObject")?;
    assert_eq!(localstack::get_object_bytes(&s3, &bucket, "raw/2026/a.jsonl").await?, body);
    assert_eq!(
        localstack::list_keys(&s3, &bucket, "raw/").await?,
        vec!["raw/2026/a.jsonl".to_string()]
    );
    assert!(localstack::get_object_bytes(&s3, &bucket, "raw/missing").await.is_err());
    localstack::delete_bucket(&s3, &bucket).await?;
    Ok(())
}

#[tokio::test]
async fn sqs_send_and_receive() -> Result<()> {
    let sqs = localstack::sqs_client().await?;
    let queue = localstack::create_queue(&sqs, "harness-sqs").await?;
    ensure!(queue.arn.ends_with(&queue.name), "arn {} does not name {}", queue.arn, queue.name);
    let sent: BTreeSet<String> = (0..5).map(|i| format!("{{\"n\":{i}}}")).collect();
    for body in &sent {
        sqs.send_message()
            .queue_url(&queue.url)
            .message_body(body)
            .send()
            .await
            .context("SendMessage")?;
    }
    let got =
        localstack::receive_all(&sqs, &queue.url, sent.len(), Duration::from_secs(20)).await?;
    let got: BTreeSet<String> = got.iter().filter_map(|m| m.body().map(str::to_string)).collect();
    assert_eq!(got, sent);
    // received messages were deleted: nothing is left
    assert!(localstack::receive(&sqs, &queue.url, Duration::from_secs(1)).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn sqs_dead_letters_after_max_receives() -> Result<()> {
    let sqs = localstack::sqs_client().await?;
    let QueueWithDlq { queue, dlq, max_receive_count } =
        localstack::create_queue_with_dlq(&sqs, "harness-dlq", 2, Duration::from_secs(30)).await?;
    sqs.send_message().queue_url(&queue.url).message_body("poison").send().await?;

    // Receive without deleting (a failing consumer); making the message
    // visible again at once instead of waiting out the visibility timeout.
    for attempt in 1..=max_receive_count {
        let message = poll::until(Duration::from_secs(15), Duration::from_millis(200), || async {
            localstack::receive(&sqs, &queue.url, Duration::from_secs(1))
                .await
                .ok()?
                .into_iter()
                .next()
        })
        .await
        .with_context(|| format!("receive #{attempt}"))?;
        assert_eq!(message.body(), Some("poison"));
        sqs.change_message_visibility()
            .queue_url(&queue.url)
            .receipt_handle(message.receipt_handle().unwrap_or_default())
            .visibility_timeout(0)
            .send()
            .await?;
    }

    // The next receive finds it over the limit and moves it to the DLQ.
    let dead = poll::until(Duration::from_secs(20), Duration::from_millis(200), || async {
        let again = localstack::receive(&sqs, &queue.url, Duration::from_secs(1)).await.ok()?;
        assert!(again.is_empty(), "message redelivered past maxReceiveCount: {again:?}");
        localstack::receive(&sqs, &dlq.url, Duration::from_secs(1)).await.ok()?.into_iter().next()
    })
    .await
    .context("message never reached the DLQ")?;
    assert_eq!(dead.body(), Some("poison"));
    assert_eq!(localstack::queue_depth(&sqs, &queue.url).await?, 0);
    Ok(())
}

#[tokio::test]
async fn eventbridge_rule_delivers_to_queue() -> Result<()> {
    let eventbridge = localstack::eventbridge_client().await?;
    let sqs = localstack::sqs_client().await?;
    let route = localstack::bus_to_queue(
        &eventbridge,
        &sqs,
        "harness-bus",
        r#"{"source":["ocsfmap.test"]}"#,
    )
    .await?;
    let entry = |source: &str, n: u32| {
        aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(&route.bus_name)
            .source(source)
            .detail_type("harness")
            .detail(json!({ "n": n }).to_string())
            .build()
    };
    let out = eventbridge
        .put_events()
        .entries(entry("ocsfmap.other", 1))
        .entries(entry("ocsfmap.test", 2))
        .send()
        .await?;
    assert_eq!(out.failed_entry_count(), 0);
    let got = localstack::receive_all(&sqs, &route.queue.url, 1, Duration::from_secs(20)).await?;
    let event: serde_json::Value = serde_json::from_str(got[0].body().unwrap_or_default())?;
    assert_eq!(
        (event["source"].as_str(), &event["detail"]),
        (Some("ocsfmap.test"), &json!({ "n": 2 }))
    );
    // the event that did not match the pattern was not delivered
    assert!(localstack::receive(&sqs, &route.queue.url, Duration::from_secs(1)).await?.is_empty());
    Ok(())
}

// --- ClickHouse ------------------------------------------------------------------

#[derive(Row, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct EventRow {
    id: u64,
    name: String,
    #[serde(with = "clickhouse::serde::time::datetime64::millis")]
    ts: OffsetDateTime,
    kind: String,
    note: Option<String>,
    tags: Vec<String>,
    #[serde(with = "clickhouse::serde::uuid")]
    uid: Uuid,
    score: f64,
    ok: bool,
}

fn row(i: u64) -> Result<EventRow> {
    Ok(EventRow {
        id: i,
        name: format!("event-{i}-é✓"),
        ts: OffsetDateTime::from_unix_timestamp_nanos(
            1_767_225_600_000_000_000 + i128::from(i) * 1_000_000,
        )?,
        kind: ["authentication", "network", "process"][(i % 3) as usize].to_string(),
        note: i.is_multiple_of(4).then(|| format!("note {i}")),
        tags: (0..i % 3).map(|t| format!("t{t}")).collect(),
        uid: Uuid::from_u128(u128::from(i) << 64 | 0xfeed),
        score: i as f64 / 8.0,
        ok: i.is_multiple_of(2),
    })
}

#[tokio::test]
async fn clickhouse_merge_tree_round_trip_10k_rows() -> Result<()> {
    let db = TestDatabase::create("harness").await?;
    let client = db.client();
    client
        .query(
            "CREATE TABLE events (
                id UInt64, name String, ts DateTime64(3, 'UTC'), kind LowCardinality(String),
                note Nullable(String), tags Array(String), uid UUID, score Float64, ok Bool
            ) ENGINE = MergeTree ORDER BY id",
        )
        .execute()
        .await?;

    let rows: Vec<EventRow> = (0..10_000).map(row).collect::<Result<_>>()?;
    let mut insert = client.insert::<EventRow>("events").await?;
    for r in &rows {
        insert.write(r).await?;
    }
    insert.end().await?;

    let count: u64 = client.query("SELECT count() FROM events").fetch_one().await?;
    assert_eq!(count, 10_000);
    let back =
        client.query("SELECT ?fields FROM events ORDER BY id").fetch_all::<EventRow>().await?;
    assert_eq!(back.len(), rows.len());
    if let Some((got, want)) = back.iter().zip(&rows).find(|(g, w)| g != w) {
        panic!("row differs:\n got {got:?}\nwant {want:?}");
    }
    let nulls: u64 = client.query("SELECT countIf(note IS NULL) FROM events").fetch_one().await?;
    assert_eq!(nulls, 7_500);

    // Validation is on: a struct whose types do not match the table is refused.
    #[derive(Row, Deserialize, Debug)]
    struct Wrong {
        #[allow(dead_code)]
        id: String,
    }
    let err =
        client.query("SELECT ?fields FROM events LIMIT 1").fetch_all::<Wrong>().await.unwrap_err();
    assert!(err.to_string().contains("id"), "{err}");
    // A server error arrives as ClickHouse's own text.
    let err = client.query("SELECT * FROM no_such_table").execute().await.unwrap_err();
    assert!(err.to_string().contains("UNKNOWN_TABLE"), "{err}");

    db.drop_database().await?;
    Ok(())
}

// --- Runtime API harness ------------------------------------------------------------

const ECHO: &str = env!("CARGO_BIN_EXE_echo-lambda");

#[tokio::test]
async fn echo_lambda_answers_like_lambda() -> Result<()> {
    let function = FunctionProcess::spawn(ECHO, [("RUST_LOG", "info")]).await?;
    let before_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let first = function.invoke(json!({ "hello": "world", "n": [1, 2] })).await?;
    assert_eq!(first["echo"], json!({ "hello": "world", "n": [1, 2] }));
    assert_eq!(first["function_name"], "echo-lambda");
    assert!(first["invoked_function_arn"]
        .as_str()
        .unwrap_or_default()
        .ends_with(":function:echo-lambda"));
    assert!(
        first["deadline_ms"].as_u64().unwrap_or_default() > before_ms,
        "deadline in the future"
    );
    // the same process serves the next invocation, with a new request id
    let second = function.invoke(json!("plain string")).await?;
    assert_eq!(second["echo"], "plain string");
    assert_ne!(first["request_id"], second["request_id"]);
    assert!(function.logs().contains("echoing"), "logs captured: {}", function.logs());
    Ok(())
}

#[tokio::test]
async fn echo_lambda_errors_surface_as_function_errors() -> Result<()> {
    let function = FunctionProcess::spawn(ECHO, Vec::<(String, String)>::new()).await?;
    match function.invoke(json!({ "fail": true, "reason": "bad record" })).await {
        Err(InvokeError::Function { error_type, error_message }) => {
            assert_eq!(error_type, "EchoFailure");
            assert!(error_message.contains("bad record"), "{error_message}");
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    // an error does not end the function
    assert_eq!(function.invoke(json!({ "after": "error" })).await?["echo"]["after"], "error");
    Ok(())
}

#[tokio::test]
async fn crashes_timeouts_and_init_failures_are_reported() -> Result<()> {
    let function = FunctionProcess::spawn(ECHO, Vec::<(String, String)>::new()).await?;
    match function.invoke(json!({ "exit": 3 })).await {
        Err(InvokeError::Exited { status, log_tail }) => {
            assert!(status.contains('3'), "{status}");
            assert!(log_tail.contains("exiting on request"), "{log_tail}");
        }
        other => panic!("expected an exit, got {other:?}"),
    }
    assert!(matches!(function.invoke(json!({})).await, Err(InvokeError::Exited { .. })));

    let slow = FunctionProcess::spawn(ECHO, Vec::<(String, String)>::new())
        .await?
        .with_timeout(Duration::from_secs(1));
    assert!(matches!(
        slow.invoke(json!({ "sleep_ms": 60_000 })).await,
        Err(InvokeError::Timeout { .. })
    ));
    let status = slow.stop().await;
    assert!(!status.is_empty());

    let broken = FunctionProcess::spawn(ECHO, [("ECHO_LAMBDA_EXIT_AT_INIT", "4")]).await?;
    match broken.invoke(json!({})).await {
        Err(InvokeError::Exited { status, .. }) => assert!(status.contains('4'), "{status}"),
        other => panic!("expected an init exit, got {other:?}"),
    }
    Ok(())
}
