//! S3 as the engine's [`BlobStore`]: one bucket, keys as given.
//!
//! Conditional writes use S3's `If-None-Match: *` (create only) and `If-Match: <etag>`
//! (replace only that version). S3 answers a lost condition with 412 `PreconditionFailed`,
//! or 409 `ConditionalRequestConflict` when a concurrent write is in flight; both become
//! [`BlobError::PreconditionFailed`]. `If-Match` on a key that no longer exists answers 404:
//! the version we meant to replace is gone, which is also a lost race.
//!
//! Checked against LocalStack 2026.3 (the test services): PutObject with `If-None-Match: *`
//! on an existing key and with a stale `If-Match` both answer 412 `PreconditionFailed`;
//! `If-Match` on a missing key answers 404 `NoSuchKey`; GetObject with a matching
//! `If-None-Match` answers 304. `tests/it/kb_rebuild.rs` asserts this through this adapter,
//! so a LocalStack that stopped honouring the conditions fails a test instead of silently
//! overwriting.

use aws_config::BehaviorVersion;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use ocsfmap::blob::{Blob, BlobError, BlobStore, ObjectMeta, PutCondition};

/// One bucket behind the [`BlobStore`] trait.
#[derive(Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

/// True when the environment points the SDK at another endpoint (LocalStack, MinIO): those
/// have no per-bucket DNS names, so requests must use path-style addressing.
pub fn endpoint_overridden() -> bool {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()))
}

/// An S3 client from the standard AWS environment (region, credentials, endpoint override).
pub async fn client_from_env() -> Client {
    client(&aws_config::load_defaults(BehaviorVersion::latest()).await)
}

/// An S3 client from a function's SDK configuration (path-style behind an endpoint
/// override).
pub fn client(aws: &aws_config::SdkConfig) -> Client {
    let conf =
        aws_sdk_s3::config::Builder::from(aws).force_path_style(endpoint_overridden()).build();
    Client::from_conf(conf)
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3BlobStore { client, bucket: bucket.into() }
    }

    pub fn from_sdk_config(aws: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        Self::new(client(aws), bucket)
    }

    /// A store for `bucket` configured from the environment.
    pub async fn from_env(bucket: impl Into<String>) -> Self {
        Self::new(client_from_env().await, bucket)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn fetch(
        &self,
        key: &str,
        if_none_match: Option<&str>,
    ) -> Result<Option<Blob>, BlobError> {
        let mut req = self.client.get_object().bucket(&self.bucket).key(key);
        if let Some(etag) = if_none_match {
            req = req.if_none_match(etag);
        }
        let out = match req.send().await {
            Ok(out) => out,
            Err(e) if status(&e) == Some(304) => return Ok(None),
            Err(e) => return Err(map_err(key, Op::Read, e)),
        };
        let etag = out.e_tag().map(str::to_string);
        let body = out.body.collect().await.map_err(|e| {
            BlobError::Unavailable(format!("reading s3://{}/{key}: {e}", self.bucket))
        })?;
        Ok(Some(Blob { bytes: body.into_bytes().to_vec(), etag }))
    }
}

impl BlobStore for S3BlobStore {
    async fn get(&self, key: &str) -> Result<Blob, BlobError> {
        self.fetch(key, None)
            .await?
            .ok_or_else(|| BlobError::Other(format!("s3://{}/{key}: unexpected 304", self.bucket)))
    }

    async fn get_if_changed(
        &self,
        key: &str,
        etag: Option<&str>,
    ) -> Result<Option<Blob>, BlobError> {
        self.fetch(key, etag).await
    }

    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        cond: PutCondition,
    ) -> Result<String, BlobError> {
        let mut req =
            self.client.put_object().bucket(&self.bucket).key(key).body(ByteStream::from(bytes));
        let op = match &cond {
            PutCondition::None => Op::Write,
            PutCondition::IfAbsent => {
                req = req.if_none_match("*");
                Op::ConditionalWrite
            }
            PutCondition::IfMatch(etag) => {
                req = req.if_match(etag);
                Op::ConditionalWrite
            }
        };
        let out = req.send().await.map_err(|e| map_err(key, op, e))?;
        out.e_tag().map(str::to_string).ok_or_else(|| {
            BlobError::Other(format!(
                "s3://{}/{key}: PutObject answered without an ETag",
                self.bucket
            ))
        })
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, BlobError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| map_err(prefix, Op::Read, e))?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                out.push(ObjectMeta {
                    key: key.to_string(),
                    etag: o.e_tag().map(str::to_string),
                    size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    last_modified_ms: o.last_modified().and_then(|t| t.to_millis().ok()),
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        // S3 answers 204 for a missing key too, which matches the trait (idempotent delete).
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| map_err(key, Op::Write, e))?;
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Write,
    ConditionalWrite,
}

