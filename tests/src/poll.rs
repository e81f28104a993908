//! Bounded polling for effects that show up eventually (SQS deliveries, DLQ
//! moves, rows landing in ClickHouse). Every wait has a deadline.

use std::future::Future;
use std::time::Duration;

use tokio::time::{sleep, timeout_at, Instant};

#[derive(Debug, thiserror::Error)]
pub enum PollError<E = std::convert::Infallible> {
    #[error("condition not met after {after:?} ({attempts} attempts)")]
    Timeout { after: Duration, attempts: u32 },
    #[error("polling stopped on an error: {0}")]
    Failed(E),
}

/// Calls `check` every `interval` until it returns `Some`, for at most
/// `timeout` (a slow attempt is cut off at the deadline).
///
/// ```no_run
/// # async fn f() -> Result<(), ocsfmap_tests::poll::PollError> {
/// use std::time::Duration;
/// let n = ocsfmap_tests::poll::until(Duration::from_secs(10), Duration::from_millis(200), || async {
///     Some(1)
/// }).await?;
/// # Ok(()) }
/// ```
pub async fn until<T, F, Fut>(
    timeout: Duration,
    interval: Duration,
    mut check: F,
) -> Result<T, PollError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    try_until(timeout, interval, || {
        let attempt = check();
        async move { Ok::<_, std::convert::Infallible>(attempt.await) }
    })
    .await
}

/// Like [`until`], but `check` may fail, which stops the polling at once.
pub async fn try_until<T, E, F, Fut>(
    timeout: Duration,
    interval: Duration,
    mut check: F,
) -> Result<T, PollError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let started = Instant::now();
    let deadline = started + timeout;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        match timeout_at(deadline, check()).await {
            Ok(Ok(Some(value))) => return Ok(value),
            Ok(Err(err)) => return Err(PollError::Failed(err)),
            Ok(Ok(None)) => {}
            Err(_) => break,
        }
        if Instant::now() + interval >= deadline {
            break;
        }
        sleep(interval).await;
    }
    Err(PollError::Timeout { after: started.elapsed(), attempts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn returns_once_the_condition_holds() {
        let calls = AtomicU32::new(0);
        let got = until(Duration::from_secs(5), Duration::from_millis(100), || async {
            (calls.fetch_add(1, Ordering::SeqCst) >= 3).then_some("done")
        })
        .await
        .unwrap();
        assert_eq!((got, calls.load(Ordering::SeqCst)), ("done", 4));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let err =
            until(Duration::from_secs(1), Duration::from_millis(300), || async { None::<()> })
                .await
                .unwrap_err();
        assert!(matches!(err, PollError::Timeout { attempts: 4, .. }), "{err:?}");
        // a hanging attempt is cut off too
        let err = until(Duration::from_secs(1), Duration::from_millis(10), || async {
            sleep(Duration::from_secs(3600)).await;
            Some(())
        })
        .await
        .unwrap_err();
        assert!(matches!(err, PollError::Timeout { attempts: 1, .. }), "{err:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn stops_on_error() {
        let err = try_until(Duration::from_secs(5), Duration::from_millis(10), || async {
            Err::<Option<()>, _>("boom")
        })
        .await
        .unwrap_err();
        assert!(matches!(err, PollError::Failed("boom")));
    }
}
