//! The request pipeline: route → auth → decode → split → envelope and pack → queue → response.

use tracing::Instrument;

use super::auth::AuthPolicy;
use super::body;
use super::config::{Settings, SQS_MAX_BATCH_ENTRIES};
use super::content;
use super::pack::{group_calls, EnvelopeRef, Packer};
use super::queue::{deliver, Queue, QueueEntry};
use super::request::HttpRequest;
use super::response::{Accepted, HttpResponse, IngestError, RejectCode, Rejection};

/// The ingest front door, generic over the queue it writes to.
pub struct Ingestor<Q> {
    queue: Q,
    settings: Settings,
    auth: AuthPolicy,
}

/// What one successful request did, for logs and callers that want numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub accepted: Accepted,
    pub messages: usize,
}

impl<Q: Queue> Ingestor<Q> {
    pub fn new(queue: Q, settings: Settings, auth: AuthPolicy) -> Self {
        Self { queue, settings, auth }
    }

    pub fn queue(&self) -> &Q {
        &self.queue
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Handles one request; `received_at_ms` is stamped on every envelope.
    pub async fn handle(&self, req: &HttpRequest, received_at_ms: i64) -> HttpResponse {
        let span = tracing::info_span!("ingest", request_id = %req.request_id);
        match self.process(req, received_at_ms).instrument(span.clone()).await {
            Ok(outcome) => outcome.accepted.into_response(),
            Err(e) => {
                let _g = span.enter();
                let (status, code) = (e.status(), e.code());
                if status >= 500 {
                    tracing::error!(status, error = code, message = %e, "ingest request failed");
                } else {
                    tracing::warn!(status, error = code, message = %e, "ingest request refused");
                }
                e.into_response(&req.request_id)
            }
        }
    }

    /// The pipeline proper, returning the typed outcome.
    pub async fn process(
        &self,
        req: &HttpRequest,
        received_at_ms: i64,
    ) -> Result<Outcome, IngestError> {
        let limits = &self.settings.limits;
        req.route_for("ingest")?;
        self.auth.check(req)?;
        let source = req.source_hint()?;
        let format = content::body_format(req.header("content-type"))?;
        let wire =
            body::transport_decode(req.body.as_deref(), req.body_is_base64, limits.max_body_bytes)?;
        let wire_bytes = wire.len();
        let compression = content::compression(req.header("content-encoding"), &wire)?;
        let bytes = body::decompress(wire, compression, limits)?;
        let split = body::split(&bytes, format, limits)?;

        let mut rejections = split.rejections;
        let mut ids = Vec::with_capacity(split.records.len());
        let mut packer = Packer::new(limits.max_message_bytes);
        for rec in &split.records {
            let env = EnvelopeRef {
                event_id: uuid::Uuid::now_v7(),
                received_at: received_at_ms,
                source: source.as_deref(),
                raw: &rec.raw,
            };
            match packer.push(rec.index, &env) {
                Ok(()) => ids.push(env.event_id),
                Err(too_large) => rejections.push(Rejection {
                    index: rec.index,
                    code: RejectCode::RecordTooLarge,
                    reason: too_large.to_string(),
                }),
            }
        }
        let messages = packer.finish();
        rejections.sort_by_key(|r| r.index);
        tracing::debug!(
            records = split.records.len(),
            rejected = rejections.len(),
            messages = messages.len(),
            "body decoded and packed"
        );
        if ids.is_empty() {
            return Err(IngestError::NoValidRecords { rejections });
        }

        let (entries, indexes): (Vec<QueueEntry>, Vec<Vec<usize>>) = messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| (QueueEntry { id: format!("m{i}"), body: m.body }, m.indexes))
            .unzip();
        let calls = group_calls(
            &entries.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(),
            SQS_MAX_BATCH_ENTRIES,
            limits.max_batch_bytes,
        );
        let call_count = calls.len();
        let undelivered = deliver(&self.queue, &entries, calls, &self.settings.delivery).await;
        if let Some(first) = undelivered.first() {
            let mut failed_indexes: Vec<usize> = undelivered
                .iter()
                .filter_map(|u| indexes.get(u.entry))
                .flatten()
                .copied()
                .collect();
            failed_indexes.sort_unstable();
            return Err(IngestError::QueueUnavailable {
                detail: first.reason.chars().take(300).collect(),
                queued: ids.len() - failed_indexes.len(),
                failed_indexes,
            });
        }

        tracing::info!(
            accepted = ids.len(),
            rejected = rejections.len(),
            messages = entries.len(),
            calls = call_count,
            wire_bytes,
            decoded_bytes = bytes.len(),
            gzip = compression == content::Compression::Gzip,
            source = source.as_deref().unwrap_or(""),
            "records queued"
        );
        Ok(Outcome {
            accepted: Accepted::new(&req.request_id, &ids, rejections),
            messages: entries.len(),
        })
    }
}
