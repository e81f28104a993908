//! The quality gate: held-back accuracy of the candidate against the serving version.
//!
//! How the comparison is kept fair:
//! - **Same slice, chosen by content.** A labelled example or override is held back when
//!   SHA-256 of its raw text falls in one of `every` buckets ([`Holdout`]). The choice depends
//!   on nothing but the record, so a record stays on the same side across runs, whatever
//!   files were added or reordered, and exact duplicates (the same line in two files) fall
//!   on the same side, so a copy cannot leak the answer. The slice is taken from the
//!   candidate's inputs: the labels as they are now are the truth both versions answer to.
//! - **Neither side has seen the answers.** The serving artifact was built from earlier
//!   inputs that usually contained most of the slice; scored as is it would find each held
//!   record's own document and look perfect, and every candidate would be refused. So both
//!   the candidate and the current KB are scored with the documents of the held-back
//!   records removed, by the same function and the same document keys. Removal matches
//!   (kind, class, activity, source, title) rather than whole documents, so it still works
//!   when the current version was built by an older engine whose terms differ.
//! - **Same classifier.** Both use the default classifier configuration, with overrides
//!   active and the shape cache out of the way; each KB uses its own dense vectors if it
//!   has them, as it would when serving.
//!
//! What it cannot catch: wrong labels in new inputs (the slice is scored against them).
//! Knowledge-pack entries have no raw record and are never held back; a bad pack file is
//! exactly what the gate is there to stop.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::classify::{Classifier, Config};
use crate::embed::{Embedder, DIM};
use crate::kb::sources::Labeled;
use crate::kb::{self, artifact::KbHeader, BuildOptions, DocKind, KbBody, KnowledgeBase};
use crate::parse::{self, Record};

/// Deterministic hold-out: one record in `every`, by a hash of its raw text.
#[derive(Debug, Clone, Copy)]
pub struct Holdout {
    every: u32,
}

/// A held-back record and what kind of document it would have been.
#[derive(Debug, Clone)]
pub struct Held {
    pub kind: DocKind,
    pub labeled: Labeled,
}

impl Holdout {
    pub fn new(every: u32) -> Self {
        Holdout { every: every.max(2) }
    }

