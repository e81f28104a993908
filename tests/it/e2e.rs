//! End to end through the real binaries: HTTP POSTs of 10,000 mixed-format records →
//! gateway → `ingest` → LocalStack SQS → `classify` → ClickHouse, every record present
//! exactly once with a class; then an S3 upload of a new example set → `kb-rebuild` (S3
//! notification) → a new KB version that `classify` uses on the next batch.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ocsfmap_tests::stack::{Stack, StackOptions};
use ocsfmap_tests::{binaries, poll};
use serde_json::Value;
use uuid::Uuid;

const RECORDS: usize = 10_000;
/// Records per HTTP request.
const PER_REQUEST: usize = 1_250;

/// Every record line of `events/samples/`: JSON lines and raw text lines of many formats
/// (syslog 3164/5424, CEF-like firewall lines, LEEF, Windows XML, access logs, W3C, Zeek
/// TSV, CSV). Header lines of the W3C, Zeek and CSV files are left out.
fn sample_records() -> Result<(Vec<String>, Vec<String>)> {
    let dir = binaries::workspace_root().join("events/samples");
    let mut names: Vec<_> =
        std::fs::read_dir(&dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    let (mut json, mut text) = (Vec::new(), Vec::new());
    for path in names {
        let content = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        let csv = path.extension().is_some_and(|x| x == "csv");
        for (i, line) in content.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') || (csv && i == 0) {
                continue;
            }
            if serde_json::from_str::<serde_json::Map<String, Value>>(line).is_ok() {
                json.push(line.to_string());
            } else {
                text.push(line.to_string());
            }
        }
    }
    ensure!(
        json.len() >= 3 && text.len() >= 15,
        "samples: {} JSON, {} text",
        json.len(),
        text.len()
    );
    Ok((json, text))
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data)?;
    Ok(enc.finish()?)
}

/// One request's body and headers, cycling through the four ways shippers send.
/// Headers and body of one request.
type Request = (Vec<(&'static str, &'static str)>, Vec<u8>);

