//! Logging for the functions: one JSON object per line on stdout (CloudWatch Logs keeps each
//! line as an event and Logs Insights reads the fields), level from `RUST_LOG` (the stacks'
//! `LogLevel` parameter), else `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls),
//! else `info`.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber; a second call (tests) is a no-op.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .ok()
                .and_then(|l| EnvFilter::try_new(l.to_lowercase()).ok())
        })
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        .with_writer(std::io::stdout)
        .with_env_filter(filter)
        .try_init();
}