fn status<E, R: HasStatus>(e: &SdkError<E, R>) -> Option<u16> {
    e.raw_response().map(HasStatus::status_code)
}

trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// A blob error from an SDK error, its text with all its causes (the SDK's `Display` alone
/// says only "service error").
fn map_err<E>(
    key: &str,
    op: Op,
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_string);
    let st = status(&e);
    let text = format!("{key}: {}", ocsfmap::text::error_chain(&e));
    kind(
        op,
        st,
        code.as_deref(),
        matches!(
            e,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_)
        ),
    )
    .into_error(key, text)
}

/// What an S3 failure means to the engine; split from [`map_err`] so it can be unit tested
/// without building SDK errors.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    NotFound,
    Precondition,
    Unavailable,
    Other,
}

impl Kind {
    fn into_error(self, key: &str, text: String) -> BlobError {
        match self {
            Kind::NotFound => BlobError::NotFound(key.to_string()),
            Kind::Precondition => BlobError::PreconditionFailed(key.to_string()),
            Kind::Unavailable => BlobError::Unavailable(text),
            Kind::Other => BlobError::Other(text),
        }
    }
}

fn kind(op: Op, status: Option<u16>, code: Option<&str>, transport: bool) -> Kind {
    if transport {
        return Kind::Unavailable;
    }
    match (status, code) {
        (_, Some("PreconditionFailed" | "ConditionalRequestConflict")) | (Some(412), _) => {
            Kind::Precondition
        }
        (Some(409), _) if op == Op::ConditionalWrite => Kind::Precondition,
        (_, Some("NoSuchBucket")) => Kind::Other,
        (Some(404), _) | (_, Some("NoSuchKey" | "NotFound")) if op == Op::ConditionalWrite => {
            Kind::Precondition
        }
        (Some(404), _) | (_, Some("NoSuchKey" | "NotFound")) => Kind::NotFound,
        (
            _,
            Some(
                "SlowDown" | "ServiceUnavailable" | "InternalError" | "RequestTimeout"
                | "Throttling",
            ),
        ) => Kind::Unavailable,
        (Some(s), _) if s >= 500 || s == 429 => Kind::Unavailable,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_what_the_engine_acts_on() {
        use Kind::*;
        let cw = Op::ConditionalWrite;
        assert_eq!(kind(cw, Some(412), Some("PreconditionFailed"), false), Precondition);
        assert_eq!(kind(cw, Some(409), Some("ConditionalRequestConflict"), false), Precondition);
        assert_eq!(
            kind(cw, Some(404), Some("NoSuchKey"), false),
            Precondition,
            "If-Match on a vanished key lost the race"
        );
        assert_eq!(kind(Op::Read, Some(404), Some("NoSuchKey"), false), NotFound);
        assert_eq!(
            kind(Op::Read, Some(404), None, false),
            NotFound,
            "HEAD-style 404 without a body"
        );
        assert_eq!(
            kind(Op::Read, Some(404), Some("NoSuchBucket"), false),
            Other,
            "a missing bucket is configuration, not a missing object"
        );
        assert_eq!(kind(Op::Write, Some(503), Some("SlowDown"), false), Unavailable);
        assert_eq!(kind(Op::Read, Some(500), None, false), Unavailable);
        assert_eq!(kind(Op::Read, None, None, true), Unavailable);
        assert_eq!(kind(Op::Write, Some(403), Some("AccessDenied"), false), Other);
        assert_eq!(kind(Op::Write, Some(409), Some("OperationAborted"), false), Other);
    }
}
