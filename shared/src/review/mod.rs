//! The analysts' review API: the queue of shapes the engine is unsure of, corrections by
//! shape (which request a rebuild), dashboard figures, the class picker's list, and the
//! page. HTTP in, HTTP out, like [`crate::ingest`]; the event store is behind
//! [`crate::store::review::Sql`], the KB in use behind [`KbSource`], the rebuild queue
//! behind [`RebuildRequests`].
//!
//! Candidates, evidence and the OCSF event the page shows are **recomputed** here with the
//! KB in use for one sample per shape, not stored with every row: evidence is several
//! documents per candidate, a million rows of it would outweigh the raw records, and the
//! analyst deciding on a correction needs what the engine decides *now* (after earlier
//! corrections) more than what it decided then. What classify stored (class, confidence,
//! candidates with probabilities, the OCSF event) is shown beside it, from the row.

pub mod auth;
pub mod cursor;
pub mod page;
pub mod request;
pub mod service;
#[cfg(test)]
mod service_tests;
pub mod state;

use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use crate::ingest::HttpResponse;
use crate::pipeline::kb_holder::{ActiveKb, KbHolder, KbUnavailable};

pub use auth::{ClaimPolicy, Principal, ReviewAuth};
pub use cursor::CursorKey;
pub use service::{PageSettings, ReviewService};

/// The KB in use (classify's [`KbHolder`] in the function).
pub trait KbSource: Send + Sync {
    fn current(&self) -> impl Future<Output = Result<Arc<ActiveKb>, KbUnavailable>> + Send;
}

impl<S: crate::blob::BlobStore> KbSource for KbHolder<S> {
    async fn current(&self) -> Result<Arc<ActiveKb>, KbUnavailable> {
        KbHolder::current(self).await
    }
}

/// Asks kb-rebuild for a run (a message on its queue; the queue's batching window
/// debounces a burst into one run).
pub trait RebuildRequests: Send + Sync {
    /// `Ok(false)` when no rebuild queue is configured.
    fn request_rebuild(&self, reason: &str) -> impl Future<Output = Result<bool, String>> + Send;
}

/// No rebuild queue: corrections wait for the scheduled rebuild.
pub struct NoRebuild;

impl RebuildRequests for NoRebuild {
    async fn request_rebuild(&self, _: &str) -> Result<bool, String> {
        Ok(false)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReviewError {
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    #[error("{message}")]
    NotFound { field: Option<String>, message: String },
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("method not allowed; allowed: {allowed}")]
    MethodNotAllowed { allowed: String },
    /// The store or the KB cannot be reached now; the same request may succeed later.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl ReviewError {
    pub fn status(&self) -> u16 {
        match self {
            ReviewError::BadInput { .. } => 400,
            ReviewError::Unauthorized(_) => 401,
            ReviewError::Forbidden(_) => 403,
            ReviewError::NotFound { .. } => 404,
            ReviewError::MethodNotAllowed { .. } => 405,
            ReviewError::TooLarge { .. } => 413,
            ReviewError::Internal(_) => 500,
            ReviewError::Unavailable(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ReviewError::BadInput { .. } => "bad_input",
            ReviewError::Unauthorized(_) => "unauthorized",
            ReviewError::Forbidden(_) => "forbidden",
            ReviewError::NotFound { .. } => "not_found",
            ReviewError::MethodNotAllowed { .. } => "method_not_allowed",
            ReviewError::TooLarge { .. } => "too_large",
            ReviewError::Internal(_) => "internal",
            ReviewError::Unavailable(_) => "unavailable",
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let field = match &self {
            ReviewError::BadInput { field, .. } => Some(field.clone()),
            ReviewError::NotFound { field, .. } => field.clone(),
            _ => None,
        };
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        if let Some(f) = field {
            error["field"] = json!(f);
        }
        let mut r = service::json_response(self.status(), &json!({ "error": error }));
        if let ReviewError::Unauthorized(_) = self {
            r.headers.push(("www-authenticate".into(), "Bearer".into()));
        }
        if let ReviewError::MethodNotAllowed { allowed } = self {
            r.headers.push(("allow".into(), allowed));
        }
        r
    }
}

impl From<crate::store::StoreError> for ReviewError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::failure::Failure;
        if e.is_retryable() {
            ReviewError::Unavailable(format!("event store: {e}"))
        } else {
            ReviewError::Internal(format!("event store: {e}"))
        }
    }
}
