//! `kb-rebuild`: keeps the knowledge base current. On a schedule, or when an object under
//! the sources prefix changes, it rebuilds the KB from the sources and the analyst
//! overrides, gates it against the serving version, and publishes it (see
//! `ocsfmap::rebuild` and docs/kb-rebuild.md).
//!
//! `kb-rebuild local <dir>` runs one rebuild against a directory laid out like the bucket
//! (no Lambda, no S3, no overrides): for trying inputs before uploading them, and for the
//! benchmark.

mod config;
mod trigger;

use std::sync::Arc;
use std::time::Instant;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use ocsfmap::blob::{BlobStore, FsBlobStore};
use ocsfmap::embed::Embedder;
use ocsfmap::failure::{Disposition, Failure};
use ocsfmap::rebuild::{NoOverrides, OverrideSource, RebuildError, Rebuilder, SourceLayout};
use ocsfmap::store::review::BuildRow;
use ocsfmap::store::StoreError;
use ocsfmap_edge::aws::{sdk_config, Budget};
use ocsfmap_edge::env::Env;
use ocsfmap_edge::lambda::{self, diagnostic, BoxError};
use ocsfmap_edge::overrides::ClickHouseOverrides;
use ocsfmap_edge::s3::S3BlobStore;
use serde_json::{json, Value};

use config::Config;
use trigger::Trigger;

/// Overrides from ClickHouse when configured.
enum Overrides {
    None(NoOverrides),
    ClickHouse(Box<ClickHouseOverrides>),
}

impl OverrideSource for Overrides {
    async fn fetch_overrides(&self) -> Result<ocsfmap::store::Overrides, StoreError> {
        match self {
            Overrides::None(n) => n.fetch_overrides().await,
            Overrides::ClickHouse(c) => c.fetch_overrides().await,
        }
    }

    async fn record_build(&self, build: &BuildRow) -> Result<(), StoreError> {
        match self {
            Overrides::None(n) => n.record_build(build).await,
            Overrides::ClickHouse(c) => c.record_build(build).await,
        }
    }
}

struct App<S> {
    cfg: Config,
    store: S,
    overrides: Overrides,
    embedder: Option<Arc<Embedder>>,
}

fn load_embedder(cfg: &Config) -> Result<Option<Arc<Embedder>>, BoxError> {
    let Some(dir) = &cfg.model_dir else {
        tracing::info!("no OCSFMAP_MODEL_DIR: building lexical-only knowledge bases");
        return Ok(None);
    };
    let e = Embedder::load(dir)
        .map_err(|e| format!("OCSFMAP_MODEL_DIR: loading the embedding model failed: {e}"))?;
    tracing::info!(model = e.model_id(), dir = %dir.display(), "embedding model loaded");
    Ok(Some(Arc::new(e)))
}

impl<S: BlobStore> App<S> {
    fn rebuilder(&self) -> Rebuilder<'_, S, Overrides> {
        Rebuilder {
            store: &self.store,
            overrides: &self.overrides,
            embedder: self.embedder.clone(),
            cfg: self.cfg.rebuild.clone(),
        }
    }

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
        let request_id = event.context.request_id.clone();
        let trigger = trigger::parse(&event.payload)
            .map_err(|e| diagnostic(Disposition::Permanent, "UnrecognisedEvent", e))?;
        let (label, changed) = match &trigger {
            Trigger::Scheduled { rule } => {
                tracing::info!(%request_id, rule = rule.as_deref().unwrap_or(""), "scheduled rebuild");
                ("scheduled", Vec::new())
            }
            Trigger::Manual => ("manual", Vec::new()),
            Trigger::Requested { messages } => {
                tracing::info!(%request_id, messages, "rebuild requested by the review API");
                ("requested", Vec::new())
            }
            Trigger::S3Test => return Ok(json!({"outcome": "ignored", "reason": "s3:TestEvent"})),
            Trigger::Objects(list) => {
                let layout = SourceLayout::new(&self.cfg.rebuild.sources_prefix);
                let relevant: Vec<_> = list
                    .iter()
                    .filter(|o| o.bucket == self.cfg.bucket && layout.kind(&o.key).is_some())
                    .cloned()
                    .collect();
                if relevant.is_empty() {
                    tracing::info!(%request_id, objects = ?list, "no KB input changed: ignored");
                    return Ok(
                        json!({"outcome": "ignored", "reason": "no KB input among the changed objects", "objects": list}),
                    );
                }
                tracing::info!(%request_id, changed = ?relevant, "KB inputs changed");
                ("objects", relevant)
            }
        };
        let started = Instant::now();
        let outcome = self.rebuilder().run().await.map_err(|e| {
            tracing::error!(%request_id, error = %e, disposition = ?e.disposition(), "rebuild failed; the current version keeps serving");
            diagnostic(e.disposition(), error_kind(&e), &e)
        })?;
        let mut v = serde_json::to_value(&outcome)
            .map_err(|e| diagnostic(Disposition::Permanent, "Internal", e))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("trigger".into(), json!(label));
            o.insert("changed".into(), json!(changed));
            o.insert("elapsed_ms".into(), json!(started.elapsed().as_millis() as u64));
        }
        Ok(v)
    }
}

