//! The queue port and delivery with retries. The function crate implements [`Queue`] with SQS;
//! this module decides what to retry, how long to wait, and what finally failed.

use std::borrow::Cow;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use super::config::DeliveryPolicy;
use crate::failure::{Disposition, Failure};

/// One SendMessageBatch entry. `id` is unique within the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub id: String,
    pub body: String,
}

/// An entry the queue did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    pub id: String,
    pub code: String,
    /// The queue blames the request itself; retrying the same entry will not help.
    pub sender_fault: bool,
}

/// The whole call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// Network trouble, throttling, timeouts: worth retrying.
    #[error("{0}")]
    Transient(String),
    /// The queue does not exist, access is denied, the request is invalid: retrying won't help.
    #[error("{0}")]
    Permanent(String),
}

impl Failure for QueueError {
    fn disposition(&self) -> Disposition {
        match self {
            QueueError::Transient(_) => Disposition::Retry,
            QueueError::Permanent(_) => Disposition::Permanent,
        }
    }
}

/// A message queue that takes batches of up to ten entries.
pub trait Queue: Sync {
    /// Sends the entries in one call. Returns the entries that were not accepted; an entry
    /// not reported is taken as queued, so implementations must report every entry whose
    /// success the queue did not confirm.
    fn send_batch<'a>(
        &'a self,
        entries: &'a [QueueEntry],
    ) -> impl Future<Output = Result<Vec<FailedEntry>, QueueError>> + Send + 'a;
}

/// An entry that could not be queued after all attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    /// Position in the `entries` given to [`deliver`].
    pub entry: usize,
    pub reason: String,
}

/// Sends `entries` in the given call groups, several calls at a time, retrying failed entries
/// and failed calls with exponential backoff. Returns what could not be queued.
pub async fn deliver<Q: Queue>(
    queue: &Q,
    entries: &[QueueEntry],
    calls: Vec<Range<usize>>,
    policy: &DeliveryPolicy,
) -> Vec<Undelivered> {
    let results: Vec<Vec<Undelivered>> = stream::iter(calls)
        .map(|call| send_call(queue, entries, call, policy))
        .buffer_unordered(policy.concurrency.max(1))
        .collect()
        .await;
    let mut failed: Vec<Undelivered> = results.into_iter().flatten().collect();
    failed.sort_by_key(|u| u.entry);
    failed
}

async fn send_call<Q: Queue>(
    queue: &Q,
    entries: &[QueueEntry],
    call: Range<usize>,
    policy: &DeliveryPolicy,
) -> Vec<Undelivered> {
    let mut pending: Vec<usize> = call.clone().collect();
    let mut failed = Vec::new();
    let mut last_reason = String::from("not attempted");
    for attempt in 0..policy.attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(backoff(policy, attempt)).await;
        }
        // The first attempt sends the caller's slice as is; retries send only what failed.
        let batch: Cow<'_, [QueueEntry]> = if pending.len() == call.len() {
            Cow::Borrowed(entries.get(call.clone()).unwrap_or_default())
        } else {
            Cow::Owned(pending.iter().filter_map(|&i| entries.get(i).cloned()).collect())
        };
        match queue.send_batch(&batch).await {
            Ok(rejected) => {
                let mut retry = Vec::new();
                for f in rejected {
                    let Some(&i) =
                        pending.iter().find(|&&i| entries.get(i).is_some_and(|e| e.id == f.id))
                    else {
                        continue;
                    };
                    if f.sender_fault {
                        failed.push(Undelivered {
                            entry: i,
                            reason: format!("rejected by the queue: {}", f.code),
                        });
                    } else {
                        last_reason = f.code;
                        retry.push(i);
                    }
                }
                pending = retry;
            }
            Err(QueueError::Permanent(reason)) => {
                last_reason = reason;
                break;
            }
            Err(QueueError::Transient(reason)) => last_reason = reason,
        }
        if pending.is_empty() {
            break;
        }
        tracing::debug!(attempt, pending = pending.len(), reason = %last_reason, "queue send will be retried");
    }
    failed.extend(
        pending.into_iter().map(|entry| Undelivered { entry, reason: last_reason.clone() }),
    );
    failed
}

