//! A trivial Lambda function for testing the Runtime API harness.
//!
//! It answers every event with the event itself and what the runtime told it
//! (request id, deadline, function ARN). Control fields in the event:
//! `{"fail": true}` returns a function error; `{"exit": N}` ends the process
//! with code N; `{"sleep_ms": N}` waits N ms first. The environment variable
//! `ECHO_LAMBDA_EXIT_AT_INIT=N` makes it exit with code N before serving.

use std::time::Duration;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
#[error("asked to fail: {0}")]
struct AskedToFail(String);

impl From<AskedToFail> for Diagnostic {
    fn from(err: AskedToFail) -> Self {
        Diagnostic { error_type: "EchoFailure".into(), error_message: err.to_string() }
    }
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, AskedToFail> {
    let (payload, ctx) = event.into_parts();
    if let Some(ms) = payload.get("sleep_ms").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(code) = payload.get("exit").and_then(Value::as_i64) {
        tracing::warn!(code, "exiting on request");
        std::process::exit(i32::try_from(code).unwrap_or(1));
    }
    if payload.get("fail").and_then(Value::as_bool) == Some(true) {
        let why = payload.get("reason").and_then(Value::as_str).unwrap_or("no reason given");
        return Err(AskedToFail(why.to_string()));
    }
    tracing::info!(request_id = %ctx.request_id, "echoing");
    Ok(json!({
        "echo": payload,
        "request_id": ctx.request_id,
        "deadline_ms": ctx.deadline,
        "invoked_function_arn": ctx.invoked_function_arn,
        "function_name": ctx.env_config.function_name,
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    if let Some(code) =
        std::env::var("ECHO_LAMBDA_EXIT_AT_INIT").ok().and_then(|v| v.parse::<i32>().ok())
    {
        tracing::error!(code, "failing init on request");
        std::process::exit(code);
    }
    lambda_runtime::run(service_fn(handle)).await
}
