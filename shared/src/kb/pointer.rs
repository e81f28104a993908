//! The pointer object that names the knowledge base version `classify` should serve.
//!
//! Layout in the KB bucket (prefixes configurable):
//! - `kb/versions/<content_hash>.kb`: immutable artifacts, one per distinct content;
//! - `kb/current.json`: this pointer, moved only after a candidate passed the quality gate;
//! - `kb/sources/...`: the inputs `kb-rebuild` reads (schema, example and pack files).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pointer {
    /// Object key of the artifact, e.g. `kb/versions/<content_hash>.kb`.
    pub key: String,
    /// The artifact header's content hash (also the version id).
    pub content_hash: String,
    /// Hash of the inputs the artifact was built from; an unchanged hash means nothing to publish.
    pub inputs_hash: String,
    pub ocsf_version: String,
    /// RFC 3339 UTC.
    pub published_at: String,
    /// Held-back accuracy measured by the quality gate when this version was published.
    #[serde(default)]
    pub accuracy: Option<f64>,
}

impl Pointer {
    /// The KB version id used in rows and logs (a short prefix of the content hash).
    pub fn version(&self) -> &str {
        self.content_hash.get(..12).unwrap_or(&self.content_hash)
    }
}
