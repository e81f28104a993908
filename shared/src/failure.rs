//! One vocabulary for "try again" versus "this will never work", shared by the queue, the
//! object store, the event store and the pipelines built on them.
//!
//! The functions' edges turn a [`Disposition`] into what their trigger understands: a
//! retryable Lambda error type, an SQS item failure, an HTTP 503 versus a 4xx. Keeping the
//! decision next to each error type means a new error variant has to say which it is.

use serde::Serialize;

/// Whether the same operation can succeed later without anyone changing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Unavailable service, timeout, throttling, lost race: the same call may succeed later.
    Retry,
    /// Bad input, bad configuration, refused request: repeating it gives the same answer.
    Permanent,
}

impl Disposition {
    /// The prefix of a Lambda error type (`Retry.Storage`, `Permanent.BrokenInput`), so that
    /// alarms and the invoker can tell the two apart without parsing messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Retry => "Retry",
            Disposition::Permanent => "Permanent",
        }
    }
}

/// An error that knows its [`Disposition`].
pub trait Failure: std::error::Error {
    fn disposition(&self) -> Disposition;

    fn is_retryable(&self) -> bool {
        self.disposition() == Disposition::Retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::BlobError;
    use crate::ingest::QueueError;
    use crate::store::StoreError;

    #[test]
    fn each_error_family_says_which_it_is() {
        assert_eq!(BlobError::Unavailable("x".into()).disposition(), Disposition::Retry);
        assert_eq!(BlobError::NotFound("k".into()).disposition(), Disposition::Permanent);
        assert_eq!(StoreError::Unavailable("x".into()).disposition(), Disposition::Retry);
        assert_eq!(StoreError::Rejected("x".into()).disposition(), Disposition::Permanent);
        assert_eq!(QueueError::Transient("x".into()).disposition(), Disposition::Retry);
        assert_eq!(QueueError::Permanent("x".into()).disposition(), Disposition::Permanent);
        assert_eq!(Disposition::Retry.as_str(), "Retry");
    }
}
