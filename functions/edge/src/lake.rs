//! The Security Lake bucket as [`LakeStore`]: PutObject (SSE-KMS with the lake's key when
//! one is configured) and DeleteObject, optionally as the role Security Lake created for the
//! custom source (sts:AssumeRole with its external ID; the SDK refreshes the credentials).

use aws_config::sts::AssumeRoleProvider;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_s3::Client;
use ocsfmap::lake::export::LakeStore;
use ocsfmap::store::StoreError;

/// Who writes to the lake bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeAccess {
    pub bucket: String,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub kms_key_arn: Option<String>,
}

pub struct S3LakeStore {
    client: Client,
    bucket: String,
    kms_key_arn: Option<String>,
}

impl S3LakeStore {
    /// A client for the lake bucket, as the custom source's role when one is given.
    pub async fn new(aws: &aws_config::SdkConfig, access: &LakeAccess) -> Self {
        let mut conf = aws_sdk_s3::config::Builder::from(aws)
            .force_path_style(crate::s3::endpoint_overridden());
        if let Some(role) = &access.role_arn {
            let mut p = AssumeRoleProvider::builder(role).session_name("ocsfmap-lake-export");
            if let Some(id) = &access.external_id {
                p = p.external_id(id);
            }
            let provider = p.configure(aws).build().await;
            conf = conf.credentials_provider(provider);
        }
        S3LakeStore {
            client: Client::from_conf(conf.build()),
            bucket: access.bucket.clone(),
            kms_key_arn: access.kms_key_arn.clone(),
        }
    }
}

fn store_error<E: ProvideErrorMetadata + std::fmt::Debug>(
    what: &str,
    key: &str,
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> StoreError {
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    let code = e.code().unwrap_or("").to_string();
    // Retryable whatever the cause: a refused write (permissions, KMS, a bucket policy)
    // leaves the interval without a ledger row, so the next run writes it again once the
    // operator has fixed the cause; nothing is lost and nothing is written twice.
    StoreError::Unavailable(format!(
        "{what} {key}: HTTP {status} {code} {}",
        e.message().unwrap_or_default()
    ))
}

impl LakeStore for S3LakeStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/vnd.apache.parquet")
            .body(ByteStream::from(bytes));
        if let Some(k) = &self.kms_key_arn {
            req = req.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id(k);
        }
        req.send().await.map_err(|e| store_error("PutObject", key, e))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| store_error("DeleteObject", key, e))?;
        Ok(())
    }
}
