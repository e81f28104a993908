//! `lake-export` through its real binary and the Lambda Runtime API (issue #19): the dev
//! and dev2 records go through the real `classify` binary (events emitted in OCSF 1.3.0)
//! into ClickHouse; `lake-export` writes them to a LocalStack S3 bucket as Parquet in the
//! Security Lake custom-source layout; pyarrow reads every file, its column types are
//! checked against OCSF 1.3.0's and its rows, back in JSON, against the JSON Schema
//! `ocsf-json-schema` generates (`scripts/check-lake-parquet.py`). Then: a forced re-run, a
//! crash between writing the files and recording the interval, and a bucket that refuses
//! the write: the lake ends with each event exactly once.

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use ocsfmap::envelope::{Batch, Envelope};
use ocsfmap_tests::clickhouse::TestDatabase;
use ocsfmap_tests::{binaries, function_binary, localstack, FunctionProcess, InvokeError};
use serde_json::{json, Value};

use crate::classify::{base_kb, migrate, publish};

const VERSION: &str = "1.3.0";
const INTERVAL_MS: i64 = 300_000;

#[derive(serde::Deserialize)]
struct DevRecord {
    raw: String,
}

fn dev_records() -> Result<Vec<String>> {
    let shared = binaries::workspace_root().join("../shared/data");
    let mut out = Vec::new();
    for f in ["dev/corpus.jsonl", "dev/negatives.jsonl", "dev2/corpus.jsonl"] {
        let text = std::fs::read_to_string(shared.join(f)).with_context(|| f.to_string())?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            out.push(serde_json::from_str::<DevRecord>(line)?.raw);
        }
    }
    Ok(out)
}

