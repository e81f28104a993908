//! `classify` Lambda: SQS batches of ingest envelopes → classification → ClickHouse, with
//! partial batch responses. The logic is in `ocsfmap::pipeline`; this binary wires in S3,
//! ClickHouse and the Lambda runtime.

mod config;
mod handler;

use std::sync::Arc;

use lambda_runtime::{service_fn, LambdaEvent};
use ocsfmap::blob::BlobStore;
use ocsfmap::embed::Embedder;
use ocsfmap::pipeline::{KbHolder, Processor};
use ocsfmap::version::OutputVersion;
use ocsfmap_edge::aws::{sdk_config, Budget};
use ocsfmap_edge::clickhouse::ClickHouseSink;
use ocsfmap_edge::env::Env;
use ocsfmap_edge::lambda::{self, BoxError};
use ocsfmap_edge::s3::S3BlobStore;

use crate::config::Config;

// Building events allocates a few hundred small strings and maps per record; mimalloc makes
// that about a third cheaper than the system allocator (BENCHMARKS.md, OCSF events).
#[global_allocator]
static ALLOC: ocsfmap::alloc::MiMalloc = ocsfmap::alloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let processor = Arc::new(lambda::start("classify", init()).await?);
    lambda_runtime::run(service_fn(
        move |ev: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
            let processor = processor.clone();
            async move { handler::handle(&processor, ev).await }
        },
    ))
    .await
}

type ClassifyProcessor = Processor<S3BlobStore, ClickHouseSink>;

async fn init() -> Result<ClassifyProcessor, BoxError> {
    let mut cfg = Config::from_env(&Env::from_process())?;
    // The artifact download is the longest call.
    let aws = sdk_config(Budget::BATCH).await;
    cfg.clickhouse.resolve_secret(&aws).await?;
    let store = S3BlobStore::from_sdk_config(&aws, cfg.kb_bucket.clone());
    let embedder = match &cfg.model_dir {
        Some(dir) => {
            Some(Arc::new(Embedder::load(dir).map_err(|e| format!("OCSFMAP_MODEL_DIR: {e}"))?))
        }
        None => {
            tracing::info!("OCSFMAP_MODEL_DIR not set: lexical classification only");
            None
        }
    };
    let sink = ClickHouseSink::new(&cfg.clickhouse);
    tracing::info!(
        database = %cfg.clickhouse.database,
        events_table = %cfg.clickhouse.tables.events,
        kb_bucket = %cfg.kb_bucket,
        kb_pointer = %cfg.kb.pointer_key,
        threads = cfg.processor.threads,
        "classify configured"
    );
    if let Some(out) = &cfg.output {
        // A configured version that cannot be loaded stops the function at init: emitting
        // the wrong version would be worse than not emitting.
        let export = store.get(&out.export_key).await.map_err(|e| {
            format!(
                "OCSF_OUTPUT_VERSION={}: cannot read its schema export s3://{}/{}: {e}",
                out.version, cfg.kb_bucket, out.export_key
            )
        })?;
        let version = OutputVersion::from_export(&export.bytes, &out.version, &out.export_key)
            .map_err(|e| format!("OCSF_OUTPUT_VERSION: {e}"))?;
        tracing::info!(ocsf_version = %out.version, export = %out.export_key, "events are emitted in this OCSF version");
        cfg.processor.output = Some(Arc::new(version));
    }
    let kb = KbHolder::new(store, cfg.kb, embedder);
    // Load the KB during init (its own time budget) when possible; if it is not there yet
    // the first batch tries again and fails retryable with the reason.
    match kb.current().await {
        Ok(active) => tracing::info!(kb_version = active.version(), "knowledge base loaded"),
        Err(e) => tracing::warn!(error = %e, "classify started without a knowledge base"),
    }
    Ok(Processor::new(kb, sink, cfg.processor))
}
