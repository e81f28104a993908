//! The knowledge base a long-lived process serves: loaded from the object store through the
//! pointer, cached on local disk, re-checked cheaply between batches, and kept when the store
//! cannot be reached.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::blob::{BlobError, BlobStore};
use crate::classify::{self, Classifier};
use crate::embed::Embedder;
use crate::event::Mapper;
use crate::failure::{Disposition, Failure};
use crate::kb::artifact;
use crate::kb::pointer::Pointer;

#[derive(Debug, Clone)]
pub struct KbHolderConfig {
    /// Key of the pointer object (`kb/current.json`).
    pub pointer_key: String,
    /// Where artifacts are cached (`/tmp/ocsfmap-kb` on Lambda); `None` keeps them in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Minimum time between two pointer checks; zero checks before every batch.
    pub check_interval: Duration,
    pub classify: classify::Config,
}

/// A loaded version with the classifier and event mapper built for it.
pub struct ActiveKb {
    pub pointer: Pointer,
    pub classifier: Classifier,
    pub mapper: Mapper,
}

impl ActiveKb {
    /// Version id written to rows and logs.
    pub fn version(&self) -> &str {
        self.pointer.version()
    }
}

/// Why no knowledge base can be served. Always retryable: publishing one, or the store
/// coming back, fixes it.
#[derive(Debug, thiserror::Error)]
pub enum KbUnavailable {
    #[error("no knowledge base published: pointer {key} does not exist (run kb-rebuild)")]
    NotPublished { key: String },
    #[error("knowledge base store unreachable and no version loaded yet: {0}")]
    Store(BlobError),
    #[error("knowledge base pointer {key} is unusable: {reason}")]
    BadPointer { key: String, reason: String },
    #[error("knowledge base artifact {key} cannot be loaded: {reason}")]
    BadArtifact { key: String, reason: String },
}

impl Failure for KbUnavailable {
    fn disposition(&self) -> Disposition {
        match self {
            KbUnavailable::Store(e) => e.disposition(),
            // kb-rebuild (scheduled, or triggered by a source change) publishes a KB, and
            // replaces an unreadable pointer or an artifact of another format version,
            // without this function changing.
            KbUnavailable::NotPublished { .. }
            | KbUnavailable::BadPointer { .. }
            | KbUnavailable::BadArtifact { .. } => Disposition::Retry,
        }
    }
}

struct State {
    active: Option<Arc<ActiveKb>>,
    /// ETag of the pointer object the active version came from.
    pointer_etag: Option<String>,
    last_check: Option<Instant>,
}

pub struct KbHolder<S> {
    store: S,
    cfg: KbHolderConfig,
    embedder: Option<Arc<Embedder>>,
    state: tokio::sync::Mutex<State>,
}

const CACHED_POINTER: &str = "pointer.json";

