use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};

use super::{resolve_model_dir, EmbedError, WordPiece, DIM, MAX_TOKENS};

pub struct Embedder {
    tokenizer: WordPiece,
    model: BertModel,
    id: String,
    /// Vectors already computed, by SHA-256 prefix of the text: a text is embedded once per
    /// process (evaluation embeds each labelled record as a document and again as a query),
    /// and across runs when the memo is saved to a file.
    memo: Mutex<HashMap<[u8; 16], Vec<f32>>>,
}

fn text_key(t: &str) -> [u8; 16] {
    let d = Sha256::digest(t.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

fn model_err(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Model(e.to_string())
}

impl Embedder {
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let dir = resolve_model_dir(dir)?;
        let config_path = dir.join("config.json");
        let config_text = std::fs::read_to_string(&config_path)
            .map_err(|e| EmbedError::Io(config_path.clone(), e))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| model_err(format!("{}: {e}", config_path.display())))?;
        if config.hidden_size != DIM {
            return Err(model_err(format!(
                "{}: hidden_size {} is not {DIM}",
                config_path.display(),
                config.hidden_size
            )));
        }
        let tokenizer = WordPiece::from_vocab_file(&dir.join("vocab.txt"))?;
        let weights = dir.join("model.safetensors");
        let bytes = std::fs::read(&weights).map_err(|e| EmbedError::Io(weights.clone(), e))?;
        // The id ties stored document vectors to the exact weights that made them.
        let id = format!("all-MiniLM-L6-v2:{}", &hex::encode(Sha256::digest(&bytes))[..16]);
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .map_err(|e| model_err(format!("{}: {e}", weights.display())))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| model_err(format!("{}: {e}", weights.display())))?;
        Ok(Embedder { tokenizer, model, id, memo: Mutex::new(HashMap::new()) })
    }

    pub fn model_id(&self) -> &str {
        &self.id
    }

    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut v = self.embed_batch(&[text])?;
        v.pop().ok_or_else(|| model_err("empty batch result"))
    }

    /// Loads vectors saved by [`Embedder::save_memo`] for this same model; a missing file,
    /// one from another model or an unreadable one is ignored (the texts are embedded again).
    pub fn load_memo(&self, path: &Path) {
        let Ok(bytes) = std::fs::read(path) else { return };
        let Ok((id, rows)) = bincode::deserialize::<(String, Vec<([u8; 16], Vec<f32>)>)>(&bytes)
        else {
            tracing::warn!(path = %path.display(), "ignoring unreadable embedding memo");
            return;
        };
        if id != self.id {
            return;
        }
        if let Ok(mut m) = self.memo.lock() {
            m.extend(rows.into_iter().filter(|(_, v)| v.len() == DIM));
        }
    }

    /// Saves every vector computed so far (with the model id) for a later [`Embedder::load_memo`].
    pub fn save_memo(&self, path: &Path) -> Result<(), EmbedError> {
        let rows: Vec<([u8; 16], Vec<f32>)> = self
            .memo
            .lock()
            .map(|m| m.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default();
        let bytes = bincode::serialize(&(&self.id, rows)).map_err(model_err)?;
        std::fs::write(path, bytes).map_err(|e| EmbedError::Io(path.to_path_buf(), e))
    }

    /// Embeds several texts, reusing memoised vectors; the rest in one forward pass.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let keys: Vec<[u8; 16]> = texts.iter().map(|t| text_key(t)).collect();
        let mut out: Vec<Option<Vec<f32>>> = match self.memo.lock() {
            Ok(m) => keys.iter().map(|k| m.get(k).cloned()).collect(),
            Err(_) => vec![None; texts.len()],
        };
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        if !missing.is_empty() {
            let todo: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let vs = self.forward(&todo)?;
            if let Ok(mut m) = self.memo.lock() {
                for (&i, v) in missing.iter().zip(&vs) {
                    m.insert(keys[i], v.clone());
                }
            }
            for (&i, v) in missing.iter().zip(vs) {
                out[i] = Some(v);
            }
        }
        Ok(out.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// Embeds several texts in one forward pass (padded to the longest).
    fn forward(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encoded: Vec<Vec<u32>> =
            texts.iter().map(|t| self.tokenizer.encode(t, MAX_TOKENS)).collect();
        let len = encoded.iter().map(Vec::len).max().unwrap_or(2);
        let n = encoded.len();
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &encoded {
            ids.extend(e.iter().copied());
            ids.extend(std::iter::repeat_n(0u32, len - e.len()));
            mask.extend(std::iter::repeat_n(1u32, e.len()));
            mask.extend(std::iter::repeat_n(0u32, len - e.len()));
        }
        let dev = &Device::Cpu;
        let ids = Tensor::from_vec(ids, (n, len), dev).map_err(model_err)?;
        let mask = Tensor::from_vec(mask, (n, len), dev).map_err(model_err)?;
        let types = ids.zeros_like().map_err(model_err)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(model_err)?;
        // Mean pooling over real tokens, then L2 normalisation.
        let maskf =
            mask.to_dtype(DType::F32).map_err(model_err)?.unsqueeze(2).map_err(model_err)?;
        let summed = hidden.broadcast_mul(&maskf).and_then(|t| t.sum(1)).map_err(model_err)?;
        let counts = maskf.sum(1).map_err(model_err)?;
        let mean = summed.broadcast_div(&counts).map_err(model_err)?;
        let rows: Vec<Vec<f32>> = mean.to_vec2().map_err(model_err)?;
        Ok(rows.into_iter().map(normalize).collect())
    }
}

fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::dot;

    /// Needs the model (`OCSFMAP_MODEL_DIR`, which the test command fetches and sets).
    #[test]
    fn similar_sentences_are_closer() {
        let dir = crate::testutil::model_dir();
        let e = Embedder::load(Path::new(&dir)).unwrap();
        let v = e
            .embed_batch(&[
                "user failed to log on",
                "authentication failure for account",
                "file was deleted from disk",
            ])
            .unwrap();
        assert_eq!(v[0].len(), DIM);
        assert!((dot(&v[0], &v[0]) - 1.0).abs() < 1e-4);
        assert!(
            dot(&v[0], &v[1]) > dot(&v[0], &v[2]) + 0.1,
            "{} vs {}",
            dot(&v[0], &v[1]),
            dot(&v[0], &v[2])
        );
        // Batching with padding must not change a text's vector.
        let single = e.embed("file was deleted from disk").unwrap();
        assert!(dot(&single, &v[2]) > 0.999);
    }
}
