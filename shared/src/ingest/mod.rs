//! The ingest front door's logic: HTTP request in, records validated, wrapped in envelopes,
//! packed into queue messages and sent through a [`queue::Queue`], HTTP response out.
//!
//! Nothing here knows about Lambda or SQS types: `functions/ingest` adapts API Gateway events
//! to [`request::HttpRequest`] and implements [`queue::Queue`] with the AWS SDK.

pub mod auth;
pub mod body;
pub mod config;
pub mod content;
pub mod gzip;
pub mod json_scan;
pub mod pack;
pub mod queue;
pub mod request;
pub mod response;
pub mod service;

#[cfg(test)]
mod service_tests;

pub use auth::{ApiKey, AuthPolicy};
pub use config::{ConfigError, DeliveryPolicy, Limits, Settings};
pub use queue::{FailedEntry, Queue, QueueEntry, QueueError};
pub use request::HttpRequest;
pub use response::{HttpResponse, IngestError};
pub use service::Ingestor;
