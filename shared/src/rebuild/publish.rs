//! Publishing: the immutable artifact first, then the pointer with a conditional write, so
//! a reader sees the old version or the new one, never a pointer to a missing artifact or a
//! mix; then retention of the last N versions.

use super::{RebuildConfig, RebuildError};
use crate::blob::{BlobError, BlobStore, PutCondition};
use crate::kb::pointer::Pointer;
use crate::kb::{artifact, KbError, KnowledgeBase};

/// The pointer as read at the start of a run, with the ETag the pointer move is conditional on.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// `None`: no pointer yet, or one that does not parse (it gets replaced).
    pub pointer: Option<Pointer>,
    /// `None`: no pointer object at all (the first publish creates it with `IfAbsent`).
    pub etag: Option<String>,
}

pub fn version_key(versions_prefix: &str, content_hash: &str) -> String {
    format!("{versions_prefix}{content_hash}.kb")
}

pub async fn read_pointer<S: BlobStore>(store: &S, key: &str) -> Result<Current, RebuildError> {
    match store.get(key).await {
        Ok(blob) => match serde_json::from_slice::<Pointer>(&blob.bytes) {
            Ok(p) => Ok(Current { pointer: Some(p), etag: blob.etag }),
            Err(e) => {
                // classify cannot use it either: replacing it (conditionally) is the repair.
                tracing::warn!(pointer = key, error = %e, "the KB pointer does not parse; the next publish replaces it");
                Ok(Current { pointer: None, etag: blob.etag })
            }
        },
        Err(BlobError::NotFound(_)) => Ok(Current::default()),
        Err(e) => Err(e.into()),
    }
}

/// The serving KB, for the gate. `None` when there is none or it cannot be used (missing,
/// corrupt, an older artifact format): classify cannot serve it either, so there is nothing
/// to protect. A store that cannot be reached is an error: the gate must not be skipped
/// because of a network blip.
pub async fn load_current<S: BlobStore>(
    store: &S,
    current: &Current,
) -> Result<Option<KnowledgeBase>, RebuildError> {
    let Some(p) = &current.pointer else { return Ok(None) };
    let blob = match store.get(&p.key).await {
        Ok(b) => b,
        Err(BlobError::NotFound(_)) => {
            tracing::warn!(key = %p.key, "the pointer names a missing artifact; gating without a baseline");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    match artifact::from_bytes(&blob.bytes, &p.key) {
        Ok(kb) => Ok(Some(kb)),
        Err(e @ (KbError::NotKb { .. } | KbError::Version { .. } | KbError::Corrupt { .. })) => {
            tracing::warn!(key = %p.key, error = %e, "the serving artifact is unusable; gating without a baseline");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn exists<S: BlobStore>(store: &S, key: &str) -> Result<bool, BlobError> {
    Ok(store.list(key).await?.iter().any(|m| m.key == key))
}

/// Writes the artifact (create-only: same key, same content) and moves the pointer from
/// `current`. `Ok(false)` when the pointer changed since `current` was read.
pub async fn publish<S: BlobStore>(
    store: &S,
    cfg: &RebuildConfig,
    current: &Current,
    key: &str,
    artifact: Vec<u8>,
    pointer: &Pointer,
) -> Result<bool, RebuildError> {
    // An artifact already there has this content (the key is its hash): keep the bytes in
    // case another run's retention removes it before our pointer lands.
    let (kept, created) = if exists(store, key).await? {
        (Some(artifact), false)
    } else {
        match store.put(key, artifact, PutCondition::IfAbsent).await {
            Ok(_) => (None, true),
            Err(BlobError::PreconditionFailed(_)) => (None, false),
            Err(e) => return Err(e.into()),
        }
    };
    let bytes = serde_json::to_vec_pretty(pointer)
        .map_err(|e| RebuildError::Config(format!("encoding the pointer: {e}")))?;
    let cond = match &current.etag {
        Some(etag) => PutCondition::IfMatch(etag.clone()),
        None => PutCondition::IfAbsent,
    };
    match store.put(&cfg.pointer_key, bytes, cond).await {
        Ok(_) => {}
        Err(BlobError::PreconditionFailed(_)) => {
            // Another run moved the pointer first: the artifact we created is an orphan
            // unless the winner points at the same content.
            if created
                && read_pointer(store, &cfg.pointer_key).await?.pointer.map(|p| p.key).as_deref()
                    != Some(key)
            {
                store.delete(key).await?;
                tracing::info!(%key, "lost the race to publish; deleted the artifact written for it");
            }
            return Ok(false);
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(bytes) = kept {
        if !exists(store, key).await? {
            tracing::warn!(%key, "artifact removed by a concurrent retention; writing it again");
            match store.put(key, bytes, PutCondition::IfAbsent).await {
                Ok(_) | Err(BlobError::PreconditionFailed(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(true)
}

/// Deletes artifacts beyond the `keep_versions` most recent, never the one the pointer
/// names (read afresh here). Returns the deleted keys.
pub async fn retain<S: BlobStore>(
    store: &S,
    cfg: &RebuildConfig,
) -> Result<Vec<String>, RebuildError> {
    let mut versions: Vec<_> = store
        .list(&cfg.versions_prefix)
        .await?
        .into_iter()
        .filter(|m| m.key.ends_with(".kb"))
        .collect();
    versions.sort_by(|a, b| {
        b.last_modified_ms.cmp(&a.last_modified_ms).then_with(|| b.key.cmp(&a.key))
    });
    let serving = read_pointer(store, &cfg.pointer_key).await?.pointer.map(|p| p.key);
    let mut deleted = Vec::new();
    for old in versions.iter().skip(cfg.keep_versions) {
        if serving.as_deref() == Some(old.key.as_str()) {
            continue;
        }
        store.delete(&old.key).await?;
        tracing::info!(key = %old.key, "deleted an old knowledge base version");
        deleted.push(old.key.clone());
    }
    Ok(deleted)
}
