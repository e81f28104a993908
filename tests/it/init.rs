//! Every function starts the same way (`ocsfmap_edge::lambda::start`): a configuration
//! error is reported to the Runtime API as an init error that names the variable and never
//! repeats its value.

use anyhow::{bail, ensure, Result};
use ocsfmap_tests::{function_binary, localstack, FunctionProcess, InvokeError};
use serde_json::json;

/// A value that must never appear in an error: a URL carrying a password.
const SECRET_URL: &str = "ftp://admin:hunter2-do-not-log@db.example:8443";

async fn init_error(function: &'static str, vars: &[(&str, &str)]) -> Result<String> {
    let bin = tokio::task::spawn_blocking(move || function_binary(function)).await??;
    let mut env = localstack::function_env();
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let f = FunctionProcess::spawn(&bin, env).await?;
    match f.invoke(json!({})).await {
        Err(InvokeError::Init { error_type, error_message, .. }) => {
            ensure!(error_type == "Runtime.InitError", "{function}: error type {error_type}");
            Ok(error_message)
        }
        other => bail!("{function}: expected an init error, got {other:?}"),
    }
}

#[tokio::test]
async fn each_function_reports_a_bad_variable_by_name_without_its_value() -> Result<()> {
    // (function, its environment, the variable the error must name)
    type Case = (&'static str, Vec<(&'static str, &'static str)>, &'static str);
    let cases: [Case; 4] = [
        ("ingest", vec![], "QUEUE_URL"),
        (
            "ingest",
            vec![("QUEUE_URL", "http://q"), ("MAX_BODY_BYTES", SECRET_URL)],
            "MAX_BODY_BYTES",
        ),
        ("classify", vec![("KB_BUCKET", "b"), ("CLICKHOUSE_URL", SECRET_URL)], "CLICKHOUSE_URL"),
        ("kb-rebuild", vec![("KB_BUCKET", "b"), ("KB_KEEP_VERSIONS", "0")], "KB_KEEP_VERSIONS"),
    ];
    for (function, vars, variable) in cases {
        let message = init_error(function, &vars).await?;
        ensure!(message.contains(variable), "{function}: {message:?} should name {variable}");
        ensure!(!message.contains("hunter2"), "{function} repeated a secret: {message:?}");
    }
    Ok(())
}
