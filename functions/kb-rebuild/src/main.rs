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
use ocsfmap::kb::sources::Labeled;
use ocsfmap::rebuild::{NoOverrides, OverrideSource, RebuildError, Rebuilder, SourceLayout};
use ocsfmap::store::StoreError;
use ocsfmap_edge::env::Env;
use ocsfmap_edge::overrides::ClickHouseOverrides;
use ocsfmap_edge::s3::S3BlobStore;
use serde_json::{json, Value};

use config::Config;
use trigger::Trigger;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Overrides from ClickHouse when configured.
enum Overrides {
    None(NoOverrides),
    ClickHouse(ClickHouseOverrides),
}

impl OverrideSource for Overrides {
    async fn fetch_overrides(&self) -> Result<Vec<Labeled>, StoreError> {
        match self {
            Overrides::None(n) => n.fetch_overrides().await,
            Overrides::ClickHouse(c) => c.fetch_overrides().await,
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
        .map_err(|e| format!("loading the embedding model from {}: {e}", dir.display()))?;
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
            .map_err(|e| diagnostic("UnrecognisedEvent", e.to_string()))?;
        let (label, changed) = match &trigger {
            Trigger::Scheduled { rule } => {
                tracing::info!(%request_id, rule = rule.as_deref().unwrap_or(""), "scheduled rebuild");
                ("scheduled", Vec::new())
            }
            Trigger::Manual => ("manual", Vec::new()),
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
            tracing::error!(%request_id, error = %e, retryable = e.is_retryable(), "rebuild failed; the current version keeps serving");
            diagnostic(error_type(&e), e.to_string())
        })?;
        let mut v =
            serde_json::to_value(&outcome).map_err(|e| diagnostic("Internal", e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("trigger".into(), json!(label));
            o.insert("changed".into(), json!(changed));
            o.insert("elapsed_ms".into(), json!(started.elapsed().as_millis() as u64));
        }
        Ok(v)
    }
}

fn diagnostic(error_type: &str, error_message: String) -> Diagnostic {
    Diagnostic { error_type: error_type.to_string(), error_message }
}

fn error_type(e: &RebuildError) -> &'static str {
    match e {
        RebuildError::BrokenInput { .. }
        | RebuildError::NoSchema { .. }
        | RebuildError::SeveralSchemas { .. } => "BrokenInput",
        RebuildError::Contention { .. } => "Contention",
        _ if e.is_retryable() => "Unavailable",
        _ => "RebuildFailed",
    }
}

async fn lambda() -> Result<(), BoxError> {
    let mut cfg = Config::from_env(&Env::from_process())?;
    if let Some(ch) = cfg.clickhouse.as_mut() {
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        ocsfmap_edge::secrets::resolve_clickhouse_password(ch, &aws).await?;
    }
    let overrides = match &cfg.clickhouse {
        Some(ch) => Overrides::ClickHouse(ClickHouseOverrides::from_config(ch)?),
        None => {
            tracing::warn!(
                "no CLICKHOUSE_URL: knowledge bases are built without analyst overrides"
            );
            Overrides::None(NoOverrides)
        }
    };
    let embedder = load_embedder(&cfg)?;
    let store = S3BlobStore::from_env(cfg.bucket.clone()).await;
    tracing::info!(bucket = %cfg.bucket, sources = %cfg.rebuild.sources_prefix, pointer = %cfg.rebuild.pointer_key, "kb-rebuild ready");
    let app = App { cfg, store, overrides, embedder };
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
    ocsfmap_edge::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => lambda().await,
        [cmd, dir] if cmd == "local" => local(dir).await,
        _ => Err("usage: kb-rebuild (as a Lambda function) | kb-rebuild local <dir laid out like the bucket>".into()),
    };
    if let Err(e) = &result {
        tracing::error!(error = %e, "kb-rebuild stopped");
    }
    result
}
