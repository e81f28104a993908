//! Ingest limits and settings, read from environment-style key/value lookups and validated
//! once at start-up so a bad deployment fails with a message instead of at the first request.

use std::time::Duration;

/// Largest body a synchronous Lambda invocation can carry (6 MB payload ceiling).
pub const LAMBDA_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// Conservative SQS message size limit (the classic 256 KiB).
pub const SQS_CLASSIC_MESSAGE_BYTES: usize = 256 * 1024;
/// The largest SQS message size (raised to 1 MiB in 2025).
pub const SQS_MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// SendMessageBatch takes at most this many entries per call.
pub const SQS_MAX_BATCH_ENTRIES: usize = 10;
/// serde_json refuses deeper input on its own; our limit must stay below it so the
/// rejection is ours (clear reason, per record) rather than a parse error.
const SERDE_DEPTH_CEILING: usize = 127;

/// Size, depth and count limits applied to every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Body bytes after base64 transport decoding, before decompression.
    pub max_body_bytes: usize,
    /// Body bytes after gzip decompression; decompression stops at this point.
    pub max_decompressed_bytes: usize,
    /// Bytes of one raw record.
    pub max_record_bytes: usize,
    /// Nesting depth of one JSON record (objects and arrays).
    pub max_depth: usize,
    /// Records (valid or not) in one request; bounds memory and queueing time.
    pub max_records: usize,
    /// Bytes of one queue message body.
    pub max_message_bytes: usize,
    /// Bytes of all message bodies in one SendMessageBatch call.
    pub max_batch_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: LAMBDA_PAYLOAD_BYTES,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_record_bytes: 200 * 1024,
            max_depth: 64,
            max_records: 200_000,
            max_message_bytes: SQS_CLASSIC_MESSAGE_BYTES,
            max_batch_bytes: SQS_CLASSIC_MESSAGE_BYTES,
        }
    }
}

/// How hard to try before telling the client the queue is unavailable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts per SendMessageBatch call (first try included).
    pub attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub base_backoff: Duration,
    /// Upper bound of one backoff.
    pub max_backoff: Duration,
    /// SendMessageBatch calls in flight at once.
    pub concurrency: usize,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(800),
            concurrency: 8,
        }
    }
}

/// Everything the ingest service reads from its environment except the AWS resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub limits: Limits,
    pub delivery: DeliveryPolicy,
    /// `ALLOW_UNAUTHENTICATED=true`: accept requests when no API key is configured.
    pub allow_unauthenticated: bool,
}

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    // The value is never repeated: configuration errors reach logs and the invoker.
    #[error("{var} is not a whole number")]
    NotANumber { var: &'static str },
    #[error("{var}={value} is out of range: {why}")]
    OutOfRange { var: &'static str, value: usize, why: String },
    #[error("{var} must be true or false")]
    NotABool { var: &'static str },
    #[error("{var} is required")]
    Missing { var: &'static str },
    #[error("{var} is set but empty")]
    Empty { var: &'static str },
}

impl Settings {
    /// Reads settings through `lookup` (normally `std::env::var`), applying defaults for unset
    /// variables and checking that the limits are consistent with each other.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = Limits::default();
        let num = |var: &'static str, default: usize| -> Result<usize, ConfigError> {
            match lookup(var).map(|v| v.trim().replace('_', "")) {
                None => Ok(default),
                Some(v) if v.is_empty() => Ok(default),
                Some(v) => v.parse::<usize>().map_err(|_| ConfigError::NotANumber { var }),
            }
        };
        let max_message_bytes = num("MAX_MESSAGE_BYTES", d.max_message_bytes)?;
        let limits = Limits {
            max_body_bytes: num("MAX_BODY_BYTES", d.max_body_bytes)?,
            max_decompressed_bytes: num("MAX_DECOMPRESSED_BYTES", d.max_decompressed_bytes)?,
            max_record_bytes: num("MAX_RECORD_BYTES", d.max_record_bytes)?,
            max_depth: num("MAX_DEPTH", d.max_depth)?,
            max_records: num("MAX_RECORDS", d.max_records)?,
            max_message_bytes,
            // The per-call total defaults to the message size: with 256 KiB messages a call
            // carries one full message, with 1 MiB limits it can carry several smaller ones.
            max_batch_bytes: num("MAX_BATCH_BYTES", max_message_bytes)?,
        };
        limits.validate()?;

        let dd = DeliveryPolicy::default();
        let attempts = num("QUEUE_SEND_ATTEMPTS", dd.attempts as usize)?;
        let concurrency = num("QUEUE_SEND_CONCURRENCY", dd.concurrency)?;
        let delivery = DeliveryPolicy {
            attempts: u32::try_from(attempts).ok().filter(|a| (1..=10).contains(a)).ok_or_else(
                || ConfigError::OutOfRange {
                    var: "QUEUE_SEND_ATTEMPTS",
                    value: attempts,
                    why: "must be between 1 and 10".into(),
                },
            )?,
            concurrency: in_range("QUEUE_SEND_CONCURRENCY", concurrency, 1, 64)?,
            ..dd
        };

        let allow_unauthenticated = match lookup("ALLOW_UNAUTHENTICATED") {
            None => false,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "" | "false" | "0" | "no" => false,
                "true" | "1" | "yes" => true,
                _ => return Err(ConfigError::NotABool { var: "ALLOW_UNAUTHENTICATED" }),
            },
        };
        Ok(Self { limits, delivery, allow_unauthenticated })
    }
}

impl Limits {
    /// Checks each limit's range and that a maximal record can still fit in one message.
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range("MAX_MESSAGE_BYTES", self.max_message_bytes, 1024, SQS_MAX_MESSAGE_BYTES)?;
        in_range(
            "MAX_BATCH_BYTES",
            self.max_batch_bytes,
            self.max_message_bytes,
            SQS_MAX_MESSAGE_BYTES,
        )?;
        in_range("MAX_BODY_BYTES", self.max_body_bytes, 1, usize::MAX)?;
        in_range("MAX_DECOMPRESSED_BYTES", self.max_decompressed_bytes, 1, usize::MAX)?;
        // The record limit is on the raw text; the envelope adds ids, timestamps and JSON
        // escaping, so leave at least 1 KiB of room below the message limit.
        in_range(
            "MAX_RECORD_BYTES",
            self.max_record_bytes,
            1,
            self.max_message_bytes.saturating_sub(1024),
        )?;
        in_range("MAX_DEPTH", self.max_depth, 1, SERDE_DEPTH_CEILING)?;
        in_range("MAX_RECORDS", self.max_records, 1, usize::MAX)?;
        Ok(())
    }
}

