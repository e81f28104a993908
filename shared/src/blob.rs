//! Object storage as the engine sees it (S3 at the edge, a directory locally and in unit
//! tests). The knowledge base's artifacts, pointer and sources live behind this trait.

use std::future::Future;
use std::path::PathBuf;

use crate::failure::{Disposition, Failure};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object {0} not found")]
    NotFound(String),
    /// A conditional write lost a race (the object changed or already exists).
    #[error("precondition failed writing {0}")]
    PreconditionFailed(String),
    /// The store could not be reached or answered with a transient error: retry later.
    #[error("object store unavailable: {0}")]
    Unavailable(String),
    #[error("object store error: {0}")]
    Other(String),
}

impl Failure for BlobError {
    fn disposition(&self) -> Disposition {
        match self {
            BlobError::Unavailable(_) => Disposition::Retry,
            BlobError::NotFound(_) | BlobError::PreconditionFailed(_) | BlobError::Other(_) => {
                Disposition::Permanent
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub etag: Option<String>,
    pub size: u64,
    /// Milliseconds since the epoch, when known.
    pub last_modified_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutCondition {
    None,
    /// Only create: fail if the key exists (S3 `If-None-Match: *`).
    IfAbsent,
    /// Only replace this version (S3 `If-Match: <etag>`).
    IfMatch(String),
}

pub trait BlobStore: Send + Sync {
    fn get(&self, key: &str) -> impl Future<Output = Result<Blob, BlobError>> + Send;
    /// `Ok(None)` when the object's ETag still equals `etag` (cheap change check).
    fn get_if_changed(
        &self,
        key: &str,
        etag: Option<&str>,
    ) -> impl Future<Output = Result<Option<Blob>, BlobError>> + Send;
    /// Writes and returns the new ETag.
    fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        cond: PutCondition,
    ) -> impl Future<Output = Result<String, BlobError>> + Send;
    fn list(&self, prefix: &str)
        -> impl Future<Output = Result<Vec<ObjectMeta>, BlobError>> + Send;
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), BlobError>> + Send;
}

/// A directory as a blob store (CLI, local runs, unit tests). ETags are content hashes.
/// Conditional writes are checked under a process-wide lock, enough for one process.
pub struct FsBlobStore {
    root: PathBuf,
}

static FS_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl FsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsBlobStore { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        if key.split('/').any(|p| p == ".." || p.is_empty()) {
            return Err(BlobError::Other(format!("invalid key {key:?}")));
        }
        Ok(self.root.join(key))
    }

    fn etag(bytes: &[u8]) -> String {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(bytes)[..16])
    }

    fn read(&self, key: &str) -> Result<Blob, BlobError> {
        let p = self.path(key)?;
        match std::fs::read(&p) {
            Ok(bytes) => Ok(Blob { etag: Some(Self::etag(&bytes)), bytes }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(BlobError::NotFound(key.into()))
            }
            Err(e) => Err(BlobError::Other(format!("{}: {e}", p.display()))),
        }
    }
}

impl BlobStore for FsBlobStore {
    async fn get(&self, key: &str) -> Result<Blob, BlobError> {
        self.read(key)
    }

    async fn get_if_changed(
        &self,
        key: &str,
        etag: Option<&str>,
    ) -> Result<Option<Blob>, BlobError> {
        let b = self.read(key)?;
        Ok(if etag.is_some() && b.etag.as_deref() == etag { None } else { Some(b) })
    }

    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        cond: PutCondition,
    ) -> Result<String, BlobError> {
        let p = self.path(key)?;
        let _guard = FS_LOCK.lock().map_err(|_| BlobError::Other("lock poisoned".into()))?;
        let current = match self.read(key) {
            Ok(b) => b.etag,
            Err(BlobError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        match (&cond, &current) {
            (PutCondition::IfAbsent, Some(_)) => {
                return Err(BlobError::PreconditionFailed(key.into()))
            }
            (PutCondition::IfMatch(want), cur) if cur.as_deref() != Some(want.as_str()) => {
                return Err(BlobError::PreconditionFailed(key.into()))
            }
            _ => {}
        }
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| BlobError::Other(format!("{}: {e}", dir.display())))?;
        }
        let tmp = p.with_extension("tmp-write");
        std::fs::write(&tmp, &bytes)
            .map_err(|e| BlobError::Other(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &p).map_err(|e| BlobError::Other(format!("{}: {e}", p.display())))?;
        Ok(Self::etag(&bytes))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, BlobError> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else { continue };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let Ok(rel) = p.strip_prefix(&self.root) else { continue };
                let key = rel.to_string_lossy().replace('\\', "/");
                if key.starts_with(prefix) && !key.ends_with(".tmp-write") {
                    let meta = e.metadata().ok();
                    let modified = meta
                        .as_ref()
                        .and_then(|m| m.modified().ok())
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
                    let bytes = std::fs::read(&p).unwrap_or_default();
                    out.push(ObjectMeta {
                        key,
                        etag: Some(Self::etag(&bytes)),
                        size: bytes.len() as u64,
                        last_modified_ms: modified.map(|d| d.as_millis() as i64),
                    });
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match std::fs::remove_file(self.path(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BlobError::Other(format!("{key}: {e}"))),
        }
    }
}