/// Exponential backoff with jitter in [half, full] of the step, capped.
fn backoff(policy: &DeliveryPolicy, attempt: u32) -> Duration {
    let step = policy
        .base_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(policy.max_backoff);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let jitter = (h.finish() % 1000) as u32; // 0..1000 per-mille
    step / 2 + step / 2 * jitter / 1000
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // one call group is the common case
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// A scripted queue for the retry logic: real SQS behaviour is covered by the
    /// integration tests against LocalStack.
    #[derive(Default)]
    struct Scripted {
        /// entry id → number of times it should fail before being accepted
        fail_times: Mutex<HashMap<String, u32>>,
        sender_fault: Vec<String>,
        call_errors: Mutex<Vec<QueueError>>,
        calls: Mutex<Vec<Vec<String>>>,
        stored: Mutex<Vec<String>>,
    }

    impl Queue for Scripted {
        async fn send_batch(&self, entries: &[QueueEntry]) -> Result<Vec<FailedEntry>, QueueError> {
            self.calls.lock().unwrap().push(entries.iter().map(|e| e.id.clone()).collect());
            if let Some(e) = self.call_errors.lock().unwrap().pop() {
                return Err(e);
            }
            let mut failed = vec![];
            let mut fails = self.fail_times.lock().unwrap();
            for e in entries {
                if self.sender_fault.contains(&e.id) {
                    failed.push(FailedEntry {
                        id: e.id.clone(),
                        code: "InvalidMessageContents".into(),
                        sender_fault: true,
                    });
                } else if let Some(n) = fails.get_mut(&e.id).filter(|n| **n > 0) {
                    *n -= 1;
                    failed.push(FailedEntry {
                        id: e.id.clone(),
                        code: "InternalError".into(),
                        sender_fault: false,
                    });
                } else {
                    self.stored.lock().unwrap().push(e.id.clone());
                }
            }
            Ok(failed)
        }
    }

    fn entries(n: usize) -> Vec<QueueEntry> {
        (0..n).map(|i| QueueEntry { id: format!("m{i}"), body: format!("body {i}") }).collect()
    }

    fn fast() -> DeliveryPolicy {
        DeliveryPolicy {
            attempts: 3,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            concurrency: 2,
        }
    }

    #[tokio::test]
    async fn failed_entries_are_retried_alone() {
        let q = Scripted::default();
        q.fail_times.lock().unwrap().insert("m1".into(), 2);
        let es = entries(3);
        let failed = deliver(&q, &es, vec![0..3], &fast()).await;
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(*q.calls.lock().unwrap(), vec![vec!["m0", "m1", "m2"], vec!["m1"], vec!["m1"]]);
        let mut stored = q.stored.lock().unwrap().clone();
        stored.sort();
        assert_eq!(stored, vec!["m0", "m1", "m2"]);
    }

    #[tokio::test]
    async fn gives_up_after_the_attempts_and_reports_the_entry() {
        let q = Scripted::default();
        q.fail_times.lock().unwrap().insert("m2".into(), 99);
        let es = entries(4);
        let failed = deliver(&q, &es, vec![0..2, 2..4], &fast()).await;
        assert_eq!(failed, vec![Undelivered { entry: 2, reason: "InternalError".into() }]);
        assert_eq!(q.calls.lock().unwrap().len(), 2 + 2);
    }

    #[tokio::test]
    async fn sender_faults_are_not_retried() {
        let q = Scripted { sender_fault: vec!["m0".into()], ..Default::default() };
        let es = entries(2);
        let failed = deliver(&q, &es, vec![0..2], &fast()).await;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].entry, 0);
        assert!(failed[0].reason.contains("InvalidMessageContents"));
        assert_eq!(q.calls.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn call_errors_transient_retry_permanent_stop() {
        let q = Scripted::default();
        q.call_errors.lock().unwrap().push(QueueError::Transient("timeout".into()));
        let es = entries(2);
        assert!(deliver(&q, &es, vec![0..2], &fast()).await.is_empty());
        assert_eq!(q.calls.lock().unwrap().len(), 2);

        let q = Scripted::default();
        q.call_errors.lock().unwrap().push(QueueError::Permanent("QueueDoesNotExist".into()));
        let failed = deliver(&q, &es, vec![0..2], &fast()).await;
        assert_eq!(failed.iter().map(|u| u.entry).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(failed[0].reason, "QueueDoesNotExist");
        assert_eq!(q.calls.lock().unwrap().len(), 1);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = DeliveryPolicy::default();
        for attempt in 1..12 {
            let d = backoff(&p, attempt);
            let step = (p.base_backoff * (1 << (attempt - 1))).min(p.max_backoff);
            assert!(d >= step / 2 && d <= step, "{attempt}: {d:?}");
        }
    }
}
