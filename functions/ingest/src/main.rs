//! `ingest` Lambda: API Gateway (REST v1, HTTP API v2) and function URL requests to
//! `POST /v1/logs` → records on the classification queue. All logic is in `ocsfmap::ingest`.

mod config;
mod event;
mod sqs;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use lambda_runtime::{service_fn, LambdaEvent};
use ocsfmap::ingest::{AuthPolicy, Ingestor};
use serde_json::Value;

use crate::config::Config;
use crate::sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .init();

    let cfg = Config::from_env().inspect_err(|e| {
        tracing::error!(error = %e, "ingest configuration is invalid");
    })?;
    // Bounded so that an unreachable queue turns into a 503 well inside the Lambda timeout;
    // the shared delivery loop adds its own retries on top of the SDK's.
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await;
    let auth = config::auth_policy(cfg.key, cfg.settings.allow_unauthenticated, &aws)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "ingest API key setup failed"))?;
    match &auth {
        AuthPolicy::Unconfigured => tracing::error!(
            "no API key configured (API_KEY or API_KEY_SECRET_ARN): every request will be refused"
        ),
        AuthPolicy::Open => {
            tracing::warn!("ALLOW_UNAUTHENTICATED=true: requests are not checked for an API key")
        }
        AuthPolicy::Key(_) => {}
    }
    tracing::info!(limits = ?cfg.settings.limits, "ingest ready");

    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&aws), cfg.queue_url);
    let ingestor = Arc::new(Ingestor::new(queue, cfg.settings, auth));
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| {
        let ingestor = Arc::clone(&ingestor);
        async move { handle(&ingestor, ev).await }
    }))
    .await
}

async fn handle(
    ingestor: &Ingestor<SqsQueue>,
    ev: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
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
