//! `classify` Lambda: SQS batches of ingest envelopes → classification → ClickHouse, with
//! partial batch responses. The logic is in `ocsfmap::pipeline`; this binary wires in S3,
//! ClickHouse and the Lambda runtime.

mod config;
mod handler;
mod init_error;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, LambdaEvent};
use ocsfmap::embed::Embedder;
use ocsfmap::pipeline::{KbHolder, Processor};
use ocsfmap_edge::clickhouse::ClickHouseSink;
use ocsfmap_edge::env::Env;
use ocsfmap_edge::s3::{endpoint_overridden, S3BlobStore};
use ocsfmap_edge::telemetry;

use crate::config::Config;

// Building events allocates a few hundred small strings and maps per record; mimalloc makes
// that about a third cheaper than the system allocator (BENCHMARKS.md, OCSF events).
#[global_allocator]
static ALLOC: ocsfmap::alloc::MiMalloc = ocsfmap::alloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let started = Instant::now();
    let processor = match init().await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "classify init failed");
            init_error::report("Runtime.InitError", &e.to_string()).await;
            return Err(e);
        }
    };
    // Load the KB during init (its own time budget) when possible; if it is not there yet
    // the first batch tries again and fails retryable with the reason.
    match processor.kb().current().await {
        Ok(kb) => tracing::info!(
            kb_version = kb.version(),
            init_ms = started.elapsed().as_millis() as u64,
            "classify ready"
        ),
        Err(e) => {
            tracing::warn!(error = %e, init_ms = started.elapsed().as_millis() as u64, "classify started without a knowledge base")
        }
    }
    let processor = Arc::new(processor);
    lambda_runtime::run(service_fn(
        move |ev: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
            let processor = processor.clone();
            async move { handler::handle(&processor, ev).await }
        },
    ))
    .await
}

type ClassifyProcessor = Processor<S3BlobStore, ClickHouseSink>;

async fn init() -> Result<ClassifyProcessor, lambda_runtime::Error> {
    let mut cfg = Config::from_env(&Env::from_process())?;
    // Bounded so an unreachable S3 costs a batch seconds, not the function timeout; the
    // artifact download is the longest call.
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await;
    ocsfmap_edge::secrets::resolve_clickhouse_password(&mut cfg.clickhouse, &aws).await?;
    let s3_conf =
        aws_sdk_s3::config::Builder::from(&aws).force_path_style(endpoint_overridden()).build();
    let store = S3BlobStore::new(aws_sdk_s3::Client::from_conf(s3_conf), cfg.kb_bucket.clone());
    let embedder = match &cfg.model_dir {
        Some(dir) => Some(Arc::new(
            Embedder::load(dir).map_err(|e| format!("OCSFMAP_MODEL_DIR={}: {e}", dir.display()))?,
        )),
        None => {
            tracing::info!("OCSFMAP_MODEL_DIR not set: lexical classification only");
            None
        }
    };
    let sink = ClickHouseSink::new(&cfg.clickhouse);
    tracing::info!(
        clickhouse = %cfg.clickhouse.url,
        database = %cfg.clickhouse.database,
        events_table = %cfg.clickhouse.tables.events,
        kb_bucket = %cfg.kb_bucket,
        kb_pointer = %cfg.kb.pointer_key,
        threads = cfg.processor.threads,
        "classify configured"
    );
    let kb = KbHolder::new(store, cfg.kb, embedder);
    Ok(Processor::new(kb, sink, cfg.processor))
}
