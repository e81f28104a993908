//! The review API on a big events table: `GET /v1/review` (first page, next page, a
//! filtered page), `GET /v1/review/{signature}` and `GET /v1/stats` through the real
//! `ReviewService` and ClickHouse client, on `BENCH_ROWS` generated events (1,000,000 by
//! default) in a real ClickHouse (`CLICKHOUSE_URL`, default http://127.0.0.1:8123), with a
//! lexical KB built from the repository's knowledge (so each page also classifies one sample
//! per shape, as in production). Prints min/median/max per request, the queue's aggregation
//! alone, and the size of the columns it reads.
//!
//!     CLICKHOUSE_URL=http://127.0.0.1:8123 cargo bench -p review --bench queue
//!
//! Environment: `BENCH_ROWS` (1000000; 20000 outside `cargo bench`), `BENCH_ITERATIONS` (15),
//! `OCSF_SCHEMA`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ocsfmap::blob::{BlobStore, FsBlobStore, PutCondition};
use ocsfmap::ingest::{ApiKey, HttpRequest};
use ocsfmap::kb::pointer::Pointer;
use ocsfmap::kb::sources::read_paths;
use ocsfmap::kb::{self, artifact};
use ocsfmap::pipeline::{KbHolder, KbHolderConfig};
use ocsfmap::review::{CursorKey, NoRebuild, PageSettings, ReviewAuth, ReviewService};
use ocsfmap::schema::Schema;
use ocsfmap::store::review::{queue_params, queue_sql, QueueQuery};
use ocsfmap_edge::clickhouse::{migrate, ClickHouseConfig};
use ocsfmap_edge::env::Env;
use ocsfmap_edge::sql::ClickHouseSql;

type R<T> = Result<T, Box<dyn std::error::Error>>;

const KEY: &str = "bench-review-key-0123456789";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// `rows` events over the last 7 days: 200 sources, shapes of skewed size (shape k of
/// ~1,000 holds about 2k+1 records of every 1,000,000), 8 classes, one record in five
/// below the review threshold, ~300-byte raw records.
fn generate_sql(rows: u64) -> String {
    format!(
        "INSERT INTO events
SELECT
    generateUUIDv7(number) AS event_id,
    now64(3) - toIntervalMillisecond(number * 604800000 / {rows}) AS received_at,
    received_at AS event_time,
    received_at AS classified_at,
    concat('src-', toString(number % 200)) AS source,
    'json' AS format,
    [1001, 1007, 3002, 4001, 4003, 6003, 2004, 3005][1 + (cityHash64(shape) % 8)] AS class_uid,
    ['File System Activity', 'Process Activity', 'Authentication', 'Network Activity', 'DNS Activity', 'API Activity', 'Detection Finding', 'User Access Management'][1 + (cityHash64(shape) % 8)] AS class_name,
    intDiv(class_uid, 1000) AS category_uid,
    1 AS activity_id,
    class_uid * 100 + 1 AS type_uid,
    toFloat32((cityHash64(number) % 100) / 100) AS confidence,
    confidence < 0.2 AS needs_review,
    'search' AS decided_by,
    [(class_uid, confidence), (4001, toFloat32(0.1))] AS candidates,
    cityHash64(shape) AS signature,
    'bench' AS kb_version,
    concat('{{\"host\":\"h', toString(number % 1000), '\",\"user\":\"u', toString(number % 5000), '\",\"action\":\"act', toString(shape % 50), '\",\"field_', toString(shape), '\":1,\"msg\":\"', repeat('x', 200), '\"}}') AS raw,
    CAST('{{\"class_uid\":4001,\"activity_id\":1}}' AS JSON) AS ocsf_event
FROM (SELECT number, toUInt64(sqrt(number * 1000000 / {rows})) AS shape FROM numbers({rows}))"
    )
}

fn get(path: &str, query: &[(&str, &str)]) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: path.into(),
        headers: vec![("authorization".into(), format!("Bearer {KEY}"))],
        query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        request_id: "bench".into(),
        ..Default::default()
    }
}