    pub fn holds_back(&self, raw: &str) -> bool {
        let d = Sha256::digest(raw.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        u64::from_be_bytes(first) % u64::from(self.every) == 0
    }

    /// The held-back examples and overrides.
    pub fn slice(&self, examples: &[Labeled], overrides: &[Labeled]) -> Vec<Held> {
        let pick = |kind: DocKind, list: &[Labeled]| -> Vec<Held> {
            list.iter()
                .filter(|l| self.holds_back(&l.raw))
                .map(|l| Held { kind, labeled: l.clone() })
                .collect()
        };
        let mut out = pick(DocKind::Example, examples);
        out.extend(pick(DocKind::Override, overrides));
        out
    }
}

/// The gate's figures, logged and returned in the function's response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateReport {
    pub held_back: usize,
    /// Top-1 class accuracy of the candidate on the slice (None: nothing to score).
    pub candidate_accuracy: Option<f64>,
    /// The serving version's, on the same slice (None: no usable current version).
    pub current_accuracy: Option<f64>,
    pub margin: f64,
    pub passed: bool,
    /// Documents of held-back records removed from each side before scoring.
    pub removed_from_candidate: usize,
    pub removed_from_current: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl GateReport {
    pub fn skipped(held_back: usize, why: &str) -> Self {
        GateReport {
            held_back,
            candidate_accuracy: None,
            current_accuracy: None,
            margin: 0.0,
            passed: true,
            removed_from_candidate: 0,
            removed_from_current: 0,
            note: Some(why.to_string()),
        }
    }
}

/// Identifies a labelled record's document across engine versions.
type DocKey = (DocKind, u32, Option<i64>, String, String);

fn doc_key(d: &kb::Doc) -> DocKey {
    (d.kind, d.class_uid, d.activity_id, d.source.clone(), d.title.clone())
}

/// Scores `candidate` and `current` on `slice` (see the module docs for the protocol).
pub fn evaluate(
    candidate: &KbBody,
    current: Option<&KbBody>,
    slice: &[Held],
    embedder: Option<Arc<Embedder>>,
    margin: f64,
) -> GateReport {
    if slice.is_empty() {
        return GateReport {
            margin,
            ..GateReport::skipped(0, "no labelled record is held back: nothing to compare")
        };
    }
    let held_keys = held_doc_keys(candidate, slice);
    let (cand_kb, removed_from_candidate) = without(candidate, &held_keys);
    let cur = current.map(|body| without(body, &held_keys));
    let removed_from_current = cur.as_ref().map(|(_, n)| *n).unwrap_or(0);

    let records: Vec<(Record, u32)> =
        slice.iter().map(|h| (parse::parse(&h.labeled.raw), h.labeled.class_uid)).collect();
    let cand_clf = Classifier::new(Arc::new(cand_kb), embedder.clone(), Config::default());
    let cur_clf = cur.map(|(kb, _)| Classifier::new(Arc::new(kb), embedder, Config::default()));
    // The two sides are independent: score them on two threads.
    let (candidate_accuracy, current_accuracy) = std::thread::scope(|s| {
        let other = cur_clf.as_ref().map(|clf| s.spawn(|| accuracy(clf, &records)));
        let mine = accuracy(&cand_clf, &records);
        (mine, other.and_then(|h| h.join().ok()))
    });
    let passed = match current_accuracy {
        Some(cur) => candidate_accuracy + margin + 1e-9 >= cur,
        None => true,
    };
    let note = current
        .is_none()
        .then(|| "no usable current version: nothing to compare against".to_string());
    GateReport {
        held_back: slice.len(),
        candidate_accuracy: Some(candidate_accuracy),
        current_accuracy,
        margin,
        passed,
        removed_from_candidate,
        removed_from_current,
        note,
    }
}

fn accuracy(clf: &Classifier, records: &[(Record, u32)]) -> f64 {
    let ok =
        records.iter().filter(|(r, class)| clf.classify_uncached(r).class_uid == *class).count();
    ok as f64 / records.len().max(1) as f64
}

/// The keys of the documents the held-back records produce, counted (duplicates matter).
/// Built by the engine itself, so the keys match however it derives titles.
fn held_doc_keys(candidate: &KbBody, slice: &[Held]) -> HashMap<DocKey, usize> {
    let mut opts = BuildOptions::default();
    for h in slice {
        match h.kind {
            DocKind::Override => opts.overrides.push(h.labeled.clone()),
            _ => opts.examples.push(h.labeled.clone()),
        }
    }
    let mut keys = HashMap::new();
    // Without an embedder the build cannot fail.
    if let Ok(body) = kb::build(candidate.schema.clone(), opts) {
        for d in body.docs.iter().filter(|d| matches!(d.kind, DocKind::Example | DocKind::Override))
        {
            *keys.entry(doc_key(d)).or_insert(0) += 1;
        }
    }
    keys
}

/// `body` without (up to the counted number of) documents matching `keys`, and how many
/// were removed. Dense vectors follow their documents.
fn without(body: &KbBody, keys: &HashMap<DocKey, usize>) -> (KnowledgeBase, usize) {
    let mut left = keys.clone();
    let keep: Vec<usize> = (0..body.docs.len())
        .filter(|&i| {
            let d = &body.docs[i];
            if !matches!(d.kind, DocKind::Example | DocKind::Override) {
                return true;
            }
            match left.get_mut(&doc_key(d)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        })
        .collect();
    let removed = body.docs.len() - keep.len();
    let docs = keep.iter().map(|&i| body.docs[i].clone()).collect();
    let dense = !body.embeddings.is_empty();
    let embeddings = if dense {
        keep.iter()
            .flat_map(|&i| {
                body.embeddings.get(i * DIM..(i + 1) * DIM).unwrap_or(&[]).iter().copied()
            })
            .collect()
    } else {
        Vec::new()
    };
    let sub = KbBody {
        schema: body.schema.clone(),
        docs,
        embeddings,
        embedding_model: body.embedding_model.clone(),
        calibrator: body.calibrator.clone(),
    };
    let header = KbHeader::describe(&sub, String::new());
    (KnowledgeBase::from_body(header, sub), removed)
}
