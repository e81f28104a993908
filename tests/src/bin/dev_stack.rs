//! `dev-stack`: the whole pipeline on this machine for local development (`scripts/dev`).
//!
//! Creates a bucket, queue + DLQ, a kb-events queue and a ClickHouse database, uploads the
//! schema and `knowledge/`, runs the three function binaries found beside this one under
//! the Runtime API harness, builds the first knowledge base, and serves `POST /v1/logs` on
//! `OCSFMAP_DEV_ADDR` (default 127.0.0.1:9000) until it is stopped.
//!
//! Environment: `OCSF_SCHEMA`, `OCSFMAP_MODEL_DIR` (dense search; unset: lexical),
//! `OCSFMAP_DEV_ADDR`, `OCSFMAP_DEV_API_KEY`, `OCSFMAP_DEV_SCHEDULE_SECS` (kb-rebuild's
//! schedule, default 3600), plus the services' `LOCALSTACK_ENDPOINT` and `CLICKHOUSE_URL`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ocsfmap_tests::stack::{Stack, StackOptions};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run().await {
        eprintln!("dev-stack: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut opts = StackOptions::for_tests("dev");
    let exe = std::env::current_exe()?;
    opts.bin_dir = exe.parent().map(|p| p.to_path_buf());
    opts.http_addr =
        std::env::var("OCSFMAP_DEV_ADDR").unwrap_or_else(|_| "127.0.0.1:9000".into()).parse()?;
    if let Ok(key) = std::env::var("OCSFMAP_DEV_API_KEY") {
        opts.api_key = key;
    }
    if let Ok(key) = std::env::var("OCSFMAP_DEV_REVIEW_KEY") {
        opts.review_key = key;
    }
    // A burst of corrections within 10 s is one rebuild; a correction reaches classify
    // within about a minute (BENCHMARKS.md).
    opts.rebuild_debounce = Duration::from_secs(10);
    opts.model_dir = std::env::var_os("OCSFMAP_MODEL_DIR").map(Into::into);
    let secs: u64 = std::env::var("OCSFMAP_DEV_SCHEDULE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3600);
    opts.schedule = Some(Duration::from_secs(secs));
    opts.rebuild_timeout = Duration::from_secs(1800);
    let mode = if opts.model_dir.is_some() { "hybrid" } else { "lexical" };
    eprintln!("dev-stack: building the first {mode} knowledge base and starting the functions ...");
    let stack = Stack::start(opts).await?;
    println!(
        "\nocsfmap dev stack is up.\n\
         \n  ingest:      POST {endpoint}   (header x-api-key: {key})\
         \n  review page: {review}   (sign in with the review key {review_key})\
         \n  queue:       {queue} (DLQ {dlq})\
         \n  KB bucket:   {bucket} (sources under kb/sources/: uploads trigger kb-rebuild)\
         \n  ClickHouse:  {ch}  database {db}\
         \n  logs:        {il}\n               {cl}\n               {rl}\
         \n\nTry:\n  curl -sS -H 'x-api-key: {key}' -H 'content-type: text/plain' --data-binary @events/samples/linux-auth.log {endpoint}\
         \n  curl -sS '{ch}' --data-binary \"SELECT class_name, activity_id, confidence, needs_review, source, left(raw, 60) FROM {db}.events ORDER BY received_at DESC LIMIT 20 FORMAT PrettyCompact\"\
         \n\nCtrl-C stops it.",
        endpoint = stack.endpoint,
        key = stack.api_key,
        review = stack.review_url(),
        review_key = stack.review_key,
        queue = stack.queue.queue.url,
        dlq = stack.queue.dlq.url,
        bucket = stack.bucket,
        ch = stack.clickhouse_url,
        db = stack.database,
        il = stack.ingest.log_path().display(),
        cl = stack.classify.log_path().display(),
        rl = stack.kb_rebuild.log_path().display(),
    );
    let mut last = (0, 0, 0);
    loop {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let s = &stack.stats;
        let now = (
            s.http_requests.load(Ordering::Relaxed),
            s.classify_invocations.load(Ordering::Relaxed),
            s.rebuild_invocations.load(Ordering::Relaxed),
        );
        if now != last {
            eprintln!(
                "dev-stack: {} requests, {} classify batches ({} failed messages, {} errors), {} rebuilds ({} errors)",
                now.0,
                now.1,
                s.classify_failed_messages.load(Ordering::Relaxed),
                s.classify_errors.load(Ordering::Relaxed),
                now.2,
                s.rebuild_errors.load(Ordering::Relaxed)
            );
            last = now;
        }
    }
}
