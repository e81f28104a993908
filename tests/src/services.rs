//! Where the test services listen, and a fast reachability check so that a
//! test run without them fails at once with a clear message instead of
//! waiting on SDK retries.

use std::time::Duration;

use tokio::sync::OnceCell;

use crate::{http1, Error, Result};

/// LocalStack's edge endpoint: `LOCALSTACK_ENDPOINT`, default `http://127.0.0.1:4566`.
pub fn localstack_endpoint() -> String {
    env_or("LOCALSTACK_ENDPOINT", "http://127.0.0.1:4566")
}

/// ClickHouse's HTTP endpoint: `CLICKHOUSE_URL`, default `http://127.0.0.1:8123`.
pub fn clickhouse_url() -> String {
    env_or("CLICKHOUSE_URL", "http://127.0.0.1:8123")
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().trim_end_matches('/').to_string())
        .unwrap_or_else(|| default.to_string())
}

/// `host:port` of a plain `http://` URL.
pub(crate) fn authority(url: &str) -> Result<String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| Error::Unreachable {
        service: "service",
        endpoint: url.to_string(),
        reason: "only plain http:// endpoints are supported by the reachability check".into(),
    })?;
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    Ok(if host.contains(':') { host.to_string() } else { format!("{host}:80") })
}

static LOCALSTACK: OnceCell<()> = OnceCell::const_new();
static CLICKHOUSE: OnceCell<()> = OnceCell::const_new();
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Fails unless LocalStack answers its health check with S3, SQS and
/// EventBridge running. Checked once per test process.
pub async fn require_localstack() -> Result<()> {
    LOCALSTACK.get_or_try_init(|| check_localstack(localstack_endpoint())).await.copied()
}

/// Fails unless ClickHouse answers `/ping`. Checked once per test process.
pub async fn require_clickhouse() -> Result<()> {
    CLICKHOUSE.get_or_try_init(|| check_clickhouse(clickhouse_url())).await.copied()
}

async fn check_localstack(endpoint: String) -> Result<()> {
    let unreachable = |reason: String| Error::Unreachable {
        service: "LocalStack",
        endpoint: endpoint.clone(),
        reason,
    };
    let resp =
        http1::request(&authority(&endpoint)?, "GET", "/_localstack/health", b"", CHECK_TIMEOUT)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
    let health: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|e| unreachable(format!("bad health answer: {e}")))?;
    for service in ["s3", "sqs", "events"] {
        let state = health.pointer(&format!("/services/{service}")).and_then(|v| v.as_str());
        if state != Some("running") && state != Some("available") {
            return Err(unreachable(format!("service {service} is {state:?}, not running")));
        }
    }
    Ok(())
}

async fn check_clickhouse(url: String) -> Result<()> {
    let unreachable = |reason: String| Error::Unreachable {
        service: "ClickHouse",
        endpoint: url.clone(),
        reason,
    };
    let resp = http1::request(&authority(&url)?, "GET", "/ping", b"", CHECK_TIMEOUT)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    if resp.status != 200 || resp.body.trim_ascii() != b"Ok." {
        let body = String::from_utf8_lossy(&resp.body).into_owned();
        return Err(unreachable(format!("/ping answered {} {body:?}", resp.status)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_of_urls() {
        assert_eq!(authority("http://127.0.0.1:4566").unwrap(), "127.0.0.1:4566");
        assert_eq!(authority("http://localhost/x?y").unwrap(), "localhost:80");
        assert!(authority("https://example.test").is_err());
    }

    #[tokio::test]
    async fn unreachable_services_name_the_fix() {
        // a port nothing listens on: bind, read the port, close
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        for err in [
            check_localstack(format!("http://127.0.0.1:{port}")).await.unwrap_err(),
            check_clickhouse(format!("http://127.0.0.1:{port}")).await.unwrap_err(),
        ] {
            assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(msg.contains("scripts/services up") && msg.contains("scripts/test"), "{msg}");
        }
    }
}
