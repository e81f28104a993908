//! What the client gets back: the error model with its status codes, the `202` body, and the
//! HTTP response those turn into. Every body is JSON with a message a person can act on.

use serde::Serialize;
use serde_json::json;

/// At most this many event ids / rejections are listed in one response body; beyond that the
/// body gives counts and the id range, so a huge request cannot produce a huge response.
pub const MAX_LISTED: usize = 1000;
/// At most this many failed record indexes are listed in a 503 body.
pub const MAX_FAILED_LISTED: usize = 10_000;

/// Why one record was refused while the others in the body may be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    RecordTooLarge,
    TooDeep,
    InvalidUtf8,
    InvalidJson,
    NotARecord,
}

/// One refused record: `index` is its 0-based position in the body (array element, top-level
/// JSON value or non-blank line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub index: usize,
    pub code: RejectCode,
    pub reason: String,
}

/// A request-level failure. `Display` is the message shown to the client.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no route for {path}; send records with POST /v1/logs")]
    NotFound { path: String },
    #[error("method {method} is not allowed here; allowed: {allowed}")]
    MethodNotAllowed { method: String, allowed: String },
    #[error("missing API key; send it in the x-api-key header or as Authorization: Bearer <key>")]
    MissingApiKey,
    #[error("the API key is not valid for this endpoint")]
    WrongApiKey,
    #[error("ingest has no API key configured and refuses all requests; the operator must set API_KEY or API_KEY_SECRET_ARN (or ALLOW_UNAUTHENTICATED=true)")]
    AuthNotConfigured,
    #[error("the source hint must be at most {max_chars} characters of letters, digits and . _ : / - @ +")]
    InvalidSourceHint { max_chars: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the body is empty; send at least one record")]
    EmptyBody,
    #[error("the body is marked base64 but is not valid base64")]
    BadBase64,
    #[error("the gzip body cannot be decompressed ({detail}); check Content-Encoding and that the upload is complete")]
    CorruptGzip { detail: String },
    #[error("the body is not valid JSON as a whole: {detail}")]
    MalformedBody { detail: String },
    #[error(
        "the body is {size} bytes; the limit is {limit} bytes: split it into smaller requests"
    )]
    BodyTooLarge { size: usize, limit: usize },
    #[error("the body decompresses to more than {limit} bytes; split it into smaller requests")]
    DecompressedTooLarge { limit: usize },
    #[error("the body holds more than {limit} records; split it into smaller requests")]
    TooManyRecords { limit: usize },
    #[error("none of the {} records in the body was accepted; see `rejected` for each reason", .rejections.len())]
    NoValidRecords { rejections: Vec<Rejection> },
    #[error("the queue is unavailable ({detail}); {} of {} records could not be queued, retry the request later", .failed_indexes.len(), .failed_indexes.len() + .queued)]
    QueueUnavailable { detail: String, queued: usize, failed_indexes: Vec<usize> },
    #[error("the request is not an API Gateway or function URL HTTP event: {detail}")]
    BadEvent { detail: String },
}

impl IngestError {
    pub fn status(&self) -> u16 {
        use IngestError::*;
        match self {
            NotFound { .. } => 404,
            MethodNotAllowed { .. } => 405,
            MissingApiKey => 401,
            WrongApiKey => 403,
            AuthNotConfigured => 500,
            UnsupportedMediaType(_) => 415,
            InvalidSourceHint { .. } | EmptyBody | BadBase64 | CorruptGzip { .. } => 400,
            MalformedBody { .. } | BadEvent { .. } => 400,
            BodyTooLarge { .. } | DecompressedTooLarge { .. } | TooManyRecords { .. } => 413,
            // All refused for size → 413 (the client must split); any other reason → 400.
            NoValidRecords { rejections } => {
                if !rejections.is_empty()
                    && rejections.iter().all(|r| r.code == RejectCode::RecordTooLarge)
                {
                    413
                } else {
                    400
                }
            }
            QueueUnavailable { .. } => 503,
        }
    }

