//! The AWS SDK configuration every function builds once at init: the default credential
//! chain and region, with timeouts and retries bounded per function so that an unreachable
//! service costs a request seconds, never the whole Lambda timeout.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;

#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub connect: Duration,
    /// One attempt of one call.
    pub attempt: Duration,
    /// The whole call, retries included.
    pub operation: Duration,
    pub max_attempts: u32,
}

impl Budget {
    /// An HTTP front: a slow queue must turn into a 503 well inside the gateway's 30 s.
    pub const REQUEST: Budget = Budget {
        connect: Duration::from_secs(2),
        attempt: Duration::from_secs(5),
        operation: Duration::from_secs(10),
        max_attempts: 2,
    };
    /// Batch work that downloads artifacts (the KB): long attempts, still bounded.
    pub const BATCH: Budget = Budget {
        connect: Duration::from_secs(2),
        attempt: Duration::from_secs(30),
        operation: Duration::from_secs(60),
        max_attempts: 2,
    };
    /// A scheduled job with minutes to spare: the SDK's own defaults.
    pub const JOB: Budget = Budget {
        connect: Duration::from_secs(3),
        attempt: Duration::from_secs(60),
        operation: Duration::from_secs(300),
        max_attempts: 3,
    };
}

pub async fn sdk_config(budget: Budget) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(budget.connect)
                .operation_attempt_timeout(budget.attempt)
                .operation_timeout(budget.operation)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(budget.max_attempts))
        .load()
        .await
}
