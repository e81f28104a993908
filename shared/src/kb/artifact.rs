//! The on-disk artifact: `OCSFMAPKB` magic, format version, a JSON header that describes the
//! content (OCSF version, build time, content hash, counts), then the bincode body. The hash
//! covers the body, so a truncated or altered file is refused rather than half-loaded.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DocKind, KbBody, KnowledgeBase};

const MAGIC: &[u8; 9] = b"OCSFMAPKB";
/// Version of the artifact layout; bump on any change to [`KbBody`].
pub const FORMAT_VERSION: u32 = 7;
const MAX_HEADER: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("cannot read knowledge base {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is not an ocsfmap knowledge base (bad magic)")]
    NotKb { path: String },
    #[error("knowledge base {path} has format version {found}; this build reads version {FORMAT_VERSION}: rebuild it with `ocsfmap kb build`")]
    Version { path: String, found: u32 },
    #[error("knowledge base {path} is corrupt: {what}")]
    Corrupt { path: String, what: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocCounts {
    pub classes: usize,
    pub examples: usize,
    pub pack: usize,
    pub overrides: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbHeader {
    pub format_version: u32,
    pub ocsf_version: String,
    /// RFC 3339 UTC.
    pub built_at: String,
    /// SHA-256 of the body, hex. Equal inputs give equal hashes (the build time is not in the body).
    pub content_hash: String,
    pub counts: DocCounts,
    pub embedding_model: Option<String>,
}

impl KbHeader {
    pub fn describe(body: &KbBody, content_hash: String) -> Self {
        let count = |k: DocKind| body.docs.iter().filter(|d| d.kind == k).count();
        KbHeader {
            format_version: FORMAT_VERSION,
            ocsf_version: body.schema.version.clone(),
            built_at: now_rfc3339(),
            content_hash,
            counts: DocCounts {
                classes: count(DocKind::Class),
                examples: count(DocKind::Example),
                pack: count(DocKind::Pack),
                overrides: count(DocKind::Override),
            },
            embedding_model: body.embedding_model.clone(),
        }
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn corrupt(path: &str, what: impl Into<String>) -> KbError {
    KbError::Corrupt { path: path.into(), what: what.into() }
}

/// Serialises a body into artifact bytes, returning them with their header.
pub fn to_bytes(body: &KbBody) -> Result<(Vec<u8>, KbHeader), KbError> {
    let payload =
        bincode::serialize(body).map_err(|e| corrupt("<memory>", format!("cannot encode: {e}")))?;
    let header = KbHeader::describe(body, hex::encode(Sha256::digest(&payload)));
    let header_json =
        serde_json::to_vec(&header).map_err(|e| corrupt("<memory>", e.to_string()))?;
    let mut out = Vec::with_capacity(payload.len() + header_json.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_json);
    out.extend_from_slice(&payload);
    Ok((out, header))
}

/// Reads only the header (cheap: used to compare versions without loading the body).
pub fn read_header(bytes: &[u8], path: &str) -> Result<(KbHeader, usize), KbError> {
    if bytes.len() < MAGIC.len() + 8 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(KbError::NotKb { path: path.into() });
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(MAGIC.len());
    if version != FORMAT_VERSION {
        return Err(KbError::Version { path: path.into(), found: version });
    }
    let hlen = word(MAGIC.len() + 4) as usize;
    let start = MAGIC.len() + 8;
    if hlen > MAX_HEADER || start + hlen > bytes.len() {
        return Err(corrupt(path, "header length runs past the end of the file"));
    }
    let header: KbHeader = serde_json::from_slice(&bytes[start..start + hlen])
        .map_err(|e| corrupt(path, format!("header: {e}")))?;
    Ok((header, start + hlen))
}

pub fn from_bytes(bytes: &[u8], path: &str) -> Result<KnowledgeBase, KbError> {
    let (header, body_at) = read_header(bytes, path)?;
    let payload = &bytes[body_at..];
    let hash = hex::encode(Sha256::digest(payload));
    if hash != header.content_hash {
        return Err(corrupt(
            path,
            format!("content hash {hash} does not match the header's {}", header.content_hash),
        ));
    }
    let body: KbBody =
        bincode::deserialize(payload).map_err(|e| corrupt(path, format!("body: {e}")))?;
    let dim = crate::embed::DIM;
    if !body.embeddings.is_empty() && body.embeddings.len() != body.docs.len() * dim {
        return Err(corrupt(path, "embedding matrix does not match the document count"));
    }
    Ok(KnowledgeBase::from_body(header, body))
}

pub fn save(body: &KbBody, path: &Path) -> Result<KbHeader, KbError> {
    let (bytes, header) = to_bytes(body)?;
    let io = |source| KbError::Io { path: path.display().to_string(), source };
    // Write beside and rename, so a reader never sees a half-written file.
    let tmp = path.with_extension("kb.tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(&bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(header)
}

pub fn load(path: &Path) -> Result<KnowledgeBase, KbError> {
    let bytes = std::fs::read(path)
        .map_err(|source| KbError::Io { path: path.display().to_string(), source })?;
    from_bytes(&bytes, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::mini_body;

    #[test]
    fn round_trip_keeps_everything_and_header_describes_it() {
        let body = mini_body(Vec::new());
        let (bytes, header) = to_bytes(&body).unwrap();
        assert_eq!(header.format_version, FORMAT_VERSION);
        assert_eq!(header.ocsf_version, "1.8.0");
        assert_eq!(header.counts.classes, 4);
        assert_eq!(header.counts.examples, 3);
        let kb = from_bytes(&bytes, "mem").unwrap();
        assert_eq!(kb.header, header);
        assert_eq!(kb.body.docs, body.docs);
        // Same inputs, same content hash (build time is outside the hash).
        let (_, again) = to_bytes(&mini_body(Vec::new())).unwrap();
        assert_eq!(again.content_hash, header.content_hash);
    }

    #[test]
    fn save_and_load_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kb.kb");
        let header = save(&mini_body(Vec::new()), &path).unwrap();
        assert_eq!(load(&path).unwrap().header, header);
        assert!(load(&dir.path().join("missing.kb"))
            .unwrap_err()
            .to_string()
            .contains("missing.kb"));
    }

    #[test]
    fn corruption_is_refused_with_a_clear_error() {
        let (bytes, _) = to_bytes(&mini_body(Vec::new())).unwrap();
        let err =
            |b: &[u8]| from_bytes(b, "kb.bin").err().map(|e| e.to_string()).unwrap_or_default();

        assert!(err(b"hello world, not a kb").contains("not an ocsfmap knowledge base"));
        assert!(err(&[]).contains("not an ocsfmap knowledge base"));

        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert!(err(&flipped).contains("content hash"), "{}", err(&flipped));

        let truncated = &bytes[..bytes.len() - 10];
        assert!(err(truncated).contains("corrupt"));

        let mut future = bytes.clone();
        future[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&99u32.to_le_bytes());
        let e = err(&future);
        assert!(e.contains("format version 99") && e.contains("kb build"), "{e}");

        let mut bad_header_len = bytes;
        bad_header_len[MAGIC.len() + 4..MAGIC.len() + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(err(&bad_header_len).contains("header length"));
    }
}