fn summary(label: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{label:<40} min {:>7.1} ms  median {:>7.1} ms  max {:>7.1} ms  (n={})",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

#[tokio::main]
async fn main() -> R<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let rows: u64 = env_or("BENCH_ROWS", if full { "1000000" } else { "20000" }).parse()?;
    let iterations: usize = env_or("BENCH_ITERATIONS", if full { "15" } else { "2" }).parse()?;

    // A lexical KB from the repository's knowledge in a directory store (not timed).
    let schema = Schema::load(&PathBuf::from(env_or(
        "OCSF_SCHEMA",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/ocsf-schema/ocsf-schema-1.8.0.json"
        ),
    )))?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let body = kb::build(schema, read_paths(&[root.join("knowledge")])?.into())?;
    let (bytes, header) = artifact::to_bytes(&body)?;
    let store_dir = tempfile::tempdir()?;
    let store = FsBlobStore::new(store_dir.path());
    let key = format!("kb/versions/{}.kb", header.content_hash);
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

    let db = format!("bench_review_{}", std::process::id());
    let ch = ClickHouseConfig::from_env(&Env::from_pairs([
        ("CLICKHOUSE_URL", env_or("CLICKHOUSE_URL", "http://127.0.0.1:8123")),
        ("CLICKHOUSE_DATABASE", db.clone()),
        ("CLICKHOUSE_TIMEOUT_MS", "300000".into()),
    ]))?;
    migrate(&ch).await?;
    let client = ch.client();
    let started = Instant::now();
    client.query(&generate_sql(rows)).execute().await?;
    client.query("OPTIMIZE TABLE events FINAL").execute().await?;
    println!("generated {rows} events in {:.1} s", started.elapsed().as_secs_f64());

    let service = ReviewService {
        sql: ClickHouseSql::new(client.clone()),
        tables: ch.tables.clone(),
        kb: KbHolder::new(
            store,
            KbHolderConfig {
                pointer_key: "kb/current.json".into(),
                cache_dir: None,
                check_interval: Duration::from_secs(3600),
                classify: Default::default(),
            },
            None,
        ),
        rebuild: NoRebuild,
        auth: ReviewAuth::Key(ApiKey::new(KEY)?),
        cursor: CursorKey::new("bench-cursor-key-0123456789-0123456789")?,
        page: PageSettings::default(),
    };
    // Warm: the KB load and the first query's caches (a serving function keeps both).
    let first = service.handle(&get("/v1/review", &[]), ocsfmap::pipeline::now_ms()).await;
    if first.status != 200 {
        return Err(format!("GET /v1/review: {} {}", first.status, first.body).into());
    }
    let page: serde_json::Value = serde_json::from_str(&first.body)?;
    let cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
    let sig = page["items"][0]["signature"].as_str().unwrap_or_default().to_string();
    let detail_path = format!("/v1/review/{sig}");
    let requests: Vec<(&str, HttpRequest)> = vec![
        ("GET /v1/review (first page, 25)", get("/v1/review", &[])),
        ("GET /v1/review (next page)", get("/v1/review", &[("cursor", &cursor)])),
        (
            "GET /v1/review?source=src-7&days=30",
            get("/v1/review", &[("source", "src-7"), ("days", "30")]),
        ),
        ("GET /v1/review/{signature}", get(&detail_path, &[])),
        ("GET /v1/stats", get("/v1/stats", &[])),
    ];
    for (label, req) in &requests {
        let mut times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            let r = service.handle(req, ocsfmap::pipeline::now_ms()).await;
            times.push(t.elapsed());
            if r.status != 200 {
                return Err(format!("{label}: {} {}", r.status, r.body).into());
            }
        }
        summary(label, &mut times);
    }

    // The queue's aggregation alone, and what it reads: the columns it touches, whole,
    // since every row of the window is grouped (the time filter prunes older parts only).
    let q =
        QueueQuery { days: 7, min_count: 1, limit: 26, only_review: true, ..Default::default() };
    let sql = queue_sql(&ch.tables)?;
    let params = queue_params(&q);
    let runner = ClickHouseSql::new(client.clone());
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let query = runner.query(&sql, &params);
        let t = Instant::now();
        query.fetch_bytes("JSONEachRow")?.collect().await?;
        times.push(t.elapsed());
    }
    summary("queue aggregation (SQL alone)", &mut times);
    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Size {
        read: u64,
        read_raw: u64,
        total: u64,
    }
    let size = client
        .query(
            "SELECT sumIf(data_compressed_bytes, name IN ('signature', 'source', 'format', 'received_at', 'needs_review', 'class_uid', 'class_name', 'activity_id', 'confidence', 'decided_by', 'kb_version', 'candidates')) AS read,
                    sumIf(data_uncompressed_bytes, name IN ('signature', 'source', 'format', 'received_at', 'needs_review', 'class_uid', 'class_name', 'activity_id', 'confidence', 'decided_by', 'kb_version', 'candidates')) AS read_raw,
                    sum(data_compressed_bytes) AS total
             FROM system.columns WHERE database = currentDatabase() AND table = 'events'",
        )
        .fetch_one::<Size>()
        .await?;
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "the aggregation's columns: {:.1} MB compressed ({:.1} MB uncompressed) of the table's {:.1} MB",
        mb(size.read),
        mb(size.read_raw),
        mb(size.total)
    );
    ch.server_client().query(&format!("DROP DATABASE IF EXISTS `{db}`")).execute().await?;
    Ok(())
}
