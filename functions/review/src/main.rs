//! `review` Lambda: the analysts' API and page on the HTTP API (docs/review.md). The logic
//! is `ocsfmap::review`; this binary wires in ClickHouse, the KB in S3, the rebuild queue
//! and the Lambda runtime.

mod config;

use std::sync::Arc;

use lambda_runtime::{service_fn, LambdaEvent};
use ocsfmap::ingest::ApiKey;
use ocsfmap::pipeline::KbHolder;
use ocsfmap::review::{CursorKey, ReviewAuth, ReviewService};
use ocsfmap_edge::aws::{sdk_config, Budget};
use ocsfmap_edge::env::{Env, EnvError};
use ocsfmap_edge::http as event;
use ocsfmap_edge::lambda::{self, BoxError};
use ocsfmap_edge::s3::S3BlobStore;
use ocsfmap_edge::secrets;
use ocsfmap_edge::sql::ClickHouseSql;
use ocsfmap_edge::sqs::SqsRebuildRequests;
use serde_json::Value;

use crate::config::{AuthMode, Config};

/// The rebuild queue, when configured.
enum Rebuild {
    Sqs(SqsRebuildRequests),
    Off(ocsfmap::review::NoRebuild),
}

impl ocsfmap::review::RebuildRequests for Rebuild {
    async fn request_rebuild(&self, reason: &str) -> Result<bool, String> {
        match self {
            Rebuild::Sqs(q) => q.request_rebuild(reason).await,
            Rebuild::Off(n) => n.request_rebuild(reason).await,
        }
    }
}

type Service = ReviewService<ClickHouseSql, KbHolder<S3BlobStore>, Rebuild>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let service = Arc::new(lambda::start("review", init()).await?);
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| {
        let service = Arc::clone(&service);
        async move { handle(&service, ev).await }
    }))
    .await
}

async fn init() -> Result<Service, BoxError> {
    let mut cfg = Config::from_env(&Env::from_process())?;
    let aws = sdk_config(Budget::REQUEST).await;
    cfg.clickhouse.resolve_secret(&aws).await?;
    let auth = match cfg.auth {
        AuthMode::Jwt(policy) => ReviewAuth::Jwt(policy),
        AuthMode::Key { env_value, secret_arn } => {
            let (var, key) = match (env_value, secret_arn) {
                (Some(k), _) => ("REVIEW_API_KEY", k),
                (None, Some(arn)) => (
                    "REVIEW_KEY_SECRET_ARN",
                    secrets::fetch(&aws, "REVIEW_KEY_SECRET_ARN", &arn, "api_key").await?,
                ),
                (None, None) => {
                    tracing::error!("REVIEW_AUTH=key without REVIEW_API_KEY or REVIEW_KEY_SECRET_ARN: every review request will be refused");
                    ("", String::new())
                }
            };
            if key.is_empty() {
                ReviewAuth::Unconfigured
            } else {
                ReviewAuth::Key(
                    ApiKey::new(&key).map_err(|e| EnvError::invalid(var, e.to_string()))?,
                )
            }
        }
    };
    let cursor_secret = match (cfg.cursor_key.take(), &cfg.cursor_secret_arn) {
        (Some(k), _) => k,
        (None, Some(arn)) => secrets::fetch(&aws, "REVIEW_CURSOR_SECRET_ARN", arn, "key").await?,
        (None, None) => unreachable!("Config::from_env requires one"),
    };
    let cursor = CursorKey::new(&cursor_secret)
        .map_err(|e| EnvError::invalid("REVIEW_CURSOR_SECRET_ARN", e.to_string()))?;
    let store = S3BlobStore::from_sdk_config(&aws, cfg.kb_bucket.clone());
    let rebuild = match cfg.rebuild_queue_url.clone() {
        Some(url) => Rebuild::Sqs(SqsRebuildRequests::new(aws_sdk_sqs::Client::new(&aws), url)),
        None => {
            tracing::warn!("REBUILD_QUEUE_URL not set: corrections wait for the scheduled rebuild");
            Rebuild::Off(ocsfmap::review::NoRebuild)
        }
    };
    tracing::info!(
        database = %cfg.clickhouse.database,
        events_table = %cfg.clickhouse.tables.events,
        overrides_table = %cfg.clickhouse.tables.overrides,
        kb_bucket = %cfg.kb_bucket,
        "review configured"
    );
    // The KB loads on the first request that needs it (the picker, the queue's "now"), so
    // a cold start that only serves the page stays fast.
    let kb = KbHolder::new(store, cfg.kb, None);
    Ok(ReviewService {
        sql: ClickHouseSql::new(cfg.clickhouse.client()),
        tables: cfg.clickhouse.tables.clone(),
        kb,
        rebuild,
        auth,
        cursor,
        page: cfg.page,
    })
}

async fn handle(service: &Service, ev: LambdaEvent<Value>) -> Result<Value, BoxError> {
    let now_ms = ocsfmap::pipeline::now_ms();
    let response = match event::to_request(ev.payload, &ev.context.request_id) {
        Ok((_, req)) => service.handle(&req, now_ms).await,
        Err(e) => {
            tracing::warn!(error = e.code(), message = %e, "event is not an HTTP request");
            e.into_response(&ev.context.request_id)
        }
    };
    Ok(event::to_response(response))
}