    /// Stable machine-readable code for the `error` field.
    pub fn code(&self) -> &'static str {
        use IngestError::*;
        match self {
            NotFound { .. } => "not_found",
            MethodNotAllowed { .. } => "method_not_allowed",
            MissingApiKey => "missing_api_key",
            WrongApiKey => "invalid_api_key",
            AuthNotConfigured => "auth_not_configured",
            InvalidSourceHint { .. } => "invalid_source",
            UnsupportedMediaType(_) => "unsupported_media_type",
            EmptyBody => "empty_body",
            BadBase64 => "bad_base64",
            CorruptGzip { .. } => "corrupt_gzip",
            MalformedBody { .. } => "malformed_body",
            BodyTooLarge { .. } => "body_too_large",
            DecompressedTooLarge { .. } => "decompressed_too_large",
            TooManyRecords { .. } => "too_many_records",
            NoValidRecords { .. } => "no_valid_records",
            QueueUnavailable { .. } => "queue_unavailable",
            BadEvent { .. } => "bad_event",
        }
    }

    pub fn into_response(self, request_id: &str) -> HttpResponse {
        let status = self.status();
        let mut body = json!({
            "error": self.code(),
            "message": self.to_string(),
            "request_id": request_id,
        });
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        match self {
            IngestError::NoValidRecords { rejections } => {
                body["rejected_count"] = rejections.len().into();
                body["rejected"] = json!(listed(&rejections, MAX_LISTED));
            }
            IngestError::QueueUnavailable { queued, failed_indexes, .. } => {
                body["queued"] = queued.into();
                body["failed_count"] = failed_indexes.len().into();
                body["failed_indexes"] = json!(listed(&failed_indexes, MAX_FAILED_LISTED));
                headers.push(("retry-after".into(), "5".into()));
            }
            IngestError::MissingApiKey => {
                headers.push(("www-authenticate".into(), "Bearer".into()));
            }
            IngestError::MethodNotAllowed { allowed, .. } => {
                headers.push(("allow".into(), allowed.clone()));
            }
            _ => {}
        }
        HttpResponse { status, headers, body: body.to_string() }
    }
}

fn listed<T>(items: &[T], max: usize) -> &[T] {
    items.get(..max).unwrap_or(items)
}

/// The `202 Accepted` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub request_id: String,
    pub accepted: usize,
    /// UUIDv7 ids are ordered: every accepted id lies between first and last.
    pub first_event_id: Option<uuid::Uuid>,
    pub last_event_id: Option<uuid::Uuid>,
    /// All ids in body order, when there are at most [`MAX_LISTED`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<uuid::Uuid>>,
    pub rejected_count: usize,
    /// The first [`MAX_LISTED`] rejections, by index.
    pub rejected: Vec<Rejection>,
}

impl Accepted {
    pub fn new(request_id: &str, ids: &[uuid::Uuid], mut rejections: Vec<Rejection>) -> Self {
        let rejected_count = rejections.len();
        rejections.truncate(MAX_LISTED);
        Self {
            request_id: request_id.to_string(),
            accepted: ids.len(),
            first_event_id: ids.first().copied(),
            last_event_id: ids.last().copied(),
            event_ids: (ids.len() <= MAX_LISTED).then(|| ids.to_vec()),
            rejected_count,
            rejected: rejections,
        }
    }

    pub fn into_response(self) -> HttpResponse {
        HttpResponse {
            status: 202,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_string(&self).unwrap_or_else(|_| "{}".into()),
        }
    }
}

/// A response ready for any gateway payload format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rej(code: RejectCode) -> Rejection {
        Rejection { index: 0, code, reason: "x".into() }
    }

    #[test]
    fn all_too_large_is_413_otherwise_400() {
        let e = IngestError::NoValidRecords { rejections: vec![rej(RejectCode::RecordTooLarge)] };
        assert_eq!(e.status(), 413);
        let e = IngestError::NoValidRecords {
            rejections: vec![rej(RejectCode::RecordTooLarge), rej(RejectCode::InvalidJson)],
        };
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn error_bodies_are_json_with_code_and_message() {
        let r = IngestError::QueueUnavailable {
            detail: "connection refused".into(),
            queued: 1,
            failed_indexes: vec![1, 2],
        }
        .into_response("req-1");
        assert_eq!(r.status, 503);
        assert!(r.headers.iter().any(|(k, _)| k == "retry-after"));
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"], "queue_unavailable");
        assert_eq!(v["request_id"], "req-1");
        assert_eq!(v["failed_indexes"], json!([1, 2]));
        assert_eq!(v["queued"], 1);
        assert!(v["message"].as_str().unwrap().contains("2 of 3 records"));
    }

    #[test]
    fn accepted_lists_ids_only_when_few() {
        let ids: Vec<uuid::Uuid> = (0..MAX_LISTED + 1).map(|_| uuid::Uuid::now_v7()).collect();
        let a = Accepted::new("r", &ids, vec![]);
        assert!(a.event_ids.is_none());
        assert_eq!(a.first_event_id, ids.first().copied());
        assert_eq!(a.last_event_id, ids.last().copied());
        let a = Accepted::new("r", &ids[..3], vec![]);
        assert_eq!(a.event_ids.as_deref(), Some(&ids[..3]));
        let body: serde_json::Value = serde_json::from_str(&a.into_response().body).unwrap();
        assert_eq!(body["accepted"], 3);
        assert_eq!(body["event_ids"].as_array().unwrap().len(), 3);
    }
}