impl<S: BlobStore> KbHolder<S> {
    pub fn new(store: S, cfg: KbHolderConfig, embedder: Option<Arc<Embedder>>) -> Self {
        let state = State { active: None, pointer_etag: None, last_check: None };
        KbHolder { store, cfg, embedder, state: tokio::sync::Mutex::new(state) }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The version to classify with, checking the pointer first when the check interval has
    /// passed. A failed check keeps the loaded version (logged); with nothing loaded it is
    /// an error.
    pub async fn current(&self) -> Result<Arc<ActiveKb>, KbUnavailable> {
        let mut st = self.state.lock().await;
        let due = st.last_check.is_none_or(|t| t.elapsed() >= self.cfg.check_interval);
        if let (false, Some(active)) = (due, &st.active) {
            return Ok(active.clone());
        }
        match self.check(&mut st).await {
            Ok(active) => Ok(active),
            Err(e) => match &st.active {
                Some(active) => {
                    tracing::warn!(error = %e, kb_version = active.version(), "knowledge base check failed; serving the loaded version");
                    Ok(active.clone())
                }
                None => Err(e),
            },
        }
    }

    async fn check(&self, st: &mut State) -> Result<Arc<ActiveKb>, KbUnavailable> {
        let key = &self.cfg.pointer_key;
        // Whatever happens, do not hammer a failing store on every batch.
        st.last_check = Some(Instant::now());
        let etag = if st.active.is_some() { st.pointer_etag.as_deref() } else { None };
        let blob = match self.store.get_if_changed(key, etag).await {
            Ok(None) => {
                if let Some(a) = &st.active {
                    return Ok(a.clone());
                }
                // unreachable in practice (no etag is sent without an active version)
                return Err(KbUnavailable::NotPublished { key: key.clone() });
            }
            Ok(Some(b)) => b,
            Err(BlobError::NotFound(_)) => {
                return Err(KbUnavailable::NotPublished { key: key.clone() })
            }
            Err(e) if st.active.is_none() => return self.serve_disk_cache(st, e).await,
            Err(e) => return Err(KbUnavailable::Store(e)),
        };
        let pointer: Pointer = serde_json::from_slice(&blob.bytes)
            .map_err(|e| KbUnavailable::BadPointer { key: key.clone(), reason: e.to_string() })?;
        if let Some(a) =
            st.active.as_ref().filter(|a| a.pointer.content_hash == pointer.content_hash)
        {
            // Pointer rewritten (e.g. new accuracy) but the same artifact.
            let a = a.clone();
            st.pointer_etag = blob.etag;
            return Ok(a);
        }
        let active = Arc::new(self.load(pointer).await?);
        let previous = st.active.as_ref().map(|a| a.version().to_string()).unwrap_or_default();
        tracing::info!(
            kb_version = active.version(),
            previous = %previous,
            ocsf_version = %active.pointer.ocsf_version,
            "knowledge base loaded"
        );
        st.active = Some(active.clone());
        st.pointer_etag = blob.etag;
        Ok(active)
    }

    /// Loads the version `pointer` names: from the disk cache when it holds that artifact
    /// intact, else from the store (then cached).
    async fn load(&self, pointer: Pointer) -> Result<ActiveKb, KbUnavailable> {
        if let Some(path) = self.cache_path(&pointer.content_hash) {
            if let Some(bytes) = std::fs::read(&path).ok().filter(|b| header_matches(b, &pointer)) {
                match self.build(pointer.clone(), bytes).await {
                    Ok((active, _)) => return Ok(active),
                    Err(e) => {
                        tracing::warn!(error = %e, path = %path.display(), "cached knowledge base unusable; fetching it again");
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
        }
        let blob = self.store.get(&pointer.key).await.map_err(|e| match e {
            BlobError::Unavailable(_) => KbUnavailable::Store(e),
            other => {
                KbUnavailable::BadArtifact { key: pointer.key.clone(), reason: other.to_string() }
            }
        })?;
        let (active, bytes) = self.build(pointer, blob.bytes).await?;
        self.write_cache(&active.pointer, &bytes);
        Ok(active)
    }

    /// Decodes and indexes an artifact (CPU work, kept off the async workers) and builds the
    /// classifier and event mapper for it. Hands the bytes back for caching.
    async fn build(
        &self,
        pointer: Pointer,
        bytes: Vec<u8>,
    ) -> Result<(ActiveKb, Vec<u8>), KbUnavailable> {
        let key = pointer.key.clone();
        let bad = |reason: String| KbUnavailable::BadArtifact { key: key.clone(), reason };
        let (header, _) =
            artifact::read_header(&bytes, &pointer.key).map_err(|e| bad(e.to_string()))?;
        if header.content_hash != pointer.content_hash {
            return Err(bad(format!(
                "artifact hash {} is not the pointer's {}",
                header.content_hash, pointer.content_hash
            )));
        }
        let embedder = self.embedder.clone();
        let cfg = self.cfg.classify.clone();
        tokio::task::spawn_blocking(move || {
            let kb =
                Arc::new(artifact::from_bytes(&bytes, &pointer.key).map_err(|e| e.to_string())?);
            let mapper = Mapper::for_kb(&kb);
            let classifier = Classifier::new(kb, embedder, cfg);
            Ok::<_, String>((ActiveKb { pointer, classifier, mapper }, bytes))
        })
        .await
        .map_err(|e| bad(format!("loader task failed: {e}")))?
        .map_err(bad)
    }

    /// At start-up with the store unreachable: serve what a previous process in this
    /// execution environment cached, if anything.
    async fn serve_disk_cache(
        &self,
        st: &mut State,
        store_err: BlobError,
    ) -> Result<Arc<ActiveKb>, KbUnavailable> {
        let Some(dir) = &self.cfg.cache_dir else { return Err(KbUnavailable::Store(store_err)) };
        let Some(pointer) = std::fs::read(dir.join(CACHED_POINTER))
            .ok()
            .and_then(|b| serde_json::from_slice::<Pointer>(&b).ok())
        else {
            return Err(KbUnavailable::Store(store_err));
        };
        match self.cache_path(&pointer.content_hash).and_then(|p| std::fs::read(p).ok()) {
            Some(bytes) if header_matches(&bytes, &pointer) => {}
            _ => return Err(KbUnavailable::Store(store_err)),
        }
        let active = Arc::new(self.load(pointer).await?);
        tracing::warn!(error = %store_err, kb_version = active.version(), "knowledge base store unreachable; serving the version cached on disk");
        // No ETag: the next successful check reloads the pointer and compares hashes.
        st.active = Some(active.clone());
        st.pointer_etag = None;
        Ok(active)
    }

    fn cache_path(&self, content_hash: &str) -> Option<PathBuf> {
        let safe = !content_hash.is_empty() && content_hash.chars().all(|c| c.is_ascii_hexdigit());
        match (&self.cfg.cache_dir, safe) {
            (Some(dir), true) => Some(dir.join(format!("{content_hash}.kb"))),
            _ => None,
        }
    }

    /// Best effort: a full or read-only disk only costs the cache.
    fn write_cache(&self, pointer: &Pointer, bytes: &[u8]) {
        let (Some(dir), Some(path)) = (&self.cfg.cache_dir, self.cache_path(&pointer.content_hash))
        else {
            return;
        };
        let result = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            if !path.exists() {
                write_atomic(&path, bytes)?;
            }
            write_atomic(
                &dir.join(CACHED_POINTER),
                &serde_json::to_vec(pointer).unwrap_or_default(),
            )?;
            // Keep only the artifact being served: /tmp is small.
            for e in std::fs::read_dir(dir)?.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "kb") && p != path {
                    let _ = std::fs::remove_file(&p);
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot cache the knowledge base on disk");
        }
    }
}

fn header_matches(bytes: &[u8], pointer: &Pointer) -> bool {
    artifact::read_header(bytes, &pointer.key)
        .is_ok_and(|(h, _)| h.content_hash == pointer.content_hash)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
