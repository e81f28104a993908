//! The knowledge base: documents for every OCSF class, labelled examples, knowledge-pack
//! entries and analyst overrides, with their lexical terms and (optionally) dense vectors.
//! Built once, saved as one versioned artifact ([`artifact`]), searched by [`crate::search`].

pub mod artifact;
pub(crate) mod docs;
pub mod pointer;
pub mod products;
pub mod sources;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use artifact::{KbError, KbHeader, FORMAT_VERSION};
pub use docs::{build, BuildOptions};

use crate::schema::Schema;
use crate::search::lexical::Bm25;
use crate::signature::Signature;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Class,
    Example,
    Pack,
    Override,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    pub kind: DocKind,
    pub class_uid: u32,
    pub activity_id: Option<i64>,
    /// Where it came from: `ocsf:<class name>`, the example's `source`, `pack:<product>`.
    pub source: String,
    /// Short human label, shown as the evidence of a decision.
    pub title: String,
    pub terms: Vec<String>,
    pub dense_text: String,
    /// Shape signature of an example or override record.
    pub signature: Option<Signature>,
    /// Field-name tokens of an example or override record (shape similarity to a query).
    pub key_tokens: Vec<String>,
    /// Discriminating `field=value` pairs of an example or override record, lower case.
    pub discriminators: Vec<String>,
    /// A knowledge-pack entry for a whole log type (`event: "*"`): the class of that log's
    /// events that no other document names.
    pub any_event: bool,
    /// Product ids the document is about ([`products::ProductTable::of_doc`]); empty for
    /// class documents and when the KB was built without a product table.
    pub products: Vec<String>,
    /// A pack line's rule for the activity when `activity_id` is null.
    pub activity_rule: Option<sources::ActivityRule>,
}

/// What the artifact stores (the header is derived from it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KbBody {
    pub schema: Schema,
    pub docs: Vec<Doc>,
    /// Row-major `docs.len() × embed::DIM`, empty when built without a model.
    pub embeddings: Vec<f32>,
    pub embedding_model: Option<String>,
    /// Confidence calibration fitted on held-out predictions at build time.
    pub calibrator: Option<crate::classify::calibrate::Calibrator>,
}

/// A loaded knowledge base, ready to search.
pub struct KnowledgeBase {
    pub header: KbHeader,
    pub body: KbBody,
    pub(crate) lexical: Bm25,
    /// Override signature → (class, activity); the latest override of a shape wins.
    pub(crate) overrides: HashMap<Signature, (u32, Option<i64>)>,
    /// Indices of the whole-log pack entries ([`Doc::any_event`]), a handful among thousands.
    whole_log: Vec<usize>,
    /// Indices of the analysts' corrections.
    corrections: Vec<usize>,
    /// Product id → indices of its labelled records (examples and corrections).
    product_records: HashMap<String, Vec<usize>>,
    /// Class statistics over all documents (the evidence that needs no product to be known).
    pub(crate) class_model: crate::classify::class_model::ClassModel,
    /// The schema's class and activity descriptions, for the record's own words.
    pub(crate) schema_text: crate::classify::schema_text::SchemaText,
    /// The schema's activity verbs and the sign-in/sign-out class, for unseen events' names.
    pub(crate) session_verbs: crate::classify::session::Verbs,
}

impl KnowledgeBase {
    pub fn from_body(header: KbHeader, body: KbBody) -> Self {
        let lexical = Bm25::build(body.docs.iter().map(|d| d.terms.as_slice()));
        let overrides = body
            .docs
            .iter()
            .filter(|d| d.kind == DocKind::Override)
            .filter_map(|d| d.signature.map(|s| (s, (d.class_uid, d.activity_id))))
            .collect();
        let whole_log =
            body.docs.iter().enumerate().filter(|(_, d)| d.any_event).map(|(i, _)| i).collect();
        let corrections = body
            .docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == DocKind::Override)
            .map(|(i, _)| i)
            .collect();
        let mut product_records: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in body.docs.iter().enumerate() {
            if matches!(d.kind, DocKind::Example | DocKind::Override) {
                for p in &d.products {
                    product_records.entry(p.clone()).or_default().push(i);
                }
            }
        }
        let class_model = crate::classify::class_model::ClassModel::build(&body.docs, &lexical);
        let schema_text = crate::classify::schema_text::SchemaText::build(&body.schema);
        let session_verbs = crate::classify::session::Verbs::build(&body.schema);
        KnowledgeBase {
            header,
            body,
            lexical,
            overrides,
            whole_log,
            corrections,
            product_records,
            class_model,
            schema_text,
            session_verbs,
        }
    }

    /// Indices of the documents that are whole-log pack entries.
    pub(crate) fn whole_log_docs(&self) -> &[usize] {
        &self.whole_log
    }

    /// Indices of the documents that are analysts' corrections (overrides).
    pub(crate) fn correction_docs(&self) -> &[usize] {
        &self.corrections
    }

    /// Indices of the labelled records (examples, corrections) about `product`.
    pub(crate) fn product_records(&self, product: &str) -> &[usize] {
        self.product_records.get(product).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn schema(&self) -> &Schema {
        &self.body.schema
    }

    pub fn docs(&self) -> &[Doc] {
        &self.body.docs
    }

    pub fn has_embeddings(&self) -> bool {
        !self.body.embeddings.is_empty()
    }

    /// The dense vector of document `i`, if the KB has embeddings.
    pub fn embedding(&self, i: usize) -> Option<&[f32]> {
        let dim = crate::embed::DIM;
        self.body.embeddings.get(i * dim..(i + 1) * dim)
    }
}

impl std::fmt::Debug for KnowledgeBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeBase")
            .field("header", &self.header)
            .field("docs", &self.body.docs.len())
            .finish()
    }
}