/// The part of the Lambda error type after the disposition (`Permanent.BrokenInput`).
fn error_kind(e: &RebuildError) -> &'static str {
    match e {
        RebuildError::BrokenInput { .. }
        | RebuildError::NoSchema { .. }
        | RebuildError::SeveralSchemas { .. } => "BrokenInput",
        RebuildError::Contention { .. } => "Contention",
        _ if e.is_retryable() => "Unavailable",
        _ => "RebuildFailed",
    }
}

async fn init() -> Result<App<S3BlobStore>, BoxError> {
    let mut cfg = Config::from_env(&Env::from_process())?;
    let aws = sdk_config(Budget::JOB).await;
    if let Some(ch) = cfg.clickhouse.as_mut() {
        ch.resolve_secret(&aws).await?;
    }
    let overrides = match &cfg.clickhouse {
        Some(ch) => Overrides::ClickHouse(Box::new(ClickHouseOverrides::from_config(ch)?)),
        None => {
            tracing::warn!(
                "no CLICKHOUSE_URL: knowledge bases are built without analyst overrides"
            );
            Overrides::None(NoOverrides)
        }
    };
    let embedder = load_embedder(&cfg)?;
    let store = S3BlobStore::from_sdk_config(&aws, cfg.bucket.clone());
    tracing::info!(bucket = %cfg.bucket, sources = %cfg.rebuild.sources_prefix, pointer = %cfg.rebuild.pointer_key, "kb-rebuild configured");
    Ok(App { cfg, store, overrides, embedder })
}

async fn lambda() -> Result<(), BoxError> {
    let app = lambda::start("kb-rebuild", init()).await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| app.handle(ev))).await
}

/// One rebuild against a directory; prints the outcome as JSON.
async fn local(dir: &str) -> Result<(), BoxError> {
    let env = Env::from_process();
    let mut pairs: Vec<(String, String)> = std::env::vars().collect();
    if env.get("KB_BUCKET").is_none() {
        pairs.push(("KB_BUCKET".into(), "local".into()));
    }
    let cfg = Config::from_env(&Env::from_pairs(pairs))?;
    let embedder = load_embedder(&cfg)?;
    let app = App {
        store: FsBlobStore::new(dir),
        overrides: Overrides::None(NoOverrides),
        embedder,
        cfg,
    };
    let started = Instant::now();
    let outcome = app.rebuilder().run().await?;
    let mut v = serde_json::to_value(&outcome)?;
    v["elapsed_ms"] = json!(started.elapsed().as_millis() as u64);
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => lambda().await,
        [cmd, dir] if cmd == "local" => {
            ocsfmap_edge::telemetry::init();
            local(dir).await
        }
        _ => Err("usage: kb-rebuild (as a Lambda function) | kb-rebuild local <dir laid out like the bucket>".into()),
    };
    if let Err(e) = &result {
        tracing::error!(error = %e, "kb-rebuild stopped");
    }
    result
}
