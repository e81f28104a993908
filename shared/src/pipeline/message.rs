//! Queue message bodies → [`Batch`]es, with a reason when a body cannot be one.

use serde::Deserialize;

use crate::envelope::{Batch, BATCH_VERSION};

/// One delivered queue message, as the pipeline needs it (the function adapts SQS records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// The queue's message id: what a batch item failure names.
    pub id: String,
    pub body: String,
    /// How many times the queue has delivered it (SQS `ApproximateReceiveCount`), if known.
    pub receive_count: Option<u32>,
}

/// Why a body is not a batch. Never fixed by retrying: such a message goes to the
/// dead-letter queue once the queue's redrive count is reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("body is not a queue batch: {0}")]
    NotBatch(String),
    #[error("batch version {0} is not known to this build (reads version {BATCH_VERSION})")]
    Version(u32),
    #[error("batch carries no records")]
    Empty,
}

#[derive(Deserialize)]
struct VersionProbe {
    v: u32,
}

/// Decodes a message body, checking the layout version.
pub fn decode(body: &str) -> Result<Batch, Malformed> {
    match serde_json::from_str::<Batch>(body) {
        Ok(b) if b.v != BATCH_VERSION => Err(Malformed::Version(b.v)),
        Ok(b) if b.records.is_empty() => Err(Malformed::Empty),
        Ok(b) => Ok(b),
        // A future layout may not even deserialize as this one: name the version if we can.
        Err(e) => match serde_json::from_str::<VersionProbe>(body) {
            Ok(p) if p.v != BATCH_VERSION => Err(Malformed::Version(p.v)),
            _ => Err(Malformed::NotBatch(e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_batches_and_names_what_is_wrong() {
        let good = r#"{"v":1,"records":[{"event_id":"0190a0b0-0000-7000-8000-000000000001","received_at":5,"raw":"x"}]}"#;
        let b = decode(good).unwrap();
        assert_eq!(
            (b.records.len(), b.records[0].received_at, b.records[0].source.as_deref()),
            (1, 5, None)
        );

        assert_eq!(decode(r#"{"v":2,"records":[]}"#), Err(Malformed::Version(2)));
        assert_eq!(decode(r#"{"v":7,"items":"new layout"}"#), Err(Malformed::Version(7)));
        assert_eq!(decode(r#"{"v":1,"records":[]}"#), Err(Malformed::Empty));
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"v":1}"#,
            r#"{"v":1,"records":[{"raw":"x"}]}"#,
            r#"{"v":"1","records":[]}"#,
        ] {
            assert!(matches!(decode(bad), Err(Malformed::NotBatch(_))), "{bad}");
        }
        let bad_id = r#"{"v":1,"records":[{"event_id":"nope","received_at":5,"raw":"x"}]}"#;
        assert!(
            matches!(decode(bad_id), Err(Malformed::NotBatch(m)) if m.contains("UUID") || m.contains("uuid") || m.contains("invalid"))
        );
    }
}