fn in_range(var: &'static str, value: usize, lo: usize, hi: usize) -> Result<usize, ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::OutOfRange { var, value, why: format!("must be between {lo} and {hi}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_conservative_and_valid() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.limits, Limits::default());
        assert_eq!(s.limits.max_message_bytes, 262_144);
        assert_eq!(s.limits.max_batch_bytes, 262_144);
        assert!(!s.allow_unauthenticated);
        assert!(s.limits.validate().is_ok());
    }

    #[test]
    fn batch_total_follows_message_size_unless_set() {
        let s = settings(&[("MAX_MESSAGE_BYTES", "1048576")]).unwrap();
        assert_eq!(s.limits.max_batch_bytes, 1_048_576);
        let s = settings(&[
            ("MAX_MESSAGE_BYTES", "65536"),
            ("MAX_BATCH_BYTES", "262144"),
            ("MAX_RECORD_BYTES", "60000"),
        ])
        .unwrap();
        assert_eq!(s.limits.max_batch_bytes, 262_144);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = settings(&[("MAX_DEPTH", "deep")]).unwrap_err();
        assert!(e.to_string().contains("MAX_DEPTH"), "{e}");
        let e = settings(&[("MAX_MESSAGE_BYTES", "2000000")]).unwrap_err();
        assert!(e.to_string().contains("MAX_MESSAGE_BYTES"), "{e}");
        let e = settings(&[("MAX_DEPTH", "500")]).unwrap_err();
        assert!(matches!(e, ConfigError::OutOfRange { var: "MAX_DEPTH", .. }));
        let e = settings(&[("ALLOW_UNAUTHENTICATED", "maybe")]).unwrap_err();
        assert!(matches!(e, ConfigError::NotABool { .. }));
    }

    #[test]
    fn record_limit_must_leave_room_in_a_message() {
        let e = settings(&[("MAX_RECORD_BYTES", "262144")]).unwrap_err();
        assert!(matches!(e, ConfigError::OutOfRange { var: "MAX_RECORD_BYTES", .. }));
        assert!(settings(&[("MAX_RECORD_BYTES", "261120")]).is_ok());
    }

    #[test]
    fn numbers_accept_underscores_and_bools_accept_common_spellings() {
        let s = settings(&[("MAX_BODY_BYTES", "1_000_000"), ("ALLOW_UNAUTHENTICATED", "TRUE")])
            .unwrap();
        assert_eq!(s.limits.max_body_bytes, 1_000_000);
        assert!(s.allow_unauthenticated);
    }
}
