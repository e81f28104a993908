//! Throughput of the classify handler's work for one 10,000-record batch: decode the queue
//! messages, parse, classify, build rows and OCSF events, and insert into a real ClickHouse
//! (`CLICKHOUSE_URL`, default http://127.0.0.1:8123). Also the init time: knowledge base
//! download (from a directory store) + decode + index.
//!
//!     cargo bench -p classify --bench handler
//!     /usr/bin/time -v target/release/deps/handler-<hash> --bench     # peak memory
//!
//! Environment: `BENCH_RECORDS` (10000), `BENCH_THREADS` (1: the per-core figure),
//! `OCSF_SCHEMA`, `BENCH_CORPUS` (JSONL with a `raw` field; default the dev corpus).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ocsfmap::blob::{BlobStore, FsBlobStore, PutCondition};
use ocsfmap::envelope::{Batch, Envelope};
use ocsfmap::kb::pointer::Pointer;
use ocsfmap::kb::sources::read_paths;
use ocsfmap::kb::{self, artifact};
use ocsfmap::pipeline::{
    build_rows, KbHolder, KbHolderConfig, Processor, ProcessorConfig, QueueMessage,
};
use ocsfmap::schema::Schema;
use ocsfmap::sink::{dedup_token, EventSink};
use ocsfmap_edge::clickhouse::{migrate, ClickHouseConfig, ClickHouseSink};
use ocsfmap_edge::env::Env;

type R<T> = Result<T, Box<dyn std::error::Error>>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Raw records of the corpus, cycled to `n` envelopes with fresh ids.
fn envelopes(n: usize) -> R<Vec<Envelope>> {
    let path = env_or(
        "BENCH_CORPUS",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/dev/corpus.jsonl"),
    );
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let raws: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("raw").and_then(|r| r.as_str()).map(str::to_string))
        .collect();
    if raws.is_empty() {
        return Err(format!("{path}: no records").into());
    }
    let now = 1_715_681_040_000;
    Ok((0..n)
        .map(|i| Envelope {
            event_id: uuid::Uuid::now_v7(),
            received_at: now + i as i64,
            source: Some("bench".into()),
            raw: raws[i % raws.len()].clone(),
        })
        .collect())
}

/// Packs envelopes into ≤ 256 KB message bodies, as ingest does.
fn messages(envs: &[Envelope]) -> Vec<QueueMessage> {
    let mut out = Vec::new();
    let mut cur: Vec<Envelope> = Vec::new();
    let mut size = 0;
    for e in envs {
        let len = e.raw.len() + 120;
        if size + len > 250_000 && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            size = 0;
        }
        size += len;
        cur.push(e.clone());
    }
    out.push(cur);
    out.into_iter()
        .enumerate()
        .map(|(i, records)| QueueMessage {
            id: format!("m{i}"),
            body: serde_json::to_string(&Batch { v: 1, records }).unwrap_or_default(),
            receive_count: Some(1),
        })
        .collect()
}

fn rate(n: usize, d: Duration) -> String {
    format!("{:>8.0} records/s ({:>7.1} ms)", n as f64 / d.as_secs_f64(), d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() -> R<()> {
    // `cargo bench` passes --bench; anything else (e.g. `cargo test --benches`) is a smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = env_or("BENCH_RECORDS", if full { "10000" } else { "200" }).parse()?;
    let threads: usize = env_or("BENCH_THREADS", "1").parse()?;

    // Build and publish a lexical KB from the repository's knowledge (not timed: kb-rebuild's job).
    let schema = Schema::load(&PathBuf::from(env_or(
        "OCSF_SCHEMA",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/ocsf-schema/ocsf-schema-1.8.0.json"
        ),
    )))?;
    let inputs = read_paths(&[workspace().join("knowledge")])?;
    let body = kb::build(schema, inputs.into())?;
    let (bytes, header) = artifact::to_bytes(&body)?;
    let store_dir = tempfile::tempdir()?;
    let cache_dir = tempfile::tempdir()?;
    let store = FsBlobStore::new(store_dir.path());
    let key = format!("kb/versions/{}.kb", header.content_hash);
    let kb_bytes = bytes.len();
    store.put(&key, bytes, PutCondition::None).await?;
    let pointer = Pointer {
        key,
        content_hash: header.content_hash,
        inputs_hash: "bench".into(),
        ocsf_version: header.ocsf_version,
        published_at: String::new(),
        accuracy: None,
    };
    store.put("kb/current.json", serde_json::to_vec(&pointer)?, PutCondition::None).await?;
    drop(body);

    let db = format!("bench_classify_{}", std::process::id());
    let ch = ClickHouseConfig::from_env(&Env::from_pairs([
        ("CLICKHOUSE_URL", env_or("CLICKHOUSE_URL", "http://127.0.0.1:8123")),
        ("CLICKHOUSE_DATABASE", db.clone()),
        ("CLICKHOUSE_TIMEOUT_MS", "120000".into()),
    ]))?;
    migrate(&ch).await?;

    // Init: pointer + artifact read, decode, index, classifier.
    let started = Instant::now();
    let holder = KbHolder::new(
        store,
        KbHolderConfig {
            pointer_key: "kb/current.json".into(),
            cache_dir: Some(cache_dir.path().to_path_buf()),
            check_interval: Duration::from_secs(3600),
            classify: Default::default(),
        },
        None,
    );
    let active = holder.current().await?;
    let init = started.elapsed();
    println!(
        "init (KB {:.1} MB: read + decode + index + classifier): {:.1} ms",
        kb_bytes as f64 / 1e6,
        init.as_secs_f64() * 1e3
    );

    let sink = ClickHouseSink::new(&ch);
    let cfg = ProcessorConfig {
        insert_timeout: Duration::from_secs(120),
        threads,
        ..ProcessorConfig::default()
    };

    // Stages alone, on a first batch (cold shape cache).
    let envs = envelopes(n)?;
    let t = Instant::now();
    let (rows, _, _) =
        build_rows(&active, envs.clone(), threads, 0, None).map_err(|e| e.to_string())?;
    let classify_cold = t.elapsed();
    let t = Instant::now();
    sink.write_batch(&rows, &dedup_token(&rows)).await?;
    let insert = t.elapsed();
    drop(rows);

    // The whole handler path on fresh batches (warm shape cache, as in a long-lived function).
    let processor = Processor::new(holder, sink, cfg);
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let msgs = messages(&envelopes(n)?);
        let t = Instant::now();
        let out = processor.process(&msgs, None).await?;
        let took = t.elapsed();
        if !out.failures.is_empty() || out.rows != n {
            return Err(format!("batch failed: {:?}", out.failures.first()).into());
        }
        best = best.min(took);
    }
    println!("batch of {n} records, {threads} thread(s):");
    println!("  parse + classify + rows, cold cache: {}", rate(n, classify_cold));
    println!("  one insert into ClickHouse:          {}", rate(n, insert));
    println!("  whole handler (decode → insert):     {}  (best of 3, warm cache)", rate(n, best));
    println!("  = {:.0} records/s per core", n as f64 / best.as_secs_f64() / threads as f64);

    ch.server_client().query(&format!("DROP DATABASE IF EXISTS `{db}`")).execute().await?;
    Ok(())
}