/// An SQS event of batches of `per_message` envelopes.
fn sqs_event(records: &[String], per_message: usize) -> Value {
    let now = ocsfmap::pipeline::now_ms();
    let messages: Vec<Value> = records
        .chunks(per_message)
        .enumerate()
        .map(|(i, chunk)| {
            let batch = Batch {
                v: 1,
                records: chunk
                    .iter()
                    .map(|raw| Envelope {
                        event_id: uuid::Uuid::now_v7(),
                        received_at: now,
                        source: Some("dev".into()),
                        raw: raw.clone(),
                    })
                    .collect(),
            };
            json!({
                "messageId": format!("m-{i}"), "receiptHandle": format!("r-{i}"),
                "body": serde_json::to_string(&batch).unwrap_or_default(),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:lake-it",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": messages })
}

struct Rig {
    s3: aws_sdk_s3::Client,
    kb_bucket: String,
    lake_bucket: String,
    db: TestDatabase,
}

impl Rig {
    fn env(&self, sources: &str, lake_bucket: &str) -> Vec<(String, String)> {
        let mut env = localstack::function_env();
        env.extend(self.db.function_env());
        env.extend(
            [
                ("KB_BUCKET", self.kb_bucket.as_str()),
                ("OCSF_OUTPUT_VERSION", VERSION),
                ("LAKE_BUCKET", lake_bucket),
                ("LAKE_REGION", "eu-west-1"),
                ("LAKE_ACCOUNT_ID", "111122223333"),
                ("LAKE_SOURCES", sources),
                ("LAKE_INTERVAL_MINUTES", "5"),
                ("RUST_LOG", "info"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        env
    }

    async fn keys(&self) -> Result<Vec<String>> {
        localstack::list_keys(&self.s3, &self.lake_bucket, "ext/").await.map_err(Into::into)
    }

    /// Downloads every file and runs the independent check on them.
    async fn check(&self, dir: &std::path::Path) -> Result<Value> {
        let keys = self.keys().await?;
        let mut paths = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let bytes = localstack::get_object_bytes(&self.s3, &self.lake_bucket, k).await?;
            let p = dir.join(format!("{i}.parquet"));
            std::fs::write(&p, bytes)?;
            paths.push(p);
        }
        let script = binaries::workspace_root().join("scripts/check-lake-parquet.py");
        let out = Command::new("python3")
            .arg(&script)
            .args(["--version", VERSION])
            .args(&paths)
            .output()
            .context("python3 runs the Parquet check")?;
        ensure!(
            out.status.code() != Some(2),
            "the Parquet checker could not set itself up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("checker output: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

async fn export(f: &FunctionProcess, start_ms: i64) -> Result<Value, InvokeError> {
    let start = ocsfmap::store::review::iso_text(start_ms);
    f.invoke(json!({ "interval_start": start })).await
}

#[tokio::test]
async fn classified_events_land_in_the_lake_as_parquet_exactly_once() -> Result<()> {
    let s3 = localstack::s3_client().await?;
    let kb_bucket = localstack::create_bucket(&s3, "it-lake-kb").await?;
    let lake_bucket = localstack::create_bucket(&s3, "it-lake-data").await?;
    let db = TestDatabase::create("it_lake").await?;
    migrate(&db).await?;
    publish(&s3, &kb_bucket, base_kb().await?).await?;
    let exports = binaries::schema_path();
    let exports = exports.parent().context("export directory")?;
    let export_bytes = std::fs::read(ocsfmap::version::export_path(exports, VERSION)?)?;
    s3.put_object()
        .bucket(&kb_bucket)
        .key(format!("ocsf/exports/{VERSION}.json"))
        .body(export_bytes.into())
        .send()
        .await?;
    let rig = Rig { s3, kb_bucket, lake_bucket, db };

    // Classify every dev record with the real function, events in 1.3.0.
    let records = dev_records()?;
    let mut env = localstack::function_env();
    env.extend(rig.db.function_env());
    let cache = std::env::temp_dir().join(ocsfmap_tests::names::unique("lake-kb-cache"));
    env.extend(
        [
            ("KB_BUCKET", rig.kb_bucket.clone()),
            ("KB_CACHE_DIR", cache.display().to_string()),
            ("OCSF_OUTPUT_VERSION", VERSION.to_string()),
            ("CLASSIFY_THREADS", "2".into()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    let classify_bin = tokio::task::spawn_blocking(|| function_binary("classify")).await??;
    let classify =
        FunctionProcess::spawn(classify_bin, env).await?.with_timeout(Duration::from_secs(300));
    let before = ocsfmap::pipeline::now_ms();
    let resp =
        classify.invoke(sqs_event(&records, 200)).await.with_context(|| classify.log_tail())?;
    ensure!(resp["batchItemFailures"].as_array().is_none_or(Vec::is_empty), "{resp}");
    let after = ocsfmap::pipeline::now_ms();
    classify.stop().await;

    // Every class the events were emitted in gets a source; one class is left out to
    // check that unrouted events stay out of the lake.
    let classes: Vec<u32> = rig
        .db
        .client()
        .query("SELECT DISTINCT toUInt32(ocsf_event.class_uid) FROM events FINAL ORDER BY 1")
        .fetch_all()
        .await?;
    ensure!(classes.len() > 10, "{classes:?}");
    let left_out = classes[0];
    let sources: Vec<String> = classes.iter().skip(1).map(|c| format!("{c}=ocsfmap-{c}")).collect();
    let sources = sources.join(",");
    let routed: u64 = rig
        .db
        .client()
        .query("SELECT count() FROM events FINAL WHERE toUInt32(ocsf_event.class_uid) != ?")
        .bind(left_out)
        .fetch_one()
        .await?;

    let bin = tokio::task::spawn_blocking(|| function_binary("lake-export")).await??;
    let lake = FunctionProcess::spawn(&bin, rig.env(&sources, &rig.lake_bucket))
        .await?
        .with_timeout(Duration::from_secs(300));
    // The classification happened within [before, after]: its intervals.
    let first = before.div_euclid(INTERVAL_MS) * INTERVAL_MS;
    let intervals: Vec<i64> =
        (0..).map(|i| first + i * INTERVAL_MS).take_while(|s| *s <= after).collect();
    let mut exported = 0;
    for s in &intervals {
        let r = export(&lake, *s).await.map_err(|e| anyhow::anyhow!("{e}\n{}", lake.log_tail()))?;
        exported += r["intervals"][0]["rows"].as_u64().unwrap_or(0);
    }
    ensure!(exported == routed, "exported {exported} rows, {routed} routed");

    let dir = std::env::temp_dir().join(ocsfmap_tests::names::unique("lake-files"));
    std::fs::create_dir_all(&dir)?;
    let report = rig.check(&dir).await?;
    let keys = rig.keys().await?;
    eprintln!(
        "lake: {} files, {} rows, {} valid; type errors {}; first invalid {}",
        report["files"], report["rows"], report["valid"], report["type_errors"], report["invalid"]
    );
    ensure!(report["files"].as_u64() == Some(keys.len() as u64), "{report}");
    ensure!(report["rows"].as_u64() == Some(routed), "rows: {} of {routed}", report["rows"]);
    ensure!(
        report["type_errors"].as_array().is_some_and(Vec::is_empty),
        "{}",
        report["type_errors"]
    );
    let valid = report["valid"].as_u64().unwrap_or(0);
    ensure!(
        valid as f64 >= 0.99 * routed as f64,
        "valid {valid} of {routed}: {}",
        report["invalid"]
    );
    let uids: Vec<String> = report["uids"]
        .as_array()
        .map(|a| a.iter().filter_map(|u| u.as_str().map(String::from)).collect())
        .unwrap_or_default();
    ensure!(
        uids.len() as u64 == routed && uids.iter().collect::<HashSet<_>>().len() == uids.len(),
        "event ids missing or repeated"
    );
    for k in &keys {
        ensure!(
            k.starts_with("ext/ocsfmap-")
                && k.contains("/region=eu-west-1/accountId=111122223333/eventDay=")
                && k.ends_with(".zstd.parquet"),
            "{k}"
        );
        ensure!(!k.contains(&format!("ext/ocsfmap-{left_out}/")), "{k}");
    }

    // A forced re-run of every interval writes the same keys and no second copy.
    for s in &intervals {
        export(&lake, *s).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    ensure!(rig.keys().await? == keys, "a re-run wrote other keys");
    let again = rig.check(&dir).await?;
    ensure!(again["rows"].as_u64() == Some(routed), "after a re-run: {}", again["rows"]);

    // A crash between writing the files and recording the interval: the ledger is away
    // (renamed) when the run reaches it, after the files are written; the next run writes
    // the same keys again and records the interval.
    rig.db.client().query("RENAME TABLE lake_exports TO lake_exports_away").execute().await?;
    match export(&lake, intervals[0]).await {
        Err(InvokeError::Function { error_type, .. }) => {
            ensure!(!error_type.is_empty(), "the failed run reports its kind")
        }
        other => bail!("expected the run to fail at the ledger insert, got {other:?}"),
    }
    rig.db.client().query("RENAME TABLE lake_exports_away TO lake_exports").execute().await?;
    for s in &intervals {
        export(&lake, *s).await.map_err(|e| anyhow::anyhow!("{e}\n{}", lake.log_tail()))?;
    }
    ensure!(rig.keys().await? == keys);
    let after_crash = rig.check(&dir).await?;
    ensure!(
        after_crash["rows"].as_u64() == Some(routed),
        "after the crash: {}",
        after_crash["rows"]
    );
    lake.stop().await;

    // A bucket that refuses the write: the run fails retryable and records nothing.
    let ledger_before: u64 =
        rig.db.client().query("SELECT count() FROM lake_exports").fetch_one().await?;
    let refusing = FunctionProcess::spawn(&bin, rig.env(&sources, "it-lake-no-such-bucket"))
        .await?
        .with_timeout(Duration::from_secs(120));
    match export(&refusing, intervals[0]).await {
        Err(InvokeError::Function { error_type, error_message }) => ensure!(
            error_type.starts_with("Retry") && error_message.contains("PutObject"),
            "{error_type}: {error_message}"
        ),
        other => bail!("expected a retryable failure, got {other:?}"),
    }
    let ledger_after: u64 =
        rig.db.client().query("SELECT count() FROM lake_exports").fetch_one().await?;
    ensure!(ledger_after == ledger_before, "a failed run recorded an interval");
    refusing.stop().await;

    // Bad configuration: a class the version lacks, a malformed version.
    for (k, v, want) in [
        ("LAKE_SOURCES", "1009=scripts", "OCSF 1.3.0 has no class 1009"),
        ("OCSF_OUTPUT_VERSION", "1.3", "OCSF_OUTPUT_VERSION"),
    ] {
        let mut env = rig.env(&sources, &rig.lake_bucket);
        env.retain(|(n, _)| n != k);
        env.push((k.into(), v.into()));
        let f = FunctionProcess::spawn(&bin, env).await?;
        match f.invoke(json!({})).await {
            Err(InvokeError::Init { error_message, .. }) => {
                ensure!(error_message.contains(want), "{error_message}")
            }
            other => bail!("{k}={v}: expected an init error, got {other:?}"),
        }
    }

    let _ = localstack::delete_bucket(&rig.s3, &rig.lake_bucket).await;
    let _ = localstack::delete_bucket(&rig.s3, &rig.kb_bucket).await;
    let _ = rig.db.drop_database().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
