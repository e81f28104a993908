//! Integration-test support for ocsfmap: real services, no mocks.
//!
//! - [`localstack`]: AWS SDK clients for LocalStack (S3, SQS, EventBridge) and
//!   helpers that create uniquely named buckets, queues (with a DLQ) and buses.
//! - [`clickhouse`]: a `clickhouse::Client` for assertions and a throw-away
//!   database per test.
//! - [`runtime_api`]: an in-process Lambda Runtime API; [`FunctionProcess`]
//!   runs a function's real binary against it, as Lambda would.
//! - [`binaries`]: paths of workspace binaries, built on first use.
//! - [`poll`]: bounded polling for eventually consistent effects.
//! - [`names`]: unique resource names, so tests run in parallel.
//! - [`stack`]: the whole pipeline (three functions, gateway, event source mappings) on
//!   LocalStack and ClickHouse, for the end-to-end test and `scripts/dev`.
//!
//! Services are started by `scripts/test` (or `scripts/services up`); when one
//! is not reachable, helpers fail at once with an error that says so.

pub mod binaries;
pub mod clickhouse;
pub mod http1;
pub mod localstack;
pub mod names;
pub mod oidc;
pub mod poll;
pub mod runtime_api;
pub mod services;
pub mod sqs_event;
pub mod stack;

pub use binaries::{function_binary, workspace_binary};
pub use runtime_api::{FunctionProcess, InvokeError};

/// Errors of the support helpers (service set-up and calls).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{service} is not reachable at {endpoint}: {reason}.\n\
         Start the test services with `scripts/services up` (or run everything with `scripts/test`)."
    )]
    Unreachable { service: &'static str, endpoint: String, reason: String },
    #[error("{operation} failed: {message}")]
    Aws { operation: &'static str, message: String },
    #[error("ClickHouse: {0}")]
    ClickHouse(#[from] ::clickhouse::error::Error),
    #[error(transparent)]
    Poll(#[from] poll::PollError),
    #[error("{what}: expected {expected}, got {got} after {after:?}")]
    Missing { what: String, expected: usize, got: usize, after: std::time::Duration },
    #[error("building `{target}` failed: {message}")]
    Build { target: String, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps an AWS SDK error to [`Error::Aws`] with its full diagnostic text
/// (the SDK's `Display` alone hides the service's message).
pub(crate) fn aws_err<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> Error {
    move |err| {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        Error::Aws { operation, message }
    }
}