fn request(i: usize, json: &[String], text: &[String], n: usize) -> Result<Request> {
    let pick = |pool: &[String], k: usize| pool[(i * PER_REQUEST + k) % pool.len()].clone();
    Ok(match i % 4 {
        // Vector's http sink: NDJSON, gzip.
        0 => {
            let body: Vec<String> = (0..n).map(|k| pick(json, k)).collect();
            (
                vec![("content-type", "application/x-ndjson"), ("content-encoding", "gzip")],
                gzip(body.join("\n").as_bytes())?,
            )
        }
        // Fluent Bit's http output, format json: an array.
        1 => {
            let body = format!("[{}]", (0..n).map(|k| pick(json, k)).collect::<Vec<_>>().join(","));
            (vec![("content-type", "application/json")], body.into_bytes())
        }
        // Raw lines.
        2 => {
            let body: Vec<String> = (0..n).map(|k| pick(text, k)).collect();
            (vec![("content-type", "text/plain")], body.join("\n").into_bytes())
        }
        _ => {
            let body: Vec<String> = (0..n).map(|k| pick(text, k)).collect();
            (
                vec![("content-type", "text/plain; charset=utf-8"), ("content-encoding", "gzip")],
                gzip(body.join("\n").as_bytes())?,
            )
        }
    })
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Row {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
    class_uid: u32,
    class_name: String,
    activity_id: i32,
    type_uid: i64,
    kb_version: String,
}

async fn rows(stack: &Stack) -> Result<Vec<Row>> {
    let client = ocsfmap_tests::clickhouse::client().await?.with_database(&stack.database);
    Ok(client
        .query("SELECT event_id, class_uid, class_name, activity_id, type_uid, kb_version FROM events FINAL")
        .fetch_all::<Row>()
        .await?)
}

async fn wait_for_rows(stack: &Stack, want: usize, within: Duration) -> Result<Vec<Row>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = rows(stack).await?;
        if got.len() >= want || tokio::time::Instant::now() > deadline {
            return Ok(got);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn ten_thousand_mixed_records_land_once_and_a_new_example_set_changes_the_kb() -> Result<()> {
    let stack = Stack::start(StackOptions::for_tests("it-e2e")).await?;
    let (json, text) = sample_records()?;

    // --- 10,000 records in, each accepted id out ----------------------------------------
    let mut ranges: Vec<(Uuid, Uuid, usize)> = Vec::new();
    let mut sent = 0;
    for i in 0.. {
        if sent == RECORDS {
            break;
        }
        let n = PER_REQUEST.min(RECORDS - sent);
        let (headers, body) = request(i, &json, &text, n)?;
        let (status, resp) = stack.post(&headers, &body).await?;
        ensure!(status == 202, "request {i}: {status} {resp}");
        ensure!(resp["accepted"] == n && resp["rejected_count"] == 0, "request {i}: {resp}");
        let id = |k: &str| {
            resp[k].as_str().and_then(|s| s.parse::<Uuid>().ok()).context(format!("{k} in {resp}"))
        };
        ranges.push((id("first_event_id")?, id("last_event_id")?, n));
        sent += n;
    }

    let got = wait_for_rows(&stack, RECORDS, Duration::from_secs(900)).await?;
    let dlq = ocsfmap_tests::localstack::queue_depth(&stack.sqs, &stack.queue.dlq.url).await?;
    ensure!(
        got.len() == RECORDS,
        "{} of {RECORDS} rows after 15 min (DLQ holds {dlq}); classify log:\n{}",
        got.len(),
        stack.classify.log_tail()
    );
    let ids: HashSet<Uuid> = got.iter().map(|r| r.event_id).collect();
    ensure!(ids.len() == RECORDS, "{} distinct event ids in {} rows", ids.len(), got.len());
    // Every row is one of the accepted ids: UUIDv7 ids of one request lie between its first
    // and last, and requests were sent one after another.
    for (first, last, n) in &ranges {
        let inside = got.iter().filter(|r| r.event_id >= *first && r.event_id <= *last).count();
        ensure!(inside == *n, "request {first}..{last}: {inside} rows for {n} accepted records");
    }
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got {
        ensure!(!r.class_name.is_empty(), "a row without a class name: class {}", r.class_uid);
        ensure!(
            r.type_uid == i64::from(r.class_uid) * 100 + i64::from(r.activity_id),
            "type_uid {}",
            r.type_uid
        );
        *classes.entry(format!("{} {}", r.class_uid, r.class_name)).or_default() += 1;
    }
    ensure!(classes.len() >= 6, "mixed formats should land in several classes: {classes:?}");
    ensure!(dlq == 0, "{dlq} messages in the DLQ");
    let v1 = stack.pointer().await?["content_hash"].as_str().context("pointer")?.to_string();
    ensure!(
        got.iter().all(|r| v1.starts_with(&r.kb_version)),
        "rows name the published KB version"
    );

    // --- a new example set → S3 notification → kb-rebuild → classify uses it -------------
    const GATE: &str = r#"{"gk_time":"2026-11-21T08:00:01Z","gk_reader":"lobby-3","gk_badge":"40213","gk_person":"jdoe","gk_decision":"granted","gk_door":"main entrance"}"#;
    let mut examples = String::new();
    for (i, person) in
        ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"].iter().enumerate()
    {
        for decision in ["granted", "denied"] {
            let raw = format!(
                r#"{{"gk_time":"2026-11-20T0{i}:00:00Z","gk_reader":"lobby-{i}","gk_badge":"4{i}00{i}","gk_person":"{person}","gk_decision":"{decision}","gk_door":"door {i}"}}"#
            );
            let line = serde_json::json!({"raw": raw, "class_uid": 3002, "activity_id": 1, "source": "acme-gatekeeper"});
            examples.push_str(&format!("{line}\n"));
        }
    }
    stack
        .s3
        .put_object()
        .bucket(&stack.bucket)
        .key("kb/sources/examples/acme gatekeeper.jsonl")
        .body(examples.into_bytes().into())
        .send()
        .await?;
    let v2 = poll::until(Duration::from_secs(600), Duration::from_secs(1), || async {
        let p = stack.pointer().await.ok()?;
        let hash = p["content_hash"].as_str()?.to_string();
        (hash != v1).then_some(hash)
    })
    .await
    .with_context(|| {
        format!(
            "no new KB version after the upload; kb-rebuild log:\n{}",
            stack.kb_rebuild.log_tail()
        )
    })?;

    let (status, resp) =
        stack.post(&[("content-type", "application/x-ndjson")], GATE.as_bytes()).await?;
    ensure!(status == 202, "{resp}");
    let got = wait_for_rows(&stack, RECORDS + 1, Duration::from_secs(120)).await?;
    let newest = got.iter().max_by_key(|r| r.event_id).context("rows")?;
    ensure!(
        v2.starts_with(&newest.kb_version),
        "the batch after the publish used {} instead of {v2}",
        newest.kb_version
    );
    ensure!(
        newest.class_uid == 3002,
        "the new examples decide badge logs: class {}",
        newest.class_uid
    );
    stack.destroy().await;
    Ok(())
}
