//! The unit of work between `ingest` and `classify`: one accepted raw record plus what the
//! front door knew about it. Several envelopes are packed into one queue message ([`Batch`]).

use serde::{Deserialize, Serialize};

/// Version of the queue message layout; `classify` refuses versions it does not know.
pub const BATCH_VERSION: u32 = 1;

/// One accepted record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// UUIDv7 assigned at ingest; the idempotency key all the way to storage.
    pub event_id: uuid::Uuid,
    /// Milliseconds since the Unix epoch when ingest accepted the record.
    pub received_at: i64,
    /// Source hint given by the client (`source=okta`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The raw record exactly as received (a JSON record is kept as its JSON text).
    pub raw: String,
}

/// One queue message body: `{"v":1,"records":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub v: u32,
    pub records: Vec<Envelope>,
}
