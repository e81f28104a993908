//! What every function does the same way around its handler: install logging, run its
//! init (configuration, secrets, clients, the KB), report an init failure to the Runtime
//! API, and turn errors into Lambda error types that say whether a retry can help.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use lambda_runtime::Diagnostic;
use ocsfmap::failure::{Disposition, Failure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::telemetry;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Installs logging, then runs `init`. On failure the error is logged and reported to the
/// Runtime API (`/runtime/init/error`), so the platform and the invoker see the
/// configuration error's text rather than only "runtime exited", and returned so that the
/// process exits.
pub async fn start<T, E, F>(function: &'static str, init: F) -> Result<T, BoxError>
where
    E: Display + Into<BoxError>,
    F: Future<Output = Result<T, E>>,
{
    telemetry::init();
    let started = Instant::now();
    match init.await {
        Ok(app) => {
            tracing::info!(
                function,
                init_ms = started.elapsed().as_millis() as u64,
                "function initialised"
            );
            Ok(app)
        }
        Err(e) => {
            tracing::error!(function, error = %e, "init failed");
            report_init_error("Runtime.InitError", &e.to_string()).await;
            Err(e.into())
        }
    }
}

/// A Lambda error whose type starts with the disposition (`Retry.Pipeline`,
/// `Permanent.BrokenInput`): alarms, the invoker and the asynchronous-invocation retry
/// policy's operators read it without parsing messages.
pub fn diagnostic(disposition: Disposition, kind: &str, message: impl Display) -> Diagnostic {
    Diagnostic {
        error_type: format!("{}.{kind}", disposition.as_str()),
        error_message: message.to_string(),
    }
}

/// [`diagnostic`] for an error that knows its disposition.
pub fn failure_diagnostic<E: Failure>(kind: &str, e: &E) -> Diagnostic {
    diagnostic(e.disposition(), kind, e)
}

/// The Rust runtime crate exposes no call for `/runtime/init/error`; this is one HTTP/1.1
/// request on the loopback API, bounded so a missing API cannot hang the exit.
async fn report_init_error(error_type: &str, message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else { return };
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string();
    let request = format!(
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\n\
         Lambda-Runtime-Function-Error-Type: {error_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let send = async {
        let mut s = tokio::net::TcpStream::connect(&api).await?;
        s.write_all(request.as_bytes()).await?;
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(2), send).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not report the init error to the Runtime API")
        }
        Err(_) => tracing::warn!("reporting the init error to the Runtime API timed out"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocsfmap::store::StoreError;

    #[test]
    fn error_types_carry_the_disposition() {
        let d = failure_diagnostic("Storage", &StoreError::Unavailable("timeout".into()));
        assert_eq!(d.error_type, "Retry.Storage");
        let d = failure_diagnostic("Storage", &StoreError::Rejected("bad column".into()));
        assert_eq!(d.error_type, "Permanent.Storage");
        assert!(d.error_message.contains("bad column"));
    }
}
