//! `ingest` Lambda: API Gateway (REST v1, HTTP API v2) and function URL requests to
//! `POST /v1/logs` → records on the classification queue. All logic is in `ocsfmap::ingest`;
//! start-up, configuration and the SQS adapter come from `ocsfmap_edge`.

mod config;

use std::sync::Arc;

use lambda_runtime::{service_fn, LambdaEvent};
use ocsfmap::ingest::{AuthPolicy, Ingestor};
use ocsfmap_edge::aws::{sdk_config, Budget};
use ocsfmap_edge::env::Env;
use ocsfmap_edge::http as event;
use ocsfmap_edge::lambda::{self, BoxError};
use ocsfmap_edge::sqs::SqsQueue;
use serde_json::Value;

use crate::config::{Config, InitError};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let ingestor = Arc::new(lambda::start("ingest", init()).await?);
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| {
        let ingestor = Arc::clone(&ingestor);
        async move { handle(&ingestor, ev).await }
    }))
    .await
}

async fn init() -> Result<Ingestor<SqsQueue>, InitError> {
    let cfg = Config::from_env(&Env::from_process())?;
    let aws = sdk_config(Budget::REQUEST).await;
    let auth = config::auth_policy(cfg.key, cfg.settings.allow_unauthenticated, &aws).await?;
    match &auth {
        AuthPolicy::Unconfigured => tracing::error!(
            "no API key configured (API_KEY or API_KEY_SECRET_ARN): every request will be refused"
        ),
        AuthPolicy::Open => {
            tracing::warn!("ALLOW_UNAUTHENTICATED=true: requests are not checked for an API key")
        }
        AuthPolicy::Key(_) => {}
    }
    tracing::info!(limits = ?cfg.settings.limits, "ingest configured");
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&aws), cfg.queue_url);
    Ok(Ingestor::new(queue, cfg.settings, auth))
}

async fn handle(ingestor: &Ingestor<SqsQueue>, ev: LambdaEvent<Value>) -> Result<Value, BoxError> {
    let now_ms = ocsfmap::pipeline::now_ms();
    let response = match event::to_request(ev.payload, &ev.context.request_id) {
        Ok((payload, req)) => {
            tracing::debug!(payload = payload.as_str(), request = ?req, "request received");
            ingestor.handle(&req, now_ms).await
        }
        Err(e) => {
            tracing::warn!(error = e.code(), message = %e, "event is not an HTTP request");
            e.into_response(&ev.context.request_id)
        }
    };
    Ok(event::to_response(response))
}
